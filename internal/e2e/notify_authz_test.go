package e2e

import (
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// notifications:read|write belong to administrators and the owner: every
// notification route refuses a request without credentials (401), managers
// and viewers (403 naming the permission, full-access tokens of managers
// included), and passes owners, administrators and tokens holding the
// permission — a read token reads and cannot write.
func TestNotifyPermissions(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		manager, _ := invite(t, d, owner, "mike", tc.RoleManager)
		viewer, _ := invite(t, d, owner, "vera", tc.RoleViewer)
		mgrTok := createToken(t, manager, tc.CreateTokenRequest{Description: "mike full", Preset: tc.PresetFullAccess}).Raw
		adminTok := createToken(t, admin, tc.CreateTokenRequest{Description: "alice full", Preset: tc.PresetFullAccess}).Raw
		readTok := createToken(t, owner, tc.CreateTokenRequest{Description: "reader", Permissions: []string{"notifications:read"}}).Raw
		n := 0
		for _, r := range d.API().Routes() {
			if r.Perm.Resource() != tc.ResNotifications {
				continue
			}
			n++
			if r.Group != "" || r.Public {
				t.Errorf("%s %s can be opened without credentials", r.Method, r.Path)
			}
			if want := tc.Perm(tc.ResNotifications, specAction(r.Method)); r.Perm != want {
				t.Errorf("%s %s requires %s, want %s", r.Method, r.Path, r.Perm, want)
			}
			if s, _ := call(t, d.URL, r.Method, r.Path, ""); s != 401 {
				t.Errorf("%s %s without credentials: %d", r.Method, r.Path, s)
			}
			for _, c := range []struct {
				name, auth string
				allowed    bool
			}{
				{"owner", "Bearer " + owner.Token(), true},
				{"administrator", "Bearer " + admin.Token(), true},
				{"administrator token", "Bearer " + adminTok, true},
				{"manager", "Bearer " + manager.Token(), false},
				{"manager full-access token", "Bearer " + mgrTok, false},
				{"viewer", "Bearer " + viewer.Token(), false},
				{"notifications:read token", "Bearer " + readTok, specAction(r.Method) == "read"},
			} {
				s, env := call(t, d.URL, r.Method, r.Path, c.auth)
				switch {
				case c.allowed && (s == 401 || s == 403):
					t.Errorf("%s: %s %s refused: %d %v", c.name, r.Method, r.Path, s, env["message"])
				case !c.allowed && (s != 403 || env["message"] != string(r.Perm)+" required"):
					t.Errorf("%s: %s %s gave %d %v, want 403", c.name, r.Method, r.Path, s, env["message"])
				}
			}
		}
		if n != 12 {
			t.Fatalf("%d notification routes, want 12", n)
		}
	})
}
