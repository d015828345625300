// Package rollout holds `tcctl rollout …`: staged rollouts of a config
// version with health gates and automatic rollback.
package rollout

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/internal/rollouts"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdRollout builds the `tcctl rollout` noun and its verbs.
func NewCmdRollout(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rollout <command>",
		Short: "Roll a config version out in stages, gated on agent health",
		Long: `A rollout moves one config from its current version N to version M in
stages. Agents that fetch with ?agent_id=<their heartbeat id> are served N
or M according to their stage, with the Last-Modified of the version they
get, so only the current stage reloads. Agents without an identity get M
only in the last stage.

Between stages a gate must pass: every agent of the stage fetched M and sent
--heartbeats heartbeats since, no more than --max-failures of them report
fail or stop reporting, and --wait has passed. A gate that fails (or
--timeout) pauses the rollout; with --auto-rollback the stage is served N
again. See docs/rollouts.md.

<config> arguments take a config ID, alias or name; <rollout> a rollout ID
or a config (its current or newest rollout).`,
		Example: `  tcctl rollout start web --to 7 --stages 1,10%,50%,100% --auto-rollback
  tcctl config push --name web -f web.toml --rollout
  tcctl rollout status web -w
  tcctl rollout pause web
  tcctl rollout abort web
  tcctl rollout history web`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdStart(f), newCmdStatus(f), newCmdAction(f, "pause", "Pause a running rollout where it is", "Agents keep the version they have; no stage starts until resume."),
		newCmdAction(f, "resume", "Resume a paused rollout", "The stage's gate is evaluated again from now; a rolled-back stage is served the new version again (agents reload)."),
		newCmdAction(f, "abort", "Abort a rollout: every agent is served the old version again", "Every agent is served the version the rollout started from, with a Last-Modified newer than anything served during it (agents on it reload once)."),
		newCmdHistory(f))
	return cmd
}

// configID resolves a config reference (ID, alias or name) to its ID.
func configID(ctx context.Context, c *client.Client, ref string) (string, error) {
	cfg, err := resource.Configs.Find(ctx, c, ref)
	if err != nil {
		return "", err
	}
	return cfg.ID, nil
}

// rolloutRef resolves a rollout ID or config reference.
func rolloutRef(ctx context.Context, c *client.Client, ref string) string {
	if id, err := configID(ctx, c, ref); err == nil {
		return id
	}
	return ref
}

func newCmdStart(f *cmdutil.Factory) *cobra.Command {
	var (
		to                  int
		stages, selector    string
		heartbeats, maxFail int
		wait, timeout       string
		autoRollback, queue bool
	)
	cmd := &cobra.Command{
		Use:   "start <config> --to VERSION",
		Short: "Start a staged rollout of a config to a version",
		Long: `Start rolling <config> out from its current version to --to (an existing
version: see tcctl config versions; tcctl config push --rollout stages a new
one). --stages is a comma list: N (N more agents), N% (the config's agents up
to that share, chosen by a stable hash of their ID), agents=a|b (explicit
IDs). --selector adds a first stage of the agents whose labels match the
selector (key=value, key!=value, key in (a,b), key, !key). The last stage
always covers every agent (100% is added when missing). Default stages:
1,10%,50%,100%. A config group has no versions and is not rolled out: roll
out one of its member configs, and agents fetching the group get its stages.`,
		Example: `  tcctl rollout start web --to 7
  tcctl rollout start web --to 7 --stages 1,50%,100% --heartbeats 3 --max-failures 1 --wait 5m --auto-rollback
  tcctl rollout start web --to 7 --selector 'site=canary' --stages 100%`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if to < 1 {
				return cmdutil.FlagErrorf("--to VERSION is required (a version number; see tcctl config versions %s)", args[0])
			}
			st, err := rollouts.ParseStages(stages)
			if err != nil {
				return cmdutil.FlagErrorf("--stages: %v", err)
			}
			if selector != "" {
				st = append([]tc.RolloutStage{{Selector: selector}}, st...)
				if len(st) == 1 {
					st = append(st, rollouts.DefaultStages()[1:]...)
				}
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			id, err := configID(cmd.Context(), c, args[0])
			if err != nil {
				if g, gerr := resource.Groups.Find(cmd.Context(), c, args[0]); gerr == nil {
					return rollouts.GroupRolloutError(g)
				}
				return err
			}
			req := tc.StartRolloutRequest{Config: id, To: to, Stages: st, Wait: wait, Timeout: timeout, AutoRollback: autoRollback, Queue: queue}
			if cmd.Flags().Changed("heartbeats") {
				req.Heartbeats = &heartbeats
			}
			if cmd.Flags().Changed("max-failures") {
				req.MaxFailures = &maxFail
			}
			r, err := c.StartRollout(cmd.Context(), req)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, r)
			}
			if r.State == tc.RolloutQueued {
				fmt.Fprintf(f.IOStreams.Out, "rollout %s of %s to version %d queued behind the running one\n", r.ID, cmdutil.Safe(r.ConfigName), r.To)
				return nil
			}
			fmt.Fprintf(f.IOStreams.Out, "rollout %s of %s: version %d to %d, stage 1 of %d started (tcctl rollout status %s -w)\n",
				r.ID, cmdutil.Safe(r.ConfigName), r.From, r.To, len(r.Stages), cmdutil.Safe(r.ConfigName))
			return nil
		},
	}
	fl := cmd.Flags()
	fl.IntVar(&to, "to", 0, "version to roll out (required)")
	fl.StringVar(&stages, "stages", "", "stages: N, N%, agents=a|b, comma-separated (default 1,10%,50%,100%)")
	fl.StringVar(&selector, "selector", "", "label selector of a first stage")
	fl.IntVar(&heartbeats, "heartbeats", rollouts.DefaultHeartbeats, "heartbeats each agent of a stage sends after fetching the new version")
	fl.IntVar(&maxFail, "max-failures", 0, "agents of a stage that may report fail or stop reporting")
	fl.StringVar(&wait, "wait", "", "minimum time each stage lasts (e.g. 5m)")
	fl.StringVar(&timeout, "timeout", "", "time a stage has to pass its gate before the rollout pauses (default 30m)")
	fl.BoolVar(&autoRollback, "auto-rollback", false, "when a gate fails, serve the stage the old version again")
	fl.BoolVar(&queue, "queue", false, "queue behind a running rollout of the config instead of failing")
	return cmd
}

