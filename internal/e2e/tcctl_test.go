package e2e

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

type run struct {
	code           int
	stdout, stderr string
}

// tcctl runs the real tcctl (in-process, off a terminal) with a private
// profile file.
func tcctl(t *testing.T, profile, stdin string, env map[string]string, args ...string) run {
	t.Helper()
	t.Setenv("TCCTL_CONFIG", profile)
	for _, k := range []string{"TCCTL_URL", "TCCTL_TOKEN"} {
		t.Setenv(k, env[k])
	}
	ios, in, out, errOut := iostreams.Test()
	in.WriteString(stdin)
	code := cli.Run(bg, args, ios)
	return run{code, out.String(), errOut.String()}
}

// The README walk-through through tcctl against a real tcd: setup → login →
// invite → accept → transfer-owner; exit codes, -o json, [] for empty lists,
// and the profile file (0600, no password). Acceptance 2 and 7 of the
// foundation issue, 8 of the tokens issue.
func TestTcctlAgainstRealTcd(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		dir := t.TempDir()
		rootProfile := filepath.Join(dir, "root.yaml")
		aliceProfile := filepath.Join(dir, "alice.yaml")
		url := map[string]string{"TCCTL_URL": d.URL}
		ok := func(r run, what string) run {
			t.Helper()
			if r.code != 0 {
				t.Fatalf("%s: exit %d\nstdout: %s\nstderr: %s", what, r.code, r.stdout, r.stderr)
			}
			return r
		}

		ok(tcctl(t, rootProfile, "rootpass1\n", url, "setup", "--username", "root", "--email", "root@example.com", "--password-stdin"), "setup")
		ok(tcctl(t, rootProfile, "rootpass1\n", url, "login", "--username", "root", "--password-stdin"), "login")
		data, err := os.ReadFile(rootProfile)
		if err != nil {
			t.Fatal(err)
		}
		if st, _ := os.Stat(rootProfile); st.Mode().Perm() != 0o600 {
			t.Fatalf("profile mode %v", st.Mode().Perm())
		}
		if strings.Contains(string(data), "rootpass1") || !strings.Contains(string(data), "tc-session_") {
			t.Fatalf("profile content:\n%s", data)
		}
		// From here on the profile supplies URL and credential.
		none := map[string]string{}
		var me tc.Me
		r := ok(tcctl(t, rootProfile, "", none, "whoami", "-o", "json"), "whoami")
		if json.Unmarshal([]byte(r.stdout), &me) != nil || me.User.Role != tc.RoleOwner {
			t.Fatalf("whoami -o json: %s", r.stdout)
		}
		r = ok(tcctl(t, rootProfile, "", none, "user", "invites", "-o", "json"), "invites")
		if strings.TrimSpace(r.stdout) != "[]" {
			t.Fatalf("empty list printed %q", r.stdout)
		}
		r = ok(tcctl(t, rootProfile, "", none, "token", "list", "-o", "json"), "token list")
		if strings.TrimSpace(r.stdout) != "[]" {
			t.Fatalf("empty token list printed %q", r.stdout)
		}
		code := strings.TrimSpace(ok(tcctl(t, rootProfile, "", none, "user", "invite", "--username", "alice", "--email", "alice@example.com", "--role", "administrator"), "invite").stdout)
		if !strings.HasPrefix(code, "tc-invite_") {
			t.Fatalf("invite printed %q", code)
		}
		ok(tcctl(t, aliceProfile, "alice-pass1\n", url, "user", "accept-invite", "--code", code, "--password-stdin"), "accept-invite")
		var users []tc.User
		r = ok(tcctl(t, rootProfile, "", none, "user", "list", "-o", "json"), "user list")
		if json.Unmarshal([]byte(r.stdout), &users) != nil || len(users) != 2 {
			t.Fatalf("user list -o json: %s", r.stdout)
		}

		// Tokens: the value alone on stdout, or in "token" with -o json.
		tok := strings.TrimSpace(ok(tcctl(t, rootProfile, "", none, "token", "create", "--description", "agents", "--preset", "telegraf-agent"), "token create").stdout)
		if !tokenRe.MatchString(tok) {
			t.Fatalf("token create printed %q", tok)
		}
		r = ok(tcctl(t, rootProfile, "", none, "token", "create", "--description", "agents2", "--preset", "telegraf-agent", "-o", "json"), "token create json")
		var created map[string]any
		if err := json.Unmarshal([]byte(r.stdout), &created); err != nil || !tokenRe.MatchString(created["token"].(string)) {
			t.Fatalf("token create -o json: %s", r.stdout)
		}
		r = ok(tcctl(t, rootProfile, "", none, "token", "list", "-o", "json"), "token list")
		if strings.Contains(r.stdout, tok[9:]) || strings.Contains(r.stdout, created["token"].(string)[9:]) {
			t.Fatalf("token list shows a raw value: %s", r.stdout)
		}
		// TCCTL_TOKEN wins over the profile: the agent token may not list users → exit 4.
		r = tcctl(t, rootProfile, "", map[string]string{"TCCTL_TOKEN": tok}, "user", "list")
		if r.code != 4 || !strings.Contains(r.stderr, "users:read required") {
			t.Fatalf("agent token listing users: exit %d, stderr %s", r.code, r.stderr)
		}
		// Destructive verbs want --yes off a terminal (exit 2) …
		if r = tcctl(t, rootProfile, "", none, "user", "transfer-owner", "alice"); r.code != 2 {
			t.Fatalf("transfer-owner without --yes: exit %d", r.code)
		}
		// … not found is 3 …
		if r = tcctl(t, rootProfile, "", none, "user", "get", "nobody"); r.code != 3 {
			t.Fatalf("get unknown user: exit %d (%s)", r.code, r.stderr)
		}
		ok(tcctl(t, rootProfile, "", none, "user", "transfer-owner", "alice", "--yes"), "transfer-owner")
		// … and the old session is gone: 401 → exit 4.
		if r = tcctl(t, rootProfile, "", none, "whoami"); r.code != 4 {
			t.Fatalf("whoami after transfer: exit %d", r.code)
		}
		ok(tcctl(t, aliceProfile, "alice-pass1\n", url, "login", "--username", "alice", "--password-stdin"), "alice login")
		r = ok(tcctl(t, aliceProfile, "", none, "user", "get", "root", "-o", "json"), "get root")
		var root tc.User
		if json.Unmarshal([]byte(r.stdout), &root) != nil || root.Role != tc.RoleAdministrator {
			t.Fatalf("old owner: %s", r.stdout)
		}
		ok(tcctl(t, aliceProfile, "", none, "logout"), "logout")
		if data, _ := os.ReadFile(aliceProfile); strings.Contains(string(data), "tc-session_") {
			t.Fatalf("logout left the session in the profile:\n%s", data)
		}
	})
}

