package e2e

import (
	"fmt"
	"net"
	"net/http"
	"regexp"
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

// Issue 14, finding 7 and acceptance 5: on a fresh install whoever reached
// setup first became owner, from anywhere. A caller tcd counts as remote
// (here: a trusted proxy's X-Forwarded-For names a non-loopback address)
// now needs the one-time code from tcd's log; from loopback no code is
// needed; with OWNER_* no code is issued.
func TestAttackRemoteSetup(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		_, lo, _ := net.ParseCIDR("127.0.0.0/8")
		d := testutil.StartTCD(t, e.DSN, func(c *config.Config) { c.TrustedProxies = []*net.IPNet{lo} })
		m := regexp.MustCompile(`setup_code=(tc-setup_[0-9a-f]{64})`).FindStringSubmatch(d.Log.String())
		if m == nil {
			t.Fatalf("no setup code in tcd's log:\n%s", d.Log.String())
		}
		code := m[1]
		body := func(code string) string {
			return `{"username":"mallory","email":"m@example.com","password":"mallory-pass1"` + map[bool]string{true: "", false: `,"code":"` + code + `"`}[code == ""] + `}`
		}
		remote := []string{"X-Forwarded-For", "203.0.113.9"}
		before := dbSnapshot(t, d)
		attempts := []struct {
			what    string
			body    string
			headers []string
		}{
			{"remote, no code", body(""), remote},
			{"remote, wrong code", body("tc-setup_" + strings.Repeat("0", 64)), remote},
			{"remote, malformed code", body("let-me-in"), remote},
			{"remote behind two proxies", body(""), []string{"X-Forwarded-For", "203.0.113.9, 127.0.0.1"}},
			{"client-written loopback left of the remote address", body(""), []string{"X-Forwarded-For", "127.0.0.1, 203.0.113.9"}},
		}
		for _, a := range attempts {
			status, env := send(t, d, "POST", "/api/auth/setup", "", a.body, a.headers...)
			if status != 403 || env["field"] != "code" {
				t.Fatalf("%s: %d %v, want 403 naming the code", a.what, status, env)
			}
		}
		unchanged(t, d, before, len(attempts))
		status, env := send(t, d, "POST", "/api/auth/setup", "", body(code), remote...)
		if status != 201 {
			t.Fatalf("remote setup with the code from the log: %d %v", status, env)
		}
		audit := dbSnapshot(t, d).audit
		if last := audit[len(audit)-1]; last.IP != "203.0.113.9" || last.Outcome != tc.OutcomeSuccess {
			t.Fatalf("the audit entry of the setup: %+v", last)
		}

		// Loopback without a proxy needs no code.
		d2 := testutil.StartTCD(t, testutil.SQLiteDSN(t))
		if status, env := send(t, d2, "POST", "/api/auth/setup", "", body("")); status != 201 {
			t.Fatalf("setup from loopback: %d %v", status, env)
		}
		// A proxy on this host that is not trusted forwards for anybody:
		// its requests are not local.
		d3 := testutil.StartTCD(t, testutil.SQLiteDSN(t))
		if status, env := send(t, d3, "POST", "/api/auth/setup", "", body(""), "X-Forwarded-For", "127.0.0.1"); status != 403 {
			t.Fatalf("setup through an untrusted proxy: %d %v", status, env)
		}
		// OWNER_* creates the owner: no code is issued.
		d4 := testutil.StartTCD(t, testutil.SQLiteDSN(t), func(c *config.Config) {
			c.OwnerUsername, c.OwnerEmail, c.OwnerPassword = "root", "root@example.com", "rootpass1"
		})
		if strings.Contains(d4.Log.String(), "setup_code") {
			t.Fatal("a setup code was issued although OWNER_* created the owner")
		}
	})
}

