package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func render(t *testing.T, c *client.Client, method, path, query string) client.Rendered {
	t.Helper()
	q, _ := url.ParseQuery(query)
	r, err := c.FetchTOML(bg, method, path, q)
	if err != nil {
		t.Fatalf("%s %s?%s: %v", method, path, query, err)
	}
	return r
}

func lmOf(t *testing.T, c *client.Client, path string) time.Time {
	t.Helper()
	r := render(t, c, "HEAD", path, "agent_id=x&urls=u")
	lm, err := http.ParseTime(r.LastModified)
	if err != nil {
		t.Fatalf("HEAD %s: Last-Modified %q: %v", path, r.LastModified, err)
	}
	return lm
}

// Acceptance 2: parameters from the query, 400 naming every missing one,
// ${…} and @{…} untouched, repeated values joined inside the quotes.
func TestConfigRenderParameters(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		tmpl := `[[outputs.heartbeat]]
  instance_id = "&{agent_id}"
  token = "${INFLUX_TOKEN}"
  password = "@{vault:pw}"
  urls = ["&{urls}"]
  db = "&{db:https://localhost:8181}"
  site = "&{site}"
`
		cfg := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "params", TOML: tmpl}))
		path := "/api/configs/" + cfg.ID + "/toml"
		r := render(t, c, "GET", path, "agent_id=a-17&urls=a&urls=b&site=x")
		want := `[[outputs.heartbeat]]
  instance_id = "a-17"
  token = "${INFLUX_TOKEN}"
  password = "@{vault:pw}"
  urls = ["a", "b"]
  db = "https://localhost:8181"
  site = "x"
`
		if r.Body != want {
			t.Fatalf("rendered:\n%s\nwant:\n%s", r.Body, want)
		}
		if r.ContentType != "text/x-toml; charset=utf-8" || r.ETag == "" || r.LastModified == "" {
			t.Fatalf("headers: %+v", r)
		}
		// A value cannot break out of its string.
		r = render(t, c, "GET", path, "agent_id="+url.QueryEscape("x\"\n[[outputs.exec]]")+"&urls=a&site=s")
		if !strings.Contains(r.Body, `instance_id = "x\"\n[[outputs.exec]]"`) {
			t.Fatalf("value not escaped:\n%s", r.Body)
		}
		_, err := c.RenderConfig(bg, cfg.ID, url.Values{"urls": {"a"}})
		wantCode(t, err, tc.EInvalid, 400)
		var te *tc.Error
		te = err.(*tc.Error)
		if got := te.Details["missing"]; !reflect.DeepEqual(got, []any{"agent_id", "site"}) {
			t.Fatalf("missing = %v (%s)", got, te.Message)
		}
		if !strings.Contains(te.Message, "agent_id") || !strings.Contains(te.Message, "site") {
			t.Fatalf("message does not name the parameters: %s", te.Message)
		}
		// HEAD answers the same status without a body.
		_, err = c.FetchTOML(bg, "HEAD", path, nil)
		if client.HTTPStatus(err) != 400 {
			t.Fatalf("HEAD without parameters: %v", err)
		}
	})
}

// Content negotiation, ETag and the conditional requests.
func TestConfigRenderHeaders(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		cfg := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "web servers", TOML: "[agent]\n  interval = \"10s\"\n"}))
		u := d.URL + "/api/configs/" + cfg.ID + "/toml"
		do := func(method string, h ...string) *http.Response {
			req, _ := http.NewRequest(method, u, nil)
			req.Header.Set("Authorization", "Token "+c.Token())
			for i := 0; i+1 < len(h); i += 2 {
				req.Header.Set(h[i], h[i+1])
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			return resp
		}
		plain := do("GET", "Accept", "application/toml")
		if plain.StatusCode != 200 || plain.Header.Get("Content-Type") != "text/x-toml; charset=utf-8" {
			t.Fatalf("Accept application/toml: %d %s", plain.StatusCode, plain.Header.Get("Content-Type"))
		}
		dl := do("GET", "Accept", "application/octet-stream")
		if dl.Header.Get("Content-Type") != "application/octet-stream" || dl.Header.Get("Content-Disposition") != `attachment; filename="web servers.toml"` {
			t.Fatalf("download headers: %v", dl.Header)
		}
		etag, lm := plain.Header.Get("ETag"), plain.Header.Get("Last-Modified")
		if r := do("GET", "If-None-Match", etag); r.StatusCode != 304 {
			t.Fatalf("If-None-Match: %d", r.StatusCode)
		}
		if r := do("GET", "If-None-Match", `"other"`); r.StatusCode != 200 {
			t.Fatalf("If-None-Match other: %d", r.StatusCode)
		}
		if r := do("HEAD", "If-Modified-Since", lm); r.StatusCode != 304 {
			t.Fatalf("If-Modified-Since: %d", r.StatusCode)
		}
		old := time.Now().Add(-48 * time.Hour).UTC().Format(http.TimeFormat)
		if r := do("GET", "If-Modified-Since", old); r.StatusCode != 200 {
			t.Fatalf("If-Modified-Since old: %d", r.StatusCode)
		}
		if h := do("HEAD"); h.StatusCode != 200 || h.Header.Get("Last-Modified") != lm || h.Header.Get("ETag") != etag {
			t.Fatalf("HEAD: %d %v", h.StatusCode, h.Header)
		}
	})
}

