package config

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/internal/render"
	"github.com/opentc/tc/pkg/client"
	"github.com/spf13/cobra"
)

// UseOptions are the inputs of `tcctl config use`.
type UseOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)

	Config   string
	Params   []string
	Interval time.Duration
	Alias    string
	Server   string
}

// NewCmdUse builds `tcctl config use`.
func NewCmdUse(f *cmdutil.Factory) *cobra.Command {
	opts := &UseOptions{IO: f.IOStreams, Client: f.Client}
	cmd := &cobra.Command{
		Use:   "use <config>",
		Short: "Print the telegraf command line that runs a configuration",
		Long: `Print a ready "telegraf --config <url> --config-url-watch-interval <d>"
line for a configuration. Parameters the TOML requires and --param does not
give appear as <name> placeholders. On a terminal, the environment
variables the TOML references (e.g. TELEGRAF_CONTROLLER_TOKEN, which
Telegraf 1.39+ also sends as the config request's credential) are listed on
stderr. --server replaces the tcd URL agents should use.`,
		Example: "  tcctl config use web --param agent_id=web-01\n  tcctl config use web --alias web-prod --interval 1m --server https://tcd.example.com:8888",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Config = args[0]
			if opts.Interval < 0 {
				return cmdutil.FlagErrorf("--interval must not be negative")
			}
			return useRun(cmd.Context(), opts)
		},
	}
	cmd.Flags().StringArrayVarP(&opts.Params, "param", "p", nil, "parameter name=value (repeatable)")
	cmd.Flags().DurationVar(&opts.Interval, "interval", 30*time.Second, "--config-url-watch-interval of the agent (0 to leave it out)")
	cmd.Flags().StringVar(&opts.Alias, "alias", "", "use the /c/<alias> URL instead of the ID URL")
	cmd.Flags().StringVar(&opts.Server, "server", "", "tcd URL the agents use (default: the publicApiUrl setting, else the URL tcctl talks to)")
	return cmd
}

var envRe = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)`)

func useRun(ctx context.Context, opts *UseOptions) error {
	q, err := cmdutil.ParseParams(opts.Params)
	if err != nil {
		return err
	}
	c, err := opts.Client()
	if err != nil {
		return err
	}
	cfg, err := c.FindConfig(ctx, opts.Config)
	if err != nil {
		return err
	}
	base := opts.Server
	if base == "" {
		// The publicApiUrl setting, when set, is what agents should use.
		if pub, err := c.PublicURLs(ctx); err == nil && pub.PublicAPIURL != "" {
			base = pub.PublicAPIURL
		} else {
			base = c.BaseURL()
		}
	}
	path := "/api/configs/" + url.PathEscape(cfg.ID) + "/toml"
	if opts.Alias != "" {
		path = "/c/" + url.PathEscape(opts.Alias)
	}
	var missing []string
	for _, p := range render.Params(cfg.TOML) {
		if _, ok := q[p.Name]; !ok && !p.HasDefault {
			missing = append(missing, p.Name)
		}
	}
	query := q.Encode()
	for _, m := range missing {
		if query != "" {
			query += "&"
		}
		query += url.QueryEscape(m) + "=<" + m + ">"
	}
	u := strings.TrimRight(base, "/") + path
	if query != "" {
		u += "?" + query
	}
	line := fmt.Sprintf("telegraf --config %q", u)
	if opts.Interval > 0 {
		line += " --config-url-watch-interval " + opts.Interval.String()
	}
	fmt.Fprintln(opts.IO.Out, line)
	if opts.IO.IsStdoutTTY() {
		seen := map[string]bool{}
		var envs []string
		for _, m := range envRe.FindAllStringSubmatch(cfg.TOML, -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				envs = append(envs, m[1])
			}
		}
		sort.Strings(envs)
		if len(envs) > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "Set these environment variables for the agent: %s\n", strings.Join(envs, ", "))
		}
		if len(missing) > 0 {
			fmt.Fprintf(opts.IO.ErrOut, "Replace the placeholders of the required parameters: %s\n", strings.Join(missing, ", "))
		}
	}
	return nil
}
