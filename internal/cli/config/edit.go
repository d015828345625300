package config

import (
	"context"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// EditOptions are the inputs of `tcctl config edit`.
type EditOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Config string
	File   string
	Req    tc.UpdateConfigRequest
}

// NewCmdEdit builds `tcctl config edit`.
func NewCmdEdit(f *cmdutil.Factory) *cobra.Command {
	opts := &EditOptions{IO: f.IOStreams, Client: f.Client}
	var name, desc, note string
	cmd := &cobra.Command{
		Use:   "edit <config>",
		Short: "Change a configuration's name, description or TOML",
		Long: `Change a configuration. A new TOML (-f) that differs from the current one
creates a new version with --note; name and description changes create no
version.`,
		Example: "  tcctl config edit web --name web-servers\n  tcctl config edit web -f web.toml --note \"raise interval\"",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Config = f.Output, args[0]
			fl := cmd.Flags()
			if fl.Changed("name") {
				opts.Req.Name = &name
			}
			if fl.Changed("description") {
				opts.Req.Description = &desc
			}
			if fl.Changed("note") {
				opts.Req.Note = &note
			}
			if !fl.Changed("name") && !fl.Changed("description") && opts.File == "" {
				return cmdutil.FlagErrorf("nothing to change: give --name, --description or -f")
			}
			return editRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&name, "name", "", "new name")
	cmd.Flags().StringVar(&desc, "description", "", "new description")
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "new TOML file (- for stdin)")
	cmd.Flags().StringVar(&note, "note", "", "note of the new version")
	return cmd
}

func editRun(ctx context.Context, opts *EditOptions) error {
	if opts.File != "" {
		toml, err := readTOML(opts.IO, opts.File)
		if err != nil {
			return err
		}
		opts.Req.TOML = &toml
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cur, err := c.FindConfig(ctx, opts.Config)
	if err != nil {
		return err
	}
	cfg, err := c.UpdateConfig(ctx, cur.ID, opts.Req)
	if err != nil {
		return tomlError(opts.File, err)
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, cfg)
	}
	if cfg.Version != cur.Version {
		cmdutil.Successf(opts.IO, "Config %s updated to version %d", cfg.Name, cfg.Version)
	} else {
		cmdutil.Successf(opts.IO, "Config %s updated (TOML unchanged, still version %d)", cfg.Name, cfg.Version)
	}
	return printConfigTable(opts.IO, cfg)
}
