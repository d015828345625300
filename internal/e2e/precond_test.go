package e2e

import (
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// runEditor is the test binary acting as $EDITOR for `tcctl config edit`
// (TC_E2E_EDITOR set): it replaces the file it is given with
// TC_E2E_EDITOR_TOML; in mode "concurrent" it first changes the config
// through the API, as a second admin would while the editor is open.
func runEditor(mode string) int {
	path := os.Args[len(os.Args)-1]
	if mode == "concurrent" {
		c, err := client.New(os.Getenv("TC_E2E_EDITOR_URL"), client.WithToken(os.Getenv("TC_E2E_EDITOR_TOKEN")))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		toml := os.Getenv("TC_E2E_EDITOR_OTHER")
		if _, err := c.UpdateConfig(bg, os.Getenv("TC_E2E_EDITOR_CONFIG"), tc.UpdateConfigRequest{TOML: &toml}); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if err := os.WriteFile(path, []byte(os.Getenv("TC_E2E_EDITOR_TOML")), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return 0
}

const (
	pcV1 = "[agent]\n  interval = \"10s\"\n\n[[outputs.file]]\n  files = [\"stdout\"]\n"
	pcV2 = "[agent]\n  interval = \"20s\"\n\n[[outputs.file]]\n  files = [\"stdout\"]\n"
	pcV3 = "[agent]\n  interval = \"30s\"\n\n[[outputs.file]]\n  files = [\"stdout\"]\n"
)

func ifMatch(tag string) http.Header { return http.Header{"If-Match": {tag}} }

// Issue 19 acceptance 5: two clients update the same object from the same
// state; the second gets 412 and nothing of its change is stored — on
// every update route of the config-as-code resources, sequentially and
// with concurrent writers; `tcctl config edit` with a change made while
// the editor is open exits 1 saying what to do, and saves nothing.
func TestIfMatchOptimisticConcurrency(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		a := d.Setup(t)
		b := d.Client(t, a.Token())
		cfg := must[tc.Config](t)(a.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: pcV1}))
		path := "/api/configs/" + cfg.ID

		get := func(c *client.Client, path string) string {
			t.Helper()
			h, err := c.DoHeader(bg, "GET", path, nil, nil, nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			if h.Get("ETag") == "" {
				t.Fatalf("GET %s: no ETag", path)
			}
			return h.Get("ETag")
		}
		tagA, tagB := get(a, path), get(b, path)
		if tagA != tagB {
			t.Fatalf("same state, different tags %s %s", tagA, tagB)
		}
		v2, v3 := pcV2, pcV3
		h, err := a.DoHeader(bg, "PATCH", path, nil, ifMatch(tagA), tc.UpdateConfigRequest{TOML: &v2}, nil)
		if err != nil {
			t.Fatalf("first update: %v", err)
		}
		if h.Get("ETag") == "" || h.Get("ETag") == tagA {
			t.Fatalf("PATCH answered ETag %q (was %q)", h.Get("ETag"), tagA)
		}
		_, err = b.DoHeader(bg, "PATCH", path, nil, ifMatch(tagB), tc.UpdateConfigRequest{TOML: &v3}, nil)
		wantCode(t, err, tc.EPreconditionFailed, http.StatusPreconditionFailed)
		_, err = b.DoHeader(bg, "DELETE", path, nil, ifMatch(tagB), nil, nil)
		wantCode(t, err, tc.EPreconditionFailed, http.StatusPreconditionFailed)
		got := must[tc.Config](t)(a.GetConfig(bg, cfg.ID))
		vs := must[[]tc.ConfigVersion](t)(a.ConfigVersions(bg, cfg.ID))
		if got.TOML != pcV2 || got.Version != 2 || len(vs) != 2 {
			t.Fatalf("after a 412: toml %q version %d, %d versions", got.TOML, got.Version, len(vs))
		}
		// The current tag works; a weak or unknown tag does not; "*" does.
		cur := get(b, path)
		if _, err := b.DoHeader(bg, "PATCH", path, nil, ifMatch("W/"+cur), tc.UpdateConfigRequest{TOML: &v3}, nil); !tc.IsCode(err, tc.EPreconditionFailed) {
			t.Fatalf("weak tag: %v", err)
		}
		desc := "web servers"
		if _, err := b.DoHeader(bg, "PATCH", path, nil, ifMatch(`"nope", `+cur), tc.UpdateConfigRequest{Description: &desc}, nil); err != nil {
			t.Fatalf("current tag in a list: %v", err)
		}

		// Concurrent writers from one state: exactly one wins.
		tag := get(a, path)
		var (
			wg      sync.WaitGroup
			mu      sync.Mutex
			ok, pre int
		)
		for i := 0; i < 6; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				toml := strings.Replace(pcV1, "10s", fmt.Sprintf("%ds", 40+i), 1)
				_, err := d.Client(t, a.Token()).DoHeader(bg, "PATCH", path, nil, ifMatch(tag), tc.UpdateConfigRequest{TOML: &toml}, nil)
				mu.Lock()
				defer mu.Unlock()
				switch {
				case err == nil:
					ok++
				case tc.IsCode(err, tc.EPreconditionFailed):
					pre++
				default:
					t.Errorf("concurrent PATCH: %v", err)
				}
			}(i)
		}
		wg.Wait()
		if ok != 1 || pre != 5 {
			t.Fatalf("6 concurrent PATCHes from one tag: %d succeeded, %d got 412", ok, pre)
		}
		if n := len(must[[]tc.ConfigVersion](t)(a.ConfigVersions(bg, cfg.ID))); n != 3 {
			t.Fatalf("%d versions after one winning concurrent PATCH, want 3", n)
		}

		// Every other update route: a stale tag is refused, nothing changes.
		grp := must[tc.ConfigGroup](t)(a.CreateGroup(bg, tc.GroupRequest{Name: "g", Members: []string{cfg.ID}}))
		must[tc.Constant](t)(a.SetConstant(bg, "region", "eu"))
		lbl := must[tc.Label](t)(a.CreateLabel(bg, tc.LabelRequest{Name: "prod"}))
		must[tc.Alias](t)(a.PutAlias(bg, "web-alias", tc.AliasRequest{ConfigID: cfg.ID}))
		rules := must[tc.List[tc.ReportingRule]](t)(a.ListRules(bg))
		_, bob := invite(t, d, a, "bob", tc.RoleViewer)
		var rcv map[string]any
		if err := a.Do(bg, "POST", "/api/notifications/receivers", nil, map[string]any{"name": "hook", "kind": "webhook", "url": "http://127.0.0.1:9/"}, &rcv); err != nil {
			t.Fatal(err)
		}
		for _, tcase := range []struct {
			path   string
			change any // a first change (moves the tag)
			method string
		}{
			{"/api/config-groups/" + grp.ID, map[string]any{"description": "x"}, "PATCH"},
			{"/api/constants/region", map[string]any{"value": "us"}, "PUT"},
			{"/api/labels/" + lbl.ID, map[string]any{"description": "x"}, "PATCH"},
			{"/api/reporting-rules/" + rules.Items[0].ID, map[string]any{"description": "x"}, "PATCH"},
			{"/api/aliases/web-alias", map[string]any{"groupId": grp.ID, "transfer": true}, "PUT"},
			{"/api/settings", map[string]any{"loginLockoutAttempts": 7}, "PATCH"},
			{"/api/users/" + bob.ID, map[string]any{"email": "bob2@example.com"}, "PATCH"},
			{"/api/notifications/receivers/" + rcv["id"].(string), map[string]any{"url": "http://127.0.0.1:10/"}, "PATCH"},
		} {
			stale := get(a, tcase.path)
			if _, err := a.DoHeader(bg, tcase.method, tcase.path, nil, ifMatch(stale), tcase.change, nil); err != nil {
				t.Fatalf("%s %s with the current tag: %v", tcase.method, tcase.path, err)
			}
			now := get(a, tcase.path)
			if now == stale {
				t.Fatalf("%s: the tag did not move with a change", tcase.path)
			}
			if _, err := b.DoHeader(bg, tcase.method, tcase.path, nil, ifMatch(stale), tcase.change, nil); !tc.IsCode(err, tc.EPreconditionFailed) {
				t.Fatalf("%s %s with a stale tag: %v", tcase.method, tcase.path, err)
			}
			if tcase.path != "/api/reporting-rules/"+rules.Items[0].ID && tcase.path != "/api/settings" { // the default rule cannot be deleted anyway
				if _, err := b.DoHeader(bg, "DELETE", tcase.path, nil, ifMatch(stale), nil, nil); !tc.IsCode(err, tc.EPreconditionFailed) {
					t.Fatalf("DELETE %s with a stale tag: %v", tcase.path, err)
				}
			}
			if get(a, tcase.path) != now {
				t.Fatalf("%s changed after refused writes", tcase.path)
			}
		}

		// tcctl config edit: a change made while the editor is open.
		profile := t.TempDir() + "/p.yaml"
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": a.Token()}
		exe, err := os.Executable()
		if err != nil {
			t.Fatal(err)
		}
		t.Setenv("EDITOR", exe)
		t.Setenv("VISUAL", "")
		t.Setenv("TC_E2E_EDITOR_URL", d.URL)
		t.Setenv("TC_E2E_EDITOR_TOKEN", a.Token())
		t.Setenv("TC_E2E_EDITOR_CONFIG", cfg.ID)
		other := strings.Replace(pcV1, "10s", "77s", 1)
		mine := strings.Replace(pcV1, "10s", "88s", 1)
		t.Setenv("TC_E2E_EDITOR_OTHER", other)
		t.Setenv("TC_E2E_EDITOR_TOML", mine)
		t.Setenv("TC_E2E_EDITOR", "concurrent")
		before := must[tc.Config](t)(a.GetConfig(bg, cfg.ID)).Version
		r := tcctl(t, profile, "", env, "config", "edit", "web", "--note", "mine")
		if r.code != 1 || !strings.Contains(r.stderr, "changed on tcd by someone else") || !strings.Contains(r.stderr, `run "tcctl config edit web" again`) || !strings.Contains(r.stderr, "your edit is kept in") {
			t.Fatalf("edit with a concurrent change: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		got = must[tc.Config](t)(a.GetConfig(bg, cfg.ID))
		if got.TOML != other || got.Version != before+1 {
			t.Fatalf("after the refused edit: version %d (was %d), toml %q", got.Version, before, got.TOML)
		}
		// Without a concurrent change the edit is saved as a new version.
		t.Setenv("TC_E2E_EDITOR", "edit")
		r = tcctl(t, profile, "", env, "config", "edit", "web", "--note", "mine")
		if r.code != 0 || r.stdout != fmt.Sprintf("updated web to version %d\n", before+2) {
			t.Fatalf("edit: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		if got := must[tc.Config](t)(a.GetConfig(bg, cfg.ID)); got.TOML != mine {
			t.Fatalf("edited toml: %q", got.TOML)
		}
		// Saving the editor without a change saves nothing.
		r = tcctl(t, profile, "", env, "config", "edit", "web")
		if r.code != 0 || must[tc.Config](t)(a.GetConfig(bg, cfg.ID)).Version != before+2 {
			t.Fatalf("unchanged edit: exit %d %s %s", r.code, r.stdout, r.stderr)
		}
	})
}
