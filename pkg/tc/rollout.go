package tc

import "time"

// Derived config states of an agent (who runs what).
const (
	// ConfigStateCurrent: the agent fetched the version it should run (or
	// a newer one exists for less than three watch intervals).
	ConfigStateCurrent = "current"
	// ConfigStateStale: a newer version exists for it and it has not
	// fetched it within three watch intervals.
	ConfigStateStale = "stale"
	// ConfigStateFetchedNotRunning: it fetched a config but its heartbeats
	// stopped, report fail, or never came.
	ConfigStateFetchedNotRunning = "fetched-not-running"
	// ConfigStateUnmanaged: tcd never served it a config under its
	// identity (it fetches without ?agent_id=, or from elsewhere).
	ConfigStateUnmanaged = "unmanaged"
)

// ConfigStates lists the derived config states.
var ConfigStates = []string{ConfigStateCurrent, ConfigStateStale, ConfigStateFetchedNotRunning, ConfigStateUnmanaged}

// ValidConfigState reports whether s is a derived config state.
func ValidConfigState(s string) bool {
	for _, v := range ConfigStates {
		if v == s {
			return true
		}
	}
	return false
}

// ServedVersion is one version of a config (or group rendering) tcd served
// an agent that fetched under its identity.
type ServedVersion struct {
	// Kind is config or group; TargetID its ID, TargetName its name.
	Kind       string `json:"kind"`
	TargetID   string `json:"targetId"`
	TargetName string `json:"targetName"`
	// Version is the config version (0 for a group rendering).
	Version      int        `json:"version"`
	ETag         string     `json:"etag"`
	LastModified time.Time  `json:"lastModified"`
	FirstFetched *time.Time `json:"firstFetchedAt"`
	LastFetched  *time.Time `json:"lastFetchedAt"`
	// LastPolled is the last HEAD or 304 answered for this version.
	LastPolled *time.Time `json:"lastPolledAt"`
	// Reloaded: a heartbeat naming the config came after the fetch (for a
	// config fetched through a config group, one naming that group).
	Reloaded bool `json:"reloaded"`
	// Expected is the version tcd would serve the agent now (rollouts
	// included); Latest marks the newest version served for the target.
	Expected int  `json:"expectedVersion"`
	Latest   bool `json:"latest"`
}

// AgentServing is who-runs-what for one agent.
type AgentServing struct {
	AgentID string          `json:"agentId"`
	State   string          `json:"configState"`
	Served  []ServedVersion `json:"served"`
}

// VersionAgents counts the agents whose latest fetch of a config was a
// version.
type VersionAgents struct {
	Version int `json:"version"`
	Agents  int `json:"agents"`
}

// ConfigServing summarises who runs which version of a config.
type ConfigServing struct {
	ConfigID string          `json:"configId"`
	Versions []VersionAgents `json:"versions"`
	States   map[string]int  `json:"states"`
}

// Rollout states.
const (
	RolloutQueued    = "queued"
	RolloutRunning   = "running"
	RolloutPaused    = "paused"
	RolloutCompleted = "completed"
	RolloutAborted   = "aborted"
)

// RolloutStates lists the rollout states.
var RolloutStates = []string{RolloutQueued, RolloutRunning, RolloutPaused, RolloutCompleted, RolloutAborted}

// RolloutStage chooses a stage's agents: exactly one of Count (that many
// more agents of the config), Percent (the config's agents up to that
// share, by a stable hash of the agent ID), Agents (explicit IDs) or
// Selector (a label selector over agents).
type RolloutStage struct {
	Count    int      `json:"count,omitempty"`
	Percent  float64  `json:"percent,omitempty"`
	Agents   []string `json:"agents,omitempty"`
	Selector string   `json:"selector,omitempty"`
}

// StartRolloutRequest starts (or queues) a rollout of a config to a
// version. With TOML instead of To, a new version is created from it
// (not served to anybody yet) and rolled out.
type StartRolloutRequest struct {
	Config string         `json:"config"`
	To     int            `json:"to,omitempty"`
	TOML   *string        `json:"toml,omitempty"`
	Note   string         `json:"note,omitempty"`
	Stages []RolloutStage `json:"stages,omitempty"`
	// Heartbeats: K heartbeats each agent of a stage sends after fetching
	// the new version (default 2). MaxFailures: F agents of a stage that
	// may report fail or stop reporting (default 0).
	Heartbeats  *int `json:"heartbeats,omitempty"`
	MaxFailures *int `json:"maxFailures,omitempty"`
	// Wait is the minimum time a stage lasts; Timeout how long its agents
	// have to pass the gate (Go durations: "30s", "10m").
	Wait         string `json:"wait,omitempty"`
	Timeout      string `json:"timeout,omitempty"`
	AutoRollback bool   `json:"autoRollback,omitempty"`
	// Queue: when another rollout of the config runs, queue this one
	// behind it instead of refusing.
	Queue bool `json:"queue,omitempty"`
}

// RolloutStageStatus is the progress of one stage.
type RolloutStageStatus struct {
	Index   int          `json:"index"`
	Stage   RolloutStage `json:"stage"`
	State   string       `json:"state"` // pending, running, passed, failed, rolled_back
	Agents  int          `json:"agents"`
	Fetched int          `json:"fetched"`
	Healthy int          `json:"healthy"`
	Failed  int          `json:"failed"`
	// Members lists the stage's agents (at most 1,000).
	Members []string `json:"members"`
}

// Rollout is a staged move of a config from one version to another.
type Rollout struct {
	ID             string               `json:"id"`
	ConfigID       string               `json:"configId"`
	ConfigName     string               `json:"configName"`
	From           int                  `json:"fromVersion"`
	To             int                  `json:"toVersion"`
	State          string               `json:"state"`
	Stage          int                  `json:"stage"`
	Stages         []RolloutStageStatus `json:"stages"`
	Heartbeats     int                  `json:"heartbeats"`
	MaxFailures    int                  `json:"maxFailures"`
	Wait           string               `json:"wait"`
	Timeout        string               `json:"timeout"`
	AutoRollback   bool                 `json:"autoRollback"`
	RolledBack     bool                 `json:"rolledBack"`
	Reason         string               `json:"reason"`
	CreatedBy      string               `json:"createdBy"`
	CreatedAt      time.Time            `json:"createdAt"`
	UpdatedAt      time.Time            `json:"updatedAt"`
	StageStartedAt time.Time            `json:"stageStartedAt"`
	FinishedAt     *time.Time           `json:"finishedAt"`
	Events         []RolloutEvent       `json:"events"`
}

// RolloutEvent is one transition of a rollout.
type RolloutEvent struct {
	At     time.Time `json:"at"`
	Action string    `json:"action"`
	State  string    `json:"state"`
	Stage  int       `json:"stage"`
	Actor  string    `json:"actor"`
	Reason string    `json:"reason"`
}

// RolloutActionRequest carries an optional reason for pause, resume, abort.
type RolloutActionRequest struct {
	Reason string `json:"reason,omitempty"`
}
