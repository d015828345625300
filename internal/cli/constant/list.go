package constant

import (
	"context"
	"fmt"
	"strconv"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// ListOptions are the inputs of `tcctl constant list`.
type ListOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format
}

// NewCmdList builds `tcctl constant list`.
func NewCmdList(f *cmdutil.Factory) *cobra.Command {
	opts := &ListOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:     "list",
		Short:   "List constants and how many configs use each",
		Long:    "List every constant with its value and the number of configs that reference it (-o json lists their IDs).",
		Example: "  tcctl constant list\n  tcctl constant list -o json",
		Aliases: []string{"ls"},
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			return listRun(cmd.Context(), opts)
		},
	}
}

func listRun(ctx context.Context, opts *ListOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	list, err := c.ListConstants(ctx)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, cmdutil.Items(list))
	}
	if len(list) == 0 {
		fmt.Fprintln(opts.IO.ErrOut, "No constants found")
		return nil
	}
	t := cmdutil.NewTable(opts.IO, "NAME", "VALUE", "USED BY", "UPDATED")
	for _, k := range list {
		t.Row(k.Name, k.Value, strconv.Itoa(len(k.UsedBy)), cmdutil.Time(k.UpdatedAt))
	}
	return t.Flush()
}
