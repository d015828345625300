package tc

import "time"

// Notification event kinds. Agent conditions (not_reporting, fail, warn,
// unmanaged_config) fire while they hold and send a resolved notification
// ("back to normal") when they clear; the others are one-off events.
const (
	EventAgentNotReporting       = "agent.not_reporting"
	EventAgentFail               = "agent.fail"
	EventAgentWarn               = "agent.warn"
	EventAgentUnmanagedConfig    = "agent.unmanaged_config"
	EventAgentNew                = "agent.new"
	EventTokenExpiring           = "token.expiring"
	EventAuditVerificationFailed = "audit.verification_failed"
	EventRolloutPaused           = "rollout.paused"
	EventRolloutRolledBack       = "rollout.rolled_back"
	EventRolloutCompleted        = "rollout.completed"
	EventAdvisoryMatched         = "advisory.matched"
)

// EventKinds lists every event kind in display order.
var EventKinds = []string{
	EventAgentNotReporting, EventAgentFail, EventAgentWarn, EventAgentUnmanagedConfig, EventAgentNew,
	EventTokenExpiring, EventAuditVerificationFailed,
	EventRolloutPaused, EventRolloutRolledBack, EventRolloutCompleted, EventAdvisoryMatched,
}

// ConditionEvent reports whether kind is a condition that holds for a while
// (it fires, repeats and resolves) rather than a one-off event.
func ConditionEvent(kind string) bool {
	switch kind {
	case EventAgentNotReporting, EventAgentFail, EventAgentWarn, EventAgentUnmanagedConfig:
		return true
	}
	return false
}

// Notification rule scopes: which objects a rule's selector is matched
// against.
const (
	ScopeAgents  = "agents"
	ScopeConfigs = "configs"
	ScopeAll     = "all"
)

// Receiver kinds.
const (
	ReceiverWebhook      = "webhook"
	ReceiverSlack        = "slack"
	ReceiverAlertmanager = "alertmanager"
	ReceiverEmail        = "email"
)

// ReceiverKinds lists every receiver kind.
var ReceiverKinds = []string{ReceiverWebhook, ReceiverSlack, ReceiverAlertmanager, ReceiverEmail}

// Email TLS modes: STARTTLS required (the default), TLS from the first
// byte (SMTPS, port 465), or none (a relay on the same host).
const (
	EmailStartTLS = "starttls"
	EmailTLS      = "tls"
	EmailNoTLS    = "none"
)

// EmailSettings say how an email receiver reaches its SMTP server.
type EmailSettings struct {
	Host     string   `json:"host"`
	Port     int      `json:"port"`
	Username string   `json:"username,omitempty"`
	From     string   `json:"from"`
	To       []string `json:"to"`
	TLS      string   `json:"tls"`
	// CACert is a PEM certificate to trust besides the system's, for a
	// server with a private CA.
	CACert string `json:"caCert,omitempty"`
}

