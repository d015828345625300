package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Acceptance 2: setup → login → invite an administrator and a manager → both
// accept → the manager gets 403 on user management → the owner transfers
// ownership → roles swap, both lose their sessions, the new owner acts as owner.
func TestOwnershipLifecycle(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		setupResp, err := d.Client(t, "").Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "rootpass1"})
		if err != nil {
			t.Fatal(err)
		}
		if setupResp.User.Role != tc.RoleOwner {
			t.Fatalf("setup made a %s", setupResp.User.Role)
		}
		_, err = d.Client(t, "").Setup(bg, tc.SetupRequest{Username: "other", Email: "o@example.com", Password: "rootpass1"})
		wantCode(t, err, tc.EConflict, 409)

		owner := login(t, d, "root", "rootpass1")
		admin, adminUser := invite(t, d, owner, "alice", tc.RoleAdministrator)
		manager, _ := invite(t, d, owner, "mike", tc.RoleManager)

		me := must[tc.Me](t)(manager.Me(bg))
		if me.User.Role != tc.RoleManager || me.Credential != tc.CredentialSession {
			t.Fatalf("manager me: %+v", me)
		}
		_, err = manager.ListUsers(bg, client.UserFilter{})
		wantCode(t, err, tc.EForbidden, 403)
		if !strings.Contains(tc.ErrorMessage(err), "users:read") {
			t.Fatalf("403 does not name the permission: %v", err)
		}
		_, err = manager.CreateInvite(bg, tc.InviteRequest{Username: "x1x", Email: "x@example.com", Role: tc.RoleViewer})
		wantCode(t, err, tc.EForbidden, 403)

		res, err := owner.TransferOwnership(bg, adminUser.ID)
		if err != nil {
			t.Fatal(err)
		}
		if res.Owner.Username != "alice" || res.Owner.Role != tc.RoleOwner || res.PreviousOwner.Role != tc.RoleAdministrator {
			t.Fatalf("transfer result: %+v", res)
		}
		// Both lost their sessions.
		_, err = owner.Me(bg)
		wantCode(t, err, tc.EUnauthorized, 401)
		_, err = admin.Me(bg)
		wantCode(t, err, tc.EUnauthorized, 401)
		// The manager's session is untouched.
		must[tc.Me](t)(manager.Me(bg))

		newOwner := login(t, d, "alice", "alice-pass1")
		oldOwner := login(t, d, "root", "rootpass1")
		if r := roleOf(t, newOwner, "root"); r != tc.RoleAdministrator {
			t.Fatalf("old owner is %s", r)
		}
		if r := roleOf(t, newOwner, "alice"); r != tc.RoleOwner {
			t.Fatalf("new owner is %s", r)
		}
		// The old owner cannot reclaim; the new owner can act as owner
		// (only the owner can act on an administrator).
		_, err = oldOwner.TransferOwnership(bg, "root")
		wantCode(t, err, tc.EForbidden, 403)
		_, err = oldOwner.TransferOwnership(bg, "alice")
		wantCode(t, err, tc.EForbidden, 403)
		u := must[tc.User](t)(newOwner.UpdateUser(bg, "root", tc.UpdateUserRequest{Role: ptr(tc.RoleManager)}))
		if u.Role != tc.RoleManager {
			t.Fatalf("new owner could not demote the old one: %+v", u)
		}
		must[client.TransferResult](t)(newOwner.TransferOwnership(bg, mustAdmin(t, d, newOwner)))
	})
}

// mustAdmin invites a fresh administrator as c and returns its ID.
func mustAdmin(t *testing.T, d *testutil.TCD, c *client.Client) string {
	_, u := invite(t, d, c, "anna", tc.RoleAdministrator)
	return u.ID
}

func ptr[T any](v T) *T { return &v }

// Acceptance 3: every refused transfer answers a clear 4xx and changes nothing.
func TestTransferRefusals(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		invite(t, d, owner, "mike", tc.RoleManager)
		invite(t, d, owner, "dora", tc.RoleAdministrator)
		must[tc.User](t)(owner.UpdateUser(bg, "dora", tc.UpdateUserRequest{Disabled: ptr(true)}))

		roles := func() map[string]tc.Role {
			l := must[tc.List[tc.User]](t)(owner.ListUsers(bg, client.UserFilter{}))
			m := map[string]tc.Role{}
			for _, u := range l.Items {
				m[u.Username] = u.Role
			}
			return m
		}
		before := roles()
		cases := []struct {
			name   string
			c      *client.Client
			target string
			code   string
			status int
			text   string
		}{
			{"caller not owner", admin, "dora", tc.EForbidden, 403, "only the owner"},
			{"target a manager", owner, "mike", tc.EConflict, 409, "not an administrator"},
			{"target disabled", owner, "dora", tc.EConflict, 409, "disabled"},
			{"target is self", owner, "root", tc.EInvalid, 400, "already are the owner"},
			{"target unknown", owner, "nobody", tc.ENotFound, 404, "not found"},
			{"target empty", owner, "", tc.EInvalid, 400, "userId is required"},
		}
		for _, c := range cases {
			_, err := c.c.TransferOwnership(bg, c.target)
			wantCode(t, err, c.code, c.status)
			if !strings.Contains(tc.ErrorMessage(err), c.text) {
				t.Errorf("%s: message %q lacks %q", c.name, tc.ErrorMessage(err), c.text)
			}
		}
		after := roles()
		for k, v := range before {
			if after[k] != v {
				t.Fatalf("refused transfers changed %s: %s → %s", k, v, after[k])
			}
		}
		// The refusals ended no session.
		must[tc.Me](t)(owner.Me(bg))
		must[tc.Me](t)(admin.Me(bg))
	})
}

