package label

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// CreateOptions are the inputs of `tcctl label create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Req tc.LabelRequest
}

// NewCmdCreate builds `tcctl label create`.
func NewCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "create --name N [--color #rrggbb] [--description D]",
		Short:   "Create a label",
		Long:    "Create a label with a unique name. Prints the new label's ID.",
		Example: "  tcctl label create --name production --color '#3b82f6' --description 'Production fleet'",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Req.Name == "" {
				return cmdutil.FlagErrorf("--name is required")
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Req.Name, "name", "", "label name (unique)")
	cmd.Flags().StringVar(&opts.Req.Color, "color", "", "color as #rrggbb")
	cmd.Flags().StringVar(&opts.Req.Description, "description", "", "description")
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	l, err := c.CreateLabel(ctx, opts.Req)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, l)
	}
	fmt.Fprintln(opts.IO.Out, l.ID)
	cmdutil.Successf(opts.IO, "Label %s created", l.Name)
	return nil
}
