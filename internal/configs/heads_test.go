package configs_test

import (
	"fmt"
	"net/url"
	"testing"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A cache that keeps 64 bodies (4,096 ETags) answers HEAD for 2,000 agents whose template
// uses agent_id from the ETags it keeps beyond them: no rendering, the same
// ETag, Last-Modified, target, version and length as the body had — for a
// config, a group and a rollout's version. A write drops them with the
// bodies, and the next HEAD names the new rendering.
func TestHeadsAnsweredBeyondTheBodies(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		svc, _ := newService(t, e.DSN, configs.Options{CacheEntries: 64})
		cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: "[agent]\n  hostname = \"&{agent_id}\"\n"})
		if err != nil {
			t.Fatal(err)
		}
		grp, err := svc.CreateGroup(bg, tc.GroupRequest{Name: "g", Members: []string{cfg.ID}})
		if err != nil {
			t.Fatal(err)
		}
		_, v2, err := svc.AddVersion(bg, "root", cfg.ID, "[agent]\n  hostname = \"&{agent_id}\"\n  interval = \"20s\"\n", "")
		if err != nil {
			t.Fatal(err)
		}
		rt := &router{lm: svc.UnixNow() + 100}
		rt.version.Store(int64(v2))
		svc.SetRollouts(rt, nil)

		const n = 2000
		for _, tgt := range []struct {
			kind, ref, prefix string
			version           int
		}{
			{"config", cfg.ID, "a-", 1},
			{"group", grp.ID, "a-", 0},
			{"config", cfg.ID, "new-", v2},
		} {
			q := func(i int) url.Values { return url.Values{"agent_id": {fmt.Sprintf("%s%05d", tgt.prefix, i)}} }
			full := make([]*configs.Rendered, n)
			for i := range full {
				full[i] = mustServe(t, svc, tgt.kind, tgt.ref, q(i))
				if full[i].Headers() || full[i].Version != tgt.version {
					t.Fatalf("%s %s: GET answered headers only or version %d", tgt.kind, tgt.prefix, full[i].Version)
				}
			}
			heads := 0
			m := misses(svc, func() {
				for i := range full {
					r, err := svc.Serve(bg, tgt.kind, tgt.ref, q(i), q(i).Get("agent_id"), true)
					if err != nil {
						t.Fatal(err)
					}
					if r.Headers() {
						heads++
					}
					f := full[i]
					if r.ETag != f.ETag || !r.LastModified.Equal(f.LastModified) || r.HTTPLastModified() != f.HTTPLastModified() ||
						r.ContentLength() != len(f.Body) || r.TargetID != f.TargetID || r.Version != f.Version || r.Kind != f.Kind || r.Name != f.Name {
						t.Fatalf("%s %s agent %d: HEAD %+v, body had %+v", tgt.kind, tgt.prefix, i, r, f)
					}
				}
			})
			if m != 0 || heads < n-64 {
				t.Fatalf("%s %s: %d HEADs rendered %d times, %d answered by headers", tgt.kind, tgt.prefix, n, m, heads)
			}
			// A GET is never answered without its body.
			if r := mustServe(t, svc, tgt.kind, tgt.ref, q(0)); r.Headers() || string(r.Body) != string(full[0].Body) {
				t.Fatalf("GET after HEAD: %+v", r)
			}
		}

		// A write ends the generation: the next HEAD renders the new body's ETag.
		old := mustServe(t, svc, "config", cfg.ID, url.Values{"agent_id": {"a-00001"}})
		toml := "[agent]\n  hostname = \"&{agent_id}\"\n  debug = true\n"
		if _, err := svc.UpdateConfig(bg, "root", cfg.ID, tc.UpdateConfigRequest{TOML: &toml}); err != nil {
			t.Fatal(err)
		}
		r, err := svc.Serve(bg, "config", cfg.ID, url.Values{"agent_id": {"a-00001"}}, "a-00001", true)
		if err != nil {
			t.Fatal(err)
		}
		if r.Headers() || r.ETag == old.ETag || r.Version != v2+1 {
			t.Fatalf("HEAD after the write: %+v (before: %s)", r, old.ETag)
		}
	})
}
