package store

import (
	"context"
	"fmt"
	"strings"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// TopicRollouts is the cache topic of rollout state (every node keeps the
// active rollouts in memory for the serving path).
const TopicRollouts = "rollouts"

// ServedRecord is one coalesced observation of the serving path: agent
// AgentID was answered version Version of TargetID. FetchedMs is set for a
// GET answered 200 (0 for HEAD and 304, which only say "still polling").
type ServedRecord struct {
	AgentID      string
	TargetID     string
	Kind         string
	Version      int
	ETag         string
	LastModified int64
	FetchedMs    int64
	PolledMs     int64
}

// ServedRow is a row of served_versions.
type ServedRow struct {
	AgentID      string
	TargetID     string
	Kind         string
	Version      int
	ETag         string `gorm:"column:etag"`
	LastModified int64
	FirstMs      int64
	FetchedMs    int64
	PolledMs     int64
	HbBase       int64
}

// servedBatch is the most rows one statement writes (10 parameters each).
const servedBatch = 500

// RecordServed upserts served records: a GET with a Last-Modified the row
// has not seen restarts its first-fetch time and heartbeat base (the agent
// reloads); HEAD and 304 move only the polling time.
func (s *Store) RecordServed(ctx context.Context, recs []ServedRecord) error {
	greatest := "MAX"
	if s.dialect == Postgres {
		greatest = "GREATEST"
	}
	var buf []ServedRecord
	for i := 0; i < len(recs); i += servedBatch {
		part := mergeServed(recs[i:min(i+servedBatch, len(recs))], buf)
		buf = part
		var sb strings.Builder
		args := make([]any, 0, len(part)*11)
		sb.WriteString(`INSERT INTO served_versions (agent_id, target_id, kind, version, etag, last_modified, first_ms, fetched_ms, polled_ms, hb_base) VALUES `)
		for j, r := range part {
			if j > 0 {
				sb.WriteByte(',')
			}
			sb.WriteString(`(?, ?, ?, ?, ?, ?, ?, ?, ?, COALESCE((SELECT heartbeats FROM agents WHERE id = ?), 0))`)
			first := r.FetchedMs
			if first == 0 {
				first = r.PolledMs
			}
			args = append(args, r.AgentID, r.TargetID, r.Kind, r.Version, r.ETag, r.LastModified, first, r.FetchedMs, r.PolledMs, r.AgentID)
		}
		fmt.Fprintf(&sb, ` ON CONFLICT (agent_id, target_id, version) DO UPDATE SET
			first_ms = CASE WHEN excluded.fetched_ms > 0 AND (excluded.last_modified <> served_versions.last_modified OR served_versions.fetched_ms = 0) THEN excluded.first_ms ELSE served_versions.first_ms END,
			hb_base = CASE WHEN excluded.fetched_ms > 0 AND (excluded.last_modified <> served_versions.last_modified OR served_versions.fetched_ms = 0) THEN excluded.hb_base ELSE served_versions.hb_base END,
			etag = excluded.etag,
			last_modified = CASE WHEN excluded.fetched_ms > 0 THEN excluded.last_modified ELSE served_versions.last_modified END,
			fetched_ms = %[1]s(served_versions.fetched_ms, excluded.fetched_ms),
			polled_ms = %[1]s(served_versions.polled_ms, excluded.polled_ms)`, greatest)
		if err := s.db.WithContext(ctx).Exec(sb.String(), args...).Error; err != nil {
			return fmt.Errorf("record served versions: %w", err)
		}
	}
	return nil
}

// mergeServed returns part with the records of one row merged into one,
// in buf: PostgreSQL refuses to update a row twice in one INSERT … ON
// CONFLICT, and an agent that fetches a config both directly and through
// a group holding it (or through two groups) has a record per way. The
// records of one flush are snapshots of the same moment, in no order: the
// merged one has the newest times, and the rest of the latest fetch (the
// latest poll when none fetched).
func mergeServed(part, buf []ServedRecord) []ServedRecord {
	type row struct {
		agent, target string
		version       int
	}
	idx := make(map[row]int, len(part))
	out := buf[:0]
	for _, r := range part {
		k := row{r.AgentID, r.TargetID, r.Version}
		i, ok := idx[k]
		if !ok {
			idx[k] = len(out)
			out = append(out, r)
			continue
		}
		m := &out[i]
		if r.FetchedMs > m.FetchedMs || r.FetchedMs == m.FetchedMs && r.PolledMs > m.PolledMs {
			m.Kind, m.ETag, m.LastModified = r.Kind, r.ETag, r.LastModified
		}
		m.FetchedMs, m.PolledMs = max(m.FetchedMs, r.FetchedMs), max(m.PolledMs, r.PolledMs)
	}
	return out
}

// ServedOf returns the served rows of the given agents (nil: all agents).
func (s *Store) ServedOf(ctx context.Context, agentIDs []string) ([]ServedRow, error) {
	var out []ServedRow
	q := s.db.WithContext(ctx).Table("served_versions")
	if agentIDs != nil {
		if len(agentIDs) == 0 {
			return nil, nil
		}
		q = q.Where("agent_id IN ?", agentIDs)
	}
	err := q.Order("agent_id, target_id, version").Find(&out).Error
	return out, err
}

// ServedForTarget returns the served rows of one config or group.
func (s *Store) ServedForTarget(ctx context.Context, targetID string) ([]ServedRow, error) {
	var out []ServedRow
	err := s.db.WithContext(ctx).Table("served_versions").Where("target_id = ?", targetID).Find(&out).Error
	return out, err
}

// AgentHealth is what gates and derived states need of an agent.
type AgentHealth struct {
	ID             string
	Status         string
	LastSeenMs     int64
	Heartbeats     int64
	Configurations string
	Labels         string
}

// AgentsHealth returns the health of the given agents (nil: every agent),
// with statuses as of now.
func (s *Store) AgentsHealth(ctx context.Context, ids []string) ([]AgentHealth, error) {
	var out []AgentHealth
	q := s.agentsJoined(ctx).Select("agents.id, "+statusExpr+" AS status, agents.last_seen_ms, agents.heartbeats, agents.configurations", s.now().UnixMilli())
	if ids != nil {
		if len(ids) == 0 {
			return nil, nil
		}
		q = q.Where(s.idSetClause("agents.id", false), idSetParam(ids))
	}
	err := q.Scan(&out).Error
	return out, err
}

// idSetClause is "col IN (a JSON array parameter)": one parameter however
// many IDs (SQLite bounds the parameters of a statement).
func (s *Store) idSetClause(col string, exclude bool) string {
	op := "IN"
	if exclude {
		op = "NOT IN"
	}
	if s.dialect == Postgres {
		return col + " " + op + " (SELECT jsonb_array_elements_text(CAST(? AS jsonb)))"
	}
	return col + " " + op + " (SELECT value FROM json_each(?))"
}

func idSetParam(ids []string) string { return versionSetParam(ids) }

// AgentIDsForConfig returns the agents known to use a config, directly or
// through a config group holding it: served the config or such a group
// under their identity, or naming either in their heartbeats.
func (s *Store) AgentIDsForConfig(ctx context.Context, configID string) ([]string, error) {
	groups, err := s.GroupsContaining(ctx, []string{configID})
	if err != nil {
		return nil, err
	}
	targets := append([]string{configID}, groups...)
	var q strings.Builder
	q.WriteString(`SELECT agent_id FROM served_versions WHERE target_id IN ?
		UNION SELECT id FROM agents WHERE configurations LIKE ? ESCAPE '\'`)
	args := []any{targets, "%" + escapeLike(`"configId":"`+configID+`"`) + "%"}
	for _, g := range groups {
		q.WriteString(` OR configurations LIKE ? ESCAPE '\'`)
		args = append(args, "%"+escapeLike(`"groupId":"`+g+`"`)+"%")
	}
	var ids []string
	err = s.db.WithContext(ctx).Raw(q.String(), args...).Scan(&ids).Error
	return ids, err
}

// MaxGroupLastModified returns the newest Last-Modified (unix seconds) of
// the config groups holding a config (0: none).
func (s *Store) MaxGroupLastModified(ctx context.Context, configID string) (int64, error) {
	var n *int64
	err := s.db.WithContext(ctx).Raw(`SELECT MAX(g.last_modified) FROM config_groups g
		JOIN config_group_members m ON m.group_id = g.id WHERE m.config_id = ?`, configID).Scan(&n).Error
	if n == nil {
		return 0, err
	}
	return *n, err
}

// AgentIDsWithLabels returns every agent with its label names.
func (s *Store) AgentLabelNames(ctx context.Context, ids []string) (map[string][]string, error) {
	var rows []struct{ AgentID, Name string }
	q := s.db.WithContext(ctx).Table("agent_labels al").Select("al.agent_id, l.name").Joins("JOIN labels l ON l.id = al.label_id")
	if ids != nil {
		q = q.Where(s.idSetClause("al.agent_id", false), idSetParam(ids))
	}
	if err := q.Scan(&rows).Error; err != nil {
		return nil, err
	}
	out := map[string][]string{}
	for _, r := range rows {
		out[r.AgentID] = append(out[r.AgentID], r.Name)
	}
	return out, nil
}

// RolloutRow is a row of rollouts. Times are unix milliseconds; lm_* are
// unix seconds (Last-Modified).
type RolloutRow struct {
	ID             string `gorm:"primaryKey"`
	ConfigID       string
	ConfigName     string
	FromVersion    int
	ToVersion      int
	Stages         string
	Heartbeats     int
	MaxFailures    int
	WaitMs         int64
	TimeoutMs      int64
	AutoRollback   bool
	State          string
	Stage          int
	StageStartedMs int64
	LmTo           int64
	LmBack         int64
	RolledBack     bool
	Reason         string
	CreatedBy      string
	CreatedMs      int64
	UpdatedMs      int64
	FinishedMs     *int64
}

func (RolloutRow) TableName() string { return "rollouts" }

// RolloutMember is a row of rollout_members.
type RolloutMember struct {
	RolloutID string `gorm:"primaryKey"`
	AgentID   string `gorm:"primaryKey"`
	Stage     int
}

func (RolloutMember) TableName() string { return "rollout_members" }

// RolloutEventRow is a row of rollout_events.
type RolloutEventRow struct {
	RolloutID string `gorm:"primaryKey"`
	Seq       int    `gorm:"primaryKey"`
	AtMs      int64
	Action    string
	State     string
	Stage     int
	Actor     string
	Reason    string
}

func (RolloutEventRow) TableName() string { return "rollout_events" }

// InsertRollout stores a new rollout.
func (s *Store) InsertRollout(ctx context.Context, r *RolloutRow) error {
	return dbErr(s.db.WithContext(ctx).Create(r).Error, "rollout")
}

// UpdateRollout changes a rollout if it is still in state from (an
// optimistic check: another node or request changed it otherwise).
func (s *Store) UpdateRollout(ctx context.Context, id, from string, stage int, cols map[string]any) (bool, error) {
	res := s.db.WithContext(ctx).Model(&RolloutRow{}).Where("id = ? AND state = ? AND stage = ?", id, from, stage).Updates(cols)
	return res.RowsAffected == 1, res.Error
}

// RolloutByID returns one rollout.
func (s *Store) RolloutByID(ctx context.Context, id string) (*RolloutRow, error) {
	var r RolloutRow
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&r).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "rollout %q not found", id)
	}
	return &r, err
}

