package e2e

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Issue 14, finding 1 (and 9): an administrator gives its own token to the
// owner — or to another administrator — and so acts as them; it revokes,
// deletes or takes their tokens and withdraws the owner's administrator
// invite. Every step is refused and changes nothing.
func TestAttackAdministratorBecomesOwner(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, alice := invite(t, d, owner, "alice", tc.RoleAdministrator)
		bertC, bert := invite(t, d, owner, "bert", tc.RoleAdministrator)
		root := must[tc.Me](t)(owner.Me(bg)).User
		mine := createToken(t, admin, tc.CreateTokenRequest{Description: "alice full", Preset: tc.PresetFullAccess})
		rootTok := createToken(t, owner, tc.CreateTokenRequest{Description: "root ci", Preset: tc.PresetCI})
		bertTok := createToken(t, bertC, tc.CreateTokenRequest{Description: "bert ci", Preset: tc.PresetCI})
		adminInvite := must[tc.Invite](t)(owner.CreateInvite(bg, tc.InviteRequest{Username: "carl", Email: "carl@example.com", Role: tc.RoleAdministrator}))

		before := dbSnapshot(t, d)
		session, token := "Bearer "+admin.Token(), "Bearer "+mine.Raw
		steps := []struct {
			what, method, path, auth, body string
		}{
			{"reassign own token to the owner", "POST", "/api/tokens/" + mine.ID + "/reassign", session, `{"userId":"` + root.ID + `"}`},
			{"the same with the token itself", "POST", "/api/tokens/" + mine.ID + "/reassign", token, `{"userId":"` + root.ID + `"}`},
			{"by username", "POST", "/api/tokens/" + mine.ID + "/reassign", session, `{"userId":"root"}`},
			{"reassign own token to another administrator", "POST", "/api/tokens/" + mine.ID + "/reassign", session, `{"userId":"` + bert.ID + `"}`},
			{"take the owner's token", "POST", "/api/tokens/" + rootTok.ID + "/reassign", session, `{"userId":"` + alice.ID + `"}`},
			{"take another administrator's token", "POST", "/api/tokens/" + bertTok.ID + "/reassign", token, `{"userId":"` + alice.ID + `"}`},
			{"move the owner's token to a manager", "POST", "/api/tokens/" + rootTok.ID + "/reassign", session, `{"userId":"bert"}`},
			{"revoke the owner's token", "POST", "/api/tokens/" + rootTok.ID + "/revoke", session, ""},
			{"delete another administrator's token", "DELETE", "/api/tokens/" + bertTok.ID, token, ""},
			{"withdraw the owner's administrator invite", "DELETE", "/api/users/invites/" + adminInvite.ID, session, ""},
			{"disable another administrator", "PATCH", "/api/users/bert", token, `{"disabled":true}`},
			{"transfer ownership", "POST", "/api/users/transfer-ownership", token, `{"userId":"` + alice.ID + `"}`},
		}
		for _, s := range steps {
			status, env := send(t, d, s.method, s.path, s.auth, s.body)
			if status != 403 {
				t.Fatalf("%s: %d %v, want 403", s.what, status, env)
			}
		}
		unchanged(t, d, before, len(steps))
		// The token still acts as its creator, and only as her.
		if me := must[tc.Me](t)(d.Client(t, mine.Raw).Me(bg)); me.User.Username != "alice" {
			t.Fatalf("the token now acts as %s", me.User.Username)
		}
		// The owner may do all of it (the rule is "outrank the target").
		must[tc.Token](t)(owner.ReassignToken(bg, bertTok.ID, "alice"))
		if err := owner.DeleteInvite(bg, adminInvite.ID); err != nil {
			t.Fatal(err)
		}
	})
}

