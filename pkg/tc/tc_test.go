package tc

import (
	"strings"
	"testing"
	"time"
)

func TestRolesAreNested(t *testing.T) {
	for i := 0; i+1 < len(Roles); i++ {
		hi, lo := Roles[i].Permissions(), Roles[i+1].Permissions()
		if missing := lo.Minus(hi); len(missing) > 0 {
			t.Errorf("%s lacks %v that %s has", Roles[i], missing.Strings(), Roles[i+1])
		}
	}
	if RoleViewer.Permissions().Has(Perm(ResConfigs, ActWrite)) || RoleViewer.CanHoldTokens() {
		t.Error("viewers write or hold tokens")
	}
	if RoleManager.Permissions().Has(Perm(ResUsers, ActRead)) || !RoleManager.Permissions().Has(Perm(ResTokens, ActWrite)) {
		t.Error("manager permissions wrong")
	}
	for p := range RoleOwner.Permissions() {
		if !p.Known() {
			t.Errorf("role holds %s, which is not in the catalogue", p)
		}
	}
}

func TestParsePermissions(t *testing.T) {
	s, err := ParsePermissions([]string{" Configs:Read", "configs:read", "heartbeat:write"})
	if err != nil || strings.Join(s.Strings(), ",") != "configs:read,heartbeat:write" {
		t.Fatalf("%v %v", s, err)
	}
	for _, bad := range []string{"configs", "configs:delete", "users:admin", ""} {
		if _, err := ParsePermissions([]string{bad}); !IsCode(err, EInvalid) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestNormalizeUsernameAndEmail(t *testing.T) {
	good := map[string]string{"Alice": "alice", " bob.smith ": "bob.smith", "a_b-c@d": "a_b-c@d"}
	for in, want := range good {
		if got, err := NormalizeUsername(in); err != nil || got != want {
			t.Errorf("%q: %q %v", in, got, err)
		}
	}
	for _, bad := range []string{"", "ab", strings.Repeat("a", 51), "-abc", "a b", "ünï", "a/b", "x\x00y"} {
		if _, err := NormalizeUsername(bad); !IsCode(err, EInvalid) {
			t.Errorf("username %q accepted", bad)
		}
	}
	if e, err := NormalizeEmail(" Bob@Example.COM "); err != nil || e != "bob@example.com" {
		t.Errorf("%q %v", e, err)
	}
	for _, bad := range []string{"", "bob", "bob@", "bob@example", "Bob <bob@example.com>", strings.Repeat("e", 250) + "@example.com"} {
		if _, err := NormalizeEmail(bad); !IsCode(err, EInvalid) {
			t.Errorf("email %q accepted", bad)
		}
	}
}

func TestPasswordComplexity(t *testing.T) {
	cases := []struct {
		level PasswordComplexity
		pw    string
		ok    bool
	}{
		{ComplexityLow, "12345678", true},
		{ComplexityLow, "1234567", false},
		{ComplexityMedium, "Abcdefghi1", true},
		{ComplexityMedium, "abcdefghi1", false},
		{ComplexityMedium, "Abcdefgh1", false},
		{ComplexityHigh, "Abcdefghij1!", true},
		{ComplexityHigh, "Abcdefghij12", false},
		{ComplexityLow, strings.Repeat("x", 73), false},
	}
	for _, c := range cases {
		err := c.level.CheckPassword(c.pw)
		if (err == nil) != c.ok {
			t.Errorf("%s %q: %v", c.level, c.pw, err)
		}
		if err != nil && !strings.Contains(ErrorMessage(err), "") {
			t.Errorf("no message")
		}
	}
	if err := ComplexityHigh.CheckPassword("short"); !strings.Contains(ErrorMessage(err), ComplexityHigh.Rule()) {
		t.Errorf("message does not say the rule: %v", err)
	}
}

func TestParseExpiresIn(t *testing.T) {
	for in, want := range map[string]time.Duration{"90s": 90 * time.Second, "12h": 12 * time.Hour, "30d": 30 * 24 * time.Hour, "2w": 14 * 24 * time.Hour, "1h30m": 90 * time.Minute} {
		if d, err := ParseExpiresIn(in); err != nil || d != want {
			t.Errorf("%s: %v %v", in, d, err)
		}
	}
	for _, bad := range []string{"", "0s", "-1h", "soon", "5000w", "1y"} {
		if _, err := ParseExpiresIn(bad); !IsCode(err, EInvalid) {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestPresets(t *testing.T) {
	held := RoleManager.Permissions()
	ro, _ := PresetPermissions(PresetReadOnly, held)
	for p := range ro {
		if p.Action() != ActRead || !held.Has(p) {
			t.Errorf("read-only holds %s", p)
		}
	}
	full, _ := PresetPermissions(PresetFullAccess, held)
	if len(full) != len(held) {
		t.Errorf("full-access %v", full.Strings())
	}
	if _, err := PresetPermissions("admin", held); !IsCode(err, EInvalid) {
		t.Error("unknown preset accepted")
	}
}

func TestErrorStatusTable(t *testing.T) {
	for code, status := range map[string]int{EInvalid: 400, EUnauthorized: 401, EForbidden: 403, ENotFound: 404, EConflict: 409, EPayloadTooLarge: 413, ETooManyRequests: 429, EInternal: 500, EUnavailable: 503} {
		if StatusForCode(code) != status || CodeForStatus(status) != code {
			t.Errorf("%s ↔ %d", code, status)
		}
	}
}
