package store

import (
	"context"
	"time"

	"gorm.io/gorm/clause"
)

// Setting is one key/value row of settings.
type Setting struct {
	Key       string `gorm:"primaryKey"`
	Value     string
	UpdatedAt time.Time
}

func (Setting) TableName() string { return "settings" }

// Settings returns every stored setting.
func (s *Store) Settings(ctx context.Context) (map[string]string, error) {
	var rows []Setting
	if err := s.db.WithContext(ctx).Find(&rows).Error; err != nil {
		return nil, err
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.Key] = r.Value
	}
	return out, nil
}

// SeedSettings stores the values whose keys are not stored yet; existing
// values win (they may have been changed at runtime).
func (s *Store) SeedSettings(ctx context.Context, values map[string]string) error {
	now := s.Now()
	for k, v := range values {
		err := s.db.WithContext(ctx).Clauses(clause.OnConflict{DoNothing: true}).
			Create(&Setting{Key: k, Value: v, UpdatedAt: now}).Error
		if err != nil {
			return err
		}
	}
	return nil
}

// PutSetting stores one value.
func (s *Store) PutSetting(ctx context.Context, key, value string) error {
	return s.db.WithContext(ctx).Clauses(clause.OnConflict{UpdateAll: true}).
		Create(&Setting{Key: key, Value: value, UpdatedAt: s.Now()}).Error
}

// PutSettings stores several values in one transaction.
func (s *Store) PutSettings(ctx context.Context, values map[string]string) error {
	return s.Tx(ctx, func(tx *Store) error {
		for k, v := range values {
			if err := tx.PutSetting(ctx, k, v); err != nil {
				return err
			}
		}
		return nil
	})
}
