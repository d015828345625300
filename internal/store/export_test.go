package store

import "context"

// MigrateTo applies the migrations up to version: tests of a migration
// start from the schema before it.
func (s *Store) MigrateTo(ctx context.Context, version int) ([]int, error) {
	return s.migrateTo(ctx, version)
}
