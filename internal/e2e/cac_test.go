package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// readTree returns relative path → content of every file under dir.
func readTree(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		rel, _ := filepath.Rel(dir, p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func sameTree(t *testing.T, what string, a, b map[string]string) {
	t.Helper()
	var diffs []string
	for k, v := range a {
		if w, ok := b[k]; !ok {
			diffs = append(diffs, "only in first: "+k)
		} else if v != w {
			diffs = append(diffs, fmt.Sprintf("%s differs:\n%s\n---\n%s", k, v, w))
		}
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			diffs = append(diffs, "only in second: "+k)
		}
	}
	sort.Strings(diffs)
	if len(diffs) > 0 {
		t.Fatalf("%s: trees differ:\n%s", what, strings.Join(diffs, "\n"))
	}
}

// fetch returns status, body and Last-Modified of a GET.
func fetch(t *testing.T, c *client.Client, base, path string) (int, string, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", base+path, nil)
	req.Header.Set("Authorization", "Bearer "+c.Token())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header.Get("Last-Modified")
}

const (
	cacWeb = `# web servers
[agent]
  interval = "::{interval}"
  hostname = "&{agent_id}"

[global_tags]
  region = "::{region}"

[[inputs.cpu]]

[[outputs.heartbeat]]
  url = "http://tcd:8000/agents/heartbeat"
  instance_id = "&{agent_id}"
`
	cacDB = `[[inputs.mem]]

[[outputs.file]]
  files = ["stdout"]
`
	cacCache = `[[inputs.disk]]
  mount_points = ["/"]
`
)

// Issue 19 acceptance 1, 2, 4 and 6 through tcctl against real tcds:
// export → apply to an empty tcd → the same TOML at every URL and the same
// export; a second apply changes nothing; diff and apply --dry-run report
// the same changes and change nothing; --prune (with and without -l)
// deletes exactly what the files no longer name; diff exits 0, 1, 2.
func TestConfigAsCodeRoundTrip(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		a := testutil.StartTCD(t, e.DSN)
		ca := a.Setup(t)
		for _, l := range []tc.LabelRequest{{Name: "prod", Color: "#3b82f6", Description: "production"}, {Name: "web"}} {
			must[tc.Label](t)(ca.CreateLabel(bg, l))
		}
		must[tc.Constant](t)(ca.SetConstant(bg, "region", "eu-west"))
		must[tc.Constant](t)(ca.SetConstant(bg, "interval", "10s"))
		web := must[tc.Config](t)(ca.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: cacWeb, Labels: []string{"prod", "web"}, Description: "the web tier"}))
		db := must[tc.Config](t)(ca.CreateConfig(bg, tc.CreateConfigRequest{Name: "db servers", TOML: cacDB, Labels: []string{"prod"}, EnvHandling: tc.EnvStrict}))
		cache := must[tc.Config](t)(ca.CreateConfig(bg, tc.CreateConfigRequest{Name: "cache", TOML: cacCache}))
		grp := must[tc.ConfigGroup](t)(ca.CreateGroup(bg, tc.GroupRequest{Name: "web+db", Members: []string{web.ID, db.ID}, Labels: []string{"prod"}}))
		must[tc.Alias](t)(ca.PutAlias(bg, "web-latest", tc.AliasRequest{ConfigID: web.ID}))
		must[tc.Alias](t)(ca.PutAlias(bg, "frontend", tc.AliasRequest{GroupID: grp.ID}))
		if err := ca.Do(bg, "POST", "/api/reporting-rules", nil, map[string]any{"name": "fast", "notReportingAfter": 60, "autoDeleteAfter": 86400}, nil); err != nil {
			t.Fatal(err)
		}

		dir := t.TempDir()
		exportA, exportA2, exportB := filepath.Join(dir, "a"), filepath.Join(dir, "a2"), filepath.Join(dir, "b")
		envA := map[string]string{"TCCTL_URL": a.URL, "TCCTL_TOKEN": ca.Token()}
		profile := filepath.Join(dir, "p.yaml")
		run := func(env map[string]string, want int, args ...string) run {
			t.Helper()
			r := tcctl(t, profile, "", env, args...)
			if r.code != want {
				t.Fatalf("tcctl %v: exit %d, want %d\nstdout: %s\nstderr: %s", args, r.code, want, r.stdout, r.stderr)
			}
			return r
		}
		run(envA, 0, "export", "-d", exportA)
		run(envA, 0, "export", "-d", exportA2)
		treeA := readTree(t, exportA)
		sameTree(t, "export twice", treeA, readTree(t, exportA2))
		if !strings.Contains(treeA["configs/web.yaml"], "tomlFile: web.toml") || treeA["configs/web.toml"] != cacWeb || !strings.Contains(treeA["configs/db_servers.yaml"], "name: db servers") {
			t.Fatalf("export layout: %v", treeA)
		}

		// Acceptance 1: apply to an empty tcd.
		dsnB := testutil.SQLiteDSN(t)
		if e.Name == "postgres" {
			dsnB, _ = testutil.PostgresDSN(t)
		}
		b := testutil.StartTCD(t, dsnB)
		cb := b.Setup(t)
		envB := map[string]string{"TCCTL_URL": b.URL, "TCCTL_TOKEN": cb.Token()}
		// diff against the empty tcd: exit 1 and a create of every config.
		if r := run(envB, 1, "diff", "-f", exportA, "-R"); !strings.Contains(r.stdout, "config/web create") || !strings.Contains(r.stdout, "+  interval = \"::{interval}\"") {
			t.Fatalf("diff against an empty tcd:\n%s", r.stdout)
		}
		r := run(envB, 0, "apply", "-f", exportA, "-R", "--note", "import")
		for _, want := range []string{"config/web created", "configgroup/web+db created", "alias/frontend created", "label/prod created", "constant/region created", "reportingrule/fast created", "reportingrule/default unchanged"} {
			if !strings.Contains(r.stdout, want+"\n") {
				t.Fatalf("first apply lacks %q:\n%s", want, r.stdout)
			}
		}
		q := "?agent_id=web-01"
		for _, path := range []string{"/api/configs/" + web.ID + "/toml" + q, "/api/configs/" + db.ID + "/toml", "/api/configs/" + cache.ID + "/toml",
			"/api/config-groups/" + grp.ID + "/toml" + q, "/c/web-latest" + q, "/c/frontend" + q} {
			sa, ba, _ := fetch(t, ca, a.URL, path)
			sb, bb, _ := fetch(t, cb, b.URL, path)
			if sa != 200 || sb != 200 || ba != bb {
				t.Fatalf("%s: tcd A %d, tcd B %d\n%s\n---\n%s", path, sa, sb, ba, bb)
			}
		}
		run(envB, 0, "export", "-d", exportB)
		sameTree(t, "export of the second tcd", treeA, readTree(t, exportB))

		// Acceptance 2: the second apply changes nothing.
		lm := map[string]string{}
		paths := []string{"/api/configs/" + web.ID + "/toml" + q, "/api/config-groups/" + grp.ID + "/toml" + q, "/c/frontend" + q}
		for _, p := range paths {
			_, _, lm[p] = fetch(t, cb, b.URL, p)
		}
		versions := len(must[[]tc.ConfigVersion](t)(cb.ConfigVersions(bg, web.ID)))
		time.Sleep(1100 * time.Millisecond) // a move would show in whole seconds
		r = run(envB, 0, "apply", "-f", exportA, "-R")
		for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
			if !strings.HasSuffix(line, " unchanged") {
				t.Fatalf("second apply printed %q:\n%s", line, r.stdout)
			}
		}
		for _, p := range paths {
			if _, _, now := fetch(t, cb, b.URL, p); now != lm[p] {
				t.Fatalf("%s: Last-Modified moved from %s to %s on an unchanged apply", p, lm[p], now)
			}
		}
		if n := len(must[[]tc.ConfigVersion](t)(cb.ConfigVersions(bg, web.ID))); n != versions {
			t.Fatalf("unchanged apply created versions: %d → %d", versions, n)
		}
		run(envB, 0, "diff", "-f", exportA, "-R") // acceptance 6: nothing to change → 0

		// Acceptance 4 and 6: a change; diff and --dry-run agree and change nothing.
		changed := strings.Replace(cacCache, `"/"`, `"/", "/data"`, 1)
		if err := os.WriteFile(filepath.Join(exportA, "configs/cache.toml"), []byte(changed), 0o644); err != nil {
			t.Fatal(err)
		}
		os.Remove(filepath.Join(exportA, "configs/db_servers.yaml")) // db servers: labelled prod
		os.Remove(filepath.Join(exportA, "configs/db_servers.toml"))
		os.Remove(filepath.Join(exportA, "aliases/web-latest.yaml"))
		gy := filepath.Join(exportA, "groups/web_db.yaml")
		gb := strings.Replace(readTree(t, exportA)["groups/web_db.yaml"], "    - db servers\n", "", 1)
		if err := os.WriteFile(gy, []byte(gb), 0o644); err != nil {
			t.Fatal(err)
		}
		d := run(envB, 1, "diff", "-f", exportA, "-R", "--prune", "-l", "prod").stdout
		if !strings.Contains(d, "config/cache update") || !strings.Contains(d, `+  mount_points = ["/", "/data"]`) || !strings.Contains(d, "config/db servers delete") || strings.Contains(d, "alias/web-latest") {
			t.Fatalf("diff --prune -l prod:\n%s", d)
		}
		dry := run(envB, 0, "apply", "-f", exportA, "-R", "--prune", "-l", "prod", "--dry-run").stdout
		var dryChanged []string
		for _, line := range strings.Split(strings.TrimSpace(dry), "\n") {
			if !strings.HasSuffix(line, " unchanged (dry run)") {
				dryChanged = append(dryChanged, line)
			}
		}
		// The group loses its member db servers: an update too.
		if strings.Join(dryChanged, "\n") != "config/cache updated (dry run)\nconfig/db servers deleted (dry run)\nconfiggroup/web+db updated (dry run)" {
			t.Fatalf("dry run changes:\n%s", dry)
		}
		if !strings.Contains(d, "configgroup/web+db update") {
			t.Fatalf("diff lacks the group change the dry run reports:\n%s", d)
		}
		if got := must[tc.Config](t)(cb.GetConfig(bg, cache.ID)); got.TOML != cacCache || got.Version != 1 {
			t.Fatalf("dry run changed cache: %+v", got)
		}
		if _, err := cb.GetConfig(bg, db.ID); err != nil {
			t.Fatalf("dry run deleted db servers: %v", err)
		}
		run(envB, 0, "apply", "-f", exportA, "-R", "--prune", "-l", "prod")
		if _, err := cb.GetConfig(bg, db.ID); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("prune -l prod kept db servers: %v", err)
		}
		if _, err := cb.GetAlias(bg, "web-latest"); err != nil {
			t.Fatalf("prune -l prod deleted the unlabelled alias: %v", err)
		}
		if got := must[tc.Config](t)(cb.GetConfig(bg, cache.ID)); got.TOML != changed || got.Version != 2 {
			t.Fatalf("cache after apply: %+v", got)
		}
		r = run(envB, 0, "apply", "-f", exportA, "-R", "--prune")
		if !strings.Contains(r.stdout, "alias/web-latest deleted\n") || strings.Contains(r.stdout, "reportingrule/default deleted") {
			t.Fatalf("apply --prune:\n%s", r.stdout)
		}
		if _, err := cb.GetAlias(bg, "web-latest"); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("prune kept web-latest: %v", err)
		}
		run(envB, 0, "diff", "-f", exportA, "-R", "--prune")

		// Acceptance 6: errors exit 2 or more.
		if r := tcctl(t, profile, "", envB, "diff", "-f", filepath.Join(dir, "missing")); r.code < 2 {
			t.Fatalf("diff of a missing directory: exit %d", r.code)
		}
		if r := tcctl(t, profile, "", map[string]string{"TCCTL_URL": "http://127.0.0.1:1", "TCCTL_TOKEN": "x"}, "diff", "-f", exportA, "-R"); r.code < 2 {
			t.Fatalf("diff against no tcd: exit %d %s", r.code, r.stderr)
		}
		// Without -R an exported tree is refused rather than read as empty.
		if r := tcctl(t, profile, "", envB, "apply", "-f", exportA, "--prune"); r.code != 2 || !strings.Contains(r.stderr, "add -R") {
			t.Fatalf("apply of a tree without -R: exit %d %s", r.code, r.stderr)
		}

		// The audit log: one entry per changed resource with the apply's ID and note.
		var audit tc.List[tc.AuditEntry]
		if err := cb.Do(bg, "GET", "/api/audit", nil, nil, &audit); err != nil {
			t.Fatal(err)
		}
		n := 0
		for _, en := range audit.Items {
			if strings.HasPrefix(en.Action, "APPLY created") && strings.Contains(en.Target, "note=import") && strings.Contains(en.Target, "apply=") {
				n++
			}
		}
		if n < 10 {
			t.Fatalf("%d audit entries of created resources with the note, want every one", n)
		}
	})
}

