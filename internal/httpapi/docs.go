package httpapi

import (
	"embed"
	"net/http"
	"path"

	"github.com/labstack/echo/v4"

	"github.com/linkage-org/linkage/internal/apperr"
	"github.com/linkage-org/linkage/internal/store"
)

// The API reference page: Swagger UI (vendored from npm, see
// apidocs/README.md) over the contract this server serves as /openapi.json.
//
//go:embed apidocs/index.html apidocs/docs.js apidocs/docs.css apidocs/swagger-ui-bundle.js apidocs/swagger-ui.css
var apidocs embed.FS

// docsAsset is one file of the page, read once.
type docsAsset struct {
	body        []byte
	contentType string
	etag        string
}

// docsAssetTypes are the files GET /docs/{asset} serves, by name.
var docsAssetTypes = map[string]string{
	"docs.js":              "text/javascript; charset=utf-8",
	"docs.css":             "text/css; charset=utf-8",
	"swagger-ui-bundle.js": "text/javascript; charset=utf-8",
	"swagger-ui.css":       "text/css; charset=utf-8",
}

// docsPolicy is the Content-Security-Policy of the page: everything from
// this server, no inline script (Swagger UI sets inline styles, and draws
// some icons as data: images).
const docsPolicy = "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
	"font-src 'self' data:; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// docsCache: the page and its assets change only with the binary.
const docsCache = "public, max-age=3600"

func loadDocs() (page docsAsset, assets map[string]docsAsset, err error) {
	read := func(name, ct string) (docsAsset, error) {
		b, err := apidocs.ReadFile(path.Join("apidocs", name))
		if err != nil {
			return docsAsset{}, err
		}
		return docsAsset{body: b, contentType: ct, etag: etagOf(b)}, nil
	}
	if page, err = read("index.html", "text/html; charset=utf-8"); err != nil {
		return page, nil, err
	}
	assets = map[string]docsAsset{}
	for name, ct := range docsAssetTypes {
		if assets[name], err = read(name, ct); err != nil {
			return page, nil, err
		}
	}
	return page, assets, nil
}

// docsPage answers GET /docs.
func (h *handler) docsPage(c echo.Context) error {
	return serveDocs(c, h.docs)
}

// docsFile answers GET /docs/{asset}.
func (h *handler) docsFile(c echo.Context) error {
	a, ok := h.docsAssets[c.Param("asset")]
	if !ok {
		return apperr.E(apperr.NotFound, "The API reference has no file %q.", clip(c.Param("asset")))
	}
	return serveDocs(c, a)
}

func serveDocs(c echo.Context, a docsAsset) error {
	hdr := c.Response().Header()
	hdr.Set("ETag", a.etag)
	hdr.Set("Cache-Control", docsCache)
	hdr.Set("Content-Security-Policy", docsPolicy)
	hdr.Set("X-Content-Type-Options", "nosniff")
	hdr.Set("Referrer-Policy", "no-referrer")
	if store.ETagMatch(c.Request().Header.Get("If-None-Match"), a.etag) {
		return c.NoContent(http.StatusNotModified)
	}
	return c.Blob(http.StatusOK, a.contentType, a.body)
}