func TestTcctlTokenVerbs(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	owner := d.Setup(t)
	invite(t, d, owner, "vera", tc.RoleViewer)
	env := map[string]string{"TCCTL_URL": d.URL, "TCCTL_TOKEN": owner.Token()}
	profile := filepath.Join(t.TempDir(), "p.yaml")
	pre := "tc-apiv1_e8d2fbf2b8406845002034b425cd72e33766197a31a1f42ee82f9f3e52d022cb"
	r := tcctl(t, profile, pre+"\n", env, "token", "create", "--description", "shared", "--preset", "telegraf-agent", "--raw-token-stdin", "--expires-in", "30d", "-o", "json")
	var created tc.CreatedToken
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &created) != nil || created.Raw != pre || created.ExpiresAt == nil {
		t.Fatalf("create with --raw-token-stdin: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r = tcctl(t, profile, "", env, "token", "create", "--description", "bad", "--permission", "users:admin"); r.code != 1 || !strings.Contains(r.stderr, "unknown permission") {
		t.Fatalf("bad permission: %d %s", r.code, r.stderr)
	}
	if r = tcctl(t, profile, "", env, "token", "create", "--description", "x"); r.code != 2 {
		t.Fatalf("no preset or permission: exit %d", r.code)
	}
	var got tc.Token
	r = tcctl(t, profile, "", env, "token", "reassign", created.ID, "vera", "-o", "json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.Username != "vera" || strings.Contains(strings.Join(got.Permissions, ","), "heartbeat:write") {
		t.Fatalf("reassign to a viewer: %d %s %s", r.code, r.stdout, r.stderr)
	}
	if r = tcctl(t, profile, "", env, "token", "revoke", created.ID, "--yes"); r.code != 0 {
		t.Fatalf("revoke: %s", r.stderr)
	}
	r = tcctl(t, profile, "", env, "token", "get", created.ID, "-o", "json")
	if r.code != 0 || json.Unmarshal([]byte(r.stdout), &got) != nil || got.State != tc.TokenRevoked || strings.Contains(r.stdout, pre[9:]) {
		t.Fatalf("get after revoke: %s", r.stdout)
	}
	if r = tcctl(t, profile, "", env, "token", "delete", created.ID, "--yes"); r.code != 0 {
		t.Fatalf("delete: %s", r.stderr)
	}
	if r = tcctl(t, profile, "", env, "token", "get", created.ID); r.code != 3 {
		t.Fatalf("get deleted: exit %d", r.code)
	}
}
