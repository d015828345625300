package store

import (
	"context"
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
	ID              string `gorm:"primaryKey"`
	Hostname        string
	IP              string `gorm:"column:ip"`
	Version         string
	VersionNumber   string
	Status          string
	ReportedStatus  string
	LastSeenMs      int64
	CreatedMs       int64
	LastSuccessMs   *int64
	ReportingRuleID string
	Configurations  string
	HasStats        bool
	Errors          int64
	Warnings        int64
	Metrics         int64
	Heartbeats      int64
	Logs            *string
	LogsMs          *int64
	LogsReported    int
}

func (Agent) TableName() string { return "agents" }

func msTime(ms int64) time.Time { return time.UnixMilli(ms).UTC() }

// API returns the wire form; labels are filled by the caller.
func (a *Agent) API() tc.Agent {
	out := tc.Agent{ID: a.ID, Hostname: a.Hostname, IP: a.IP, Version: a.Version, VersionNumber: a.VersionNumber,
		Status: a.Status, ReportedStatus: a.ReportedStatus, LastSeenAt: msTime(a.LastSeenMs), CreatedAt: msTime(a.CreatedMs),
		ReportingRuleID: a.ReportingRuleID, Heartbeats: a.Heartbeats, Labels: []tc.Label{}, Configurations: []tc.AgentConfig{}}
	if a.LastSuccessMs != nil {
		t := msTime(*a.LastSuccessMs)
		out.LastSuccessAt = &t
	}
	_ = json.Unmarshal([]byte(a.Configurations), &out.Configurations)
	if out.Configurations == nil {
		out.Configurations = []tc.AgentConfig{}
	}
	if a.HasStats {
		out.Statistics = &tc.Statistics{Errors: uint64(a.Errors), Warnings: uint64(a.Warnings), Metrics: uint64(a.Metrics)}
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
	AtMs           int64
	HasLast        bool
	LastSuccessMs  *int64 // nil: "no earlier success" (last <= 0)
	Configurations *string
	Stats          *tc.Statistics
	Logs           *string
	LogsReported   int
}

// WriteHeartbeats upserts a batch of heartbeats in one transaction: the
// agents (created on the default rule when new) and their statistics
// history. Rows are applied in agent-ID order (so concurrent writers on
// PostgreSQL lock rows in the same order) and, per agent, in arrival order.
func (s *Store) WriteHeartbeats(ctx context.Context, rows []HeartbeatRow) error {
	sorted := make([]HeartbeatRow, len(rows))
	copy(sorted, rows)
	sort.SliceStable(sorted, func(i, j int) bool { return sorted[i].AgentID < sorted[j].AgentID })
	greatest := "GREATEST"
	if s.dialect == SQLite {
		greatest = "MAX"
	}
	upsert := `INSERT INTO agents (id, hostname, ip, version, version_number, status, reported_status, last_seen_ms, created_ms,
			last_success_ms, reporting_rule_id, configurations, has_stats, errors, warnings, metrics, heartbeats, logs, logs_ms, logs_reported)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, (SELECT id FROM reporting_rules WHERE is_default), ?, ?, ?, ?, ?, 1, ?, ?, ?)
		ON CONFLICT (id) DO UPDATE SET
			hostname = CASE WHEN excluded.hostname <> '' THEN excluded.hostname ELSE agents.hostname END,
			ip = excluded.ip,
			version = excluded.version,
			version_number = excluded.version_number,
			status = excluded.status,
			reported_status = excluded.reported_status,
			last_seen_ms = ` + greatest + `(agents.last_seen_ms, excluded.last_seen_ms),
			last_success_ms = CASE WHEN ? THEN excluded.last_success_ms ELSE agents.last_success_ms END,
			configurations = CASE WHEN ? THEN excluded.configurations ELSE agents.configurations END,
			has_stats = CASE WHEN excluded.has_stats THEN TRUE ELSE agents.has_stats END,
			errors = CASE WHEN excluded.has_stats THEN excluded.errors ELSE agents.errors END,
			warnings = CASE WHEN excluded.has_stats THEN excluded.warnings ELSE agents.warnings END,
			metrics = CASE WHEN excluded.has_stats THEN excluded.metrics ELSE agents.metrics END,
			heartbeats = agents.heartbeats + 1,
			logs = CASE WHEN ? THEN excluded.logs ELSE agents.logs END,
			logs_ms = CASE WHEN ? THEN excluded.logs_ms ELSE agents.logs_ms END,
			logs_reported = CASE WHEN ? THEN excluded.logs_reported ELSE agents.logs_reported END`
	history := `INSERT INTO agent_heartbeats (agent_id, at_ms, errors, warnings, metrics) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`
	return s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		for _, r := range sorted {
			configs := "[]"
			if r.Configurations != nil {
				configs = *r.Configurations
			}
			var e, w, m int64
			if r.Stats != nil {
				e, w, m = int64(r.Stats.Errors), int64(r.Stats.Warnings), int64(r.Stats.Metrics)
			}
			var logsMs *int64
			if r.Logs != nil {
				logsMs = &r.AtMs
			}
			err := db.Exec(upsert, r.AgentID, r.Hostname, r.IP, r.Version, r.VersionNumber, r.Status, r.Status, r.AtMs, r.AtMs,
				r.LastSuccessMs, configs, r.Stats != nil, e, w, m, r.Logs, logsMs, r.LogsReported,
				r.HasLast, r.Configurations != nil, r.Logs != nil, r.Logs != nil, r.Logs != nil).Error
			if err != nil {
				return fmt.Errorf("upsert agent: %w", err)
			}
			if r.Stats != nil {
				if err := db.Exec(history, r.AgentID, r.AtMs, e, w, m).Error; err != nil {
					return fmt.Errorf("record heartbeat statistics: %w", err)
				}
			}
		}
		return nil
	})
}

