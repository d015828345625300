package label

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// EditOptions are the inputs of `tcctl label edit`.
type EditOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Label string
	Req   tc.UpdateLabelRequest
}

// NewCmdEdit builds `tcctl label edit`.
func NewCmdEdit(f *cmdutil.Factory) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Client: f.Client}
	var name, color, desc string
	cmd := &cobra.Command{
		Use:     "edit <label>",
		Short:   "Change a label",
		Long:    "Change a label's name, color or description. A name another label has is refused.",
		Example: "  tcctl label edit production --color '#ef4444'",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Label = f.Output, args[0]
			fl := cmd.Flags()
			if fl.Changed("name") {
				opts.Req.Name = &name
			}
			if fl.Changed("color") {
				opts.Req.Color = &color
			}
			if fl.Changed("description") {
				opts.Req.Description = &desc
			}
			if opts.Req.Name == nil && opts.Req.Color == nil && opts.Req.Description == nil {
				return cmdutil.FlagErrorf("nothing to change: give --name, --color or --description")
			}
			return editRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&color, "color", "", "new color (#rrggbb)")
	cmd.Flags().StringVar(&desc, "description", "", "new description")
	return cmd
}

func editRun(ctx context.Context, opts *EditOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	l, err := c.UpdateLabel(ctx, opts.Label, opts.Req)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, l)
	}
	return printLabelTable(opts.IO, l)
}
