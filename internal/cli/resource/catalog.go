package resource

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// The resources of tcd's API. Nouns use them for their verbs and to
// resolve references to each other (an agent filter naming a label, a
// label assignment naming configs).

var uuidRe = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// IsUUID reports whether s is shaped like an ID of tcd (a UUID).
func IsUUID(s string) bool { return uuidRe.MatchString(s) }

func labelNames(ls []tc.Label) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}

// ShowSeconds shows a number of seconds as a duration (30d, 15m), or none.
func ShowSeconds(s *int64, none string) string {
	if s == nil || *s == 0 {
		return none
	}
	return cmdutil.FormatDuration(time.Duration(*s) * time.Second)
}

// Ago renders a time as "2m ago" relative to now.
func Ago(t, now time.Time) string {
	d := now.Sub(t)
	switch {
	case t.IsZero():
		return "never"
	case d < 0:
		return "just now"
	case d < time.Minute:
		return fmt.Sprintf("%ds ago", int(d.Seconds()))
	case d < time.Hour:
		return fmt.Sprintf("%dm ago", int(d.Minutes()))
	case d < 48*time.Hour:
		return fmt.Sprintf("%dh ago", int(d.Hours()))
	}
	return fmt.Sprintf("%dd ago", int(d.Hours()/24))
}

var statusColor = map[string]string{
	tc.StatusOK: "\x1b[32m", tc.StatusWarn: "\x1b[33m", tc.StatusFail: "\x1b[31m",
	tc.StatusNotReporting: "\x1b[31;1m", tc.StatusUndefined: "\x1b[90m",
}

// StatusColor is the colour of an agent status.
func StatusColor(status string) string { return statusColor[status] }

// Configs are /api/configs: by ID, alias (GET) or exact name (?name=).
var Configs = &Resource[tc.Config]{
	Kind: "config", Path: "/api/configs", Paged: true,
	ID: func(v tc.Config) string { return v.ID }, Name: func(v tc.Config) string { return v.Name },
	Lookup:   Lookup{Get: true, NameParam: "name"},
	SortKeys: []string{"name", "createdAt", "updatedAt"},
	Columns: []Column[tc.Config]{
		{Header: "ID", Value: func(v tc.Config) string { return v.ID }},
		{Header: "NAME", Value: func(v tc.Config) string { return v.Name }},
		{Header: "VERSION", Value: func(v tc.Config) string { return strconv.Itoa(v.Version) }},
		{Header: "LABELS", Value: func(v tc.Config) string { return labelNames(v.Labels) }},
		{Header: "ALIASES", Value: func(v tc.Config) string { return strings.Join(v.Aliases, ",") }},
		{Header: "UPDATED", Value: func(v tc.Config) string { return cmdutil.Time(v.UpdatedAt) }},
	},
}

// Groups are /api/config-groups: by ID, alias or exact name.
var Groups = &Resource[tc.ConfigGroup]{
	Kind: "config group", Path: "/api/config-groups", Paged: true,
	ID: func(v tc.ConfigGroup) string { return v.ID }, Name: func(v tc.ConfigGroup) string { return v.Name },
	Lookup:   Lookup{Get: true, NameParam: "name"},
	SortKeys: []string{"name", "createdAt", "updatedAt"},
	Columns: []Column[tc.ConfigGroup]{
		{Header: "ID", Value: func(v tc.ConfigGroup) string { return v.ID }},
		{Header: "NAME", Value: func(v tc.ConfigGroup) string { return v.Name }},
		{Header: "MEMBERS", Value: func(v tc.ConfigGroup) string { return strconv.Itoa(len(v.Members)) }},
		{Header: "ALIASES", Value: func(v tc.ConfigGroup) string { return strings.Join(v.Aliases, ",") }},
		{Header: "LABELS", Value: func(v tc.ConfigGroup) string { return labelNames(v.Labels) }},
		{Header: "UPDATED", Value: func(v tc.ConfigGroup) string { return cmdutil.Time(v.UpdatedAt) }},
	},
}

// Labels are /api/labels: by ID or name (GET).
var Labels = &Resource[tc.Label]{
	Kind: "label", Path: "/api/labels", Paged: true,
	ID: func(v tc.Label) string { return v.ID }, Name: func(v tc.Label) string { return v.Name },
	Lookup: Lookup{Get: true},
	Columns: []Column[tc.Label]{
		{Header: "ID", Value: func(v tc.Label) string { return v.ID }},
		{Header: "NAME", Value: func(v tc.Label) string { return v.Name }},
		{Header: "COLOR", Value: func(v tc.Label) string { return v.Color }},
		{Header: "DESCRIPTION", Value: func(v tc.Label) string { return v.Description }},
	},
	Filters: []Filter{{Flag: "search", Param: "search", Usage: "only labels whose name or description contains this text"}},
}