// Issue 14, finding 8 and acceptance 6: creating a token told a manager
// about tokens it may not see (token_name_conflict/token_value_conflict for
// another user's description or value), and weak pre-shared values were
// accepted. Conflicts with invisible tokens now get one answer that names
// neither owner nor kind; values under 128 bits of estimated entropy are
// refused with the reason.
func TestAttackTokenOracleAndWeakValues(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		mgr, _ := invite(t, d, owner, "mike", tc.RoleManager)
		secret := "tc-apiv1_9c4e1f0b7a2d5e8f3c6b9a0d1e4f7a2b5c8d1e4f7a0b3c6d9e2f5a8b1c4d7e0f"
		createToken(t, admin, tc.CreateTokenRequest{Description: "prod deploy", Preset: tc.PresetCI, RawToken: secret})
		fresh := func() string {
			return createToken(t, mgr, tc.CreateTokenRequest{Description: "probe", Preset: tc.PresetCI}).Raw
		}
		unusedValue := fresh() // a random value nobody holds any more
		must[tc.Token](t)(mgr.RevokeToken(bg, tokenID(t, mgr, "probe")))
		if err := mgr.DeleteToken(bg, tokenID(t, mgr, "probe")); err != nil {
			t.Fatal(err)
		}

		before := dbSnapshot(t, d)
		auth := "Bearer " + mgr.Token()
		_, byName := send(t, d, "POST", "/api/tokens", auth, `{"description":"prod deploy","preset":"ci","rawToken":"`+unusedValue+`"}`)
		_, byValue := send(t, d, "POST", "/api/tokens", auth, `{"description":"probe 2","preset":"ci","rawToken":"`+secret+`"}`)
		status, byNameOnly := send(t, d, "POST", "/api/tokens", auth, `{"description":"prod deploy","preset":"ci"}`)
		if fmt.Sprint(byName) != fmt.Sprint(byValue) {
			t.Fatalf("a name clash and a value clash with an invisible token answer differently:\n%v\n%v", byName, byValue)
		}
		for _, env := range []map[string]any{byName, byValue, byNameOnly} {
			text := fmt.Sprint(env)
			for _, leak := range []string{"alice", "administrator", "token_name_conflict", "token_value_conflict", "already exists"} {
				if strings.Contains(text, leak) {
					t.Fatalf("the refusal tells %q: %v", leak, env)
				}
			}
		}
		if status != 409 || byName["code"] != tc.EConflict {
			t.Fatalf("refusal: %d %v", status, byName)
		}
		// Weak pre-shared values, each refused with the reason.
		weak := map[string]string{
			"tc-apiv1_" + strings.Repeat("0", 64):                                       "repeats",
			"tc-apiv1_" + strings.Repeat("0123456789abcdef", 4):                         "",
			"tc-apiv1_" + strings.Repeat("ab", 32):                                      "repeats",
			"tc-apiv1_" + strings.Repeat("deadbeef", 8):                                 "",
			"tc-apiv1_0123456789012345678901234567890123456789012345678901234567890123": "",
			"tc-apiv1_" + strings.Repeat("0", 32) + "5f3c9a1b7e2d4068a9c1b3e5f7092d4c":  "repeats",
		}
		n := 3
		for v, why := range weak {
			status, env := send(t, d, "POST", "/api/tokens", auth, `{"description":"weak","preset":"ci","rawToken":"`+v+`"}`)
			n++
			msg := fmt.Sprint(env["message"])
			if status != 400 || env["field"] != "rawToken" || !strings.Contains(msg, "entropy") || !strings.Contains(msg, why) {
				t.Fatalf("%s: %d %v", v, status, env)
			}
		}
		unchanged(t, d, before, n)
		// A caller who may see the other token learns which field clashes.
		_, err := owner.CreateToken(bg, tc.CreateTokenRequest{Description: "x", Preset: tc.PresetCI, RawToken: secret})
		var te *tc.Error
		if !asTC(err, &te) || te.Details["reason"] != "token_value_conflict" {
			t.Fatalf("owner, value clash: %v", err)
		}
		// A random value is accepted.
		createToken(t, mgr, tc.CreateTokenRequest{Description: "random", Preset: tc.PresetCI, RawToken: unusedValue})
	})
}

func tokenID(t *testing.T, c *client.Client, desc string) string {
	t.Helper()
	for _, tok := range must[tc.List[tc.Token]](t)(c.ListTokens(bg, "", tc.Page{})).Items {
		if tok.Description == desc {
			return tok.ID
		}
	}
	t.Fatalf("no token %q", desc)
	return ""
}

