package store

import "testing"

func TestPostgresAdvisories(t *testing.T) {
	if got := postgresAdvisories("off"); len(got) != 1 {
		t.Fatalf("autovacuum off: %q, want one advisory", got)
	}
	if got := postgresAdvisories("on"); len(got) != 0 {
		t.Fatalf("autovacuum on: %q, want none", got)
	}
}
