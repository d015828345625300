package e2e

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

func TestSettings(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		manager, _ := invite(t, d, owner, "mike", tc.RoleManager)
		s := must[tc.Settings](t)(admin.Settings(bg))
		if s.LoginLockoutAttempts != 5 || s.PasswordComplexity != tc.ComplexityLow || s.SessionLifetimeMinutes != 1440 || s.AuditRetentionHours != 2160 {
			t.Fatalf("defaults: %+v", s)
		}
		_, err := manager.Settings(bg)
		wantCode(t, err, tc.EForbidden, 403)

		// Invalid values: 400, nothing stored.
		for _, bad := range []tc.SettingsPatch{
			{LoginLockoutAttempts: ptr(0)},
			{PasswordComplexity: ptr(tc.PasswordComplexity("extreme"))},
			{PublicAPIURL: ptr("tcd.example.com")},
			{HeartbeatURL: ptr("https://tcd.example.com/")},
			{AuditRetentionHours: ptr(100)},
			{LoginLockoutAttempts: ptr(3), AuditRetentionHours: ptr(1)},
			{},
		} {
			_, err := admin.UpdateSettings(bg, bad)
			wantCode(t, err, tc.EInvalid, 400)
		}
		if got := must[tc.Settings](t)(admin.Settings(bg)); got != s {
			t.Fatalf("refused patches changed settings: %+v", got)
		}

		// tcctl settings set; the change applies at once.
		profile := filepath.Join(t.TempDir(), "p.yaml")
		env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": admin.Token()}
		r := tcctl(t, profile, "", env, "settings", "set", "loginLockoutAttempts=2", "passwordComplexity=medium", "publicApiUrl=https://tcd.example.com", "-o", "json")
		var got tc.Settings
		if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.LoginLockoutAttempts != 2 || got.PublicAPIURL != "https://tcd.example.com" {
			t.Fatalf("settings set: %d %s %s", r.code, r.stdout, r.stderr)
		}
		if r = tcctl(t, profile, "", env, "settings", "set", "bogus=1"); r.code != 2 {
			t.Fatalf("unknown key: exit %d", r.code)
		}
		for i := 0; i < 2; i++ {
			_, err = d.Client(t, "").Login(bg, tc.LoginRequest{Username: "mike", Password: "wrong"})
		}
		wantCode(t, err, tc.ETooManyRequests, 429)
		_, err = manager.UpdateMe(bg, tc.UpdateMeRequest{Password: ptr("weakpass1"), CurrentPassword: ptr("mike-pass1")})
		if wantCode(t, err, tc.EInvalid, 400); !strings.Contains(tc.ErrorMessage(err), "medium") {
			t.Fatalf("medium complexity not applied: %v", err)
		}
		// Settings survive a restart and beat the configured seed.
		d.Close()
		d2 := testutil.StartTCD(t, e.DSN)
		o2 := login(t, d2, "root", "rootpass1")
		if s2 := must[tc.Settings](t)(o2.Settings(bg)); s2.LoginLockoutAttempts != 2 || s2.PasswordComplexity != tc.ComplexityMedium {
			t.Fatalf("after restart: %+v", s2)
		}
	})
}

// tcctl config use prints the publicApiUrl setting when it is set.
func TestConfigUsePublicURL(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	must[tc.Config](t)(owner.CreateConfig(bg, tc.CreateConfigRequest{Name: "web", TOML: "[agent]\n  hostname = \"&{agent_id}\"\n"}))
	ci := createToken(t, owner, tc.CreateTokenRequest{Description: "ci", Preset: tc.PresetCI}).Raw
	env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": ci}
	profile := filepath.Join(t.TempDir(), "p.yaml")
	if r := tcctl(t, profile, "", env, "config", "use", "web", "--param", "agent_id=a1"); !strings.Contains(r.stdout, d.URL+"/api/configs/") {
		t.Fatalf("default server: %s %s", r.stdout, r.stderr)
	}
	must[tc.Settings](t)(owner.UpdateSettings(bg, tc.SettingsPatch{PublicAPIURL: ptr("https://tcd.example.com")}))
	if r := tcctl(t, profile, "", env, "config", "use", "web", "--param", "agent_id=a1"); !strings.Contains(r.stdout, `"https://tcd.example.com/api/configs/`) {
		t.Fatalf("publicApiUrl not used: %s %s", r.stdout, r.stderr)
	}
}
