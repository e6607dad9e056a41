package httpapi

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/store"
)

// The write API: PUT (create with the client's id, or replace), PATCH (JSON
// Merge Patch, RFC 7386) and DELETE on the HSDS item paths. The store's
// write workflows do the work in one transaction each (store.PutService
// and the rest); a handler reads the request, calls one, then waits (at
// most readYourWrites) until this process's search index has the change.

// readYourWrites bounds the wait for the local index after a write.
const readYourWrites = 2 * time.Second

// mergePatchType is RFC 7386's media type.
const mergePatchType = "application/merge-patch+json"

// etagOf is the strong ETag of a representation: the one writeJSON sends.
func etagOf(body []byte) string { return store.ETag(body) }

// writeID is the record id of a write's path: not a UUID is a 400 (a read
// of such an id is a 404: no record can have it).
func writeID(c echo.Context, entity string) (string, error) {
	id := strings.ToLower(c.Param("id"))
	if !isUUID(id) {
		return "", apperr.WithFields(apperr.Invalid, "Record ids are UUIDs.", apperr.FieldErrors{{Parameter: "id", Message: fmt.Sprintf("must be a UUID (the %s's id), got %q", entity, clip(c.Param("id")))}})
	}
	return id, nil
}

// writer checks the caller may use the write API at all: 401 without a key,
// 403 for roles that never edit the directory. The store checks again; the
// handler asks first so that these answers come before a bad id's.
func writer(c echo.Context) (auth.Principal, error) {
	a := actorOf(c)
	return a.Principal, a.MayEditDirectory()
}

// putFunc is a store workflow that writes one kind of record.
type putFunc[T any] func(ctx context.Context, a store.Actor, id string, body []byte, o store.PutOptions) (store.Written[T], error)

// put answers PUT and PATCH of the records at /{entity}s: patch false
// replaces (or creates) the record with the body; patch true merges the
// body into the current record.
func put[T any](h *handler, c echo.Context, entity string, write putFunc[T], patch bool) error {
	if _, err := writer(c); err != nil {
		return err
	}
	id, err := writeID(c, entity)
	if err != nil {
		return err
	}
	types := []string{echo.MIMEApplicationJSON}
	if patch {
		types = append(types, mergePatchType)
	}
	body, err := readBody(c, types...)
	if err != nil {
		return err
	}
	hdr := c.Request().Header
	o := store.PutOptions{Patch: patch, IfMatch: hdr.Get("If-Match"), IfNoneMatch: hdr.Get("If-None-Match"), BodyError: bodyProblem}
	w, err := write(c.Request().Context(), actorOf(c), id, body, o)
	if err != nil {
		return err
	}
	h.waitIndexed(c, w.Seq)
	status := http.StatusOK
	if w.Created {
		status = http.StatusCreated
		c.Response().Header().Set(echo.HeaderLocation, "/"+entity+"s/"+id)
	}
	return writeRecord(c, status, w.Record)
}

// del answers DELETE with the store workflow remove.
func del(h *handler, c echo.Context, entity string, remove func(ctx context.Context, a store.Actor, id, ifMatch string) (int64, error)) error {
	if _, err := writer(c); err != nil {
		return err
	}
	id, err := writeID(c, entity)
	if err != nil {
		return err
	}
	seq, err := remove(c.Request().Context(), actorOf(c), id, c.Request().Header.Get("If-Match"))
	if err != nil {
		return err
	}
	h.waitIndexed(c, seq)
	return c.NoContent(http.StatusNoContent)
}

// waitIndexed holds the answer until this process's search index has the
// write, at most readYourWrites; past that it answers anyway and says so.
func (h *handler) waitIndexed(c echo.Context, seq int64) {
	if seq == 0 {
		return
	}
	h.index.Notify()
	ctx, cancel := context.WithTimeout(c.Request().Context(), readYourWrites)
	defer cancel()
	if err := h.index.WaitFor(ctx, seq); err != nil {
		c.Response().Header().Set("Linkage-Index-Lag", "true")
	}
}

// writeRecord answers a write with the stored record and its ETag.
func writeRecord(c echo.Context, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	h := c.Response().Header()
	h.Set("ETag", etagOf(body))
	h.Set("Cache-Control", "no-store")
	return c.Blob(status, echo.MIMEApplicationJSON, body)
}

// readBody reads a JSON body of one of types (415 otherwise).
func readBody(c echo.Context, types ...string) ([]byte, error) {
	r := c.Request()
	mt := strings.ToLower(strings.TrimSpace(strings.Split(r.Header.Get(echo.HeaderContentType), ";")[0]))
	if !slices.Contains(types, mt) {
		return nil, apperr.E(apperr.Unsupported, "The request body must be %s.", strings.Join(types, " or "))
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r.Body); err != nil {
		return nil, jsonProblem(err)
	}
	if buf.Len() == 0 {
		return nil, apperr.E(apperr.Invalid, "The request needs a JSON body.")
	}
	return buf.Bytes(), nil
}

// decodeStrictBytes decodes one JSON object, refusing fields Linkage does
// not keep (HSDS 3.1 fields and the tz extension only).
func decodeStrictBytes(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyProblem(b, err)
	}
	if dec.More() {
		return apperr.E(apperr.Invalid, "The request body holds more than one JSON value.")
	}
	return nil
}

// mergePatch applies an RFC 7386 merge patch to doc.
func mergePatch(doc, patch []byte) ([]byte, error) { return store.MergePatch(doc, patch, bodyProblem) }
