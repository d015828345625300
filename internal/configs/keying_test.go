package configs_test

import (
	"fmt"
	"math/rand"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/opentc/tc/internal/configs"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// misses counts the renderings a function caused (the service's stats).
func misses(svc *configs.Service, fn func()) int64 {
	_, m0, _ := svc.RenderStats()
	fn()
	_, m1, _ := svc.RenderStats()
	return m1 - m0
}

func agentQuery(i int) url.Values {
	return url.Values{"agent_id": {fmt.Sprintf("bench-%07d", i)}, "region": {"us-east-1"}, "unused": {fmt.Sprint(i)}}
}

func mustServe(t *testing.T, svc *configs.Service, kind, ref string, q url.Values) *configs.Rendered {
	t.Helper()
	r, err := svc.Serve(bg, kind, ref, q, q.Get("agent_id"), false)
	if err != nil {
		t.Fatalf("serve %s %s?%s: %v", kind, ref, q.Encode(), err)
	}
	return r
}

// 10,000 agents with distinct agent_id (and another parameter no template
// uses) polling a config without parameters cost one rendering; a
// parameter the config references still gives each value its own body; a
// write that makes the config use agent_id serves per-agent bodies at once.
func TestRenderKeyedByReferencedParameters(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		svc, _ := newService(t, e.DSN, configs.Options{})
		plain, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "plain", TOML: "[[inputs.mem]]\n"})
		if err != nil {
			t.Fatal(err)
		}
		var first *configs.Rendered
		n := misses(svc, func() {
			for i := 0; i < 10000; i++ {
				r := mustServe(t, svc, "config", plain.ID, agentQuery(i))
				if first == nil {
					first = r
				} else if r != first {
					t.Fatalf("agent %d got another rendering", i)
				}
			}
		})
		if n != 1 {
			t.Fatalf("10,000 distinct agents caused %d renderings, want 1", n)
		}
		if svc.CacheLen() != 1 {
			t.Fatalf("cache holds %d renderings, want 1", svc.CacheLen())
		}

		// A referenced parameter (also in a comment) keys the rendering.
		per, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "per",
			TOML: "# site &{site}\n[global_tags]\n  region = \"&{region}\"\n"})
		if err != nil {
			t.Fatal(err)
		}
		a := mustServe(t, svc, "config", per.ID, url.Values{"region": {"eu"}, "agent_id": {"a1"}})
		b := mustServe(t, svc, "config", per.ID, url.Values{"region": {"us"}, "agent_id": {"a1"}})
		if string(a.Body) == string(b.Body) || a.ETag == b.ETag || !strings.Contains(string(b.Body), `region = "us"`) {
			t.Fatalf("two regions, one body:\n%s\n%s", a.Body, b.Body)
		}
		if c := mustServe(t, svc, "config", per.ID, url.Values{"region": {"eu"}, "agent_id": {"a2"}}); c != a {
			t.Fatal("another agent_id with the same region was rendered again")
		}
		d := mustServe(t, svc, "config", per.ID, url.Values{"region": {"eu"}, "site": {"s1"}})
		if !strings.Contains(string(d.Body), "# site s1") || d == a {
			t.Fatalf("a parameter used in a comment is not part of the key:\n%s", d.Body)
		}
		// A required parameter still fails per query.
		for i := 0; i < 3; i++ {
			if _, err := svc.Serve(bg, "config", per.ID, url.Values{"agent_id": {fmt.Sprint(i)}}, "", false); !tc.IsCode(err, tc.EInvalid) {
				t.Fatalf("missing region: %v", err)
			}
		}
		if r := mustServe(t, svc, "config", per.ID, url.Values{"region": {"ap"}}); !strings.Contains(string(r.Body), `"ap"`) {
			t.Fatalf("after a refusal: %s", r.Body)
		}

		// The write starts using agent_id: per-agent bodies right after it.
		toml := "[agent]\n  hostname = \"&{agent_id}\"\n"
		if _, err := svc.UpdateConfig(bg, "root", plain.ID, tc.UpdateConfigRequest{TOML: &toml}); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 3; i++ {
			r := mustServe(t, svc, "config", plain.ID, agentQuery(i))
			if want := fmt.Sprintf(`hostname = "bench-%07d"`, i); !strings.Contains(string(r.Body), want) {
				t.Fatalf("after the write agent %d got\n%s", i, r.Body)
			}
		}
	})
}

// The same for a group: its parameters are the union of its members'.
func TestGroupRenderKeyedByReferencedParameters(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		svc, _ := newService(t, e.DSN, configs.Options{})
		m1, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "m1", TOML: "[[inputs.mem]]\n"})
		if err != nil {
			t.Fatal(err)
		}
		m2, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "m2", TOML: "[[inputs.cpu]]\n"})
		if err != nil {
			t.Fatal(err)
		}
		g, err := svc.CreateGroup(bg, tc.GroupRequest{Name: "g", Members: []string{m1.ID, m2.ID}})
		if err != nil {
			t.Fatal(err)
		}
		n := misses(svc, func() {
			for i := 0; i < 10000; i++ {
				mustServe(t, svc, "group", g.ID, agentQuery(i))
			}
		})
		if n != 1 {
			t.Fatalf("10,000 distinct agents caused %d group renderings, want 1", n)
		}
		// The second member starts using agent_id: per-agent documents.
		toml := "[[inputs.cpu]]\n  name_suffix = \"_&{agent_id}\"\n"
		if _, err := svc.UpdateConfig(bg, "root", m2.ID, tc.UpdateConfigRequest{TOML: &toml}); err != nil {
			t.Fatal(err)
		}
		a := mustServe(t, svc, "group", g.ID, agentQuery(1))
		b := mustServe(t, svc, "group", g.ID, agentQuery(2))
		if a == b || !strings.Contains(string(a.Body), "_bench-0000001") || !strings.Contains(string(b.Body), "_bench-0000002") {
			t.Fatalf("per-agent group documents expected:\n%s\n%s", a.Body, b.Body)
		}
		if c := mustServe(t, svc, "group", g.ID, url.Values{"agent_id": {"bench-0000001"}, "other": {"x"}}); c != a {
			t.Fatal("a parameter no member uses changed the group's rendering")
		}
	})
}

