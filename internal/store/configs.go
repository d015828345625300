package store

import (
	"context"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// ConfigRow is a row of configs.
type ConfigRow struct {
	ID           string `gorm:"primaryKey"`
	Name         string
	Description  string
	TOML         string `gorm:"column:toml"`
	Version      int
	LastModified int64
	// EnvHandling is "" (tcd's setting), "strict" or "nonstrict".
	EnvHandling string
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

func (ConfigRow) TableName() string { return "configs" }

// ConfigVersionRow is a row of config_versions.
type ConfigVersionRow struct {
	ConfigID string `gorm:"primaryKey"`
	Version  int    `gorm:"primaryKey"`
	TOML     string `gorm:"column:toml"`
	Note     string
	Author   string
	// TokenID and TokenDescription name the API token of a
	// token-authenticated write ("" for a session).
	TokenID          string
	TokenDescription string
	CreatedAt        time.Time
}

func (ConfigVersionRow) TableName() string { return "config_versions" }

// InsertConfig inserts c (ID, timestamps and version set by the caller).
func (s *Store) InsertConfig(ctx context.Context, c *ConfigRow) error {
	return dbErr(s.db.WithContext(ctx).Create(c).Error, "a config with that name or ID")
}

// ConfigByID returns the config with that ID.
func (s *Store) ConfigByID(ctx context.Context, id string) (*ConfigRow, error) {
	var c ConfigRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&c).Error
	return &c, dbErr(err, "config")
}

// ConfigByName returns the config with that exact name.
func (s *Store) ConfigByName(ctx context.Context, name string) (*ConfigRow, error) {
	var c ConfigRow
	err := s.db.WithContext(ctx).Where("name = ?", name).Take(&c).Error
	return &c, dbErr(err, "config")
}

// ConfigNameTaken reports whether a config other than exceptID has name.
func (s *Store) ConfigNameTaken(ctx context.Context, name, exceptID string) (bool, error) {
	var n int64
	err := s.db.WithContext(ctx).Model(&ConfigRow{}).Where("name = ? AND id <> ?", name, exceptID).Count(&n).Error
	return n > 0, err
}

// UpdateConfig writes the given columns of config id and bumps updated_at.
func (s *Store) UpdateConfig(ctx context.Context, id string, cols map[string]any) error {
	cols["updated_at"] = s.Now()
	res := s.db.WithContext(ctx).Model(&ConfigRow{}).Where("id = ?", id).Updates(cols)
	if res.Error != nil {
		return dbErr(res.Error, "a config with that name")
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "config not found")
	}
	return nil
}

// endRolloutsOf aborts the queued, running and paused rollouts of a
// deleted config: nothing is served of it any more, and a rollout left
// active would stay so for ever (it cannot complete without its config).
func (s *Store) endRolloutsOf(ctx context.Context, configID string) error {
	var rows []struct {
		ID    string
		Stage int
	}
	db := s.db.WithContext(ctx)
	if err := db.Raw("SELECT id, stage FROM rollouts WHERE config_id = ? AND state IN ?", configID,
		[]string{tc.RolloutQueued, tc.RolloutRunning, tc.RolloutPaused}).Scan(&rows).Error; err != nil || len(rows) == 0 {
		return err
	}
	now := s.now().UnixMilli()
	const reason = "its config was deleted"
	for _, r := range rows {
		if err := db.Exec("UPDATE rollouts SET state = ?, reason = ?, finished_ms = ?, updated_ms = ? WHERE id = ?",
			tc.RolloutAborted, reason, now, now, r.ID).Error; err != nil {
			return err
		}
		if err := s.AddRolloutEvent(ctx, &RolloutEventRow{RolloutID: r.ID, AtMs: now, Action: "abort", State: tc.RolloutAborted, Stage: r.Stage, Actor: "tcd", Reason: reason}); err != nil {
			return err
		}
	}
	return s.PublishChange(ctx, TopicRollouts)
}

// DeleteConfig removes a config; its versions, labels links, aliases and
// group memberships go with it (ON DELETE CASCADE).
func (s *Store) DeleteConfig(ctx context.Context, id string) error {
	res := s.db.WithContext(ctx).Where("id = ?", id).Delete(&ConfigRow{})
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "config not found")
	}
	return s.endRolloutsOf(ctx, id)
}

