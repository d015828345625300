// Package secret holds `tcctl secret …`: secret sets served to Telegraf's
// secretstores.http plugin. Values go in and never come back out.
package secret

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

// TokenVariable is what the agent's environment holds the token in.
const TokenVariable = "TELEGRAF_CONTROLLER_TOKEN"

// NewCmdSecret builds the `tcctl secret` noun and its verbs.
func NewCmdSecret(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "secret <command>",
		Short: "Manage secret sets served to Telegraf's secretstores.http",
		Long: `Manage secrets: named values (passwords, tokens) kept in secret sets, encrypted
at rest under tcd's key file, and served to agents through Telegraf's own
secretstores.http plugin. A config references one as @{<store id>:<name>}.

Values are write-only: set reads them from stdin or a hidden prompt (never
from an argument), and no command or API route shows them again; only an API
token with secrets:read on the set fetches them (the agent's token: preset
telegraf-agent-secrets, or --permission secrets:read:<set> for one set).
Set and secret names: letters, digits and underscores.`,
		Example: `  tcctl secret set prod influx_token          # prompts for the value
  printf '%s' "$PW" | tcctl secret set prod db_password
  tcctl secret list prod
  tcctl secret use prod                          # the [[secretstores.http]] block
  tcctl token create --description "prod agents" --permission configs:read \
    --permission heartbeat:write --permission secrets:read:prod`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdSet(f), newCmdList(f), newCmdDelete(f), newCmdCipher(f), newCmdUse(f))
	return cmd
}

func newCmdSet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "set <set> <name>",
		Short: "Create or replace a secret (value from stdin or a hidden prompt)",
		Long: `Create or replace a secret; the set is created with its first secret. The
value is read from a hidden prompt on a terminal, else from stdin (one
trailing line break is dropped, so echo works). It is never taken as an
argument, so it stays out of shell history and process lists. Replacing a
value bumps the secret's version; agents get the new value when they next
load their config.`,
		Example: "  tcctl secret set prod influx_token\n  printf '%s' \"$PW\" | tcctl secret set prod db_password\n  tcctl secret set prod tls_key < key.pem",
		Args:    cmdutil.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			set, name := args[0], args[1]
			if err := tc.CheckSecretSet(set); err != nil {
				return cmdutil.FlagErrorf("%s", tc.ErrorMessage(err))
			}
			if err := tc.CheckSecretName(name); err != nil {
				return cmdutil.FlagErrorf("%s", tc.ErrorMessage(err))
			}
			value, err := readValue(ctx, f, set, name)
			if err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			s, err := c.SetSecret(ctx, set, name, value)
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, s)
			}
			cmdutil.Successf(f.IOStreams, "Secret %s/%s set (version %d)", s.Set, s.Name, s.Version)
			return nil
		},
	}
}

func readValue(ctx context.Context, f *cmdutil.Factory, set, name string) (string, error) {
	ios := f.IOStreams
	if ios.InTTY {
		if !ios.CanPrompt() || ios.ReadPassword == nil {
			return "", cmdutil.FlagErrorf("cannot prompt for the value: pipe it on stdin")
		}
		v, err := ios.ReadPassword(ctx, fmt.Sprintf("Value of %s/%s: ", set, name))
		if err != nil {
			return "", fmt.Errorf("read the value: %w", err)
		}
		if v == "" {
			return "", errors.New("the value is empty: nothing was set")
		}
		return v, nil
	}
	v, err := ios.ReadAll()
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read the value from stdin: %w", err)
	}
	v = strings.TrimSuffix(v, "\n")
	v = strings.TrimSuffix(v, "\r")
	if v == "" {
		return "", cmdutil.FlagErrorf("stdin holds no value: pipe the value in (e.g. printf '%%s' \"$VALUE\" | tcctl secret set %s %s)", set, name)
	}
	return v, nil
}

func newCmdList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list [<set>]",
		Short: "List secret sets, or the secrets of one set (never values)",
		Long: `Without an argument, list the secret sets with their number of secrets and
transit cipher. With a set, list its secrets: name, version, who set them
and when. Values are never shown.`,
		Example: "  tcctl secret list\n  tcctl secret list prod -o json",
		Args:    cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			if len(args) == 0 {
				sets, err := c.ListSecretSets(cmd.Context())
				if err != nil {
					return err
				}
				if f.Output.Structured() {
					return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, cmdutil.Items(sets))
				}
				t := cmdutil.NewTable(f.IOStreams, "SET", "SECRETS", "CIPHER", "UPDATED")
				for _, s := range sets {
					t.Row(s.Name, strconv.Itoa(s.Secrets), s.Cipher, cmdutil.Time(s.UpdatedAt))
				}
				return t.Flush()
			}
			list, err := c.ListSecrets(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, cmdutil.Items(list))
			}
			t := cmdutil.NewTable(f.IOStreams, "NAME", "VERSION", "UPDATED BY", "UPDATED", "CREATED BY", "CREATED")
			for _, s := range list {
				t.Row(s.Name, strconv.Itoa(s.Version), s.UpdatedBy, cmdutil.Time(s.UpdatedAt), s.CreatedBy, cmdutil.Time(s.CreatedAt))
			}
			return t.Flush()
		},
	}
}

