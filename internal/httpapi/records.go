package httpapi

import (
	"net/http"
	"strings"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/store"
)

// The four kinds of records the write API edits.

func (h *handler) putService(c echo.Context) error {
	return put(h, c, "service", h.store.PutService, false)
}
func (h *handler) patchService(c echo.Context) error {
	return put(h, c, "service", h.store.PutService, true)
}
func (h *handler) deleteService(c echo.Context) error {
	return del(h, c, "service", h.store.DeleteService)
}

func (h *handler) putOrganization(c echo.Context) error {
	return put(h, c, "organization", h.store.PutOrganization, false)
}
func (h *handler) patchOrganization(c echo.Context) error {
	return put(h, c, "organization", h.store.PutOrganization, true)
}
func (h *handler) deleteOrganization(c echo.Context) error {
	return del(h, c, "organization", h.store.DeleteOrganization)
}

func (h *handler) putLocation(c echo.Context) error {
	return put(h, c, "location", h.store.PutLocation, false)
}
func (h *handler) patchLocation(c echo.Context) error {
	return put(h, c, "location", h.store.PutLocation, true)
}
func (h *handler) deleteLocation(c echo.Context) error {
	return del(h, c, "location", h.store.DeleteLocation)
}

func (h *handler) putSAL(c echo.Context) error {
	return put(h, c, "service_at_location", h.store.PutServiceAtLocation, false)
}
func (h *handler) patchSAL(c echo.Context) error {
	return put(h, c, "service_at_location", h.store.PutServiceAtLocation, true)
}
func (h *handler) deleteSAL(c echo.Context) error {
	return del(h, c, "service_at_location", h.store.DeleteServiceAtLocation)
}

// recordHistory answers GET /{records}/{id}/history: the record's HSDS
// metadata rows, newest first.
func (h *handler) recordHistory(entity string) echo.HandlerFunc {
	return func(c echo.Context) error {
		id, err := pathID(c, entity)
		if err != nil {
			return err
		}
		p, err := parseList(c)
		if err != nil {
			return err
		}
		rows, total, err := h.store.History(c.Request().Context(), entity, id, p.paging)
		if err != nil {
			return err
		}
		if total == 0 {
			return apperr.E(apperr.NotFound, "No %s %s has any history.", entity, id)
		}
		return writeJSON(c, http.StatusOK, newPage(rows, total, p))
	}
}

// putCapacity answers PUT /services/{id}/capacities/{capacity_id}: a live
// capacity report (store.ReportCapacity).
func (h *handler) putCapacity(c echo.Context) error {
	if _, err := writer(c); err != nil {
		return err
	}
	id, err := writeID(c, "service")
	if err != nil {
		return err
	}
	capID := strings.ToLower(c.Param("capacity_id"))
	if !isUUID(capID) {
		return apperr.WithFields(apperr.Invalid, "The capacity id is not valid.", apperr.FieldErrors{{Parameter: "capacity_id", Message: "is not a UUID"}})
	}
	var x hsds.ServiceCapacity
	if err := decodeJSON(c, &x); err != nil {
		return err
	}
	w, err := h.store.ReportCapacity(c.Request().Context(), actorOf(c), id, capID, x)
	if err != nil {
		return err
	}
	status := http.StatusOK
	if w.Created {
		status = http.StatusCreated
	}
	return h.answerService(c, status, w)
}

// serviceChange is an action on a service that states its current state
// rather than replacing a version (store.ServiceChange).
type serviceChange struct {
	history string // last_action_type of its history rows ("" : update)
	audit   string // audit action
	detail  string // audit detail
	apply   func(s *hsds.Service)
}

// changeService runs ch on service id (store.ChangeService) and answers
// with the stored service.
func (h *handler) changeService(c echo.Context, p auth.Principal, id string, ch serviceChange) error {
	a := actorOf(c)
	a.Principal = p
	w, err := h.store.ChangeService(c.Request().Context(), a, id, store.ServiceChange{History: ch.history, Audit: ch.audit, Detail: ch.detail, Apply: ch.apply})
	if err != nil {
		return err
	}
	return h.answerService(c, http.StatusOK, w)
}

// answerService answers a change of a service: read-your-writes, then the
// stored service with its ETag.
func (h *handler) answerService(c echo.Context, status int, w store.Written[hsds.Service]) error {
	h.waitIndexed(c, w.Seq)
	return writeRecord(c, status, w.Record)
}