// Rollouts lists rollouts, newest first: of one config ("" all), in the
// given states (none: all), at most limit (0: all).
func (s *Store) Rollouts(ctx context.Context, configID string, states []string, limit int) ([]RolloutRow, error) {
	var out []RolloutRow
	q := s.db.WithContext(ctx).Order("created_ms DESC, id")
	if configID != "" {
		q = q.Where("config_id = ?", configID)
	}
	if len(states) > 0 {
		q = q.Where("state IN ?", states)
	}
	if limit > 0 {
		q = q.Limit(limit)
	}
	err := q.Find(&out).Error
	return out, err
}

// ActiveRollout returns the running or paused rollout of a config, or nil.
func (s *Store) ActiveRollout(ctx context.Context, configID string) (*RolloutRow, error) {
	rows, err := s.Rollouts(ctx, configID, []string{tc.RolloutRunning, tc.RolloutPaused}, 1)
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	return &rows[0], nil
}

// AddRolloutMembers stores stage membership.
func (s *Store) AddRolloutMembers(ctx context.Context, rolloutID string, stage int, agentIDs []string) error {
	for i := 0; i < len(agentIDs); i += servedBatch {
		part := agentIDs[i:min(i+servedBatch, len(agentIDs))]
		rows := make([]RolloutMember, len(part))
		for j, a := range part {
			rows[j] = RolloutMember{RolloutID: rolloutID, AgentID: a, Stage: stage}
		}
		if err := s.db.WithContext(ctx).Create(&rows).Error; err != nil {
			return dbErr(err, "rollout member")
		}
	}
	return nil
}

