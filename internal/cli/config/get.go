package config

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// GetOptions are the inputs of `tcctl config get`.
type GetOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Config string
	TOML   bool
}

// NewCmdGet builds `tcctl config get`.
func NewCmdGet(f *cmdutil.Factory) *cobra.Command {
	opts := &GetOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:               "get <config>",
		Short:             "Show one configuration",
		Long:              "Show a configuration by ID, alias or name; --toml prints only its stored TOML template. Exits with 3 if there is no such config.",
		Example:           "  tcctl config get web\n  tcctl config get web -o json\n  tcctl config get web --toml > web.toml",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Config = f.Output, args[0]
			return getRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().BoolVar(&opts.TOML, "toml", false, "print only the stored TOML template")
	return cmd
}

func getRun(ctx context.Context, opts *GetOptions) error {
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cfg, err := resource.Configs.Find(ctx, c, opts.Config)
	if err != nil {
		return err
	}
	switch {
	case opts.TOML:
		return cmdutil.WriteText(opts.IO, cfg.TOML)
	case opts.Format.Structured():
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, cfg)
	}
	return resource.Configs.Table(opts.IO, cfg)
}