// Acceptance 3: two updates within one second give two different,
// increasing Last-Modified values; a restart leaves it unchanged; reads and
// metadata changes do not move it.
func TestConfigLastModified(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		cfg := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "lm", TOML: "[agent]\na = 1\n"}))
		path := "/api/configs/" + cfg.ID + "/toml"
		lm0 := lmOf(t, c, path)
		two, three := "[agent]\na = 2\n", "[agent]\na = 3\n"
		must[tc.Config](t)(c.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: &two}))
		lm1 := lmOf(t, c, path)
		must[tc.Config](t)(c.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{TOML: &three}))
		lm2 := lmOf(t, c, path)
		if !lm0.Before(lm1) || !lm1.Before(lm2) {
			t.Fatalf("Last-Modified not strictly increasing within one second: %v %v %v", lm0, lm1, lm2)
		}
		desc := "metadata only"
		must[tc.Config](t)(c.UpdateConfig(bg, cfg.ID, tc.UpdateConfigRequest{Description: &desc, TOML: &three}))
		if got := lmOf(t, c, path); !got.Equal(lm2) {
			t.Fatalf("metadata change / identical TOML moved Last-Modified: %v → %v", lm2, got)
		}
		before := render(t, c, "HEAD", path, "").LastModified
		d.Clock.Advance(time.Hour)
		if err := d.Close(); err != nil {
			t.Fatal(err)
		}
		cfgRestart := testutil.DefaultConfig(e.DSN)
		d2 := testutil.StartTCDWith(t, cfgRestart, d.Clock)
		c2 := d2.Client(t, c.Token())
		if after := render(t, c2, "HEAD", path, "").LastModified; after != before {
			t.Fatalf("restart moved Last-Modified: %q → %q", before, after)
		}
	})
}

