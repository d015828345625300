package config

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/pkg/tc"
)

// ValidateOptions are the inputs of `tcctl config validate`.
type ValidateOptions struct {
	IO *iostreams.IOStreams

	Files       []string
	EnvHandling string
	EnvFile     string
	MaxDepth    int
	Lint        bool
}

// NewCmdValidate builds `tcctl config validate`.
func NewCmdValidate(f *cmdutil.Factory) *cobra.Command {
	opts := &ValidateOptions{IO: f.IOStreams}
	cmd := &cobra.Command{
		Use:   "validate -f FILE...",
		Short: "Check that Telegraf would load TOML files (offline, as tcd checks them)",
		Long: `Check files the way tcd checks a config before it stores it, without a
server: UTF-8, a leading byte-order mark dropped, comments removed, ${VAR}
handled strictly (Telegraf >= 1.38) or not (--env-handling nonstrict, as
--non-strict-env-handling and Telegraf <= 1.37), then Telegraf's own TOML
parser. Template placeholders (&{param}, ::{constant}) count as neutral
values, as tcd renders a template with its defaults.

Each file Telegraf would not load prints one line "FILE:LINE:COLUMN: reason"
(the line Telegraf reports) and the command exits 1; files that load print
nothing. Without --env-file every ${VAR} counts as set; with it, variables
take the file's values (NAME=value lines, as /etc/default/telegraf) and
unset ones behave as on an agent without them. --lint also prints warnings
("FILE:LINE:COLUMN: warning: …"): unknown plugin names, options known to
crash agents.`,
		Example: `  tcctl config validate -f telegraf.conf
  tcctl config validate -f conf.d/web.toml -f conf.d/db.toml --lint
  tcctl config validate -f legacy.conf --env-handling nonstrict --env-file /etc/default/telegraf`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(opts.Files) == 0 {
				return cmdutil.FlagErrorf("-f/--file is required (one or more TOML files)")
			}
			if err := tc.CheckEnvHandling(opts.EnvHandling); err != nil {
				return cmdutil.FlagErrorf("--env-handling must be strict or nonstrict")
			}
			return validateRun(opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Files, "file", "f", nil, "TOML file to check (repeatable; - for stdin)")
	cmd.Flags().StringVar(&opts.EnvHandling, "env-handling", "strict", "strict (Telegraf >= 1.38) or nonstrict (--non-strict-env-handling)")
	cmd.Flags().StringVar(&opts.EnvFile, "env-file", "", "NAME=value file of the agents' environment")
	cmd.Flags().IntVar(&opts.MaxDepth, "max-depth", tc.DefaultMaxDepth, "deepest nesting of arrays and inline tables allowed")
	cmd.Flags().BoolVar(&opts.Lint, "lint", false, "also print warnings (unknown plugins, options that crash agents)")
	return cmd
}

func validateRun(opts *ValidateOptions) error {
	check := render.Check{NonStrict: opts.EnvHandling == tc.EnvNonStrict, MaxDepth: opts.MaxDepth}
	if opts.EnvFile != "" {
		f, err := os.Open(opts.EnvFile)
		if err != nil {
			return err
		}
		env, err := render.ParseEnvFile(f)
		f.Close()
		if err != nil {
			return fmt.Errorf("%s: %w", opts.EnvFile, err)
		}
		check.Env = env
	}
	bad := 0
	for _, file := range opts.Files {
		name := file
		var (
			b   []byte
			err error
		)
		if file == "-" {
			name = "<stdin>"
			b, err = io.ReadAll(opts.IO.In)
		} else {
			b, err = os.ReadFile(file)
		}
		if err != nil {
			return err
		}
		warnings, err := ValidateText(string(b), check)
		var se *render.SyntaxError
		switch {
		case errors.As(err, &se):
			bad++
			fmt.Fprintf(opts.IO.Out, "%s:%d:%d: %s\n", name, se.Line, se.Column, se.Msg)
		case err != nil:
			return err
		case opts.Lint:
			for _, w := range warnings {
				fmt.Fprintf(opts.IO.Out, "%s:%d:%d: warning: %s\n", name, w.Line, w.Column, w.Msg)
			}
		}
	}
	if bad > 0 {
		return fmt.Errorf("%d of %d file(s) would not load in Telegraf", bad, len(opts.Files))
	}
	return nil
}

// ValidateText checks one template as tcd does at write time, with
// parameters and constants standing for neutral values, and returns the
// lint warnings of a document that loads or a *render.SyntaxError.
func ValidateText(tmpl string, check render.Check) ([]render.Warning, error) {
	if err := render.CheckUTF8(tmpl); err != nil {
		return nil, err
	}
	if d, line, col := render.DepthAt(tmpl, check.MaxDepth); check.MaxDepth > 0 && d > check.MaxDepth {
		return nil, &render.SyntaxError{Line: line, Column: col, Msg: fmt.Sprintf("arrays and inline tables nest deeper than %d levels", check.MaxDepth)}
	}
	out, err := render.RenderWith(tmpl, nil, nil, render.Options{Fill: true, FillConstants: true})
	var ve *render.ValueError
	if errors.As(err, &ve) {
		return nil, &render.SyntaxError{Line: ve.Line, Column: ve.Column, Msg: fmt.Sprintf("the default of %s %q cannot stand in %s: %s", ve.Kind, ve.Name, ve.Context, ve.Reason)}
	}
	if err != nil {
		return nil, err
	}
	res, err := render.Validate(out, check)
	if err != nil {
		return nil, err
	}
	return res.Lint(render.LintOptions{}), nil
}
