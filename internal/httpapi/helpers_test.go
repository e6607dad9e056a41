package httpapi_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"

	"github.com/linkage-org/linkage/internal/auth"
	"github.com/linkage-org/linkage/internal/config"
	"github.com/linkage-org/linkage/internal/gazetteer"
	"github.com/linkage-org/linkage/internal/httpapi"
	"github.com/linkage-org/linkage/internal/importer"
	"github.com/linkage-org/linkage/internal/indexsync"
	"github.com/linkage-org/linkage/internal/indexsync/indexsynctest"
	"github.com/linkage-org/linkage/internal/store"
	"github.com/linkage-org/linkage/internal/store/storetest"
	"github.com/linkage-org/linkage/openapi"
	"github.com/linkage-org/linkage/seed"
)

// env is a running API over a real database holding the demo dataset.
type env struct {
	t     *testing.T
	srv   *httptest.Server
	store *store.Store
}

func newEnv(t *testing.T, dialect string) *env {
	t.Helper()
	return newEnvWith(t, demoStore(t, dialect), 1<<20)
}

// newRunningEnv is newEnv with the index kept current by its loop, as in a
// server: what the write API needs for read-your-writes. (Its polling
// queries would count in TestAPI_QueryCount, so the others do without.)
func newRunningEnv(t *testing.T, dialect string) *env {
	t.Helper()
	st := demoStore(t, dialect)
	return serveEnv(t, st, indexsynctest.Running(t, st, indexsync.Options{}), 1<<20)
}

// demoStore is a database holding the demo dataset and postcodes.
func demoStore(t *testing.T, dialect string, opts ...store.Option) *store.Store {
	t.Helper()
	st := storetest.Open(t, dialect, opts...)
	ctx := context.Background()
	for _, name := range seed.DemoFiles {
		if _, err := importer.ImportFS(ctx, st, seed.Demo(), name, importer.Options{}); err != nil {
			t.Fatalf("load demo %s: %v", name, err)
		}
	}
	cs, err := gazetteer.Read(bytes.NewReader(seed.DemoPostcodes()))
	if err != nil {
		t.Fatal(err)
	}
	pcs := make([]store.Postcode, len(cs))
	for i, c := range cs {
		pcs[i] = store.Postcode{Code: c.Code, Latitude: c.Lat, Longitude: c.Lon}
	}
	if err := st.UpsertPostcodes(ctx, pcs); err != nil {
		t.Fatal(err)
	}
	return st
}

func newEnvWith(t *testing.T, st *store.Store, maxBody int64) *env {
	t.Helper()
	return serveEnv(t, st, indexsynctest.Ready(t, st, indexsync.Options{}), maxBody)
}

func serveEnv(t *testing.T, st *store.Store, sy *indexsync.Syncer, maxBody int64, with ...func(*httpapi.Deps)) *env {
	t.Helper()
	d := httpapi.Deps{Store: st, Index: sy, Logger: storetest.Logger(), BaseURL: "http://linkage.test", MaxBodyBytes: maxBody,
		PageCache: config.Defaults().PageCache}
	for _, w := range with {
		w(&d)
	}
	e, err := httpapi.New(d)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(e)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, store: st}
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

// do sends a request and checks the response against our OpenAPI document.
func (e *env) do(method, path string, body io.Reader, hdr ...string) response {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		e.t.Fatal(err)
	}
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		e.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		e.t.Fatal(err)
	}
	r := response{status: resp.StatusCode, header: resp.Header, body: b}
	checkContract(e.t, method, path, hdr, r)
	return r
}

func (e *env) get(path string, hdr ...string) response {
	return e.do(http.MethodGet, path, nil, hdr...)
}

var (
	specOnce   sync.Once
	specRouter routers.Router
	specErr    error
)

func contractRouter(t *testing.T) routers.Router {
	specOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromData(openapi.YAML)
		if err != nil {
			specErr = err
			return
		}
		doc.Servers = nil
		specRouter, specErr = gorillamux.NewRouter(doc)
		openapi3filter.RegisterBodyDecoder("text/html", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/javascript", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("text/css", openapi3filter.FileBodyDecoder)
		openapi3filter.RegisterBodyDecoder("application/x-ndjson", func(r io.Reader, _ http.Header, _ *openapi3.SchemaRef, _ openapi3filter.EncodingFn) (any, error) {
			// Each line is one item; validate them as an array of items is
			// not what the document says, so check each line parses.
			var items []any
			dec := json.NewDecoder(r)
			for dec.More() {
				var v any
				if err := dec.Decode(&v); err != nil {
					return nil, err
				}
				items = append(items, v)
			}
			return items, nil
		})
	})
	if specErr != nil {
		t.Fatalf("load openapi.yaml: %v", specErr)
	}
	return specRouter
}

// checkContract validates a response against the operation the OpenAPI
// document gives its request, so the document cannot drift from the code.
func checkContract(t *testing.T, method, path string, hdr []string, r response) {
	t.Helper()
	req, _ := http.NewRequest(method, "http://linkage.test"+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	route, params, err := contractRouter(t).FindRoute(req)
	if err != nil {
		if r.status == http.StatusNotFound || r.status == http.StatusMethodNotAllowed {
			return // no operation: Echo answered for an unknown route
		}
		t.Fatalf("%s %s: no operation in openapi.yaml: %v", method, path, err)
	}
	in := &openapi3filter.ResponseValidationInput{
		RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
		Status:                 r.status, Header: r.header, Body: io.NopCloser(bytes.NewReader(r.body)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true, MultiError: true},
	}
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/x-ndjson") {
		return // checked line by line by the tests that ask for ndjson
	}
	if err := openapi3filter.ValidateResponse(context.Background(), in); err != nil {
		body := string(r.body)
		if len(body) > 600 {
			body = body[:600] + "..."
		}
		t.Fatalf("%s %s -> %d does not match openapi.yaml: %v\nbody: %s", method, path, r.status, err, body)
	}
}

func loadDoc(t *testing.T) *openapi3.T {
	t.Helper()
	doc, err := openapi3.NewLoader().LoadFromData(openapi.YAML)
	if err != nil {
		t.Fatal(err)
	}
	return doc
}

// adminKey creates an admin key in st and returns it.
func adminKey(t testing.TB, st *store.Store) string {
	t.Helper()
	ctx := context.Background()
	var key string
	_, err := st.Fixture(ctx, func(tx store.Fixture) error {
		k, err := tx.NewKey(ctx, nil, auth.Admin, "admin key")
		key = k.Key
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return key
}