// Acceptance 4: a constant change changes the rendered TOML and the
// Last-Modified of every config referencing it (and of groups holding
// them), and of nothing else.
func TestConstantChangeMovesDependents(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		must[tc.Constant](t)(c.SetConstant(bg, "region", "eu-west-1"))
		must[tc.Constant](t)(c.SetConstant(bg, "other", "x"))
		uses := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "uses", TOML: "[global_tags]\nregion = \"::{region}\"\n"}))
		uses2 := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "uses-too", TOML: "[global_tags]\nr = \"::{region}-::{other}\"\n"}))
		otherC := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "other-const", TOML: "[global_tags]\no = \"::{other}\"\n"}))
		plain := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "plain", TOML: "[agent]\np = 1\n"}))
		gUses := must[tc.ConfigGroup](t)(c.CreateGroup(bg, tc.GroupRequest{Name: "g-uses", Members: []string{plain.ID, uses.ID}}))
		gPlain := must[tc.ConfigGroup](t)(c.CreateGroup(bg, tc.GroupRequest{Name: "g-plain", Members: []string{plain.ID, otherC.ID}}))
		paths := map[string]string{
			"uses": "/api/configs/" + uses.ID + "/toml", "uses2": "/api/configs/" + uses2.ID + "/toml",
			"other": "/api/configs/" + otherC.ID + "/toml", "plain": "/api/configs/" + plain.ID + "/toml",
			"gUses": "/api/config-groups/" + gUses.ID + "/toml", "gPlain": "/api/config-groups/" + gPlain.ID + "/toml",
		}
		before := map[string]time.Time{}
		for k, p := range paths {
			before[k] = lmOf(t, c, p)
		}
		if body := render(t, c, "GET", paths["uses"], "").Body; body != "[global_tags]\nregion = \"eu-west-1\"\n" {
			t.Fatalf("before: %q", body)
		}
		must[tc.Constant](t)(c.SetConstant(bg, "region", "us-east-2"))
		if body := render(t, c, "GET", paths["uses"], "").Body; body != "[global_tags]\nregion = \"us-east-2\"\n" {
			t.Fatalf("after: %q", body)
		}
		for k, p := range paths {
			moved := !lmOf(t, c, p).Equal(before[k])
			want := k == "uses" || k == "uses2" || k == "gUses"
			if moved != want {
				t.Errorf("%s: Last-Modified moved=%v, want %v", k, moved, want)
			}
		}
		// A referenced constant cannot be deleted; an unreferenced one can.
		err := c.DeleteConstant(bg, "region")
		wantCode(t, err, tc.EConflict, 409)
		must[tc.Constant](t)(c.SetConstant(bg, "unused", "v"))
		if err := c.DeleteConstant(bg, "unused"); err != nil {
			t.Fatal(err)
		}
		// Undefined constants are refused at write time, naming them and
		// the line of the first use (issue 16 finding 5).
		_, err = c.CreateConfig(bg, tc.CreateConfigRequest{Name: "undefined", TOML: "[global_tags]\na = \"::{nope}::{zzz}\"\n"})
		wantCode(t, err, tc.EInvalid, 400)
		if te := err.(*tc.Error); te.Details["line"] != float64(2) || !strings.Contains(te.Message, "nope, zzz") {
			t.Fatalf("undefined constants: %v %v", te.Message, te.Details)
		}
		// Constant rules; a double quote is fine (escaped where used).
		_, err = c.SetConstant(bg, "9bad", "v")
		wantCode(t, err, tc.EInvalid, 400)
		must[tc.Constant](t)(c.SetConstant(bg, "quote", `a"b`))
		_, err = c.SetConstant(bg, "nl", "a\nb")
		wantCode(t, err, tc.EInvalid, 400)
	})
}

// Acceptance 7: /c/{alias} serves the same bytes as the ID URL; alias
// rules are enforced; aliases share one namespace with groups.
func TestAliases(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		cfg := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[global_tags]\nid = \"&{agent_id}\"\n"}))
		other := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{ID: "legacy-id", Name: "other", TOML: "[agent]\nx = 1\n"}))
		g := must[tc.ConfigGroup](t)(c.CreateGroup(bg, tc.GroupRequest{Name: "grp", Members: []string{cfg.ID}}))
		must[tc.Alias](t)(c.PutAlias(bg, "web-prod", tc.AliasRequest{ConfigID: cfg.ID}))
		byID := render(t, c, "GET", "/api/configs/"+cfg.ID+"/toml", "agent_id=a1")
		byAlias := render(t, c, "GET", "/c/web-prod", "agent_id=a1")
		viaConfigs := render(t, c, "GET", "/api/configs/web-prod/toml", "agent_id=a1")
		if byAlias.Body != byID.Body || viaConfigs.Body != byID.Body || byAlias.ETag != byID.ETag || byAlias.LastModified != byID.LastModified {
			t.Fatalf("alias and ID differ:\n%+v\n%+v", byID, byAlias)
		}
		if h := render(t, c, "HEAD", "/c/web-prod", "agent_id=a1"); h.LastModified == "" {
			t.Fatal("HEAD /c/ without Last-Modified")
		}
		if got := must[tc.Config](t)(c.GetConfig(bg, "web-prod")); got.ID != cfg.ID || !reflect.DeepEqual(got.Aliases, []string{"web-prod"}) {
			t.Fatalf("get by alias: %+v", got)
		}
		for _, bad := range []string{"ab", "Web", "-ab", "ab-", "a_b", "bulk", "many", "duplicate", strings.Repeat("a", 64), "0b6f1a8e-3c1d-4f57-9a6e-2f1c1d1e1f10"} {
			_, err := c.PutAlias(bg, bad, tc.AliasRequest{ConfigID: cfg.ID})
			if client.HTTPStatus(err) != 400 {
				t.Errorf("alias %q: %v", bad, err)
			}
		}
		// One namespace: the group cannot take it without a transfer.
		_, err := c.PutAlias(bg, "web-prod", tc.AliasRequest{GroupID: g.ID})
		wantCode(t, err, tc.EConflict, 409)
		// An alias cannot shadow an ID.
		_, err = c.PutAlias(bg, "legacy-id", tc.AliasRequest{ConfigID: cfg.ID})
		wantCode(t, err, tc.EConflict, 409)
		// Transfer to the group: /c/ now serves the group.
		must[tc.Alias](t)(c.PutAlias(bg, "web-prod", tc.AliasRequest{GroupID: g.ID, Transfer: true}))
		if body := render(t, c, "GET", "/c/web-prod", "agent_id=a1").Body; !strings.HasPrefix(body, "# ") || !strings.Contains(body, `id = "a1"`) {
			t.Fatalf("/c/ after transfer to the group:\n%s", body)
		}
		if got := render(t, c, "GET", "/api/config-groups/web-prod/toml", "agent_id=a1").Body; got != render(t, c, "GET", "/c/web-prod", "agent_id=a1").Body {
			t.Fatal("group alias differs from /c/")
		}
		_, err = c.RenderConfig(bg, "web-prod", url.Values{"agent_id": {"a"}})
		wantCode(t, err, tc.ENotFound, 404)
		must[tc.Alias](t)(c.PutAlias(bg, "to-other", tc.AliasRequest{ConfigID: other.ID}))
		if err := c.DeleteAlias(bg, "to-other"); err != nil {
			t.Fatal(err)
		}
		_, err = c.FetchTOML(bg, "GET", "/c/to-other", nil)
		wantCode(t, err, tc.ENotFound, 404)
		// Deleting the target deletes its aliases.
		if err := c.DeleteGroup(bg, g.ID); err != nil {
			t.Fatal(err)
		}
		_, err = c.FetchTOML(bg, "GET", "/c/web-prod", nil)
		wantCode(t, err, tc.ENotFound, 404)
	})
}

