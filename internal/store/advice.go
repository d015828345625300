package store

import (
	"context"
	"fmt"
)

// Advisories returns what the database's own configuration does to tcd
// that its operator should know, one sentence each; tcd logs them as
// warnings when it starts. SQLite has none.
func (s *Store) Advisories(ctx context.Context) ([]string, error) {
	if s.dialect != Postgres {
		return nil, nil
	}
	var autovacuum string
	if err := s.db.WithContext(ctx).Raw(`SELECT current_setting('autovacuum')`).Scan(&autovacuum).Error; err != nil {
		return nil, fmt.Errorf("read PostgreSQL settings: %w", err)
	}
	return postgresAdvisories(autovacuum), nil
}

// postgresAdvisories judges the settings Advisories read.
func postgresAdvisories(autovacuum string) []string {
	var out []string
	if autovacuum == "off" {
		// Measured (docs/performance.md): a freshly registered fleet of
		// 100,000 agents heartbeated at 5,300/s with p99 88 ms until its
		// tables were analysed, then at 12,700/s with p99 10 ms.
		out = append(out, "PostgreSQL's autovacuum is off: the planner's statistics of the agent tables go stale as "+
			"the fleet grows, which halves heartbeat throughput, and dead rows are never reclaimed; "+
			"turn autovacuum on (postgresql.conf) or run VACUUM ANALYZE regularly")
	}
	return out
}
