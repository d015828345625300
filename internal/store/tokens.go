package store

import (
	"context"
	"strings"
	"time"

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

// TokenWithUser is a token joined to its owner.
type TokenWithUser struct {
	Token Token
	User  User
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