// Rules are /api/reporting-rules: by ID or name (GET).
var Rules = &Resource[tc.ReportingRule]{
	Kind: "reporting rule", Path: "/api/reporting-rules",
	ID: func(v tc.ReportingRule) string { return v.ID }, Name: func(v tc.ReportingRule) string { return v.Name },
	Lookup: Lookup{Get: true},
	Columns: []Column[tc.ReportingRule]{
		{Header: "ID", Value: func(v tc.ReportingRule) string { return v.ID }},
		{Header: "NAME", Value: func(v tc.ReportingRule) string { return v.Name }},
		{Header: "NOT REPORTING AFTER", Value: func(v tc.ReportingRule) string { return ShowSeconds(&v.NotReportingAfter, "never") }},
		{Header: "AUTO-DELETE AFTER", Value: func(v tc.ReportingRule) string { return ShowSeconds(v.AutoDeleteAfter, "never") }},
		{Header: "DEFAULT", Value: func(v tc.ReportingRule) string { return map[bool]string{true: "yes"}[v.IsDefault] }},
		{Header: "AGENTS", Value: func(v tc.ReportingRule) string { return strconv.Itoa(v.Agents) }},
	},
}

// Constants are /api/constants: by name.
var Constants = &Resource[tc.Constant]{
	Kind: "constant", Path: "/api/constants",
	ID: func(v tc.Constant) string { return v.Name }, Name: func(v tc.Constant) string { return v.Name },
	Lookup: Lookup{Get: true},
	Columns: []Column[tc.Constant]{
		{Header: "NAME", Value: func(v tc.Constant) string { return v.Name }},
		{Header: "VALUE", Value: func(v tc.Constant) string { return v.Value }},
		{Header: "USED BY", Value: func(v tc.Constant) string { return strconv.Itoa(len(v.UsedBy)) }},
		{Header: "UPDATED", Value: func(v tc.Constant) string { return cmdutil.Time(v.UpdatedAt) }},
	},
}

// Aliases are /api/aliases: by alias.
var Aliases = &Resource[tc.Alias]{
	Kind: "alias", Plural: "aliases", Path: "/api/aliases",
	ID: func(v tc.Alias) string { return v.Alias }, Name: func(v tc.Alias) string { return v.Alias },
	Lookup: Lookup{Get: true},
	Columns: []Column[tc.Alias]{
		{Header: "ALIAS", Value: func(v tc.Alias) string { return v.Alias }},
		{Header: "KIND", Value: func(v tc.Alias) string {
			if v.GroupID != "" {
				return "config group"
			}
			return "config"
		}},
		{Header: "TARGET", Value: func(v tc.Alias) string { return v.ConfigID + v.GroupID }},
		{Header: "URL PATH", Value: func(v tc.Alias) string { return "/c/" + v.Alias }},
	},
}

// Tokens are /api/tokens: by ID, or by description over the list.
var Tokens = &Resource[tc.Token]{
	Kind: "token", Path: "/api/tokens", Paged: true,
	ID: func(v tc.Token) string { return v.ID }, Name: func(v tc.Token) string { return v.Description },
	Describe: func(v tc.Token) string { return firstOf(v.Username, v.UserID) + " " + v.State },
	Lookup:   Lookup{Get: true, IDOnly: IsUUID, ByName: true},
	Columns: []Column[tc.Token]{
		{Header: "ID", Value: func(v tc.Token) string { return v.ID }},
		{Header: "DESCRIPTION", Value: func(v tc.Token) string { return v.Description }},
		{Header: "OWNER", Value: func(v tc.Token) string { return firstOf(v.Username, v.UserID) }},
		// The creator stays when a token is reassigned; "-" for tokens from
		// OWNER_TOKEN or created before tcd recorded it.
		{Header: "CREATED BY", Value: func(v tc.Token) string { return firstOf(v.CreatedByUsername, v.CreatedBy) }},
		{Header: "STATE", Value: func(v tc.Token) string { return v.State }},
		{Header: "SOURCE", Value: func(v tc.Token) string { return v.Source }},
		{Header: "HINT", Value: func(v tc.Token) string { return "…" + v.Hint }},
		{Header: "PERMISSIONS", Value: func(v tc.Token) string { return strings.Join(v.Permissions, ",") }},
		{Header: "EXPIRES", Value: func(v tc.Token) string { return cmdutil.TimePtr(v.ExpiresAt, "never") }},
		{Header: "LAST USED", Value: func(v tc.Token) string { return cmdutil.TimePtr(v.LastUsedAt, "never") }},
	},
	Filters: []Filter{{Flag: "user", Param: "userId", Usage: "only tokens of this user (ID or username)", Complete: completeUsers}},
}

