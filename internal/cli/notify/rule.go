package notify

import (
	"context"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func newCmdRule(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rule <command>",
		Short: "Manage notification rules (which events notify which receivers)",
		Long: `A rule notifies its receivers of one event kind:
  agent.not_reporting, agent.fail, agent.warn, agent.unmanaged_config
      conditions: they fire (after --for), repeat, and resolve ("back to
      normal") when they clear
  agent.new, token.expiring (--days), audit.verification_failed,
  rollout.paused, rollout.rolled_back, rollout.completed, advisory.matched
      one-off events
Events are grouped by the value of a label key (--group-by site: labels named
site=<value>) over a group window, so a site going dark is one message that
counts the agents and names the first ten. The scope is a label selector over
agents or configs (--selector 'env=prod,site in (a,b)'), or all.
<rule> arguments take an ID or a name.`,
		Example: `  tcctl notify rule create --name site-down --event agent.not_reporting --for 5m --group-by site --receiver ops-hook
  tcctl notify rule create --name expiring --event token.expiring --days 7 --receiver oncall
  tcctl notify rule edit site-down --disabled`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdRuleList(f), newCmdRuleGet(f), newCmdRuleCreate(f), newCmdRuleEdit(f), newCmdRuleDelete(f))
	return cmd
}

func printRules(w io.Writer, names map[string]string, rs ...tc.NotifyRule) error {
	t := cmdutil.NewTable(w, "ID", "NAME", "EVENT", "SCOPE", "FOR", "GROUP BY", "WINDOW", "RECEIVERS", "ENABLED")
	for _, r := range rs {
		scope := r.Scope
		if r.Selector != "" {
			scope += " " + r.Selector
		}
		recv := make([]string, len(r.Receivers))
		for i, id := range r.Receivers {
			recv[i] = id
			if n := names[id]; n != "" {
				recv[i] = n
			}
		}
		t.Row(r.ID, r.Name, r.Event, scope, seconds(r.For), orDash(r.GroupBy), seconds(r.GroupWindow), strings.Join(recv, ","), yesNo(r.Enabled))
	}
	return t.Flush()
}

// receiverNames maps receiver IDs to names for tables (best effort).
func receiverNames(ctx context.Context, c *client.Client) map[string]string {
	out := map[string]string{}
	if l, err := c.ListNotifyReceivers(ctx); err == nil {
		for _, r := range l.Items {
			out[r.ID] = r.Name
		}
	}
	return out
}

func printRule(ctx context.Context, f *cmdutil.Factory, c *client.Client, r tc.NotifyRule) error {
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, r)
	}
	return printRules(f.IOStreams.Out, receiverNames(ctx, c), r)
}

func newCmdRuleList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List notification rules",
		Aliases: []string{"ls"},
		Example: "  tcctl notify rule list",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			l, err := c.ListNotifyRules(cmd.Context())
			if err != nil {
				return err
			}
			return cmdutil.PrintList(f.IOStreams, f.Output, l, "notification rules", func(items ...tc.NotifyRule) error {
				return printRules(f.IOStreams.Out, receiverNames(cmd.Context(), c), items...)
			})
		},
	}
}

func newCmdRuleGet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get <rule>",
		Short:   "Show one notification rule",
		Example: "  tcctl notify rule get site-down -o yaml",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.GetNotifyRule(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printRule(cmd.Context(), f, c, r)
		},
	}
}

type ruleFlags struct {
	name, description, event, scope, selector, forD, groupBy, window, interval, repeat string
	receivers                                                                          []string
	days                                                                               int
	noResolved, resolved, disabled, enabled                                            bool
}

