package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// Invite is a row of invites; only the SHA-256 of the code is kept.
type Invite struct {
	ID        string `gorm:"primaryKey"`
	CodeHash  string
	Username  string
	Email     string
	Role      tc.Role
	InvitedBy *string
	// IssuerState is the issuer's User.Stamp when the invite was made.
	IssuerState *string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

func (Invite) TableName() string { return "invites" }

// API returns the wire form (without the code).
func (i *Invite) API() tc.Invite {
	out := tc.Invite{ID: i.ID, Username: i.Username, Email: i.Email, Role: i.Role,
		CreatedAt: i.CreatedAt.UTC(), ExpiresAt: i.ExpiresAt.UTC()}
	if i.InvitedBy != nil {
		out.InvitedBy = *i.InvitedBy
	}
	return out
}

// CreateInvite inserts an invite after checking that neither its username
// nor its email is taken by a user or another invite. Expired invites are
// removed first so they do not block a new one.
func (s *Store) CreateInvite(ctx context.Context, inv *Invite) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("expires_at < ?", s.Now()).Delete(&Invite{}).Error; err != nil {
		return err
	}
	if err := s.checkUserUnique(ctx, inv.Username, inv.Email, ""); err != nil {
		return err
	}
	if inv.ID == "" {
		inv.ID = NewID()
	}
	inv.CreatedAt = s.Now()
	return dbErr(db.Create(inv).Error, "an invite for that username or email")
}

// ListInvites returns one page of pending (unexpired) invites and the total.
func (s *Store) ListInvites(ctx context.Context, p tc.Page) ([]Invite, int, error) {
	q := s.db.WithContext(ctx).Model(&Invite{}).Where("expires_at >= ?", s.Now())
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []Invite
	err := q.Order("created_at, id").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, int(total), err
}

// InviteByHash returns the invite with that code hash.
func (s *Store) InviteByHash(ctx context.Context, hash string) (*Invite, error) {
	var inv Invite
	err := s.db.WithContext(ctx).Where("code_hash = ?", hash).Take(&inv).Error
	return &inv, dbErr(err, "invite")
}

// DeleteInvite removes an invite.
func (s *Store) DeleteInvite(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&Invite{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "invite %q not found", id)
	}
	return nil
}

// PasswordReset is a row of password_resets.
type PasswordReset struct {
	ID       string `gorm:"primaryKey"`
	CodeHash string
	UserID   string
	// IssuedBy and IssuerState name the issuer and its User.Stamp when the
	// code was made; TargetState is the target's. Nil on codes made before
	// they were recorded.
	IssuedBy    *string
	IssuerState *string
	TargetState *string
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

func (PasswordReset) TableName() string { return "password_resets" }

// CreatePasswordReset replaces any earlier reset code of the user.
func (s *Store) CreatePasswordReset(ctx context.Context, r *PasswordReset) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("user_id = ?", r.UserID).Delete(&PasswordReset{}).Error; err != nil {
		return err
	}
	if r.ID == "" {
		r.ID = NewID()
	}
	r.CreatedAt = s.Now()
	return dbErr(db.Create(r).Error, "password reset")
}

// PasswordResetByHash returns the reset with that code hash.
func (s *Store) PasswordResetByHash(ctx context.Context, hash string) (*PasswordReset, error) {
	var r PasswordReset
	err := s.db.WithContext(ctx).Where("code_hash = ?", hash).Take(&r).Error
	return &r, dbErr(err, "password reset code")
}

// DeletePasswordResets removes every reset code of a user.
func (s *Store) DeletePasswordResets(ctx context.Context, userID string) error {
	return s.db.WithContext(ctx).Where("user_id = ?", userID).Delete(&PasswordReset{}).Error
}

// InviteByID returns the invite with that ID.
func (s *Store) InviteByID(ctx context.Context, id string) (*Invite, error) {
	var inv Invite
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&inv).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "invite %q not found", id)
	}
	return &inv, dbErr(err, "invite")
}

// DeletePasswordResetByID removes one reset code; not_found when it is gone
// (redeemed by a concurrent request).
func (s *Store) DeletePasswordResetByID(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&PasswordReset{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "password reset code not found")
	}
	return nil
}
