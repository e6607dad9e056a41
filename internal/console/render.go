package console

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"path"
	"slices"
	"strings"
)

// pages are the parsed templates, one set per page with the layout.
type pages struct {
	set map[string]*template.Template
}

var funcs = template.FuncMap{
	"join": strings.Join,
	"has":  func(list []string, v string) bool { return slices.Contains(list, v) },
	// dict builds a map for a sub-template: dict "k" v "k2" v2.
	"dict": func(kv ...any) map[string]any {
		m := map[string]any{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[fmt.Sprint(kv[i])] = kv[i+1]
		}
		return m
	},
	"deref": func(p *float64) float64 {
		if p == nil {
			return 0
		}
		return *p
	},
	"km": func(m *float64) string {
		if m == nil {
			return ""
		}
		return fmt.Sprintf("%.1f", *m/1000)
	},
	"miles": func(m *float64) string {
		if m == nil {
			return ""
		}
		return fmt.Sprintf("%.1f", *m/1609.344)
	},
}

func loadPages() (*pages, error) {
	names, err := fs.Glob(files, "templates/*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{set: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(path.Base(n), ".html")
		if base == "layout" || base == "partials" {
			continue
		}
		t, err := template.New("layout.html").Funcs(funcs).ParseFS(files, "templates/layout.html", "templates/partials.html", n)
		if err != nil {
			return nil, fmt.Errorf("console: template %s: %w", n, err)
		}
		p.set[base] = t
	}
	return p, nil
}

// view is what every page template gets: the request's language (T,
// Num, Day, When), the person, the CSRF token and the page's data.
type view struct {
	*texts
	Title string
	Lang  string
	Me    *me
	CSRF  string
	Path  string
	Data  any
}

// me is the signed-in person as the layout shows them.
type me struct {
	Name, Role, AgencyID string
	Admin, Agency, Works bool // what the navigation offers
}

func (c *Console) textsFor(r *http.Request, s *session) *texts {
	chosen := ""
	if s != nil {
		chosen = s.staff.Locale
	} else if ck, err := r.Cookie("linkage_lang"); err == nil {
		chosen = ck.Value
	}
	return c.text.texts(c.text.lang(r, chosen), c.d.Zone)
}

// render writes page name with data, titled by message titleID.
func (c *Console) render(w http.ResponseWriter, r *http.Request, s *session, status int, name, titleID string, data any) {
	c.renderView(w, r, status, name, c.viewFor(r, s, c.textsFor(r, s), titleID, data))
}

// viewFor is the view of a page in the language of tx.
func (c *Console) viewFor(r *http.Request, s *session, tx *texts, titleID string, data any) view {
	v := view{texts: tx, Title: tx.T(titleID), Lang: tx.tag.String(), Path: r.URL.Path, Data: data}
	if s != nil {
		role := s.principal.Role
		v.Me = &me{Name: s.staff.Name, Role: string(role), AgencyID: s.principal.AgencyID,
			Admin: role == "admin", Agency: role == "agency" || role == "admin", Works: role == "caseworker"}
		v.CSRF = s.csrf
	}
	return v
}

// renderView writes page name with v.
func (c *Console) renderView(w http.ResponseWriter, r *http.Request, status int, name string, v view) {
	t, ok := c.pages.set[name]
	if !ok {
		c.d.Log.ErrorContext(r.Context(), "console: no template", "page", name)
		http.Error(w, "page not found", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		c.d.Log.ErrorContext(r.Context(), "console: render", "page", name, "err", err)
		http.Error(w, "Linkage could not show this page.", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Language", v.Lang)
	w.Header().Set("Vary", "Cookie, Accept-Language")
	w.WriteHeader(status)
	_, _ = w.Write(buf.Bytes())
}

// fail shows an error page with message id.
func (c *Console) fail(w http.ResponseWriter, r *http.Request, s *session, status int, id string) {
	c.render(w, r, s, status, "error", "error.title", map[string]any{"Message": id, "Status": status})
}

// failAPI shows the problem the API answered: its own sentence (written
// for people) under a heading of the status.
func (c *Console) failAPI(w http.ResponseWriter, r *http.Request, s *session, err error) {
	if ae := userProblem(err); ae != nil {
		c.render(w, r, s, ae.Status, "error", "error.title", map[string]any{"Problem": ae.Error(), "Status": ae.Status})
		return
	}
	c.d.Log.ErrorContext(r.Context(), "console", "path", r.URL.Path, "err", err)
	c.fail(w, r, s, http.StatusInternalServerError, "error.internal")
}
