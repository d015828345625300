// Package notify holds `tcctl notify …`: notification receivers (where
// notifications go), rules (which events notify whom) and the delivery log.
// One file per noun.
package notify

import (
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdNotify builds the `tcctl notify` noun and its sub-nouns.
func NewCmdNotify(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify <command>",
		Short: "Manage notifications: receivers, rules and the delivery log",
		Long: `Notifications tell people when agents go silent or fail, new agents appear,
tokens are about to expire, the audit chain breaks, or rollouts and advisories
need attention. A rule picks an event kind, a scope (a label selector over
agents or configs, or everything), a minimum duration, how to group (by a
label, over a group window) and its receivers: a signed webhook, a Slack-
compatible webhook, Prometheus Alertmanager or email. Undelivered notifications
are retried from a durable outbox; every attempt is in the delivery log.
Needs notifications:read / notifications:write (administrators and the owner).
See docs/notifications.md.`,
		Example: `  printf '%s\n' "$HOOK_SECRET" | tcctl notify receiver create --name ops-hook --kind webhook --url https://hooks.example.com/tc --secret-stdin
  tcctl notify rule create --name site-down --event agent.not_reporting --selector 'env=prod' --for 5m --group-by site --receiver ops-hook
  tcctl notify log --receiver ops-hook --since 24h`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdReceiver(f), newCmdRule(f), newCmdLog(f))
	return cmd
}

// durationFlag parses 90s, 15m, 2h, 30d or 2w (or 0) into whole seconds.
func durationFlag(name, v string) (int64, error) {
	if strings.TrimSpace(v) == "0" {
		return 0, nil
	}
	d, err := tc.ParseExpiresIn(v)
	if err != nil || d%time.Second != 0 {
		return 0, cmdutil.FlagErrorf("--%s %q is not a duration such as 30s, 5m, 4h or 2d", name, v)
	}
	return int64(d / time.Second), nil
}

func seconds(s int64) string {
	if s == 0 {
		return "0"
	}
	return (time.Duration(s) * time.Second).String()
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}
