package notify

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// Webhook headers.
const (
	// HeaderSignature carries "sha256=" and the hex HMAC-SHA-256, keyed with
	// the receiver's secret, of HeaderTimestamp's value, a dot and the body.
	HeaderSignature = "X-Tc-Signature"
	// HeaderTimestamp is the unix time (seconds) of the sending.
	HeaderTimestamp = "X-Tc-Timestamp"
	// HeaderDelivery identifies one notification for one receiver; retries
	// of it carry the same value, so a receiver can drop a duplicate.
	HeaderDelivery = "X-Tc-Delivery"
	// HeaderEvent is the event kind.
	HeaderEvent = "X-Tc-Event"
)

// Sign returns the HeaderSignature value for a body sent at unix time ts:
// "sha256=" + hex(HMAC-SHA-256(secret, ts + "." + body)).
func Sign(secret string, ts int64, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(strconv.FormatInt(ts, 10)))
	m.Write([]byte{'.'})
	m.Write(body)
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return strconv.Itoa(n) + " " + many
}

// Summary is the one-line description of a notification.
func Summary(n tc.Notification, forS int64, days int) string {
	var s string
	c := n.Count
	switch n.Event {
	case tc.EventAgentNotReporting:
		s = plural(c, "agent", "agents") + " not reporting"
		if forS > 0 {
			s += " for " + (time.Duration(forS) * time.Second).String()
		}
	case tc.EventAgentFail:
		s = plural(c, "agent", "agents") + " reporting status fail"
	case tc.EventAgentWarn:
		s = plural(c, "agent", "agents") + " reporting status warn"
	case tc.EventAgentUnmanagedConfig:
		s = plural(c, "agent", "agents") + " running a configuration tcd does not manage"
	case tc.EventAgentNew:
		s = plural(c, "new agent", "new agents")
	case tc.EventTokenExpiring:
		s = plural(c, "API token expires", "API tokens expire") + fmt.Sprintf(" within %d days", days)
	case tc.EventAuditVerificationFailed:
		s = "audit log verification failed at " + plural(c, "entry", "entries")
	case tc.EventRolloutPaused, tc.EventRolloutRolledBack, tc.EventRolloutCompleted:
		verb := map[string]string{tc.EventRolloutPaused: "paused", tc.EventRolloutRolledBack: "rolled back", tc.EventRolloutCompleted: "completed"}[n.Event]
		if c == 1 && len(n.Items) == 1 {
			s = "rollout " + itemName(n.Items[0]) + " " + verb
		} else {
			s = plural(c, "rollout", "rollouts") + " " + verb
		}
	case tc.EventAdvisoryMatched:
		if c == 1 && len(n.Items) == 1 {
			s = "advisory " + itemName(n.Items[0]) + " matches the fleet"
		} else {
			s = plural(c, "advisory matches", "advisories match") + " the fleet"
		}
	case "test":
		s = "test notification from tcd"
	default:
		s = plural(c, "event", "events") + " " + n.Event
	}
	if n.GroupBy != "" {
		if n.Group == "" {
			s += " (no " + n.GroupBy + " label)"
		} else {
			s += " (" + n.GroupBy + "=" + n.Group + ")"
		}
	}
	if n.Status == tc.NotifyResolved {
		s = "resolved: " + s
	}
	return s
}

func itemName(it tc.NotifyItem) string {
	if it.Name != "" {
		return it.Name
	}
	return it.ID
}

// Title is the subject line of a notification.
func Title(n tc.Notification) string {
	rule := n.Rule.Name
	if rule == "" {
		rule = "tcd"
	}
	return "[" + strings.ToUpper(n.Status) + "] " + rule + ": " + n.Summary
}

// Text renders a notification for people (Slack, email).
func Text(n tc.Notification) string {
	var b strings.Builder
	b.WriteString(Title(n))
	b.WriteString("\n")
	fmt.Fprintf(&b, "Event: %s\nCount: %d\nSince: %s\n", n.Event, n.Count, n.StartsAt.UTC().Format(time.RFC3339))
	if n.EndsAt != nil {
		fmt.Fprintf(&b, "Resolved: %s\n", n.EndsAt.UTC().Format(time.RFC3339))
	}
	if len(n.Items) > 0 {
		what := "First"
		if n.Status == tc.NotifyResolved {
			what = "Were"
		}
		fmt.Fprintf(&b, "%s %d:\n", what, len(n.Items))
		for _, it := range n.Items {
			b.WriteString("- " + it.ID)
			if it.Name != "" && it.Name != it.ID {
				b.WriteString(" (" + it.Name + ")")
			}
			if it.Summary != "" {
				b.WriteString(": " + it.Summary)
			}
			b.WriteString("\n")
		}
		if more := n.Count - len(n.Items); more > 0 {
			fmt.Fprintf(&b, "and %d more\n", more)
		}
	}
	return b.String()
}

var promLabelName = regexp.MustCompile(`[^a-zA-Z0-9_]`)

// alertLabelName turns a label key into a Prometheus label name.
func alertLabelName(k string) string {
	n := promLabelName.ReplaceAllString(k, "_")
	if n == "" || (n[0] >= '0' && n[0] <= '9') || strings.HasPrefix(n, "__") {
		n = "label_" + n
	}
	return n
}

// amAlert is one alert of Alertmanager's v2 API (POST /api/v2/alerts).
type amAlert struct {
	Labels       map[string]string `json:"labels"`
	Annotations  map[string]string `json:"annotations"`
	StartsAt     time.Time         `json:"startsAt"`
	EndsAt       time.Time         `json:"endsAt"`
	GeneratorURL string            `json:"generatorURL,omitempty"`
}

// alertmanagerAlerts renders a notification as Alertmanager alerts: one
// alert per group, identified by its labels (alertname is the rule's name),
// so Alertmanager deduplicates, routes, silences and resolves it.
func alertmanagerAlerts(n tc.Notification, sentAt time.Time) []amAlert {
	name := n.Rule.Name
	if name == "" {
		name = "tcd-test"
	}
	labels := map[string]string{"alertname": name, "event": n.Event, "source": "tcd"}
	if n.GroupBy != "" {
		labels[alertLabelName(n.GroupBy)] = n.Group
	}
	a := amAlert{Labels: labels, StartsAt: n.StartsAt.UTC(),
		Annotations: map[string]string{"summary": n.Summary, "description": Text(n), "count": strconv.Itoa(n.Count)}}
	if n.EndsAt != nil {
		a.EndsAt = n.EndsAt.UTC()
	} else {
		a.EndsAt = sentAt.Add(AlertmanagerEndsAfter).UTC()
	}
	return []amAlert{a}
}