// Issue 19 acceptance 3: one invalid config (line 3 of its file) makes the
// whole apply fail naming that file and line, and nothing changes.
func TestConfigAsCodeAtomic(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		c := d.Setup(t)
		keep := must[tc.Config](t)(c.CreateConfig(bg, tc.CreateConfigRequest{Name: "keep", TOML: cacDB}))
		dir := t.TempDir()
		write := func(name, s string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("keep.yaml", "apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: keep\nspec:\n  tomlFile: keep.toml\n")
		write("keep.toml", cacCache)
		write("more.yaml", "apiVersion: tc/v1\nkind: Label\nmetadata:\n  name: new-label\n---\napiVersion: tc/v1\nkind: Config\nmetadata:\n  name: ok\nspec:\n  toml: |\n    [[inputs.cpu]]\n")
		write("bad.yaml", "apiVersion: tc/v1\nkind: Config\nmetadata:\n  name: bad\nspec:\n  tomlFile: bad.toml\n")
		write("bad.toml", "[[inputs.cpu]]\n  percpu = true\n  totalcpu = = true\n")
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": c.Token()}
		r := tcctl(t, t.TempDir()+"/p.yaml", "", env, "apply", "-f", dir)
		if r.code != 1 || !strings.Contains(r.stderr, filepath.Join(dir, "bad.toml")+":3:") || !strings.Contains(r.stderr, "nothing was applied") {
			t.Fatalf("apply with an invalid file: exit %d\nstdout: %s\nstderr: %s", r.code, r.stdout, r.stderr)
		}
		list := must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{}))
		if list.Total != 1 || must[tc.Config](t)(c.GetConfig(bg, keep.ID)).TOML != cacDB {
			t.Fatalf("after a refused apply: %d configs, keep = %q", list.Total, list.Items[0].TOML)
		}
		if _, err := c.GetLabel(bg, "new-label"); !tc.IsCode(err, tc.ENotFound) {
			t.Fatalf("refused apply created a label: %v", err)
		}
		// The API answer places the problem: file, line, column.
		var req tc.ApplyRequest
		req.Resources = []tc.Resource{{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfig, Metadata: tc.ResourceMetadata{Name: "bad"},
			Spec: tc.ResourceSpec{TOML: "[[inputs.cpu]]\n  percpu = true\n  totalcpu = = true\n"}, Source: &tc.ResourceSource{File: "bad.yaml", Line: 1, TOMLFile: "bad.toml"}}}
		err := c.Do(bg, "POST", "/api/apply", nil, req, nil)
		wantCode(t, err, tc.EInvalid, 400)
		var te *tc.Error
		if !asTC(err, &te) || !strings.HasPrefix(te.Message, "bad.toml:3:") {
			t.Fatalf("apply error: %v", err)
		}
	})
}

