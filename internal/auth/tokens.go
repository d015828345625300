package auth

import (
	"context"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// TokenOptions are the token rules fixed at startup.
type TokenOptions struct {
	// DisablePreshared refuses client-supplied token values.
	DisablePreshared bool
}

// SetTokenOptions applies the startup token rules.
func (s *Service) SetTokenOptions(o TokenOptions) { s.tokenOpts = o }

// TokenCapabilities describes what token creation allows.
func (s *Service) TokenCapabilities(p *Principal) (tc.TokenCapabilities, error) {
	if err := RequireUser(p); err != nil {
		return tc.TokenCapabilities{}, err
	}
	perms := make([]string, len(tc.Catalogue))
	for i, c := range tc.Catalogue {
		perms[i] = string(c)
	}
	return tc.TokenCapabilities{PreSharedTokensEnabled: !s.tokenOpts.DisablePreshared, Presets: tc.Presets, Permissions: perms}, nil
}

func (s *Service) tokenAPI(tw store.TokenWithUser) tc.Token {
	t := tw.Token
	out := tc.Token{ID: t.ID, Description: t.Description, UserID: t.UserID, Username: tw.User.Username,
		Permissions: t.PermissionSet().Strings(), Source: t.Source, Hint: t.Hint,
		CreatedAt: t.CreatedAt.UTC(), ExpiresAt: utcPtr(t.ExpiresAt), LastUsedAt: utcPtr(t.LastUsedAt), RevokedAt: utcPtr(t.RevokedAt)}
	if t.CreatedBy != nil {
		out.CreatedBy = *t.CreatedBy
		if tw.Creator != nil {
			out.CreatedByUsername = tw.Creator.Username
		}
	}
	// A use recorded but not yet flushed is still the latest use.
	if v, ok := s.usage.Load(t.ID); ok {
		if ns := v.(*atomic.Int64).Load(); ns != 0 {
			at := time.Unix(0, ns).UTC().Truncate(time.Microsecond)
			if out.LastUsedAt == nil || at.After(*out.LastUsedAt) {
				out.LastUsedAt = &at
			}
		}
	}
	switch {
	case t.RevokedAt != nil:
		out.State = tc.TokenRevoked
	case t.ExpiresAt != nil && !s.clock().Before(*t.ExpiresAt):
		out.State = tc.TokenExpired
	default:
		out.State = tc.TokenActive
	}
	return out
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// CreateToken mints a token for the caller's user. The raw value is in the
// response and nowhere else, ever.
func (s *Service) CreateToken(ctx context.Context, p *Principal, req tc.CreateTokenRequest) (tc.CreatedToken, error) {
	if err := RequireUser(p); err != nil {
		return tc.CreatedToken{}, err
	}
	desc, err := tc.CheckDescription(req.Description)
	if err != nil {
		return tc.CreatedToken{}, err
	}
	var perms tc.PermissionSet
	switch {
	case req.Preset != "" && len(req.Permissions) > 0:
		return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "give either permissions or a preset, not both").With("field", "preset")
	case req.Preset != "":
		if perms, err = tc.PresetPermissions(req.Preset, p.Permissions); err != nil {
			return tc.CreatedToken{}, err
		}
	case len(req.Permissions) > 0:
		if perms, err = tc.ParsePermissions(req.Permissions); err != nil {
			return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "%s", tc.ErrorMessage(err)).With("field", "permissions")
		}
	default:
		return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "give permissions (e.g. [\"configs:read\"]) or a preset (%s)", strings.Join(tc.Presets, ", ")).With("field", "permissions")
	}
	if len(perms) == 0 {
		return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "the token would have no permissions").With("field", "permissions")
	}
	if err := CanGrant(p, perms); err != nil {
		return tc.CreatedToken{}, err
	}
	now := s.clock()
	var expires *time.Time
	switch {
	case req.ExpiresAt != nil && req.ExpiresIn != "":
		return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "give either expiresAt or expiresIn, not both").With("field", "expiresIn")
	case req.ExpiresAt != nil:
		at := req.ExpiresAt.UTC().Truncate(time.Microsecond)
		if !at.After(now) {
			return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "expiresAt %s is in the past", at.Format(time.RFC3339)).With("field", "expiresAt")
		}
		if at.Sub(now) > tc.MaxTokenLifetime {
			return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "expiresAt is more than 10 years away").With("field", "expiresAt")
		}
		expires = &at
	case req.ExpiresIn != "":
		d, err := tc.ParseExpiresIn(req.ExpiresIn)
		if err != nil {
			return tc.CreatedToken{}, err
		}
		at := now.Add(d)
		expires = &at
	}
	raw, hash := NewSecret(TokenPrefix)
	if req.RawToken != "" {
		if !WellFormed(req.RawToken, TokenPrefix) {
			return tc.CreatedToken{}, tc.Errorf(tc.EInvalid, "rawToken must match ^tc-apiv1_[0-9a-f]{64}$").With("field", "rawToken")
		}
		if s.tokenOpts.DisablePreshared {
			return tc.CreatedToken{}, tc.Errorf(tc.EForbidden, "pre-shared token values are disabled on this tcd (DISABLE_PRESHARED_TOKENS); omit rawToken to get a generated one").
				With("reason", "preshared_tokens_disabled")
		}
		if err := CheckTokenEntropy(req.RawToken); err != nil {
			return tc.CreatedToken{}, err
		}
		raw, hash = req.RawToken, HashSecret(req.RawToken)
	}
	if err := s.checkTokenConflicts(ctx, p, desc, hash, req.RawToken != ""); err != nil {
		return tc.CreatedToken{}, err
	}
	creator := p.UserID
	t := &store.Token{Description: desc, TokenHash: hash, UserID: p.UserID, Permissions: strings.Join(perms.Strings(), ","),
		Source: tc.SourceAPI, Hint: Hint(raw), CreatedAt: now, ExpiresAt: expires, CreatedBy: &creator}
	if err := s.store.CreateToken(ctx, t); err != nil {
		if tc.IsCode(err, tc.EConflict) {
			// Taken by a concurrent create: say no more than for any
			// token the caller may not see.
			return tc.CreatedToken{}, refusedTokenValue(req.RawToken != "")
		}
		return tc.CreatedToken{}, err
	}
	s.invalidate(ctx)
	s.log.Info("token created", "by", p.Actor(), "token_id", t.ID, "hint", t.Hint, "permissions", t.Permissions)
	u, err := s.store.UserByID(ctx, p.UserID)
	if err != nil {
		return tc.CreatedToken{}, err
	}
	return tc.CreatedToken{Token: s.tokenAPI(store.TokenWithUser{Token: *t, User: *u, Creator: u}), Raw: raw}, nil
}

