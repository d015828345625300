package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// User is a row of users.
type User struct {
	ID           string `gorm:"primaryKey"`
	Username     string
	Email        string
	Role         tc.Role
	PasswordHash string
	Disabled     bool
	// PasswordGeneration counts password changes.
	PasswordGeneration int
	CreatedAt          time.Time
	UpdatedAt          time.Time
}

func (User) TableName() string { return "users" }

// Stamp describes the state of the account that codes are bound to: role,
// disabled flag and password generation. Any change of them changes it.
func (u *User) Stamp() string {
	return fmt.Sprintf("%s:%t:%d", u.Role, u.Disabled, u.PasswordGeneration)
}

// SetPassword returns the columns of a password change: the new hash and
// the next password generation.
func SetPassword(hash string) map[string]any {
	return map[string]any{"password_hash": hash, "password_generation": gorm.Expr("password_generation + 1")}
}

// API returns the wire form (no password hash).
func (u *User) API() tc.User {
	return tc.User{ID: u.ID, Username: u.Username, Email: u.Email, Role: u.Role, Disabled: u.Disabled,
		CreatedAt: u.CreatedAt.UTC(), UpdatedAt: u.UpdatedAt.UTC()}
}

// NewID returns a fresh random UUID.
func NewID() string { return uuid.NewString() }

// CreateUser inserts u, filling ID and timestamps. A taken username or email
// is a conflict that names which one.
func (s *Store) CreateUser(ctx context.Context, u *User) error {
	if err := s.checkUserUnique(ctx, u.Username, u.Email, ""); err != nil {
		return err
	}
	if u.ID == "" {
		u.ID = NewID()
	}
	now := s.Now()
	u.CreatedAt, u.UpdatedAt = now, now
	return dbErr(s.db.WithContext(ctx).Create(u).Error, "a user with that username or email")
}

// checkUserUnique refuses a username or email that a user (other than
// exceptID) or a pending invite already holds.
func (s *Store) checkUserUnique(ctx context.Context, username, email, exceptID string) error {
	db := s.db.WithContext(ctx)
	var n int64
	if username != "" {
		if err := db.Model(&User{}).Where("username = ? AND id <> ?", username, exceptID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return tc.Errorf(tc.EConflict, "username %q is already taken", username).With("field", "username")
		}
		if err := db.Model(&Invite{}).Where("username = ?", username).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return tc.Errorf(tc.EConflict, "username %q has a pending invite", username).With("field", "username")
		}
	}
	if email != "" {
		if err := db.Model(&User{}).Where("email = ? AND id <> ?", email, exceptID).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return tc.Errorf(tc.EConflict, "email %q is already in use", email).With("field", "email")
		}
		if err := db.Model(&Invite{}).Where("email = ?", email).Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return tc.Errorf(tc.EConflict, "email %q has a pending invite", email).With("field", "email")
		}
	}
	return nil
}

// CheckUserUnique is checkUserUnique for callers outside the package.
func (s *Store) CheckUserUnique(ctx context.Context, username, email, exceptID string) error {
	return s.checkUserUnique(ctx, username, email, exceptID)
}

// UserByID returns the user with that ID.
func (s *Store) UserByID(ctx context.Context, id string) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&u).Error
	return &u, dbErr(err, "user")
}

// UserByUsername returns the user with that (normalized) username.
func (s *Store) UserByUsername(ctx context.Context, username string) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("username = ?", username).Take(&u).Error
	return &u, dbErr(err, "user")
}

// UserByRef finds a user by ID or, failing that, by username.
func (s *Store) UserByRef(ctx context.Context, ref string) (*User, error) {
	var u User
	db := s.db.WithContext(ctx)
	err := db.Where("id = ?", ref).Take(&u).Error
	if err == gorm.ErrRecordNotFound {
		err = db.Where("username = ?", strings.ToLower(ref)).Take(&u).Error
	}
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "user %q not found", ref)
	}
	return &u, dbErr(err, "user")
}

// Owner returns the owner, or a not_found error before setup.
func (s *Store) Owner(ctx context.Context) (*User, error) {
	var u User
	err := s.db.WithContext(ctx).Where("role = ?", tc.RoleOwner).Take(&u).Error
	return &u, dbErr(err, "owner")
}

// HasOwner reports whether setup has happened.
func (s *Store) HasOwner(ctx context.Context) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&User{}).Where("role = ?", tc.RoleOwner).Count(&n).Error
	return n > 0, err
}

// UserFilter narrows ListUsers.
type UserFilter struct {
	Role   tc.Role
	Search string
	tc.Page
}

// ListUsers returns one page of users ordered by creation, and the total.
func (s *Store) ListUsers(ctx context.Context, f UserFilter) ([]User, int, error) {
	q := s.db.WithContext(ctx).Model(&User{})
	if f.Role != "" {
		q = q.Where("role = ?", f.Role)
	}
	if f.Search != "" {
		like := "%" + escapeLike(strings.ToLower(f.Search)) + "%"
		q = q.Where("(username LIKE ? ESCAPE '\\' OR email LIKE ? ESCAPE '\\')", like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []User
	err := q.Order("created_at, id").Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, int(total), err
}

// UpdateUser writes the given columns of user id and bumps updated_at.
func (s *Store) UpdateUser(ctx context.Context, id string, cols map[string]any) error {
	cols["updated_at"] = s.Now()
	res := s.db.WithContext(ctx).Model(&User{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return dbErr(res.Error, "a user with that email")
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "user not found")
	}
	return nil
}

// DeleteUser removes a user; sessions, reset codes and tokens go with it
// (ON DELETE CASCADE).
func (s *Store) DeleteUser(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&User{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "user not found")
	}
	return nil
}

func escapeLike(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}
