// Package cli is tcctl, the admin CLI of tcd. Main is the program; Run is
// the same program with its arguments and streams passed in, so tests can
// drive every command end to end against a fake tcd.
//
// Layout (after the GitHub CLI): this package holds the root command, error
// handling, version and the raw `api` verb; cmdutil the factory (URL and
// credential per context), output, tables and escaping; iostreams the
// streams and terminal detection; profile the configuration file of named
// contexts; resource the descriptors of tcd's resources and the verbs
// built from them (list, get, create, edit, delete, one-object verbs, bulk
// requests); and one package per noun holding only what is special to it.
package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/version"
	"github.com/spf13/cobra"
)

// IOStreams are the streams tcctl runs with; see package iostreams.
type IOStreams = iostreams.IOStreams

// Main runs tcctl with the process's arguments and streams and returns the
// exit code: os.Exit(cli.Main()).
func Main() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second interrupt ends the process at once
	}()
	return Run(ctx, os.Args[1:], iostreams.System())
}

// Run executes one tcctl command line (args without the program name) and
// returns its exit code (see exit codes in `tcctl --help`). Errors are
// printed on ios.ErrOut as "error: …".
func Run(ctx context.Context, args []string, ios *IOStreams) int {
	if args == nil {
		args = []string{} // cobra would fall back to os.Args
	}
	f := cmdutil.New(ios, version.Version)
	root := NewCmdRoot(f)
	started := trackRuns(root)
	root.SetArgs(args)
	root.SetIn(ios.In)
	root.SetOut(ios.Out)
	root.SetErr(ios.ErrOut)

	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return cmdutil.ExitOK
	}
	return reportError(ctx, f, cmd, err, *started)
}

// trackRuns wraps every run function so that Run can tell errors of a
// command (mapped by kind) from errors cobra raised before it ran: unknown
// commands, bad flags or arguments, missing required flags — all usage.
func trackRuns(root *cobra.Command) *bool {
	started := new(bool)
	var walk func(*cobra.Command)
	walk = func(c *cobra.Command) {
		if run := c.RunE; run != nil {
			c.RunE = func(cmd *cobra.Command, args []string) error {
				*started = true
				return run(cmd, args)
			}
		}
		for _, sub := range c.Commands() {
			walk(sub)
		}
	}
	walk(root)
	return started
}

func reportError(ctx context.Context, f *cmdutil.Factory, cmd *cobra.Command, err error, started bool) int {
	w := f.IOStreams.ErrOut
	var flagErr *cmdutil.FlagError
	switch {
	case cmdutil.Silent(err):
		return cmdutil.ExitCode(err)
	case errors.Is(err, cmdutil.ErrCancel):
		fmt.Fprintln(w, "Cancelled.")
		return cmdutil.ExitError
	case ctx.Err() != nil: // interrupted; whatever failed failed because of it
		fmt.Fprintln(w, "error: interrupted")
		return cmdutil.ExitError
	case errors.As(err, &flagErr) || !started:
		fmt.Fprintf(w, "error: %s\n", cmdutil.SafeText(err.Error()))
		if cmd != nil {
			fmt.Fprintf(w, "Run '%s --help' for usage.\n", cmd.CommandPath())
		}
		return cmdutil.ExitUsage
	}
	// Messages may quote what tcd (or whatever answered) sent: escaped.
	fmt.Fprintf(w, "error: %s\n", cmdutil.SafeText(err.Error()))
	if cmdutil.IsUnauthorized(err) && cmdutil.WantsLoginHint(cmd) {
		fmt.Fprintln(w, loginHint(f))
	}
	return cmdutil.ExitCode(err)
}

// loginHint says what to do after a 401, depending on which credential was
// refused.
func loginHint(f *cmdutil.Factory) string {
	_, src, _ := f.Credential()
	switch src {
	case cmdutil.CredentialEnv:
		return "hint: the token in TCCTL_TOKEN was refused; set a valid one, or unset it and run tcctl login"
	case cmdutil.CredentialProfile:
		return "hint: the saved session has expired or was ended; run tcctl login or set TCCTL_TOKEN"
	}
	return "hint: not logged in; run tcctl login or set TCCTL_TOKEN"
}
