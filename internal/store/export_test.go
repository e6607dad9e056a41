package store

import "context"

// MigrateTo applies migrations up to version only, so a test can put rows
// in the shape of an older schema before the next migration runs.
func (s *Store) MigrateTo(ctx context.Context, version int64) error {
	p, err := s.migrator()
	if err != nil {
		return err
	}
	_, err = p.UpTo(ctx, version)
	return err
}
