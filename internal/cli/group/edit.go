package group

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// EditOptions are the inputs of `tcctl group edit`.
type EditOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Group string
	Req   tc.UpdateGroupRequest
}

// NewCmdEdit builds `tcctl group edit`.
func NewCmdEdit(f *cmdutil.Factory) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Client: f.Client}
	var name, desc string
	var members []string
	var clear bool
	cmd := &cobra.Command{
		Use:   "edit <group>",
		Short: "Change a config group's name, description or members",
		Long: `Change a config group. --member (repeatable) replaces the whole ordered
member list; --no-members empties it. A change of members or name moves the
group's Last-Modified, so watching agents reload.`,
		Example: "  tcctl group edit fleet --member outputs --member base\n  tcctl group edit fleet --name fleet-eu",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Group = f.Output, args[0]
			fl := cmd.Flags()
			if fl.Changed("name") {
				opts.Req.Name = &name
			}
			if fl.Changed("description") {
				opts.Req.Description = &desc
			}
			if fl.Changed("member") || clear {
				if members == nil {
					members = []string{}
				}
				opts.Req.Members = &members
			}
			if opts.Req.Name == nil && opts.Req.Description == nil && opts.Req.Members == nil {
				return cmdutil.FlagErrorf("nothing to change: give --name, --description, --member or --no-members")
			}
			return editRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&desc, "description", "", "new description")
	cmd.Flags().StringArrayVar(&members, "member", nil, "member configuration (repeatable, in order; replaces all members)")
	cmd.Flags().BoolVar(&clear, "no-members", false, "remove every member")
	return cmd
}

func editRun(ctx context.Context, opts *EditOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cur, err := c.FindGroup(ctx, opts.Group)
	if err != nil {
		return err
	}
	g, err := c.UpdateGroup(ctx, cur.ID, opts.Req)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, g)
	}
	cmdutil.Successf(opts.IO, "Config group %s updated", g.Name)
	return printGroupTable(opts.IO, g)
}
