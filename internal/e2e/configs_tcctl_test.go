package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Acceptance 5 and 6: the CI flow through tcctl against a real tcd. Pushing
// the same file twice creates one version; a changed file creates version 2
// with its note; diff shows the change; rollback 1 creates version 3 equal
// to version 1; an invalid file exits non-zero with line and column and
// stores nothing.
func TestTcctlConfigPushFlow(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		dir := t.TempDir()
		profile := filepath.Join(dir, "p.yaml")
		file := filepath.Join(dir, "web.toml")
		write := func(s string) {
			if err := os.WriteFile(file, []byte(s), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		run := func(want int, args ...string) run {
			t.Helper()
			r := tcctl(t, profile, "", env, args...)
			if r.code != want {
				t.Fatalf("tcctl %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
			}
			return r
		}
		v1 := "[agent]\n  interval = \"10s\"\n\n[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n"
		v2 := "[agent]\n  interval = \"30s\"\n\n[[outputs.heartbeat]]\n  instance_id = \"&{agent_id}\"\n"
		write(v1)
		if r := run(0, "config", "push", "--name", "web", "-f", file); r.stdout != "created web (version 1)\n" {
			t.Fatalf("first push: %q", r.stdout)
		}
		if r := run(0, "config", "push", "--name", "web", "-f", file, "--note", "same again"); r.stdout != "unchanged web (version 1)\n" {
			t.Fatalf("second push: %q", r.stdout)
		}
		write(v2)
		if r := run(0, "config", "push", "--name", "web", "-f", file, "--note", "abc123"); r.stdout != "updated web to version 2\n" {
			t.Fatalf("changed push: %q", r.stdout)
		}
		vs := must[[]tc.ConfigVersion](t)(owner.ConfigVersions(bg, must[tc.Config](t)(owner.FindConfig(bg, "web")).ID))
		if len(vs) != 2 || vs[0].Note != "abc123" || vs[0].Author != "root" || !vs[0].Current || vs[1].TOML != v1 {
			t.Fatalf("versions after two pushes of one file and one change: %+v", vs)
		}
		diff := run(0, "config", "diff", "web", "--from", "1", "--to", "2").stdout
		if !strings.Contains(diff, "-  interval = \"10s\"") || !strings.Contains(diff, "+  interval = \"30s\"") || strings.Contains(diff, "-[agent]") {
			t.Fatalf("diff:\n%s", diff)
		}
		if r := run(0, "config", "rollback", "web", "1"); r.stdout != "rolled back web to version 1 as version 3\n" {
			t.Fatalf("rollback: %q", r.stdout)
		}
		cfg := must[tc.Config](t)(owner.FindConfig(bg, "web"))
		v3 := must[tc.ConfigVersion](t)(owner.ConfigVersion(bg, cfg.ID, 3))
		if v3.TOML != v1 || !v3.Current {
			t.Fatalf("version 3 = %+v", v3)
		}
		hist := run(0, "config", "history", "web", "-o", "json").stdout
		var hv []tc.ConfigVersion
		if err := json.Unmarshal([]byte(hist), &hv); err != nil || len(hv) != 3 || hv[0].Note != "Rollback to version 1" {
			t.Fatalf("history: %v %s", err, hist)
		}
		if out := run(0, "config", "render", "web", "--param", "agent_id=web-01").stdout; !strings.Contains(out, `instance_id = "web-01"`) {
			t.Fatalf("render: %s", out)
		}
		use := run(0, "config", "use", "web", "--param", "agent_id=web-01").stdout
		wantUse := `telegraf --config "` + d.URL + "/api/configs/" + cfg.ID + `/toml?agent_id=web-01" --config-url-watch-interval 30s` + "\n"
		if use != wantUse {
			t.Fatalf("use:\n%s\nwant:\n%s", use, wantUse)
		}
		if use := run(0, "config", "use", "web").stdout; !strings.Contains(use, "agent_id=<agent_id>") {
			t.Fatalf("use without the required parameter: %s", use)
		}

		// Acceptance 6: invalid TOML exits non-zero with line and column and
		// stores nothing, on update and on create.
		write("[agent]\n  interval = \"10s\"\n  flush = True\n")
		r := run(1, "config", "push", "--name", "web", "-f", file, "--note", "broken")
		if !strings.Contains(r.stderr, file+":3:11:") || !strings.Contains(r.stderr, "line 3, column 11") || r.stdout != "" {
			t.Fatalf("invalid push output:\nstdout: %s\nstderr: %s", r.stdout, r.stderr)
		}
		if got := must[tc.Config](t)(owner.FindConfig(bg, "web")); got.Version != 3 || got.TOML != v1 {
			t.Fatalf("an invalid push changed the config: version %d", got.Version)
		}
		run(1, "config", "push", "--name", "broken", "-f", file)
		if list := must[tc.List[tc.Config]](t)(owner.ListConfigs(bg, clientFilterName("broken"))); list.Total != 0 {
			t.Fatalf("an invalid create stored a config: %+v", list.Items)
		}

		// The other nouns, briefly.
		run(0, "constant", "set", "region", "eu-west-1")
		if out := run(0, "constant", "list", "-o", "json").stdout; !strings.Contains(out, `"name": "region"`) {
			t.Fatalf("constant list: %s", out)
		}
		run(2, "constant", "delete", "region")
		run(0, "constant", "delete", "region", "--yes")
		run(0, "label", "create", "--name", "production", "--color", "#3B82F6")
		run(0, "label", "assign", "production", "--configs", "web")
		if got := must[tc.Config](t)(owner.FindConfig(bg, "web")); len(got.Labels) != 1 || got.Labels[0].Color != "#3b82f6" {
			t.Fatalf("labels after assign: %+v", got.Labels)
		}
		if out := run(0, "config", "list", "--label", "production", "-o", "json").stdout; !strings.Contains(out, `"name": "web"`) {
			t.Fatalf("list by label: %s", out)
		}
		run(0, "group", "create", "--name", "fleet", "--member", "web")
		run(0, "label", "assign", "production", "--groups", "fleet")
		run(0, "alias", "add", "web-prod", "web")
		run(1, "alias", "add", "web-prod", "fleet", "--group")
		run(0, "alias", "add", "web-prod", "fleet", "--group", "--transfer")
		if out := run(0, "group", "render", "web-prod", "--param", "agent_id=a").stdout; !strings.Contains(out, `config "web"`) {
			t.Fatalf("group render: %s", out)
		}
		run(0, "label", "unassign", "production", "--configs", "web")
		run(0, "alias", "remove", "web-prod", "--yes")
		run(0, "group", "delete", "fleet", "--yes")
		run(3, "config", "get", "nope")
		run(0, "config", "prune", "web", "--before", "3", "--yes")
		if vs := must[[]tc.ConfigVersion](t)(owner.ConfigVersions(bg, cfg.ID)); len(vs) != 1 || vs[0].Version != 3 {
			t.Fatalf("after prune: %+v", vs)
		}
		// On a terminal a destructive verb asks (here: no answer, so nothing
		// happens); off a terminal it needs --yes (exit 2).
		if r := tcctlTTY(t, env, "config", "delete", "web"); r.code != 1 || !strings.Contains(r.stderr, "Delete config web") || !strings.Contains(r.stderr, "Cancelled") {
			t.Fatalf("delete on a terminal without an answer: %d %s", r.code, r.stderr)
		}
		run(2, "config", "delete", "web")
		must[tc.Config](t)(owner.FindConfig(bg, "web"))
		if r := tcctlTTY(t, env, "config", "push", "--name", "web", "-f", file+".missing"); r.code != 1 || r.stdout != "" {
			t.Fatalf("push of a missing file: %d %q", r.code, r.stdout)
		}
		t.Setenv("TCCTL_CONFIG", profile)
		run(0, "config", "delete", "web", "--yes")
		run(3, "config", "get", "web")
	})
}

func clientFilterName(name string) client.ConfigFilter { return client.ConfigFilter{Name: name} }
