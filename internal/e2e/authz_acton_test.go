package e2e

import (
	"fmt"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// specMayActOn is README's "who acts on whom" (issue 14, item 9), written
// here independently of internal/auth: everybody acts on their own objects;
// an administrator acts on managers and viewers; the owner on everybody;
// managers and viewers on nobody else.
func specMayActOn(caller, target tc.Role, self bool) bool {
	switch {
	case self:
		return true
	case caller == tc.RoleOwner:
		return true
	case caller == tc.RoleAdministrator:
		return target == tc.RoleManager || target == tc.RoleViewer
	}
	return false
}

var roleRank = map[tc.Role]int{tc.RoleViewer: 1, tc.RoleManager: 2, tc.RoleAdministrator: 3, tc.RoleOwner: 4}

// actors is a tcd with two users of each role but owner; the first of each
// role is a caller.
type actors struct {
	d       *testutil.TCD
	users   []tc.User                 // root, alice, bert, mike, mona, vera, vic
	clients map[string]*client.Client // root, alice, mike, vera
	others  map[string]*client.Client // sessions of bert and mona
	n       int
}

func newActors(t *testing.T, dsn string) *actors {
	d := testutil.StartTCD(t, dsn)
	owner := d.Setup(t)
	a := &actors{d: d, clients: map[string]*client.Client{"root": owner}, others: map[string]*client.Client{}}
	a.users = append(a.users, must[tc.Me](t)(owner.Me(bg)).User)
	for _, u := range []struct {
		name string
		role tc.Role
	}{{"alice", tc.RoleAdministrator}, {"bert", tc.RoleAdministrator}, {"mike", tc.RoleManager}, {"mona", tc.RoleManager}, {"vera", tc.RoleViewer}, {"vic", tc.RoleViewer}} {
		c, user := invite(t, d, owner, u.name, u.role)
		a.users = append(a.users, user)
		if u.name == "alice" || u.name == "mike" || u.name == "vera" {
			a.clients[u.name] = c
		}
	}
	return a
}

func (a *actors) user(name string) tc.User {
	for _, u := range a.users {
		if u.Username == name {
			return u
		}
	}
	panic(name)
}

// session returns a logged-in client of a user who is not a caller.
func (a *actors) session(t *testing.T, name string) *client.Client {
	if c, ok := a.others[name]; ok {
		return c
	}
	c := login(t, a.d, name, name+"-pass1")
	a.others[name] = c
	return c
}

// tokenOf makes a fresh token that belongs to u: created by u, or — for a
// viewer, who cannot create tokens — by the owner and given to u.
func (a *actors) tokenOf(t *testing.T, u tc.User) tc.Token {
	t.Helper()
	a.n++
	desc := fmt.Sprintf("matrix %d", a.n)
	if c, ok := a.clients[u.Username]; ok && u.Role != tc.RoleViewer {
		return createToken(t, c, tc.CreateTokenRequest{Description: desc, Permissions: []string{"configs:read"}}).Token
	}
	if u.Role != tc.RoleViewer {
		c := a.session(t, u.Username)
		return createToken(t, c, tc.CreateTokenRequest{Description: desc, Permissions: []string{"configs:read"}}).Token
	}
	tok := createToken(t, a.clients["root"], tc.CreateTokenRequest{Description: desc, Permissions: []string{"configs:read"}})
	return must[tc.Token](t)(a.clients["root"].ReassignToken(bg, tok.ID, u.ID))
}

// expected status of a token action by caller on a token of owner, when
// the action also needs to act on other (nil: no second user).
func tokenActionStatus(caller, owner tc.User, other *tc.User) int {
	if caller.Role == tc.RoleViewer {
		return 403 // tokens:write required
	}
	if caller.Role == tc.RoleManager && owner.ID != caller.ID {
		return 404 // managers do not see other users' tokens
	}
	ok := specMayActOn(caller.Role, owner.Role, caller.ID == owner.ID)
	if other != nil {
		ok = ok && specMayActOn(caller.Role, other.Role, caller.ID == other.ID)
	}
	if ok {
		return 200
	}
	return 403
}

// Issue 14, acceptance 2: every (caller role, current owner role, new owner
// role) triple, with "self" as a role of its own: a reassign is allowed
// exactly where the caller may act on both owners; the token moves only
// then; the audit entry of a reassign names the token, both users and the
// caller.
func TestReassignMatrix(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		a := newActors(t, e.DSN)
		cases, allowed := 0, 0
		expect := map[string][2]string{} // token ID → owner, creator
		for _, callerName := range []string{"root", "alice", "mike", "vera"} {
			caller := a.user(callerName)
			for _, cur := range a.users {
				var tok tc.Token // a token of cur, until a reassign moves it
				for _, nw := range a.users {
					if tok.ID == "" {
						tok = a.tokenOf(t, cur)
					}
					status, env := send(t, a.d, "POST", "/api/tokens/"+tok.ID+"/reassign", "Bearer "+a.clients[callerName].Token(), `{"userId":"`+nw.ID+`"}`)
					want := tokenActionStatus(caller, cur, &nw)
					cases++
					if status != want {
						t.Errorf("%s (%s) reassigns %s's token to %s (%s): %d %v, want %d", callerName, caller.Role, cur.Username, nw.Username, nw.Role, status, env["message"], want)
						continue
					}
					wantOwner := cur.ID
					if want == 200 {
						wantOwner = nw.ID
						allowed++
					}
					creator := cur.ID // viewers hold tokens the owner made for them
					if cur.Role == tc.RoleViewer {
						creator = a.users[0].ID
					}
					expect[tok.ID] = [2]string{wantOwner, creator}
					if want == 200 {
						tok = tc.Token{}
					}
				}
			}
		}
		// Every token belongs to whom it should, and keeps its creator.
		list := must[tc.List[tc.Token]](t)(a.clients["root"].ListTokens(bg, "", tc.Page{Limit: tc.MaxLimit}))
		seen := 0
		for _, got := range list.Items {
			w, ok := expect[got.ID]
			if !ok {
				continue
			}
			seen++
			if got.UserID != w[0] || got.CreatedBy != w[1] {
				t.Errorf("token %s belongs to %s, created by %s; want %s, %s", got.Description, got.UserID, got.CreatedBy, w[0], w[1])
			}
		}
		if seen != len(expect) {
			t.Fatalf("%d of %d tokens listed", seen, len(expect))
		}
		t.Logf("%d reassign cases, %d allowed", cases, allowed)
		if cases != 4*7*7 || allowed == 0 {
			t.Fatalf("%d cases, %d allowed", cases, allowed)
		}

		// The audit entry of a reassign names the token, both users and the caller.
		tok := a.tokenOf(t, a.user("mike"))
		must[tc.Token](t)(a.clients["alice"].ReassignToken(bg, tok.ID, "mona"))
		var last store.AuditRow
		if err := a.d.Store().Gorm(bg).Order("seq DESC").Limit(1).Take(&last).Error; err != nil {
			t.Fatal(err)
		}
		mike, mona := a.user("mike"), a.user("mona")
		for _, want := range []string{"id=" + tok.ID, "from=" + mike.ID + " (mike)", "to=" + mona.ID + " (mona)"} {
			if !strings.Contains(last.Target, want) {
				t.Fatalf("audit target %q lacks %q", last.Target, want)
			}
		}
		if last.Actor != "alice" || last.Action != "POST /api/tokens/:id/reassign" || last.Outcome != tc.OutcomeSuccess {
			t.Fatalf("audit entry: %+v", last)
		}
	})
}

