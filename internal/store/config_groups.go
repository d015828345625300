package store

import (
	"context"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// GroupRow is a row of config_groups.
type GroupRow struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	Description  string
	LastModified int64
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

func (GroupRow) TableName() string { return "config_groups" }

// GroupMemberRow is a row of config_group_members.
type GroupMemberRow struct {
	GroupID  string `gorm:"primaryKey"`
	ConfigID string `gorm:"primaryKey"`
	Position int
}

func (GroupMemberRow) TableName() string { return "config_group_members" }

// AliasRow is a row of aliases: exactly one of ConfigID and GroupID is set.
type AliasRow struct {
	Alias     string `gorm:"primaryKey"`
	ConfigID  *string
	GroupID   *string
	CreatedAt time.Time
}

func (AliasRow) TableName() string { return "aliases" }

// InsertGroup inserts g (ID and timestamps set by the caller).
func (s *Store) InsertGroup(ctx context.Context, g *GroupRow) error {
	return dbErr(s.db.WithContext(ctx).Create(g).Error, "a config group with that name")
}

// GroupByID returns the group with that ID.
func (s *Store) GroupByID(ctx context.Context, id string) (*GroupRow, error) {
	var g GroupRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&g).Error
	return &g, dbErr(err, "config group")
}

// GroupNameTaken reports whether a group other than exceptID has name.
func (s *Store) GroupNameTaken(ctx context.Context, name, exceptID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&GroupRow{}).Where("name = ? AND id <> ?", name, exceptID).Count(&n).Error
	return n > 0, err
}

// ListGroups returns one page of groups and the total; Search also
// matches the names of member configs.
func (s *Store) ListGroups(ctx context.Context, f ConfigFilter) ([]GroupRow, int, error) {
	q := s.db.WithContext(ctx).Model(&GroupRow{})
	if f.Name != "" {
		q = q.Where("name = ?", f.Name)
	}
	if f.Search != "" {
		like := "%" + escapeLike(strings.ToLower(f.Search)) + "%"
		q = q.Where("(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(description) LIKE ? ESCAPE '\\' OR id IN (SELECT m.group_id FROM config_group_members m JOIN configs c ON c.id = m.config_id WHERE LOWER(c.name) LIKE ? ESCAPE '\\'))", like, like, like)
	}
	for _, l := range append(f.Labels, f.Label) {
		if l != "" {
			q = q.Where("id IN (SELECT gl.group_id FROM config_group_labels gl JOIN labels l ON l.id = gl.label_id WHERE l.id = ? OR l.name = ?)", l, l)
		}
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []GroupRow
	err := q.Order(orderBy(f.Sort, f.Desc)).Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, int(total), err
}

// UpdateGroup writes the given columns of group id and bumps updated_at.
func (s *Store) UpdateGroup(ctx context.Context, id string, cols map[string]any) error {
	cols["updated_at"] = s.Now()
	res := s.db.WithContext(ctx).Model(&GroupRow{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return dbErr(res.Error, "a config group with that name")
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "config group not found")
	}
	return nil
}

// DeleteGroup removes a group, its aliases and label links (not members).
func (s *Store) DeleteGroup(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&GroupRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "config group not found")
	}
	return nil
}

// GroupMembers returns the ordered member config IDs of each group.
func (s *Store) GroupMembers(ctx context.Context, groupIDs []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(groupIDs) == 0 {
		return out, nil
	}
	var rows []GroupMemberRow
	err := s.db.WithContext(ctx).Where("group_id IN ?", groupIDs).Order("group_id, position").Find(&rows).Error
	for _, r := range rows {
		out[r.GroupID] = append(out[r.GroupID], r.ConfigID)
	}
	return out, err
}

// SetGroupMembers replaces the ordered members of a group.
func (s *Store) SetGroupMembers(ctx context.Context, groupID string, configIDs []string) error {
	db := s.db.WithContext(ctx)
	if err := db.Where("group_id = ?", groupID).Delete(&GroupMemberRow{}).Error; err != nil {
		return err
	}
	for i, id := range configIDs {
		if err := db.Create(&GroupMemberRow{GroupID: groupID, ConfigID: id, Position: i}).Error; err != nil {
			return dbErr(err, "group member")
		}
	}
	return nil
}

// GroupsContaining returns the IDs of the groups that have any of the configs.
func (s *Store) GroupsContaining(ctx context.Context, configIDs []string) ([]string, error) {
	var out []string
	if len(configIDs) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Model(&GroupMemberRow{}).Distinct("group_id").Where("config_id IN ?", configIDs).Pluck("group_id", &out).Error
	return out, err
}

// AliasByName returns one alias.
func (s *Store) AliasByName(ctx context.Context, alias string) (*AliasRow, error) {
	var a AliasRow
	err := s.db.WithContext(ctx).Where("alias = ?", alias).Take(&a).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "alias %q not found", alias)
	}
	return &a, err
}

// ListAliases returns every alias by name.
func (s *Store) ListAliases(ctx context.Context) ([]AliasRow, error) {
	var out []AliasRow
	err := s.db.WithContext(ctx).Order("alias").Find(&out).Error
	return out, err
}

// AliasesOf returns the aliases of each config (kind LinkConfigs) or group.
func (s *Store) AliasesOf(ctx context.Context, kind string, ids []string) (map[string][]string, error) {
	out := map[string][]string{}
	if len(ids) == 0 {
		return out, nil
	}
	col := "config_id"
	if kind == LinkGroups {
		col = "group_id"
	}
	var rows []AliasRow
	err := s.db.WithContext(ctx).Where(col+" IN ?", ids).Order("alias").Find(&rows).Error
	for _, r := range rows {
		owner := r.ConfigID
		if kind == LinkGroups {
			owner = r.GroupID
		}
		if owner != nil {
			out[*owner] = append(out[*owner], r.Alias)
		}
	}
	return out, err
}

// PutAlias points alias at a config or group, creating or moving it.
func (s *Store) PutAlias(ctx context.Context, a *AliasRow) error {
	db := s.db.WithContext(ctx)
	res := db.Model(&AliasRow{}).Where("alias = ?", a.Alias).Updates(map[string]any{"config_id": a.ConfigID, "group_id": a.GroupID})
	if res.Error != nil {
		return dbErr(res.Error, "alias target")
	}
	if res.RowsAffected > 0 {
		return nil
	}
	a.CreatedAt = s.Now()
	return dbErr(db.Create(a).Error, "alias")
}

// DeleteAlias removes an alias.
func (s *Store) DeleteAlias(ctx context.Context, alias string) error {
	res := s.db.WithContext(ctx).Where("alias = ?", alias).Delete(&AliasRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "alias %q not found", alias)
	}
	return nil
}
