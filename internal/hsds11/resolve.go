package hsds11

import (
	"encoding/csv"
	"encoding/json"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/hsdsio"
)

// descriptor is what is read of a datapackage.json.
type descriptor struct {
	Version   json.RawMessage `json:"version"`
	Resources []struct {
		Name string          `json:"name"`
		Path json.RawMessage `json:"path"`
	} `json:"resources"`
}

// maxDescriptor bounds datapackage.json, which lists tables, not data.
const maxDescriptor = 16 << 20

// readDescriptor reads datapackage.json at the package root; ok is false
// when there is none or it is not JSON.
func readDescriptor(root fs.FS) (descriptor, bool) {
	var d descriptor
	f, err := root.Open("datapackage.json")
	if err != nil {
		return d, false
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxDescriptor))
	if err != nil || json.Unmarshal(data, &d) != nil {
		return d, false
	}
	return d, true
}

// version is the package's declared version, "" when it declares none.
func (d descriptor) version() string {
	var s string
	if json.Unmarshal(d.Version, &s) == nil {
		return strings.TrimSpace(s)
	}
	var n json.Number
	if json.Unmarshal(d.Version, &n) == nil {
		return n.String()
	}
	return ""
}

// names are the resource names and file base names (without .csv) the
// descriptor lists, lower case.
func (d descriptor) names() []string {
	var out []string
	for _, r := range d.Resources {
		out = append(out, strings.ToLower(r.Name))
		if p := resourcePath(r.Path); p != "" {
			out = append(out, baseName(p))
		}
	}
	return out
}

// Is reports whether fsys (a folder or a zip) holds an HSDS 1.x tabular
// package rather than a 3.x one. A datapackage.json that declares a
// version decides; one that does not (the HSDS Transformer writes none)
// is told by its tables: 1.x has tables 3.x does not (physical_addresses,
// regular_schedules, services_taxonomy, ...) and the reverse. Without a
// datapackage.json the CSV files' names decide the same way. A package of
// tables both have is 1.x when its organizations have a url and no
// website column.
func Is(fsys fs.FS) bool {
	root, err := hsdsio.PackageRoot(fsys)
	if err != nil {
		return false
	}
	d, ok := readDescriptor(root)
	if ok {
		if v := d.version(); v != "" {
			return strings.HasPrefix(v, "1.") || v == "1"
		}
	}
	var names []string
	if ok && len(d.Resources) > 0 {
		names = d.names()
	} else {
		for _, p := range csvFiles(root) {
			names = append(names, baseName(p))
		}
	}
	has := func(set []string) bool {
		return slices.ContainsFunc(names, func(n string) bool { return slices.Contains(set, n) })
	}
	if has(only1x) || has(only3x) {
		return has(only1x) && !has(only3x)
	}
	return urlNotWebsite(root)
}

// urlNotWebsite says whether the organizations file's header has 1.x's
// url column and not 3.x's website: the last clue of a package of only
// the tables both versions share.
func urlNotWebsite(root fs.FS) bool {
	var file string
	for _, f := range csvFiles(root) {
		if baseName(f) == "organizations" {
			file = f
		}
	}
	if file == "" {
		return false
	}
	f, err := root.Open(file)
	if err != nil {
		return false
	}
	defer f.Close()
	header, err := csv.NewReader(io.LimitReader(f, 1<<20)).Read()
	if err != nil {
		return false
	}
	for i, h := range header {
		header[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	return slices.Contains(header, "url") && !slices.Contains(header, "website")
}

// input is one table of the 1.1 package to read.
type input struct {
	spec     *spec  // nil for a table 1.1 does not have
	path     string // its file inside the package
	resource string // the name datapackage.json gives it, if any
}

// resolve finds each table's file: the path datapackage.json gives when
// the package has it, else a CSV file of the package with the name of
// that path, the table's or one of its aliases (exports list paths of the
// machine they were made on, and put files in a data/ folder). CSV files
// no table claims are returned with a nil spec.
func resolve(root fs.FS) []input {
	files := csvFiles(root)
	byBase := map[string]string{}
	for _, f := range files {
		if _, ok := byBase[baseName(f)]; !ok {
			byBase[baseName(f)] = f
		}
	}
	claimed := map[string]bool{}
	var out []input
	d, _ := readDescriptor(root)
	for _, s := range specs() {
		in := input{spec: s}
		for _, res := range d.Resources {
			p := resourcePath(res.Path)
			if !s.named(strings.ToLower(res.Name)) && !(res.Name == "" && s.named(baseName(p))) {
				continue
			}
			in.resource = res.Name
			switch {
			case p != "" && isFile(root, p):
				in.path = p
			case byBase[baseName(p)] != "":
				in.path = byBase[baseName(p)]
			}
		}
		for _, n := range append([]string{baseName(s.file), s.name}, s.aliases...) {
			if in.path == "" && byBase[n] != "" {
				in.path = byBase[n]
			}
		}
		switch {
		case in.path != "" && !claimed[in.path]:
			claimed[in.path] = true
			out = append(out, in)
		case in.path == "" && in.resource != "":
			out = append(out, in) // listed without a file: noted
		}
	}
	for _, f := range files {
		if !claimed[f] {
			out = append(out, input{path: f})
		}
	}
	for _, res := range d.Resources {
		p := resourcePath(res.Path)
		known := slices.ContainsFunc(specs(), func(s *spec) bool { return s.named(strings.ToLower(res.Name)) })
		if !known && res.Name != "" && !isFile(root, p) && byBase[baseName(p)] == "" {
			out = append(out, input{resource: res.Name})
		}
	}
	return out
}

// named says whether n names the table s.
func (s *spec) named(n string) bool {
	return n == s.name || n == baseName(s.file) || slices.Contains(s.aliases, n)
}

// csvFiles are the CSV files at the root and in its folders (one level).
func csvFiles(root fs.FS) []string {
	var out []string
	entries, _ := fs.ReadDir(root, ".")
	for _, e := range entries {
		name := e.Name()
		switch {
		case strings.HasPrefix(name, ".") || name == "__MACOSX":
		case !e.IsDir() && strings.EqualFold(path.Ext(name), ".csv"):
			out = append(out, name)
		case e.IsDir():
			sub, _ := fs.ReadDir(root, name)
			for _, x := range sub {
				if !x.IsDir() && !strings.HasPrefix(x.Name(), ".") && strings.EqualFold(path.Ext(x.Name()), ".csv") {
					out = append(out, name+"/"+x.Name())
				}
			}
		}
	}
	return out
}

// resourcePath is a resource's path as a clean relative file name, or "".
func resourcePath(raw json.RawMessage) string {
	var p string
	if json.Unmarshal(raw, &p) != nil {
		var list []string
		if json.Unmarshal(raw, &list) != nil || len(list) != 1 {
			return ""
		}
		p = list[0]
	}
	p = path.Clean(strings.TrimPrefix(strings.TrimSpace(p), "./"))
	if strings.Contains(p, "://") || !fs.ValidPath(p) || p == "." {
		return ""
	}
	return p
}

// baseName is a file's name without folder and extension, lower case.
func baseName(p string) string {
	b := strings.ToLower(path.Base(p))
	return strings.TrimSuffix(b, path.Ext(b))
}

func isFile(fsys fs.FS, name string) bool {
	st, err := fs.Stat(fsys, name)
	return err == nil && !st.IsDir()
}