// router routes agents named new-* to one version during a fake rollout.
type router struct {
	version atomic.Int64
	lm      int64
}

func (r *router) Route(_, agent string) (int, int64, bool) {
	if strings.HasPrefix(agent, "new-") {
		return int(r.version.Load()), r.lm, true
	}
	return 0, 0, false
}
func (r *router) Active(string) string { return "" }
func (r *router) Any() bool            { return true }

// The same for the versions a rollout serves.
func TestVersionedRenderKeyedByReferencedParameters(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		svc, _ := newService(t, e.DSN, configs.Options{})
		cfg, err := svc.CreateConfig(bg, "root", tc.CreateConfigRequest{Name: "c", TOML: "[[inputs.mem]]\n"})
		if err != nil {
			t.Fatal(err)
		}
		_, v2, err := svc.AddVersion(bg, "root", cfg.ID, "[[inputs.mem]]\n# v2\n", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, _, err := svc.SetConstant(bg, "region", "eu", true); err != nil {
			t.Fatal(err)
		}
		_, v3, err := svc.AddVersion(bg, "root", cfg.ID, "[agent]\n  hostname = \"&{agent_id}\"\n  region = \"::{region}\"\n", "")
		if err != nil {
			t.Fatal(err)
		}
		rt := &router{lm: svc.UnixNow() + 100}
		rt.version.Store(int64(v2))
		svc.SetRollouts(rt, nil)
		n := misses(svc, func() {
			for i := 0; i < 10000; i++ {
				q := agentQuery(i)
				q.Set("agent_id", fmt.Sprintf("new-%d", i))
				if r := mustServe(t, svc, "config", cfg.ID, q); r.Version != v2 || !strings.Contains(string(r.Body), "# v2") {
					t.Fatalf("agent %d: version %d\n%s", i, r.Version, r.Body)
				}
				if r := mustServe(t, svc, "config", cfg.ID, agentQuery(i)); r.Version != 1 {
					t.Fatalf("agent %d outside the stage: version %d", i, r.Version)
				}
			}
		})
		if n != 2 {
			t.Fatalf("20,000 fetches of two versions caused %d renderings, want 2", n)
		}
		// A version that uses agent_id is rendered per agent.
		rt.version.Store(int64(v3))
		a := mustServe(t, svc, "config", cfg.ID, url.Values{"agent_id": {"new-a"}})
		b := mustServe(t, svc, "config", cfg.ID, url.Values{"agent_id": {"new-b"}})
		if a.Version != v3 || !strings.Contains(string(a.Body), `hostname = "new-a"`) || !strings.Contains(string(b.Body), `hostname = "new-b"`) {
			t.Fatalf("per-agent bodies of version %d expected:\n%s\n%s", v3, a.Body, b.Body)
		}
		// A write (the constant) is seen by the version's next rendering.
		if _, _, err := svc.SetConstant(bg, "region", "us", false); err != nil {
			t.Fatal(err)
		}
		if c := mustServe(t, svc, "config", cfg.ID, url.Values{"agent_id": {"new-a"}}); !strings.Contains(string(c.Body), `region = "us"`) {
			t.Fatalf("after the write:\n%s", c.Body)
		}
	})
}

// A rendering depends on the query only through render.QueryNames: the
// same body, or the same error, with the query restricted to those names.
func TestRenderDependsOnlyOnQueryNames(t *testing.T) {
	rng := rand.New(rand.NewSource(20))
	consts := map[string]string{"c0": "x", "c1": "1", "c2": "a b", "c3": "\""}
	for i := 0; i < 3000; i++ {
		tmpl := randomTemplate(rng)
		q := randomQuery(rng)
		q.Set("agent_id", fmt.Sprint(i))
		names := render.QueryNames(tmpl)
		sub := url.Values{}
		for _, n := range names {
			if v, ok := q[n]; ok {
				sub[n] = v
			}
		}
		full, errFull := render.RenderWith(tmpl, consts, q, render.Options{MaxBytes: 4096})
		part, errPart := render.RenderWith(tmpl, consts, sub, render.Options{MaxBytes: 4096})
		if full != part || fmt.Sprint(errFull) != fmt.Sprint(errPart) {
			t.Fatalf("template\n%s\nnames %v, query %v: %q %v / restricted %q %v", tmpl, names, q, full, errFull, part, errPart)
		}
		if render.CanonicalSubset("", q, names) != render.CanonicalQuery(sub) {
			t.Fatalf("CanonicalSubset %q, CanonicalQuery %q", render.CanonicalSubset("", q, names), render.CanonicalQuery(sub))
		}
	}
}