// RolloutMembers returns the members of rollouts by rollout.
func (s *Store) RolloutMembers(ctx context.Context, rolloutIDs []string) (map[string]map[string]int, error) {
	out := map[string]map[string]int{}
	if len(rolloutIDs) == 0 {
		return out, nil
	}
	var rows []RolloutMember
	if err := s.db.WithContext(ctx).Where("rollout_id IN ?", rolloutIDs).Find(&rows).Error; err != nil {
		return nil, err
	}
	for _, r := range rows {
		m := out[r.RolloutID]
		if m == nil {
			m = map[string]int{}
			out[r.RolloutID] = m
		}
		m[r.AgentID] = r.Stage
	}
	return out, nil
}

// AddRolloutEvent appends a transition.
func (s *Store) AddRolloutEvent(ctx context.Context, e *RolloutEventRow) error {
	var n int64
	if err := s.db.WithContext(ctx).Model(&RolloutEventRow{}).Where("rollout_id = ?", e.RolloutID).Count(&n).Error; err != nil {
		return err
	}
	e.Seq = int(n) + 1
	return s.db.WithContext(ctx).Create(e).Error
}

// RolloutEvents returns a rollout's transitions, oldest first.
func (s *Store) RolloutEvents(ctx context.Context, id string) ([]RolloutEventRow, error) {
	var out []RolloutEventRow
	err := s.db.WithContext(ctx).Where("rollout_id = ?", id).Order("seq").Find(&out).Error
	return out, err
}

