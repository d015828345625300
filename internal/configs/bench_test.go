package configs_test

import (
	"net/url"
	"testing"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// BenchmarkRenderHit measures what every agent's HEAD costs on a cache hit.
func BenchmarkRenderHit(b *testing.B) {
	svc, _ := newService(b, testutil.SQLiteDSN(b), configs.Options{})
	cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: "[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n"})
	if err != nil {
		b.Fatal(err)
	}
	q := url.Values{"agent_id": {"web-01"}}
	if _, err := svc.RenderConfig(bg, cfg.ID, q); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := svc.RenderConfig(bg, cfg.ID, q); err != nil {
				b.Fatal(err)
			}
		}
	})
}
