package httpapi

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/store"
)

// caseListParams reads the parameters of GET /cases: the list's, the
// clear filters, and the client lookup (search, birth_date) through the
// blind index.
func caseListParams(c echo.Context) (listParams, store.CaseFilter, error) {
	lp, err := parseList(c, "status", "need", "need_status", "from", "to", "updated_since", "birth_date")
	if err != nil {
		return lp, store.CaseFilter{}, err
	}
	q := c.QueryParams()
	f := store.CaseFilter{Status: q.Get("status"), NeedDomain: q.Get("need"), NeedStatus: q.Get("need_status")}
	var fe apperr.FieldErrors
	if lp.ndjson {
		fe = append(fe, apperr.FieldError{Parameter: "format", Message: "must be json here (ndjson streams are for directory lists)"})
	}
	if raw := q.Get("search"); raw != "" {
		toks, err := store.CaseSearchTokens(raw)
		if e, ok := apperr.As(err); ok {
			fe = append(fe, e.Fields...)
		} else if err != nil {
			return lp, f, err
		}
		f.Search = toks
	}
	if bd := strings.TrimSpace(q.Get("birth_date")); bd != "" {
		if _, err := time.Parse(time.DateOnly, bd); err != nil {
			fe = append(fe, apperr.FieldError{Parameter: "birth_date", Message: "must be a date (YYYY-MM-DD)"})
		}
		f.BirthDate = bd
	}
	if len(fe) > 0 {
		return lp, f, apperr.WithFields(apperr.Invalid, "Some parameters are not valid; see errors.", fe)
	}
	return lp, f, nil
}

