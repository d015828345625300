package store_test

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

func openB(b *testing.B, dsn string) *store.Store {
	b.Helper()
	s, err := store.Open(context.Background(), dsn, store.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	if _, err := s.Migrate(context.Background()); err != nil {
		b.Fatal(err)
	}
	if err := s.EnsureDefaultRule(context.Background()); err != nil {
		b.Fatal(err)
	}
	return s
}

func benchRow(i int, at int64, counter uint64) store.HeartbeatRow {
	cfg := `[{"url":"http://127.0.0.1:8888/api/configs/bench/toml?agent_id=x","managed":false}]`
	last := at - 10_000
	return store.HeartbeatRow{AgentID: fmt.Sprintf("bench-%07d", i), Hostname: "host", IP: "127.0.0.1",
		Version: "Telegraf 1.39.3 (git: HEAD@eb37a442)", VersionNumber: "1.39.3", Status: tc.StatusOK, AtMs: at,
		HasLast: true, LastSuccessMs: &last, Configurations: &cfg, Stats: &tc.Statistics{Warnings: 1, Metrics: counter}}
}

// BenchmarkWriteHeartbeats is the group-commit transaction: one op is one
// heartbeat, written in batches over a fleet of 100,000 agents that already
// exist, in a scattered order (as agents report), with the clock advancing
// as if 20,000 heartbeats/s arrived (so every agent adds a history record
// once a minute).
func BenchmarkWriteHeartbeats(b *testing.B) {
	fleet := 100_000
	if v, _ := strconv.Atoi(os.Getenv("TC_BENCH_AGENTS")); v > 0 {
		fleet = v
	}
	for _, e := range testutil.Engines(b) {
		for _, batch := range []int{20, 64, 512} {
			b.Run(fmt.Sprintf("%s/batch=%d", e.Name, batch), func(b *testing.B) {
				s := openB(b, e.DSN)
				ctx := context.Background()
				start := time.Now().UnixMilli()
				rows := make([]store.HeartbeatRow, 0, 1000)
				for i := 0; i < fleet; i++ { // the fleet, not timed
					rows = append(rows, benchRow(i, start, 0))
					if len(rows) == cap(rows) || i == fleet-1 {
						if err := s.WriteHeartbeats(ctx, rows); err != nil {
							b.Fatal(err)
						}
						rows = rows[:0]
					}
				}
				// A stride coprime to the fleet size visits every agent once
				// per pass, each batch on scattered pages.
				stride := 7919
				for fleet%stride == 0 {
					stride += 2
				}
				// As agents.Writer does: commit the next batch while the
				// previous one is being made durable.
				waits := make(chan func() error, 64)
				waited := make(chan error, 1)
				go func() {
					var first error
					for wait := range waits {
						if err := wait(); err != nil && first == nil {
							first = err
						}
					}
					waited <- first
				}()
				b.ReportAllocs()
				b.ResetTimer()
				for i := 0; i < b.N; i++ {
					rows = append(rows, benchRow(i*stride%fleet, start+int64(i/20), uint64(i)))
					if len(rows) == batch || i == b.N-1 {
						durable, err := s.CommitHeartbeats(ctx, rows)
						if err != nil {
							b.Fatal(err)
						}
						if durable != nil {
							waits <- durable
						}
						rows = rows[:0]
					}
				}
				close(waits)
				if err := <-waited; err != nil {
					b.Fatal(err)
				}
				b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
			})
		}
	}
}
