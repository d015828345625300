package notify

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/tc"
)

// receivers are /api/notifications/receivers: by ID or name.
var receivers = &resource.Resource[tc.NotifyReceiver]{
	Kind: "notification receiver", Path: "/api/notifications/receivers",
	ID: func(v tc.NotifyReceiver) string { return v.ID }, Name: func(v tc.NotifyReceiver) string { return v.Name },
	Describe: func(v tc.NotifyReceiver) string { return v.Kind },
	Lookup:   resource.Lookup{Get: true},
	Columns: []resource.Column[tc.NotifyReceiver]{
		{Header: "ID", Value: func(v tc.NotifyReceiver) string { return v.ID }},
		{Header: "NAME", Value: func(v tc.NotifyReceiver) string { return v.Name }},
		{Header: "KIND", Value: func(v tc.NotifyReceiver) string { return v.Kind }},
		{Header: "TARGET", Value: func(v tc.NotifyReceiver) string {
			if v.Email != nil {
				return strings.Join(v.Email.To, ",") + " via " + fmt.Sprintf("%s:%d", v.Email.Host, v.Email.Port)
			}
			return v.URL
		}},
		{Header: "SECRET", Value: func(v tc.NotifyReceiver) string { return map[bool]string{true: "set"}[v.SecretSet] }},
		{Header: "RATE/MIN", Value: func(v tc.NotifyReceiver) string { return strconv.Itoa(v.RateLimit) }},
		{Header: "RULES", Value: func(v tc.NotifyReceiver) string { return strconv.Itoa(v.Rules) }},
	},
}

// receiverNames maps receiver IDs to names for the rules' table; a list
// verb fills it before printing (see newCmdRuleList).
var receiverNames = map[string]string{}

// rules are /api/notifications/rules: by ID or name.
var rules = &resource.Resource[tc.NotifyRule]{
	Kind: "notification rule", Path: "/api/notifications/rules",
	ID: func(v tc.NotifyRule) string { return v.ID }, Name: func(v tc.NotifyRule) string { return v.Name },
	Describe: func(v tc.NotifyRule) string { return v.Event },
	Lookup:   resource.Lookup{Get: true},
	Columns: []resource.Column[tc.NotifyRule]{
		{Header: "ID", Value: func(v tc.NotifyRule) string { return v.ID }},
		{Header: "NAME", Value: func(v tc.NotifyRule) string { return v.Name }},
		{Header: "EVENT", Value: func(v tc.NotifyRule) string { return v.Event }},
		{Header: "SCOPE", Value: func(v tc.NotifyRule) string { return strings.TrimSpace(v.Scope + " " + v.Selector) }},
		{Header: "FOR", Value: func(v tc.NotifyRule) string { return seconds(v.For) }},
		{Header: "GROUP BY", Value: func(v tc.NotifyRule) string { return v.GroupBy }},
		{Header: "WINDOW", Value: func(v tc.NotifyRule) string { return seconds(v.GroupWindow) }},
		{Header: "RECEIVERS", Value: func(v tc.NotifyRule) string {
			out := make([]string, len(v.Receivers))
			for i, id := range v.Receivers {
				out[i] = id
				if n := receiverNames[id]; n != "" {
					out[i] = n
				}
			}
			return strings.Join(out, ",")
		}},
		{Header: "ENABLED", Value: func(v tc.NotifyRule) string { return map[bool]string{true: "yes", false: "no"}[v.Enabled] }},
	},
}

// deliveries are /api/notifications/log, newest first.
var deliveries = &resource.Resource[tc.NotifyDelivery]{
	Kind: "delivery attempt", Path: "/api/notifications/log", Paged: true,
	ID: func(v tc.NotifyDelivery) string { return v.ID },
	Columns: []resource.Column[tc.NotifyDelivery]{
		{Header: "TIME", Value: func(v tc.NotifyDelivery) string { return cmdutil.Time(v.Time) }},
		{Header: "RECEIVER", Value: func(v tc.NotifyDelivery) string { return v.Receiver }},
		{Header: "RULE", Value: func(v tc.NotifyDelivery) string { return v.Rule }},
		{Header: "EVENT", Value: func(v tc.NotifyDelivery) string { return v.Event }},
		{Header: "STATUS", Value: func(v tc.NotifyDelivery) string { return v.Status }},
		{Header: "GROUP", Value: func(v tc.NotifyDelivery) string { return v.Group }},
		{Header: "ATTEMPT", Value: func(v tc.NotifyDelivery) string { return strconv.Itoa(v.Attempt) }},
		{Header: "OUTCOME", Value: func(v tc.NotifyDelivery) string { return v.Outcome }},
		{Header: "HTTP", Value: func(v tc.NotifyDelivery) string {
			if v.HTTPStatus == 0 {
				return ""
			}
			return strconv.Itoa(v.HTTPStatus)
		}},
		{Header: "ERROR", Value: func(v tc.NotifyDelivery) string { return v.Error }},
	},
	Filters: []resource.Filter{
		{Flag: "receiver", Param: "receiver", Usage: "only this receiver (ID or name)", Complete: receivers.Complete},
		{Flag: "since", Param: "since", Usage: "only attempts newer than this (e.g. 24h or 7d)", Parse: func(v string) (string, error) {
			d, err := cmdutil.ParseDuration(v)
			if err != nil {
				return "", err
			}
			return time.Now().Add(-d).UTC().Format(time.RFC3339Nano), nil
		}},
		{Flag: "outcome", Param: "outcome", Usage: "only attempts with this outcome", Values: []string{"success", "retry", "failed"}},
	},
}
