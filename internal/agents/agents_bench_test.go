package agents_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
)

// benchBody is a heartbeat as Telegraf 1.39 sends it (fixture runA), with
// two log entries.
func benchBody(id string, counter uint64) []byte {
	return fmt.Appendf(nil, `{"id":%q,"version":"Telegraf 1.39.3 (git: HEAD@eb37a442)","schema":1,"last":1763800000,"hostname":"vm",`+
		`"configurations":["http://127.0.0.1:18931/api/configs/abc/toml?agent_id=%s"],"statistics":{"errors":0,"warnings":1,"metrics":%d},`+
		`"logs":[{"time":"2026-11-22T10:00:00Z","level":"WARN","source":"inputs.cpu","message":"collection took longer than expected"},`+
		`{"time":"2026-11-22T10:00:01Z","level":"INFO","source":"agent","attributes":{"plugin":"cpu"},"message":"hello"}],"status":"OK"}`, id, id, counter)
}

func BenchmarkDecode(b *testing.B) {
	body := benchBody("web-01", 42)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, err := agents.Decode(body); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeLenient is a heartbeat that the strict pass does not take:
// benchBody with one field tcd does not know, as a newer Telegraf may send.
func BenchmarkDecodeLenient(b *testing.B) {
	body := benchBody("web-01", 42)
	body = append([]byte(`{"uptime_s":12,`), body[1:]...)
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		hb, err := agents.Decode(body)
		if err != nil || len(hb.Unknown) != 1 {
			b.Fatal(hb, err)
		}
	}
}

// BenchmarkDecodeIngest is the heartbeat path below HTTP: decode, then
// ingest through the group-commit writer until committed, from 64
// concurrent senders over 10,000 agents. One op is one durable heartbeat.
func BenchmarkDecodeIngest(b *testing.B) {
	for _, e := range testutil.Engines(b) {
		b.Run(e.Name, func(b *testing.B) {
			ctx := context.Background()
			st, err := store.Open(ctx, e.DSN, store.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { st.Close() })
			if _, err := st.Migrate(ctx); err != nil {
				b.Fatal(err)
			}
			svc, err := agents.NewService(ctx, st, agents.Options{})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { svc.Close() })
			var n atomic.Uint64
			b.ReportAllocs()
			b.SetParallelism(32) // 64 senders on 2 CPUs
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					i := n.Add(1)
					hb, err := agents.Decode(benchBody(fmt.Sprintf("agent-%05d", i%10000), i))
					if err != nil {
						b.Fatal(err)
					}
					if err := svc.Ingest(ctx, hb, "127.0.0.1"); err != nil {
						b.Fatal(err)
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "heartbeats/s")
		})
	}
}