// Users are /api/users: by ID or username (GET).
var Users = &Resource[tc.User]{
	Kind: "user", Path: "/api/users", Paged: true,
	ID: func(v tc.User) string { return v.ID }, Name: func(v tc.User) string { return v.Username },
	Describe: func(v tc.User) string { return string(v.Role) },
	Lookup:   Lookup{Get: true},
	Columns: []Column[tc.User]{
		{Header: "ID", Value: func(v tc.User) string { return v.ID }},
		{Header: "USERNAME", Value: func(v tc.User) string { return v.Username }},
		{Header: "EMAIL", Value: func(v tc.User) string { return v.Email }},
		{Header: "ROLE", Value: func(v tc.User) string { return string(v.Role) }},
		{Header: "STATUS", Value: func(v tc.User) string { return map[bool]string{true: "disabled", false: "active"}[v.Disabled] }},
		{Header: "CREATED", Value: func(v tc.User) string { return cmdutil.Time(v.CreatedAt) }},
	},
	Filters: []Filter{
		{Flag: "role", Param: "role", Usage: "only users with this role", Values: roleNames(true)},
		{Flag: "search", Param: "search", Usage: "only users whose username or email contains this text"},
	},
}

// Invites are /api/users/invites: by ID, or by the invited username.
var Invites = &Resource[tc.Invite]{
	Kind: "invite", Path: "/api/users/invites", Paged: true,
	ID: func(v tc.Invite) string { return v.ID }, Name: func(v tc.Invite) string { return v.Username },
	Describe: func(v tc.Invite) string { return string(v.Role) + " invite" },
	Lookup:   Lookup{ByName: true},
	Columns: []Column[tc.Invite]{
		{Header: "ID", Value: func(v tc.Invite) string { return v.ID }},
		{Header: "USERNAME", Value: func(v tc.Invite) string { return v.Username }},
		{Header: "EMAIL", Value: func(v tc.Invite) string { return v.Email }},
		{Header: "ROLE", Value: func(v tc.Invite) string { return string(v.Role) }},
		{Header: "EXPIRES", Value: func(v tc.Invite) string { return cmdutil.Time(v.ExpiresAt) }},
		{Header: "CREATED", Value: func(v tc.Invite) string { return cmdutil.Time(v.CreatedAt) }},
	},
}

// Agents are /api/agents: by ID (their Telegraf instance_id).
var Agents = &Resource[tc.Agent]{
	Kind: "agent", Path: "/api/agents", Paged: true, Segment: client.AgentSegment,
	ID:       func(v tc.Agent) string { return v.ID },
	Describe: func(v tc.Agent) string { return v.Hostname + " " + v.Status },
	Lookup:   Lookup{Get: true},
	SortKeys: []string{"id", "hostname", "status", "lastSeenAt", "createdAt", "version", "ip"},
	Columns: []Column[tc.Agent]{
		{Header: "ID", Value: func(v tc.Agent) string { return v.ID }},
		{Header: "HOSTNAME", Value: func(v tc.Agent) string { return v.Hostname }},
		{Header: "STATUS", Value: func(v tc.Agent) string { return v.Status }, Color: StatusColor},
		{Header: "LAST SEEN", Value: func(v tc.Agent) string { return cmdutil.Time(v.LastSeenAt) },
			TTYValue: func(v tc.Agent) string { return Ago(v.LastSeenAt, time.Now()) }},
		{Header: "VERSION", Value: func(v tc.Agent) string { return v.VersionNumber }},
		{Header: "IP", Value: func(v tc.Agent) string { return v.IP }},
		{Header: "LABELS", Value: func(v tc.Agent) string { return labelNames(v.Labels) }},
	},
	Filters: []Filter{
		{Flag: "status", Param: "status", Multi: true, Join: true, Values: tc.AgentStatuses, Usage: "only agents with any of these statuses"},
		{Flag: "label", Shorthand: "l", Param: "label", Multi: true, Usage: "only agents with all of these labels (ID or name)", Resolve: resolveLabel, Complete: completeLabels},
		{Flag: "search", Param: "search", Usage: "only agents whose ID, hostname or IP contains this text"},
		{Flag: "configuration", Param: "config", Usage: "only agents using this config or config group (ID, alias or name)", Resolve: resolveConfigOrGroup, Complete: completeConfigsAndGroups},
		{Flag: "rule", Param: "reportingRule", Usage: "only agents on this reporting rule (ID or name)", Resolve: resolveRule, Complete: completeRules},
		{Flag: "config-state", Param: "configState", Values: tc.ConfigStates, Usage: "only agents in this derived config state (who runs what): current, stale, fetched-not-running or unmanaged"},
		{Flag: "exposed", Param: "exposed", Bool: true, Usage: "only agents to which an unacknowledged security advisory applies (see tcctl advisory)"},
		{Flag: "severity", Param: "severity", Values: tc.Severities, Usage: "only agents exposed to an advisory of at least this severity (implies --exposed)"},
		{Flag: "advisory", Param: "advisory", Usage: "only agents this advisory (ID) applies to", Complete: completeAdvisories},
	},
}