// NotifyReceiver is where notifications go. The secret (the webhook's HMAC
// key, the SMTP password) and the values of custom headers are write-only:
// they are never returned, SecretSet and HeaderNames say they exist.
type NotifyReceiver struct {
	ID          string         `json:"id"`
	Name        string         `json:"name"`
	Description string         `json:"description"`
	Kind        string         `json:"kind"`
	URL         string         `json:"url,omitempty"`
	HeaderNames []string       `json:"headerNames"`
	Email       *EmailSettings `json:"email,omitempty"`
	SecretSet   bool           `json:"secretSet"`
	// RateLimit is the most notifications per minute sent to it.
	RateLimit int       `json:"rateLimit"`
	Rules     int       `json:"rules"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// NotifyReceiverRequest creates a receiver (kind and name required) or
// changes one (PATCH: absent fields stay; the kind cannot change). Secret ""
// removes the secret; Headers replaces every custom header.
type NotifyReceiverRequest struct {
	Name        *string           `json:"name,omitempty"`
	Description *string           `json:"description,omitempty"`
	Kind        *string           `json:"kind,omitempty"`
	URL         *string           `json:"url,omitempty"`
	Headers     map[string]string `json:"headers,omitempty"`
	Email       *EmailSettings    `json:"email,omitempty"`
	Secret      *string           `json:"secret,omitempty"`
	RateLimit   *int              `json:"rateLimit,omitempty"`
}

// NotifyRule decides which events notify which receivers. Durations are
// seconds.
type NotifyRule struct {
	ID          string `json:"id"`
	Name        string `json:"name"`
	Description string `json:"description"`
	Event       string `json:"event"`
	Scope       string `json:"scope"`
	// Selector is a label selector: comma-separated requirements such as
	// site=a, site!=b, site in (a,b), site notin (c), site, !site.
	Selector string `json:"selector"`
	// For is how long a condition must hold for an agent before it counts.
	For int64 `json:"for"`
	// GroupBy is a label key: events are grouped by its value.
	GroupBy        string `json:"groupBy"`
	GroupWindow    int64  `json:"groupWindow"`
	GroupInterval  int64  `json:"groupInterval"`
	RepeatInterval int64  `json:"repeatInterval"`
	SendResolved   bool   `json:"sendResolved"`
	// Days is the warning window of token.expiring.
	Days      int       `json:"days,omitempty"`
	Receivers []string  `json:"receivers"`
	Enabled   bool      `json:"enabled"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// NotifyRuleRequest creates a rule (name, event and receivers required) or
// changes one (PATCH: absent fields stay). Receivers take IDs or names.
type NotifyRuleRequest struct {
	Name           *string   `json:"name,omitempty"`
	Description    *string   `json:"description,omitempty"`
	Event          *string   `json:"event,omitempty"`
	Scope          *string   `json:"scope,omitempty"`
	Selector       *string   `json:"selector,omitempty"`
	For            *int64    `json:"for,omitempty"`
	GroupBy        *string   `json:"groupBy,omitempty"`
	GroupWindow    *int64    `json:"groupWindow,omitempty"`
	GroupInterval  *int64    `json:"groupInterval,omitempty"`
	RepeatInterval *int64    `json:"repeatInterval,omitempty"`
	SendResolved   *bool     `json:"sendResolved,omitempty"`
	Days           *int      `json:"days,omitempty"`
	Receivers      *[]string `json:"receivers,omitempty"`
	Enabled        *bool     `json:"enabled,omitempty"`
}

// Notification statuses.
const (
	NotifyFiring   = "firing"
	NotifyResolved = "resolved"
)

// NotifyItem is one of the first objects a notification names.
type NotifyItem struct {
	ID   string `json:"id"`
	Name string `json:"name,omitempty"`
	// Summary says more about one-off events (why, when).
	Summary string `json:"summary,omitempty"`
}

// NotifyRef names a rule.
type NotifyRef struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// Notification is the body a webhook receiver gets (schema version 1, see
// docs/notifications.md); the other receivers get it rendered.
type Notification struct {
	Version int    `json:"version"`
	ID      string `json:"id"`
	Status  string `json:"status"`
	Event   string `json:"event"`
	// Rule is the rule that decided it (empty for a test notification).
	Rule    NotifyRef `json:"rule"`
	GroupBy string    `json:"groupBy,omitempty"`
	Group   string    `json:"group"`
	// Count is how many objects the group holds (or held, when resolved).
	Count    int          `json:"count"`
	Items    []NotifyItem `json:"items"`
	Summary  string       `json:"summary"`
	StartsAt time.Time    `json:"startsAt"`
	EndsAt   *time.Time   `json:"endsAt,omitempty"`
	Test     bool         `json:"test,omitempty"`
}

// Delivery outcomes.
const (
	DeliverySuccess = "success"
	DeliveryRetry   = "retry"
	DeliveryFailed  = "failed"
)

// NotifyDelivery is one attempt to deliver a notification (the delivery
// log), or the result of a receiver test.
type NotifyDelivery struct {
	ID             string    `json:"id"`
	Time           time.Time `json:"time"`
	ReceiverID     string    `json:"receiverId"`
	Receiver       string    `json:"receiver"`
	RuleID         string    `json:"ruleId,omitempty"`
	Rule           string    `json:"rule,omitempty"`
	NotificationID string    `json:"notificationId"`
	Event          string    `json:"event"`
	Status         string    `json:"status"`
	Group          string    `json:"group"`
	Attempt        int       `json:"attempt"`
	Outcome        string    `json:"outcome"`
	HTTPStatus     int       `json:"httpStatus,omitempty"`
	Error          string    `json:"error,omitempty"`
	DurationMs     int64     `json:"durationMs"`
}