// Issue 14, finding 2: an API token — even a telegraf-agent one — rewrote
// its owner's email and guessed currentPassword without limit. Account
// changes now need a login session; a session's wrong currentPassword counts
// in the login lockout.
func TestAttackTokenRewritesAccount(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		agent := createToken(t, owner, tc.CreateTokenRequest{Description: "fleet", Preset: tc.PresetTelegrafAgent})
		full := createToken(t, owner, tc.CreateTokenRequest{Description: "all", Preset: tc.PresetFullAccess})

		before := dbSnapshot(t, d)
		verifs := d.Auth().PasswordVerifications()
		attempts := 0
		for _, tok := range []string{agent.Raw, full.Raw} {
			status, env := send(t, d, "PATCH", "/api/auth/me", "Bearer "+tok, `{"email":"evil@example.com"}`)
			attempts++
			if status != 403 || !strings.Contains(fmt.Sprint(env["message"]), "login session") {
				t.Fatalf("email change with a token: %d %v", status, env)
			}
			for i := 0; i < 30; i++ {
				status, env := send(t, d, "PATCH", "/api/auth/me", "Token "+tok, fmt.Sprintf(`{"password":"new-pass-1","currentPassword":"guess-%d"}`, i))
				attempts++
				if status != 403 {
					t.Fatalf("password guess %d with a token: %d %v", i, status, env)
				}
			}
		}
		if n := d.Auth().PasswordVerifications() - verifs; n != 0 {
			t.Fatalf("token requests ran %d password comparisons", n)
		}
		// With a session, wrong current passwords lock the account like
		// failed logins (5 here): the 6th guess, even the right one, is 429.
		for i := 1; i <= 5; i++ {
			status, env := send(t, d, "PATCH", "/api/auth/me", "Bearer "+owner.Token(), fmt.Sprintf(`{"password":"new-pass-1","currentPassword":"guess-%d"}`, i))
			attempts++
			if want := map[bool]int{true: 429, false: 403}[i == 5]; status != want {
				t.Fatalf("session guess %d: %d %v, want %d", i, status, env, want)
			}
		}
		status, env := send(t, d, "PATCH", "/api/auth/me", "Bearer "+owner.Token(), `{"password":"new-pass-1","currentPassword":"rootpass1"}`)
		attempts++
		if status != 429 {
			t.Fatalf("the right password while locked: %d %v", status, env)
		}
		if n := d.Auth().PasswordVerifications() - verifs; n != 5 {
			t.Fatalf("%d comparisons for 5 wrong guesses and one while locked", n)
		}
		unchanged(t, d, before, attempts)
		d.Clock.Advance(d.Auth().Settings().LockoutDuration + time.Second)
		// The owner's session changes the email and, with the right
		// current password, the password.
		must[tc.User](t)(owner.UpdateMe(bg, tc.UpdateMeRequest{Email: ptr("root2@example.com")}))
		must[tc.User](t)(owner.UpdateMe(bg, tc.UpdateMeRequest{Password: ptr("new-pass-1"), CurrentPassword: ptr("rootpass1")}))
		login(t, d, "root", "new-pass-1")
	})
}

// Issue 14, finding 3: a reset code outlived a change of its target — the
// manager it was issued for became owner, was disabled, or changed their own
// password — and redeemed, it handed over that account.
func TestAttackStaleResetCode(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		_, _ = invite(t, d, owner, "mike", tc.RoleManager)
		daveC, _ := invite(t, d, owner, "dave", tc.RoleManager)
		invite(t, d, owner, "dina", tc.RoleManager)

		toOwner := must[tc.PasswordReset](t)(admin.CreatePasswordReset(bg, "mike", tc.PasswordResetRequest{}))
		changedOwn := must[tc.PasswordReset](t)(admin.CreatePasswordReset(bg, "dave", tc.PasswordResetRequest{}))
		disabled := must[tc.PasswordReset](t)(admin.CreatePasswordReset(bg, "dina", tc.PasswordResetRequest{}))

		// The owner promotes mike and hands ownership over; dave changes his
		// own password; dina is disabled.
		must[tc.User](t)(owner.UpdateUser(bg, "mike", tc.UpdateUserRequest{Role: ptr(tc.RoleAdministrator)}))
		must[client.TransferResult](t)(owner.TransferOwnership(bg, "mike"))
		must[tc.User](t)(daveC.UpdateMe(bg, tc.UpdateMeRequest{Password: ptr("daves-new-1"), CurrentPassword: ptr("dave-pass1")}))
		newOwner := login(t, d, "mike", "mike-pass1")
		must[tc.User](t)(newOwner.UpdateUser(bg, "dina", tc.UpdateUserRequest{Disabled: ptr(true)}))

		before := dbSnapshot(t, d)
		for what, code := range map[string]string{"target became owner": toOwner.Code, "target changed its password": changedOwn.Code, "target disabled": disabled.Code} {
			status, env := send(t, d, "POST", "/api/auth/password-reset", "", `{"code":"`+code+`","password":"attacker-1"}`)
			is4xx(t, what, status, env)
		}
		unchanged(t, d, before, 3)
		_, err := d.Client(t, "").Login(bg, tc.LoginRequest{Username: "mike", Password: "attacker-1"})
		wantCode(t, err, tc.EUnauthorized, 401)

		// A fresh code for an unchanged target still works.
		fresh := must[tc.PasswordReset](t)(admin.CreatePasswordReset(bg, "dave", tc.PasswordResetRequest{}))
		if err := d.Client(t, "").ResetPassword(bg, tc.CodeRequest{Code: fresh.Code, Password: "daves-newer-1"}); err != nil {
			t.Fatal(err)
		}
		login(t, d, "dave", "daves-newer-1")
	})
}

