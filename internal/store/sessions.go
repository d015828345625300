package store

import (
	"context"
	"time"
)

// Session is a row of sessions. Only the SHA-256 of the session token is kept.
type Session struct {
	ID        string `gorm:"primaryKey"`
	TokenHash string
	UserID    string
	CreatedAt time.Time
	ExpiresAt time.Time
	IP        string `gorm:"column:ip"`
	UserAgent string
}

func (Session) TableName() string { return "sessions" }

// CreateSession inserts a session.
func (s *Store) CreateSession(ctx context.Context, sess *Session) error {
	if sess.ID == "" {
		sess.ID = NewID()
	}
	sess.CreatedAt = s.Now()
	return dbErr(s.db.WithContext(ctx).Create(sess).Error, "session")
}

// SessionWithUser is a session joined to its user.
type SessionWithUser struct {
	Session Session
	User    User
}

// SessionByHash returns the session with that token hash and its user.
func (s *Store) SessionByHash(ctx context.Context, hash string) (*SessionWithUser, error) {
	var sess Session
	db := s.db.WithContext(ctx)
	if err := db.Where("token_hash = ?", hash).Take(&sess).Error; err != nil {
		return nil, dbErr(err, "session")
	}
	var u User
	if err := db.Where("id = ?", sess.UserID).Take(&u).Error; err != nil {
		return nil, dbErr(err, "user")
	}
	return &SessionWithUser{Session: sess, User: u}, nil
}

// DeleteSession removes one session.
func (s *Store) DeleteSession(ctx context.Context, id string) error {
	return s.db.WithContext(ctx).Where("id = ?", id).Delete(&Session{}).Error
}

// DeleteUserSessions ends every session of a user except keepID (may be "").
func (s *Store) DeleteUserSessions(ctx context.Context, userID, keepID string) (int64, error) {
	res := s.db.WithContext(ctx).Where("user_id = ? AND id <> ?", userID, keepID).Delete(&Session{})
	return res.RowsAffected, res.Error
}

// PruneExpired deletes expired sessions, invites, reset codes and stale
// login-failure rows.
func (s *Store) PruneExpired(ctx context.Context, lockoutWindow time.Duration) error {
	now := s.Now()
	db := s.db.WithContext(ctx)
	for _, m := range []any{&Session{}, &Invite{}, &PasswordReset{}} {
		if err := db.Where("expires_at < ?", now).Delete(m).Error; err != nil {
			return err
		}
	}
	return db.Where("(locked_until IS NULL OR locked_until < ?) AND updated_at < ?", now, now.Add(-lockoutWindow)).
		Delete(&LoginFailure{}).Error
}
