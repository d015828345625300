// Package testutil holds helpers shared by tests: databases on both engines
// and a real tcd started on free ports.
package testutil

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // database/sql driver for schema set-up
)

// DefaultPostgresURL is where tests find PostgreSQL unless
// TC_TEST_POSTGRES_URL says otherwise.
const DefaultPostgresURL = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// Engine is one database a test runs against.
type Engine struct {
	Name string // "sqlite" or "postgres"
	DSN  string
}

// Engines returns a fresh SQLite file and a fresh PostgreSQL schema. Under
// CI=true an unreachable PostgreSQL fails the test; elsewhere it is skipped
// with a message (set TC_TEST_POSTGRES_URL to point somewhere else).
func Engines(t testing.TB) []Engine {
	t.Helper()
	out := []Engine{{Name: "sqlite", DSN: SQLiteDSN(t)}}
	if dsn, ok := PostgresDSN(t); ok {
		out = append(out, Engine{Name: "postgres", DSN: dsn})
	}
	return out
}

// ForEachEngine runs fn as a subtest per engine.
func ForEachEngine(t *testing.T, fn func(t *testing.T, e Engine)) {
	t.Helper()
	for _, name := range []string{"sqlite", "postgres"} {
		t.Run(name, func(t *testing.T) {
			var e Engine
			if name == "sqlite" {
				e = Engine{Name: name, DSN: SQLiteDSN(t)}
			} else {
				dsn, ok := PostgresDSN(t)
				if !ok {
					return
				}
				e = Engine{Name: name, DSN: dsn}
			}
			fn(t, e)
		})
	}
}

// SQLiteDSN returns the path of a new SQLite file in a temp dir.
func SQLiteDSN(t testing.TB) string {
	return filepath.Join(t.TempDir(), "tcd.db")
}

// PostgresDSN creates a schema of its own for the test and returns a URL whose
// search_path selects it; the schema is dropped at cleanup.
func PostgresDSN(t testing.TB) (string, bool) {
	t.Helper()
	base := os.Getenv("TC_TEST_POSTGRES_URL")
	if base == "" {
		base = DefaultPostgresURL
	}
	db, err := sql.Open("pgx", base)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
	}
	if err != nil {
		if db != nil {
			db.Close()
		}
		msg := fmt.Sprintf("PostgreSQL at %s is not reachable (%v); start it with `make postgres` or set TC_TEST_POSTGRES_URL", redact(base), err)
		if os.Getenv("CI") == "true" {
			t.Fatal(msg)
		}
		t.Skip(msg)
		return "", false
	}
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "t_" + hex.EncodeToString(b[:])
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		db.Close()
		t.Fatalf("create test schema: %v", err)
	}
	t.Cleanup(func() {
		_, _ = db.Exec("DROP SCHEMA " + schema + " CASCADE")
		db.Close()
	})
	u, err := url.Parse(base)
	if err != nil {
		t.Fatalf("parse %s: %v", redact(base), err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), true
}

func redact(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable URL)"
	}
	return p.Redacted()
}
