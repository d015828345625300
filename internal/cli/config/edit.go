package config

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// EditOptions are the inputs of `tcctl config edit`.
type EditOptions struct {
	Ref                               string
	File                              string
	Name, Description, Note, Env      string
	setName, setDesc, setNote, setEnv bool
}

// NewCmdEdit builds `tcctl config edit`: with flags it changes what they
// name; without, it opens $EDITOR on the current TOML. Either way the
// change is sent with If-Match, so a concurrent change is never overwritten.
func NewCmdEdit(f *cmdutil.Factory) *cobra.Command {
	opts := &EditOptions{}
	cmd := &cobra.Command{
		Use:   "edit <config>",
		Short: "Change a configuration: its TOML in $EDITOR, or name, description, TOML from flags",
		Long: `Change a configuration.

Without flags, the current TOML opens in $VISUAL or $EDITOR (default vi);
when the editor exits, a changed TOML is saved as a new version (--note
sets its note); an unchanged one saves nothing.

With flags, -f sets a new TOML from a file (a new version if it differs),
--name, --description and --env-handling change those fields (no version).

The change is sent with If-Match: if someone else changed the config after
it was read (while the editor was open), tcd refuses it (412), nothing is
saved, the command exits 1 and says so — your edited TOML is kept in a file
named in the message; run the command again to edit the current version.`,
		Example: `  tcctl config edit web
  EDITOR=nano tcctl config edit web --note "raise interval"
  tcctl config edit web --name web-servers
  tcctl config edit web -f web.toml --note "raise interval"`,
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Ref = args[0]
			fl := cmd.Flags()
			opts.setName, opts.setDesc, opts.setNote, opts.setEnv = fl.Changed("name"), fl.Changed("description"), fl.Changed("note"), fl.Changed("env-handling")
			return editRun(cmd.Context(), f, cmd, opts)
		},
	}
	cmd.Flags().StringVarP(&opts.File, "file", "f", "", "new TOML from a file (- for stdin) instead of the editor")
	cmd.Flags().StringVar(&opts.Name, "name", "", "new name")
	cmd.Flags().StringVar(&opts.Description, "description", "", "new description")
	cmd.Flags().StringVar(&opts.Note, "note", "", "note of the new version")
	cmd.Flags().StringVar(&opts.Env, "env-handling", "", "how the agents handle ${VAR}: strict or nonstrict")
	_ = cmd.RegisterFlagCompletionFunc("env-handling", cobra.FixedCompletions([]string{"strict", "nonstrict"}, cobra.ShellCompDirectiveNoFileComp))
	return cmd
}

func editRun(ctx context.Context, f *cmdutil.Factory, cmd *cobra.Command, opts *EditOptions) error {
	req := tc.UpdateConfigRequest{}
	if opts.setName {
		req.Name = &opts.Name
	}
	if opts.setDesc {
		req.Description = &opts.Description
	}
	if opts.setNote {
		req.Note = &opts.Note
	}
	if opts.setEnv {
		req.EnvHandling = &opts.Env
	}
	if opts.File != "" {
		toml, err := readTOML(f.IOStreams, opts.File)
		if err != nil {
			return err
		}
		req.TOML = &toml
	}
	useEditor := req.TOML == nil && req.Name == nil && req.Description == nil && req.EnvHandling == nil
	if useEditor && !f.IOStreams.CanPrompt() && getenvOf(f)("VISUAL") == "" && getenvOf(f)("EDITOR") == "" {
		return cmdutil.FlagErrorf("nothing to change and no editor: give -f, --name, --description or --env-handling, or set EDITOR (off a terminal)")
	}
	c, cur, err := find(ctx, f, opts.Ref)
	if err != nil {
		return err
	}
	// Read the config with its ETag: the change is made to this state.
	var fresh tc.Config
	hdr, err := c.DoHeader(ctx, http.MethodGet, resource.Configs.ObjectPath(cur.ID), nil, nil, nil, &fresh)
	if err != nil {
		return err
	}
	rerun := "tcctl config edit " + opts.Ref
	var kept string
	if useEditor {
		edited, path, err := editInEditor(ctx, f, fresh)
		if err != nil {
			return err
		}
		if edited == fresh.TOML {
			os.Remove(path)
			cmdutil.Successf(f.IOStreams, "Config %s unchanged: nothing saved", fresh.Name)
			return nil
		}
		req.TOML, kept = &edited, path
	}
	var out tc.Config
	_, err = c.DoHeader(ctx, http.MethodPatch, resource.Configs.ObjectPath(cur.ID), nil, resource.IfMatch(hdr), req, &out)
	if client.IsPreconditionFailed(err) {
		msg := fmt.Sprintf("config %s was changed on tcd by someone else while you were editing it (it was version %d): nothing was saved", cmdutil.Safe(fresh.Name), fresh.Version)
		if kept != "" {
			msg += fmt.Sprintf("; your edit is kept in %s", kept)
		}
		return fmt.Errorf("%s; run %q again to edit the current version, then save your change there", msg, rerun)
	}
	if err != nil {
		file := opts.File
		if kept != "" {
			file = kept
			err = fmt.Errorf("%w (your edit is kept in %s; nothing was saved)", tomlError(file, err), kept)
			return err
		}
		return tomlError(file, err)
	}
	if kept != "" {
		os.Remove(kept)
	}
	printWarnings(f.IOStreams.ErrOut, opts.File, out.ID, out.Warnings)
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, out)
	}
	if out.Version != fresh.Version {
		fmt.Fprintf(f.IOStreams.Out, "updated %s to version %d\n", cmdutil.Safe(out.Name), out.Version)
	} else {
		fmt.Fprintf(f.IOStreams.Out, "updated %s (version %d)\n", cmdutil.Safe(out.Name), out.Version)
	}
	return nil
}

// editInEditor writes the TOML to a private temporary file, runs the
// user's editor on it and returns what it holds afterwards.
func editInEditor(ctx context.Context, f *cmdutil.Factory, cfg tc.Config) (string, string, error) {
	getenv := getenvOf(f)
	editor := getenv("VISUAL")
	if editor == "" {
		editor = getenv("EDITOR")
	}
	if editor == "" {
		editor = "vi"
	}
	dir, err := os.MkdirTemp("", "tcctl-edit-")
	if err != nil {
		return "", "", err
	}
	path := filepath.Join(dir, safeFileName(cfg.Name)+".toml")
	if err := os.WriteFile(path, []byte(cfg.TOML), 0o600); err != nil {
		return "", "", err
	}
	// Like git: the editor variable is a shell command line (it may carry
	// arguments, e.g. "code --wait"); the file is its last argument.
	c := exec.CommandContext(ctx, "sh", "-c", editor+` "$@"`, "editor", path)
	c.Stdin, c.Stdout, c.Stderr = os.Stdin, os.Stdout, os.Stderr
	if in, ok := f.IOStreams.In.(*os.File); ok {
		c.Stdin = in
	}
	if err := c.Run(); err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return "", path, fmt.Errorf("the editor (%s) exited with status %d: nothing was saved; your edit is in %s", editor, ee.ExitCode(), path)
		}
		return "", path, fmt.Errorf("run the editor %q: %w (set VISUAL or EDITOR)", editor, err)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return "", path, err
	}
	return string(b), path, nil
}

func safeFileName(name string) string {
	return strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.' {
			return r
		}
		return '_'
	}, name)
}

func getenvOf(f *cmdutil.Factory) func(string) string {
	if f.Getenv != nil {
		return f.Getenv
	}
	return os.Getenv
}
