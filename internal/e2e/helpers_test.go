// Package e2e drives a real tcd over real HTTP, on SQLite and PostgreSQL.
package e2e

import (
	"context"
	"testing"

	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

var bg = context.Background()

// wantCode fails unless err carries the code (and, when status > 0, the status).
func wantCode(t *testing.T, err error, code string, status int) {
	t.Helper()
	if err == nil {
		t.Fatalf("want %s error, got success", code)
	}
	if got := tc.ErrorCode(err); got != code {
		t.Fatalf("want code %s, got %s (%v)", code, got, err)
	}
	if status > 0 && client.HTTPStatus(err) != status {
		t.Fatalf("want HTTP %d, got %d (%v)", status, client.HTTPStatus(err), err)
	}
}

func must[T any](t *testing.T) func(T, error) T {
	return func(v T, err error) T {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
}

// invite creates an invite as c and accepts it; it returns the new user's
// session client and user.
func invite(t *testing.T, d *testutil.TCD, c *client.Client, username string, role tc.Role) (*client.Client, tc.User) {
	t.Helper()
	inv, err := c.CreateInvite(bg, tc.InviteRequest{Username: username, Email: username + "@example.com", Role: role})
	if err != nil {
		t.Fatalf("invite %s: %v", username, err)
	}
	resp, err := d.Client(t, "").AcceptInvite(bg, tc.CodeRequest{Code: inv.Code, Password: username + "-pass1"})
	if err != nil {
		t.Fatalf("accept invite of %s: %v", username, err)
	}
	return d.Client(t, resp.Token), resp.User
}

func login(t *testing.T, d *testutil.TCD, username, password string) *client.Client {
	t.Helper()
	resp, err := d.Client(t, "").Login(bg, tc.LoginRequest{Username: username, Password: password})
	if err != nil {
		t.Fatalf("login %s: %v", username, err)
	}
	return d.Client(t, resp.Token)
}

func roleOf(t *testing.T, c *client.Client, username string) tc.Role {
	t.Helper()
	u, err := c.GetUser(bg, username)
	if err != nil {
		t.Fatalf("get %s: %v", username, err)
	}
	return u.Role
}
