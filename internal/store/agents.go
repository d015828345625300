package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"time"

	"gorm.io/gorm"

	"github.com/opentc/tc/pkg/tc"
)

// Agent is a row of agents. Times are unix milliseconds.
type Agent struct {
	ID             string `gorm:"primaryKey"`
	Hostname       string
	IP             string `gorm:"column:ip"`
	Version        string
	VersionNumber  string
	Status         string
	ReportedStatus string
	// ReportedStatusRaw: column reported_status_raw (migration 15).
	ReportedStatusRaw string
	LastSeenMs        int64
	CreatedMs         int64
	LastSuccessMs     *int64
	ReportingRuleID   string
	Configurations    string
	HasStats          bool
	Errors            int64
	Warnings          int64
	Metrics           int64
	Heartbeats        int64
	Logs              *string
	LogsMs            *int64
	LogsReported      int
}

func (Agent) TableName() string { return "agents" }

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// Bounds of the times tcd stores (unix milliseconds of 1970-01-01 and of
// the last millisecond of 9999): every reader can render them.
const (
	minTimeMs = 0
	maxTimeMs = 253402300799999
)

// boundedTime is msTime for a time that may come from an agent (stored
// before migration 15 bounded them): nil outside [minTimeMs, maxTimeMs].
func boundedTime(ms int64) *time.Time {
	if ms < minTimeMs || ms > maxTimeMs {
		return nil
	}
	t := msTime(ms)
	return &t
}

// statCounter is a reported counter as stored: at most tc.MaxCounter.
func statCounter(v uint64) int64 {
	if v > tc.MaxCounter {
		return tc.MaxCounter
	}
	return int64(v)
}

// API returns the wire form; labels are filled by the caller.
func (a *Agent) API() tc.Agent {
	out := tc.Agent{ID: a.ID, Hostname: a.Hostname, IP: a.IP, Version: a.Version, VersionNumber: a.VersionNumber,
		Status: a.Status, ReportedStatus: a.ReportedStatus, ReportedStatusRaw: a.ReportedStatusRaw, LastSeenAt: msTime(a.LastSeenMs),
		CreatedAt: msTime(a.CreatedMs), ReportingRuleID: a.ReportingRuleID, Heartbeats: a.Heartbeats, Labels: []tc.Label{},
		Configurations: []tc.AgentConfig{}, Advisories: []tc.AgentAdvisory{}}
	if a.LastSuccessMs != nil {
		out.LastSuccessAt = boundedTime(*a.LastSuccessMs)
	}
	_ = json.Unmarshal([]byte(a.Configurations), &out.Configurations)
	if out.Configurations == nil {
		out.Configurations = []tc.AgentConfig{}
	}
	if a.HasStats {
		out.Statistics = &tc.Statistics{Errors: counter(a.Errors), Warnings: counter(a.Warnings), Metrics: counter(a.Metrics)}
	}
	return out
}

// HeartbeatRow is one heartbeat ready to be written. Optional parts are
// nil when the agent did not include them.
type HeartbeatRow struct {
	AgentID        string
	Hostname       string
	IP             string
	Version        string
	VersionNumber  string
	Status         string
	StatusRaw      string // the status as sent, when not one tcd knows
	AtMs           int64
	HasLast        bool
	LastSuccessMs  *int64 // nil: "no earlier success" (last <= 0)
	Configurations *string
	Stats          *tc.Statistics
	Logs           *string
	LogsReported   int
}

// HistoryResolution is the length of one record of an agent's statistics
// history (history.go): the heartbeats of each minute are summed into one
// record. It bounds the 24 h history at agents × 24 h / HistoryResolution
// records however often agents report, and loses no count.
const HistoryResolution = time.Minute

// WriteHeartbeats writes a batch of heartbeats in one transaction and
// returns once it is durable: CommitHeartbeats, then its wait.
func (s *Store) WriteHeartbeats(ctx context.Context, rows []HeartbeatRow) error {
	durable, err := s.CommitHeartbeats(ctx, rows)
	if err != nil || durable == nil {
		return err
	}
	return durable()
}

