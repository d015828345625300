package auth

import (
	"strings"
	"testing"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

func TestSecrets(t *testing.T) {
	raw, hash := NewSecret(TokenPrefix)
	if !WellFormed(raw, TokenPrefix) || hash != HashSecret(raw) || len(hash) != 64 || Hint(raw) != raw[len(raw)-4:] {
		t.Fatalf("%s %s", raw, hash)
	}
	raw2, _ := NewSecret(TokenPrefix)
	if raw == raw2 {
		t.Fatal("two equal secrets")
	}
	for _, bad := range []string{"tc-apiv1_test", "tc-apiv1_" + strings.Repeat("A", 64), "tc-apiv1_" + strings.Repeat("a", 63), "x" + raw} {
		if WellFormed(bad, TokenPrefix) {
			t.Errorf("%q well-formed", bad)
		}
	}
}

func TestParseAuthorization(t *testing.T) {
	for h, want := range map[string]string{"Bearer abc": "abc", "token abc": "abc", "BEARER  abc ": "abc"} {
		if got, ok := ParseAuthorization(h); !ok || got != want {
			t.Errorf("%q: %q %v", h, got, ok)
		}
	}
	for _, h := range []string{"", "Bearer", "Bearer ", "Basic abc", "abc"} {
		if _, ok := ParseAuthorization(h); ok {
			t.Errorf("%q accepted", h)
		}
	}
}

// A lookup that raced with an invalidation must not fill the cache.
func TestCacheGeneration(t *testing.T) {
	c := newCredCache(10)
	_, gen := c.get("h")
	c.purge()
	c.put("h", &credential{id: "stale"}, gen)
	if e, _ := c.get("h"); e != nil {
		t.Fatal("stale entry stored after a purge")
	}
	_, gen = c.get("h")
	c.put("h", &credential{id: "fresh"}, gen)
	if e, _ := c.get("h"); e == nil || e.id != "fresh" {
		t.Fatal("fresh entry not stored")
	}
}

func TestPolicy(t *testing.T) {
	p := func(role tc.Role, id string) *Principal {
		return &Principal{UserID: id, Role: role, Credential: tc.CredentialSession, Permissions: role.Permissions()}
	}
	u := func(role tc.Role, id string) *store.User { return &store.User{ID: id, Role: role, Username: id} }
	owner, admin, admin2, mgr := p(tc.RoleOwner, "o"), p(tc.RoleAdministrator, "a"), u(tc.RoleAdministrator, "a2"), u(tc.RoleManager, "m")
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Error(err)
		}
	}
	forbid := func(err error) {
		t.Helper()
		if !tc.IsCode(err, tc.EForbidden) {
			t.Errorf("want forbidden, got %v", err)
		}
	}
	must(CanActOnUser(owner, admin2, "delete"))
	must(CanActOnUser(admin, mgr, "delete"))
	forbid(CanActOnUser(admin, admin2, "delete"))
	forbid(CanActOnUser(admin, u(tc.RoleOwner, "o"), "disable"))
	forbid(CanActOnUser(owner, u(tc.RoleOwner, "o"), "delete"))
	forbid(CanActOnUser(admin, u(tc.RoleAdministrator, "a"), "delete"))
	must(CanGrantRole(owner, tc.RoleAdministrator))
	forbid(CanGrantRole(admin, tc.RoleAdministrator))
	forbid(CanGrantRole(owner, tc.RoleOwner))
	forbid(CanActOnUser(p(tc.RoleManager, "m"), u(tc.RoleViewer, "v"), "delete"))
	forbid(CanGrant(p(tc.RoleManager, "m"), tc.NewPermissionSet(tc.Perm(tc.ResUsers, tc.ActRead))))
	must(CanGrant(p(tc.RoleManager, "m"), tc.NewPermissionSet(tc.Perm(tc.ResConfigs, tc.ActWrite))))
	if !tc.IsCode(Require(nil, tc.Perm(tc.ResConfigs, tc.ActRead)), tc.EUnauthorized) {
		t.Error("nil principal must be unauthorized")
	}

	// One rule for users' objects: be the target, or manage others and
	// outrank the target.
	root, alice, bert, mike, vera := u(tc.RoleOwner, "o"), u(tc.RoleAdministrator, "a"), u(tc.RoleAdministrator, "b"), u(tc.RoleManager, "m"), u(tc.RoleViewer, "v")
	manager := p(tc.RoleManager, "m")
	must(CanActOn(owner, alice, "revoke the tokens of"))
	must(CanActOn(owner, root, "revoke the tokens of"))
	must(CanActOn(admin, alice, "revoke the tokens of"))
	must(CanActOn(admin, mike, "revoke the tokens of"))
	must(CanActOn(admin, vera, "revoke the tokens of"))
	forbid(CanActOn(admin, bert, "revoke the tokens of"))
	forbid(CanActOn(admin, root, "revoke the tokens of"))
	must(CanActOn(manager, mike, "revoke the tokens of"))
	forbid(CanActOn(manager, vera, "revoke the tokens of")) // outranks, but managers manage nobody else
	tok := &store.Token{ID: "t", UserID: "m"}
	must(CanReassignToken(admin, tok, mike, vera))
	forbid(CanReassignToken(admin, tok, mike, root))                                  // finding 1: the new owner
	forbid(CanReassignToken(admin, tok, mike, bert))                                  // another administrator
	forbid(CanReassignToken(admin, &store.Token{ID: "t2", UserID: "o"}, root, alice)) // the current owner
	must(CanReassignToken(owner, tok, mike, bert))
	must(CanWithdrawInvite(admin, tc.RoleManager, alice))
	forbid(CanWithdrawInvite(admin, tc.RoleAdministrator, root))
	forbid(CanWithdrawInvite(admin, tc.RoleManager, root))
	must(CanWithdrawInvite(owner, tc.RoleAdministrator, alice))
	if err := CanSeeToken(manager, &store.Token{ID: "t3", UserID: "a"}); !tc.IsCode(err, tc.ENotFound) {
		t.Errorf("a manager must not see another user's token: %v", err)
	}
}

func TestTokenEntropy(t *testing.T) {
	for _, weak := range []string{strings.Repeat("0", 64), strings.Repeat("0123456789abcdef", 4), strings.Repeat("ab", 32),
		strings.Repeat("0", 32) + "5f3c9a1b7e2d4068a9c1b3e5f7092d4c"} {
		if err := CheckTokenEntropy(TokenPrefix + weak); !tc.IsCode(err, tc.EInvalid) || !strings.Contains(tc.ErrorMessage(err), "entropy") {
			t.Errorf("%s: %v", weak, err)
		}
	}
	for i := 0; i < 200; i++ {
		raw, _ := NewSecret(TokenPrefix)
		if bits, why := TokenEntropyBits(raw); bits < MinTokenEntropyBits+32 {
			t.Fatalf("a generated value estimated at %.0f bits (%s): %s", bits, why, raw)
		}
	}
}