var severityColor = map[string]string{
	tc.SeverityCritical: "\x1b[31;1m", tc.SeverityHigh: "\x1b[31m", tc.SeverityMedium: "\x1b[33m",
	tc.SeverityLow: "\x1b[36m", tc.SeverityUnknown: "\x1b[90m",
}

// SeverityColor is the colour of an advisory severity.
func SeverityColor(s string) string { return severityColor[s] }

// Advisories are /api/advisories: by ID.
var Advisories = &Resource[tc.Advisory]{
	Kind: "advisory", Plural: "advisories", Path: "/api/advisories", Paged: true,
	ID: func(v tc.Advisory) string { return v.ID }, Name: func(v tc.Advisory) string { return v.ID },
	Describe: func(v tc.Advisory) string { return v.Severity + " " + v.Summary },
	Lookup:   Lookup{Get: true},
	Columns: []Column[tc.Advisory]{
		{Header: "ID", Value: func(v tc.Advisory) string { return v.ID }},
		{Header: "SEVERITY", Value: func(v tc.Advisory) string { return v.Severity }, Color: SeverityColor},
		{Header: "AGENTS", Value: func(v tc.Advisory) string { return strconv.Itoa(v.AgentsAffected) }},
		{Header: "FIXED IN", Value: func(v tc.Advisory) string { return strings.Join(v.Fixed, ", ") }},
		{Header: "SUMMARY", Value: func(v tc.Advisory) string { return v.Summary }, TTYValue: func(v tc.Advisory) string {
			if r := []rune(v.Summary); len(r) > 80 {
				return string(r[:79]) + "…"
			}
			return v.Summary
		}},
		{Header: "STATE", Value: func(v tc.Advisory) string {
			switch {
			case v.Withdrawn != nil:
				return "withdrawn"
			case v.Acknowledgement != nil:
				return "acknowledged"
			}
			return "open"
		}},
	},
	Filters: []Filter{
		{Flag: "acknowledged", Param: "all", Bool: true, Usage: "include acknowledged and withdrawn advisories"},
		{Flag: "severity", Param: "severity", Values: tc.Severities, Usage: "only advisories of at least this severity"},
	},
}

func completeAdvisories(f *cmdutil.Factory) cobra.CompletionFunc { return Advisories.Complete(f) }

