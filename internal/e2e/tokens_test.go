package e2e

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/internal/testutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

var tokenRe = regexp.MustCompile(`^tc-apiv1_[0-9a-f]{64}$`)

func createToken(t *testing.T, c *client.Client, req tc.CreateTokenRequest) tc.CreatedToken {
	t.Helper()
	out, err := c.CreateToken(bg, req)
	if err != nil {
		t.Fatalf("create token %q: %v", req.Description, err)
	}
	return out
}

// Acceptance 3: the raw token is returned once, never again, never logged,
// and the database holds only its SHA-256.
func TestTokenSecrecy(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		created := createToken(t, owner, tc.CreateTokenRequest{Description: "agents", Preset: tc.PresetTelegrafAgent})
		raw := created.Raw
		if !tokenRe.MatchString(raw) {
			t.Fatalf("token %q has the wrong format", raw)
		}
		if created.Hint != raw[len(raw)-4:] || created.State != tc.TokenActive || created.Source != tc.SourceAPI {
			t.Fatalf("create response: %+v", created.Token)
		}
		if strings.Join(created.Permissions, ",") != "configs:read,heartbeat:write" {
			t.Fatalf("telegraf-agent preset gave %v", created.Permissions)
		}
		// Use it, with both schemes, so the log has every chance to show it.
		agent := d.Client(t, raw)
		me := must[tc.Me](t)(agent.Me(bg))
		if me.Credential != tc.CredentialToken || me.TokenID != created.ID {
			t.Fatalf("me with token: %+v", me)
		}
		if err := d.Auth().FlushUsage(bg); err != nil {
			t.Fatal(err)
		}
		got := must[tc.Token](t)(owner.GetToken(bg, created.ID))
		list := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "", tc.Page{}))
		revoked := must[tc.Token](t)(owner.RevokeToken(bg, created.ID))
		for what, v := range map[string]any{"get": got, "list": list, "revoke": revoked} {
			b, _ := json.Marshal(v)
			if strings.Contains(string(b), raw) || strings.Contains(string(b), raw[9:]) {
				t.Fatalf("%s response contains the raw token: %s", what, b)
			}
		}
		if got.LastUsedAt == nil {
			t.Fatalf("lastUsedAt not recorded: %+v", got)
		}
		if strings.Contains(d.Log.String(), raw[9:]) {
			t.Fatalf("the raw token reached the log:\n%s", d.Log.String())
		}
		var rows []store.Token
		if err := d.Store().Gorm(bg).Find(&rows).Error; err != nil {
			t.Fatal(err)
		}
		sum := sha256.Sum256([]byte(raw))
		if len(rows) != 1 || rows[0].TokenHash != hex.EncodeToString(sum[:]) {
			t.Fatalf("stored token rows: %+v", rows)
		}
		b, _ := json.Marshal(rows)
		if strings.Contains(string(b), raw[9:]) {
			t.Fatalf("the database holds the raw token: %s", b)
		}
	})
}

