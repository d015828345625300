package config

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/resource"
	"github.com/opentc/tc/internal/cli/secret"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/pkg/client"
)

// TokenVariable is the environment variable Telegraf 1.39+ sends as the
// config request's credential (and the example config's heartbeat token).
const TokenVariable = "TELEGRAF_CONTROLLER_TOKEN"

// UseOptions are the inputs of `tcctl config use`.
type UseOptions struct {
	Config   string
	Params   []string
	Interval time.Duration
	Alias    string
	Server   string
}

// Use is what `config use` prints with -o json|yaml.
type Use struct {
	// Command is the line to run: environment, then telegraf.
	Command   string `json:"command"`
	ConfigURL string `json:"configUrl"`
	// HeartbeatURL is where [[outputs.heartbeat]] reports: the
	// heartbeatUrl setting, or tcd's host with its heartbeat port.
	HeartbeatURL string `json:"heartbeatUrl"`
	// Env names the variables the agent needs: the token variable and
	// every ${VAR} the TOML references.
	Env []string `json:"env"`
	// MissingParams are required parameters --param did not give; they
	// appear as <name> placeholders in ConfigURL.
	MissingParams []string `json:"missingParams"`
	// SecretStores are the [[secretstores.http]] blocks for the store ids
	// the TOML references (@{id:name}) but does not declare: each reads
	// the tcd secret set of the same name (docs/secrets.md).
	SecretStores []string `json:"secretStores"`
}

