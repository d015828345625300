// Package store persists tc's data through gorm on SQLite (the embedded
// default) or PostgreSQL, with numbered forward-only migrations. Row structs
// here are separate from the API types of pkg/tc.
package store

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgconn"
	"gorm.io/driver/postgres"
	"gorm.io/driver/sqlite"
	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/opentc/tc/pkg/tc"
)

// Dialects.
const (
	SQLite   = "sqlite"
	Postgres = "postgres"
)

// Store is the database handle. Methods on a Store obtained from Tx run in
// that transaction.
type Store struct {
	db      *gorm.DB
	dialect string
	now     func() time.Time
	hb      *heartbeatConn // SQLite: the heartbeat writer's own connection
	hist    *historyCache
	inTx    bool // a Store of Tx (or of a request transaction)
	sealer  *sealerRef
}

// Options tunes Open.
type Options struct {
	// Now is the clock used for stored timestamps (default time.Now).
	Now func() time.Time
	// MaxOpenConns bounds the pool (default 16 on PostgreSQL, 8 on SQLite).
	MaxOpenConns int
}

// IsPostgresURL reports whether dsn selects PostgreSQL.
func IsPostgresURL(dsn string) bool {
	l := strings.ToLower(strings.TrimSpace(dsn))
	return strings.HasPrefix(l, "postgres://") || strings.HasPrefix(l, "postgresql://")
}

// SQLitePath turns a DATABASE_URL that is not a PostgreSQL URL into a file
// path: surrounding quotes and a "file:" scheme are removed, and any query
// string is dropped (tcd sets the pragmas itself).
func SQLitePath(dsn string) string {
	p := strings.Trim(strings.TrimSpace(dsn), `"'`)
	p = strings.TrimPrefix(p, "file://")
	p = strings.TrimPrefix(p, "file:")
	if i := strings.IndexByte(p, '?'); i >= 0 {
		p = p[:i]
	}
	return p
}

// Open connects to the database named by dsn. It does not migrate.
func Open(ctx context.Context, dsn string, opts Options) (*Store, error) {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	cfg := &gorm.Config{
		Logger:                 logger.Discard,
		TranslateError:         true,
		SkipDefaultTransaction: true,
		NowFunc:                func() time.Time { return opts.Now().UTC().Truncate(time.Microsecond) },
	}
	var (
		db      *gorm.DB
		err     error
		dialect string
	)
	dsn = strings.Trim(strings.TrimSpace(dsn), `"'`)
	if IsPostgresURL(dsn) {
		dialect = Postgres
		db, err = gorm.Open(postgres.New(postgres.Config{DSN: dsn}), cfg)
	} else {
		dialect = SQLite
		path := SQLitePath(dsn)
		if path == "" {
			return nil, errors.New("empty SQLite database path")
		}
		if path != ":memory:" {
			if dir := filepath.Dir(path); dir != "" {
				if err := os.MkdirAll(dir, 0o700); err != nil {
					return nil, fmt.Errorf("create database directory %s: %w", dir, err)
				}
			}
			// The file holds password and token hashes: owner-only.
			f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
			if err != nil {
				return nil, fmt.Errorf("open SQLite database %s: %w", path, err)
			}
			f.Close()
		}
		// Pragmas go in the DSN so every pooled connection gets them.
		// synchronous=FULL: a 2xx promises durability, group commit pays for it.
		q := url.Values{}
		q.Set("_journal_mode", "WAL")
		q.Set("_busy_timeout", "10000")
		q.Set("_foreign_keys", "on")
		q.Set("_synchronous", "FULL")
		q.Set("_txlock", "immediate")
		q.Set("_cache_size", "-32768") // KiB per connection: the fleet's hot pages stay in memory
		db, err = gorm.Open(sqlite.Open("file:"+path+"?"+q.Encode()), cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("open %s database: %w", dialect, err)
	}
	if err := registerRequestTx(db); err != nil {
		return nil, err
	}
	sqlDB, err := db.DB()
	if err != nil {
		return nil, err
	}
	maxOpen := opts.MaxOpenConns
	if maxOpen <= 0 {
		maxOpen = 16
		if dialect == SQLite {
			maxOpen = 8
		}
	}
	sqlDB.SetMaxOpenConns(maxOpen)
	sqlDB.SetMaxIdleConns(maxOpen)
	sqlDB.SetConnMaxIdleTime(5 * time.Minute)
	pingCtx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := sqlDB.PingContext(pingCtx); err != nil {
		sqlDB.Close()
		return nil, fmt.Errorf("connect to %s database: %w", dialect, err)
	}
	st := &Store{db: db, dialect: dialect, now: opts.Now, hist: newHistoryCache(), sealer: &sealerRef{}}
	if dialect == SQLite {
		st.hb = &heartbeatConn{}
		if path := SQLitePath(dsn); path != ":memory:" {
			st.hb.walPath = path + "-wal"
		}
	}
	return st, nil
}

// Dialect returns SQLite or Postgres.
func (s *Store) Dialect() string { return s.dialect }

// Gorm exposes the handle for packages that own their own tables.
func (s *Store) Gorm(ctx context.Context) *gorm.DB { return s.db.WithContext(ctx) }

// Now returns the store clock, UTC, truncated to microseconds (the precision
// both engines keep).
func (s *Store) Now() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

// Ping checks the database connection.
func (s *Store) Ping(ctx context.Context) error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if s.hb != nil {
		if err := s.hb.failed.get(); err != nil {
			return err
		}
	}
	return sqlDB.PingContext(ctx)
}