// Create rules: presets, explicit permissions, expiry, pre-shared values,
// conflicts, and never beyond the creator's role.
func TestTokenCreateRules(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		manager, _ := invite(t, d, owner, "mike", tc.RoleManager)
		viewer, _ := invite(t, d, owner, "vera", tc.RoleViewer)

		_, err := viewer.CreateToken(bg, tc.CreateTokenRequest{Description: "v", Preset: tc.PresetReadOnly})
		wantCode(t, err, tc.EForbidden, 403)

		_, err = manager.CreateToken(bg, tc.CreateTokenRequest{Description: "too much", Permissions: []string{"configs:read", "users:write", "settings:read"}})
		wantCode(t, err, tc.EForbidden, 403)
		if msg := tc.ErrorMessage(err); !strings.Contains(msg, "users:write") || !strings.Contains(msg, "settings:read") || strings.Contains(msg, "configs:read") {
			t.Fatalf("403 must name exactly what may not be granted: %q", msg)
		}
		full := createToken(t, manager, tc.CreateTokenRequest{Description: "mgr full", Preset: tc.PresetFullAccess})
		if strings.Contains(strings.Join(full.Permissions, ","), "users:") {
			t.Fatalf("manager full-access exceeds the role: %v", full.Permissions)
		}
		ro := createToken(t, manager, tc.CreateTokenRequest{Description: "mgr ro", Preset: tc.PresetReadOnly})
		for _, p := range ro.Permissions {
			if !strings.HasSuffix(p, ":read") {
				t.Fatalf("read-only preset holds %s", p)
			}
		}
		ci := createToken(t, manager, tc.CreateTokenRequest{Description: "ci", Preset: tc.PresetCI, ExpiresIn: "30d"})
		if strings.Join(ci.Permissions, ",") != "configs:read,configs:write,labels:read,labels:write,reporting-rules:read,reporting-rules:write" || ci.ExpiresAt == nil ||
			ci.ExpiresAt.Sub(d.Clock.Now()) < 29*24*time.Hour {
			t.Fatalf("ci preset: %+v", ci.Token)
		}
		// A token cannot mint a stronger token.
		_, err = d.Client(t, ro.Raw).CreateToken(bg, tc.CreateTokenRequest{Description: "escalate", Permissions: []string{"configs:write"}})
		wantCode(t, err, tc.EForbidden, 403)

		pre := "tc-apiv1_40e2033e94492f91407073cb9a78a269e8f1a9e32dcc8d83a951b2a9cce00f19"
		got := createToken(t, owner, tc.CreateTokenRequest{Description: "pre", Permissions: []string{"configs:read"}, RawToken: pre})
		if got.Raw != pre {
			t.Fatalf("pre-shared value not kept")
		}
		must[tc.Me](t)(d.Client(t, pre).Me(bg))

		bad := []struct {
			name string
			req  tc.CreateTokenRequest
			code string
			rsn  string
		}{
			{"no description", tc.CreateTokenRequest{Preset: tc.PresetCI}, tc.EInvalid, ""},
			{"no permissions", tc.CreateTokenRequest{Description: "x"}, tc.EInvalid, ""},
			{"both", tc.CreateTokenRequest{Description: "x", Preset: tc.PresetCI, Permissions: []string{"configs:read"}}, tc.EInvalid, ""},
			{"unknown permission", tc.CreateTokenRequest{Description: "x", Permissions: []string{"configs:delete"}}, tc.EInvalid, ""},
			{"unknown preset", tc.CreateTokenRequest{Description: "x", Preset: "god"}, tc.EInvalid, ""},
			{"bad expiresIn", tc.CreateTokenRequest{Description: "x", Preset: tc.PresetCI, ExpiresIn: "soon"}, tc.EInvalid, ""},
			{"past expiresAt", tc.CreateTokenRequest{Description: "x", Preset: tc.PresetCI, ExpiresAt: ptr(d.Clock.Now().Add(-time.Hour))}, tc.EInvalid, ""},
			{"malformed raw", tc.CreateTokenRequest{Description: "x", Preset: tc.PresetCI, RawToken: "tc-apiv1_XYZ"}, tc.EInvalid, ""},
			{"duplicate description", tc.CreateTokenRequest{Description: "pre", Preset: tc.PresetCI}, tc.EConflict, "token_name_conflict"},
			{"duplicate value", tc.CreateTokenRequest{Description: "pre2", Preset: tc.PresetCI, RawToken: pre}, tc.EConflict, "token_value_conflict"},
		}
		before := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "", tc.Page{})).Total
		for _, b := range bad {
			_, err := owner.CreateToken(bg, b.req)
			if tc.ErrorCode(err) != b.code {
				t.Errorf("%s: want %s, got %v", b.name, b.code, err)
				continue
			}
			var te *tc.Error
			if b.rsn != "" && (!asTC(err, &te) || te.Details["reason"] != b.rsn) {
				t.Errorf("%s: reason %v, want %s", b.name, te.Details, b.rsn)
			}
		}
		if after := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "", tc.Page{})).Total; after != before {
			t.Fatalf("refused creates stored tokens: %d → %d", before, after)
		}

		// Visibility: managers see their own, administrators everybody's.
		l := must[tc.List[tc.Token]](t)(manager.ListTokens(bg, "", tc.Page{}))
		for _, tok := range l.Items {
			if tok.Username != "mike" {
				t.Fatalf("manager sees %s's token", tok.Username)
			}
		}
		_, err = manager.GetToken(bg, got.ID)
		wantCode(t, err, tc.ENotFound, 404)
		_, err = manager.RevokeToken(bg, got.ID)
		wantCode(t, err, tc.ENotFound, 404)
		if all := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "", tc.Page{})); all.Total != l.Total+1 {
			t.Fatalf("owner sees %d tokens, manager %d", all.Total, l.Total)
		}
		if mine := must[tc.List[tc.Token]](t)(owner.ListTokens(bg, "mike", tc.Page{})); mine.Total != l.Total {
			t.Fatalf("filter by user: %d", mine.Total)
		}
		_, err = manager.ReassignToken(bg, full.ID, "root")
		wantCode(t, err, tc.EForbidden, 403)
	})
}

func asTC(err error, out **tc.Error) bool {
	e, ok := err.(*tc.Error)
	if ok {
		*out = e
	}
	return ok
}