func newCmdDelete(f *cmdutil.Factory) *cobra.Command {
	var yes, all bool
	cmd := &cobra.Command{
		Use:   "delete <set> [<name>...]",
		Short: "Delete secrets, or a whole set with --all",
		Long: `Delete the named secrets of a set, or the set and every secret in it with
--all. Agents whose config references a deleted secret fail to load it.
Asks for confirmation on a terminal; elsewhere --yes is required.`,
		Example: "  tcctl secret delete prod old_token --yes\n  tcctl secret delete staging --all --yes",
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			set, names := args[0], args[1:]
			switch {
			case all && len(names) > 0:
				return cmdutil.FlagErrorf("give secret names or --all, not both")
			case !all && len(names) == 0:
				return cmdutil.FlagErrorf("name the secrets to delete, or delete the whole set with --all")
			}
			q := fmt.Sprintf("Delete %d secret(s) from set %s?", len(names), set)
			if all {
				q = fmt.Sprintf("Delete secret set %s and every secret in it?", set)
			}
			if err := cmdutil.Confirm(ctx, f.IOStreams, yes, q); err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			if all {
				if err := c.DeleteSecretSet(ctx, set); err != nil {
					return err
				}
				cmdutil.Successf(f.IOStreams, "Secret set %s deleted", set)
				return nil
			}
			for _, n := range names {
				if err := c.DeleteSecret(ctx, set, n); err != nil {
					return err
				}
				cmdutil.Successf(f.IOStreams, "Secret %s/%s deleted", set, n)
			}
			return nil
		},
	}
	cmd.Flags().BoolVarP(&yes, "yes", "y", false, "do not ask for confirmation")
	cmd.Flags().BoolVar(&all, "all", false, "delete the whole set")
	return cmd
}

func newCmdCipher(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "cipher <set> <none|AES256/CBC/PKCS#7>",
		Short: "Encrypt a set's values in transit (secretstores.http cipher option)",
		Long: `Choose how the values endpoint serves a set: none (plain JSON; use HTTPS) or
AES256/CBC/PKCS#7, the cipher of Telegraf's secretstores.http: each value
AES-256-CBC encrypted with the set's key and IV, PKCS#7 padded, base64. Every
change to AES makes a new random key and IV, printed this once with the
[secretstores.http.aes] block to put in the agents' config; the old key stops
working at once. The IV is fixed per set, as the plugin requires: TLS remains
the protection to rely on.`,
		Example: "  tcctl secret cipher prod AES256/CBC/PKCS#7\n  tcctl secret cipher prod none",
		Args:    cmdutil.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			out, err := c.SetSecretCipher(cmd.Context(), args[0], args[1])
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, out)
			}
			if out.Key == "" {
				cmdutil.Successf(f.IOStreams, "Set %s is served without transit cipher", out.Set)
				return nil
			}
			fmt.Fprintf(f.IOStreams.Out, "  cipher = %q\n  [secretstores.http.aes]\n    key = %q\n    init_vector = %q\n", out.Cipher, out.Key, out.InitVector)
			cmdutil.Notef(f.IOStreams, "The key is shown this once: put it in the [[secretstores.http]] block of set %s (tcctl secret use %s)", out.Set, out.Set)
			return nil
		},
	}
}

// StoreBlock is the [[secretstores.http]] block that makes set available
// as store id in a Telegraf config.
func StoreBlock(base, id, set string) string {
	return fmt.Sprintf("[[secretstores.http]]\n  id = %q\n  url = %q\n  token = \"${%s}\"\n",
		id, strings.TrimRight(base, "/")+fmt.Sprintf(tc.SecretValuesPathFmt, url.PathEscape(set)), TokenVariable)
}

func newCmdUse(f *cmdutil.Factory) *cobra.Command {
	var server, id string
	cmd := &cobra.Command{
		Use:   "use <set>",
		Short: "Print the [[secretstores.http]] block that serves a set to agents",
		Long: `Print the Telegraf config block that reads a secret set from tcd. Its id is
the store id the config's references use (@{<id>:<name>}; default: the set's
name). The agent's token ($TELEGRAF_CONTROLLER_TOKEN, the one it fetches its
config with) needs secrets:read on the set. The URL uses the publicApiUrl
setting, else the URL tcctl talks to; --server replaces it.`,
		Example: "  tcctl secret use prod\n  tcctl secret use prod --id creds --server https://tcd.example.com:8888",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			set := args[0]
			if err := tc.CheckSecretSet(set); err != nil {
				return cmdutil.FlagErrorf("%s", tc.ErrorMessage(err))
			}
			if id == "" {
				id = set
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			base := server
			if base == "" {
				base = PublicBase(cmd.Context(), c)
			}
			fmt.Fprint(f.IOStreams.Out, StoreBlock(base, id, set))
			return nil
		},
	}
	cmd.Flags().StringVar(&server, "server", "", "tcd URL the agents use (default: the publicApiUrl setting, else the URL tcctl talks to)")
	cmd.Flags().StringVar(&id, "id", "", "secret-store id the config's references use (default: the set name)")
	return cmd
}

// PublicBase is the URL agents reach tcd at: the publicApiUrl setting,
// else the URL the client talks to.
func PublicBase(ctx context.Context, c *client.Client) string {
	if pub, err := c.PublicURLs(ctx); err == nil && pub.PublicAPIURL != "" {
		return pub.PublicAPIURL
	}
	return c.BaseURL()
}
