package store

import (
	"context"
	"time"

	"gorm.io/gorm"
	"gorm.io/gorm/clause"
)

// LoginFailure counts consecutive failed logins of one username.
type LoginFailure struct {
	Username    string `gorm:"primaryKey"`
	Failures    int
	LockedUntil *time.Time
	UpdatedAt   time.Time
}

func (LoginFailure) TableName() string { return "login_failures" }

// LoginFailureFor returns the failure row of a username (nil if none).
func (s *Store) LoginFailureFor(ctx context.Context, username string) (*LoginFailure, error) {
	var f LoginFailure
	err := s.db.WithContext(ctx).Where("username = ?", username).Take(&f).Error
	if err == gorm.ErrRecordNotFound {
		return nil, nil
	}
	return &f, err
}

// ClearLoginFailures forgets the failures and lock of a username.
func (s *Store) ClearLoginFailures(ctx context.Context, username string) error {
	return s.db.WithContext(ctx).Where("username = ?", username).Delete(&LoginFailure{}).Error
}

// LoginAttempt is what ReserveLoginAttempt decided.
type LoginAttempt struct {
	// Allowed is false while the username is locked: compare nothing.
	Allowed bool
	// LockedUntil is the end of the lock, when there is one: the earlier
	// lock that refused this attempt, or the lock this attempt took (it was
	// the last one allowed: LockedNow).
	LockedUntil *time.Time
	LockedNow   bool
}

// ReserveLoginAttempt counts one password attempt for username before the
// password is compared, in one transaction that holds the row: the attempt
// that reaches attempts consecutive ones takes the lock at once, and every
// attempt after it — however many run in parallel — is refused without a
// comparison. So at most attempts comparisons run per lock period. A
// successful comparison then clears the count (ClearLoginFailures).
// Attempts older than window are forgotten.
func (s *Store) ReserveLoginAttempt(ctx context.Context, username string, attempts int, lockFor, window time.Duration) (LoginAttempt, error) {
	var out LoginAttempt
	err := s.Tx(ctx, func(tx *Store) error {
		now := tx.Now()
		db := tx.db.WithContext(ctx)
		// The upsert takes the row's write lock (PostgreSQL) or the
		// database's (SQLite) until commit; while locked it counts nothing.
		err := db.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "username"}},
			DoUpdates: clause.Assignments(map[string]any{
				"failures": gorm.Expr(`CASE WHEN login_failures.locked_until IS NOT NULL AND login_failures.locked_until > ? THEN login_failures.failures
					WHEN login_failures.updated_at < ? THEN 1 ELSE login_failures.failures + 1 END`, now, now.Add(-window)),
				"updated_at": now,
			}),
		}).Create(&LoginFailure{Username: username, Failures: 1, UpdatedAt: now}).Error
		if err != nil {
			return err
		}
		var f LoginFailure
		if err := db.Where("username = ?", username).Take(&f).Error; err != nil {
			return err
		}
		switch {
		case f.LockedUntil != nil && now.Before(*f.LockedUntil):
			until := *f.LockedUntil
			out = LoginAttempt{LockedUntil: &until}
			return nil
		case f.Failures >= attempts:
			until := now.Add(lockFor)
			out = LoginAttempt{Allowed: true, LockedUntil: &until, LockedNow: true}
			return db.Model(&LoginFailure{}).Where("username = ?", username).
				Updates(map[string]any{"failures": 0, "locked_until": until}).Error
		}
		out = LoginAttempt{Allowed: true}
		return nil
	})
	return out, err
}