// Issue 14, finding 4: invite and reset codes outlived their issuer — an
// administrator later demoted or deleted.
func TestAttackCodesOutliveIssuer(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		demoted, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		deleted, _ := invite(t, d, owner, "bert", tc.RoleAdministrator)
		repassed, _ := invite(t, d, owner, "cleo", tc.RoleAdministrator)
		invite(t, d, owner, "mike", tc.RoleManager)

		inv1 := must[tc.Invite](t)(demoted.CreateInvite(bg, tc.InviteRequest{Username: "eve1", Email: "eve1@example.com", Role: tc.RoleManager}))
		inv2 := must[tc.Invite](t)(deleted.CreateInvite(bg, tc.InviteRequest{Username: "eve2", Email: "eve2@example.com", Role: tc.RoleManager}))
		inv3 := must[tc.Invite](t)(repassed.CreateInvite(bg, tc.InviteRequest{Username: "eve3", Email: "eve3@example.com", Role: tc.RoleViewer}))
		rst1 := must[tc.PasswordReset](t)(demoted.CreatePasswordReset(bg, "mike", tc.PasswordResetRequest{}))
		rst3 := must[tc.PasswordReset](t)(repassed.CreatePasswordReset(bg, "mike", tc.PasswordResetRequest{}))

		must[tc.User](t)(owner.UpdateUser(bg, "alice", tc.UpdateUserRequest{Role: ptr(tc.RoleManager)}))
		if err := owner.DeleteUser(bg, "bert"); err != nil {
			t.Fatal(err)
		}
		must[tc.User](t)(repassed.UpdateMe(bg, tc.UpdateMeRequest{Password: ptr("cleos-new-1"), CurrentPassword: ptr("cleo-pass1")}))

		before := dbSnapshot(t, d)
		attacks := []struct{ what, path, code string }{
			{"invite of a demoted issuer", "/api/auth/invites/accept", inv1.Code},
			{"invite of a deleted issuer", "/api/auth/invites/accept", inv2.Code},
			{"invite of an issuer with a new password", "/api/auth/invites/accept", inv3.Code},
			{"reset code of a demoted issuer", "/api/auth/password-reset", rst1.Code},
			{"reset code of an issuer with a new password", "/api/auth/password-reset", rst3.Code},
		}
		for _, a := range attacks {
			status, env := send(t, d, "POST", a.path, "", `{"code":"`+a.code+`","password":"attacker-1"}`)
			is4xx(t, a.what, status, env)
		}
		unchanged(t, d, before, len(attacks))
		// The invites are still listed (withdrawable) but redeem nothing.
		if l := must[tc.List[tc.Invite]](t)(owner.ListInvites(bg, tc.Page{})); l.Total != 3 {
			t.Fatalf("invites: %+v", l)
		}
	})
}

// Issue 14, finding 5 and acceptance 3: 200 parallel wrong passwords for one
// user ran 160 bcrypt comparisons (limit 5). The attempt is now counted
// before the comparison: at most the limit's comparisons run, the rest are
// refused without one. Both engines.
func TestAttackParallelLoginsBypassLockout(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, func(c *config.Config) { c.PasswordHashConcurrency = 2 })
		d.Setup(t)
		limit := d.Auth().Settings().LockoutAttempts
		before := dbSnapshot(t, d)
		verifs := d.Auth().PasswordVerifications()

		const n = 200
		statuses := make([]int, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(i int) {
				defer wg.Done()
				<-start
				statuses[i], _ = send(t, d, "POST", "/api/auth/login", "", fmt.Sprintf(`{"username":"root","password":"wrong-%d"}`, i))
			}(i)
		}
		close(start)
		wg.Wait()
		comparisons := d.Auth().PasswordVerifications() - verifs
		count := map[int]int{}
		for _, s := range statuses {
			count[s]++
		}
		t.Logf("%d parallel wrong passwords: %d bcrypt comparisons (limit %d), statuses %v", n, comparisons, limit, count)
		if comparisons > int64(limit) {
			t.Fatalf("%d comparisons for %d parallel attempts; the lockout allows %d", comparisons, n, limit)
		}
		if count[401]+count[429] != n || count[429] == 0 {
			t.Fatalf("statuses %v: want only 401 and 429", count)
		}
		// Locked: even the right password is refused, without a comparison.
		status, _ := send(t, d, "POST", "/api/auth/login", "", `{"username":"root","password":"rootpass1"}`)
		if status != 429 || d.Auth().PasswordVerifications()-verifs != comparisons {
			t.Fatalf("right password while locked: %d", status)
		}
		unchanged(t, d, before, n+1)
		d.Clock.Advance(d.Auth().Settings().LockoutDuration + time.Second)
		login(t, d, "root", "rootpass1")
	})
}