// Acceptance 4: the owner cannot be deleted, disabled or demoted; an
// administrator can neither create administrators nor act on them; nobody
// deletes or disables themselves; invites never create an owner.
func TestRoleInvariants(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		invite(t, d, owner, "bert", tc.RoleAdministrator)
		invite(t, d, owner, "mike", tc.RoleManager)

		forbidden := func(what string, err error) {
			t.Helper()
			if tc.ErrorCode(err) != tc.EForbidden {
				t.Errorf("%s: want forbidden, got %v", what, err)
			}
		}
		for _, c := range []*client.Client{owner, admin} {
			forbidden("delete owner", c.DeleteUser(bg, "root"))
			_, err := c.UpdateUser(bg, "root", tc.UpdateUserRequest{Disabled: ptr(true)})
			forbidden("disable owner", err)
			_, err = c.UpdateUser(bg, "root", tc.UpdateUserRequest{Role: ptr(tc.RoleAdministrator)})
			forbidden("demote owner", err)
			_, err = c.CreateInvite(bg, tc.InviteRequest{Username: "own2", Email: "own2@example.com", Role: tc.RoleOwner})
			forbidden("invite owner", err)
			_, err = c.UpdateUser(bg, "mike", tc.UpdateUserRequest{Role: ptr(tc.RoleOwner)})
			forbidden("promote to owner", err)
		}
		// Administrators vs administrators.
		_, err := admin.CreateInvite(bg, tc.InviteRequest{Username: "adm3", Email: "adm3@example.com", Role: tc.RoleAdministrator})
		forbidden("admin invites admin", err)
		_, err = admin.UpdateUser(bg, "mike", tc.UpdateUserRequest{Role: ptr(tc.RoleAdministrator)})
		forbidden("admin promotes to admin", err)
		forbidden("admin deletes admin", admin.DeleteUser(bg, "bert"))
		_, err = admin.UpdateUser(bg, "bert", tc.UpdateUserRequest{Disabled: ptr(true)})
		forbidden("admin disables admin", err)
		_, err = admin.UpdateUser(bg, "bert", tc.UpdateUserRequest{Role: ptr(tc.RoleViewer)})
		forbidden("admin demotes admin", err)
		_, err = admin.CreatePasswordReset(bg, "bert", tc.PasswordResetRequest{})
		forbidden("admin resets admin password", err)
		// Self.
		forbidden("admin deletes self", admin.DeleteUser(bg, "alice"))
		_, err = admin.UpdateUser(bg, "alice", tc.UpdateUserRequest{Disabled: ptr(true)})
		forbidden("admin disables self", err)
		// What administrators may do.
		must[tc.User](t)(admin.UpdateUser(bg, "mike", tc.UpdateUserRequest{Role: ptr(tc.RoleViewer)}))
		must[tc.PasswordReset](t)(admin.CreatePasswordReset(bg, "mike", tc.PasswordResetRequest{}))
		// The owner acts on administrators.
		must[tc.User](t)(owner.UpdateUser(bg, "bert", tc.UpdateUserRequest{Role: ptr(tc.RoleManager)}))
		if err := owner.DeleteUser(bg, "bert"); err != nil {
			t.Fatal(err)
		}

		// Still exactly one owner.
		l := must[tc.List[tc.User]](t)(owner.ListUsers(bg, client.UserFilter{Role: "owner"}))
		if l.Total != 1 || l.Items[0].Username != "root" {
			t.Fatalf("owners: %+v", l)
		}
	})
}

