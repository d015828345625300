package e2e

import (
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/testutil"
)

// tcctl setup from another host, end to end: a reverse proxy in front of
// tcd (trusted by it) forwards for a client at 203.0.113.9. Without --code
// setup is refused with a message that says where the code is; with the
// code from tcd's log it succeeds.
func TestTcctlSetupWithCode(t *testing.T) {
	_, lo, _ := net.ParseCIDR("127.0.0.0/8")
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t), func(c *config.Config) { c.TrustedProxies = []*net.IPNet{lo} })
	target, _ := url.Parse(d.URL)
	proxy := httputil.NewSingleHostReverseProxy(target)
	director := proxy.Director
	proxy.Director = func(r *http.Request) {
		director(r)
		r.Header.Set("X-Forwarded-For", "203.0.113.9") // the proxy appends its peer, 127.0.0.1
	}
	front := httptest.NewServer(proxy)
	defer front.Close()
	code := regexp.MustCompile(`setup_code=(tc-setup_[0-9a-f]{64})`).FindStringSubmatch(d.Log.String())
	if code == nil {
		t.Fatalf("no setup code logged:\n%s", d.Log.String())
	}
	profile := filepath.Join(t.TempDir(), "p.yaml")
	env := map[string]string{"TCCTL_URL": front.URL}
	args := []string{"setup", "--username", "root", "--email", "root@example.com", "--password-stdin"}
	r := tcctl(t, profile, "rootpass1\n", env, args...)
	if r.code != 4 || !strings.Contains(r.stderr, "setup code") || !strings.Contains(r.stderr, "--code") {
		t.Fatalf("remote setup without a code: exit %d, %s", r.code, r.stderr)
	}
	r = tcctl(t, profile, "rootpass1\n", env, append(args, "--code", code[1])...)
	if r.code != 0 {
		t.Fatalf("remote setup with the code: exit %d, %s", r.code, r.stderr)
	}
	if r := tcctl(t, profile, "", env, "whoami"); r.code != 0 || !strings.Contains(r.stdout, "root") {
		t.Fatalf("whoami after setup: %d %s %s", r.code, r.stdout, r.stderr)
	}
}
