// Package notify tells people what happens to the fleet: notification rules
// (an event kind, a label-selector scope, a minimum duration, grouping by a
// label) decide notifications in the scheduler's tick with set-based SQL;
// a durable outbox in the database delivers them to receivers (signed
// webhook, Slack-compatible webhook, Prometheus Alertmanager, email) with
// retries, backoff and a per-receiver rate limit, and logs every attempt.
//
// Other features report one-off events (rollouts, advisories) through
// Publisher; agent conditions, new agents, expiring tokens and the audit
// chain are observed here. In a cluster only the leader evaluates and
// sends; any node may publish.
package notify

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Event is a one-off event another feature reports: a rollout that paused,
// rolled back or completed, an advisory that matches the fleet, an audit
// chain that failed verification.
type Event struct {
	// Kind is one of tc.EventRolloutPaused, tc.EventRolloutRolledBack,
	// tc.EventRolloutCompleted, tc.EventAdvisoryMatched or
	// tc.EventAuditVerificationFailed.
	Kind string
	// SubjectID and SubjectName name what the event is about (the rollout,
	// the advisory); SubjectID is required.
	SubjectID   string
	SubjectName string
	// ConfigIDs are the configurations it concerns: a rule scoped to
	// configs matches their labels, and groupBy reads them. AgentIDs are
	// the agents it concerns (scope agents). At most 1,000 of each are kept.
	ConfigIDs []string
	AgentIDs  []string
	// Summary is one line for people (optional).
	Summary string
	// At is when it happened (zero: now).
	At time.Time
}

// Publisher is what other features call to report an event. Publish stores
// the event durably (any node may call it, inside or outside a request);
// the leader's next evaluation matches it against the rules. It fails only
// for an invalid event or a database error.
type Publisher interface {
	Publish(ctx context.Context, e Event) error
}

// publishable are the kinds Publish accepts: the rest are observed here.
var publishable = map[string]bool{
	tc.EventRolloutPaused: true, tc.EventRolloutRolledBack: true, tc.EventRolloutCompleted: true,
	tc.EventAdvisoryMatched: true, tc.EventAuditVerificationFailed: true,
}

// maxEventRefs bounds the config and agent IDs kept per event.
const maxEventRefs = 1000

// Options tunes New.
type Options struct {
	Now    func() time.Time
	Logger *slog.Logger
	// Leader reports whether this node evaluates and sends (nil: always).
	Leader func() bool
	// RetryInitial is the first retry delay after a failed delivery, doubled
	// per attempt up to RetryMax, with jitter; GiveUpAfter ends retrying.
	RetryInitial, RetryMax, GiveUpAfter time.Duration
	// UserAgent is sent by the HTTP receivers.
	UserAgent string
	// OnDelivery observes every delivery attempt (metrics).
	OnDelivery func(receiver, outcome string)
}

// Defaults of Options.
const (
	DefaultRetryInitial = 10 * time.Second
	DefaultRetryMax     = 10 * time.Minute
	DefaultGiveUpAfter  = 24 * time.Hour
)

// Service is the notifications feature.
type Service struct {
	st   *store.Store
	opts Options
	log  *slog.Logger
	now  func() time.Time

	evalMu   sync.Mutex                  // one evaluation at a time
	silent   atomic.Pointer[silentCache] // the silent fleet at the last evaluation (written under evalMu)
	rowsOnly bool                        // tests: not_reporting rules read their agents row by row
	// silentAllMasksMax: see SilentSpec.
	silentAllMasksMax int
	collMu            sync.Mutex
	collation         string // PostgreSQL's database collation, once read
	// silentStats counts the ways evaluations aggregated the silent fleet
	// (under evalMu): all of it from the tick's rows, carried over from
	// the tick's rows or from their own statement, carrying over refused,
	// from scratch with their own statement.
	silentStats struct{ tickAll, tickCarried, carried, carriedNot, full int }
	audit       auditVerifier
	lastPrune   time.Time

	wake     chan struct{}
	sendMu   sync.Mutex // one delivery round at a time
	limMu    sync.Mutex
	limiters map[string]*limiterEntry
	claimsOK bool // stale claims were cleared (SQLite) at the first send
}

// New returns the service on st.
func New(st *store.Store, o Options) *Service {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	if o.RetryInitial <= 0 {
		o.RetryInitial = DefaultRetryInitial
	}
	if o.RetryMax <= 0 {
		o.RetryMax = DefaultRetryMax
	}
	if o.RetryMax < o.RetryInitial {
		o.RetryMax = o.RetryInitial
	}
	if o.GiveUpAfter <= 0 {
		o.GiveUpAfter = DefaultGiveUpAfter
	}
	if o.UserAgent == "" {
		o.UserAgent = "tcd"
	}
	return &Service{st: st, opts: o, log: o.Logger, now: o.Now, wake: make(chan struct{}, 1), limiters: map[string]*limiterEntry{},
		silentAllMasksMax: silentAllMasksMax}
}

func (s *Service) leader() bool { return s.opts.Leader == nil || s.opts.Leader() }

// eventRow is a row of notify_events.
type eventRow struct {
	ID          string `gorm:"primaryKey"`
	Kind        string
	AtMs        int64
	SubjectID   string
	SubjectName string
	ConfigIDs   string `gorm:"column:config_ids"`
	AgentIDs    string `gorm:"column:agent_ids"`
	Summary     string
}

func (eventRow) TableName() string { return "notify_events" }

// Publish implements Publisher.
func (s *Service) Publish(ctx context.Context, e Event) error {
	if !publishable[e.Kind] {
		return tc.Errorf(tc.EInvalid, "event kind %q cannot be published: use one of rollout.paused, rollout.rolled_back, rollout.completed, advisory.matched, audit.verification_failed", e.Kind)
	}
	if strings.TrimSpace(e.SubjectID) == "" {
		return tc.Errorf(tc.EInvalid, "an event needs the ID of what it is about (SubjectID)")
	}
	if e.At.IsZero() {
		e.At = s.now()
	}
	cfg, _ := json.Marshal(capList(e.ConfigIDs))
	ag, _ := json.Marshal(capList(e.AgentIDs))
	row := eventRow{ID: store.NewID(), Kind: e.Kind, AtMs: e.At.UnixMilli(), SubjectID: clip(e.SubjectID, 200),
		SubjectName: clip(e.SubjectName, 200), ConfigIDs: string(cfg), AgentIDs: string(ag), Summary: clip(e.Summary, 1000)}
	return s.st.Gorm(ctx).Create(&row).Error
}

func capList(l []string) []string {
	if l == nil {
		return []string{}
	}
	if len(l) > maxEventRefs {
		return l[:maxEventRefs]
	}
	return l
}

// clip shortens s to at most n bytes on a rune boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Wake asks the sender to look at the outbox now.
func (s *Service) Wake() {
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