// Acceptance 5: lockout after N failures, login again after it expires;
// complexity levels refuse weak passwords with a message saying the rule.
func TestLockoutAndComplexity(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, func(c *config.Config) {
			c.LoginLockoutAttempts = 3
			c.LoginLockoutMinutes = 2
			c.PasswordComplexity = tc.ComplexityMedium
		})
		anon := d.Client(t, "")
		_, err := anon.Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "password12"})
		wantCode(t, err, tc.EInvalid, 400)
		if !strings.Contains(tc.ErrorMessage(err), "at least 10 characters with an upper-case letter, a lower-case letter and a digit") {
			t.Fatalf("complexity message does not say the rule: %q", tc.ErrorMessage(err))
		}
		if _, err := anon.Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "Password12"}); err != nil {
			t.Fatal(err)
		}
		for i := 1; i <= 2; i++ {
			_, err := anon.Login(bg, tc.LoginRequest{Username: "root", Password: "wrong"})
			wantCode(t, err, tc.EUnauthorized, 401)
		}
		_, err = anon.Login(bg, tc.LoginRequest{Username: "root", Password: "wrong"})
		wantCode(t, err, tc.ETooManyRequests, 429)
		// Locked: even the right password is refused.
		_, err = anon.Login(bg, tc.LoginRequest{Username: "root", Password: "Password12"})
		wantCode(t, err, tc.ETooManyRequests, 429)
		if !strings.Contains(tc.ErrorMessage(err), "try again in 2 minutes") {
			t.Fatalf("lockout message: %q", tc.ErrorMessage(err))
		}
		d.Clock.Advance(2*time.Minute + time.Second)
		if _, err := anon.Login(bg, tc.LoginRequest{Username: "root", Password: "Password12"}); err != nil {
			t.Fatalf("login after the lockout expired: %v", err)
		}
		// Unknown users lock the same way (no enumeration through lockout).
		for i := 0; i < 3; i++ {
			_, err = anon.Login(bg, tc.LoginRequest{Username: "ghost", Password: "x"})
		}
		wantCode(t, err, tc.ETooManyRequests, 429)

		// High complexity on a fresh server: a special character is required.
		d2 := testutil.StartTCD(t, testutil.SQLiteDSN(t), func(c *config.Config) { c.PasswordComplexity = tc.ComplexityHigh })
		_, err = d2.Client(t, "").Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "Password1234"})
		wantCode(t, err, tc.EInvalid, 400)
		if !strings.Contains(tc.ErrorMessage(err), "special character") {
			t.Fatalf("high rule: %q", tc.ErrorMessage(err))
		}
		must[tc.LoginResponse](t)(d2.Client(t, "").Setup(bg, tc.SetupRequest{Username: "root", Email: "root@example.com", Password: "Password123!"}))
	})
}

// Acceptance 6: sessions end on role change, disable, delete and transfer.
func TestSessionsEnd(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		roleChanged, _ := invite(t, d, owner, "rita", tc.RoleManager)
		disabled, _ := invite(t, d, owner, "dave", tc.RoleManager)
		deleted, _ := invite(t, d, owner, "dina", tc.RoleViewer)
		// Warm the credential cache so invalidation, not a miss, is tested.
		for _, c := range []*client.Client{roleChanged, disabled, deleted} {
			must[tc.Me](t)(c.Me(bg))
		}
		must[tc.User](t)(owner.UpdateUser(bg, "rita", tc.UpdateUserRequest{Role: ptr(tc.RoleViewer)}))
		must[tc.User](t)(owner.UpdateUser(bg, "dave", tc.UpdateUserRequest{Disabled: ptr(true)}))
		if err := owner.DeleteUser(bg, "dina"); err != nil {
			t.Fatal(err)
		}
		for name, c := range map[string]*client.Client{"role change": roleChanged, "disable": disabled, "delete": deleted} {
			_, err := c.Me(bg)
			if tc.ErrorCode(err) != tc.EUnauthorized || client.HTTPStatus(err) != 401 {
				t.Errorf("after %s the old session still works: %v", name, err)
			}
		}
		// A disabled user cannot log in; re-enabled, they can.
		_, err := d.Client(t, "").Login(bg, tc.LoginRequest{Username: "dave", Password: "dave-pass1"})
		wantCode(t, err, tc.EForbidden, 403)
		must[tc.User](t)(owner.UpdateUser(bg, "dave", tc.UpdateUserRequest{Disabled: ptr(false)}))
		login(t, d, "dave", "dave-pass1")

		// Logout ends exactly the caller's session.
		second := login(t, d, "root", "rootpass1")
		if err := second.Logout(bg); err != nil {
			t.Fatal(err)
		}
		_, err = second.Me(bg)
		wantCode(t, err, tc.EUnauthorized, 401)
		must[tc.Me](t)(owner.Me(bg))

		// Sessions expire.
		d.Clock.Advance(24*time.Hour + time.Second)
		_, err = owner.Me(bg)
		wantCode(t, err, tc.EUnauthorized, 401)
		if !strings.Contains(tc.ErrorMessage(err), "expired") {
			t.Fatalf("expiry message: %v", err)
		}
	})
}
