package console

import (
	"fmt"
	"html/template"
	"maps"
	"math"
	"slices"
	"sort"
	"strings"

	"github.com/linkage-org/linkage/internal/hsds"
)

func init() {
	funcs["list"] = func(v ...string) []string { return v }
	funcs["facetParam"] = facetParam
	funcs["facetValue"] = func(name, v string) string { return v }
	funcs["facetLabel"] = facetLabel
	funcs["figureKeys"] = figureKeys
	funcs["rowKeys"] = rowKeys
	funcs["chart"] = chart
	funcs["label"] = label
	funcs["schedRows"] = schedRows
	funcs["cell"] = cell
	funcs["first"] = func(n int, list []any) []any { return list[:min(n, len(list))] }
	funcs["inc"] = func(i int) int { return i + 1 }
	funcs["hasDay"] = func(byday, d string) bool { return slices.Contains(strings.Split(strings.ToUpper(byday), ","), d) }
	funcs["unitName"] = func(u *hsds.Unit) string {
		if u == nil {
			return ""
		}
		return u.Name
	}
}

// facetParam is the search filter a facet sets.
func facetParam(name string) string {
	return name
}

// facetLabel is how a facet value reads: a category's name, a language's
// or cost's word in the page's language.
func facetLabel(v view, name, value string, terms map[string]string) string {
	switch name {
	case "category":
		if n := terms[value]; n != "" {
			return n
		}
		return value
	case "language", "cost":
		key := map[string]string{"language": "lang.", "cost": "cost."}[name] + value
		if s := v.T(key); s != key {
			return s
		}
		return value
	case "open_now":
		return v.T("facet.open_now_" + value)
	}
	return value
}

// figureKeys are the numeric columns of report groups, in a stable order.
func figureKeys(groups []any) []string {
	return keysOf(groups, func(k string, v any) bool {
		_, num := v.(float64)
		return num && k != "key"
	})
}

// rowKeys are every column of report rows.
func rowKeys(rows []any) []string {
	return keysOf(rows, func(string, any) bool { return true })
}

func keysOf(rows []any, keep func(string, any) bool) []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range rows {
		m, _ := r.(map[string]any)
		for k, v := range m {
			if !seen[k] && keep(k, v) {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	if i := slices.Index(out, "sent"); i > 0 {
		out = append([]string{"sent"}, slices.Delete(out, i, i+1)...)
	}
	return out
}

// chart is a server-rendered SVG bar chart of the groups' first figure
// (referrals sent), with a text equivalent in the table beside it.
func chart(groups []any) template.HTML {
	keys := figureKeys(groups)
	if len(keys) == 0 || len(groups) == 0 {
		return ""
	}
	metric := keys[0]
	type bar struct {
		label string
		value float64
	}
	var bars []bar
	top := 0.0
	for _, g := range groups {
		m, _ := g.(map[string]any)
		val, _ := m[metric].(float64)
		label := fmt.Sprint(m["name"])
		if m["name"] == nil {
			label = fmt.Sprint(m["key"])
		}
		bars = append(bars, bar{label, val})
		top = math.Max(top, val)
	}
	if len(bars) > 15 {
		bars = bars[:15]
	}
	const rowH, labelW, barW = 22, 220, 360
	var b strings.Builder
	fmt.Fprintf(&b, `<svg class="chart" role="img" aria-label="%s" viewBox="0 0 %d %d" xmlns="http://www.w3.org/2000/svg">`,
		template.HTMLEscapeString(metric+" by group"), labelW+barW+60, rowH*len(bars)+4)
	for i, br := range bars {
		w := 0.0
		if top > 0 {
			w = br.value / top * barW
		}
		y := i*rowH + 2
		label := br.label
		if len([]rune(label)) > 32 {
			label = string([]rune(label)[:31]) + "…"
		}
		fmt.Fprintf(&b, `<text x="0" y="%d">%s</text><rect x="%d" y="%d" width="%.1f" height="%d" fill="#0b5394"></rect><text x="%.1f" y="%d">%g</text>`,
			y+15, template.HTMLEscapeString(label), labelW, y+3, w, rowH-6, float64(labelW)+w+6, y+15, br.value)
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// label is message id, or for an id the catalogue lacks (a report column
// added later), its last part in words.
func label(v view, id string) string {
	if s := v.T(id); s != id {
		return s
	}
	_, last, _ := strings.Cut(id, ".")
	return strings.ReplaceAll(last, "_", " ")
}

// schedRows are a location's weekly schedules for the hours form, with
// two empty rows to add openings.
func schedRows(scheds []hsds.Schedule) []hsds.Schedule {
	var out []hsds.Schedule
	for _, sc := range scheds {
		if sc.Weekly() {
			sc.OpensAt, sc.ClosesAt = hsds.HourMinute(sc.OpensAt), hsds.HourMinute(sc.ClosesAt)
			out = append(out, sc)
		}
	}
	return append(out, hsds.Schedule{}, hsds.Schedule{})
}

// cell is a report value as a person reads it: whole numbers plain,
// fractions to one place, lists joined, yes/no, and a dash for none.
func cell(v view, x any) string {
	switch t := x.(type) {
	case nil:
		return "—"
	case float64:
		if t == math.Trunc(t) {
			return v.Num(int64(t))
		}
		return v.num.Sprintf("%.1f", t)
	case bool:
		return map[bool]string{true: v.T("need_met.yes"), false: v.T("need_met.no")}[t]
	case []any:
		parts := make([]string, 0, len(t))
		for _, e := range t {
			parts = append(parts, cell(v, e))
		}
		if len(parts) == 0 {
			return "—"
		}
		return strings.Join(parts, ", ")
	case map[string]any:
		parts := make([]string, 0, len(t))
		for _, k := range slices.Sorted(maps.Keys(t)) {
			parts = append(parts, k+": "+cell(v, t[k]))
		}
		return strings.Join(parts, "; ")
	}
	return fmt.Sprint(x)
}
