package config

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// PushOptions are the inputs of `tcctl config push`.
type PushOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Name        string
	File        string
	Note        string
	Description string
	Labels      []string
	EnvHandling string
	// Rollout stages a changed TOML as a new version and rolls it out
	// (default stages and gates), queued behind a running rollout.
	Rollout bool
}

// PushResult is what push prints with -o json|yaml.
type PushResult struct {
	// Result is created, updated, unchanged or rollout.
	Result string    `json:"result"`
	Config tc.Config `json:"config"`
	// Rollout is the rollout started or queued (--rollout).
	Rollout *tc.Rollout `json:"rollout,omitempty"`
}

// NewCmdPush builds `tcctl config push`.
func NewCmdPush(f *cmdutil.Factory) *cobra.Command {
	opts := &PushOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "push",
		Short: "Create or update a configuration by name from a TOML file (for CI)",
		Long: `Create the configuration named --name from a TOML file, or update its TOML
if it exists. Prints one line: "created <name> (version 1)", "updated <name>
to version N", or "unchanged <name> (version N)" when the TOML is identical
(no version is created). Exits 0 in all three cases.

A file Telegraf would not load exits 1 with "FILE:LINE:COLUMN: …" on
stderr and stores nothing (as does a change that would break a config
group the config is in); a file that is not UTF-8 is refused before
anything is sent. Lint warnings (unknown plugins, options that crash
agents, a heartbeat URL that is not this tcd's) are printed on stderr as
"FILE:LINE:COLUMN: warning: …" and do not fail the push. --label labels are
assigned (never removed) and must exist ("tcctl label create"; a missing
one exits 3 before anything is stored); --note is the new version's note
(e.g. a commit hash).

While a rollout of the config runs, a push that changes the TOML is refused;
--rollout instead stores it as a new version served to nobody yet and rolls
it out in stages (default stages and gates; queued behind a running rollout):
see tcctl rollout.`,
		Example: `  tcctl config push --name web -f web.toml --note "$GIT_SHA"
  tcctl config push --name web -f web.toml --rollout
  TCCTL_URL=http://tcd:8888 TCCTL_TOKEN=$TOKEN tcctl config push --name web -f web.toml -o json`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Name == "" {
				return cmdutil.FlagErrorf("--name is required")
			}
			return pushRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Name, "name", "", "config name")
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "TOML file (- for stdin)")
	cmd.Flags().StringVar(&opts.Note, "note", "", "note of the new version (at most 1000 characters)")
	cmd.Flags().StringVar(&opts.Description, "description", "", "description (set on create, changed on update when given)")
	cmd.Flags().BoolVar(&opts.Rollout, "rollout", false, "roll a changed TOML out in stages (tcctl rollout) instead of serving it to every agent at once")
	cmd.Flags().StringArrayVar(&opts.Labels, "label", nil, "label ID or name to assign (repeatable)")
	cmd.Flags().StringVar(&opts.EnvHandling, "env-handling", "", "how the agents handle ${VAR}: strict or nonstrict (--non-strict-env-handling); default tcd's setting")
	_ = cmd.RegisterFlagCompletionFunc("label", resource.Labels.Complete(f))
	_ = cmd.RegisterFlagCompletionFunc("name", resource.Configs.Complete(f))
	_ = cmd.RegisterFlagCompletionFunc("env-handling", cobra.FixedCompletions([]string{"strict", "nonstrict"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func pushRun(ctx context.Context, opts *PushOptions) error {
	toml, err := readTOML(opts.IO, opts.File)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	// Labels must exist: say so before anything is stored.
	if _, missing, err := resource.Labels.FindAll(ctx, c, opts.Labels); err != nil {
		return err
	} else if len(missing) > 0 {
		return fmt.Errorf("%w: nothing was pushed; create it first: tcctl label create --name %s", resource.Labels.Missing(missing), missing[0])
	}
	list, err := c.ListConfigs(ctx, client.ConfigFilter{Name: opts.Name})
	if err != nil {
		return err
	}
	var res PushResult
	if len(list.Items) == 0 {
		cfg, err := c.CreateConfig(ctx, tc.CreateConfigRequest{Name: opts.Name, TOML: toml, Note: opts.Note, Description: opts.Description, Labels: opts.Labels, EnvHandling: opts.EnvHandling})
		if err != nil {
			return tomlError(opts.File, err)
		}
		res = PushResult{Result: "created", Config: cfg}
	} else {
		cur := list.Items[0]
		req := tc.UpdateConfigRequest{TOML: &toml}
		if opts.Note != "" {
			req.Note = &opts.Note
		}
		if opts.Description != "" && opts.Description != cur.Description {
			req.Description = &opts.Description
		}
		if opts.EnvHandling != "" && opts.EnvHandling != cur.EnvHandling {
			req.EnvHandling = &opts.EnvHandling
		}
		cfg := cur
		if opts.Rollout && toml != cur.TOML {
			r, err := c.StartRollout(ctx, tc.StartRolloutRequest{Config: cur.ID, TOML: &toml, Note: opts.Note, Queue: true})
			if err != nil {
				return tomlError(opts.File, err)
			}
			res = PushResult{Result: "rollout", Config: cur, Rollout: &r}
			if opts.Format.Structured() {
				return cmdutil.PrintStructured(opts.IO.Out, opts.Format, res)
			}
			verb := "started"
			if r.State == tc.RolloutQueued {
				verb = "queued"
			}
			fmt.Fprintf(opts.IO.Out, "staged %s version %d: rollout %s %s (tcctl rollout status %s -w)\n", cmdutil.Safe(cur.Name), r.To, r.ID, verb, cmdutil.Safe(cur.Name))
			return nil
		}
		if toml != cur.TOML || req.Description != nil || req.EnvHandling != nil {
			if cfg, err = c.UpdateConfig(ctx, cur.ID, req); err != nil {
				return tomlError(opts.File, err)
			}
		}
		if len(opts.Labels) > 0 {
			if err := c.SetConfigLabels(ctx, true, tc.BulkLabelsRequest{IDs: []string{cfg.ID}, LabelIDs: opts.Labels}); err != nil {
				return err
			}
			if cfg, err = c.GetConfig(ctx, cfg.ID); err != nil {
				return err
			}
		}
		res = PushResult{Result: "unchanged", Config: cfg}
		if cfg.Version != cur.Version {
			res.Result = "updated"
		}
	}
	printWarnings(opts.IO.ErrOut, opts.File, res.Config.ID, res.Config.Warnings)
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, res)
	}
	switch res.Result {
	case "created":
		fmt.Fprintf(opts.IO.Out, "created %s (version %d)\n", cmdutil.Safe(res.Config.Name), res.Config.Version)
	case "updated":
		fmt.Fprintf(opts.IO.Out, "updated %s to version %d\n", cmdutil.Safe(res.Config.Name), res.Config.Version)
	default:
		fmt.Fprintf(opts.IO.Out, "unchanged %s (version %d)\n", cmdutil.Safe(res.Config.Name), res.Config.Version)
	}
	return nil
}
