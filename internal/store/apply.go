package store

import (
	"context"
)

// Loaders of the whole configuration state, for config as code (export,
// apply). Each returns everything in a stable order.

// AllConfigs returns every config; without withTOML the toml column is
// left out (for a cheap check that nothing changed).
func (s *Store) AllConfigs(ctx context.Context, withTOML bool) ([]ConfigRow, error) {
	q := s.db.WithContext(ctx).Model(&ConfigRow{})
	if !withTOML {
		q = q.Select("id", "name", "description", "version", "last_modified", "env_handling", "created_at", "updated_at")
	}
	var out []ConfigRow
	err := q.Order("id").Find(&out).Error
	return out, err
}

// AllGroups returns every config group.
func (s *Store) AllGroups(ctx context.Context) ([]GroupRow, error) {
	var out []GroupRow
	err := s.db.WithContext(ctx).Order("id").Find(&out).Error
	return out, err
}

// AllGroupMembers returns the ordered members of every group.
func (s *Store) AllGroupMembers(ctx context.Context) (map[string][]string, error) {
	var rows []GroupMemberRow
	err := s.db.WithContext(ctx).Order("group_id, position").Find(&rows).Error
	out := map[string][]string{}
	for _, r := range rows {
		out[r.GroupID] = append(out[r.GroupID], r.ConfigID)
	}
	return out, err
}

// AllLabels returns every label by name.
func (s *Store) AllLabels(ctx context.Context) ([]LabelRow, error) {
	var out []LabelRow
	err := s.db.WithContext(ctx).Order("name, id").Find(&out).Error
	return out, err
}

// AllLabelLinks returns owner ID → label IDs of configs (kind LinkConfigs)
// or groups.
func (s *Store) AllLabelLinks(ctx context.Context, kind string) (map[string][]string, error) {
	table, col := linkTable(kind)
	var rows []struct {
		Owner, LabelID string
	}
	err := s.db.WithContext(ctx).Raw("SELECT " + col + " AS owner, label_id FROM " + table + " ORDER BY " + col + ", label_id").Scan(&rows).Error
	out := map[string][]string{}
	for _, r := range rows {
		out[r.Owner] = append(out[r.Owner], r.LabelID)
	}
	return out, err
}

// AllRules returns every reporting rule.
func (s *Store) AllRules(ctx context.Context) ([]ReportingRule, error) {
	var out []ReportingRule
	err := s.db.WithContext(ctx).Order("name").Find(&out).Error
	return out, err
}

// LockConfigTables keeps other writers off the configuration tables until
// the transaction ends (PostgreSQL; SQLite's write transaction already
// excludes them). Readers, agents' fetches included, are not blocked.
func (s *Store) LockConfigTables(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	return s.db.WithContext(ctx).Exec("LOCK TABLE configs, config_versions, config_groups, config_group_members, constants, labels, config_labels, config_group_labels, aliases, reporting_rules IN SHARE ROW EXCLUSIVE MODE").Error
}
