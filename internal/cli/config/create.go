package config

import (
	"context"
	"fmt"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// CreateOptions are the inputs of `tcctl config create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	File string
	Req  tc.CreateConfigRequest
}

// NewCmdCreate builds `tcctl config create`.
func NewCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create a configuration from a TOML file",
		Long: `Create a configuration (version 1) from a TOML file, or stdin with -f -.
The TOML is validated; an error names the line and column and nothing is
stored. Fails if the name is taken — use "tcctl config push" to create or
update by name. --id keeps a given ID (e.g. the one a config had in
Telegraf Controller, so agents' URLs keep working).`,
		Example: "  tcctl config create --name web -f web.toml --label production\n  cat web.toml | tcctl config create --name web -f -",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Req.Name == "" {
				return cmdutil.FlagErrorf("--name is required")
			}
			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Req.Name, "name", "", "config name (unique)")
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "TOML file (- for stdin)")
	cmd.Flags().StringVar(&opts.Req.Description, "description", "", "description")
	cmd.Flags().StringVar(&opts.Req.Note, "note", "", "note of version 1 (default \"Initial version\")")
	cmd.Flags().StringArrayVar(&opts.Req.Labels, "label", nil, "label ID or name (repeatable)")
	cmd.Flags().StringVar(&opts.Req.ID, "id", "", "use this ID instead of a generated UUID")
	return cmd
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	toml, err := readTOML(opts.IO, opts.File)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	opts.Req.TOML = toml
	cfg, err := c.CreateConfig(ctx, opts.Req)
	if err != nil {
		return tomlError(opts.File, err)
	}
	printWarnings(opts.IO.ErrOut, opts.File, cfg.ID, cfg.Warnings)
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, cfg)
	}
	fmt.Fprintln(opts.IO.Out, cfg.ID)
	cmdutil.Successf(opts.IO, "Config %s created (version 1)", cfg.Name)
	return nil
}