func newCmdStatus(f *cmdutil.Factory) *cobra.Command {
	var watch bool
	var interval time.Duration
	cmd := &cobra.Command{
		Use:   "status [<config>|<rollout>]",
		Short: "Show a rollout's progress per stage (-w to follow it)",
		Long: `Show a rollout and the progress of each stage: its agents, how many fetched
the new version, how many are healthy since (the gate) and how many failed.
Without an argument, every rollout that is queued, running or paused.
-w follows until the rollout completes, pauses or is aborted: on a terminal
the table is redrawn in place; in a pipe a new table is printed whenever
something changed.`,
		Example: `  tcctl rollout status web
  tcctl rollout status web -w
  tcctl rollout status -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			ctx := cmd.Context()
			if len(args) == 0 {
				l, err := c.ListRollouts(ctx, "", true, 0)
				if err != nil {
					return err
				}
				if f.Output.Structured() {
					return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, l.Items)
				}
				if len(l.Items) == 0 {
					fmt.Fprintln(f.IOStreams.ErrOut, "no rollout is queued, running or paused (see tcctl rollout history)")
					return nil
				}
				for i, r := range l.Items {
					if i > 0 {
						fmt.Fprintln(f.IOStreams.Out)
					}
					if err := printStatus(f.IOStreams, r); err != nil {
						return err
					}
				}
				return nil
			}
			ref := rolloutRef(ctx, c, args[0])
			var last string
			lines := 0
			for {
				r, err := c.GetRollout(ctx, ref)
				if err != nil {
					return err
				}
				if f.Output.Structured() && !watch {
					return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, r)
				}
				var buf bytes.Buffer
				// The same terminal settings, writing to buf (a frame is
				// compared with the previous one before it is drawn).
				sub := &iostreams.IOStreams{Out: &buf, ErrOut: f.IOStreams.ErrOut, OutTTY: f.IOStreams.OutTTY, ErrTTY: f.IOStreams.ErrTTY, Getenv: f.IOStreams.Getenv}
				if f.Output.Structured() {
					err = cmdutil.PrintStructured(&buf, f.Output, r)
				} else {
					err = printStatus(sub, r)
				}
				if err != nil {
					return err
				}
				if s := buf.String(); s != last {
					if f.IOStreams.IsStdoutTTY() && lines > 0 {
						fmt.Fprintf(f.IOStreams.Out, "\x1b[%dA\x1b[J", lines) // redraw in place
					} else if last != "" {
						fmt.Fprintln(f.IOStreams.Out)
					}
					fmt.Fprint(f.IOStreams.Out, s)
					last, lines = s, strings.Count(s, "\n")
				}
				if !watch || r.State != tc.RolloutRunning && r.State != tc.RolloutQueued {
					return nil
				}
				select {
				case <-ctx.Done():
					return ctx.Err()
				case <-time.After(interval):
				}
			}
		},
	}
	cmd.Flags().BoolVarP(&watch, "watch", "w", false, "follow the rollout until it completes, pauses or is aborted")
	cmd.Flags().DurationVar(&interval, "interval", 2*time.Second, "how often -w asks tcd")
	return cmd
}

func printStatus(ios *iostreams.IOStreams, r tc.Rollout) error {
	state := r.State
	if r.RolledBack {
		state += " (rolled back)"
	}
	fields := [][2]string{
		{"Rollout", r.ID},
		{"Config", fmt.Sprintf("%s: version %d to %d", r.ConfigName, r.From, r.To)},
		{"State", state},
		{"Stage", fmt.Sprintf("%d of %d since %s", r.Stage+1, len(r.Stages), cmdutil.Time(r.StageStartedAt))},
		{"Gate", fmt.Sprintf("%d heartbeats after the fetch, at most %d failures, wait %s, timeout %s, auto-rollback %v", r.Heartbeats, r.MaxFailures, r.Wait, r.Timeout, r.AutoRollback)},
	}
	if r.Reason != "" {
		fields = append(fields, [2]string{"Reason", r.Reason})
	}
	if _, err := fmt.Fprint(ios.Out, cmdutil.Fields(fields)); err != nil {
		return err
	}
	fmt.Fprintln(ios.Out)
	t := cmdutil.NewTable(ios, "STAGE", "SELECTS", "STATE", "AGENTS", "FETCHED", "HEALTHY", "FAILED")
	for _, s := range r.Stages {
		t.Row(fmt.Sprint(s.Index+1), rollouts.StageString(s.Stage), s.State, fmt.Sprint(s.Agents), fmt.Sprint(s.Fetched), fmt.Sprint(s.Healthy), fmt.Sprint(s.Failed))
	}
	return t.Flush()
}

func newCmdAction(f *cmdutil.Factory, action, short, long string) *cobra.Command {
	var reason string
	cmd := &cobra.Command{
		Use:               action + " <config>|<rollout>",
		Short:             short,
		Long:              short + ". " + long,
		Example:           fmt.Sprintf("  tcctl rollout %s web\n  tcctl rollout %s web --reason \"see incident 42\"", action, action),
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.RolloutAction(cmd.Context(), rolloutRef(cmd.Context(), c, args[0]), action, reason)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, r)
			}
			fmt.Fprintf(f.IOStreams.Out, "rollout %s of %s is %s (stage %d of %d)\n", r.ID, cmdutil.Safe(r.ConfigName), r.State, r.Stage+1, len(r.Stages))
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why (kept in the rollout's history)")
	return cmd
}

func newCmdHistory(f *cmdutil.Factory) *cobra.Command {
	var limit int
	cmd := &cobra.Command{
		Use:   "history [<config>]",
		Short: "List rollouts, newest first",
		Long:  "List rollouts (of one config, or all), newest first, with their outcome. tcctl rollout status <rollout> shows one with its events.",
		Example: `  tcctl rollout history
  tcctl rollout history web -o json`,
		Args:              cobra.MaximumNArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			cfg := ""
			if len(args) == 1 {
				if cfg, err = configID(cmd.Context(), c, args[0]); err != nil {
					return err
				}
			}
			l, err := c.ListRollouts(cmd.Context(), cfg, false, limit)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, l.Items)
			}
			t := cmdutil.NewTable(f.IOStreams, "ID", "CONFIG", "FROM", "TO", "STATE", "STAGE", "STARTED", "FINISHED", "BY", "REASON")
			for _, r := range l.Items {
				fin := "-"
				if r.FinishedAt != nil {
					fin = cmdutil.Time(*r.FinishedAt)
				}
				t.Row(r.ID, r.ConfigName, fmt.Sprint(r.From), fmt.Sprint(r.To), r.State, fmt.Sprintf("%d/%d", r.Stage+1, len(r.Stages)), cmdutil.Time(r.CreatedAt), fin, r.CreatedBy, r.Reason)
			}
			return t.Flush()
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 50, "most rollouts to list (0: all)")
	return cmd
}