// Issue 19 acceptance 3, crash: kill -9 of tcd during an apply of 200
// resources leaves all of them or none.
func TestConfigAsCodeApplyKill(t *testing.T) {
	if testing.Short() {
		t.Skip("starts tcd as a process and kills it: not in -short")
	}
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		token := "tc-apiv1_5d0c1e7a9b3f4a2e8c6d0b1f3e5a7c9d2b4f6e8a0c2e4f6a8b0d2f4e6a8c0e2f"
		p := startCrashTCD(t, e.DSN, token)
		// Kills land just before and just after the validation would end,
		// i.e. around and inside the transaction.
		for round, frac := range []int{90, 115} {
			var req tc.ApplyRequest
			for i := 0; i < 200; i++ {
				req.Resources = append(req.Resources, tc.Resource{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfig,
					Metadata: tc.ResourceMetadata{Name: fmt.Sprintf("r%d-cfg-%03d", round, i)},
					Spec:     tc.ResourceSpec{TOML: fmt.Sprintf("[agent]\n  interval = \"%ds\"\n\n[[inputs.cpu]]\n\n[[outputs.file]]\n  files = [\"stdout\"]\n", i+1)}})
			}
			c, err := client.New(p.api, client.WithToken(token))
			if err != nil {
				t.Fatal(err)
			}
			before := must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{Page: tc.Page{Limit: 1}})).Total
			start := time.Now()
			dry := req
			dry.DryRun = true
			if err := c.Do(bg, "POST", "/api/apply", nil, dry, nil); err != nil {
				t.Fatal(err)
			}
			took := time.Since(start)
			ctx, cancel := context.WithCancel(bg)
			done := make(chan error, 1)
			go func() { done <- c.Do(ctx, "POST", "/api/apply", nil, req, nil) }()
			time.Sleep(took * time.Duration(frac) / 100)
			p.kill(t)
			applyErr := <-done
			cancel()
			p = startCrashTCD(t, e.DSN, token)
			c, _ = client.New(p.api, client.WithToken(token))
			n := must[tc.List[tc.Config]](t)(c.ListConfigs(bg, client.ConfigFilter{Page: tc.Page{Limit: 1}})).Total - before
			if n != 0 && n != 200 {
				t.Fatalf("after kill -9 during an apply of 200 configs: %d stored", n)
			}
			if applyErr == nil && n != 200 {
				t.Fatalf("the apply was answered 2xx but %d configs are stored", n)
			}
			t.Logf("kill at %d%% of the dry run's %v: %d configs stored, apply answered %v", frac, took, n, applyErr)
		}
		p.stop(t)
	})
}

