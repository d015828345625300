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

// rolloutGroupsLockKey is the lock of LockRolloutGroups.
const rolloutGroupsLockKey = 7_451_220_041

// LockRolloutGroups serializes the rule of one rollout per config group:
// starting a rollout (its check and its insert, in one transaction) and
// changing a group's members (its check that no two members are being
// rolled out, and its write) each take it, so neither can miss the other's
// uncommitted change. PostgreSQL runs READ COMMITTED: without it, two
// simultaneous starts of configs sharing a group, or a start and a group
// edit, each passed the check blind to the other's insert. On SQLite the
// write transaction already excludes every other writer.
//
// It is one lock for every group, held until the transaction ends (an
// advisory lock): which groups a start involves depends on memberships a
// concurrent group change is rewriting, so per-group locks would have to
// be taken before knowing which; and both are rare administrative writes.
//
// Take it before any other write of the transaction: its holders go on to
// write the configuration tables (which apply and the checked config
// writes lock whole) and the cluster change counters, so a transaction
// holding one of those and then waiting for it would deadlock with them.
// Called outside Store.Tx within an API request, it is taken in the
// request's transaction (for a request that writes before its Tx);
// outside both there is no transaction to hold it and it does nothing.
func (s *Store) LockRolloutGroups(ctx context.Context) error {
	if s.dialect != Postgres || (!s.inTx && requestTx(ctx) == nil) {
		return nil
	}
	return s.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock("+AdvisoryKeySQL+")", rolloutGroupsLockKey).Error
}
