package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// Issue 18 acceptance 5 (second half): a push made with a CI token names the
// token (ID and description), not only its owner, in `tcctl audit list` and
// `tcctl config history`, in tables and in -o json; a push made in a login
// session names no token.
func TestPushWithTokenNamesTheToken(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		ci := must[tc.CreatedToken](t)(owner.CreateToken(bg, tc.CreateTokenRequest{Description: "ci-push",
			Permissions: []string{"configs:read", "configs:write"}}))
		dir := t.TempDir()
		file := filepath.Join(dir, "web.toml")
		if err := os.WriteFile(file, []byte("[[inputs.cpu]]\n"), 0o600); err != nil {
			t.Fatal(err)
		}
		profile := filepath.Join(dir, "p.yaml")
		asOwner := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		asCI := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": ci.Raw}
		if r := tcctl(t, profile, "", asOwner, "config", "push", "--name", "web", "-f", file); r.code != 0 {
			t.Fatalf("push by session: %d %s", r.code, r.stderr)
		}
		os.WriteFile(file, []byte("[[inputs.cpu]]\n[[inputs.mem]]\n"), 0o600)
		if r := tcctl(t, profile, "", asCI, "config", "push", "--name", "web", "-f", file); r.code != 0 {
			t.Fatalf("push by token: %d %s", r.code, r.stderr)
		}

		r := tcctl(t, profile, "", asOwner, "config", "history", "web", "-o", "json")
		var vs []tc.ConfigVersion
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &vs) != nil || len(vs) != 2 {
			t.Fatalf("history -o json: %d %s %s", r.code, r.stdout, r.stderr)
		}
		for _, v := range vs {
			byToken := v.TokenID == ci.ID && v.TokenDescription == "ci-push"
			if (v.Version == 2) != byToken || v.Author != "root" {
				t.Fatalf("version %d: author %q token %q %q", v.Version, v.Author, v.TokenID, v.TokenDescription)
			}
		}
		r = tcctl(t, profile, "", asOwner, "config", "history", "web")
		if !strings.Contains(r.stdout, "root (token ci-push "+ci.ID+")") {
			t.Fatalf("history table does not name the token:\n%s", r.stdout)
		}

		r = tcctl(t, profile, "", asOwner, "audit", "list", "--action", "/api/configs", "-o", "json")
		var entries []tc.AuditEntry
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &entries) != nil {
			t.Fatalf("audit list -o json: %d %s %s", r.code, r.stdout, r.stderr)
		}
		var viaToken int
		for _, en := range entries {
			if en.TokenID == ci.ID {
				viaToken++
				if en.TokenDescription != "ci-push" || en.Actor != "root" {
					t.Fatalf("token entry: %+v", en)
				}
			} else if en.TokenDescription != "" {
				t.Fatalf("a session entry names a token: %+v", en)
			}
		}
		if viaToken == 0 {
			t.Fatalf("no audit entry names the CI token: %+v", entries)
		}
		r = tcctl(t, profile, "", asOwner, "audit", "list", "--action", "/api/configs")
		if !strings.Contains(r.stdout, "token:ci-push "+ci.ID) {
			t.Fatalf("audit table does not name the token:\n%s", r.stdout)
		}
		if r := tcctl(t, profile, "", asOwner, "audit", "verify"); r.code != 0 {
			t.Fatalf("audit verify after entries with a token description: %d %s %s", r.code, r.stdout, r.stderr)
		}
	})
}
