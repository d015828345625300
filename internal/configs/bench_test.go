package configs_test

import (
	"fmt"
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

// BenchmarkRenderDistinctAgents: every request from another agent_id (as
// 100,000 agents polling), against a config that does not use agent_id
// (one rendering for all: cache hits) and one that does (each agent its
// own rendering: misses beyond the cache's 4,096 bodies, rendered from
// memory). used-head polls with HEAD: answered from the ETags the cache
// keeps beyond its bodies, once every agent was served.
func BenchmarkRenderDistinctAgents(b *testing.B) {
	for _, c := range []struct {
		name, toml string
		head       bool
	}{
		{"unused", "[[outputs.heartbeat]]\n  url = \"http://tc:8888/heartbeat\"\n", false},
		{"used", "[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n", false},
		{"used-head", "[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n", true},
	} {
		head := c.head
		b.Run(c.name, func(b *testing.B) {
			svc, _ := newService(b, testutil.SQLiteDSN(b), configs.Options{})
			cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: c.toml})
			if err != nil {
				b.Fatal(err)
			}
			qs := make([]url.Values, 100000)
			for i := range qs {
				qs[i] = url.Values{"agent_id": {fmt.Sprintf("bench-%07d", i)}, "region": {"eu-1"}}
			}
			for _, q := range qs {
				if _, err := svc.Serve(bg, "config", cfg.ID, q, q.Get("agent_id"), false); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := qs[i%len(qs)]
				if _, err := svc.Serve(bg, "config", cfg.ID, q, q.Get("agent_id"), head); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// otherRollout routes only a config that is not in the benchmark's group:
// a rollout runs elsewhere.
type otherRollout struct{}

func (otherRollout) Route(configID, agent string) (int, int64, bool) {
	if configID == "elsewhere" {
		return 2, 1, true
	}
	return 0, 0, false
}
func (otherRollout) Active(string) string { return "" }
func (otherRollout) Any() bool            { return true }

// BenchmarkServeGroup is a group fetch (three members, one using
// agent_id) on a cache hit, as 100,000 agents poll it: with no rollout, and
// while a rollout of a config outside the group runs (each member asks the
// router). GET, and HEAD answered from the kept ETags.
func BenchmarkServeGroup(b *testing.B) {
	for _, c := range []struct {
		name          string
		rollout, head bool
	}{{"no-rollout", false, false}, {"no-rollout-head", false, true}, {"rollout-elsewhere", true, false}, {"rollout-elsewhere-head", true, true}} {
		b.Run(c.name, func(b *testing.B) {
			svc, _ := newService(b, testutil.SQLiteDSN(b), configs.Options{})
			var ids []string
			for i, t := range []string{"[[inputs.cpu]]\n", "[global_tags]\n  id = \"&{agent_id}\"\n", "[[outputs.discard]]\n"} {
				cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: fmt.Sprintf("m%d", i), TOML: t})
				if err != nil {
					b.Fatal(err)
				}
				ids = append(ids, cfg.ID)
			}
			g, err := svc.CreateGroup(bg, tc.GroupRequest{Name: "g", Members: ids})
			if err != nil {
				b.Fatal(err)
			}
			if c.rollout {
				svc.SetRollouts(otherRollout{}, nil)
			}
			qs := make([]url.Values, 100000)
			for i := range qs {
				qs[i] = url.Values{"agent_id": {fmt.Sprintf("bench-%07d", i)}}
			}
			for _, q := range qs {
				if _, err := svc.Serve(bg, "group", g.ID, q, q.Get("agent_id"), false); err != nil {
					b.Fatal(err)
				}
			}
			head := c.head
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				q := qs[i%len(qs)]
				if _, err := svc.Serve(bg, "group", g.ID, q, q.Get("agent_id"), head); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