// Acceptance 5: revoke, expire, disable-owner and delete-owner make the
// token fail on its very next request with 401, cache warm or not.
func TestTokenInvalidation(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		mgr, _ := invite(t, d, owner, "mike", tc.RoleManager)
		dis, _ := invite(t, d, owner, "dave", tc.RoleManager)
		del, _ := invite(t, d, owner, "dina", tc.RoleManager)

		revoked := createToken(t, mgr, tc.CreateTokenRequest{Description: "revoked", Preset: tc.PresetTelegrafAgent})
		expiring := createToken(t, mgr, tc.CreateTokenRequest{Description: "expiring", Preset: tc.PresetTelegrafAgent, ExpiresIn: "1h"})
		disabled := createToken(t, dis, tc.CreateTokenRequest{Description: "disabled", Preset: tc.PresetTelegrafAgent})
		deleted := createToken(t, del, tc.CreateTokenRequest{Description: "deleted", Preset: tc.PresetTelegrafAgent})
		for _, tok := range []tc.CreatedToken{revoked, expiring, disabled, deleted} {
			// Warm the cache, with both schemes.
			must[tc.Me](t)(d.Client(t, tok.Raw).Me(bg))
		}
		must[tc.Token](t)(mgr.RevokeToken(bg, revoked.ID))
		d.Clock.Advance(time.Hour)
		must[tc.User](t)(owner.UpdateUser(bg, "dave", tc.UpdateUserRequest{Disabled: ptr(true)}))
		if err := owner.DeleteUser(bg, "dina"); err != nil {
			t.Fatal(err)
		}
		for name, tok := range map[string]tc.CreatedToken{"revoked": revoked, "expired": expiring, "owner disabled": disabled, "owner deleted": deleted} {
			_, err := d.Client(t, tok.Raw).Me(bg)
			if tc.ErrorCode(err) != tc.EUnauthorized || client.HTTPStatus(err) != 401 {
				t.Errorf("%s token still works: %v", name, err)
			}
		}
		_, err := d.Client(t, expiring.Raw).Me(bg)
		if tc.ErrorMessage(err) != "Token expired" {
			t.Errorf("expired token message %q", tc.ErrorMessage(err))
		}
		if st := must[tc.Token](t)(mgr.GetToken(bg, expiring.ID)).State; st != tc.TokenExpired {
			t.Errorf("expired token state %s", st)
		}
		// Deleted owner → token deleted; disabled owner → back once enabled.
		if _, err := owner.GetToken(bg, deleted.ID); tc.ErrorCode(err) != tc.ENotFound {
			t.Errorf("deleted user's token survives: %v", err)
		}
		must[tc.User](t)(owner.UpdateUser(bg, "dave", tc.UpdateUserRequest{Disabled: ptr(false)}))
		must[tc.Me](t)(d.Client(t, disabled.Raw).Me(bg))
	})
}

// Acceptance 4: manager → viewer revokes all the user's tokens; administrator
// → manager narrows them (stored permissions change); the very next request
// reflects it. Reassign clamps to the new owner.
func TestRoleChangeClampsTokens(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		d := testutil.StartTCD(t, e.DSN)
		owner := d.Setup(t)
		admin, _ := invite(t, d, owner, "alice", tc.RoleAdministrator)
		mgr, _ := invite(t, d, owner, "mike", tc.RoleManager)
		invite(t, d, owner, "vera", tc.RoleViewer)

		adminFull := createToken(t, admin, tc.CreateTokenRequest{Description: "admin full", Preset: tc.PresetFullAccess})
		adminUsers := createToken(t, admin, tc.CreateTokenRequest{Description: "admin users", Permissions: []string{"users:read", "users:write"}})
		mgrTok := createToken(t, mgr, tc.CreateTokenRequest{Description: "mgr", Preset: tc.PresetCI})
		adminC := d.Client(t, adminFull.Raw)
		must[tc.List[tc.User]](t)(adminC.ListUsers(bg, client.UserFilter{})) // warm, allowed

		must[tc.User](t)(owner.UpdateUser(bg, "alice", tc.UpdateUserRequest{Role: ptr(tc.RoleManager)}))
		_, err := adminC.ListUsers(bg, client.UserFilter{})
		wantCode(t, err, tc.EForbidden, 403)
		narrowed := must[tc.Token](t)(owner.GetToken(bg, adminFull.ID))
		if narrowed.State != tc.TokenActive || strings.Contains(strings.Join(narrowed.Permissions, ","), "users:") ||
			!strings.Contains(strings.Join(narrowed.Permissions, ","), "configs:write") {
			t.Fatalf("administrator → manager did not narrow: %+v", narrowed)
		}
		if st := must[tc.Token](t)(owner.GetToken(bg, adminUsers.ID)); st.State != tc.TokenRevoked {
			t.Fatalf("token left with nothing must be revoked: %+v", st)
		}

		must[tc.Me](t)(d.Client(t, mgrTok.Raw).Me(bg))
		must[tc.User](t)(owner.UpdateUser(bg, "mike", tc.UpdateUserRequest{Role: ptr(tc.RoleViewer)}))
		_, err = d.Client(t, mgrTok.Raw).Me(bg)
		wantCode(t, err, tc.EUnauthorized, 401)
		if st := must[tc.Token](t)(owner.GetToken(bg, mgrTok.ID)); st.State != tc.TokenRevoked {
			t.Fatalf("manager → viewer must revoke: %+v", st)
		}

		// Reassign clamps: an owner full-access token given to a viewer keeps only reads.
		ownerFull := createToken(t, owner, tc.CreateTokenRequest{Description: "owner full", Preset: tc.PresetFullAccess})
		r := must[tc.Token](t)(owner.ReassignToken(bg, ownerFull.ID, "vera"))
		for _, p := range r.Permissions {
			if !strings.HasSuffix(p, ":read") || strings.HasPrefix(p, "users") {
				t.Fatalf("reassigned to a viewer keeps %s", p)
			}
		}
		if me := must[tc.Me](t)(d.Client(t, ownerFull.Raw).Me(bg)); me.User.Username != "vera" {
			t.Fatalf("reassigned token acts as %s", me.User.Username)
		}
	})
}