// CommitHeartbeats writes a batch of heartbeats in one transaction: the
// agents (created on the default rule when new) and their statistics
// history. It returns once the transaction is committed, with a function
// that waits until it is also durable (nil when it already is): on SQLite
// the WAL is flushed off the writer's path (walsync.go), so the caller can
// commit its next batch meanwhile. Until durable returns nil, none of the
// batch may be acknowledged.
//
// It is the hot path of tcd, so it speaks database/sql directly instead
// of two gorm statements per heartbeat: prepared statements per row on
// SQLite, three array statements per batch on PostgreSQL. Rows are applied
// in agent-ID order (so concurrent writers on PostgreSQL lock rows in the
// same order) and, per agent, in arrival order.
func (s *Store) CommitHeartbeats(ctx context.Context, rows []HeartbeatRow) (durable func() error, err error) {
	if len(rows) == 0 {
		return nil, nil
	}
	sorted := make([]HeartbeatRow, len(rows))
	copy(sorted, rows)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].AgentID < sorted[j].AgentID })
	sqlDB, err := s.db.DB()
	if err != nil {
		return nil, err
	}
	if s.dialect == SQLite {
		// In-process SQLite has no round trips to save: one prepared
		// statement executed per row is cheapest.
		return s.writeHeartbeatsSQLite(ctx, sqlDB, sorted)
	}
	tx, err := sqlDB.BeginTx(ctx, nil)
	if err != nil {
		return nil, fmt.Errorf("begin heartbeat transaction: %w", err)
	}
	defer func() { _ = tx.Rollback() }()
	var rec historyRecords
	for _, round := range rounds(sorted) {
		if err := s.writeHeartbeatsPostgres(ctx, tx, round, &rec); err != nil {
			return nil, err
		}
	}
	if err := tx.Commit(); err != nil {
		return nil, fmt.Errorf("commit heartbeats: %w", err)
	}
	s.hist.recorded(rec.keys, rec.slots)
	return nil, nil
}

// rounds cuts rows sorted by agent into rounds in which each agent appears
// once (a multi-row UPDATE may change a row only once), keeping each
// agent's heartbeats in arrival order.
func rounds(sorted []HeartbeatRow) [][]HeartbeatRow {
	var out [][]HeartbeatRow
	for i := 0; i < len(sorted); {
		seq := 0
		for j := i; j < len(sorted) && sorted[j].AgentID == sorted[i].AgentID; j++ {
			if seq == len(out) {
				out = append(out, nil)
			}
			out[seq] = append(out[seq], sorted[j])
			seq++
		}
		i += seq
	}
	return out
}

