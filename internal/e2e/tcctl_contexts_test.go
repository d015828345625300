package e2e

import (
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/tc"
)

// recorder is a listener B that records the Authorization header of every
// request and answers 200 with an empty JSON object, as a server that
// happily takes any credential would.
type recorder struct {
	*httptest.Server
	mu    sync.Mutex
	auths []string
}

func newRecorder(t *testing.T) *recorder {
	r := &recorder{}
	r.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.mu.Lock()
		r.auths = append(r.auths, req.Header.Get("Authorization"))
		r.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"user":{"username":"root","role":"owner"},"credential":"session","items":[]}`))
	}))
	t.Cleanup(r.Close)
	return r
}

func (r *recorder) authorizations() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.auths...)
}

// Issue 14 finding 6 / acceptance 4: a session saved for tcd A is never
// sent to another URL B, whether B comes from --url or TCCTL_URL; tcctl
// sends nothing and exits 4 naming `tcctl login --url B`.
func TestTcctlCredentialOnlyToItsServer(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) { testCredentialOnlyToItsServer(t, e.DSN) })
}

func testCredentialOnlyToItsServer(t *testing.T, dsn string) {
	a := testutil.StartTCD(t, dsn)
	owner := a.Setup(t)
	b := newRecorder(t)
	prof := filepath.Join(t.TempDir(), "config.yaml")
	atA := map[string]string{"TCCTL_URL": a.URL}
	if r := tcctl(t, prof, "rootpass1\n", atA, "login", "--username", "root", "--password-stdin"); r.code != 0 {
		t.Fatalf("login at A: %d %s", r.code, r.stderr)
	}
	saved, _ := os.ReadFile(prof)
	auditBefore := len(auditAll(t, owner))
	tokensBefore := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "", tc.Page{Limit: 100})).Total
	for _, tt := range []struct {
		name string
		env  map[string]string
		args []string
	}{
		{"--url", map[string]string{}, []string{"--url", b.URL, "whoami"}},
		{"TCCTL_URL", map[string]string{"TCCTL_URL": b.URL}, []string{"whoami"}},
		{"TCCTL_URL, a list verb", map[string]string{"TCCTL_URL": b.URL}, []string{"user", "list", "-o", "json"}},
		{"--url with a trailing path", map[string]string{}, []string{"--url", b.URL + "/", "agent", "list"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := tcctl(t, prof, "", tt.env, tt.args...)
			if r.code != 4 || !strings.Contains(r.stderr, "`tcctl login --url "+b.URL) {
				t.Errorf("exit %d, stderr %q; want 4 naming tcctl login --url %s", r.code, r.stderr, b.URL)
			}
			if r.stdout != "" {
				t.Errorf("stdout %q", r.stdout)
			}
		})
	}
	if got := b.authorizations(); len(got) != 0 {
		t.Fatalf("B received %d requests, Authorization headers %q; want none", len(got), got)
	}
	// --context naming A's context together with B's URL is refused too.
	r := tcctl(t, prof, "", map[string]string{}, "--context", hostPort(a.URL), "--url", b.URL, "whoami")
	if r.code != 2 || !strings.Contains(r.stderr, "belongs to "+a.URL) {
		t.Errorf("--context A --url B: exit %d, %s", r.code, r.stderr)
	}
	if got := b.authorizations(); len(got) != 0 {
		t.Fatalf("B received Authorization headers %q", got)
	}
	// Nothing changed: the file, A's audit log and tokens; A still works
	// with its own session.
	if n := len(auditAll(t, owner)); n != auditBefore {
		t.Errorf("A's audit log went from %d to %d entries", auditBefore, n)
	}
	if n := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "", tc.Page{Limit: 100})).Total; n != tokensBefore {
		t.Errorf("A's tokens went from %d to %d", tokensBefore, n)
	}
	if now, _ := os.ReadFile(prof); string(now) != string(saved) {
		t.Errorf("configuration file changed:\n%s\nwas\n%s", now, saved)
	}
	if r := tcctl(t, prof, "", map[string]string{}, "whoami"); r.code != 0 || !strings.Contains(r.stdout, "root") {
		t.Errorf("whoami at A: %d %s %s", r.code, r.stdout, r.stderr)
	}
}

func hostPort(u string) string {
	return strings.TrimPrefix(strings.TrimPrefix(u, "http://"), "https://")
}