// The permission matrix of "who acts on whom" (issue 14, item 9, README's
// role table): revoking and deleting tokens, issuing reset codes, changing
// and deleting users and withdrawing invites, for each caller role against
// each target role and itself, agree with specMayActOn.
func TestActOnMatrix(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		a := newActors(t, e.DSN)
		for _, callerName := range []string{"root", "alice", "mike", "vera"} {
			caller := a.user(callerName)
			auth := "Bearer " + a.clients[callerName].Token()
			for _, target := range a.users {
				self := caller.ID == target.ID
				// Tokens: revoke and delete.
				for _, verb := range []struct{ method, suffix string }{{"POST", "/revoke"}, {"DELETE", ""}} {
					tok := a.tokenOf(t, target)
					status, env := send(t, a.d, verb.method, "/api/tokens/"+tok.ID+verb.suffix, auth, "")
					want := tokenActionStatus(caller, target, nil)
					if want == 200 && verb.method == "DELETE" {
						want = 204
					}
					if status != want {
						t.Errorf("%s %s%s %s's token: %d %v, want %d", callerName, verb.method, verb.suffix, target.Username, status, env["message"], want)
					}
				}
				// Users: a reset code (and a change of email) needs users:write,
				// acting on the target, not oneself, and never the owner.
				mayUser := roleRank[caller.Role] >= roleRank[tc.RoleAdministrator] && !self && target.Role != tc.RoleOwner &&
					specMayActOn(caller.Role, target.Role, false)
				status, env := send(t, a.d, "POST", "/api/users/"+target.ID+"/password-reset", auth, "")
				if (status == 201) != mayUser || (!mayUser && status != 403) {
					t.Errorf("%s issues a reset code for %s: %d %v, may=%v", callerName, target.Username, status, env["message"], mayUser)
				}
				status, env = send(t, a.d, "PATCH", "/api/users/"+target.ID, auth, `{"email":"`+target.Username+`-new@example.com"}`)
				if (status == 200) != mayUser || (!mayUser && status != 403) {
					t.Errorf("%s changes %s's email: %d %v, may=%v", callerName, target.Username, status, env["message"], mayUser)
				}
				if status == 200 { // put it back for the next caller
					must[tc.User](t)(a.clients["root"].UpdateUser(bg, target.ID, tc.UpdateUserRequest{Email: ptr(target.Email)}))
				}
			}
			// Invites: issued by the owner and each administrator, for each
			// role they may grant. Withdrawing needs to outrank the invited
			// role and to act on the issuer.
			for _, issuerName := range []string{"root", "alice", "bert"} {
				issuer := a.user(issuerName)
				ic, ok := a.clients[issuerName]
				if !ok {
					ic = a.session(t, issuerName)
				}
				for _, role := range []tc.Role{tc.RoleAdministrator, tc.RoleManager, tc.RoleViewer} {
					if roleRank[issuer.Role] <= roleRank[role] {
						continue
					}
					a.n++
					name := fmt.Sprintf("inv%d", a.n)
					inv := must[tc.Invite](t)(ic.CreateInvite(bg, tc.InviteRequest{Username: name, Email: name + "@example.com", Role: role}))
					status, env := send(t, a.d, "DELETE", "/api/users/invites/"+inv.ID, auth, "")
					may := roleRank[caller.Role] >= roleRank[tc.RoleAdministrator] && roleRank[caller.Role] > roleRank[role] &&
						specMayActOn(caller.Role, issuer.Role, caller.ID == issuer.ID)
					if (status == 204) != may || (!may && status != 403) {
						t.Errorf("%s withdraws %s's %s invite: %d %v, may=%v", callerName, issuerName, role, status, env["message"], may)
					}
				}
			}
		}
	})
}
