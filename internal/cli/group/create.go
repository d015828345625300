package group

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// CreateOptions are the inputs of `tcctl group create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Req tc.GroupRequest
}

// NewCmdCreate builds `tcctl group create`.
func NewCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:     "create --name N [--member <config>]...",
		Short:   "Create a config group",
		Long:    "Create a config group; --member (repeatable) adds configurations in render order, duplicates skipped. Prints the new group's ID.",
		Example: "  tcctl group create --name fleet --member base --member outputs --label production",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Req.Name == "" {
				return cmdutil.FlagErrorf("--name is required")
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Req.Name, "name", "", "group name (unique)")
	cmd.Flags().StringVar(&opts.Req.Description, "description", "", "description")
	cmd.Flags().StringArrayVar(&opts.Req.Members, "member", nil, "member configuration (repeatable, in order)")
	cmd.Flags().StringArrayVar(&opts.Req.Labels, "label", nil, "label ID or name (repeatable)")
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	g, err := c.CreateGroup(ctx, opts.Req)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, g)
	}
	fmt.Fprintln(opts.IO.Out, g.ID)
	cmdutil.Successf(opts.IO, "Config group %s created with %d member(s)", g.Name, len(g.Members))
	return nil
}
