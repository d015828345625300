package store

import "context"

// Advisory locks on PostgreSQL are database-wide, but tcd keeps its tables in
// one schema (the search_path of DATABASE_URL): two deployments in different
// schemas of one database must not elect one leader between them, skip each
// other's scheduler ticks or serialize each other's audit appends. Every key
// is therefore mixed with a hash of the current schema (in the high 32 bits,
// so the per-purpose constants below stay distinct).

// AdvisoryKeySQL is the SQL expression of the lock key for a constant passed
// as its one placeholder. It works with gorm (?) and pgx ($1) placeholders
// alike when the caller substitutes its own: see AdvisoryKeyPgx.
const AdvisoryKeySQL = "(?::bigint # (hashtext(current_schema())::bigint << 32))"

// AdvisoryKeyPgx is AdvisoryKeySQL with pgx's positional placeholder.
const AdvisoryKeyPgx = "($1::bigint # (hashtext(current_schema())::bigint << 32))"

// LockRow takes the row lock of one row for the rest of the transaction on
// PostgreSQL (SELECT … FOR UPDATE), so a check of the row's current state
// made after it cannot be overtaken by another writer; on SQLite the
// transaction already holds the database's write lock. table and col are
// tcd's own identifiers, never input.
func (s *Store) LockRow(ctx context.Context, table, col, key string) error {
	if s.dialect != Postgres {
		return nil
	}
	var n []int
	return s.db.WithContext(ctx).Raw("SELECT 1 FROM "+table+" WHERE "+col+" = ? FOR UPDATE", key).Scan(&n).Error
}
