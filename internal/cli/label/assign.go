package label

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// AssignOptions are the inputs of `tcctl label assign` and `unassign`.
type AssignOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Assign  bool
	Labels  []string
	Configs []string
	Groups  []string
	Agents  []string
}

// NewCmdAssign builds `tcctl label assign` (assign=true) or `unassign`.
func NewCmdAssign(f *cmdutil.Factory, assign bool) *cobra.Command {
	opts := &AssignOptions{IO: f.IOStreams, Client: f.Client, Assign: assign}
	use, short, long, example := "assign", "Assign labels to configurations, config groups and agents",
		"Assign one or more labels (IDs or names) to the configurations given with --configs, the config groups given with --groups and the agents given with --agents (comma-separated or repeated; IDs, aliases or names; agents by ID). Existing assignments stay.",
		"  tcctl label assign production --configs web,db\n  tcctl label assign production eu --groups fleet\n  tcctl label assign edge --agents edge-01,edge-02"
	if !assign {
		use, short, long, example = "unassign", "Remove labels from configurations, config groups and agents",
			"Remove one or more labels from the configurations given with --configs, the config groups given with --groups and the agents given with --agents.",
			"  tcctl label unassign production --configs web"
	}
	cmd := &cobra.Command{
		Use:     use + " <label>... [--configs <config>,...] [--groups <group>,...] [--agents <agent>,...]",
		Short:   short,
		Long:    long,
		Example: example,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("missing argument: give at least one label")
			}
			if len(opts.Configs) == 0 && len(opts.Groups) == 0 && len(opts.Agents) == 0 {
				return cmdutil.FlagErrorf("give at least one of --configs, --groups and --agents")
			}
			opts.Labels = args
			return assignRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringSliceVar(&opts.Configs, "configs", nil, "configurations (comma-separated or repeated)")
	cmd.Flags().StringSliceVar(&opts.Groups, "groups", nil, "config groups (comma-separated or repeated)")
	cmd.Flags().StringSliceVar(&opts.Agents, "agents", nil, "agent IDs (comma-separated or repeated)")
	return cmd
}

func assignRun(ctx context.Context, opts *AssignOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	var cfgIDs, groupIDs []string
	for _, ref := range opts.Configs {
		cfg, err := c.FindConfig(ctx, ref)
		if err != nil {
			return err
		}
		cfgIDs = append(cfgIDs, cfg.ID)
	}
	for _, ref := range opts.Groups {
		g, err := c.FindGroup(ctx, ref)
		if err != nil {
			return err
		}
		groupIDs = append(groupIDs, g.ID)
	}
	if len(cfgIDs) > 0 {
		if err := c.SetConfigLabels(ctx, opts.Assign, tc.BulkLabelsRequest{IDs: cfgIDs, LabelIDs: opts.Labels}); err != nil {
			return err
		}
	}
	if len(groupIDs) > 0 {
		if err := c.SetGroupLabels(ctx, opts.Assign, tc.BulkLabelsRequest{IDs: groupIDs, LabelIDs: opts.Labels}); err != nil {
			return err
		}
	}
	agents := 0
	if len(opts.Agents) > 0 {
		res, err := c.SetAgentLabels(ctx, opts.Assign, opts.Agents, opts.Labels)
		if err != nil {
			return err
		}
		agents = len(opts.Agents)
		_ = res
	}
	verb := "assigned to"
	if !opts.Assign {
		verb = "removed from"
	}
	cmdutil.Successf(opts.IO, "Label(s) %v %s %d config(s), %d group(s) and %d agent(s)", opts.Labels, verb, len(cfgIDs), len(groupIDs), agents)
	return nil
}
