package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func auditAll(t *testing.T, c *client.Client) []tc.AuditEntry {
	t.Helper()
	l := must[tc.List[tc.AuditEntry]](t)(c.ListAudit(bg, client.AuditFilter{Ascending: true, Page: tc.Page{Limit: 1000}}))
	return l.Items
}

// Acceptance 3 (operability): every write leaves an audit entry with the
// right actor, action and outcome; reads leave none; editing or deleting a
// row makes `tcctl audit verify` fail and name that entry.
func TestAuditLog(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)                                                                      // 1 setup
		_, err := d.Client(t, "").Login(bg, tc.LoginRequest{Username: "root", Password: "nope"}) // 2 failed login
		wantCode(t, err, tc.EUnauthorized, 401)
		second := login(t, d, "root", "rootpass1")                                                                      // 3 login
		mgr, _ := invite(t, d, owner, "mike", tc.RoleManager)                                                           // 4 invite, 5 accept
		_, err = mgr.CreateInvite(bg, tc.InviteRequest{Username: "eve", Email: "eve@example.com", Role: tc.RoleViewer}) // 6 denied
		wantCode(t, err, tc.EForbidden, 403)
		tok := createToken(t, mgr, tc.CreateTokenRequest{Description: "ci", Preset: tc.PresetCI})                         // 7 token
		must[tc.Config](t)(d.Client(t, tok.Raw).CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[agent]\n"})) // 8 config via token
		_, err = owner.UpdateUser(bg, "mike", tc.UpdateUserRequest{Role: ptr(tc.Role("god"))})                            // 9 failure
		wantCode(t, err, tc.EInvalid, 400)
		must[tc.List[tc.User]](t)(owner.ListUsers(bg, client.UserFilter{})) // a read: not recorded
		if err := second.Logout(bg); err != nil {                           // 10 logout
			t.Fatal(err)
		}
		want := []struct{ actor, action, outcome string }{
			{"root", "POST /api/auth/setup", tc.OutcomeSuccess},
			{"root", "POST /api/auth/login", tc.OutcomeDenied},
			{"root", "POST /api/auth/login", tc.OutcomeSuccess},
			{"root", "POST /api/users/invites", tc.OutcomeSuccess},
			{"mike", "POST /api/auth/invites/accept", tc.OutcomeSuccess},
			{"mike", "POST /api/users/invites", tc.OutcomeDenied},
			{"mike", "POST /api/tokens", tc.OutcomeSuccess},
			{"mike", "POST /api/configs", tc.OutcomeSuccess},
			{"root", "PATCH /api/users/:id", tc.OutcomeFailure},
			{"root", "POST /api/auth/logout", tc.OutcomeSuccess},
		}
		got := auditAll(t, owner)
		if len(got) != len(want) {
			for _, g := range got {
				t.Logf("%d %s %s %s", g.Seq, g.Actor, g.Action, g.Outcome)
			}
			t.Fatalf("%d entries, want %d", len(got), len(want))
		}
		for i, w := range want {
			g := got[i]
			if g.Actor != w.actor || g.Action != w.action || g.Outcome != w.outcome || g.Seq != int64(i+1) || g.IP == "" {
				t.Errorf("entry %d: %+v, want %+v", i+1, g, w)
			}
		}
		if got[7].Credential != tc.CredentialToken || got[7].TokenID != tok.ID || got[8].Target != "id=mike" {
			t.Errorf("credential/target: %+v %+v", got[7], got[8])
		}
		// Every write route leaves an entry, even refused ones.
		before := len(auditAll(t, owner))
		writes := 0
		for _, r := range d.API().Routes() {
			if r.Method == "GET" || r.Method == "HEAD" {
				continue
			}
			call(t, d.URL, r.Method, r.Path, "")
			writes++
		}
		if after := len(auditAll(t, owner)); after-before != writes {
			t.Fatalf("%d write requests left %d audit entries", writes, after-before)
		}

		profile := filepath.Join(t.TempDir(), "p.yaml")
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
		if r := tcctl(t, profile, "", env, "audit", "verify"); r.code != 0 || !strings.HasPrefix(r.stdout, "ok: ") {
			t.Fatalf("verify of an intact log: %d %s %s", r.code, r.stdout, r.stderr)
		}
		if r := tcctl(t, profile, "", map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": mgr.Token()}, "audit", "list"); r.code != 4 {
			t.Fatalf("manager reading the audit log: exit %d", r.code)
		}
		db := d.Store().Gorm(bg)
		if err := db.Exec("UPDATE audit_log SET actor = 'mallory' WHERE seq = 3").Error; err != nil {
			t.Fatal(err)
		}
		r := tcctl(t, profile, "", env, "audit", "verify")
		if r.code != 1 || !strings.Contains(r.stderr, "broken at entry 3:") {
			t.Fatalf("verify after editing entry 3: %d %s", r.code, r.stderr)
		}
		if err := db.Exec("UPDATE audit_log SET actor = 'root' WHERE seq = 3").Error; err != nil {
			t.Fatal(err)
		}
		if r := tcctl(t, profile, "", env, "audit", "verify"); r.code != 0 {
			t.Fatalf("verify after restoring: %s", r.stderr)
		}
		if err := db.Exec("DELETE FROM audit_log WHERE seq = 5").Error; err != nil {
			t.Fatal(err)
		}
		if r := tcctl(t, profile, "", env, "audit", "verify"); r.code != 1 || !strings.Contains(r.stderr, "broken at entry 5:") {
			t.Fatalf("verify after deleting entry 5: %d %s", r.code, r.stderr)
		}
	})
}