// Acceptance 8: a group renders its members in order, each headed by a
// comment naming its source; membership changes move its Last-Modified.
func TestGroupRender(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		a := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "agent-base", TOML: "[agent]\n  interval = \"10s\"\n"}))
		b := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "outputs", TOML: "[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n"}))
		g := must[tc.ConfigGroup](t)(c.CreateGroup(bg, tc.GroupRequest{Name: "fleet", Members: []string{"outputs", a.ID, b.ID}}))
		if !reflect.DeepEqual(g.Members, []string{b.ID, a.ID}) {
			t.Fatalf("members %v (duplicates must be skipped, order kept)", g.Members)
		}
		if l := must[tc.List[tc.ConfigGroup]](t)(c.ListGroups(bg, client.ConfigFilter{Search: "AGENT-BA"})); l.Total != 1 || l.Items[0].ID != g.ID {
			t.Fatalf("group search by member name: %+v", l)
		}
		path := "/api/config-groups/" + g.ID + "/toml"
		body := render(t, c, "GET", path, "agent_id=a9").Body
		ib, ia := strings.Index(body, `config "outputs" (`+b.ID+`)`), strings.Index(body, `config "agent-base" (`+a.ID+`)`)
		if ib < 0 || ia < 0 || ib > ia || !strings.HasPrefix(body, "# ") || !strings.Contains(body, `instance_id = "a9"`) {
			t.Fatalf("group document:\n%s", body)
		}
		for _, line := range strings.Split(body, "\n") {
			if strings.Contains(line, "config \"") && !strings.HasPrefix(line, "#") {
				t.Fatalf("source header is not a comment: %q", line)
			}
		}
		_, err := c.RenderGroup(bg, g.ID, nil)
		wantCode(t, err, tc.EInvalid, 400)
		lm := lmOf(t, c, path)
		members := []string{a.ID, b.ID}
		must[tc.ConfigGroup](t)(c.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &members}))
		body2 := render(t, c, "GET", path, "agent_id=a9").Body
		if strings.Index(body2, `"agent-base"`) > strings.Index(body2, `"outputs"`) {
			t.Fatalf("reorder not rendered:\n%s", body2)
		}
		lm2 := lmOf(t, c, path)
		if !lm2.After(lm) {
			t.Fatalf("reorder did not move Last-Modified: %v → %v", lm, lm2)
		}
		// A member's change moves the group; deleting a member too.
		toml := "[agent]\n  interval = \"20s\"\n"
		must[tc.Config](t)(c.UpdateConfig(bg, a.ID, tc.UpdateConfigRequest{TOML: &toml}))
		lm3 := lmOf(t, c, path)
		if !lm3.After(lm2) {
			t.Fatal("member change did not move the group's Last-Modified")
		}
		if err := c.DeleteConfig(bg, a.ID, false); err != nil {
			t.Fatal(err)
		}
		if lm4 := lmOf(t, c, path); !lm4.After(lm3) {
			t.Fatal("member deletion did not move the group's Last-Modified")
		}
		if got := must[tc.ConfigGroup](t)(c.GetGroup(bg, g.ID)); !reflect.DeepEqual(got.Members, []string{b.ID}) {
			t.Fatalf("members after delete: %v", got.Members)
		}
		empty := []string{}
		must[tc.ConfigGroup](t)(c.UpdateGroup(bg, g.ID, tc.UpdateGroupRequest{Members: &empty}))
		if r := render(t, c, "GET", path, ""); r.Body != "" {
			t.Fatalf("empty group: %q", r.Body)
		}
	})
}

