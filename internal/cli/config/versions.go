package config

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// NewCmdGet builds `tcctl config get`.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	var tomlOnly bool
	return resource.NewObjectCmd(f, resource.Configs, resource.ObjectSpec[tc.Config]{
		Help: resource.Help{Use: "get <config>", Short: "Show one configuration",
			Long:    "Show a configuration by ID, alias or name, with who runs what: how many agents last fetched each version (agents that fetch with ?agent_id=) and their derived config states. --toml prints only its stored TOML template. Exits with 3 if there is no such config.",
			Example: "  tcctl config get web\n  tcctl config get web -o json\n  tcctl config get web --toml > web.toml"},
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().BoolVar(&tomlOnly, "toml", false, "print only the stored TOML template")
		},
		Run: func(cmd *cobra.Command, c *client.Client, cfg tc.Config, args []string) error {
			if tomlOnly {
				return cmdutil.WriteText(f.IOStreams, cfg.TOML)
			}
			if err := resource.Configs.Print(cmd.Context(), f, cfg); err != nil || f.Output.Structured() {
				return err
			}
			sv, err := c.ConfigServing(cmd.Context(), cfg.ID)
			if err != nil {
				return err
			}
			return printServing(f, cfg, sv)
		},
	})
}

// printServing shows agents per version served and by derived state.
func printServing(f *cmdutil.Factory, cfg tc.Config, sv tc.ConfigServing) error {
	out := f.IOStreams.Out
	if len(sv.Versions) == 0 {
		fmt.Fprintln(out, "\nAgents per version: none recorded (agents fetching with ?agent_id=<id> are)")
		return nil
	}
	fmt.Fprintln(out, "\nAgents per version:")
	t := cmdutil.NewTable(f.IOStreams, "VERSION", "AGENTS")
	for _, v := range sv.Versions {
		ver := fmt.Sprint(v.Version)
		if v.Version == cfg.Version {
			ver += " (current)"
		}
		t.Row(ver, cmdutil.Thousands(v.Agents))
	}
	if err := t.Flush(); err != nil {
		return err
	}
	var parts []string
	for _, st := range tc.ConfigStates {
		if n := sv.States[st]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s %s", cmdutil.Thousands(n), st))
		}
	}
	fmt.Fprintf(out, "Config states: %s\n", strings.Join(parts, ", "))
	return nil
}

// NewCmdDiff builds `tcctl config diff`.
func NewCmdDiff(f *cmdutil.Factory) *cobra.Command {
	var from, to int
	return resource.NewObjectCmd(f, resource.Configs, resource.ObjectSpec[tc.Config]{
		Help: resource.Help{Use: "diff <config>", Short: "Show the unified diff between two versions",
			Long: `Show the unified diff from version --from to version --to, with 3 lines of
context, as diff -u prints it. Defaults: --to is the current version, --from
the one before it. Prints nothing when the two are equal.`,
			Example: "  tcctl config diff web --from 1 --to 2\n  tcctl config diff web"},
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().IntVar(&from, "from", 0, "base version (default: the one before --to)")
			cmd.Flags().IntVar(&to, "to", 0, "target version (default: the current version)")
		},
		Run: func(cmd *cobra.Command, c *client.Client, cfg tc.Config, args []string) error {
			if from < 0 || to < 0 {
				return cmdutil.FlagErrorf("--from and --to are version numbers (1 or more)")
			}
			to, from := to, from
			if to == 0 {
				to = cfg.Version
			}
			if from == 0 {
				from = to - 1
			}
			if from < 1 {
				return fmt.Errorf("config %s has only version %d: nothing to compare", cmdutil.Safe(cfg.Name), to)
			}
			d, err := c.DiffConfig(cmd.Context(), cfg.ID, from, to)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, d)
			}
			return cmdutil.WriteText(f.IOStreams, d.Diff)
		},
	})
}

// NewCmdRollback builds `tcctl config rollback`.
func NewCmdRollback(f *cmdutil.Factory) *cobra.Command {
	var note string
	return resource.NewObjectCmd(f, resource.Configs, resource.ObjectSpec[tc.Config]{
		Args: 2,
		Help: resource.Help{Use: "rollback <config> <version>", Short: "Make an earlier version current again (as a new version)",
			Long: `Restore the TOML of an earlier version. History is never rewritten: the
restored TOML becomes a new version, with --note or "Rollback to version N".`,
			Example: "  tcctl config rollback web 1\n  tcctl config rollback web 3 --note \"undo bad output\""},
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().StringVar(&note, "note", "", "note of the new version")
		},
		Run: func(cmd *cobra.Command, c *client.Client, cur tc.Config, args []string) error {
			n, err := strconv.Atoi(args[1])
			if err != nil || n < 1 {
				return cmdutil.FlagErrorf("version must be a number of 1 or more, not %q", args[1])
			}
			req := tc.RollbackRequest{Version: n}
			if note != "" {
				req.Note = &note
			}
			cfg, err := c.RollbackConfig(cmd.Context(), cur.ID, req)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, cfg)
			}
			if cfg.Version == cur.Version {
				fmt.Fprintf(f.IOStreams.Out, "unchanged %s (version %d already has the TOML of version %d)\n", cmdutil.Safe(cfg.Name), cfg.Version, n)
				return nil
			}
			fmt.Fprintf(f.IOStreams.Out, "rolled back %s to version %d as version %d\n", cmdutil.Safe(cfg.Name), n, cfg.Version)
			return nil
		},
	})
}

// NewCmdPrune builds `tcctl config prune`.
func NewCmdPrune(f *cmdutil.Factory) *cobra.Command {
	var before int
	var yes bool
	return resource.NewObjectCmd(f, resource.Configs, resource.ObjectSpec[tc.Config]{
		Help: resource.Help{Use: "prune <config> --before N", Short: "Delete old versions of a configuration",
			Long: `Delete the versions numbered below N. The current version is never
deleted (so neither is the only one), nor are the versions a queued,
running or paused rollout moves from or to: they are listed as kept.
Asks for confirmation on a terminal; elsewhere --yes is required.`,
			Example: "  tcctl config prune web --before 10 --yes"},
		Flags: func(cmd *cobra.Command) {
			cmd.Flags().IntVar(&before, "before", 0, "delete versions numbered below this one")
			cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
		},
		Run: func(cmd *cobra.Command, c *client.Client, cfg tc.Config, args []string) error {
			if before < 1 {
				return cmdutil.FlagErrorf("--before N is required (a version number)")
			}
			if err := cmdutil.Confirm(cmd.Context(), f.IOStreams, yes, fmt.Sprintf("Delete the versions of %s before version %d?", cmdutil.Safe(cfg.Name), before)); err != nil {
				return err
			}
			res, err := c.PruneVersions(cmd.Context(), cfg.ID, before)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res)
			}
			fmt.Fprintf(f.IOStreams.Out, "deleted %d version(s) of %s\n", res.Deleted, cmdutil.Safe(cfg.Name))
			if len(res.Kept) > 0 {
				fmt.Fprintf(f.IOStreams.Out, "kept version(s) %s: a rollout of %s moves from or to them (tcctl rollout status %s)\n",
					joinInts(res.Kept), cmdutil.Safe(cfg.Name), cmdutil.Safe(cfg.Name))
			}
			return nil
		},
	})
}

// joinInts formats version numbers as "1, 2, 5".
func joinInts(vs []int) string {
	parts := make([]string, len(vs))
	for i, v := range vs {
		parts[i] = strconv.Itoa(v)
	}
	return strings.Join(parts, ", ")
}