// AuditEntries are /api/audit, newest first unless --sort seq|time.
var AuditEntries = &Resource[tc.AuditEntry]{
	Kind: "audit entry", Plural: "audit entries", Path: "/api/audit", Paged: true,
	ID:       func(v tc.AuditEntry) string { return strconv.FormatInt(v.Seq, 10) },
	SortKeys: []string{"seq", "time"},
	SortQuery: func(q url.Values, key string, desc bool) {
		if key != "" && !desc {
			q.Set("order", "asc")
		}
	},
	Columns: []Column[tc.AuditEntry]{
		{Header: "SEQ", Value: func(v tc.AuditEntry) string { return strconv.FormatInt(v.Seq, 10) }},
		{Header: "TIME", Value: func(v tc.AuditEntry) string { return cmdutil.Time(v.Time) }},
		{Header: "ACTOR", Value: func(v tc.AuditEntry) string { return v.Actor }},
		{Header: "CREDENTIAL", Value: func(v tc.AuditEntry) string {
			if v.TokenID != "" {
				return v.Credential + ":" + cmdutil.TokenLabel(v.TokenID, v.TokenDescription)
			}
			return v.Credential
		}},
		{Header: "ACTION", Value: func(v tc.AuditEntry) string { return v.Action }},
		{Header: "TARGET", Value: func(v tc.AuditEntry) string { return v.Target }},
		{Header: "OUTCOME", Value: func(v tc.AuditEntry) string { return v.Outcome }},
		{Header: "STATUS", Value: func(v tc.AuditEntry) string { return strconv.Itoa(v.Status) }},
		{Header: "IP", Value: func(v tc.AuditEntry) string { return v.IP }},
	},
	Filters: []Filter{
		{Flag: "since", Param: "from", Usage: "only entries newer than this (e.g. 24h or 7d)", Parse: sinceParam},
		{Flag: "actor", Param: "actor", Usage: "only entries of this actor (username)", Complete: completeUsers},
		{Flag: "action", Param: "action", Usage: "only actions containing this text (e.g. /api/tokens)"},
		{Flag: "outcome", Param: "outcome", Usage: "only entries with this outcome", Values: []string{"success", "failure", "denied"}},
	},
}

// sinceParam turns --since 7d into the RFC 3339 time that long ago.
func sinceParam(v string) (string, error) {
	d, err := cmdutil.ParseDuration(v)
	if err != nil {
		return "", err
	}
	return time.Now().Add(-d).UTC().Format(time.RFC3339Nano), nil
}

func init() {
	labelFilter := Filter{Flag: "label", Shorthand: "l", Param: "label", Multi: true, Usage: "only those with all of these labels (ID or name)", Resolve: resolveLabel, Complete: completeLabels}
	search := Filter{Flag: "search", Param: "search", Usage: "only those whose name or description contains this text"}
	Configs.Filters = []Filter{search, labelFilter}
	Groups.Filters = []Filter{search, labelFilter}
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

func roleNames(withOwner bool) []string {
	var out []string
	for _, r := range tc.Roles {
		if r != tc.RoleOwner || withOwner {
			out = append(out, string(r))
		}
	}
	return out
}

// GrantableRoles are the roles an invite or set-role may give (not owner).
func GrantableRoles() []string { return roleNames(false) }

func resolveLabel(ctx context.Context, c *client.Client, ref string) (string, error) {
	l, err := Labels.Find(ctx, c, ref)
	return l.ID, err
}

func resolveRule(ctx context.Context, c *client.Client, ref string) (string, error) {
	r, err := Rules.Find(ctx, c, ref)
	return r.ID, err
}

// resolveConfigOrGroup finds a config, else a config group, by ID, alias
// or name.
func resolveConfigOrGroup(ctx context.Context, c *client.Client, ref string) (string, error) {
	cfg, err := Configs.Find(ctx, c, ref)
	if err == nil || !isNotFound(err) {
		return cfg.ID, err
	}
	g, err := Groups.Find(ctx, c, ref)
	if isNotFound(err) {
		return "", tc.Errorf(tc.ENotFound, "no config or config group %q", ref)
	}
	return g.ID, err
}

func completeLabels(f *cmdutil.Factory) cobra.CompletionFunc  { return Labels.Complete(f) }
func completeRules(f *cmdutil.Factory) cobra.CompletionFunc   { return Rules.Complete(f) }
func completeUsers(f *cmdutil.Factory) cobra.CompletionFunc   { return Users.Complete(f) }
func completeConfigs(f *cmdutil.Factory) cobra.CompletionFunc { return Configs.Complete(f) }

func completeConfigsAndGroups(f *cmdutil.Factory) cobra.CompletionFunc {
	return func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out := Configs.Completions(cmd.Context(), f, toComplete)
		return append(out, Groups.Completions(cmd.Context(), f, toComplete)...), cobra.ShellCompDirectiveNoFileComp
	}
}

// Completion functions for flags of the nouns.
var (
	CompleteLabels   = completeLabels
	CompleteRules    = completeRules
	CompleteUsers    = completeUsers
	CompleteConfigs  = completeConfigs
	CompleteTargets  = completeConfigsAndGroups
	ResolveLabel     = resolveLabel
	ResolveRule      = resolveRule
	ResolveConfigRef = resolveConfigOrGroup
)