// Close closes the pool (and the prepared statements kept for it).
func (s *Store) Close() error {
	sqlDB, err := s.db.DB()
	if err != nil {
		return err
	}
	if s.hb != nil {
		s.hb.close()
	}
	return sqlDB.Close()
}

// Tx runs fn in one transaction; fn's store writes through it. Within an
// API write request (BeginRequest) the transaction is a savepoint of the
// request's: it commits with the request's audit entry.
func (s *Store) Tx(ctx context.Context, fn func(tx *Store) error) error {
	db := s.db
	if rt := requestTx(ctx); rt != nil && !s.inTx {
		tx, err := rt.begin(ctx)
		if err != nil {
			return err
		}
		db = tx
	}
	return db.WithContext(ctx).Transaction(func(gtx *gorm.DB) error {
		return fn(&Store{db: gtx, dialect: s.dialect, now: s.now, hb: s.hb, hist: s.hist, inTx: true, sealer: s.sealer})
	})
}

// dbErr maps driver errors to tc errors where the caller can act on them;
// anything else is returned as is (and becomes "internal error" at the edge).
func dbErr(err error, what string) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, gorm.ErrRecordNotFound):
		return tc.Errorf(tc.ENotFound, "%s not found", what)
	case errors.Is(err, gorm.ErrDuplicatedKey):
		return tc.Errorf(tc.EConflict, "%s already exists", what)
	case errors.Is(err, gorm.ErrForeignKeyViolated):
		return tc.Errorf(tc.EConflict, "%s refers to something that does not exist", what)
	}
	return err
}

// IsUnavailable reports whether err means the database cannot be reached
// right now (connection refused or lost, server shutting down or starting),
// as opposed to a problem with the request: callers answer 503 and retry.
func IsUnavailable(err error) bool {
	if err == nil {
		return false
	}
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		// Class 08: connection exception; 57P0x: admin/crash shutdown, cannot connect now.
		return strings.HasPrefix(pgErr.Code, "08") || strings.HasPrefix(pgErr.Code, "57P")
	}
	var connErr *pgconn.ConnectError
	if errors.As(err, &connErr) || errors.Is(err, driver.ErrBadConn) || pgconn.Timeout(err) {
		return true
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		return true
	}
	msg := err.Error()
	for _, s := range []string{"connection refused", "broken pipe", "connection reset", "unexpected EOF", "conn closed", "server closed the connection", "database is locked"} {
		if strings.Contains(msg, s) {
			return true
		}
	}
	return false
}
