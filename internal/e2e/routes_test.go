package e2e

import (
	"io"
	"net/http"
	"sort"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/testutil"
)

// Every registered route that is not on the public allowlist refuses a
// request without credentials with 401 and the envelope; every allowlisted
// route exists. Routes are enumerated from the router itself, so a route
// added without authentication fails this test.
func TestEveryRouteRequiresCredentials(t *testing.T) {
	d := testutil.StartTCD(t, testutil.SQLiteDSN(t))
	allow := map[string]bool{}
	for _, a := range api.PublicAllowlist {
		allow[a] = true
	}
	seen := map[string]bool{}
	n := 0
	for _, r := range d.API().App().GetRoutes(true) {
		if r.Method == "USE" || r.Path == "/" {
			continue
		}
		key := r.Method + " " + r.Path
		if r.Method == http.MethodHead {
			key = "GET " + r.Path // fiber registers HEAD beside every GET
		}
		if allow[key] {
			seen[key] = true
			continue
		}
		n++
		path := strings.NewReplacer(":id", "some-id", ":name", "some-name").Replace(r.Path)
		req, _ := http.NewRequest(r.Method, d.URL+path, strings.NewReader(`{}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("%s %s without credentials: %d %s", r.Method, r.Path, resp.StatusCode, body)
			continue
		}
		if r.Method != http.MethodHead && !strings.Contains(string(body), `"code":"unauthorized"`) {
			t.Errorf("%s %s: 401 without the envelope: %s", r.Method, r.Path, body)
		}
	}
	if n < 10 {
		t.Fatalf("only %d protected routes found: route enumeration is broken", n)
	}
	var missing []string
	for a := range allow {
		if !seen[a] {
			missing = append(missing, a)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		t.Fatalf("allowlisted routes that are not registered: %v", missing)
	}
	// A wrong credential on a protected route is a 401 too, never a pass.
	req, _ := http.NewRequest("GET", d.URL+"/api/users", nil)
	req.Header.Set("Authorization", "Bearer tc-session_"+strings.Repeat("0", 64))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Fatalf("unknown session: %d", resp.StatusCode)
	}
}
