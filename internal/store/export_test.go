package store

import "context"

// MigrateTo applies the migrations up to version: tests of a migration
// start from the schema before it.
func (s *Store) MigrateTo(ctx context.Context, version int) ([]int, error) {
	return s.migrateTo(ctx, version)
}

// QueryString runs a query that returns one text value (tests read
// server settings with it).
func (s *Store) QueryString(ctx context.Context, q string) (string, error) {
	var v string
	err := s.db.WithContext(ctx).Raw(q).Scan(&v).Error
	return v, err
}
