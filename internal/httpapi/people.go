package httpapi

import (
	"net/http"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

// personJSON is a staff person as the API serves them.
type personJSON struct {
	ID        string    `json:"id"`
	AgencyID  string    `json:"agency_id"`
	Name      string    `json:"name"`
	Email     string    `json:"email"`
	Role      string    `json:"role"`
	Active    bool      `json:"active"`
	CreatedAt time.Time `json:"created_at"`
	UpdatedAt time.Time `json:"updated_at"`
}

func personView(p store.Person) personJSON {
	return personJSON{ID: p.ID, AgencyID: p.AgencyID, Name: p.Name, Email: p.Email, Role: p.Role, Active: p.Active, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// personBody is what POST and PATCH /agencies/{id}/people take.
type personBody struct {
	Name   *string `json:"name"`
	Email  *string `json:"email"`
	Role   *string `json:"role"`
	Active *bool   `json:"active"`
}

func (b personBody) input() store.PersonInput {
	return store.PersonInput{Name: b.Name, Email: b.Email, Role: b.Role, Active: b.Active}
}

// listPeople answers GET /agencies/{id}/people: an admin, or a key of the
// agency (its staff are who its history names).
func (h *handler) listPeople(c echo.Context) error {
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	if err := h.staffOf(principal(c), id); err != nil {
		return err
	}
	lp, err := parseList(c)
	if err != nil {
		return err
	}
	people, total, err := h.store.People(c.Request().Context(), id, lp.paging)
	if err != nil {
		return err
	}
	out := views(people, personView)
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}

// createPerson answers POST /agencies/{id}/people (an admin, or the
// agency's own agency key).
func (h *handler) createPerson(c echo.Context) error {
	id, err := agencyID(c)
	if err != nil {
		return err
	}
	if err := h.staffOf(principal(c), id); err != nil {
		return err
	}
	var b personBody
	if err := decodeJSON(c, &b); err != nil {
		return err
	}
	p, err := h.store.CreatePerson(c.Request().Context(), actorOf(c), id, b.input())
	if err != nil {
		return err
	}
	c.Response().Header().Set(echo.HeaderLocation, "/agencies/"+id+"/people/"+p.ID)
	return writePrivate(c, http.StatusCreated, personView(p))
}

// getPerson answers GET /agencies/{id}/people/{person_id}.
func (h *handler) getPerson(c echo.Context) error {
	id, personID, err := personPath(c)
	if err != nil {
		return err
	}
	if err := h.staffOf(principal(c), id); err != nil {
		return err
	}
	p, err := h.store.PersonByID(c.Request().Context(), id, personID)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, personView(p))
}

// patchPerson answers PATCH /agencies/{id}/people/{person_id}: a new
// name, email or role, or active false when someone leaves (their keys
// stop working).
func (h *handler) patchPerson(c echo.Context) error {
	id, personID, err := personPath(c)
	if err != nil {
		return err
	}
	if err := h.staffOf(principal(c), id); err != nil {
		return err
	}
	var b personBody
	if err := decodeJSON(c, &b, echo.MIMEApplicationJSON, "application/merge-patch+json"); err != nil {
		return err
	}
	p, err := h.store.UpdatePerson(c.Request().Context(), actorOf(c), id, personID, b.input())
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, personView(p))
}

// staffOf allows what ownAgency allows, but not a portal key: staff
// names and emails are not for a client-facing app.
func (h *handler) staffOf(p auth.Principal, id string) error {
	if err := h.ownAgency(p, id); err != nil {
		return err
	}
	if p.Role == auth.Portal {
		return apperr.E(apperr.Forbidden, "A portal key does not read an agency's staff.")
	}
	return nil
}

// personPath is the agency and person ids of the path.
func personPath(c echo.Context) (string, string, error) {
	id, err := agencyID(c)
	if err != nil {
		return "", "", err
	}
	personID := strings.ToLower(c.Param("person_id"))
	if !isUUID(personID) {
		return "", "", apperr.WithFields(apperr.Invalid, "The person id is not valid.", apperr.FieldErrors{{Parameter: "person_id", Message: "is not a UUID"}})
	}
	return id, personID, nil
}
