package testutil

import (
	"context"
	"database/sql"
	"testing"
	"time"
)

func TestPrivatePostgres(t *testing.T) {
	s := StartPrivatePostgres(t)
	ping := func() error {
		db, err := sql.Open("pgx", s.DSN)
		if err != nil {
			return err
		}
		defer db.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		return db.PingContext(ctx)
	}
	if err := ping(); err != nil {
		t.Fatal(err)
	}
	s.Stop()
	if err := ping(); err == nil {
		t.Fatal("still reachable after Stop")
	}
	s.Start()
	if err := ping(); err != nil {
		t.Fatal(err)
	}
}
