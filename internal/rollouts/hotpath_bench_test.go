package rollouts_test

import (
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/rollouts"
)

// BenchmarkRecorderServed is what recording adds to one fetch: noting the
// record in memory (the batch write runs elsewhere), over 100,000 agents.
func BenchmarkRecorderServed(b *testing.B) {
	rec := rollouts.NewRecorder(nil, slog.Default(), time.Now, time.Hour, 0)
	r := &configs.Rendered{Kind: "config", TargetID: "cfg", Version: 3, ETag: `"e"`, LastModified: time.Unix(1000, 0)}
	ids := make([]string, 100_000)
	for i := range ids {
		ids[i] = fmt.Sprintf("bench-%07d", i)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rec.Served(ids[i%len(ids)], r, true)
			i++
		}
	})
}
