package httpapi

import (
	"bufio"
	"encoding/json"
	"net/http"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/store"
)

// Page is the HSDS list envelope.
type Page[T any] struct {
	TotalItems int64 `json:"total_items"`
	TotalPages int64 `json:"total_pages"`
	PageNumber int   `json:"page_number"`
	Size       int   `json:"size"`
	FirstPage  bool  `json:"first_page"`
	LastPage   bool  `json:"last_page"`
	Empty      bool  `json:"empty"`
	Contents   []T   `json:"contents"`
}

func newPage[T any](items []T, total int64, p listParams) Page[T] {
	if items == nil {
		items = []T{}
	}
	per := int64(p.paging.Size)
	pages := max(1, (total+per-1)/per)
	return Page[T]{
		TotalItems: total, TotalPages: pages, PageNumber: p.paging.Number, Size: len(items),
		FirstPage: p.paging.Number == 1, LastPage: int64(p.paging.Number) >= pages, Empty: len(items) == 0,
		Contents: items,
	}
}

// publicCache lets proxies and clients keep public directory reads briefly;
// the ETag makes revalidation cheap.
const publicCache = "public, max-age=60"

// writeJSON sends v with a strong ETag of its bytes, answering 304 when
// the client already has them.
func writeJSON(c echo.Context, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	etag := store.ETag(body) // the tag If-Match on a write compares with
	hdr := c.Response().Header()
	hdr.Set("ETag", etag)
	hdr.Set("Cache-Control", publicCache)
	hdr.Add("Vary", "Accept-Encoding") // Add: CORS's Vary: Origin stays
	r := c.Request()
	if (r.Method == http.MethodGet || r.Method == http.MethodHead) && store.ETagMatch(r.Header.Get("If-None-Match"), etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(status, echo.MIMEApplicationJSON, body)
}

// ndjsonWriter streams one JSON document per line, flushing as it goes so
// a client sees results while the server still reads the database.
type ndjsonWriter struct {
	c   echo.Context
	buf *bufio.Writer
	enc *json.Encoder
	n   int
}

func startNDJSON(c echo.Context) *ndjsonWriter {
	h := c.Response().Header()
	h.Set(echo.HeaderContentType, "application/x-ndjson")
	h.Set("Cache-Control", "no-store")
	c.Response().WriteHeader(http.StatusOK)
	buf := bufio.NewWriterSize(c.Response(), 64<<10)
	return &ndjsonWriter{c: c, buf: buf, enc: json.NewEncoder(buf)}
}

func (w *ndjsonWriter) write(v any) error {
	if err := w.enc.Encode(v); err != nil {
		return err
	}
	w.n++
	if w.n%200 == 0 {
		if err := w.buf.Flush(); err != nil {
			return err
		}
		w.c.Response().Flush()
	}
	return nil
}

func (w *ndjsonWriter) close() error {
	if err := w.buf.Flush(); err != nil {
		return err
	}
	w.c.Response().Flush()
	return nil
}

// views is each of xs as f shows it: a list of store records in their
// API shape.
func views[T, V any](xs []T, f func(T) V) []V {
	out := make([]V, len(xs))
	for i, x := range xs {
		out[i] = f(x)
	}
	return out
}