// The ci preset grants exactly what config as code needs: export, diff
// and apply of every kind work with it; nothing else does (agents,
// tokens, users, settings). A token that lacks a kind's write permission
// is refused (403 naming it) and nothing of the apply is stored.
func TestConfigAsCodeCIToken(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		ci := d.Client(t, createToken(t, owner, tc.CreateTokenRequest{Description: "ci", Preset: tc.PresetCI}).Raw)
		v := "eu"
		all := tc.ApplyRequest{Resources: []tc.Resource{
			{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindLabel, Metadata: tc.ResourceMetadata{Name: "prod"}},
			{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConstant, Metadata: tc.ResourceMetadata{Name: "region"}, Spec: tc.ResourceSpec{Value: &v}},
			{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfig, Metadata: tc.ResourceMetadata{Name: "web", Labels: []string{"prod"}}, Spec: tc.ResourceSpec{TOML: cacCache}},
			{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfigGroup, Metadata: tc.ResourceMetadata{Name: "g"}, Spec: tc.ResourceSpec{Members: []string{"web"}}},
			{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindAlias, Metadata: tc.ResourceMetadata{Name: "web-a"}, Spec: tc.ResourceSpec{Config: "web"}},
			{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindReportingRule, Metadata: tc.ResourceMetadata{Name: "slow"}, Spec: tc.ResourceSpec{NotReportingAfter: 600}},
		}}
		// A token with configs:write only: the Label and ReportingRule kinds are refused.
		narrow := d.Client(t, createToken(t, owner, tc.CreateTokenRequest{Description: "narrow", Permissions: []string{"configs:read", "configs:write", "labels:read"}}).Raw)
		_, err := narrow.Apply(bg, all)
		wantCode(t, err, tc.EForbidden, 403)
		if list := must[tc.List[tc.Config]](t)(owner.ListConfigs(bg, client.ConfigFilter{})); list.Total != 0 {
			t.Fatalf("a refused apply stored %d configs", list.Total)
		}
		dry := all
		dry.DryRun = true
		if _, err := ci.Apply(bg, dry); err != nil {
			t.Fatalf("ci dry run: %v", err)
		}
		if _, err := ci.Apply(bg, all); err != nil {
			t.Fatalf("ci apply: %v", err)
		}
		if l := must[tc.ResourceList](t)(ci.ExportResources(bg, nil, "")); len(l.Resources) != 7 { // + the default rule
			t.Fatalf("ci export: %d resources", len(l.Resources))
		}
		// Secret sets: exported by the names of their secrets, never a
		// value, and only to callers who may list those names.
		if _, err := owner.SetSecret(bg, "prod", "db_password", "hunter2-very-secret"); err != nil {
			t.Fatal(err)
		}
		if l := must[tc.ResourceList](t)(ci.ExportResources(bg, nil, "")); len(l.Resources) != 7 {
			t.Fatalf("ci export with a secret set: %d resources", len(l.Resources))
		}
		if _, err := ci.ExportResources(bg, []string{tc.KindSecretSet}, ""); !tc.IsCode(err, tc.EForbidden) {
			t.Fatalf("ci export of secret sets: %v", err)
		}
		dir := t.TempDir()
		r := tcctl(t, dir+"/p.yaml", "", map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}, "export", "-d", dir+"/x")
		tree := readTree(t, dir+"/x")
		if r.code != 0 || tree["secrets/prod.yaml"] != "apiVersion: tc/v1\nkind: SecretSet\nmetadata:\n  name: prod\nspec:\n  secrets:\n    - db_password\n" {
			t.Fatalf("owner export of a secret set: %d %s %q", r.code, r.stderr, tree["secrets/prod.yaml"])
		}
		for name, content := range tree {
			if strings.Contains(content, "hunter2") {
				t.Fatalf("export wrote a secret value in %s", name)
			}
		}
		set := func(names ...string) tc.ApplyRequest {
			return tc.ApplyRequest{Resources: []tc.Resource{{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindSecretSet, Metadata: tc.ResourceMetadata{Name: "prod"}, Spec: tc.ResourceSpec{Secrets: names}}}}
		}
		if out, err := owner.Apply(bg, set("db_password")); err != nil || countActions(out.Changes) != "SecretSet:unchanged" {
			t.Fatalf("apply of a present secret set: %+v %v", out, err)
		}
		if _, err := owner.Apply(bg, set("db_password", "api_key")); !tc.IsCode(err, tc.EInvalid) || !strings.Contains(err.Error(), "tcctl secret set prod") {
			t.Fatalf("apply naming a missing secret: %v", err)
		}
		if _, err := ci.Apply(bg, set("db_password")); !tc.IsCode(err, tc.EForbidden) {
			t.Fatalf("ci apply of a secret set: %v", err)
		}
		for _, path := range []string{"/api/agents", "/api/tokens", "/api/users", "/api/settings"} {
			if err := ci.Do(bg, "GET", path, nil, nil, nil); !tc.IsCode(err, tc.EForbidden) {
				t.Fatalf("ci token GET %s: %v", path, err)
			}
		}
	})
}

// countActions lists the changes that name a SecretSet or are not
// "unchanged", as kind:action.
func countActions(cs []tc.ApplyChange) string {
	var out []string
	for _, c := range cs {
		if c.Kind == tc.KindSecretSet || c.Action != tc.ActionUnchanged {
			out = append(out, c.Kind+":"+c.Action)
		}
	}
	return strings.Join(out, ",")
}