// Statements of the PostgreSQL heartbeat path. Each takes one array per
// column, so its text never changes and pgx prepares it once per
// connection; a batch is three round trips whatever its size (two when no
// statistics record is due).
var (
	pgCreateAgents = `INSERT INTO agents (id, last_seen_ms, created_ms, status, reported_status, reporting_rule_id)
		SELECT v.id, v.at, v.at, '', '', r.id FROM unnest($1::text[], $2::bigint[]) AS v(id, at), reporting_rules r
		WHERE r.is_default ON CONFLICT (id) DO NOTHING`
	// pgUpdateAgents adds statistics to the open record as sqliteUpdate
	// does; $21 says pgCloseRecords just closed it.
	pgUpdateAgents = `UPDATE agents SET
			hostname = CASE WHEN v.hostname <> '' THEN v.hostname ELSE agents.hostname END,
			ip = v.ip,
			version = v.version,
			version_number = v.version_number,
			status = v.status,
			reported_status = v.status,
			reported_status_raw = v.status_raw,
			last_seen_ms = GREATEST(agents.last_seen_ms, v.at),
			last_success_ms = CASE WHEN v.has_last THEN v.last_success ELSE agents.last_success_ms END,
			configurations = CASE WHEN v.has_configs THEN v.configs ELSE agents.configurations END,
			has_stats = CASE WHEN v.has_stats THEN TRUE ELSE agents.has_stats END,
			errors = CASE WHEN v.has_stats THEN v.errors ELSE agents.errors END,
			warnings = CASE WHEN v.has_stats THEN v.warnings ELSE agents.warnings END,
			metrics = CASE WHEN v.has_stats THEN v.metrics ELSE agents.metrics END,
			heartbeats = agents.heartbeats + 1,
			logs = CASE WHEN v.has_logs THEN v.logs ELSE agents.logs END,
			logs_ms = CASE WHEN v.has_logs THEN v.at ELSE agents.logs_ms END,
			logs_reported = CASE WHEN v.has_logs THEN v.logs_reported ELSE agents.logs_reported END,
			hist_slot_ms = CASE WHEN NOT v.has_stats THEN agents.hist_slot_ms WHEN v.closed OR agents.hist_n = 0 THEN v.slot
				ELSE agents.hist_slot_ms END,
			hist_n = CASE WHEN NOT v.has_stats THEN agents.hist_n WHEN v.closed OR agents.hist_n = 0 THEN 1 ELSE agents.hist_n + 1 END,
			hist_errors = CASE WHEN NOT v.has_stats THEN agents.hist_errors WHEN v.closed OR agents.hist_n = 0 THEN v.errors
				ELSE LEAST(agents.hist_errors + v.errors, ` + maxCounterSQL + `) END,
			hist_warnings = CASE WHEN NOT v.has_stats THEN agents.hist_warnings WHEN v.closed OR agents.hist_n = 0 THEN v.warnings
				ELSE LEAST(agents.hist_warnings + v.warnings, ` + maxCounterSQL + `) END,
			hist_metrics = CASE WHEN NOT v.has_stats THEN agents.hist_metrics WHEN v.closed OR agents.hist_n = 0 THEN v.metrics
				ELSE LEAST(agents.hist_metrics + v.metrics, ` + maxCounterSQL + `) END
		FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::bigint[], $8::boolean[],
			$9::bigint[], $10::boolean[], $11::text[], $12::boolean[], $13::bigint[], $14::bigint[], $15::bigint[],
			$16::boolean[], $17::text[], $18::integer[], $19::text[], $20::bigint[], $21::boolean[])
			AS v(id, hostname, ip, version, version_number, status, at, has_last, last_success, has_configs, configs,
			has_stats, errors, warnings, metrics, has_logs, logs, logs_reported, status_raw, slot, closed)
		WHERE agents.id = v.id`
	// pgCloseRecords appends open records of minutes before the
	// heartbeats' to their bucket rows, as sqliteCloseRecord, and returns
	// the agents whose record it closed. The agents rows are locked (in ID
	// order) first, so that a heartbeat of the same agent on another node
	// waits and then finds the record already closed.
	pgCloseRecords = `WITH a AS (
			SELECT a.id, a.hist_slot_ms, a.hist_n, a.hist_errors, a.hist_warnings, a.hist_metrics, v.off
			FROM unnest($1::text[], $2::bigint[], $3::bigint[]) AS v(id, slot, off) JOIN agents a ON a.id = v.id
			WHERE a.hist_n > 0 AND a.hist_slot_ms < v.slot ORDER BY a.id FOR UPDATE OF a)
		INSERT INTO agent_history (agent_id, bucket_ms, last_ms, records, samples)
		SELECT a.id, a.hist_slot_ms - ` + strings.ReplaceAll(historyIntoBucket, "v.off", "a.off") + `, a.hist_slot_ms, 1, ` +
		strings.ReplaceAll(historySampleSQL, "v.off", "a.off") + ` FROM a
		ON CONFLICT (agent_id, bucket_ms) DO UPDATE SET last_ms = GREATEST(agent_history.last_ms, excluded.last_ms),
			records = agent_history.records + 1, samples = agent_history.samples || excluded.samples
		RETURNING agent_id`
)

// historyRecords are the minutes of the open statistics records a
// transaction left, for the history cache once it commits.
type historyRecords struct {
	keys  []uint64
	slots []int64
}

