package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"syscall"
	"time"
)

// fileLocker serialises migrations of one SQLite file across processes with
// an advisory lock on a file beside it (goose's SessionLocker contract);
// PostgreSQL uses goose's advisory-lock locker instead.
type fileLocker struct {
	path string
	log  *slog.Logger
	f    *os.File
}

// lockPoll is how often a busy migration lock is tried again.
const lockPoll = 50 * time.Millisecond

// SessionLock takes the lock, waiting for another process's migration to
// end. A blocking flock would ignore ctx (and SIGTERM) for as long as that
// takes, so the lock is tried without blocking until it is free or ctx ends.
func (l *fileLocker) SessionLock(ctx context.Context, _ *sql.Conn) error {
	f, err := os.OpenFile(l.path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("open migration lock: %w", err)
	}
	if err := l.flock(ctx, f); err != nil {
		f.Close()
		return fmt.Errorf("take migration lock: %w", err)
	}
	l.f = f
	return ctx.Err()
}

func (l *fileLocker) flock(ctx context.Context, f *os.File) error {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if !errors.Is(err, syscall.EWOULDBLOCK) {
		return err
	}
	if l.log != nil {
		l.log.InfoContext(ctx, "waiting for another process's database migration to finish", "lock", l.path)
	}
	t := time.NewTicker(lockPoll)
	defer t.Stop()
	for errors.Is(err, syscall.EWOULDBLOCK) {
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-t.C:
		}
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	}
	return err
}

func (l *fileLocker) SessionUnlock(context.Context, *sql.Conn) error {
	if l.f == nil {
		return nil
	}
	defer func() { l.f = nil }()
	_ = syscall.Flock(int(l.f.Fd()), syscall.LOCK_UN)
	return l.f.Close()
}