// ConfigFilter narrows ListConfigs.
type ConfigFilter struct {
	Search string // name or description contains, case-insensitive
	Label  string // label ID or name
	// Labels are label IDs or names; a config must carry every one.
	Labels []string
	Name   string // exact name
	// Sort is a column: name, created_at or updated_at (default name).
	Sort string
	Desc bool
	tc.Page
}

// ListConfigs returns one page of configs and the total.
func (s *Store) ListConfigs(ctx context.Context, f ConfigFilter) ([]ConfigRow, int, error) {
	q := s.db.WithContext(ctx).Model(&ConfigRow{})
	if f.Name != "" {
		q = q.Where("name = ?", f.Name)
	}
	if f.Search != "" {
		like := "%" + escapeLike(strings.ToLower(f.Search)) + "%"
		q = q.Where("(LOWER(name) LIKE ? ESCAPE '\\' OR LOWER(description) LIKE ? ESCAPE '\\')", like, like)
	}
	for _, l := range append(f.Labels, f.Label) {
		if l != "" {
			q = q.Where("id IN (SELECT cl.config_id FROM config_labels cl JOIN labels l ON l.id = cl.label_id WHERE l.id = ? OR l.name = ?)", l, l)
		}
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	var out []ConfigRow
	err := q.Order(orderBy(f.Sort, f.Desc)).Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, int(total), err
}

func orderBy(col string, desc bool) string {
	switch col {
	case "created_at", "updated_at", "name":
	default:
		col = "name"
	}
	if desc {
		return col + " DESC, id DESC"
	}
	return col + ", id"
}

// ConfigTemplates returns id → TOML of every config (for reference scans).
func (s *Store) ConfigTemplates(ctx context.Context) ([]ConfigRow, error) {
	var out []ConfigRow
	err := s.db.WithContext(ctx).Model(&ConfigRow{}).Select("id", "name", "toml").Order("id").Find(&out).Error
	return out, err
}

// ConfigsByIDs returns the configs with these IDs (any order).
func (s *Store) ConfigsByIDs(ctx context.Context, ids []string) ([]ConfigRow, error) {
	var out []ConfigRow
	if len(ids) == 0 {
		return out, nil
	}
	err := s.db.WithContext(ctx).Where("id IN ?", ids).Find(&out).Error
	return out, err
}

// bumpSQL moves last_modified strictly forward: max(now, previous+1).
const bumpSQL = "UPDATE %s SET last_modified = CASE WHEN last_modified + 1 > ? THEN last_modified + 1 ELSE ? END WHERE id IN ?"

// BumpConfigs moves the last_modified of the configs forward (their
// renderings changed: a constant, an apply). A config being rolled out is
// served the newest of its own and the rollout's Last-Modified, which may
// be ahead of the clock by a few seconds: the new one goes past it, so
// every agent's moves forward.
func (s *Store) BumpConfigs(ctx context.Context, ids []string, now int64) error {
	if len(ids) == 0 {
		return nil
	}
	var lm *int64
	err := s.db.WithContext(ctx).Raw(`SELECT MAX(CASE WHEN lm_back > lm_to THEN lm_back ELSE lm_to END) FROM rollouts WHERE state IN ? AND config_id IN ?`,
		[]string{tc.RolloutRunning, tc.RolloutPaused}, ids).Scan(&lm).Error
	if err != nil {
		return err
	}
	if lm != nil {
		now = max(now, *lm+1)
	}
	return s.db.WithContext(ctx).Exec(strings.Replace(bumpSQL, "%s", "configs", 1), now, now, ids).Error
}

// BumpGroups moves the last_modified of the config groups forward (a
// group changed). While a rollout runs or is paused, agents on a group
// holding its config may be served the rollout's Last-Modified, or one
// second past the group's (see configs.resolveGroupVersions): the group's
// new Last-Modified goes past both, so every agent's moves forward (a
// rollout's stays ahead of the clock by a few seconds at most).
func (s *Store) BumpGroups(ctx context.Context, ids []string, now int64) error {
	if len(ids) == 0 {
		return nil
	}
	var lm *int64
	err := s.db.WithContext(ctx).Raw(`SELECT MAX(CASE WHEN lm_back > lm_to THEN lm_back ELSE lm_to END) FROM rollouts WHERE state IN ?`,
		[]string{tc.RolloutRunning, tc.RolloutPaused}).Scan(&lm).Error
	if err != nil {
		return err
	}
	if lm == nil {
		return s.bumpGroups(ctx, ids, now)
	}
	now = max(now, *lm+1)
	return s.db.WithContext(ctx).Exec("UPDATE config_groups SET last_modified = CASE WHEN last_modified + 2 > ? THEN last_modified + 2 ELSE ? END WHERE id IN ?", now, now, ids).Error
}

// bumpGroups moves the last_modified of the config groups to now, or one
// second past theirs.
func (s *Store) bumpGroups(ctx context.Context, ids []string, now int64) error {
	if len(ids) == 0 {
		return nil
	}
	return s.db.WithContext(ctx).Exec(strings.Replace(bumpSQL, "%s", "config_groups", 1), now, now, ids).Error
}

// InsertVersion inserts a version row.
func (s *Store) InsertVersion(ctx context.Context, v *ConfigVersionRow) error {
	return dbErr(s.db.WithContext(ctx).Create(v).Error, "config version")
}

// Versions returns the versions of a config, newest first.
func (s *Store) Versions(ctx context.Context, configID string) ([]ConfigVersionRow, error) {
	var out []ConfigVersionRow
	err := s.db.WithContext(ctx).Where("config_id = ?", configID).Order("version DESC").Find(&out).Error
	return out, err
}

// Version returns version n of a config.
func (s *Store) Version(ctx context.Context, configID string, n int) (*ConfigVersionRow, error) {
	var v ConfigVersionRow
	err := s.db.WithContext(ctx).Where("config_id = ? AND version = ?", configID, n).Take(&v).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "version %d not found", n)
	}
	return &v, err
}