// AgentFilter narrows ListAgents.
type AgentFilter struct {
	Status        string
	LabelID       string
	Search        string
	ConfigID      string
	ReportingRule string
	Sort          string // id, hostname, status, lastSeenAt, createdAt, version
	Desc          bool
	tc.Page
}

var agentSortColumns = map[string]string{
	"id": "id", "hostname": "hostname", "status": "status", "lastSeenAt": "last_seen_ms",
	"createdAt": "created_ms", "version": "version_number", "ip": "ip",
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

func (s *Store) agentQuery(ctx context.Context, f AgentFilter) *gorm.DB {
	q := s.db.WithContext(ctx).Model(&Agent{})
	if f.Status != "" {
		q = q.Where("status = ?", f.Status)
	}
	if f.LabelID != "" {
		q = q.Where("id IN (SELECT agent_id FROM agent_labels WHERE label_id = ?)", f.LabelID)
	}
	if f.Search != "" {
		like := "%" + escapeLike(strings.ToLower(f.Search)) + "%"
		q = q.Where("(LOWER(id) LIKE ? ESCAPE '\\' OR LOWER(hostname) LIKE ? ESCAPE '\\' OR ip LIKE ? ESCAPE '\\')", like, like, like)
	}
	if f.ConfigID != "" {
		like := "%" + escapeLike(`"configId":"`+f.ConfigID+`"`) + "%"
		glike := "%" + escapeLike(`"groupId":"`+f.ConfigID+`"`) + "%"
		q = q.Where("(configurations LIKE ? ESCAPE '\\' OR configurations LIKE ? ESCAPE '\\')", like, glike)
	}
	if f.ReportingRule != "" {
		q = q.Where("reporting_rule_id = ?", f.ReportingRule)
	}
	return q
}

// ListAgents returns one page of agents and the total matching the filter.
func (s *Store) ListAgents(ctx context.Context, f AgentFilter) ([]Agent, int, error) {
	var total int64
	if err := s.agentQuery(ctx, f).Count(&total).Error; err != nil {
		return nil, 0, err
	}
	col := agentSortColumns[f.Sort]
	if col == "" {
		col = "id"
	}
	dir := "ASC"
	if f.Desc {
		dir = "DESC"
	}
	var out []Agent
	err := s.agentQuery(ctx, f).Order(col + " " + dir + ", id " + dir).Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, int(total), err
}

// AgentByID returns one agent.
func (s *Store) AgentByID(ctx context.Context, id string) (*Agent, error) {
	var a Agent
	err := s.db.WithContext(ctx).Where("id = ?", id).Take(&a).Error
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
	res := s.db.WithContext(ctx).Where("id IN ?", ids).Delete(&Agent{})
	return res.RowsAffected, res.Error
}

// SetAgentsRule assigns a reporting rule to agents.
func (s *Store) SetAgentsRule(ctx context.Context, ids []string, ruleID string) (int64, error) {
	res := s.db.WithContext(ctx).Model(&Agent{}).Where("id IN ?", ids).Update("reporting_rule_id", ruleID)
	return res.RowsAffected, res.Error
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
	n := 0
	for _, a := range agentIDs {
		for _, l := range labelIDs {
			res := s.db.WithContext(ctx).Exec("INSERT INTO agent_labels (agent_id, label_id) VALUES (?, ?) ON CONFLICT DO NOTHING", a, l)
			if res.Error != nil {
				return n, res.Error
			}
			n += int(res.RowsAffected)
		}
	}
	return n, nil
}

// RemoveAgentLabels unlinks every agent from every label.
func (s *Store) RemoveAgentLabels(ctx context.Context, agentIDs, labelIDs []string) (int, error) {
	res := s.db.WithContext(ctx).Exec("DELETE FROM agent_labels WHERE agent_id IN ? AND label_id IN ?", agentIDs, labelIDs)
	return int(res.RowsAffected), res.Error
}

// AgentSummary computes the fleet summary for the agents matching f.
func (s *Store) AgentSummary(ctx context.Context, f AgentFilter, nowMs int64) (tc.AgentSummary, error) {
	out := tc.AgentSummary{Status: map[string]int{}, LastReported: map[string]int{}, Versions: []tc.VersionCount{}}
	for _, st := range tc.AgentStatuses {
		out.Status[st] = 0
	}
	var byStatus []struct {
		Status string
		N      int
	}
	if err := s.agentQuery(ctx, f).Select("status, COUNT(*) AS n").Group("status").Scan(&byStatus).Error; err != nil {
		return out, err
	}
	for _, r := range byStatus {
		out.Status[r.Status] = r.N
		out.Total += r.N
	}
	var byVersion []struct {
		VersionNumber string
		N             int
	}
	if err := s.agentQuery(ctx, f).Select("version_number, COUNT(*) AS n").Group("version_number").Order("n DESC, version_number").Scan(&byVersion).Error; err != nil {
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
		sel += fmt.Sprintf(", COALESCE(SUM(CASE WHEN last_seen_ms >= ? THEN 1 ELSE 0 END), 0) AS %s", b.key)
		args = append(args, nowMs-b.age.Milliseconds())
	}
	var row struct {
		Total                           int
		Lt5m, Lt30m, Lt1h, Lt12h, Lt24h int
	}
	if err := s.agentQuery(ctx, f).Select(sel, args...).Scan(&row).Error; err != nil {
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

// AgentHeartbeats returns an agent's statistics history, oldest first.
func (s *Store) AgentHeartbeats(ctx context.Context, id string, fromMs, toMs int64, limit int) ([]tc.HeartbeatRecord, error) {
	var rows []struct {
		AtMs                      int64
		Errors, Warnings, Metrics int64
	}
	err := s.db.WithContext(ctx).Raw(`SELECT at_ms, errors, warnings, metrics FROM (
			SELECT at_ms, errors, warnings, metrics FROM agent_heartbeats
			WHERE agent_id = ? AND at_ms >= ? AND at_ms <= ? ORDER BY at_ms DESC LIMIT ?) recent ORDER BY at_ms`,
		id, fromMs, toMs, limit).Scan(&rows).Error
	out := make([]tc.HeartbeatRecord, len(rows))
	for i, r := range rows {
		out[i] = tc.HeartbeatRecord{Time: msTime(r.AtMs), Statistics: tc.Statistics{Errors: uint64(r.Errors), Warnings: uint64(r.Warnings), Metrics: uint64(r.Metrics)}}
	}
	return out, err
}

// TickResult counts what one scheduler tick changed.
type TickResult struct {
	NotReporting int64
	Deleted      int64
	Pruned       int64
}

// SchedulerTick marks agents past their rule's threshold not_reporting,
// deletes agents past their rule's auto-delete threshold, and prunes
// statistics older than historyCutoffMs (keeping each agent's newest) — in
// one transaction, with one set-based statement per rule.
func (s *Store) SchedulerTick(ctx context.Context, nowMs, historyCutoffMs int64) (TickResult, error) {
	var res TickResult
	err := s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		var rules []ReportingRule
		if err := db.Find(&rules).Error; err != nil {
			return err
		}
		for _, r := range rules {
			if r.AutoDeleteAfter != nil {
				del := db.Exec("DELETE FROM agents WHERE reporting_rule_id = ? AND last_seen_ms < ?", r.ID, nowMs-*r.AutoDeleteAfter*1000)
				if del.Error != nil {
					return del.Error
				}
				res.Deleted += del.RowsAffected
			}
			upd := db.Exec("UPDATE agents SET status = ? WHERE reporting_rule_id = ? AND last_seen_ms < ? AND status <> ?",
				tc.StatusNotReporting, r.ID, nowMs-r.NotReportingAfter*1000, tc.StatusNotReporting)
			if upd.Error != nil {
				return upd.Error
			}
			res.NotReporting += upd.RowsAffected
		}
		pr := db.Exec(`DELETE FROM agent_heartbeats WHERE at_ms < ?
			AND at_ms < (SELECT MAX(h2.at_ms) FROM agent_heartbeats h2 WHERE h2.agent_id = agent_heartbeats.agent_id)`, historyCutoffMs)
		if pr.Error != nil {
			return pr.Error
		}
		res.Pruned = pr.RowsAffected
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

// AgentStatusCounts counts agents by status.
func (s *Store) AgentStatusCounts(ctx context.Context) (map[string]int, error) {
	var rows []struct {
		Status string
		N      int
	}
	err := s.db.WithContext(ctx).Raw("SELECT status, COUNT(*) AS n FROM agents GROUP BY status").Scan(&rows).Error
	out := make(map[string]int, len(rows))
	for _, r := range rows {
		out[r.Status] = r.N
	}
	return out, err
}
