package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// Token is a row of api_tokens. Only the SHA-256 of the raw token is kept.
type Token struct {
	ID          string `gorm:"primaryKey"`
	Description string
	TokenHash   string
	UserID      string
	Permissions string // comma-separated resource:action list
	Source      string
	Hint        string
	CreatedAt   time.Time
	ExpiresAt   *time.Time
	LastUsedAt  *time.Time
	RevokedAt   *time.Time
	// CreatedBy is the user who created the token (nil for tokens created
	// before tcd recorded it). It does not change when the token is
	// reassigned, and survives the creator's deletion.
	CreatedBy *string
}

func (Token) TableName() string { return "api_tokens" }

// PermissionSet parses the stored permission list.
func (t *Token) PermissionSet() tc.PermissionSet {
	set := tc.PermissionSet{}
	for _, p := range strings.Split(t.Permissions, ",") {
		if p = strings.TrimSpace(p); p != "" {
			set[tc.Permission(p)] = struct{}{}
		}
	}
	return set
}

// TokenWithUser is a token joined to its owner (and, when still present,
// its creator).
type TokenWithUser struct {
	Token   Token
	User    User
	Creator *User
}

// TokenByHash returns the token with that hash and its owner.
func (s *Store) TokenByHash(ctx context.Context, hash string) (*TokenWithUser, error) {
	var t Token
	db := s.db.WithContext(ctx)
	if err := db.Where("token_hash = ?", hash).Take(&t).Error; err != nil {
		return nil, dbErr(err, "token")
	}
	var u User
	if err := db.Where("id = ?", t.UserID).Take(&u).Error; err != nil {
		return nil, dbErr(err, "user")
	}
	return &TokenWithUser{Token: t, User: u}, nil
}

// TokenByDescription returns the token with that description and its owner.
func (s *Store) TokenByDescription(ctx context.Context, desc string) (*TokenWithUser, error) {
	var t Token
	if err := s.db.WithContext(ctx).Where("description = ?", desc).Take(&t).Error; err != nil {
		return nil, dbErr(err, "token")
	}
	out, err := s.withUsers(ctx, []Token{t})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// ClampTokens narrows the stored permissions of a user's active tokens to
// allowed; tokens left with nothing — or all of them when revokeAll — are
// revoked.
func (s *Store) ClampTokens(ctx context.Context, userID string, allowed tc.PermissionSet, revokeAll bool) error {
	var toks []Token
	db := s.db.WithContext(ctx)
	if err := db.Where("user_id = ? AND revoked_at IS NULL", userID).Find(&toks).Error; err != nil {
		return err
	}
	now := s.Now()
	for _, t := range toks {
		kept := t.PermissionSet().Intersect(allowed)
		cols := map[string]any{}
		if revokeAll || len(kept) == 0 {
			cols["revoked_at"] = now
		}
		if joined := strings.Join(kept.Strings(), ","); joined != t.Permissions {
			cols["permissions"] = joined
		}
		if len(cols) == 0 {
			continue
		}
		if err := db.Model(&Token{}).Where("id = ?", t.ID).Updates(cols).Error; err != nil {
			return err
		}
	}
	return nil
}

// CreateToken inserts a token. A taken description or value is a conflict
// whose "reason" detail says which (token_name_conflict, token_value_conflict).
func (s *Store) CreateToken(ctx context.Context, t *Token) error {
	db := s.db.WithContext(ctx)
	var n int64
	if err := db.Model(&Token{}).Where("description = ?", t.Description).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return tc.Errorf(tc.EConflict, "a token with description %q already exists: descriptions are unique", t.Description).
			With("reason", "token_name_conflict").With("field", "description")
	}
	if err := db.Model(&Token{}).Where("token_hash = ?", t.TokenHash).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return tc.Errorf(tc.EConflict, "a token with this value already exists").With("reason", "token_value_conflict").With("field", "rawToken")
	}
	if t.ID == "" {
		t.ID = NewID()
	}
	if t.CreatedAt.IsZero() {
		t.CreatedAt = s.Now()
	}
	return dbErr(db.Create(t).Error, "a token with that description or value")
}

// TokenFilter narrows ListTokens.
type TokenFilter struct {
	UserID string
	Source string
	tc.Page
}

// ListTokens returns one page of tokens (newest first) with their owners'
// usernames, and the total.
func (s *Store) ListTokens(ctx context.Context, f TokenFilter) ([]TokenWithUser, int, error) {
	q := s.db.WithContext(ctx).Model(&Token{})
	if f.UserID != "" {
		q = q.Where("user_id = ?", f.UserID)
	}
	if f.Source != "" {
		q = q.Where("source = ?", f.Source)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var toks []Token
	if err := q.Order("created_at DESC, id").Limit(f.Limit).Offset(f.Offset).Find(&toks).Error; err != nil {
		return nil, 0, err
	}
	out, err := s.withUsers(ctx, toks)
	return out, int(total), err
}

func (s *Store) withUsers(ctx context.Context, toks []Token) ([]TokenWithUser, error) {
	ids := map[string]bool{}
	for _, t := range toks {
		ids[t.UserID] = true
		if t.CreatedBy != nil {
			ids[*t.CreatedBy] = true
		}
	}
	users := map[string]User{}
	if len(ids) > 0 {
		list := make([]string, 0, len(ids))
		for id := range ids {
			list = append(list, id)
		}
		var us []User
		if err := s.db.WithContext(ctx).Where("id IN ?", list).Find(&us).Error; err != nil {
			return nil, err
		}
		for _, u := range us {
			users[u.ID] = u
		}
	}
	out := make([]TokenWithUser, len(toks))
	for i, t := range toks {
		out[i] = TokenWithUser{Token: t, User: users[t.UserID]}
		if t.CreatedBy != nil {
			if c, ok := users[*t.CreatedBy]; ok {
				out[i].Creator = &c
			}
		}
	}
	return out, nil
}

// TokenByID returns a token and its owner.
func (s *Store) TokenByID(ctx context.Context, id string) (*TokenWithUser, error) {
	var t Token
	if err := s.db.WithContext(ctx).Where("id = ?", id).Take(&t).Error; err != nil {
		if err == gorm.ErrRecordNotFound {
			return nil, tc.Errorf(tc.ENotFound, "token %q not found", id)
		}
		return nil, err
	}
	out, err := s.withUsers(ctx, []Token{t})
	if err != nil {
		return nil, err
	}
	return &out[0], nil
}

// UpdateToken writes the given columns of a token.
func (s *Store) UpdateToken(ctx context.Context, id string, cols map[string]any) error {
	res := s.db.WithContext(ctx).Model(&Token{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "token %q not found", id)
	}
	return nil
}

// DeleteToken removes a token.
func (s *Store) DeleteToken(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&Token{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "token %q not found", id)
	}
	return nil
}

// TouchTokens records last-use times in one transaction; a time never moves
// last_used_at backwards.
func (s *Store) TouchTokens(ctx context.Context, used map[string]time.Time) error {
	if len(used) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx *Store) error {
		for id, at := range used {
			at = at.UTC().Truncate(time.Microsecond)
			err := tx.db.WithContext(ctx).Model(&Token{}).
				Where("id = ? AND (last_used_at IS NULL OR last_used_at < ?)", id, at).
				Update("last_used_at", at).Error
			if err != nil {
				return err
			}
		}
		return nil
	})
}
