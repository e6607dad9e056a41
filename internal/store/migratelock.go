package store

import (
	"context"
	"database/sql"
	"fmt"
	"os"
	"syscall"
)

// fileLocker serialises migrations of one SQLite file across processes with
// an advisory lock on a file beside it (goose's SessionLocker contract);
// PostgreSQL uses goose's advisory-lock locker instead.
type fileLocker struct {
	path string
	f    *os.File
}

func (l *fileLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open migration lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return fmt.Errorf("take migration lock: %w", err)
	}
	l.f = f
	return ctx.Err()
}

func (l *fileLocker) SessionUnlock(context.Context, *sql.Conn) error {
	if l.f == nil {
		return nil
	}
	defer func() { l.f = nil }()
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
