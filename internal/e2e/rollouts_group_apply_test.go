package e2e

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// tcctl apply refuses, like the group API, a group edit (or a new group)
// that would hold two configs being rolled out; the whole apply is left
// unapplied, a dry run says so too, and once one rollout is aborted the
// same files apply.
func TestApplyRefusesTwoRolloutsInAGroup(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, fastRollouts)
		owner := d.Setup(t)
		a, b := twoVersions(t, owner, "a"), twoVersions(t, owner, "b")
		g := must[tc.ConfigGroup](t)(owner.CreateGroup(bg, tc.GroupRequest{Name: "ga", Members: []string{a.ID}}))
		must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: a.ID, To: 1}))
		rb := must[tc.Rollout](t)(owner.StartRollout(bg, tc.StartRolloutRequest{Config: b.ID, To: 1}))

		dir := t.TempDir()
		write := func(name, s string) {
			if err := os.WriteFile(filepath.Join(dir, name), []byte(s), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		write("ga.yaml", "apiVersion: tc/v1\nkind: ConfigGroup\nmetadata:\n  name: ga\nspec:\n  members:\n    - a\n    - b\n")
		write("more.yaml", "apiVersion: tc/v1\nkind: Label\nmetadata:\n  name: new-label\n---\napiVersion: tc/v1\nkind: Config\nmetadata:\n  name: c\nspec:\n  toml: |\n    [[inputs.cpu]]\n")
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		profile := filepath.Join(t.TempDir(), "p.yaml")
		unapplied := func(what string) {
			t.Helper()
			if got := must[tc.ConfigGroup](t)(owner.GetGroup(bg, g.ID)); strings.Join(got.Members, ",") != a.ID {
				t.Fatalf("%s: group ga has members %v, want only a", what, got.Members)
			}
			if _, err := owner.GetLabel(bg, "new-label"); !tc.IsCode(err, tc.ENotFound) {
				t.Fatalf("%s: the label of the refused apply exists: %v", what, err)
			}
			if list := must[tc.List[tc.Config]](t)(owner.ListConfigs(bg, client.ConfigFilter{})); list.Total != 2 {
				t.Fatalf("%s: %d configs, want a and b only", what, list.Total)
			}
		}
		for _, args := range [][]string{{"apply", "-f", dir, "--dry-run"}, {"apply", "-f", dir}} {
			r := tcctl(t, profile, "", env, args...)
			if r.code != 1 {
				t.Fatalf("tcctl %v: exit %d, want 1\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
			}
			for _, want := range []string{filepath.Join(dir, "ga.yaml") + ":1:", `members "a" (rollout`, `and "b" (rollout ` + rb.ID + ", running) are both being rolled out", "one rollout per group",
				"tcctl rollout abort b", "nothing was applied"} {
				if !strings.Contains(r.stderr, want) {
					t.Errorf("tcctl %v: the refusal lacks %q:\n%s", args, want, r.stderr)
				}
			}
			unapplied(strings.Join(args, " "))
		}

		// A new group holding both is refused the same way, over the API.
		both := tc.Resource{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindConfigGroup, Metadata: tc.ResourceMetadata{Name: "both"},
			Spec: tc.ResourceSpec{Members: []string{"b", "a"}}}
		label := tc.Resource{APIVersion: tc.ResourceAPIVersion, Kind: tc.KindLabel, Metadata: tc.ResourceMetadata{Name: "new-label"}}
		_, err := owner.Apply(bg, tc.ApplyRequest{Resources: []tc.Resource{label, both}})
		wantCode(t, err, tc.EConflict, 409)
		if !strings.Contains(err.Error(), `ConfigGroup "both"`) || !strings.Contains(err.Error(), "one rollout per group") {
			t.Errorf("apply of a new group: %v", err)
		}
		if list := must[tc.List[tc.ConfigGroup]](t)(owner.ListGroups(bg, client.ConfigFilter{})); list.Total != 1 {
			t.Fatalf("the refused apply created a group: %d groups", list.Total)
		}
		unapplied("API apply")

		// b's rollout aborted: the same files apply.
		must[tc.Rollout](t)(owner.RolloutAction(bg, rb.ID, "abort", ""))
		if r := tcctl(t, profile, "", env, "apply", "-f", dir); r.code != 0 {
			t.Fatalf("apply after the abort: exit %d\n%s", r.code, r.stderr)
		}
		if got := must[tc.ConfigGroup](t)(owner.GetGroup(bg, g.ID)); strings.Join(got.Members, ",") != a.ID+","+b.ID {
			t.Fatalf("group ga after the apply: %v", got.Members)
		}
	})
}
