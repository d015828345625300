package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// ConstantRow is a row of constants.
type ConstantRow struct {
	Name      string `gorm:"primaryKey"`
	Value     string
	CreatedAt time.Time
	UpdatedAt time.Time
}

func (ConstantRow) TableName() string { return "constants" }

// ListConstants returns every constant by name.
func (s *Store) ListConstants(ctx context.Context) ([]ConstantRow, error) {
	var out []ConstantRow
	err := s.db.WithContext(ctx).Order("name").Find(&out).Error
	return out, err
}

// ConstantByName returns one constant.
func (s *Store) ConstantByName(ctx context.Context, name string) (*ConstantRow, error) {
	var c ConstantRow
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&c).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "constant %q not found", name)
	}
	return &c, err
}

// SetConstant creates or updates a constant and reports whether it was
// created.
func (s *Store) SetConstant(ctx context.Context, name, value string) (bool, error) {
	now := s.Now()
	db := s.db.WithContext(ctx)
	res := db.Model(&ConstantRow{}).Where("name = ?", name).Updates(map[string]any{"value": value, "updated_at": now})
	if res.Error != nil {
		return false, res.Error
	}
	if res.RowsAffected > 0 {
		return false, nil
	}
	return true, dbErr(db.Create(&ConstantRow{Name: name, Value: value, CreatedAt: now, UpdatedAt: now}).Error, "constant")
}

// DeleteConstant removes a constant.
func (s *Store) DeleteConstant(ctx context.Context, name string) error {
	res := s.db.WithContext(ctx).Where("name = ?", name).Delete(&ConstantRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "constant %q not found", name)
	}
	return nil
}
