package label

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// AssignResult is what assign and unassign print with -o json|yaml.
type AssignResult struct {
	Labels  []string      `json:"labels"`
	Configs tc.BulkResult `json:"configs"`
	Groups  tc.BulkResult `json:"groups"`
	Agents  tc.BulkResult `json:"agents"`
}

// NewCmdAssign builds `tcctl label assign` (assign=true) or `unassign`.
func NewCmdAssign(f *cmdutil.Factory, assign bool) *cobra.Command {
	var configs, groups, agents []string
	use, short, long, example := "assign", "Assign labels to configurations, config groups and agents",
		`Assign one or more labels (IDs or names) to the configurations given with
--configs, the config groups given with --groups and the agents given with
--agents (comma-separated or repeated; configs and groups by ID, alias or
name, agents by ID; "--agents -" reads agent IDs from stdin, one a line).
Existing assignments stay. Any number of agents is sent in requests of at
most 1,000 IDs, with a progress line on a terminal.

Every label must exist (create it with "tcctl label create"); otherwise
nothing is changed. Configs, groups and agents that do not exist are named
on stderr after the others are done, and tcctl exits 3.`,
		"  tcctl label assign production --configs web,db\n  tcctl label assign production eu --groups fleet\n  tcctl label assign edge --agents edge-01,edge-02\n  tcctl agent list --search edge -o json | jq -r '.[].id' | tcctl label assign edge --agents -"
	if !assign {
		use, short, long, example = "unassign", "Remove labels from configurations, config groups and agents",
			"Remove one or more labels from the configurations given with --configs, the config groups given with --groups and the agents given with --agents (as for assign). Targets that do not exist are named and tcctl exits 3.",
			"  tcctl label unassign production --configs web\n  tcctl label unassign edge --agents edge-01"
	}
	cmd := &cobra.Command{
		Use:               use + " <label>... [--configs <config>,...] [--groups <group>,...] [--agents <agent>,...]",
		Short:             short,
		Long:              long,
		Example:           example,
		ValidArgsFunction: resource.Labels.Complete(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmdutil.FlagErrorf("missing argument: give at least one label")
			}
			if len(configs) == 0 && len(groups) == 0 && len(agents) == 0 {
				return cmdutil.FlagErrorf("give at least one of --configs, --groups and --agents")
			}
			ids, err := resource.ExpandStdin(f.IOStreams, agents)
			if err != nil {
				return err
			}
			return assignRun(cmd.Context(), f, assign, args, configs, groups, ids)
		},
	}
	cmd.Flags().StringSliceVar(&configs, "configs", nil, "configurations (comma-separated or repeated)")
	cmd.Flags().StringSliceVar(&groups, "groups", nil, "config groups (comma-separated or repeated)")
	cmd.Flags().StringSliceVar(&agents, "agents", nil, "agent IDs (comma-separated or repeated; - reads them from stdin)")
	_ = cmd.RegisterFlagCompletionFunc("configs", resource.Configs.Complete(f))
	_ = cmd.RegisterFlagCompletionFunc("groups", resource.Groups.Complete(f))
	_ = cmd.RegisterFlagCompletionFunc("agents", resource.Agents.Complete(f))
	return cmd
}

func assignRun(ctx context.Context, f *cmdutil.Factory, assign bool, labelRefs, configRefs, groupRefs, agentIDs []string) error {
	c, err := f.Client()
	if err != nil {
		return err
	}
	labels, missing, err := resource.Labels.FindAll(ctx, c, labelRefs)
	if err != nil {
		return err
	}
	if len(missing) > 0 {
		return fmt.Errorf("%w: nothing was changed; create it first: tcctl label create --name %s", resource.Labels.Missing(missing), missing[0])
	}
	labelIDs := make([]string, len(labels))
	for i, l := range labels {
		labelIDs[i] = l.ID
	}
	verb := "assign"
	if !assign {
		verb = "remove"
	}
	res := AssignResult{Labels: resource.Labels.Names(labels)}
	var notFound []error

	cfgs, missingCfgs, err := resource.Configs.FindAll(ctx, c, configRefs)
	if err != nil {
		return err
	}
	res.Configs = tc.BulkResult{NotFound: missingCfgs}
	if len(cfgs) > 0 {
		ids := make([]string, len(cfgs))
		for i, v := range cfgs {
			ids[i] = v.ID
		}
		if res.Configs.Changed, err = bulkLabels(ctx, f, c, "/api/configs/bulk/labels/"+verb, "configs", ids, labelIDs); err != nil {
			return err
		}
	}
	notFound = append(notFound, resource.Configs.Missing(missingCfgs))

	grps, missingGrps, err := resource.Groups.FindAll(ctx, c, groupRefs)
	if err != nil {
		return err
	}
	res.Groups = tc.BulkResult{NotFound: missingGrps}
	if len(grps) > 0 {
		ids := make([]string, len(grps))
		for i, v := range grps {
			ids[i] = v.ID
		}
		if res.Groups.Changed, err = bulkLabels(ctx, f, c, "/api/config-groups/bulk/labels/"+verb, "config groups", ids, labelIDs); err != nil {
			return err
		}
	}
	notFound = append(notFound, resource.Groups.Missing(missingGrps))

	if len(agentIDs) > 0 {
		res.Agents, err = resource.Chunked(ctx, f.IOStreams, "agents", agentIDs, func(ctx context.Context, chunk []string) (tc.BulkResult, error) {
			var out tc.BulkResult
			err := c.Do(ctx, http.MethodPut, "/api/agents/bulk/labels/"+verb, nil, tc.BulkLabelsRequest{IDs: chunk, LabelIDs: labelIDs}, &out)
			return out, err
		})
		if err != nil {
			return err
		}
		notFound = append(notFound, resource.Agents.Missing(res.Agents.NotFound))
	}

	if f.Output.Structured() {
		if err := cmdutil.PrintStructured(f.IOStreams.Out, f.Output, res); err != nil {
			return err
		}
	} else {
		what := "assigned to"
		if !assign {
			what = "removed from"
		}
		partial := len(res.Configs.NotFound)+len(res.Groups.NotFound)+len(res.Agents.NotFound) > 0
		cmdutil.Reportf(f.IOStreams, partial, "%s %s %s configs, %s groups and %s agents", strings.Join(res.Labels, ", "), what,
			cmdutil.Thousands(res.Configs.Changed), cmdutil.Thousands(res.Groups.Changed), cmdutil.Thousands(res.Agents.Changed))
	}
	return errors.Join(notFound...)
}

// bulkLabels sends one of the configs' or groups' bulk label requests per
// tc.MaxLimit IDs; they answer 204, so the count is that of the IDs sent.
func bulkLabels(ctx context.Context, f *cmdutil.Factory, c *client.Client, path, what string, ids, labelIDs []string) (int, error) {
	res, err := resource.Chunked(ctx, f.IOStreams, what, ids, func(ctx context.Context, chunk []string) (tc.BulkResult, error) {
		err := c.Do(ctx, http.MethodPut, path, nil, tc.BulkLabelsRequest{IDs: chunk, LabelIDs: labelIDs}, nil)
		return tc.BulkResult{Changed: len(chunk)}, err
	})
	return res.Changed, err
}