// Issue 15, finding 2: a flood of failed logins costs tcd a bcrypt
// comparison each. Now one address gets its burst (20) and then 429 with
// Retry-After, before any comparison or database write; heartbeats go on
// being served meanwhile. (The throughput figures are tcbench's, in
// docs/performance.md.)
func TestLoginFloodGets429(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN, func(c *config.Config) {
			c.AuthRateLimit, c.AuthRateBurst = 20, 20
			c.AuthRefusalDelay = 20 * time.Millisecond // a refusal is held back (1 s by default)
		})
		owner := d.Setup(t) // one request of the burst
		agent := createToken(t, owner, tc.CreateTokenRequest{Description: "fleet", Preset: tc.PresetTelegrafAgent}).Raw
		verifs := d.Auth().PasswordVerifications()
		auditBefore := len(dbSnapshot(t, d).audit)

		const conns, each = 32, 10
		var (
			mu       sync.Mutex
			statuses = map[int]int{}
			retry    = 0
			wg       sync.WaitGroup
		)
		stop := make(chan struct{})
		hbDone := make(chan [2]int)
		go func() { // an agent keeps sending heartbeats through the flood
			ok, n := 0, 0
			for {
				select {
				case <-stop:
					hbDone <- [2]int{ok, n}
					return
				default:
				}
				if s, _ := postHeartbeat(t, d, "Bearer "+agent, hbBody("flooded", n+1)); s == 200 {
					ok++
				}
				n++
			}
		}()
		for c := 0; c < conns; c++ {
			wg.Add(1)
			go func(c int) {
				defer wg.Done()
				for i := 0; i < each; i++ {
					req, _ := http.NewRequest("POST", d.URL+"/api/auth/login", strings.NewReader(fmt.Sprintf(`{"username":"user%d","password":"guess-%d"}`, c, i)))
					req.Header.Set("Content-Type", "application/json")
					resp, err := http.DefaultClient.Do(req)
					if err != nil {
						t.Error(err)
						return
					}
					resp.Body.Close()
					mu.Lock()
					statuses[resp.StatusCode]++
					if resp.StatusCode == 429 && resp.Header.Get("Retry-After") != "" {
						retry++
					}
					mu.Unlock()
				}
			}(c)
		}
		wg.Wait()
		close(stop)
		hb := <-hbDone
		comparisons := d.Auth().PasswordVerifications() - verifs
		t.Logf("%d failed logins over %d connections: statuses %v, %d bcrypt comparisons, %d/%d heartbeats answered 200 meanwhile",
			conns*each, conns, statuses, comparisons, hb[0], hb[1])
		if statuses[429] < conns*each-20 || retry != statuses[429] {
			t.Fatalf("statuses %v (%d with Retry-After): want all but the burst of 19 refused with 429 and Retry-After", statuses, retry)
		}
		if comparisons > 19 {
			t.Fatalf("%d bcrypt comparisons for a flood from one address with a burst of 20 (one spent on setup)", comparisons)
		}
		if hb[0] == 0 || hb[0] != hb[1] {
			t.Fatalf("heartbeats during the flood: %d of %d answered 200", hb[0], hb[1])
		}
		// Refused requests checked nothing and are not written to the audit
		// log one by one (tcd_auth_rate_limited_total counts them).
		if n := len(dbSnapshot(t, d).audit) - auditBefore; n > 19+1 || n < 1 {
			t.Fatalf("%d audit entries for the flood", n)
		}
		// Every 429 is the per-address limit's, or — on a slow machine — a
		// password check that found every bcrypt slot busy for a second.
		if limited, busy := d.API().AuthRateLimited(), d.Auth().HashBusy(); limited+busy != int64(statuses[429]) || limited < int64(conns*each-20) {
			t.Fatalf("limited counter %d + busy %d, 429s %d", limited, busy, statuses[429])
		}
	})
}

// Issue 15: locking a username is not a way to keep its owner out for good.
// An address floods wrong passwords for the owner: the username locks and
// the address is rate-limited; attempts during the lock do not extend it.
// Once the lock expires, the right password from another address works;
// and while it is locked, RESET_OWNER_PASSWORD at a restart lets the owner
// in at once.
func TestLockoutIsNotForever(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		_, lo, _ := net.ParseCIDR("127.0.0.0/8")
		opts := func(c *config.Config) {
			c.TrustedProxies = []*net.IPNet{lo}
			c.AuthRateLimit, c.AuthRateBurst = 20, 20
			c.AuthRefusalDelay = -1
			c.OwnerUsername, c.OwnerEmail, c.OwnerPassword = "root", "root@example.com", "rootpass1"
		}
		d := testutil.StartTCD(t, e.DSN, opts)
		attacker := []string{"X-Forwarded-For", "198.51.100.7"}
		owner := []string{"X-Forwarded-For", "198.51.100.8"}
		statuses := map[int]int{}
		for i := 0; i < 40; i++ {
			s, _ := send(t, d, "POST", "/api/auth/login", "", fmt.Sprintf(`{"username":"root","password":"guess-%d"}`, i), attacker...)
			statuses[s]++
			if i == 10 {
				d.Clock.Advance(10 * time.Minute) // attempts during the lock do not extend it
			}
		}
		if statuses[401] != 4 || statuses[429] != 36 {
			t.Fatalf("attacker: %v, want 4 × 401 and the rest 429 (lock, then the address's limit)", statuses)
		}
		if s, _ := send(t, d, "POST", "/api/auth/login", "", `{"username":"root","password":"rootpass1"}`, owner...); s != 429 {
			t.Fatalf("owner while locked: %d", s)
		}
		d.Clock.Advance(5*time.Minute + time.Second) // 15 minutes after the lock was taken
		if s, env := send(t, d, "POST", "/api/auth/login", "", `{"username":"root","password":"rootpass1"}`, owner...); s != 200 {
			t.Fatalf("owner after the lock expired: %d %v", s, env)
		}

		// Locked again; the owner restarts tcd with RESET_OWNER_PASSWORD.
		for i := 0; i < 5; i++ {
			send(t, d, "POST", "/api/auth/login", "", `{"username":"root","password":"again"}`, attacker...)
		}
		if s, _ := send(t, d, "POST", "/api/auth/login", "", `{"username":"root","password":"rootpass1"}`, owner...); s != 429 {
			t.Fatalf("owner while locked again: %d", s)
		}
		d.Close()
		d = testutil.StartTCD(t, e.DSN, opts, func(c *config.Config) { c.ResetOwnerPassword, c.OwnerPassword = true, "recovered-1" })
		if s, env := send(t, d, "POST", "/api/auth/login", "", `{"username":"root","password":"recovered-1"}`, owner...); s != 200 {
			t.Fatalf("owner after RESET_OWNER_PASSWORD: %d %v", s, env)
		}
	})
}