func (rf *ruleFlags) add(cmd *cobra.Command, create bool) {
	fl := cmd.Flags()
	fl.StringVar(&rf.name, "name", "", "unique name")
	fl.StringVar(&rf.description, "description", "", "what the rule is for")
	fl.StringVar(&rf.event, "event", "", "event kind: "+strings.Join(tc.EventKinds, ", "))
	fl.StringVar(&rf.scope, "scope", "", "agents, configs or all (default: agents for agent events, configs for rollouts and advisories)")
	fl.StringVar(&rf.selector, "selector", "", "label selector, e.g. 'env=prod,site in (a,b),!canary'")
	fl.StringVar(&rf.forD, "for", "", "how long a condition must hold per agent before it counts (e.g. 5m)")
	fl.StringVar(&rf.groupBy, "group-by", "", "label key to group by (labels named key=value)")
	fl.StringVar(&rf.window, "group-window", "", "how long a new group gathers before its first message (default 30s)")
	fl.StringVar(&rf.interval, "group-interval", "", "least time between messages about a group that changed (default 5m)")
	fl.StringVar(&rf.repeat, "repeat-interval", "", "re-send a group still firing after this long; 0 = never (default 4h)")
	fl.StringSliceVar(&rf.receivers, "receiver", nil, "receivers (IDs or names; comma-separated or repeated; replaces all on edit)")
	fl.IntVar(&rf.days, "days", 0, "token.expiring: warn this many days ahead (default 14)")
	fl.BoolVar(&rf.noResolved, "no-resolved", false, "send no resolved (back to normal) messages")
	fl.BoolVar(&rf.disabled, "disabled", false, "keep the rule but evaluate nothing")
	_ = cmd.RegisterFlagCompletionFunc("event", cobra.FixedCompletions(tc.EventKinds, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("scope", cobra.FixedCompletions([]string{tc.ScopeAgents, tc.ScopeConfigs, tc.ScopeAll}, cobra.ShellCompDirectiveNoFileComp))
	if create {
		_ = cmd.MarkFlagRequired("name")
		_ = cmd.MarkFlagRequired("event")
		_ = cmd.MarkFlagRequired("receiver")
	} else {
		fl.BoolVar(&rf.resolved, "resolved", false, "send resolved messages again")
		fl.BoolVar(&rf.enabled, "enabled", false, "evaluate the rule again")
	}
}

func (rf *ruleFlags) request(cmd *cobra.Command) (tc.NotifyRuleRequest, bool, error) {
	var req tc.NotifyRuleRequest
	fl := cmd.Flags()
	changed := false
	str := func(name string, v string, dst **string) {
		if fl.Changed(name) {
			s := v
			*dst = &s
			changed = true
		}
	}
	str("name", rf.name, &req.Name)
	str("description", rf.description, &req.Description)
	str("event", rf.event, &req.Event)
	str("scope", rf.scope, &req.Scope)
	str("selector", rf.selector, &req.Selector)
	str("group-by", rf.groupBy, &req.GroupBy)
	for _, d := range []struct {
		name, v string
		dst     **int64
	}{{"for", rf.forD, &req.For}, {"group-window", rf.window, &req.GroupWindow}, {"group-interval", rf.interval, &req.GroupInterval}, {"repeat-interval", rf.repeat, &req.RepeatInterval}} {
		if !fl.Changed(d.name) {
			continue
		}
		s, err := durationFlag(d.name, d.v)
		if err != nil {
			return req, false, err
		}
		*d.dst = &s
		changed = true
	}
	if fl.Changed("days") {
		req.Days = &rf.days
		changed = true
	}
	if fl.Changed("receiver") {
		r := rf.receivers
		req.Receivers = &r
		changed = true
	}
	if rf.noResolved && rf.resolved {
		return req, false, cmdutil.FlagErrorf("give either --resolved or --no-resolved")
	}
	if rf.noResolved || rf.resolved {
		v := rf.resolved
		req.SendResolved = &v
		changed = true
	}
	if rf.disabled && rf.enabled {
		return req, false, cmdutil.FlagErrorf("give either --enabled or --disabled")
	}
	if rf.disabled || rf.enabled {
		v := rf.enabled
		req.Enabled = &v
		changed = true
	}
	return req, changed, nil
}

func newCmdRuleCreate(f *cmdutil.Factory) *cobra.Command {
	rf := &ruleFlags{}
	cmd := &cobra.Command{
		Use:   "create --name N --event E --receiver R ...",
		Short: "Create a notification rule",
		Example: `  tcctl notify rule create --name site-down --event agent.not_reporting --for 5m --group-by site --receiver ops-hook,am
  tcctl notify rule create --name failing-prod --event agent.fail --selector env=prod --for 10m --receiver chat
  tcctl notify rule create --name new-agents --event agent.new --group-window 5m --receiver chat`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, _, err := rf.request(cmd)
			if err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.CreateNotifyRule(cmd.Context(), req)
			if err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "Notification rule %s created", r.Name)
			return printRule(cmd.Context(), f, c, r)
		},
	}
	rf.add(cmd, true)
	return cmd
}

func newCmdRuleEdit(f *cmdutil.Factory) *cobra.Command {
	rf := &ruleFlags{}
	cmd := &cobra.Command{
		Use:   "edit <rule>",
		Short: "Change a notification rule",
		Long: `Change a rule; flags not given stay as they are. Changing what a rule
watches (event, scope, selector, --for, --group-by) starts it over: groups
it has open are dropped without resolved messages.`,
		Example: "  tcctl notify rule edit site-down --for 10m --receiver ops-hook\n  tcctl notify rule edit site-down --disabled",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			req, changed, err := rf.request(cmd)
			if err != nil {
				return err
			}
			if !changed {
				return cmdutil.FlagErrorf("nothing to change: give at least one flag (see --help)")
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.UpdateNotifyRule(cmd.Context(), args[0], req)
			if err != nil {
				return err
			}
			return printRule(cmd.Context(), f, c, r)
		},
	}
	rf.add(cmd, false)
	return cmd
}

func newCmdRuleDelete(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDeleteCmd(f, cmdutil.DeleteSpec{
		Use:     "delete <rule>",
		Short:   "Delete a notification rule",
		Long:    "Delete a rule. Notifications it already decided are still delivered. Asks on a terminal; elsewhere --yes is required.",
		Example: "  tcctl notify rule delete site-down --yes",
		Resolve: func(ctx context.Context, c *client.Client, arg string) (string, func() error, error) {
			r, err := c.GetNotifyRule(ctx, arg)
			if err != nil {
				return "", nil, err
			}
			return r.Name, func() error { return c.DeleteNotifyRule(ctx, r.ID) }, nil
		},
		Question: "Delete notification rule %s?",
		Done:     "Notification rule %s deleted",
	})
}
