package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// Acceptance 8: malformed JSON, unknown fields, over-long names, invalid
// email, unknown role → 400 with the envelope, and nothing written.
func TestBadInputWritesNothing(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		victim, _ := invite(t, d, owner, "vic", tc.RoleManager)
		_ = victim

		long := strings.Repeat("a", 51)
		cases := []struct {
			name, method, path, body, contentType string
			auth                                  bool
			field                                 string
		}{
			{"setup malformed", "POST", "/api/auth/setup", `{"username":"x"`, "", false, ""},
			{"login not an object", "POST", "/api/auth/login", `["root"]`, "", false, ""},
			{"login unknown field", "POST", "/api/auth/login", `{"username":"root","password":"x","otp":1}`, "", false, "otp"},
			{"invite malformed", "POST", "/api/users/invites", `{"username":`, "", true, ""},
			{"invite unknown field", "POST", "/api/users/invites", `{"username":"newbie","email":"n@example.com","role":"viewer","admin":true}`, "", true, "admin"},
			{"invite long username", "POST", "/api/users/invites", `{"username":"` + long + `","email":"n@example.com","role":"viewer"}`, "", true, "username"},
			{"invite short username", "POST", "/api/users/invites", `{"username":"ab","email":"n@example.com","role":"viewer"}`, "", true, "username"},
			{"invite bad chars", "POST", "/api/users/invites", `{"username":"a b/../c","email":"n@example.com","role":"viewer"}`, "", true, "username"},
			{"invite invalid email", "POST", "/api/users/invites", `{"username":"newbie","email":"not-an-email","role":"viewer"}`, "", true, "email"},
			{"invite long email", "POST", "/api/users/invites", `{"username":"newbie","email":"` + strings.Repeat("e", 250) + `@example.com","role":"viewer"}`, "", true, "email"},
			{"invite unknown role", "POST", "/api/users/invites", `{"username":"newbie","email":"n@example.com","role":"superuser"}`, "", true, "role"},
			{"invite wrong type", "POST", "/api/users/invites", `{"username":42,"email":"n@example.com","role":"viewer"}`, "", true, "username"},
			{"invite hours out of range", "POST", "/api/users/invites", `{"username":"newbie","email":"n@example.com","role":"viewer","expiresInHours":721}`, "", true, "expiresInHours"},
			{"invite empty body", "POST", "/api/users/invites", ``, "", true, ""},
			{"invite trailing data", "POST", "/api/users/invites", `{"username":"newbie","email":"n@example.com","role":"viewer"} {}`, "", true, ""},
			{"invite not JSON content type", "POST", "/api/users/invites", `{"username":"newbie","email":"n@example.com","role":"viewer"}`, "text/plain", true, ""},
			{"invite invalid UTF-8", "POST", "/api/users/invites", "{\"username\":\"n\xffx\",\"email\":\"n@example.com\",\"role\":\"viewer\"}", "", true, ""},
			{"set unknown role", "PATCH", "/api/users/vic", `{"role":"god"}`, "", true, "role"},
			{"set invalid email", "PATCH", "/api/users/vic", `{"email":"vic@"}`, "", true, "email"},
			{"set wrong type", "PATCH", "/api/users/vic", `{"disabled":"yes"}`, "", true, "disabled"},
			{"set nothing", "PATCH", "/api/users/vic", `{}`, "", true, ""},
			{"list bad limit", "GET", "/api/users?limit=100000", ``, "", true, "limit"},
			{"list bad offset", "GET", "/api/users?offset=-1", ``, "", true, "offset"},
			{"list unknown role", "GET", "/api/users?role=god", ``, "", true, ""},
			{"accept malformed code", "POST", "/api/auth/invites/accept", `{"code":"nope","password":"whatever1"}`, "", false, "code"},
			{"reset malformed code", "POST", "/api/auth/password-reset", `{"code":"nope","password":"whatever1"}`, "", false, "code"},
			{"me unknown field", "PATCH", "/api/auth/me", `{"username":"renamed"}`, "", true, "username"},
			{"transfer wrong type", "POST", "/api/users/transfer-ownership", `{"userId":7}`, "", true, "userId"},
		}
		before := snapshot(t, owner)
		for _, c := range cases {
			req, _ := http.NewRequest(c.method, d.URL+c.path, strings.NewReader(c.body))
			ct := c.contentType
			if ct == "" {
				ct = "application/json"
			}
			req.Header.Set("Content-Type", ct)
			if c.auth {
				req.Header.Set("Authorization", "Bearer "+owner.Token())
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			var env map[string]any
			if resp.StatusCode != 400 || json.Unmarshal(body, &env) != nil || env["code"] != "invalid" || env["message"] == "" {
				t.Errorf("%s: want 400 envelope, got %d %s", c.name, resp.StatusCode, body)
				continue
			}
			if c.field != "" && env["field"] != c.field {
				t.Errorf("%s: envelope names field %v, want %s (%s)", c.name, env["field"], c.field, body)
			}
		}
		if after := snapshot(t, owner); after != before {
			t.Fatalf("bad input changed the data:\nbefore %s\nafter  %s", before, after)
		}
		// A body over the limit is a 413 with the envelope.
		req, _ := http.NewRequest("POST", d.URL+"/api/auth/login", strings.NewReader(`{"username":"`+strings.Repeat("x", 2<<20)+`"}`))
		req.Header.Set("Content-Type", "application/json")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 413 || !strings.Contains(string(body), "payload_too_large") {
				t.Fatalf("huge body: %d %s", resp.StatusCode, body)
			}
		} // a reset connection is also an acceptable refusal of a 2 MiB body
	})
}

// snapshot renders users and invites so a test can compare before and after.
func snapshot(t *testing.T, c *client.Client) string {
	t.Helper()
	users := must[tc.List[tc.User]](t)(c.ListUsers(bg, client.UserFilter{}))
	invites := must[tc.List[tc.Invite]](t)(c.ListInvites(bg, tc.Page{}))
	b, _ := json.Marshal([]any{users, invites})
	return string(b)
}
