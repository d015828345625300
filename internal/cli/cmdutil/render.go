package cmdutil

import (
	"context"
	"net/url"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/pkg/client"
)

// RenderSpec describes a verb that prints the TOML tcd serves for one
// object (a config or a config group) with --param values applied.
type RenderSpec struct {
	Use, Short, Long, Example string
	Complete                  cobra.CompletionFunc
	Render                    func(ctx context.Context, c *client.Client, arg string, q url.Values) (client.Rendered, error)
}

// NewRenderCmd builds a render verb from spec.
func NewRenderCmd(f *Factory, spec RenderSpec) *cobra.Command {
	var params []string
	cmd := &cobra.Command{
		Use: spec.Use, Short: spec.Short, Long: spec.Long, Example: spec.Example,
		Args:              ExactArgs(1),
		ValidArgsFunction: spec.Complete,
		RunE: func(cmd *cobra.Command, args []string) error {
			q, err := ParseParams(params)
			if err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := spec.Render(cmd.Context(), c, args[0], q)
			if err != nil {
				return err
			}
			return WriteText(f.IOStreams, r.Body)
		},
	}
	cmd.Flags().StringArrayVarP(&params, "param", "p", nil, "parameter name=value (repeatable)")
	return cmd
}
