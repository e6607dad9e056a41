package httpapi

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/hsds"
	"github.com/linkage-org/linkage/internal/search"
	"github.com/linkage-org/linkage/internal/store"
)

// apiMeta answers GET / as HSDS defines it.
func (h *handler) apiMeta(c echo.Context) error {
	return writeJSON(c, http.StatusOK, map[string]string{
		"version":     hsds.Version,
		"profile":     hsds.ProfileURI,
		"openapi_url": h.baseURL + "/openapi.json",
	})
}

func (h *handler) openapiJSON(c echo.Context) error {
	return writeJSONBytes(c, h.spec.json)
}

func writeJSONBytes(c echo.Context, b []byte) error {
	var raw rawJSON = b
	return writeJSON(c, http.StatusOK, raw)
}

type rawJSON []byte

func (r rawJSON) MarshalJSON() ([]byte, error) { return r, nil }

// respondList answers a list route: every match streamed as ndjson, or one
// page in the HSDS envelope. item maps a record to what is sent.
func respondList[T any](c echo.Context, p listParams, item func(*T) any,
	stream func(fn func(*T) error) error, page func() ([]T, int64, error)) error {
	if p.ndjson {
		w := startNDJSON(c)
		if err := stream(func(x *T) error { return w.write(item(x)) }); err != nil {
			return err
		}
		return w.close()
	}
	rows, total, err := page()
	if err != nil {
		return err
	}
	items := make([]any, len(rows))
	for i := range rows {
		items[i] = item(&rows[i])
	}
	return writeJSON(c, http.StatusOK, newPage(items, total, p))
}

func asIs[T any](x *T) any { return x }

// respondItem answers an item route: the {id} checked, the record loaded
// fully nested, sent with its ETag.
func respondItem[T any](c echo.Context, entity string, load func(ctx context.Context, id string) (T, error)) error {
	id, err := pathID(c, entity)
	if err != nil {
		return err
	}
	v, err := load(c.Request().Context(), id)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, v)
}

// serviceMinimal is the minimal=true item: the fields HSDS's list shape
// requires plus when the record last changed.
type serviceMinimal struct {
	ID           string     `json:"id"`
	Name         string     `json:"name"`
	Status       string     `json:"status"`
	LastModified *time.Time `json:"last_modified,omitempty"`
}

