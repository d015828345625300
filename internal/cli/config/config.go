// Package config holds `tcctl config …`: configurations, their versions,
// rendering and the Telegraf command line that uses them. One file per verb.
package config

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
	"github.com/spf13/cobra"
)

// NewCmdConfig builds the `tcctl config` noun and its verbs.
func NewCmdConfig(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config <command>",
		Short: "Manage Telegraf configurations, their versions and rendering",
		Long: `Manage the Telegraf configurations tcd serves to agents.

Every change of a config's TOML is a new version (author, time, note);
identical TOML creates nothing, so "tcctl config push" is safe to run from CI
on every commit. Agents fetch the rendered TOML from
/api/configs/<id>/toml?param=value (or /c/<alias>): constants ::{name} and
parameters &{name} / &{name:default} are substituted, ${ENV} and @{secret}
are left for Telegraf.

<config> arguments take a config ID, alias or name.`,
		Example: `  tcctl config push --name web -f web.toml --note "$GIT_SHA"
  tcctl config history web
  tcctl config diff web --from 1 --to 2
  tcctl config render web --param agent_id=web-01
  tcctl config use web --param agent_id=web-01`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(
		NewCmdList(f), NewCmdGet(f), NewCmdCreate(f), NewCmdPush(f), NewCmdEdit(f), NewCmdDelete(f),
		NewCmdRender(f), NewCmdHistory(f), NewCmdDiff(f), NewCmdRollback(f), NewCmdPrune(f), NewCmdUse(f),
	)
	return cmd
}

// readTOML reads a file, or stdin for "-".
func readTOML(ios *iostreams.IOStreams, path string) (string, error) {
	if path == "" {
		return "", cmdutil.FlagErrorf("-f/--file is required (a TOML file, or - for stdin)")
	}
	var (
		b   []byte
		err error
	)
	if path == "-" {
		b, err = io.ReadAll(ios.In)
	} else {
		b, err = os.ReadFile(path)
	}
	if err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return string(b), nil
}

// tomlError prefixes a TOML validation error with file:line:column, the
// form editors and CI logs link to.
func tomlError(file string, err error) error {
	var te *tc.Error
	if !errors.As(err, &te) || te.Details["line"] == nil {
		return err
	}
	if file == "" || file == "-" {
		file = "<stdin>"
	}
	return &fileError{msg: fmt.Sprintf("%s:%v:%v: %s", file, te.Details["line"], te.Details["column"], te.Message), err: te}
}

type fileError struct {
	msg string
	err *tc.Error
}

func (e *fileError) Error() string { return e.msg }
func (e *fileError) Unwrap() error { return e.err }

func printConfigTable(ios *iostreams.IOStreams, cfgs ...tc.Config) error {
	t := cmdutil.NewTable(ios, "ID", "NAME", "VERSION", "LABELS", "ALIASES", "UPDATED")
	for _, c := range cfgs {
		t.Row(c.ID, c.Name, fmt.Sprint(c.Version), labelNames(c.Labels), strings.Join(c.Aliases, ","), cmdutil.Time(c.UpdatedAt))
	}
	return t.Flush()
}

func labelNames(ls []tc.Label) string {
	names := make([]string, len(ls))
	for i, l := range ls {
		names[i] = l.Name
	}
	return strings.Join(names, ",")
}