// Contexts: two servers, each with its own login; --url picks the context
// saved for that URL, --context and `context use` switch, `context list`
// never shows a credential; accept-invite keeps the inviter's context
// current; setup adds a context without replacing another.
func TestTcctlContexts(t *testing.T) {
	a := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	b := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	prof := filepath.Join(t.TempDir(), "config.yaml")
	none := map[string]string{}
	ok := func(r run, what string) run {
		t.Helper()
		if r.code != 0 {
			t.Fatalf("%s: exit %d\n%s%s", what, r.code, r.stdout, r.stderr)
		}
		return r
	}
	ok(tcctl(t, prof, "rootpass1\n", map[string]string{"TCCTL_URL": a.URL}, "setup", "--username", "root", "--email", "root@example.com", "--password-stdin"), "setup A")
	ok(tcctl(t, prof, "bobpass12\n", map[string]string{"TCCTL_URL": b.URL}, "setup", "--username", "bob", "--email", "bob@example.com", "--password-stdin"), "setup B")
	// setup made B current; A's context is still there with its session.
	if r := ok(tcctl(t, prof, "", none, "whoami"), "whoami"); !strings.Contains(r.stdout, "bob") {
		t.Fatalf("current context after setup B: %s", r.stdout)
	}
	if r := ok(tcctl(t, prof, "", none, "--url", a.URL, "whoami"), "whoami --url A"); !strings.Contains(r.stdout, "root") {
		t.Fatalf("--url A used %s", r.stdout)
	}
	ok(tcctl(t, prof, "", none, "context", "use", hostPort(a.URL)), "context use A")
	if r := ok(tcctl(t, prof, "", none, "whoami"), "whoami"); !strings.Contains(r.stdout, "root") {
		t.Fatalf("after context use A: %s", r.stdout)
	}
	if r := ok(tcctl(t, prof, "", map[string]string{"TCCTL_CONTEXT": hostPort(b.URL)}, "whoami"), "TCCTL_CONTEXT"); !strings.Contains(r.stdout, "bob") {
		t.Fatalf("TCCTL_CONTEXT=B: %s", r.stdout)
	}
	// accept-invite in the same shell: alice's context is added, root's
	// stays current and keeps its session.
	code := strings.TrimSpace(ok(tcctl(t, prof, "", none, "user", "invite", "--username", "alice", "--email", "alice@example.com", "--role", "administrator"), "invite").stdout)
	r := ok(tcctl(t, prof, "alice-pass1\n", none, "user", "accept-invite", "--code", code, "--password-stdin"), "accept-invite")
	if !strings.Contains(r.stderr, "alice@"+hostPort(a.URL)) {
		t.Errorf("accept-invite does not say where the session went: %s", r.stderr)
	}
	if r := ok(tcctl(t, prof, "", none, "whoami"), "whoami"); !strings.Contains(r.stdout, "root") {
		t.Fatalf("accept-invite replaced the current login: %s", r.stdout)
	}
	if r := ok(tcctl(t, prof, "", none, "--context", "alice@"+hostPort(a.URL), "whoami"), "whoami alice"); !strings.Contains(r.stdout, "alice") {
		t.Fatalf("alice's context: %s", r.stdout)
	}
	// Two logins for A: --url A without --context uses the current (root).
	if r := ok(tcctl(t, prof, "", none, "--url", a.URL, "whoami"), "whoami"); !strings.Contains(r.stdout, "root") {
		t.Fatalf("--url A: %s", r.stdout)
	}
	r = ok(tcctl(t, prof, "", none, "context", "list"), "context list")
	for _, want := range []string{"* ", hostPort(a.URL), hostPort(b.URL), "alice@" + hostPort(a.URL), "session"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("context list lacks %q:\n%s", want, r.stdout)
		}
	}
	r = ok(tcctl(t, prof, "", none, "context", "list", "-o", "json"), "context list json")
	if strings.Contains(r.stdout, "tc-session_") {
		t.Errorf("context list prints a credential:\n%s", r.stdout)
	}
	ok(tcctl(t, prof, "", none, "context", "rename", hostPort(b.URL), "staging"), "rename")
	if r := ok(tcctl(t, prof, "", none, "--context", "staging", "whoami"), "whoami staging"); !strings.Contains(r.stdout, "bob") {
		t.Fatalf("renamed context: %s", r.stdout)
	}
	ok(tcctl(t, prof, "", none, "context", "delete", "staging", "--yes"), "delete")
	// B has no context now: nothing is sent, exit 4.
	if r := tcctl(t, prof, "", none, "--url", b.URL, "whoami"); r.code != 4 || !strings.Contains(r.stderr, "tcctl login --url "+b.URL) {
		t.Errorf("after delete: %d %s", r.code, r.stderr)
	}
	if r := tcctl(t, prof, "", none, "--context", "nosuch", "whoami"); r.code != 2 {
		t.Errorf("--context nosuch: exit %d", r.code)
	}
}