// writeHeartbeatsPostgres applies rows of distinct agents: create the new
// ones, close the open statistics records of earlier minutes, update all.
func (s *Store) writeHeartbeatsPostgres(ctx context.Context, tx *sql.Tx, rows []HeartbeatRow, rec *historyRecords) error {
	n := len(rows)
	var (
		ids, hosts, ips, versions, numbers, statuses, configs = make([]string, n), make([]string, n), make([]string, n),
			make([]string, n), make([]string, n), make([]string, n), make([]string, n)
		raws                                   = make([]string, n)
		at, errs, warns, metrics, slots        = make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n), make([]int64, n)
		lastSuccess                            = make([]*int64, n)
		logs                                   = make([]*string, n)
		hasLast, hasConfigs, hasStats, hasLogs = make([]bool, n), make([]bool, n), make([]bool, n), make([]bool, n)
		closed                                 = make([]bool, n)
		logsReported                           = make([]int32, n)
		cIDs                                   []string
		cSlots, cOffs                          []int64
	)
	for i := range rows {
		r := &rows[i]
		ids[i], hosts[i], ips[i], versions[i], numbers[i], statuses[i] = r.AgentID, r.Hostname, r.IP, r.Version, r.VersionNumber, r.Status
		raws[i], at[i], hasLast[i], lastSuccess[i] = r.StatusRaw, r.AtMs, r.HasLast, r.LastSuccessMs
		slots[i] = historySlot(r.AtMs)
		configs[i] = "[]"
		if r.Configurations != nil {
			hasConfigs[i], configs[i] = true, *r.Configurations
		}
		if r.Stats != nil {
			hasStats[i] = true
			errs[i], warns[i], metrics[i] = statCounter(r.Stats.Errors), statCounter(r.Stats.Warnings), statCounter(r.Stats.Metrics)
			if key := s.hist.key(r.AgentID); !s.hist.open(key, slots[i]) {
				cIDs, cSlots, cOffs = append(cIDs, r.AgentID), append(cSlots, slots[i]), append(cOffs, historyOffset(r.AgentID))
				rec.keys, rec.slots = append(rec.keys, key), append(rec.slots, slots[i])
			}
		}
		hasLogs[i], logs[i], logsReported[i] = r.Logs != nil, r.Logs, int32(r.LogsReported)
	}
	if _, err := tx.ExecContext(ctx, pgCreateAgents, ids, at); err != nil {
		return fmt.Errorf("create agents: %w", err)
	}
	if len(cIDs) > 0 {
		recs, err := tx.QueryContext(ctx, pgCloseRecords, cIDs, cSlots, cOffs)
		if err != nil {
			return fmt.Errorf("record heartbeat statistics: %w", err)
		}
		done := make(map[string]bool)
		for recs.Next() {
			var id string
			if err := recs.Scan(&id); err != nil {
				recs.Close()
				return fmt.Errorf("record heartbeat statistics: %w", err)
			}
			done[id] = true
		}
		recs.Close()
		if err := recs.Err(); err != nil {
			return fmt.Errorf("record heartbeat statistics: %w", err)
		}
		for i := range rows {
			closed[i] = done[rows[i].AgentID]
		}
	}
	res, err := tx.ExecContext(ctx, pgUpdateAgents, ids, hosts, ips, versions, numbers, statuses, at, hasLast, lastSuccess,
		hasConfigs, configs, hasStats, errs, warns, metrics, hasLogs, logs, logsReported, raws, slots, closed)
	if err != nil {
		return fmt.Errorf("update agents: %w", err)
	}
	if got, err := res.RowsAffected(); err == nil && got != int64(n) {
		// Only possible without a default reporting rule: never acknowledge
		// a heartbeat that was not stored.
		return fmt.Errorf("update agents: %d of %d heartbeats applied (is there a default reporting rule?)", got, n)
	}
	return nil
}

// AgentFilter narrows ListAgents.
type AgentFilter struct {
	Status  string
	LabelID string
	// Statuses: any of them; LabelIDs: every one of them (with Status and
	// LabelID, which predate them).
	Statuses      []string
	LabelIDs      []string
	Search        string
	ConfigID      string
	ReportingRule string
	// ConfigState (who runs what) is resolved by the agents service into
	// StateIDs (the agents in that state) or NotServed (unmanaged).
	ConfigState string
	StateIDs    []string
	NotServed   bool
	Sort        string // id, hostname, status, lastSeenAt, createdAt, version
	Desc        bool
	ExposureFilter
	tc.Page
}

var agentSortColumns = map[string]string{
	"id": "agents.id", "hostname": "agents.hostname", "status": "status", "lastSeenAt": "agents.last_seen_ms",
	"createdAt": "agents.created_ms", "version": "agents.version_number", "ip": "agents.ip",
}