// Issue 20 performance: with more agents than the render cache keeps
// bodies of (render-cache-entries 16), a HEAD from each agent of a config
// that uses agent_id is answered from the ETags kept beyond the bodies —
// no rendering, and the same ETag, Last-Modified, Content-Length and
// Content-Type as the GET; If-None-Match with that ETag is 304 without
// rendering, with another ETag the whole body again.
func TestHeadAnsweredFromKeptETags(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, func(c *config.Config) { c.RenderCacheEntries = 16 })
		c := d.Setup(t)
		cfg := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "per agent", TOML: "[agent]\n  hostname = \"&{agent_id}\"\n"}))
		do := func(method, agent string, h ...string) (*http.Response, []byte) {
			return rawFetch(t, method, d.URL+"/api/configs/"+cfg.ID+"/toml?agent_id="+agent, c.Token(), h...)
		}
		const n = 200
		gets := make([]*http.Response, n)
		bodies := make([][]byte, n)
		rendered := func() float64 {
			fams, _ := scrape(t, d, "")
			return value(fams, "tcd_config_requests_total", map[string]string{"result": "rendered"})
		}
		// On PostgreSQL the cluster's change notification of the create
		// may drop the cache once more after the first GETs: the HEADs
		// are measured after a pass of GETs in a generation that lasts.
		var before float64
		for attempt := 0; ; attempt++ {
			for i := range gets {
				gets[i], bodies[i] = do("GET", fmt.Sprintf("agent-%03d", i))
				if gets[i].StatusCode != 200 || !strings.Contains(string(bodies[i]), fmt.Sprintf("agent-%03d", i)) {
					t.Fatalf("GET agent %d: %d %s", i, gets[i].StatusCode, bodies[i])
				}
			}
			before = rendered()
			for i, g := range gets {
				agent := fmt.Sprintf("agent-%03d", i)
				h, body := do("HEAD", agent)
				for _, k := range []string{"ETag", "Last-Modified", "Content-Length", "Content-Type"} {
					if h.StatusCode != 200 || len(body) != 0 || h.Header.Get(k) != g.Header.Get(k) || g.Header.Get(k) == "" {
						t.Fatalf("HEAD agent %d: %d, %s %q, GET had %q", i, h.StatusCode, k, h.Header.Get(k), g.Header.Get(k))
					}
				}
				if r, _ := do("GET", agent, "If-None-Match", g.Header.Get("ETag")); r.StatusCode != 304 {
					t.Fatalf("If-None-Match agent %d: %d", i, r.StatusCode)
				}
			}
			got := rendered() - before
			if got == 0 {
				break
			}
			if attempt == 2 {
				t.Fatalf("%d HEADs and %d conditional GETs rendered %v times (three passes)", n, n, got)
			}
		}
		r, body := do("GET", "agent-007", "If-None-Match", `"other"`)
		if r.StatusCode != 200 || string(body) != string(bodies[7]) || r.Header.Get("ETag") != gets[7].Header.Get("ETag") {
			t.Fatalf("GET with another ETag: %d %q", r.StatusCode, body)
		}
		if got := rendered() - before; got != 1 {
			t.Fatalf("the one GET whose body was dropped rendered %v times", got)
		}
	})
}

// rawFetch sends method to url with the token (none if empty) and the
// header name/value pairs h, and returns the response and its whole body.
func rawFetch(t *testing.T, method, url, token string, h ...string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, url, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Token "+token)
	}
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp, body
}
