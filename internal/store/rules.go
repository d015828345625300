package store

import (
	"context"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// ReportingRule is a row of reporting_rules.
type ReportingRule struct {
	ID                string `gorm:"primaryKey"`
	Name              string
	Description       string
	NotReportingAfter int64
	AutoDeleteAfter   *int64
	IsDefault         bool
	CreatedAt         time.Time
	UpdatedAt         time.Time
}

func (ReportingRule) TableName() string { return "reporting_rules" }

// API returns the wire form.
func (r *ReportingRule) API(agents int) tc.ReportingRule {
	return tc.ReportingRule{ID: r.ID, Name: r.Name, Description: r.Description, NotReportingAfter: r.NotReportingAfter,
		AutoDeleteAfter: r.AutoDeleteAfter, IsDefault: r.IsDefault, Agents: agents, CreatedAt: r.CreatedAt.UTC(), UpdatedAt: r.UpdatedAt.UTC()}
}

const defaultRuleLockKey = 7_451_220_003

// DefaultRuleName names the rule created on first start.
const DefaultRuleName = "default"

// EnsureDefaultRule creates the default rule (not reporting after 180 s,
// never auto-deleted) unless a default exists. Safe to run concurrently.
func (s *Store) EnsureDefaultRule(ctx context.Context) error {
	return s.Tx(ctx, func(tx *Store) error {
		if tx.dialect == Postgres {
			// Nodes of a cluster starting together: one creates the rule.
			if err := tx.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock("+AdvisoryKeySQL+")", defaultRuleLockKey).Error; err != nil {
				return err
			}
		}
		var n int64
		if err := tx.db.WithContext(ctx).Model(&ReportingRule{}).Where("is_default").Count(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		name := DefaultRuleName
		for i := 2; ; i++ {
			if err := tx.db.WithContext(ctx).Model(&ReportingRule{}).Where("name = ?", name).Count(&n).Error; err != nil {
				return err
			}
			if n == 0 {
				break
			}
			name = DefaultRuleName + "-" + itoa(i)
		}
		now := tx.Now()
		r := &ReportingRule{ID: NewID(), Name: name, Description: "Assigned to new agents: not reporting after 3 missed one-minute heartbeats",
			NotReportingAfter: 180, IsDefault: true, CreatedAt: now, UpdatedAt: now}
		return tx.db.WithContext(ctx).Create(r).Error
	})
}

func itoa(i int) string {
	const digits = "0123456789"
	if i < 10 {
		return digits[i : i+1]
	}
	return itoa(i/10) + digits[i%10:i%10+1]
}

// Rules returns every rule by name with the number of agents on each.
func (s *Store) Rules(ctx context.Context) ([]ReportingRule, map[string]int, error) {
	var rules []ReportingRule
	db := s.db.WithContext(ctx)
	if err := db.Order("name").Find(&rules).Error; err != nil {
		return nil, nil, err
	}
	counts, err := s.ruleCounts(ctx)
	return rules, counts, err
}

func (s *Store) ruleCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		ReportingRuleID string
		N               int
	}
	err := s.db.WithContext(ctx).Raw("SELECT reporting_rule_id, COUNT(*) AS n FROM agents GROUP BY reporting_rule_id").Scan(&rows).Error
	out := map[string]int{}
	for _, r := range rows {
		out[r.ReportingRuleID] = r.N
	}
	return out, err
}

// RuleByRef returns a rule by ID or name.
func (s *Store) RuleByRef(ctx context.Context, ref string) (*ReportingRule, int, error) {
	var r ReportingRule
	db := s.db.WithContext(ctx)
	err := db.Where("id = ?", ref).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		err = db.Where("name = ?", ref).Take(&r).Error
	}
	if err == gorm.ErrRecordNotFound {
		return nil, 0, tc.Errorf(tc.ENotFound, "reporting rule %q not found", ref)
	} else if err != nil {
		return nil, 0, err
	}
	var n int64
	if err := db.Table("agents").Where("reporting_rule_id = ?", r.ID).Count(&n).Error; err != nil {
		return nil, 0, err
	}
	return &r, int(n), nil
}

// DefaultRule returns the default rule.
func (s *Store) DefaultRule(ctx context.Context) (*ReportingRule, error) {
	var r ReportingRule
	err := s.db.WithContext(ctx).Where("is_default").Take(&r).Error
	return &r, dbErr(err, "default reporting rule")
}

// CheckRuleName refuses a name another rule holds.
func (s *Store) CheckRuleName(ctx context.Context, name, exceptID string) error {
	var n int64
	if err := s.db.WithContext(ctx).Model(&ReportingRule{}).Where("name = ? AND id <> ?", name, exceptID).Count(&n).Error; err != nil {
		return err
	}
	if n > 0 {
		return tc.Errorf(tc.EConflict, "a reporting rule named %q already exists", name).With("field", "name")
	}
	return nil
}

// CreateRule inserts a rule; a default one takes over from the old default.
func (s *Store) CreateRule(ctx context.Context, r *ReportingRule) error {
	if err := s.CheckRuleName(ctx, r.Name, ""); err != nil {
		return err
	}
	if r.IsDefault {
		if err := s.unsetDefault(ctx); err != nil {
			return err
		}
	}
	r.ID = NewID()
	r.CreatedAt, r.UpdatedAt = s.Now(), s.Now()
	return dbErr(s.db.WithContext(ctx).Create(r).Error, "a reporting rule with that name")
}

func (s *Store) unsetDefault(ctx context.Context) error {
	return s.db.WithContext(ctx).Model(&ReportingRule{}).Where("is_default").Update("is_default", false).Error
}

// UpdateRule writes columns of a rule; is_default=true unsets the old default.
func (s *Store) UpdateRule(ctx context.Context, id string, cols map[string]any) error {
	if d, ok := cols["is_default"].(bool); ok && d {
		if err := s.db.WithContext(ctx).Model(&ReportingRule{}).Where("is_default AND id <> ?", id).Update("is_default", false).Error; err != nil {
			return err
		}
	}
	cols["updated_at"] = s.Now()
	res := s.db.WithContext(ctx).Model(&ReportingRule{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return dbErr(res.Error, "a reporting rule with that name")
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "reporting rule %q not found", id)
	}
	return nil
}

// DeleteRule moves the rule's agents to the default rule and deletes it.
func (s *Store) DeleteRule(ctx context.Context, id, defaultID string) (moved int64, err error) {
	err = s.fleetChange(ctx, func(db *gorm.DB) error {
		res := db.Table("agents").Where("reporting_rule_id = ?", id).Update("reporting_rule_id", defaultID)
		if res.Error != nil {
			return res.Error
		}
		moved = res.RowsAffected
		return db.Where("id = ?", id).Delete(&ReportingRule{}).Error
	})
	if err != nil {
		return 0, err
	}
	return moved, nil
}