// Acceptance 7: OWNER_TOKEN provisioning lifecycle.
func TestOwnerTokenBootstrap(t *testing.T) {
	testutil.ForEachEngine(t, func(t *testing.T, e testutil.Engine) {
		v1 := "tc-apiv1_e1c06157a5dbb2d9731dd93dc16a14a48cfc2fc8f074c726b94fe0c40aa0d01b"
		v2 := "tc-apiv1_0b1f7c901a78619c5d7aeae25543806aeaff46c4b91050cc0ea03065c6f4e950"
		start := func(token string) *testutil.TCD {
			return testutil.StartTCD(t, e.DSN, func(c *config.Config) {
				c.OwnerUsername, c.OwnerEmail, c.OwnerPassword = "root", "root@example.com", "rootpass1"
				c.OwnerToken = token
			})
		}
		bootstrapTokens := func(d *testutil.TCD) []tc.Token {
			l := must[tc.List[tc.Token]](t)(login(t, d, "root", "rootpass1").ListTokens(bg, "", tc.Page{}))
			var out []tc.Token
			for _, tok := range l.Items {
				if tok.Source == tc.SourceBootstrap {
					out = append(out, tok)
				}
			}
			return out
		}
		d := start(v1)
		if me := must[tc.Me](t)(d.Client(t, v1).Me(bg)); me.User.Role != tc.RoleOwner || len(me.Permissions) != len(tc.RoleOwner.Permissions()) {
			t.Fatalf("bootstrap token: %+v", me)
		}
		first := bootstrapTokens(d)
		if len(first) != 1 || first[0].Description != "bootstrap-token" || first[0].ExpiresAt != nil {
			t.Fatalf("provisioned: %+v", first)
		}
		if strings.Contains(d.Log.String(), v1[9:]) {
			t.Fatal("OWNER_TOKEN reached the log")
		}
		d.Close()

		d = start(v1) // same value: no-op
		if again := bootstrapTokens(d); len(again) != 1 || again[0].ID != first[0].ID {
			t.Fatalf("same value re-provisioned: %+v", again)
		}
		d.Close()

		d = start(v2) // new value: provisioned, old one revoked
		toks := bootstrapTokens(d)
		active := 0
		for _, tok := range toks {
			if tok.State == tc.TokenActive {
				active++
			}
		}
		if len(toks) != 2 || active != 1 {
			t.Fatalf("after a new value: %+v", toks)
		}
		_, err := d.Client(t, v1).Me(bg)
		wantCode(t, err, tc.EUnauthorized, 401)
		must[tc.Me](t)(d.Client(t, v2).Me(bg))
		d.Close()

		d = start("tc-apiv1_nothex") // malformed: ignored with a warning
		if !strings.Contains(d.Log.String(), "OWNER_TOKEN ignored") {
			t.Fatalf("no warning for a malformed OWNER_TOKEN:\n%s", d.Log.String())
		}
		if len(bootstrapTokens(d)) != 2 {
			t.Fatal("malformed OWNER_TOKEN changed the tokens")
		}
	})
}
