package cmdutil

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/pkg/client"
)

// DeleteSpec describes a destructive verb on one named object: resolve the
// argument, ask (on a terminal) or require --yes (elsewhere), delete, say so.
type DeleteSpec struct {
	Use, Short, Long, Example string
	// Resolve turns the argument into a display name and the deletion to run.
	Resolve func(ctx context.Context, c *client.Client, arg string) (name string, del func() error, err error)
	// Question and Done are format strings taking the display name.
	Question, Done string
	// Complete offers argument completions (optional).
	Complete cobra.CompletionFunc
}

// NewDeleteCmd builds a delete verb from spec; it has the "rm" alias and
// -y/--yes.
func NewDeleteCmd(f *Factory, spec DeleteSpec) *cobra.Command {
	var yes bool
	cmd := &cobra.Command{
		Use: spec.Use, Short: spec.Short, Long: spec.Long, Example: spec.Example,
		Aliases:           []string{"rm"},
		Args:              ExactArgs(1),
		ValidArgsFunction: spec.Complete,
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			c, err := f.Client()
			if err != nil {
				return err
			}
			name, del, err := spec.Resolve(ctx, c, args[0])
			if err != nil {
				return err
			}
			if err := Confirm(ctx, f.IOStreams, yes, fmt.Sprintf(spec.Question, name)); err != nil {
				return err
			}
			if err := del(); err != nil {
				return err
			}
			Successf(f.IOStreams, spec.Done, name)
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	return cmd
}
