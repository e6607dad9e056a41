package hsdsio

import (
	"archive/zip"
	"compress/flate"
	"errors"
	"fmt"
	"io"
	"io/fs"

	"github.com/linkage-org/linkage/internal/apperr"
)

// Limits bound the uncompressed bytes of one input, so a small archive
// cannot expand into more than the server is willing to read.
type Limits struct {
	EntryBytes int64 // one file of a package or an archive; 0: no limit
	TotalBytes int64 // the whole input; 0: no limit
}

// LimitError says an input is larger than a limit allows.
type LimitError struct {
	Name    string // the file or archive entry
	Size    int64  // its declared size, or the bytes counted when it stopped
	Limit   int64
	Total   bool // the limit on the whole input, not on one entry
	Counted bool // found while reading: the declared size was smaller
}

func (e *LimitError) Error() string {
	what := "one file of an import may hold at most"
	if e.Total {
		what = "an import may hold at most"
	}
	size := fmt.Sprintf("expands to %d bytes", e.Size)
	if e.Counted {
		size = fmt.Sprintf("expands to more than %d bytes (more than it declares)", e.Size-1)
	}
	if e.Total {
		return fmt.Sprintf("the input %s with %s; %s %d bytes uncompressed", size, e.Name, what, e.Limit)
	}
	return fmt.Sprintf("%s %s; %s %d bytes uncompressed", e.Name, size, what, e.Limit)
}

// CheckZip refuses an archive whose central directory declares an entry
// or a total larger than lim, before anything is expanded. Declared sizes
// can lie; the readers also count what they actually expand.
func CheckZip(zr *zip.Reader, lim Limits) error {
	var total int64
	for _, f := range zr.File {
		n := int64(f.UncompressedSize64)
		if f.UncompressedSize64 > 1<<62 {
			n = 1 << 62
		}
		if lim.EntryBytes > 0 && n > lim.EntryBytes {
			return &LimitError{Name: f.Name, Size: n, Limit: lim.EntryBytes}
		}
		total += n
		if lim.TotalBytes > 0 && total > lim.TotalBytes {
			return &LimitError{Name: f.Name, Size: total, Limit: lim.TotalBytes, Total: true}
		}
	}
	return nil
}

// checkDeclared refuses a package whose tables declare (a zip's central
// directory, a file's size) more than the limits allow.
func (r *pkgReader) checkDeclared() error {
	var total int64
	for _, t := range schema() {
		name, ok := r.paths[t.name]
		if !ok {
			continue
		}
		st, err := fs.Stat(r.fsys, name)
		if err != nil {
			return fmt.Errorf("hsdsio: stat %s: %w", name, err)
		}
		if r.limits.EntryBytes > 0 && st.Size() > r.limits.EntryBytes {
			return &LimitError{Name: name, Size: st.Size(), Limit: r.limits.EntryBytes}
		}
		total += st.Size()
		if r.limits.TotalBytes > 0 && total > r.limits.TotalBytes {
			return &LimitError{Name: name, Size: total, Limit: r.limits.TotalBytes, Total: true}
		}
	}
	return nil
}

// countedFile counts the bytes one file yields against both limits.
type countedFile struct {
	f    fs.File
	name string
	n    int64
	r    *pkgReader
}

func (c *countedFile) Read(p []byte) (int, error) {
	n, err := c.f.Read(p)
	c.n += int64(n)
	c.r.read += int64(n)
	if lim := c.r.limits.EntryBytes; lim > 0 && c.n > lim {
		return n, &LimitError{Name: c.name, Size: c.n, Limit: lim, Counted: true}
	}
	if lim := c.r.limits.TotalBytes; lim > 0 && c.r.read > lim {
		return n, &LimitError{Name: c.name, Size: c.r.read, Limit: lim, Total: true, Counted: true}
	}
	return n, err
}

func (c *countedFile) Close() error { return c.f.Close() }

// CountReader counts what r yields against lim as one file of the input
// called name (a JSON file).
func CountReader(r io.Reader, name string, lim Limits) io.Reader {
	return &countedReader{r: r, name: name, lim: lim}
}

type countedReader struct {
	r    io.Reader
	name string
	n    int64
	lim  Limits
}

func (c *countedReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	for _, l := range []struct {
		max   int64
		total bool
	}{{c.lim.EntryBytes, false}, {c.lim.TotalBytes, true}} {
		if l.max > 0 && c.n > l.max {
			return n, &LimitError{Name: c.name, Size: c.n, Limit: l.max, Total: l.total, Counted: true}
		}
	}
	return n, err
}

// ReadError says in words what is wrong with an archive that fails while
// being expanded (for readers of other package formats); other errors are
// returned as they are.
func ReadError(err error) error { return readError(err) }

// readError says in words what is wrong with an archive that fails while
// being expanded; other errors are returned as they are.
func readError(err error) error {
	var corrupt flate.CorruptInputError
	switch {
	case errors.Is(err, zip.ErrFormat), errors.Is(err, zip.ErrChecksum), errors.As(err, &corrupt):
		return apperr.Wrap(err, apperr.Invalid,
			"the archive is damaged: an entry's data does not match its declared size or checksum; make the zip again")
	case errors.Is(err, zip.ErrAlgorithm):
		return apperr.Wrap(err, apperr.Invalid, "the archive uses a compression method other than deflate; make the zip again with deflate (the usual method)")
	}
	return err
}
