package constant

import (
	"context"
	"strings"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// SetOptions are the inputs of `tcctl constant set`.
type SetOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Name, Value string
	Stdin       bool
}

// NewCmdSet builds `tcctl constant set`.
func NewCmdSet(f *cmdutil.Factory) *cobra.Command {
	opts := &SetOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "set <name> [<value>]",
		Short: "Create a constant or change its value",
		Long: `Create a constant or change its value. The value is the second argument,
or the first line of stdin with --value-stdin.`,
		Example:           "  tcctl constant set region eu-west-1\n  echo http://db:8086 | tcctl constant set db_url --value-stdin",
		ValidArgsFunction: resource.Constants.CompleteFirst(f),
		Args: func(cmd *cobra.Command, args []string) error {
			if opts.Stdin {
				return cmdutil.ExactArgs(1)(cmd, args)
			}
			return cmdutil.ExactArgs(2)(cmd, args)
		},
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Name = f.Output, args[0]
			if opts.Stdin {
				v, err := opts.IO.ReadAll()
				if err != nil {
					return err
				}
				opts.Value = strings.TrimRight(v, "\r\n")
			} else {
				opts.Value = args[1]
			}
			return setRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.Stdin, "value-stdin", false, "read the value from stdin")
	return cmd
}

func setRun(ctx context.Context, opts *SetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	k, err := c.SetConstant(ctx, opts.Name, opts.Value)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, k)
	}
	cmdutil.Successf(opts.IO, "Constant %s set (used by %d config(s))", k.Name, len(k.UsedBy))
	return nil
}
