package tc

import "time"

// Agent statuses.
const (
	StatusOK           = "ok"
	StatusWarn         = "warn"
	StatusFail         = "fail"
	StatusUndefined    = "undefined"
	StatusNotReporting = "not_reporting"
)

// AgentStatuses lists every status in display order.
var AgentStatuses = []string{StatusOK, StatusWarn, StatusFail, StatusUndefined, StatusNotReporting}

// ValidAgentStatus reports whether s is an agent status.
func ValidAgentStatus(s string) bool {
	for _, v := range AgentStatuses {
		if v == s {
			return true
		}
	}
	return false
}

// AgentConfig is one configuration source an agent reported: managed (served
// by this tcd, with the config or group it resolves to) or external.
type AgentConfig struct {
	URL      string `json:"url"`
	ConfigID string `json:"configId,omitempty"`
	GroupID  string `json:"groupId,omitempty"`
	Managed  bool   `json:"managed"`
}

// MaxCounter is the largest count tcd stores (2^53 − 1, the largest integer
// every JSON reader represents exactly): a larger reported counter is stored
// as MaxCounter, and history sums stop there.
const MaxCounter = 1<<53 - 1

// Statistics are the counters of one heartbeat (deltas since the agent's
// previous successful heartbeat), each 0 … MaxCounter.
type Statistics struct {
	Errors   uint64 `json:"errors"`
	Warnings uint64 `json:"warnings"`
	Metrics  uint64 `json:"metrics"`
}

// Agent is a Telegraf agent known from its heartbeats. Wire shape fixed by
// PRODUCT §11.
type Agent struct {
	ID              string        `json:"id"`
	Hostname        string        `json:"hostname"`
	IP              string        `json:"ip"`
	Version         string        `json:"version"`
	VersionNumber   string        `json:"versionNumber"`
	Status          string        `json:"status"`
	ReportedStatus  string        `json:"reportedStatus"`
	LastSeenAt      time.Time     `json:"lastSeenAt"`
	CreatedAt       time.Time     `json:"createdAt"`
	LastSuccessAt   *time.Time    `json:"lastSuccessAt"`
	ReportingRuleID string        `json:"reportingRuleId"`
	Labels          []Label       `json:"labels"`
	Configurations  []AgentConfig `json:"configurations"`
	Statistics      *Statistics   `json:"statistics"`
	Heartbeats      int64         `json:"heartbeats"`
	// Advisories are the unacknowledged security advisories that apply to
	// the agent's version, most severe first.
	Advisories []AgentAdvisory `json:"advisories"`

	// ReportedStatusRaw is the status text of the latest heartbeat as the
	// agent sent it (at most 64 bytes) when it is not one tcd knows (OK,
	// WARN, FAIL, UNDEFINED, in any case); reportedStatus is then undefined.
	ReportedStatusRaw string `json:"reportedStatusRaw"`

	// ConfigState and Served are who-runs-what (GET of one agent only):
	// the derived config state and the versions tcd served it under its
	// identity.
	ConfigState string          `json:"configState,omitempty"`
	Served      []ServedVersion `json:"served,omitempty"`
}

// LogEntry is one log event an agent reported. Time is absent when the
// agent sent none, or one outside the years 1970–9999.
type LogEntry struct {
	Time       time.Time      `json:"time,omitzero"`
	Level      string         `json:"level"`
	Source     string         `json:"source"`
	Attributes map[string]any `json:"attributes,omitempty"`
	Message    string         `json:"message"`
	Truncated  bool           `json:"truncated,omitempty"`
}

// AgentLogs are the logs of an agent's latest heartbeat that carried logs.
type AgentLogs struct {
	AgentID    string     `json:"agentId"`
	ReceivedAt *time.Time `json:"receivedAt"`
	Reported   int        `json:"reported"`
	Stored     int        `json:"stored"`
	Entries    []LogEntry `json:"entries"`
}

// HeartbeatRecord is one bucket of an agent's statistics history: the sums
// of the counters of every heartbeat tcd received from the agent in
// [Start, End). Buckets are one minute long, aligned to the minute; the
// newest is still filling. A record kept from before buckets existed (tcd
// before schema 15) holds one heartbeat, with Start = End = its time.
type HeartbeatRecord struct {
	// Time is Start (kept for older clients).
	Time       time.Time `json:"time"`
	Start      time.Time `json:"start"`
	End        time.Time `json:"end"`
	Heartbeats int64     `json:"heartbeats"`
	Statistics
}

// AgentSummary describes the fleet: totals by status and by version, and
// how long ago agents last reported.
type AgentSummary struct {
	Total        int            `json:"total"`
	Status       map[string]int `json:"status"`
	Versions     []VersionCount `json:"telegrafVersion"`
	LastReported map[string]int `json:"lastReported"`
}

// VersionCount is one slice of the version breakdown ("" = unknown).
type VersionCount struct {
	Version *string `json:"version"`
	Count   int     `json:"count"`
}

// ReportingRule decides when an agent is not reporting and when it is
// deleted. Durations are seconds; AutoDeleteAfter nil = never.
type ReportingRule struct {
	ID                string    `json:"id"`
	Name              string    `json:"name"`
	Description       string    `json:"description"`
	NotReportingAfter int64     `json:"notReportingAfter"`
	AutoDeleteAfter   *int64    `json:"autoDeleteAfter"`
	IsDefault         bool      `json:"isDefault"`
	Agents            int       `json:"agents"`
	CreatedAt         time.Time `json:"createdAt"`
	UpdatedAt         time.Time `json:"updatedAt"`
}

// ReportingRuleRequest creates or changes a rule (PATCH: absent fields stay;
// autoDeleteAfter 0 clears it).
type ReportingRuleRequest struct {
	Name              *string `json:"name,omitempty"`
	Description       *string `json:"description,omitempty"`
	NotReportingAfter *int64  `json:"notReportingAfter,omitempty"`
	AutoDeleteAfter   *int64  `json:"autoDeleteAfter,omitempty"`
	IsDefault         *bool   `json:"isDefault,omitempty"`
}

// Limits of reporting rules.
const (
	RuleNameMax        = 100
	RuleDescriptionMax = 500
	RuleSecondsMax     = 10 * 365 * 24 * 3600
)

// IDsRequest names agents for a bulk operation.
type IDsRequest struct {
	IDs []string `json:"ids"`
}

// AgentRuleRequest assigns a reporting rule (bulk: to IDs).
type AgentRuleRequest struct {
	IDs    []string `json:"ids,omitempty"`
	RuleID string   `json:"ruleId"`
}

// BulkResult reports how many objects a bulk operation changed and which
// of the IDs it was given do not exist (omitted when all do).
type BulkResult struct {
	Changed  int      `json:"changed"`
	NotFound []string `json:"notFound,omitempty"`
}
