package auth_test

import (
	"context"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/auth"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

var headerSeeds = []string{"", "Bearer", "Bearer ", "Token abc", "bearer  tc-apiv1_" + strings.Repeat("0", 64) + " ",
	"Basic dXNlcjpwYXNz", "Bearer tc-apiv1_" + strings.Repeat("A", 64), "Bearer tc-session_" + strings.Repeat("f", 64),
	"Token tc-apiv1_" + strings.Repeat("a", 63), "Token tc-apiv1_" + strings.Repeat("a", 65), "Bearer\ttc-apiv1_x",
	"Bearer tc-apiv1_" + strings.Repeat("0", 63) + "\x00", "Token ' OR 1=1 --", "Bearer \xff\xfe", "Token tc-apiv1_../../etc"}

// ParseAuthorization never panics; what it returns is the trimmed,
// non-empty remainder after a Bearer or Token scheme; WellFormed accepts
// exactly prefix + 64 lowercase hex digits.
func FuzzParseAuthorization(f *testing.F) {
	for _, s := range headerSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, h string) {
		raw, ok := auth.ParseAuthorization(h)
		if !ok {
			if raw != "" {
				t.Fatalf("%q: refused but returned %q", h, raw)
			}
			return
		}
		if raw == "" || raw != strings.TrimSpace(raw) || !strings.Contains(h, raw) {
			t.Fatalf("%q parsed as %q", h, raw)
		}
		scheme := strings.ToLower(strings.Fields(h)[0])
		if scheme != "bearer" && scheme != "token" {
			t.Fatalf("%q: scheme %q accepted", h, scheme)
		}
		for _, prefix := range []string{auth.TokenPrefix, auth.SessionPrefix} {
			if !auth.WellFormed(raw, prefix) {
				continue
			}
			hex := strings.TrimPrefix(raw, prefix)
			if len(hex) != 64 || strings.Trim(hex, "0123456789abcdef") != "" {
				t.Fatalf("%q well-formed for %q", raw, prefix)
			}
		}
	})
}

// Authenticate answers any header with a principal only for the one valid
// token, and otherwise with a 401 — never another error, never a panic.
func FuzzAuthenticate(f *testing.F) {
	ctx := context.Background()
	st, err := store.Open(ctx, f.TempDir()+"/fuzz.db", store.Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { st.Close() })
	if _, err := st.Migrate(ctx); err != nil {
		f.Fatal(err)
	}
	svc := auth.NewService(st, auth.Options{BcryptCost: 4})
	if err := svc.BootstrapOwner(ctx, auth.OwnerBootstrap{Username: "root", Email: "root@example.com", Password: "rootpass1"}); err != nil {
		f.Fatal(err)
	}
	valid := auth.TokenPrefix + strings.Repeat("cd", 32)
	if err := svc.BootstrapToken(ctx, valid); err != nil {
		f.Fatal(err)
	}
	for _, s := range headerSeeds {
		f.Add(s)
	}
	f.Add("Token " + valid)
	f.Add("bearer " + valid)
	f.Fuzz(func(t *testing.T, h string) {
		p, err := svc.Authenticate(ctx, h)
		if err != nil {
			if tc.ErrorCode(err) != tc.EUnauthorized {
				t.Fatalf("%q: %v (code %s)", h, err, tc.ErrorCode(err))
			}
			return
		}
		if raw, _ := auth.ParseAuthorization(h); raw != valid || p == nil || p.Username != "root" {
			t.Fatalf("%q authenticated as %+v", h, p)
		}
	})
}