// checkTokenConflicts refuses a description or value another token already
// has. When the caller may see that token the answer says which field
// conflicts (token_name_conflict, token_value_conflict); when it may not
// (a manager and somebody else's token), the answer is the one any refused
// description or value gets, naming neither owner nor which kind of clash,
// so creating tokens tells nobody about tokens they cannot see.
func (s *Service) checkTokenConflicts(ctx context.Context, p *Principal, desc, hash string, preshared bool) error {
	if tw, err := s.store.TokenByDescription(ctx, desc); err == nil {
		if CanSeeToken(p, &tw.Token) != nil {
			return refusedTokenValue(preshared)
		}
		return tc.Errorf(tc.EConflict, "a token with description %q already exists: descriptions are unique", desc).
			With("reason", "token_name_conflict").With("field", "description")
	} else if !tc.IsCode(err, tc.ENotFound) {
		return err
	}
	if !preshared {
		return nil // a generated value is new
	}
	if tw, err := s.store.TokenByHash(ctx, hash); err == nil {
		if CanSeeToken(p, &tw.Token) != nil {
			return refusedTokenValue(preshared)
		}
		return tc.Errorf(tc.EConflict, "a token with this value already exists").With("reason", "token_value_conflict").With("field", "rawToken")
	} else if !tc.IsCode(err, tc.ENotFound) {
		return err
	}
	return nil
}

// refusedTokenValue is the answer to a description or pre-shared value that
// cannot be used for a reason the caller may not learn.
func refusedTokenValue(preshared bool) error {
	if preshared {
		return tc.Errorf(tc.EConflict, "this description or token value cannot be used: choose another description, and omit rawToken to get a generated value").
			With("reason", "token_refused")
	}
	return tc.Errorf(tc.EConflict, "this description cannot be used: choose another one").
		With("reason", "token_refused").With("field", "description")
}

// ListTokens lists the caller's tokens; administrators and the owner see
// everybody's and may filter by user (ID or username).
func (s *Service) ListTokens(ctx context.Context, p *Principal, userRef string, page tc.Page) (tc.List[tc.Token], error) {
	if err := Require(p, tc.Perm(tc.ResTokens, tc.ActRead)); err != nil {
		return tc.List[tc.Token]{}, err
	}
	f := store.TokenFilter{Page: page}
	switch {
	case !seesAllTokens(p):
		f.UserID = p.UserID
		if userRef != "" && userRef != p.UserID && !strings.EqualFold(userRef, p.Username) {
			return tc.List[tc.Token]{}, tc.Errorf(tc.EForbidden, "managers see only their own tokens")
		}
	case userRef != "":
		u, err := s.store.UserByRef(ctx, userRef)
		if err != nil {
			return tc.List[tc.Token]{}, err
		}
		f.UserID = u.ID
	}
	rows, total, err := s.store.ListTokens(ctx, f)
	if err != nil {
		return tc.List[tc.Token]{}, err
	}
	items := make([]tc.Token, len(rows))
	for i := range rows {
		items[i] = s.tokenAPI(rows[i])
	}
	return tc.List[tc.Token]{Items: items, Total: total, Limit: page.Limit, Offset: page.Offset}, nil
}

// GetToken returns one token the caller may see.
func (s *Service) GetToken(ctx context.Context, p *Principal, id string) (tc.Token, error) {
	tw, err := s.store.TokenByID(ctx, id)
	if err != nil {
		return tc.Token{}, err
	}
	if err := CanSeeToken(p, &tw.Token); err != nil {
		return tc.Token{}, err
	}
	return s.tokenAPI(*tw), nil
}