// SetVersionNote changes the note of version n.
func (s *Store) SetVersionNote(ctx context.Context, configID string, n int, note string) error {
	res := s.db.WithContext(ctx).Model(&ConfigVersionRow{}).Where("config_id = ? AND version = ?", configID, n).Update("note", note)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return tc.Errorf(tc.ENotFound, "version %d not found", n)
	}
	return nil
}

// DeleteVersionsBefore deletes the versions numbered below before, except
// keep and the versions a queued, running or paused rollout of the config
// moves from or to, and returns how many went and which of those below
// before the rollouts kept (ascending). Callers hold LockRolloutGroups, so
// a rollout starting meanwhile cannot name a version being deleted.
func (s *Store) DeleteVersionsBefore(ctx context.Context, configID string, before, keep int) (int, []int, error) {
	var used []RolloutRow
	err := s.db.WithContext(ctx).Select("from_version", "to_version").
		Where("config_id = ? AND state IN ?", configID, []string{tc.RolloutQueued, tc.RolloutRunning, tc.RolloutPaused}).Find(&used).Error
	if err != nil {
		return 0, nil, err
	}
	spare := map[int]bool{keep: true}
	for _, r := range used {
		spare[r.FromVersion], spare[r.ToVersion] = true, true
	}
	var kept []int
	for v := range spare {
		if v != keep && v < before {
			kept = append(kept, v)
		}
	}
	sort.Ints(kept)
	notIn := make([]int, 0, len(spare))
	for v := range spare {
		notIn = append(notIn, v)
	}
	var have []int
	if len(kept) > 0 {
		// Report only the versions that exist.
		if err := s.db.WithContext(ctx).Model(&ConfigVersionRow{}).Where("config_id = ? AND version IN ?", configID, kept).
			Order("version").Pluck("version", &have).Error; err != nil {
			return 0, nil, err
		}
	}
	res := s.db.WithContext(ctx).Where("config_id = ? AND version < ? AND version NOT IN ?", configID, before, notIn).Delete(&ConfigVersionRow{})
	return int(res.RowsAffected), have, res.Error
}