// caseNoteJSON is a case note as the API serves it.
type caseNoteJSON struct {
	ID             string    `json:"id"`
	CaseID         string    `json:"case_id"`
	Body           string    `json:"body"`
	Shared         bool      `json:"shared"`
	AuthorKeyID    *string   `json:"author_key_id"`
	AuthorPersonID *string   `json:"author_person_id"`
	AuthorName     string    `json:"author_name"`
	Version        int       `json:"version"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

func caseNoteFromStore(n store.CaseNote) caseNoteJSON {
	return caseNoteJSON{ID: n.ID, CaseID: n.CaseID, Body: n.Body, Shared: n.Shared, AuthorKeyID: n.AuthorKeyID, AuthorPersonID: n.AuthorPersonID,
		AuthorName: n.AuthorName, Version: n.Version, CreatedAt: n.CreatedAt, UpdatedAt: n.UpdatedAt}
}

// caseNoteBody is what POST /cases/{id}/notes takes and PATCH merges into.
type caseNoteBody struct {
	Body   string `json:"body"`
	Shared bool   `json:"shared"`
}

// noteETag is the ETag of a case note version.
func noteETag(version int) string { return `"note-v` + strconv.Itoa(version) + `"` }

// noteID reads the {note_id} of a note route: not a UUID is no note (404).
func noteID(c echo.Context) (string, error) {
	id := strings.ToLower(c.Param("note_id"))
	if !isUUID(id) {
		return "", apperr.E(apperr.NotFound, "No note has id %q: ids are UUIDs.", clip(c.Param("note_id")))
	}
	return id, nil
}

// createCaseNote answers POST /cases/{id}/notes.
func (h *handler) createCaseNote(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	id, err := caseID(c)
	if err != nil {
		return err
	}
	var b caseNoteBody
	idem, err := idempotentBody(c, &b)
	if err != nil {
		return err
	}
	n, replayed, err := h.store.AddCaseNote(c.Request().Context(), actorOf(c), id, b.Body, b.Shared, idem)
	if err != nil {
		return err
	}
	if replayed {
		c.Response().Header().Set("Idempotent-Replayed", "true")
	}
	c.Response().Header().Set(echo.HeaderLocation, "/cases/"+n.CaseID+"/notes/"+n.ID)
	c.Response().Header().Set("ETag", noteETag(n.Version))
	return writePrivate(c, http.StatusCreated, caseNoteFromStore(n))
}

// listCaseNotes answers GET /cases/{id}/notes, newest first; audited.
func (h *handler) listCaseNotes(c echo.Context) error {
	if err := caseworker(principal(c)); err != nil {
		return err
	}
	id, err := caseID(c)
	if err != nil {
		return err
	}
	lp, err := privateList(c)
	if err != nil {
		return err
	}
	notes, total, err := h.store.CaseNotes(c.Request().Context(), actorOf(c), id, lp.paging)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(views(notes, caseNoteFromStore), total, lp))
}

// patchCaseNote answers PATCH /cases/{id}/notes/{note_id}: a merge patch
// of body and shared under If-Match with the note's ETag.
func (h *handler) patchCaseNote(c echo.Context) error {
	id, nid, err := caseChild(c, noteID)
	if err != nil {
		return err
	}
	match := c.Request().Header.Get("If-Match")
	raw, fields, err := readMergePatch(c)
	if err != nil {
		return err
	}
	u := store.NoteChange{Match: noteMatch(match), Patch: mergeNote(raw), Fields: fields}
	n, err := h.store.UpdateCaseNote(c.Request().Context(), actorOf(c), id, nid, u)
	if err != nil {
		return err
	}
	c.Response().Header().Set("ETag", noteETag(n.Version))
	return writePrivate(c, http.StatusOK, caseNoteFromStore(n))
}

// mergeNote applies the JSON merge patch raw to a note.
func mergeNote(raw []byte) func(store.CaseNote) (store.CaseNote, error) {
	return func(cur store.CaseNote) (store.CaseNote, error) {
		doc, err := json.Marshal(caseNoteBody{Body: cur.Body, Shared: cur.Shared})
		if err != nil {
			return cur, fmt.Errorf("encode note: %w", err)
		}
		merged, err := mergePatch(doc, raw)
		if err != nil {
			return cur, err
		}
		var b caseNoteBody
		if err := decodeStrictBytes(merged, &b); err != nil {
			return cur, err
		}
		cur.Body, cur.Shared = b.Body, b.Shared
		return cur, nil
	}
}

// noteRevisionJSON is an earlier version of a note.
type noteRevisionJSON struct {
	Version        int       `json:"version"`
	Body           string    `json:"body"`
	Shared         bool      `json:"shared"`
	EditorKeyID    *string   `json:"editor_key_id"`
	EditorPersonID *string   `json:"editor_person_id"`
	EditorName     string    `json:"editor_name"`
	EditedAt       time.Time `json:"edited_at"`
}

// caseNoteHistory answers GET /cases/{id}/notes/{note_id}/history: the
// note's earlier versions, newest first, each with the edit that replaced
// it; audited.
func (h *handler) caseNoteHistory(c echo.Context) error {
	id, nid, err := caseChild(c, noteID)
	if err != nil {
		return err
	}
	lp, err := privateList(c)
	if err != nil {
		return err
	}
	n, revs, total, err := h.store.CaseNoteHistory(c.Request().Context(), actorOf(c), id, nid, lp.paging)
	if err != nil {
		return err
	}
	out := make([]noteRevisionJSON, len(revs))
	for i, r := range revs {
		out[i] = noteRevisionJSON{Version: r.Version, Body: r.Body, Shared: r.Shared, EditorKeyID: r.EditorKeyID, EditorPersonID: r.EditorPersonID,
			EditorName: r.EditorName, EditedAt: r.EditedAt}
	}
	c.Response().Header().Set("ETag", noteETag(n.Version))
	return writePrivate(c, http.StatusOK, newPage(out, total, lp))
}

// referralCaseNotes answers GET /referrals/{id}/case_notes: the shared
// notes of the referral's case, to a party of the referral; the receiving
// agency reads them only while the client's consent holds.
func (h *handler) referralCaseNotes(c echo.Context) error {
	_, id, err := h.referralParty(c)
	if err != nil {
		return err
	}
	lp, err := privateList(c)
	if err != nil {
		return err
	}
	notes, total, err := h.store.SharedCaseNotes(c.Request().Context(), actorOf(c), id, lp.paging)
	if err != nil {
		return err
	}
	return writePrivate(c, http.StatusOK, newPage(views(notes, caseNoteFromStore), total, lp))
}