func (h *handler) listServices(c echo.Context) error {
	p, err := parseList(c, "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "minimal", "full", "postcode", "proximity")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	shape := store.ShapeList
	if p.full {
		shape = store.ShapeFull
	}
	item := func(s *hsds.Service) any {
		if p.minimal {
			return serviceMinimal{ID: s.ID, Name: s.Name, Status: s.Status, LastModified: s.LastModified}
		}
		return s
	}
	if ok, err := searchList(h, c, p, "service_id", func(ids []string) ([]hsds.Service, error) {
		return h.store.ServicesByIDsShape(ctx, ids, shape)
	}, item); ok {
		return err
	}
	return respondList(c, p, item,
		func(fn func(*hsds.Service) error) error { return h.store.StreamServices(ctx, p.filter, shape, fn) },
		func() ([]hsds.Service, int64, error) { return h.store.ListServices(ctx, p.filter, p.paging, shape) })
}

// getService answers GET /services/{id}: the HSDS record, and in the
// Linkage-Accepts-Referrals header whether a referral through Linkage
// reaches it. A header, not a field: the body is the record a client PUTs
// back (unknown fields are refused) and whose ETag guards writes (a hash of
// the record), so it stays the HSDS record alone.
func (h *handler) getService(c echo.Context) error {
	return respondItem(c, "service", func(ctx context.Context, id string) (hsds.Service, error) {
		svc, err := h.store.ServiceByID(ctx, id)
		if err != nil {
			return svc, err
		}
		return svc, h.setAcceptsReferrals(c, svc.ID)
	})
}

// setAcceptsReferrals answers in the Linkage-Accepts-Referrals header
// whether service id takes referrals through Linkage.
func (h *handler) setAcceptsReferrals(c echo.Context, id string) error {
	accepts, err := h.store.AcceptsReferrals(c.Request().Context(), []string{id})
	if err != nil {
		return err
	}
	c.Response().Header().Set(acceptsReferralsHeader, strconv.FormatBool(accepts[id]))
	return nil
}

// acceptsReferralsHeader says on a service read whether the service takes
// referrals through Linkage.
const acceptsReferralsHeader = "Linkage-Accepts-Referrals"

func (h *handler) listOrganizations(c echo.Context) error {
	p, err := parseList(c, "taxonomy_term_id", "taxonomy_id", "full", "full_service")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	shape := store.ShapeList
	switch {
	case p.fullService:
		shape = store.ShapeFullServices
	case p.full:
		shape = store.ShapeFull
	}
	if ok, err := searchList(h, c, p, "organization_id", func(ids []string) ([]hsds.Organization, error) {
		return h.store.OrganizationsByIDs(ctx, ids, shape)
	}, asIs[hsds.Organization]); ok {
		return err
	}
	return respondList(c, p, asIs[hsds.Organization],
		func(fn func(*hsds.Organization) error) error {
			return h.store.StreamOrganizations(ctx, p.filter, shape, fn)
		},
		func() ([]hsds.Organization, int64, error) {
			return h.store.ListOrganizations(ctx, p.filter, p.paging, shape)
		})
}

func (h *handler) getOrganization(c echo.Context) error {
	id, err := pathID(c, "organization")
	if err != nil {
		return err
	}
	shape := store.ShapeFull
	if v := c.QueryParam("full_service"); v != "" {
		b, err := parseBoolParam("full_service", v)
		if err != nil {
			return err
		}
		if b {
			shape = store.ShapeFullServices
		}
	}
	o, err := h.store.OrganizationByID(c.Request().Context(), id, shape)
	if err != nil {
		return err
	}
	return writeJSON(c, http.StatusOK, o)
}

func (h *handler) listServiceAtLocations(c echo.Context) error {
	p, err := parseList(c, "taxonomy_term_id", "taxonomy_id", "organization_id", "modified_after", "full", "postcode", "proximity")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	shape := store.ShapeList
	if p.full {
		shape = store.ShapeFull
	}
	if ok, err := searchList(h, c, p, search.FieldSAL, func(ids []string) ([]hsds.ServiceAtLocation, error) {
		return h.store.ServiceAtLocationsByIDs(ctx, ids, shape)
	}, asIs[hsds.ServiceAtLocation]); ok {
		return err
	}
	return respondList(c, p, asIs[hsds.ServiceAtLocation],
		func(fn func(*hsds.ServiceAtLocation) error) error {
			return h.store.StreamServiceAtLocations(ctx, p.filter, shape, fn)
		},
		func() ([]hsds.ServiceAtLocation, int64, error) {
			return h.store.ListServiceAtLocations(ctx, p.filter, p.paging, shape)
		})
}

// getServiceAtLocation answers GET /service_at_locations/{id}, with the
// service's Linkage-Accepts-Referrals header as on GET /services/{id}.
func (h *handler) getServiceAtLocation(c echo.Context) error {
	return respondItem(c, "service_at_location", func(ctx context.Context, id string) (hsds.ServiceAtLocation, error) {
		sal, err := h.store.ServiceAtLocationByID(ctx, id)
		if err != nil {
			return sal, err
		}
		return sal, h.setAcceptsReferrals(c, sal.ServiceID)
	})
}

func (h *handler) getLocation(c echo.Context) error {
	return respondItem(c, "location", h.store.LocationByID)
}

func (h *handler) listTaxonomies(c echo.Context) error {
	p, err := parseList(c)
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	return respondList(c, p, asIs[hsds.Taxonomy],
		func(fn func(*hsds.Taxonomy) error) error { return h.store.StreamTaxonomies(ctx, p.filter, fn) },
		func() ([]hsds.Taxonomy, int64, error) { return h.store.ListTaxonomies(ctx, p.filter, p.paging) })
}

func (h *handler) getTaxonomy(c echo.Context) error {
	return respondItem(c, "taxonomy", h.store.TaxonomyByID)
}

func (h *handler) listTaxonomyTerms(c echo.Context) error {
	p, err := parseList(c, "taxonomy_id", "top_only", "parent_id")
	if err != nil {
		return err
	}
	ctx := c.Request().Context()
	return respondList(c, p, asIs[hsds.TaxonomyTerm],
		func(fn func(*hsds.TaxonomyTerm) error) error { return h.store.StreamTaxonomyTerms(ctx, p.filter, fn) },
		func() ([]hsds.TaxonomyTerm, int64, error) { return h.store.ListTaxonomyTerms(ctx, p.filter, p.paging) })
}

func (h *handler) getTaxonomyTerm(c echo.Context) error {
	return respondItem(c, "taxonomy term", h.store.TaxonomyTermByID)
}