// RevokeToken makes a token unusable for good; it stays listed.
func (s *Service) RevokeToken(ctx context.Context, p *Principal, id string) (tc.Token, error) {
	var out tc.Token
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		tw, err := tx.TokenByID(ctx, id)
		if err != nil {
			return err
		}
		if err := CanManageToken(p, &tw.Token, &tw.User, "revoke the tokens of"); err != nil {
			return err
		}
		if tw.Token.RevokedAt == nil {
			now := s.clock()
			if err := tx.UpdateToken(ctx, id, map[string]any{"revoked_at": now}); err != nil {
				return err
			}
			tw.Token.RevokedAt = &now
		}
		out = s.tokenAPI(*tw)
		return nil
	})
	if err != nil {
		return tc.Token{}, err
	}
	s.invalidate(ctx)
	s.log.Info("token revoked", "by", p.Actor(), "token_id", id)
	return out, nil
}

// DeleteToken removes a token and its record.
func (s *Service) DeleteToken(ctx context.Context, p *Principal, id string) error {
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		tw, err := tx.TokenByID(ctx, id)
		if err != nil {
			return err
		}
		if err := CanManageToken(p, &tw.Token, &tw.User, "delete the tokens of"); err != nil {
			return err
		}
		return tx.DeleteToken(ctx, id)
	})
	if err != nil {
		return err
	}
	s.usage.Delete(id)
	s.invalidate(ctx)
	s.log.Info("token deleted", "by", p.Actor(), "token_id", id)
	return nil
}

// ReassignToken gives a token to another user, clamping its permissions to
// that user's role (a token with nothing left is revoked). The caller must
// be allowed to act on both the current and the new owner (CanReassignToken).
// It returns the token and its previous owner.
func (s *Service) ReassignToken(ctx context.Context, p *Principal, id, userRef string) (tc.Token, tc.User, error) {
	if err := Require(p, tc.Perm(tc.ResTokens, tc.ActWrite)); err != nil {
		return tc.Token{}, tc.User{}, err
	}
	if strings.TrimSpace(userRef) == "" {
		return tc.Token{}, tc.User{}, tc.Errorf(tc.EInvalid, "userId is required: the user who gets the token").With("field", "userId")
	}
	var (
		out  tc.Token
		prev tc.User
	)
	err := s.store.Tx(ctx, func(tx *store.Store) error {
		tw, err := tx.TokenByID(ctx, id)
		if err != nil {
			return err
		}
		if err := CanSeeToken(p, &tw.Token); err != nil {
			return err
		}
		target, err := tx.UserByRef(ctx, userRef)
		if err != nil {
			return err
		}
		if err := CanReassignToken(p, &tw.Token, &tw.User, target); err != nil {
			return err
		}
		prev = tw.User.API()
		kept := tw.Token.PermissionSet().Intersect(target.Role.Permissions())
		cols := map[string]any{"user_id": target.ID, "permissions": strings.Join(kept.Strings(), ",")}
		if len(kept) == 0 && tw.Token.RevokedAt == nil {
			cols["revoked_at"] = s.clock()
		}
		if err := tx.UpdateToken(ctx, id, cols); err != nil {
			return err
		}
		tw2, err := tx.TokenByID(ctx, id)
		if err != nil {
			return err
		}
		out = s.tokenAPI(*tw2)
		return nil
	})
	if err != nil {
		return tc.Token{}, tc.User{}, err
	}
	s.invalidate(ctx)
	s.log.Info("token reassigned", "by", p.Actor(), "token_id", id, "from", prev.Username, "to", out.Username, "permissions", strings.Join(out.Permissions, ","))
	return out, prev, nil
}

// recordUse notes that a token was used now. It never writes: FlushUsage
// writes the latest use of every token in one transaction.
func (s *Service) recordUse(id string, at time.Time) {
	v, ok := s.usage.Load(id)
	if !ok {
		v, _ = s.usage.LoadOrStore(id, new(atomic.Int64))
	}
	v.(*atomic.Int64).Store(at.UnixNano())
}

// FlushUsage writes recorded token uses (lastUsedAt) in one batch.
func (s *Service) FlushUsage(ctx context.Context) error {
	s.flushMu.Lock()
	defer s.flushMu.Unlock()
	used := map[string]time.Time{}
	s.usage.Range(func(k, v any) bool {
		if ns := v.(*atomic.Int64).Swap(0); ns != 0 {
			used[k.(string)] = time.Unix(0, ns)
		}
		return true
	})
	if err := s.store.TouchTokens(ctx, used); err != nil {
		// Put the uses back so the next flush retries them.
		for id, at := range used {
			s.recordUse(id, at)
		}
		return err
	}
	return nil
}

// usageState is embedded in Service.
type usageState struct {
	usage   sync.Map // token ID → *atomic.Int64 (unix nanos of the latest use; 0 = flushed)
	flushMu sync.Mutex
}