// AgentSortKeys lists the accepted sort keys.
func AgentSortKeys() []string {
	out := make([]string, 0, len(agentSortColumns))
	for k := range agentSortColumns {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// statusExpr is an agent's status as tcd shows it at nowMs (its one
// argument): not_reporting once its last heartbeat is older than its
// reporting rule's threshold, else the status it reported. It is computed
// when read, so it is exact at any moment and no write is needed when a
// whole fleet falls silent; queries using it join reporting_rules as rr.
const statusExpr = `CASE WHEN agents.last_seen_ms < ? - rr.not_reporting_after * 1000 THEN '` + tc.StatusNotReporting + `' ELSE agents.reported_status END`

// agentColumns selects an Agent with its derived status.
const agentColumns = `agents.id, agents.hostname, agents.ip, agents.version, agents.version_number, ` + statusExpr + ` AS status,
	agents.reported_status, agents.reported_status_raw, agents.last_seen_ms, agents.created_ms, agents.last_success_ms, agents.reporting_rule_id,
	agents.configurations, agents.has_stats, agents.errors, agents.warnings, agents.metrics, agents.heartbeats,
	agents.logs, agents.logs_ms, agents.logs_reported`

func (s *Store) agentsJoined(ctx context.Context) *gorm.DB {
	return s.db.WithContext(ctx).Table("agents").Joins("JOIN reporting_rules rr ON rr.id = agents.reporting_rule_id")
}

func (s *Store) agentQuery(ctx context.Context, f AgentFilter, nowMs int64) *gorm.DB {
	q := s.agentsJoined(ctx)
	if f.Status != "" {
		q = q.Where("("+statusExpr+") = ?", nowMs, f.Status)
	}
	if len(f.Statuses) > 0 {
		q = q.Where("("+statusExpr+") IN ?", nowMs, f.Statuses)
	}
	if f.LabelID != "" {
		q = q.Where("agents.id IN (SELECT agent_id FROM agent_labels WHERE label_id = ?)", f.LabelID)
	}
	for _, l := range f.LabelIDs {
		q = q.Where("agents.id IN (SELECT agent_id FROM agent_labels WHERE label_id = ?)", l)
	}
	if f.Search != "" {
		like := "%" + escapeLike(strings.ToLower(f.Search)) + "%"
		q = q.Where("(LOWER(agents.id) LIKE ? ESCAPE '\\' OR LOWER(agents.hostname) LIKE ? ESCAPE '\\' OR agents.ip LIKE ? ESCAPE '\\')", like, like, like)
	}
	if f.ConfigID != "" {
		like := "%" + escapeLike(`"configId":"`+f.ConfigID+`"`) + "%"
		glike := "%" + escapeLike(`"groupId":"`+f.ConfigID+`"`) + "%"
		q = q.Where("(agents.configurations LIKE ? ESCAPE '\\' OR agents.configurations LIKE ? ESCAPE '\\')", like, glike)
	}
	if f.ReportingRule != "" {
		q = q.Where("agents.reporting_rule_id = ?", f.ReportingRule)
	}
	if f.VersionsSet {
		q = q.Where(s.versionSetClause(f.ExcludeVersions), versionSetParam(f.Versions))
	}
	if f.ConfigState != "" {
		if f.NotServed {
			q = q.Where("agents.id NOT IN (SELECT agent_id FROM served_versions)")
		} else {
			q = q.Where(s.idSetClause("agents.id", false), idSetParam(f.StateIDs))
		}
	}
	return q
}

// ListAgents returns one page of agents and the total matching the filter,
// with statuses as of now.
func (s *Store) ListAgents(ctx context.Context, f AgentFilter) ([]Agent, int, error) {
	nowMs := s.now().UnixMilli()
	var total int64
	if err := s.agentQuery(ctx, f, nowMs).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	col := agentSortColumns[f.Sort]
	if col == "" {
		col = "agents.id"
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	var out []Agent
	err := s.agentQuery(ctx, f, nowMs).Select(agentColumns, nowMs).Order(col + " " + dir + ", agents.id " + dir).
		Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, int(total), err
}

// AgentByID returns one agent with its status as of now.
func (s *Store) AgentByID(ctx context.Context, id string) (*Agent, error) {
	var a Agent
	err := s.agentsJoined(ctx).Select(agentColumns, s.now().UnixMilli()).Where("agents.id = ?", id).Take(&a).Error
	if err == gorm.ErrRecordNotFound {
		return nil, tc.Errorf(tc.ENotFound, "agent %q not found", id)
	}
	return &a, err
}

// AgentLabels returns the labels of the given agents.
func (s *Store) AgentLabels(ctx context.Context, ids []string) (map[string][]tc.Label, error) {
	out := map[string][]tc.Label{}
	if len(ids) == 0 {
		return out, nil
	}
	var rows []struct {
		AgentID     string
		ID          string
		Name        string
		Description string
		Color       string
	}
	err := s.db.WithContext(ctx).Raw(`SELECT al.agent_id, l.id, l.name, l.description, l.color
		FROM agent_labels al JOIN labels l ON l.id = al.label_id WHERE al.agent_id IN ? ORDER BY l.name`, ids).Scan(&rows).Error
	for _, r := range rows {
		out[r.AgentID] = append(out[r.AgentID], tc.Label{ID: r.ID, Name: r.Name, Description: r.Description, Color: r.Color})
	}
	return out, err
}

// DeleteAgents deletes agents by ID and returns how many existed.
func (s *Store) DeleteAgents(ctx context.Context, ids []string) (int64, error) {
	s.hist.forget(ids)
	res := s.db.WithContext(ctx).Where("id IN ?", ids).Delete(&Agent{})
	return res.RowsAffected, res.Error
}

// SetAgentsRule assigns a reporting rule to agents.
func (s *Store) SetAgentsRule(ctx context.Context, ids []string, ruleID string) (int64, error) {
	var n int64
	err := s.fleetChange(ctx, func(db *gorm.DB) error {
		res := db.Model(&Agent{}).Where("id IN ?", ids).Update("reporting_rule_id", ruleID)
		n = res.RowsAffected
		return res.Error
	})
	return n, err
}

// ExistingAgentIDs returns which of ids exist.
func (s *Store) ExistingAgentIDs(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Model(&Agent{}).Where("id IN ?", ids).Pluck("id", &out).Error
	return out, err
}

// LabelsExist returns which of the label IDs exist.
func (s *Store) LabelsExist(ctx context.Context, ids []string) ([]string, error) {
	var out []string
	err := s.db.WithContext(ctx).Table("labels").Where("id IN ?", ids).Pluck("id", &out).Error
	return out, err
}

// AssignAgentLabels links every agent to every label (existing links stay).
func (s *Store) AssignAgentLabels(ctx context.Context, agentIDs, labelIDs []string) (int, error) {
	if len(agentIDs) == 0 || len(labelIDs) == 0 {
		return 0, nil
	}
	// One statement for the whole batch (a row at a time cost a commit
	// each: 1,000 agents took over a second on SQLite).
	var n int64
	err := s.fleetChange(ctx, func(db *gorm.DB) error {
		res := db.Exec(`INSERT INTO agent_labels (agent_id, label_id)
			SELECT a.id, l.id FROM agents a, labels l WHERE a.id IN ? AND l.id IN ?
			ON CONFLICT DO NOTHING`, agentIDs, labelIDs)
		n = res.RowsAffected
		return res.Error
	})
	return int(n), err
}

// RemoveAgentLabels unlinks every agent from every label.
func (s *Store) RemoveAgentLabels(ctx context.Context, agentIDs, labelIDs []string) (int, error) {
	var n int64
	err := s.fleetChange(ctx, func(db *gorm.DB) error {
		res := db.Exec("DELETE FROM agent_labels WHERE agent_id IN ? AND label_id IN ?", agentIDs, labelIDs)
		n = res.RowsAffected
		return res.Error
	})
	return int(n), err
}

// fleetChange runs fn, which changes which agents carry which labels or
// reporting rules, and counts the change in fleet_changes in the same
// transaction (SilentFleet reads it).
func (s *Store) fleetChange(ctx context.Context, fn func(db *gorm.DB) error) error {
	return s.db.WithContext(ctx).Transaction(func(tx *gorm.DB) error {
		if err := fn(tx); err != nil {
			return err
		}
		return tx.Exec("UPDATE fleet_changes SET version = version + 1 WHERE id = 1").Error
	})
}

// AgentSummary computes the fleet summary for the agents matching f.
func (s *Store) AgentSummary(ctx context.Context, f AgentFilter, nowMs int64) (tc.AgentSummary, error) {
	out := tc.AgentSummary{Status: map[string]int{}, LastReported: map[string]int{}, Versions: []tc.VersionCount{}}
	for _, st := range tc.AgentStatuses {
		out.Status[st] = 0
	}
	var byStatus []struct {
		EffStatus string
		N         int
	}
	if err := s.agentQuery(ctx, f, nowMs).Select(statusExpr+" AS eff_status, COUNT(*) AS n", nowMs).Group("eff_status").Scan(&byStatus).Error; err != nil {
		return out, err
	}
	for _, r := range byStatus {
		out.Status[r.EffStatus] = r.N
		out.Total += r.N
	}
	var byVersion []struct {
		VersionNumber string
		N             int
	}
	if err := s.agentQuery(ctx, f, nowMs).Select("agents.version_number, COUNT(*) AS n").Group("agents.version_number").Order("n DESC, agents.version_number").Scan(&byVersion).Error; err != nil {
		return out, err
	}
	for _, r := range byVersion {
		vc := tc.VersionCount{Count: r.N}
		if r.VersionNumber != "" {
			v := r.VersionNumber
			vc.Version = &v
		}
		out.Versions = append(out.Versions, vc)
	}
	buckets := []struct {
		key string
		age time.Duration
	}{{"lt5m", 5 * time.Minute}, {"lt30m", 30 * time.Minute}, {"lt1h", time.Hour}, {"lt12h", 12 * time.Hour}, {"lt24h", 24 * time.Hour}}
	sel := "COUNT(*) AS total"
	args := []any{}
	for _, b := range buckets {
		sel += fmt.Sprintf(", COALESCE(SUM(CASE WHEN agents.last_seen_ms >= ? THEN 1 ELSE 0 END), 0) AS %s", b.key)
		args = append(args, nowMs-b.age.Milliseconds())
	}
	var row struct {
		Total                           int
		Lt5m, Lt30m, Lt1h, Lt12h, Lt24h int
	}
	if err := s.agentQuery(ctx, f, nowMs).Select(sel, args...).Scan(&row).Error; err != nil {
		return out, err
	}
	// Cumulative counts → disjoint buckets.
	out.LastReported["lt5m"] = row.Lt5m
	out.LastReported["lt30m"] = row.Lt30m - row.Lt5m
	out.LastReported["lt1h"] = row.Lt1h - row.Lt30m
	out.LastReported["lt12h"] = row.Lt12h - row.Lt1h
	out.LastReported["lt24h"] = row.Lt24h - row.Lt12h
	out.LastReported["older"] = row.Total - row.Lt24h
	return out, nil
}

// AgentHeartbeats returns an agent's statistics history, oldest first:
// its records overlapping [fromMs, toMs] that did not start before
// keepAfterMs (the retention), and its newest record however old, at most
// limit (the newest ones). An agent has at most a day's bucket rows (about
// 25) and its open record, so all are read.
func (s *Store) AgentHeartbeats(ctx context.Context, id string, fromMs, toMs, keepAfterMs int64, limit int) ([]tc.HeartbeatRecord, error) {
	var rows []struct {
		BucketMs int64
		Samples  string
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT bucket_ms, samples FROM agent_history WHERE agent_id = ?`, id).Scan(&rows).Error; err != nil {
		return nil, err
	}
	var open []struct {
		HistSlotMs                            int64
		HistN                                 int64
		HistErrors, HistWarnings, HistMetrics int64
	}
	if err := s.db.WithContext(ctx).Raw(`SELECT hist_slot_ms, hist_n, hist_errors, hist_warnings, hist_metrics FROM agents WHERE id = ?`, id).
		Scan(&open).Error; err != nil {
		return nil, err
	}
	var all []historySample
	for _, r := range rows {
		var err error
		if all, err = parseHistorySamples(r.BucketMs, r.Samples, all); err != nil {
			return nil, err
		}
	}
	if len(open) == 1 && open[0].HistN > 0 {
		o := open[0]
		all = append(all, historySample{startMs: o.HistSlotMs, endMs: o.HistSlotMs + HistoryResolution.Milliseconds(),
			heartbeats: o.HistN, errors: o.HistErrors, warnings: o.HistWarnings, metrics: o.HistMetrics})
	}
	return selectHistory(all, fromMs, toMs, keepAfterMs, limit), nil
}

// TickResult counts what one scheduler tick changed.
type TickResult struct {
	// NotReporting counts agents whose silence crossed their rule's
	// threshold since the previous tick (their status turned
	// not_reporting then; it is derived when read, see statusExpr).
	NotReporting int64
	Deleted      int64
	// Pruned counts the statistics records deleted with their expired
	// history buckets.
	Pruned int64
	// Skipped: another node's tick held the scheduler lock.
	Skipped bool
	// Silent is the silent fleet the tick was asked for
	// (SchedulerTickSilent), against sinceMs; SilentVersion is
	// fleet_changes read just before it (see SilentFleet).
	Silent        []SilentRow
	SilentVersion int64
}

// schedulerLockKey makes ticks exclusive across a cluster, whatever the
// leader election believes during a failover.
const schedulerLockKey = 7_451_220_011

// SchedulerTick deletes agents past their rule's auto-delete threshold,
// prunes the history buckets that hold only statistics older than
// historyCutoffMs (keeping each agent's newest bucket; reads hide the
// expired records that younger buckets still hold) and counts the agents that turned not_reporting after sinceMs —
// in one transaction of set-based statements. Marking needs no write:
// not_reporting is derived from last_seen_ms whenever an agent is read, so
// a tick costs the same whether one agent or the whole fleet fell silent.
func (s *Store) SchedulerTick(ctx context.Context, sinceMs, nowMs, historyCutoffMs int64) (TickResult, error) {
	return s.SchedulerTickSilent(ctx, sinceMs, nowMs, historyCutoffMs, nil)
}

// SchedulerTickSilent is SchedulerTick that also aggregates the silent
// fleet as spec asks (nil: not) from the scan that counts the agents that
// turned not_reporting, into res.Silent (notification rules read it).
func (s *Store) SchedulerTickSilent(ctx context.Context, sinceMs, nowMs, historyCutoffMs int64, spec *SilentSpec) (TickResult, error) {
	var res TickResult
	err := s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if tx.dialect == Postgres {
			var got bool
			if err := db.Raw("SELECT pg_try_advisory_xact_lock("+AdvisoryKeySQL+")", schedulerLockKey).Scan(&got).Error; err != nil {
				return err
			}
			if !got {
				res.Skipped = true
				return nil
			}
		}
		var rules []ReportingRule
		if err := db.Where("auto_delete_after IS NOT NULL").Find(&rules).Error; err != nil {
			return err
		}
		for _, r := range rules {
			del := db.Exec("DELETE FROM agents WHERE reporting_rule_id = ? AND last_seen_ms < ?", r.ID, nowMs-*r.AutoDeleteAfter*1000)
			if del.Error != nil {
				return del.Error
			}
			res.Deleted += del.RowsAffected
		}
		if spec != nil && sinceMs < nowMs {
			var err error
			if res.NotReporting, res.Silent, res.SilentVersion, err = tx.tickSilent(ctx, spec, sinceMs, nowMs); err != nil {
				return err
			}
		} else if sinceMs < nowMs {
			if err := db.Raw(`SELECT COUNT(*) FROM agents JOIN reporting_rules rr ON rr.id = agents.reporting_rule_id
				WHERE agents.last_seen_ms < ? - rr.not_reporting_after * 1000 AND agents.last_seen_ms >= ? - rr.not_reporting_after * 1000`,
				nowMs, sinceMs).Scan(&res.NotReporting).Error; err != nil {
				return err
			}
		}
		// Buckets that started before the cutoff minus a bucket hold
		// only expired records. An agent's newest record is always kept:
		// it is the open record in its agents row, or — for an agent that
		// has sent no statistics since migration 15 — in its newest
		// bucket, which then stays. RETURNING counts records.
		// (EXISTS first: it holds for nearly every agent, one probe.)
		rows, err := db.Raw(`DELETE FROM agent_history WHERE bucket_ms < ?
			AND (EXISTS (SELECT 1 FROM agents a WHERE a.id = agent_history.agent_id AND a.hist_n > 0)
				OR bucket_ms < (SELECT MAX(h2.bucket_ms) FROM agent_history h2 WHERE h2.agent_id = agent_history.agent_id))
			RETURNING records`, historyCutoffMs-historyBucketMs).Rows()
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var n int64
			if err := rows.Scan(&n); err != nil {
				return err
			}
			res.Pruned += n
		}
		if err := rows.Err(); err != nil {
			return err
		}
		return nil
	})
	return res, err
}

// ActiveAgentsUsing counts agents within their rule's not-reporting
// threshold whose managed configurations include configID.
func (s *Store) ActiveAgentsUsing(ctx context.Context, configID string, nowMs int64) (int, error) {
	like := "%" + escapeLike(`"configId":"`+configID+`"`) + "%"
	var n int64
	err := s.db.WithContext(ctx).Raw(`SELECT COUNT(*) FROM agents a JOIN reporting_rules r ON r.id = a.reporting_rule_id
		WHERE a.configurations LIKE ? ESCAPE '\' AND a.last_seen_ms >= ? - r.not_reporting_after * 1000`, like, nowMs).Scan(&n).Error
	return int(n), err
}

// LabelRef resolves a label ID or name to its ID.
func (s *Store) LabelRef(ctx context.Context, ref string) (string, error) {
	var ids []string
	err := s.db.WithContext(ctx).Table("labels").Where("id = ? OR name = ?", ref, ref).Limit(2).Pluck("id", &ids).Error
	if err != nil {
		return "", err
	}
	for _, id := range ids {
		if id == ref {
			return id, nil
		}
	}
	if len(ids) == 0 {
		return "", tc.Errorf(tc.ENotFound, "label %q not found", ref)
	}
	return ids[0], nil
}

// AgentStatusCounts counts agents by status as of now.
func (s *Store) AgentStatusCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		EffStatus string
		N         int
	}
	err := s.agentsJoined(ctx).Select(statusExpr+" AS eff_status, COUNT(*) AS n", s.now().UnixMilli()).Group("eff_status").Scan(&rows).Error
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.EffStatus] = r.N
	}
	return out, err
}
