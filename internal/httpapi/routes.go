package httpapi

import (
	"net/http"
	"strconv"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
)

// routes is the whole route table, one line per route.
func (h *handler) routes(e *echo.Echo, console func(api http.Handler) http.Handler) {
	e.GET("/", h.root(console != nil))
	h.mountConsole(e, console)
	e.GET("/openapi.json", h.openapiJSON)
	e.GET("/docs", h.docsPage)
	e.GET("/docs/:asset", h.docsFile)
	e.GET("/healthz", h.healthz)
	e.GET("/problems/:slug", h.problemDoc)
	e.GET("/readyz", h.readyz)
	if !h.noMetrics {
		e.GET("/metrics", h.metricsHandler)
	}

	e.GET("/search", h.search)
	e.POST("/search", h.search)

	e.GET("/services", h.listServices)
	e.POST("/services", h.listServices)
	e.GET("/services/:id", h.getService)
	e.GET("/organizations", h.listOrganizations)
	e.POST("/organizations", h.listOrganizations)
	e.GET("/organizations/:id", h.getOrganization)
	e.GET("/service_at_locations", h.listServiceAtLocations)
	e.POST("/service_at_locations", h.listServiceAtLocations)
	e.GET("/service_at_locations/:id", h.getServiceAtLocation)
	e.GET("/locations/:id", h.getLocation)
	e.GET("/taxonomies", h.listTaxonomies)
	e.POST("/taxonomies", h.listTaxonomies)
	e.GET("/taxonomies/:id", h.getTaxonomy)
	e.GET("/taxonomy_terms", h.listTaxonomyTerms)
	e.POST("/taxonomy_terms", h.listTaxonomyTerms)
	e.GET("/taxonomy_terms/:id", h.getTaxonomyTerm)

	e.PUT("/services/:id", h.putService)
	e.PATCH("/services/:id", h.patchService)
	e.DELETE("/services/:id", h.deleteService)
	e.GET("/services/:id/history", h.recordHistory("service"))
	e.PUT("/organizations/:id", h.putOrganization)
	e.PATCH("/organizations/:id", h.patchOrganization)
	e.DELETE("/organizations/:id", h.deleteOrganization)
	e.GET("/organizations/:id/history", h.recordHistory("organization"))
	e.PUT("/locations/:id", h.putLocation)
	e.PATCH("/locations/:id", h.patchLocation)
	e.DELETE("/locations/:id", h.deleteLocation)
	e.GET("/locations/:id/history", h.recordHistory("location"))
	e.PUT("/service_at_locations/:id", h.putSAL)
	e.PATCH("/service_at_locations/:id", h.patchSAL)
	e.DELETE("/service_at_locations/:id", h.deleteSAL)

	e.POST("/services/:id/verify", h.verifyService)
	e.POST("/services/:id/eligibility/:attribute_id", h.decideEligibility)
	e.PUT("/services/:id/capacities/:capacity_id", h.putCapacity)
	e.GET("/reports/stale", h.staleReport)
	e.GET("/export", h.export)
	e.POST("/imports", h.createImport)
	e.GET("/imports/:id", h.getImport)

	e.GET("/me", h.me)
	e.GET("/agencies", h.listAgencies)
	e.POST("/agencies", h.createAgency)
	e.GET("/agencies/:id", h.getAgency)
	e.PATCH("/agencies/:id", h.patchAgency)
	e.GET("/agencies/:id/keys", h.listKeys)
	e.POST("/agencies/:id/keys", h.createKey)
	e.DELETE("/agencies/:id/keys/:key_id", h.revokeKey)
	e.GET("/agencies/:id/people", h.listPeople)
	e.POST("/agencies/:id/people", h.createPerson)
	e.GET("/agencies/:id/people/:person_id", h.getPerson)
	e.PATCH("/agencies/:id/people/:person_id", h.patchPerson)
	e.GET("/audit", h.auditLog)

	e.POST("/cases", h.createCase)
	e.GET("/cases", h.listCases)
	e.GET("/cases/:id", h.getCase)
	e.PATCH("/cases/:id", h.patchCase)
	e.POST("/cases/:id/needs", h.createNeed)
	e.PATCH("/cases/:id/needs/:need_id", h.patchNeed)
	e.DELETE("/cases/:id/needs/:need_id", h.deleteNeed)
	e.POST("/cases/:id/notes", h.createCaseNote)
	e.GET("/cases/:id/notes", h.listCaseNotes)
	e.PATCH("/cases/:id/notes/:note_id", h.patchCaseNote)
	e.GET("/cases/:id/notes/:note_id/history", h.caseNoteHistory)
	e.POST("/referrals", h.createReferral)
	e.GET("/referrals", h.listReferrals)
	e.GET("/referrals/:id", h.getReferral)
	e.POST("/referrals/:id/transitions", h.transition)
	e.POST("/referrals/:id/notes", h.addNote)
	e.POST("/referrals/:id/followup", h.recordFollowUp)
	e.POST("/referrals/:id/forward", h.forwardReferral)
	e.GET("/referrals/:id/events", h.listEvents)
	e.GET("/referrals/:id/case_notes", h.referralCaseNotes)
	e.GET("/tasks", h.listTasks)
	e.POST("/tasks", h.createTask)
	e.GET("/tasks/:id", h.getTask)
	e.PATCH("/tasks/:id", h.patchTask)
	e.DELETE("/tasks/:id", h.deleteTask)
	e.GET("/followups", h.listTasks)
	e.GET("/caseload", h.caseload)
	e.GET("/reports/referrals", h.referralReport)
	e.GET("/reports/barriers", h.barrierReport)
	e.POST("/webhooks", h.createWebhook)
	e.GET("/webhooks", h.listWebhooks)
	e.GET("/webhooks/:id", h.getWebhook)
	e.PATCH("/webhooks/:id", h.patchWebhook)
	e.DELETE("/webhooks/:id", h.deleteWebhook)
	e.GET("/webhooks/:id/deliveries", h.listDeliveries)
}

func parseBoolParam(name, v string) (bool, error) {
	b, err := strconv.ParseBool(v)
	if err != nil {
		return false, apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.",
			apperr.FieldErrors{{Parameter: name, Message: "must be true or false, got " + strconv.Quote(clip(v))}})
	}
	return b, nil
}
