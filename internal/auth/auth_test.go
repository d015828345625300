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
}
