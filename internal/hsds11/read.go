package hsds11

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"slices"
	"strings"

	"github.com/linkage-org/linkage/internal/csvsafe"
	"github.com/linkage-org/linkage/internal/hsdsio"
)

// Reading a 1.1 file costs what the 3.1 reader's does: every byte counts
// against the import's limits whatever an archive declared, and a row may
// be at most maxRow bytes, since encoding/csv would otherwise hold a row
// of any length in memory.

const maxRow = 16 << 20

// budget counts what the package's files yield against the limits.
type budget struct {
	lim  hsdsio.Limits
	read int64
}

// checkDeclared refuses, before reading, files whose sizes (as the folder
// or the zip's central directory gives them) are over the limits.
func checkDeclared(root fs.FS, ins []input, lim hsdsio.Limits) error {
	var total int64
	for _, in := range ins {
		if in.path == "" {
			continue
		}
		st, err := fs.Stat(root, in.path)
		if err != nil {
			return fmt.Errorf("hsds11: stat %s: %w", in.path, err)
		}
		if lim.EntryBytes > 0 && st.Size() > lim.EntryBytes {
			return &hsdsio.LimitError{Name: in.path, Size: st.Size(), Limit: lim.EntryBytes}
		}
		total += st.Size()
		if lim.TotalBytes > 0 && total > lim.TotalBytes {
			return &hsdsio.LimitError{Name: in.path, Size: total, Limit: lim.TotalBytes, Total: true}
		}
	}
	return nil
}

// countedFile counts one file's bytes against both limits.
type countedFile struct {
	r    io.Reader
	name string
	n    int64
	b    *budget
	// rowStart is where the CSV reader's current row began; a read taking
	// the row past maxRow fails.
	rowStart int64
}

var errRowTooLong = errors.New("CSV row too long")

func (c *countedFile) Read(p []byte) (int, error) {
	if c.n-c.rowStart > maxRow {
		return 0, errRowTooLong
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.b.read += int64(n)
	if lim := c.b.lim.EntryBytes; lim > 0 && c.n > lim {
		return n, &hsdsio.LimitError{Name: c.name, Size: c.n, Limit: lim, Counted: true}
	}
	if lim := c.b.lim.TotalBytes; lim > 0 && c.b.read > lim {
		return n, &hsdsio.LimitError{Name: c.name, Size: c.b.read, Limit: lim, Total: true, Counted: true}
	}
	return n, err
}

// readCSV reads the file of input i: header gets the header row (trimmed,
// lower case, without a byte order mark), then fn each data row with its
// row number (the header is row 1, as the 3.1 reader counts). Rows that
// cannot be read are problems and skipped, as the 3.1 reader does; blank
// rows are skipped silently.
func (c *converter) readCSV(i int, header func([]string), fn func(line int, rec []string) error) error {
	file := c.inputs[i].path
	f, err := c.root.Open(file)
	if err != nil {
		return fmt.Errorf("hsds11: open %s: %w", file, err)
	}
	defer f.Close()
	cf := &countedFile{r: f, name: file, b: c.budget}
	cr := csv.NewReader(cf)
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = true
	problem := func(line int, msg string) {
		c.probs.Add(hsdsio.Problem{Source: file, Line: line, Message: msg})
	}
	// lost is a problem that loses the rest of the file, not one row.
	lost := func(line int, msg string) {
		c.probs.Add(hsdsio.Problem{Source: file, Line: line, Message: msg, Input: true})
	}
	head, err := cr.Read()
	if err == io.EOF {
		return nil
	}
	if msg := unreadable(err); msg != "" {
		lost(1, "the header "+msg+"; the file was skipped")
		return nil
	}
	if err != nil {
		return fmt.Errorf("hsds11: read %s: %w", file, hsdsio.ReadError(err))
	}
	head = slices.Clone(head)
	for j, h := range head {
		head[j] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	header(head)
	for line := 2; ; line++ {
		if line%1024 == 0 {
			if err := c.ctx.Err(); err != nil {
				return err
			}
		}
		cf.rowStart = cr.InputOffset()
		rec, err := cr.Read()
		switch {
		case err == io.EOF:
			return nil
		case errors.Is(err, errRowTooLong):
			lost(line, fmt.Sprintf("the row is longer than %d MiB; reading %s stopped here", maxRow>>20, file))
			return nil
		case unreadable(err) != "":
			problem(line, "the row "+unreadable(err)+"; the row was skipped")
			continue
		case err != nil:
			return fmt.Errorf("hsds11: read %s row %d: %w", file, line, hsdsio.ReadError(err))
		case len(rec) != len(head):
			problem(line, fmt.Sprintf("has %d cells but the header has %d columns; the row was skipped", len(rec), len(head)))
			continue
		case !slices.ContainsFunc(rec, func(s string) bool { return s != "" }):
			continue
		}
		for j, s := range rec {
			rec[j] = csvsafe.Unescape(s)
		}
		if err := fn(line, rec); err != nil {
			return err
		}
	}
}

// unreadable says in words why err is CSV that cannot be read, or "".
func unreadable(err error) string {
	var pe *csv.ParseError
	if errors.As(err, &pe) && !errors.Is(err, errRowTooLong) {
		return fmt.Sprintf("cannot be read as CSV (%v, at line %d column %d of the file)", pe.Err, pe.Line, pe.Column)
	}
	return ""
}
