package token

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// CreateOptions are the inputs of `tcctl token create`.
type CreateOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format

	Description   string
	Preset        string
	Permissions   []string
	ExpiresIn     time.Duration
	ExpiresAt     string
	RawTokenStdin bool
}

// NewCmdCreate builds `tcctl token create`.
func NewCmdCreate(f *cmdutil.Factory) *cobra.Command {
	opts := &CreateOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "create",
		Short: "Create an API token and print its value once",
		Long: `Create an API token owned by you. Give --preset or one or more
--permission; the token can never hold more than you do.

The raw value is printed once and cannot be retrieved later. When stdout is
not a terminal only the value is printed, so T=$(tcctl token create …) works;
-o json|yaml prints the token object with the value in "token".

Presets: telegraf-agent (configs:read, heartbeat:write — for agents), ci
(configs, labels and reporting-rules, read and write: exactly what tcctl
export, diff and apply need), read-only (every read you hold), full-access
(everything you hold).

--raw-token-stdin registers a value you generated yourself (pre-shared, e.g.
the same value on several tcd instances); it must be tc-apiv1_ followed by 64
lowercase hex digits, and the server may refuse pre-shared values.`,
		Example: `  tcctl token create --description "web fleet agents" --preset telegraf-agent
  T=$(tcctl token create --description "CI deploy" --preset ci --expires-in 30d)
  tcctl token create --description ops --permission agents:read --permission configs:read -o json
  echo "$PRESHARED" | tcctl token create --description shared --preset telegraf-agent --raw-token-stdin`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format = f.Output
			if opts.Preset == "" && len(opts.Permissions) == 0 {
				return cmdutil.FlagErrorf("give --preset (%s) or at least one --permission", presetList())
			}

			return createRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringVar(&opts.Description, "description", "", "what the token is for; unique (required)")
	cmd.Flags().StringVar(&opts.Preset, "preset", "", "permission preset: "+presetList())
	cmd.Flags().StringArrayVar(&opts.Permissions, "permission", nil, "a permission such as configs:read (repeatable)")
	cmd.Flags().Var(cmdutil.NewDuration(&opts.ExpiresIn, 0), "expires-in", "lifetime such as 12h, 30d or 2w (default: never expires)")
	cmd.Flags().StringVar(&opts.ExpiresAt, "expires-at", "", "expiry as an RFC 3339 time, e.g. 2027-01-31T00:00:00Z")
	cmd.Flags().BoolVar(&opts.RawTokenStdin, "raw-token-stdin", false, "read a pre-shared token value from standard input")
	_ = cmd.MarkFlagRequired("description")
	cmd.MarkFlagsMutuallyExclusive("expires-in", "expires-at")
	cmd.MarkFlagsMutuallyExclusive("preset", "permission")
	_ = cmd.RegisterFlagCompletionFunc("preset", cobra.FixedCompletions(tc.Presets, cobra.ShellCompDirectiveNoFileComp))
	_ = cmd.RegisterFlagCompletionFunc("permission", func(*cobra.Command, []string, string) ([]cobra.Completion, cobra.ShellCompDirective) {
		out := make([]cobra.Completion, len(tc.Catalogue))
		for i, p := range tc.Catalogue {
			out[i] = string(p)
		}
		return out, cobra.ShellCompDirectiveNoFileComp
	})
	return cmd
}

func presetList() string {
	s := ""
	for i, p := range tc.Presets {
		if i > 0 {
			s += ", "
		}
		s += p
	}
	return s
}

func createRun(ctx context.Context, opts *CreateOptions) error {
	req := tc.CreateTokenRequest{Description: opts.Description, Preset: opts.Preset, Permissions: opts.Permissions}
	if opts.ExpiresIn > 0 {
		req.ExpiresIn = opts.ExpiresIn.String()
	}
	if opts.ExpiresAt != "" {
		at, err := time.Parse(time.RFC3339, opts.ExpiresAt)
		if err != nil {
			return cmdutil.FlagErrorf("--expires-at %q is not an RFC 3339 time such as 2027-01-31T00:00:00Z", opts.ExpiresAt)
		}
		req.ExpiresAt = &at
	}
	if opts.RawTokenStdin {
		raw, err := opts.IO.ReadLine(ctx, "")
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read the token value from standard input: %w", err)
		}
		if raw == "" {
			return cmdutil.FlagErrorf("--raw-token-stdin: standard input holds no token value")
		}
		req.RawToken = raw
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	tok, err := c.CreateToken(ctx, req)
	if err != nil {
		return err
	}
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, tok)
	}
	if !opts.IO.IsStdoutTTY() {
		_, err := fmt.Fprintln(opts.IO.Out, cmdutil.Safe(tok.Raw))
		return err
	}
	if err := resource.Tokens.Table(opts.IO, tok.Token); err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.ErrOut, "\nToken (shown once; store it now):\n")
	fmt.Fprintln(opts.IO.Out, cmdutil.Safe(tok.Raw))
	return nil
}
