package store

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
