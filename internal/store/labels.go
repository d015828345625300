package store

import (
	"context"
	"errors"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// LabelRow is a row of labels.
type LabelRow struct {
	ID          string `gorm:"primaryKey"`
	Name        string
	Description string
	Color       string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (LabelRow) TableName() string { return "labels" }

// API returns the wire form.
func (l *LabelRow) API() tc.Label {
	return tc.Label{ID: l.ID, Name: l.Name, Description: l.Description, Color: l.Color}
}

// Label link tables: what a label can be assigned to.
const (
	LinkConfigs = "config"
	LinkGroups  = "group"
)

func linkTable(kind string) (table, col string) {
	if kind == LinkGroups {
		return "config_group_labels", "group_id"
	}
	return "config_labels", "config_id"
}

// InsertLabel inserts l, filling ID and timestamps.
func (s *Store) InsertLabel(ctx context.Context, l *LabelRow) error {
	if l.ID == "" {
		l.ID = NewID()
	}
	now := s.Now()
	l.CreatedAt, l.UpdatedAt = now, now
	err := s.db.WithContext(ctx).Create(l).Error
	if err != nil && isDup(err) {
		return tc.Errorf(tc.EConflict, "a label named %q already exists", l.Name).With("field", "name")
	}
	return dbErr(err, "label")
}

func isDup(err error) bool { return errors.Is(err, gorm.ErrDuplicatedKey) }

// LabelByRef returns the label with that ID or, failing that, that name.
func (s *Store) LabelByRef(ctx context.Context, ref string) (*LabelRow, error) {
	var l LabelRow
	db := s.db.WithContext(ctx)
	err := db.Where("id = ?", ref).Take(&l).Error
	if err == gorm.ErrRecordNotFound {
		err = db.Where("name = ?", ref).Take(&l).Error
	}
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "label %q not found", ref)
	}
	return &l, err
}

// ListLabels returns labels sorted by name, optionally searched.
func (s *Store) ListLabels(ctx context.Context, search string, p tc.Page) ([]LabelRow, int, error) {
	q := s.db.WithContext(ctx).Model(&LabelRow{})
	if search != "" {
		like := "%" + escapeLike(strings.ToLower(search)) + "%"
		q = q.Where("(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(description) LIKE ? ESCAPE '\\')", like, like)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []LabelRow
	err := q.Order("name, id").Limit(p.Limit).Offset(p.Offset).Find(&out).Error
	return out, int(total), err
}

// UpdateLabel writes the given columns of label id.
func (s *Store) UpdateLabel(ctx context.Context, id string, cols map[string]any) error {
	cols["updated_at"] = s.Now()
	res := s.db.WithContext(ctx).Model(&LabelRow{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		if isDup(res.Error) {
			return tc.Errorf(tc.EConflict, "a label with that name already exists").With("field", "name")
		}
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "label not found")
	}
	return nil
}

// DeleteLabel removes a label and every assignment of it.
func (s *Store) DeleteLabel(ctx context.Context, id string) error {
	// Its links go with it (a cascade): which agents carry which labels
	// changes, so it counts in fleet_changes like an unassign.
	return s.fleetChange(ctx, func(db *gorm.DB) error {
		res := db.Where("id = ?", id).Delete(&LabelRow{})
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return tc.Errorf(tc.ENotFound, "label not found")
		}
		return nil
	})
}

// LabelsOf returns the labels of each config or group (kind LinkConfigs or
// LinkGroups), sorted by name.
func (s *Store) LabelsOf(ctx context.Context, kind string, ids []string) (map[string][]LabelRow, error) {
	out := map[string][]LabelRow{}
	if len(ids) == 0 {
		return out, nil
	}
	table, col := linkTable(kind)
	type row struct {
		Owner string
		LabelRow
	}
	var rows []row
	err := s.db.WithContext(ctx).Raw("SELECT t."+col+" AS owner, l.* FROM "+table+" t JOIN labels l ON l.id = t.label_id WHERE t."+col+" IN ? ORDER BY l.name, l.id", ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.Owner] = append(out[r.Owner], r.LabelRow)
	}
	return out, err
}

// LinkLabels assigns every label to every owner; existing links stay.
func (s *Store) LinkLabels(ctx context.Context, kind string, ownerIDs, labelIDs []string) error {
	table, col := linkTable(kind)
	db := s.db.WithContext(ctx)
	for _, o := range ownerIDs {
		for _, l := range labelIDs {
			if err := db.Exec("INSERT INTO "+table+" ("+col+", label_id) VALUES (?, ?) ON CONFLICT DO NOTHING", o, l).Error; err != nil {
				return dbErr(err, "label assignment")
			}
		}
	}
	return nil
}

// UnlinkLabels removes the labels from the owners.
func (s *Store) UnlinkLabels(ctx context.Context, kind string, ownerIDs, labelIDs []string) error {
	if len(ownerIDs) == 0 || len(labelIDs) == 0 {
		return nil
	}
	table, col := linkTable(kind)
	return s.db.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE "+col+" IN ? AND label_id IN ?", ownerIDs, labelIDs).Error
}
