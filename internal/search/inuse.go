package search

import (
	"errors"
	"fmt"
	"path/filepath"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrInUse means another process has the index open. Bleve's on-disk index
// takes an exclusive file lock on its root.bolt, and a second opener would
// wait for it forever (a running server never lets go).
var ErrInUse = errors.New("search index is in use by another process")

// lockWait is how long opening an index waits for another process's lock:
// long enough for a server that is stopping to let go, short enough for a
// command to say what is wrong at once.
const lockWait = "1s"

// InUse reports whether another process has the index at path open (its
// store/root.bolt is where Bleve takes the lock). It
// tries, without waiting, the shared lock a reader would take; the
// exclusive lock of an open index refuses it. A missing or unreadable
// index is not in use (Open says what is wrong with it).
func InUse(path string) bool {
	db, err := bolt.Open(filepath.Join(path, "store", "root.bolt"), 0, &bolt.Options{ReadOnly: true, Timeout: time.Nanosecond})
	if err != nil {
		return errors.Is(err, bolterrors.ErrTimeout)
	}
	_ = db.Close()
	return false
}

// lockErr turns Bleve's lock timeout at path into ErrInUse; other errors
// pass unchanged.
func lockErr(path string, err error) error {
	if errors.Is(err, bolterrors.ErrTimeout) {
		return fmt.Errorf("%w: %s", ErrInUse, path)
	}
	return err
}
