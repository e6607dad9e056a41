package hsds11

import (
	"bufio"
	"cmp"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"github.com/google/uuid"

	"github.com/linkage-org/linkage/internal/hsdsio"
)

// Explain tells problems found in the mapped 3.1 package in the 1.1
// package's terms: the 1.1 file and row each came from, its 1.1 record id,
// its 1.1 column where the problem names one, and the 1.1 id beside each
// UUID its message names. Problems about the 1.1 files themselves pass as
// they are. The result is in input order (file, row, field).
func (p *Package) Explain(probs []hsdsio.Problem) []hsdsio.Problem {
	out := slices.Clone(probs)
	wanted := map[uuid.UUID]bool{}
	for i := range out {
		x := &out[i]
		if !strings.HasPrefix(x.Source, outDir+"/") {
			continue
		}
		p.locate(x)
		for _, s := range append(uuidRe.FindAllString(x.Message, -1), x.RecordID) {
			if u, err := uuid.Parse(s); err == nil {
				wanted[u] = true
			}
		}
	}
	found := p.lookup(wanted)
	for i := range out {
		x := &out[i]
		x.Message = mappedRowRe.ReplaceAllStringFunc(x.Message, p.relocate)
		if u, err := uuid.Parse(x.RecordID); err == nil {
			if orig, ok := found[u]; ok {
				x.RecordID = orig
			}
		}
		x.Message = uuidRe.ReplaceAllStringFunc(x.Message, func(s string) string {
			if orig, ok := found[uuid.MustParse(s)]; ok && orig != "" {
				return showID(orig) + " (HSDS 3.1 id " + s + ")"
			}
			return s
		})
	}
	slices.SortStableFunc(out, func(a, b hsdsio.Problem) int {
		return cmp.Or(strings.Compare(a.Source, b.Source), cmp.Compare(a.Line, b.Line), strings.Compare(a.Field, b.Field))
	})
	return out
}

// mappedRowRe finds a row of the mapped package that a message names
// ("see hsds-3.1/organizations.csv:2", "holds hsds-3.1/phones.csv row 3").
var mappedRowRe = regexp.MustCompile(outDir + `/([A-Za-z0-9_.-]+\.csv)(:| row )(\d+)`)

// relocate tells a mapped row a message names as its 1.1 file and row.
func (p *Package) relocate(s string) string {
	m := mappedRowRe.FindStringSubmatch(s)
	line, _ := strconv.Atoi(m[3])
	x := hsdsio.Problem{Source: outDir + "/" + m[1], Line: line}
	p.locate(&x)
	return x.Source + m[2] + strconv.Itoa(x.Line)
}

var uuidRe = regexp.MustCompile(`[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}`)

var plainID = regexp.MustCompile(`^[A-Za-z0-9._:-]+$`)

func showID(s string) string {
	if plainID.MatchString(s) {
		return s
	}
	return strconv.Quote(s)
}

// locate replaces a mapped file and row with the 1.1 file and row the row
// was made from, and a mapped column (or top-level field) with its 1.1
// column.
func (p *Package) locate(x *hsdsio.Problem) {
	table := ""
	for _, t := range outTables() {
		if x.Source == outDir+"/"+t.file {
			table = t.name
		}
	}
	from, ok := p.origin(table, x.Line)
	if !ok || from.file >= len(p.inputs) {
		x.Source = strings.TrimPrefix(x.Source, outDir+"/")
		return
	}
	in := p.inputs[from.file]
	x.Source, x.Line = in.path, from.line
	name, top := strings.CutPrefix(x.Field, "/")
	if strings.Contains(name, "/") || in.spec == nil {
		return
	}
	if i := slices.IndexFunc(in.spec.cols, func(c col) bool { return c.to == name && c.kind != drop && c.kind != hook }); i >= 0 {
		x.Field = in.spec.cols[i].name
		if top {
			x.Field = "/" + x.Field
		}
	}
}

// origin reads where row line of the mapped table came from.
func (p *Package) origin(table string, line int) (origin, bool) {
	if table == "" || line < 2 {
		return origin{}, false
	}
	f, err := os.Open(filepath.Join(p.sc.Dir(), "origin-"+table))
	if err != nil {
		return origin{}, false
	}
	defer f.Close()
	var b [8]byte
	if _, err := f.ReadAt(b[:], int64(line-2)*8); err != nil {
		return origin{}, false
	}
	return origin{file: int(binary.LittleEndian.Uint32(b[:4])), line: int(binary.LittleEndian.Uint32(b[4:]))}, true
}

// lookup reads the UUID log for the 1.1 ids of wanted, in one pass.
func (p *Package) lookup(wanted map[uuid.UUID]bool) map[uuid.UUID]string {
	found := map[uuid.UUID]string{}
	if len(wanted) == 0 {
		return found
	}
	f, err := os.Open(filepath.Join(p.sc.Dir(), "uuids.log"))
	if err != nil {
		return found
	}
	defer f.Close()
	r := bufio.NewReader(f)
	var u uuid.UUID
	for len(found) < len(wanted) {
		if _, err := io.ReadFull(r, u[:]); err != nil {
			break
		}
		n, err := binary.ReadUvarint(r)
		if err != nil {
			break
		}
		orig := make([]byte, n)
		if _, err := io.ReadFull(r, orig); err != nil {
			break
		}
		if _, ok := wanted[u]; ok {
			if _, seen := found[u]; !seen {
				found[u] = string(orig)
			}
		}
	}
	return found
}