// MaxVersion returns the highest version number of a config.
func (s *Store) MaxVersion(ctx context.Context, configID string) (int, error) {
	var n *int
	err := s.db.WithContext(ctx).Raw("SELECT MAX(version) FROM config_versions WHERE config_id = ?", configID).Scan(&n).Error
	if n == nil {
		return 0, err
	}
	return *n, err
}

// SetConfigServing makes version of a config current with the given
// Last-Modified (a completed or aborted rollout), bumping the groups
// holding it.
func (s *Store) SetConfigServing(ctx context.Context, id string, version int, toml string, lm int64) error {
	if err := s.UpdateConfig(ctx, id, map[string]any{"version": version, "toml": toml, "last_modified": lm}); err != nil {
		return err
	}
	groups, err := s.GroupsContaining(ctx, []string{id})
	if err != nil {
		return err
	}
	// Not past the rollouts' Last-Modified values (as BumpGroups): a
	// completed rollout's agents on the groups already have lm, or one
	// second past the group's.
	return s.bumpGroups(ctx, groups, lm)
}

// GateCounts are the counts of one rollout stage's gate.
type GateCounts struct {
	Members, Fetched, Healthy, Failed int
}

// RolloutGate counts, in one statement, the agents of a rollout's stage,
// those that fetched version toVersion with a Last-Modified of at least
// lmTo, those of them that failed since (status fail or not_reporting as
// of now) and those that sent k heartbeats since their fetch.
func (s *Store) RolloutGate(ctx context.Context, rolloutID string, stage int, configID string, toVersion int, lmTo int64, k int) (GateCounts, error) {
	nowMs := s.now().UnixMilli()
	fetched := "sv.agent_id IS NOT NULL"
	bad := "(" + statusExpr + ") IN ('" + tc.StatusFail + "', '" + tc.StatusNotReporting + "')"
	q := `SELECT COUNT(*) AS members,
		COALESCE(SUM(CASE WHEN ` + fetched + ` THEN 1 ELSE 0 END), 0) AS fetched,
		COALESCE(SUM(CASE WHEN ` + fetched + ` AND agents.id IS NOT NULL AND ` + bad + ` THEN 1 ELSE 0 END), 0) AS failed,
		COALESCE(SUM(CASE WHEN ` + fetched + ` AND agents.id IS NOT NULL AND NOT ` + bad + ` AND agents.heartbeats - sv.hb_base >= ? THEN 1 ELSE 0 END), 0) AS healthy
		FROM rollout_members m
		LEFT JOIN served_versions sv ON sv.agent_id = m.agent_id AND sv.target_id = ? AND sv.version = ? AND sv.fetched_ms > 0 AND sv.last_modified >= ?
		LEFT JOIN agents ON agents.id = m.agent_id
		LEFT JOIN reporting_rules rr ON rr.id = agents.reporting_rule_id
		WHERE m.rollout_id = ? AND m.stage = ?`
	var out GateCounts
	err := s.db.WithContext(ctx).Raw(q, nowMs, nowMs, k, configID, toVersion, lmTo, rolloutID, stage).Row().Scan(&out.Members, &out.Fetched, &out.Failed, &out.Healthy)
	return out, err
}

// AnalyzeRollouts refreshes the planner's statistics of the tables a gate
// joins (PostgreSQL; SQLite plans these joins by primary key anyway).
// Stage membership arrives in bulk: with statistics that still describe
// empty tables, PostgreSQL would join 100,000 members by nested scans.
func (s *Store) AnalyzeRollouts(ctx context.Context) error {
	if s.dialect != Postgres {
		return nil
	}
	return s.db.WithContext(ctx).Exec("ANALYZE rollout_members, served_versions").Error
}