// NewCmdUse builds `tcctl config use`.
func NewCmdUse(f *cmdutil.Factory) *cobra.Command {
	opts := &UseOptions{}
	cmd := &cobra.Command{
		Use:   "use <config>",
		Short: "Print what an agent needs to run a configuration",
		Long: `Print the line that runs a configuration on an agent:

  TELEGRAF_CONTROLLER_TOKEN=<token> telegraf --config "<url>" --config-url-watch-interval 30s

followed by a comment with the heartbeat URL ([[outputs.heartbeat]] url):
the heartbeatUrl setting, or tcd's host with its heartbeat port. The
environment holds the token variable (Telegraf 1.39+ sends it as the config
request's credential; the example config's heartbeat token) and every
${VAR} the TOML references, as <placeholders> to fill in. Parameters the
TOML requires and --param does not give appear as <name>. The config URL
uses the publicApiUrl setting, else the URL tcctl talks to; --server
replaces it. When the TOML references secrets (@{id:name}) of a store it
does not declare, the [[secretstores.http]] block that reads the tcd secret
set of that name follows (the token needs secrets:read on it; see tcctl
secret). -o json|yaml prints the parts.`,
		Example:           "  tcctl config use web --param agent_id=web-01\n  tcctl config use web --alias web-prod --interval 1m --server https://tcd.example.com:8888",
		Args:              cmdutil.ExactArgs(1),
		ValidArgsFunction: resource.Configs.CompleteFirst(f),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = args[0]
			return useRun(cmd.Context(), f, opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Params, "param", "p", nil, "parameter name=value (repeatable)")
	cmd.Flags().Var(cmdutil.NewDuration(&opts.Interval, 30*time.Second), "interval", "--config-url-watch-interval of the agent (0 to leave it out)")
	cmd.Flags().StringVar(&opts.Alias, "alias", "", "use the /c/<alias> URL instead of the ID URL")
	cmd.Flags().StringVar(&opts.Server, "server", "", "tcd URL the agents use (default: the publicApiUrl setting, else the URL tcctl talks to)")
	return cmd
}

var envRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

// secretRefRe is a secret reference as Telegraf matches it.
var secretRefRe = regexp.MustCompile(`@\{(\w+):\w+\}`)

// undeclaredStores returns the store ids toml references but declares in
// no secretstores block, in order of first use.
func undeclaredStores(toml string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range secretRefRe.FindAllStringSubmatch(toml, -1) {
		id := m[1]
		if seen[id] {
			continue
		}
		seen[id] = true
		declared := regexp.MustCompile(`(?m)^\s*id\s*=\s*["']` + regexp.QuoteMeta(id) + `["']`)
		if strings.Contains(toml, "[[secretstores.") && declared.MatchString(toml) {
			continue
		}
		out = append(out, id)
	}
	return out
}

func useRun(ctx context.Context, f *cmdutil.Factory, opts *UseOptions) error {
	q, err := cmdutil.ParseParams(opts.Params)
	if err != nil {
		return err
	}
	c, cfg, err := find(ctx, f, opts.Config)
	if err != nil {
		return err
	}
	pub, _ := c.PublicURLs(ctx) // any credential may read it; without it, fall back
	base := opts.Server
	if base == "" {
		base = pub.PublicAPIURL
	}
	if base == "" {
		base = c.BaseURL()
	}
	path := "/api/configs/" + url.PathEscape(cfg.ID) + "/toml"
	if opts.Alias != "" {
		path = "/c/" + url.PathEscape(opts.Alias)
	}
	out := Use{Env: []string{TokenVariable}, MissingParams: []string{}, SecretStores: []string{}, HeartbeatURL: heartbeatURL(pub.HeartbeatURL, c)}
	for _, id := range undeclaredStores(cfg.TOML) {
		out.SecretStores = append(out.SecretStores, secret.StoreBlock(base, id, id))
	}
	for _, p := range render.Params(cfg.TOML) {
		if _, ok := q[p.Name]; !ok && !p.HasDefault {
			out.MissingParams = append(out.MissingParams, p.Name)
		}
	}
	query := q.Encode()
	for _, m := range out.MissingParams {
		if query != "" {
			query += "&"
		}
		query += url.QueryEscape(m) + "=<" + m + ">"
	}
	out.ConfigURL = strings.TrimRight(base, "/") + path
	if query != "" {
		out.ConfigURL += "?" + query
	}
	seen := map[string]bool{TokenVariable: true}
	var more []string
	for _, m := range envRe.FindAllStringSubmatch(cfg.TOML, -1) {
		if !seen[m[1]] {
			seen[m[1]] = true
			more = append(more, m[1])
		}
	}
	sort.Strings(more)
	out.Env = append(out.Env, more...)
	var line strings.Builder
	for _, v := range out.Env {
		placeholder := "<" + strings.ToLower(v) + ">"
		if v == TokenVariable {
			placeholder = "<token>"
		}
		fmt.Fprintf(&line, "%s=%s ", v, placeholder)
	}
	fmt.Fprintf(&line, "telegraf --config %q", out.ConfigURL)
	if opts.Interval > 0 {
		line.WriteString(" --config-url-watch-interval " + cmdutil.FormatDuration(opts.Interval))
	}
	out.Command = line.String()
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, out)
	}
	fmt.Fprintln(f.IOStreams.Out, cmdutil.Safe(out.Command))
	fmt.Fprintf(f.IOStreams.Out, "# heartbeats ([[outputs.heartbeat]] url): %s\n", cmdutil.Safe(out.HeartbeatURL))
	for _, b := range out.SecretStores {
		fmt.Fprintf(f.IOStreams.Out, "# the config references secrets of a store it does not declare: add\n%s", cmdutil.SafeText(b))
	}
	if len(out.MissingParams) > 0 {
		cmdutil.Notef(f.IOStreams, "Replace the placeholders of the required parameters: %s", strings.Join(out.MissingParams, ", "))
	}
	return nil
}

// heartbeatURL is the heartbeat endpoint from tcd's public heartbeat URL
// (the setting, or its host with the heartbeat port), else the API host on
// the default heartbeat port 8000.
func heartbeatURL(public string, c *client.Client) string {
	if public == "" {
		u, err := url.Parse(c.BaseURL())
		if err != nil {
			return ""
		}
		u.Host = u.Hostname() + ":8000"
		if strings.Contains(u.Hostname(), ":") {
			u.Host = "[" + u.Hostname() + "]:8000"
		}
		public = u.Scheme + "://" + u.Host
	}
	public = strings.TrimRight(public, "/")
	if strings.HasSuffix(public, "/agents/heartbeat") {
		return public
	}
	return public + "/agents/heartbeat"
}
