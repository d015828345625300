package alias

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// AddOptions are the inputs of `tcctl alias add`.
type AddOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Alias, Target string
	Group         bool
	Transfer      bool
}

// NewCmdAdd builds `tcctl alias add`.
func NewCmdAdd(f *cmdutil.Factory) *cobra.Command {
	opts := &AddOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "add <alias> <config|group>",
		Short: "Point an alias at a configuration or a config group",
		Long: `Create an alias for a configuration, or with --group for a config group
(by ID, alias or name). An alias that already names something else is moved
only with --transfer; agents using it get the new target at their next
reload.`,
		Example: "  tcctl alias add web-prod web\n  tcctl alias add web-prod fleet --group --transfer",
		Args:    cmdutil.ExactArgs(2),
		ValidArgsFunction: func(cmd *cobra.Command, args []string, toComplete string) ([]cobra.Completion, cobra.ShellCompDirective) {
			switch len(args) {
			case 0:
				return resource.Aliases.Complete(f)(cmd, args, toComplete)
			case 1:
				return resource.CompleteTargets(f)(cmd, args, toComplete)
			}
			return nil, cobra.ShellCompDirectiveNoFileComp
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Alias, opts.Target = f.Output, args[0], args[1]
			return addRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Group, "group", false, "the target is a config group")
	cmd.Flags().BoolVar(&opts.Transfer, "transfer", false, "move the alias if it names something else")
	return cmd
}

func addRun(ctx context.Context, opts *AddOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	req := tc.AliasRequest{Transfer: opts.Transfer}
	if !opts.Group {
		cfg, err := resource.Configs.Find(ctx, c, opts.Target)
		if err != nil {
			return err
		}
		req.ConfigID = cfg.ID
	} else {
		g, err := resource.Groups.Find(ctx, c, opts.Target)
		if err != nil {
			return err
		}
		req.GroupID = g.ID
	}
	a, err := c.PutAlias(ctx, opts.Alias, req)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, a)
	}
	cmdutil.Successf(opts.IO, "Alias %s now serves %s at /c/%s", a.Alias, c.BaseURL(), a.Alias)
	return nil
}
