package e2e

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// A HEAD (or conditional GET) answered from the ETags the
// render cache keeps beyond its bodies carries exactly the headers and
// status of the GET, for config, group and alias URLs, the download form,
// errors (400) and unauthenticated requests (401); after writes (config
// update, alias retarget) no HEAD answers with the old ETag; a flood of
// distinct query strings keeps at most 64 ETags per cache entry.
func TestHeadMatchesGet(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, func(c *config.Config) { c.RenderCacheEntries = 16 })
		c := d.Setup(t)
		cfg := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "per agent", TOML: "[global_tags]\n  id = \"&{agent_id}\"\n  site = \"&{site}\"\n"}))
		other := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "other", TOML: "[[inputs.exec]]\n  commands = [\"echo &{agent_id}\"]\n"}))
		g := must[tc.ConfigGroup](t)(c.CreateGroup(bg, tc.GroupRequest{Name: "grp", Members: []string{cfg.ID, other.ID}}))
		must[tc.Alias](t)(c.PutAlias(bg, "al-x", tc.AliasRequest{ConfigID: cfg.ID}))
		do := func(method, path, query, token string, h ...string) (*http.Response, []byte) {
			return rawFetch(t, method, d.URL+path+"?"+query, token, h...)
		}
		tok := c.Token()
		paths := []string{"/api/configs/" + cfg.ID + "/toml", "/api/config-groups/" + g.ID + "/toml", "/c/al-x"}
		keys := []string{"ETag", "Last-Modified", "Content-Length", "Content-Type", "Content-Disposition", "Cache-Control"}
		same := func(step string, head, get *http.Response, hb []byte) {
			t.Helper()
			if head.StatusCode != get.StatusCode || len(hb) != 0 {
				t.Fatalf("%s: HEAD %d (%d bytes), GET %d", step, head.StatusCode, len(hb), get.StatusCode)
			}
			for _, k := range keys {
				if head.Header.Get(k) != get.Header.Get(k) {
					t.Fatalf("%s: HEAD %s %q, GET %q", step, k, head.Header.Get(k), get.Header.Get(k))
				}
			}
		}
		const n = 60
		for pass := 0; pass < 2; pass++ {
			for _, p := range paths {
				for i := 0; i < n; i++ {
					if r, b := do("GET", p, fmt.Sprintf("agent_id=a%d&site=s", i), tok); r.StatusCode != 200 {
						t.Fatalf("GET %s: %d %s", p, r.StatusCode, b)
					}
				}
			}
			// Bodies evicted (16 entries): HEADs from the kept ETags.
			for _, p := range paths {
				for i := 0; i < n; i += 7 {
					q := fmt.Sprintf("agent_id=a%d&site=s", i)
					for _, accept := range []string{"", "application/octet-stream"} {
						h, hb := do("HEAD", p, q, tok, "Accept", accept)
						g, _ := do("GET", p, q, tok, "Accept", accept)
						same(fmt.Sprintf("%s?%s Accept %q", p, q, accept), h, g, hb)
						if r, _ := do("GET", p, q, tok, "If-None-Match", g.Header.Get("ETag")); r.StatusCode != 304 || r.Header.Get("ETag") != g.Header.Get("ETag") {
							t.Fatalf("conditional GET %s?%s: %d", p, q, r.StatusCode)
						}
					}
				}
			}
		}
		for _, p := range paths {
			// Missing site: 400 both ways; no token: 401 both ways.
			h, hb := do("HEAD", p, "agent_id=a1", tok)
			g, _ := do("GET", p, "agent_id=a1", tok)
			if g.StatusCode != 400 {
				t.Fatalf("GET %s without site: %d", p, g.StatusCode)
			}
			same(p+" missing site", h, g, hb)
			h, hb = do("HEAD", p, "agent_id=a1&site=s", "")
			g, _ = do("GET", p, "agent_id=a1&site=s", "")
			if g.StatusCode != 401 || h.StatusCode != 401 || len(hb) != 0 {
				t.Fatalf("%s without a token: GET %d, HEAD %d", p, g.StatusCode, h.StatusCode)
			}
			h, _ = do("HEAD", p, "agent_id=a1&site=s", "nope")
			if h.StatusCode != 401 {
				t.Fatalf("%s with a bad token: HEAD %d", p, h.StatusCode)
			}
		}
		// Writes: the kept ETags go with them.
		old, _ := do("HEAD", "/c/al-x", "agent_id=a3&site=s", tok)
		toml := "[global_tags]\n  id = \"&{agent_id}\"\n  site = \"&{site}\"\n  v = \"2\"\n"
		must[tc.Config](t)(c.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: &toml}))
		for _, p := range paths {
			h, hb := do("HEAD", p, "agent_id=a3&site=s", tok)
			g, _ := do("GET", p, "agent_id=a3&site=s", tok)
			same(p+" after update", h, g, hb)
			if h.Header.Get("ETag") == old.Header.Get("ETag") {
				t.Fatalf("%s: ETag unchanged by the update", p)
			}
		}
		before, _ := do("HEAD", "/c/al-x", "agent_id=a3&site=s", tok)
		must[tc.Alias](t)(c.PutAlias(bg, "al-x", tc.AliasRequest{ConfigID: other.ID, Transfer: true}))
		h, hb := do("HEAD", "/c/al-x", "agent_id=a3&site=s", tok)
		gr, _ := do("GET", "/c/al-x", "agent_id=a3&site=s", tok)
		same("alias retargeted", h, gr, hb)
		if h.Header.Get("ETag") == before.Header.Get("ETag") {
			t.Fatal("alias retarget kept the ETag")
		}
		// A flood of distinct values from one token stays bounded.
		for i := 0; i < 1500; i++ {
			do("GET", paths[0], fmt.Sprintf("agent_id=f%d&site=s", i), tok)
		}
		fams, _ := scrape(t, d, "")
		if got := value(fams, "tcd_config_cache_etags", nil); got > 16*64 || got == 0 {
			t.Fatalf("tcd_config_cache_etags %v after a flood; bound %d", got, 16*64)
		}
	})
}
