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

// RecordLoginFailure counts one failed login and locks the username for
// lockFor once attempts consecutive failures are reached. Failures older than
// window are forgotten. It returns the lock expiry when this failure locked it.
func (s *Store) RecordLoginFailure(ctx context.Context, username string, attempts int, lockFor, window time.Duration) (*time.Time, error) {
	var lockedUntil *time.Time
	err := s.Tx(ctx, func(tx *Store) error {
		now := tx.Now()
		db := tx.db.WithContext(ctx)
		// Atomic increment; a stale counter restarts at 1.
		err := db.Clauses(clause.OnConflict{
			Columns: []clause.Column{{Name: "username"}},
			DoUpdates: clause.Assignments(map[string]any{
				"failures":   gorm.Expr("CASE WHEN login_failures.updated_at < ? THEN 1 ELSE login_failures.failures + 1 END", now.Add(-window)),
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
		if f.Failures >= attempts {
			until := now.Add(lockFor)
			lockedUntil = &until
			return db.Model(&LoginFailure{}).Where("username = ?", username).
				Updates(map[string]any{"failures": 0, "locked_until": until}).Error
		}
		return nil
	})
	return lockedUntil, err
}

// ClearLoginFailures forgets the failures and lock of a username.
func (s *Store) ClearLoginFailures(ctx context.Context, username string) error {
	return s.db.WithContext(ctx).Where("username = ?", username).Delete(&LoginFailure{}).Error
}
