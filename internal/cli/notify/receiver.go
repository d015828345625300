package notify

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/tc"
)

func newCmdReceiver(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "receiver <command>",
		Short: "Manage notification receivers (webhook, slack, alertmanager, email)",
		Long: `A receiver is where notifications go:
  webhook       JSON POST (docs/notifications.md), signed with HMAC-SHA-256 when
                it has a secret, with custom headers
  slack         Slack-compatible incoming webhook (Mattermost, Rocket.Chat too)
  alertmanager  Prometheus Alertmanager's v2 API (give its base URL)
  email         SMTP with STARTTLS (or TLS, or none for a local relay)
Secrets (the webhook's HMAC key, the SMTP password) and header values are
write-only: give them on standard input or with flags, they are never shown.
<receiver> arguments take an ID or a name.`,
		Example: `  tcctl notify receiver list
  tcctl notify receiver create --name chat --kind slack --url https://hooks.slack.com/services/T0/B0/XX
  tcctl notify receiver test chat`,
		RunE: cmdutil.GroupRunE,
	}
	cmd.AddCommand(newCmdReceiverList(f), newCmdReceiverGet(f), newCmdReceiverCreate(f), newCmdReceiverEdit(f),
		newCmdReceiverDelete(f), newCmdReceiverTest(f))
	return cmd
}

func printReceivers(w io.Writer, rs ...tc.NotifyReceiver) error {
	t := cmdutil.NewTable(w, "ID", "NAME", "KIND", "TARGET", "SECRET", "RATE/MIN", "RULES")
	for _, r := range rs {
		target := r.URL
		if r.Email != nil {
			target = strings.Join(r.Email.To, ",") + " via " + fmt.Sprintf("%s:%d", r.Email.Host, r.Email.Port)
		}
		secret := ""
		if r.SecretSet {
			secret = "set"
		}
		t.Row(r.ID, r.Name, r.Kind, target, orDash(secret), fmt.Sprint(r.RateLimit), fmt.Sprint(r.Rules))
	}
	return t.Flush()
}

func printReceiver(f *cmdutil.Factory, r tc.NotifyReceiver) error {
	if f.Output.Structured() {
		return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, r)
	}
	return printReceivers(f.IOStreams.Out, r)
}

func newCmdReceiverList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "list",
		Short:   "List notification receivers",
		Aliases: []string{"ls"},
		Example: "  tcctl notify receiver list -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			l, err := c.ListNotifyReceivers(cmd.Context())
			if err != nil {
				return err
			}
			return cmdutil.PrintList(f.IOStreams, f.Output, l, "notification receivers", func(items ...tc.NotifyReceiver) error {
				return printReceivers(f.IOStreams.Out, items...)
			})
		},
	}
}

func newCmdReceiverGet(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "get <receiver>",
		Short:   "Show one notification receiver",
		Example: "  tcctl notify receiver get ops-hook -o yaml",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.GetNotifyReceiver(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			return printReceiver(f, r)
		},
	}
}

// receiverFlags are the flags of create and edit.
type receiverFlags struct {
	name, description, kind, url          string
	headers                               []string
	noHeaders, secretStdin, noSecret      bool
	rateLimit                             int
	smtpHost, smtpUser, from, tls, caCert string
	smtpPort                              int
	to                                    []string
}

func (rf *receiverFlags) add(cmd *cobra.Command, create bool) {
	fl := cmd.Flags()
	fl.StringVar(&rf.name, "name", "", "unique name")
	fl.StringVar(&rf.description, "description", "", "what the receiver is for")
	if create {
		fl.StringVar(&rf.kind, "kind", "", "webhook, slack, alertmanager or email")
		_ = cmd.MarkFlagRequired("name")
		_ = cmd.MarkFlagRequired("kind")
		_ = cmd.RegisterFlagCompletionFunc("kind", cobra.FixedCompletions(tc.ReceiverKinds, cobra.ShellCompDirectiveNoFileComp))
	} else {
		fl.BoolVar(&rf.noHeaders, "no-headers", false, "remove every custom header")
		fl.BoolVar(&rf.noSecret, "no-secret", false, "remove the secret (webhooks are then unsigned)")
	}
	fl.StringVar(&rf.url, "url", "", "the webhook URL, or Alertmanager's base URL")
	fl.StringArrayVar(&rf.headers, "header", nil, "custom HTTP header Name=value (repeatable; replaces all on edit; values are write-only)")
	fl.BoolVar(&rf.secretStdin, "secret-stdin", false, "read the secret (webhook HMAC key or SMTP password) from the first line of standard input")
	fl.IntVar(&rf.rateLimit, "rate-limit", 0, "most notifications per minute (default 60)")
	fl.StringVar(&rf.smtpHost, "smtp-host", "", "email: SMTP server")
	fl.IntVar(&rf.smtpPort, "smtp-port", 0, "email: SMTP port (default 587, 465 with --tls tls)")
	fl.StringVar(&rf.smtpUser, "smtp-username", "", "email: SMTP user (the password is the secret)")
	fl.StringVar(&rf.from, "from", "", "email: sender address")
	fl.StringSliceVar(&rf.to, "to", nil, "email: recipients (comma-separated or repeated)")
	fl.StringVar(&rf.tls, "tls", "", "email: starttls (default), tls or none")
	fl.StringVar(&rf.caCert, "ca-cert-file", "", "email: PEM file of a CA to trust for the SMTP server")
}

func (rf *receiverFlags) request(cmd *cobra.Command, f *cmdutil.Factory, current *tc.NotifyReceiver) (tc.NotifyReceiverRequest, error) {
	var req tc.NotifyReceiverRequest
	fl := cmd.Flags()
	if fl.Changed("name") {
		req.Name = &rf.name
	}
	if fl.Changed("description") {
		req.Description = &rf.description
	}
	if fl.Changed("kind") {
		req.Kind = &rf.kind
	}
	if fl.Changed("url") {
		req.URL = &rf.url
	}
	if fl.Changed("rate-limit") {
		req.RateLimit = &rf.rateLimit
	}
	if rf.noHeaders && len(rf.headers) > 0 {
		return req, cmdutil.FlagErrorf("give either --header or --no-headers")
	}
	if rf.noHeaders {
		req.Headers = map[string]string{}
	}
	for _, h := range rf.headers {
		k, v, ok := strings.Cut(h, "=")
		if !ok || strings.TrimSpace(k) == "" {
			return req, cmdutil.FlagErrorf("--header %q is not Name=value", h)
		}
		if req.Headers == nil {
			req.Headers = map[string]string{}
		}
		req.Headers[strings.TrimSpace(k)] = v
	}
	if rf.noSecret && rf.secretStdin {
		return req, cmdutil.FlagErrorf("give either --secret-stdin or --no-secret")
	}
	if rf.noSecret {
		empty := ""
		req.Secret = &empty
	}
	if rf.secretStdin {
		s, err := f.IOStreams.ReadLine(cmd.Context(), "")
		if err != nil && !errors.Is(err, io.EOF) {
			return req, fmt.Errorf("read the secret from standard input: %w", err)
		}
		if s == "" {
			return req, cmdutil.FlagErrorf("--secret-stdin: standard input holds no secret")
		}
		req.Secret = &s
	}
	emailFlags := []string{"smtp-host", "smtp-port", "smtp-username", "from", "to", "tls", "ca-cert-file"}
	changed := false
	for _, n := range emailFlags {
		changed = changed || fl.Changed(n)
	}
	if !changed {
		return req, nil
	}
	e := tc.EmailSettings{}
	if current != nil && current.Email != nil {
		e = *current.Email
	}
	if fl.Changed("smtp-host") {
		e.Host = rf.smtpHost
	}
	if fl.Changed("smtp-port") {
		e.Port = rf.smtpPort
	}
	if fl.Changed("smtp-username") {
		e.Username = rf.smtpUser
	}
	if fl.Changed("from") {
		e.From = rf.from
	}
	if fl.Changed("to") {
		e.To = rf.to
	}
	if fl.Changed("tls") {
		e.TLS = rf.tls
	}
	if fl.Changed("ca-cert-file") {
		b, err := os.ReadFile(rf.caCert)
		if err != nil {
			return req, cmdutil.FlagErrorf("--ca-cert-file: %v", err)
		}
		e.CACert = string(b)
	}
	req.Email = &e
	return req, nil
}

func newCmdReceiverCreate(f *cmdutil.Factory) *cobra.Command {
	rf := &receiverFlags{}
	cmd := &cobra.Command{
		Use:   "create --name N --kind K ...",
		Short: "Create a notification receiver",
		Example: `  printf '%s\n' "$SECRET" | tcctl notify receiver create --name ops-hook --kind webhook --url https://hooks.example.com/tc --secret-stdin --header 'X-Team=ops'
  tcctl notify receiver create --name chat --kind slack --url https://chat.example.com/hooks/abc
  tcctl notify receiver create --name am --kind alertmanager --url http://alertmanager:9093
  printf '%s\n' "$SMTP_PASSWORD" | tcctl notify receiver create --name oncall --kind email \
      --smtp-host smtp.example.com --smtp-username tcd --from tcd@example.com --to oncall@example.com --secret-stdin`,
		Args: cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			req, err := rf.request(cmd, f, nil)
			if err != nil {
				return err
			}
			c, err := f.Client()
			if err != nil {
				return err
			}
			r, err := c.CreateNotifyReceiver(cmd.Context(), req)
			if err != nil {
				return err
			}
			cmdutil.Successf(f.IOStreams, "Notification receiver %s created", r.Name)
			return printReceiver(f, r)
		},
	}
	rf.add(cmd, true)
	return cmd
}

func newCmdReceiverEdit(f *cmdutil.Factory) *cobra.Command {
	rf := &receiverFlags{}
	cmd := &cobra.Command{
		Use:   "edit <receiver>",
		Short: "Change a notification receiver",
		Long:  "Change a receiver; flags not given stay as they are. The kind cannot change.",
		Example: `  tcctl notify receiver edit ops-hook --url https://hooks.example.com/v2
  printf '%s\n' "$NEW_SECRET" | tcctl notify receiver edit ops-hook --secret-stdin`,
		Args: cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			cur, err := c.GetNotifyReceiver(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			req, err := rf.request(cmd, f, &cur)
			if err != nil {
				return err
			}
			if req.Name == nil && req.Description == nil && req.URL == nil && req.Headers == nil && req.Email == nil && req.Secret == nil && req.RateLimit == nil {
				return cmdutil.FlagErrorf("nothing to change: give at least one flag (see --help)")
			}
			r, err := c.UpdateNotifyReceiver(cmd.Context(), cur.ID, req)
			if err != nil {
				return err
			}
			return printReceiver(f, r)
		},
	}
	rf.add(cmd, false)
	return cmd
}

func newCmdReceiverDelete(f *cmdutil.Factory) *cobra.Command {
	return cmdutil.NewDeleteCmd(f, cmdutil.DeleteSpec{
		Use:     "delete <receiver>",
		Short:   "Delete a notification receiver",
		Long:    "Delete a receiver and the notifications still waiting for it. A receiver that rules use is refused: remove it from them first. Asks on a terminal; elsewhere --yes is required.",
		Example: "  tcctl notify receiver delete old-hook --yes",
		Resolve: func(ctx context.Context, c *client.Client, arg string) (string, func() error, error) {
			r, err := c.GetNotifyReceiver(ctx, arg)
			if err != nil {
				return "", nil, err
			}
			return r.Name, func() error { return c.DeleteNotifyReceiver(ctx, r.ID) }, nil
		},
		Question: "Delete notification receiver %s?",
		Done:     "Notification receiver %s deleted",
	})
}

func newCmdReceiverTest(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "test <receiver>",
		Short: "Send a test notification to a receiver now",
		Long: `Send a test notification now (not through the outbox: no retry, no rate
limit) and show the outcome. Exits 1 when it was not delivered.`,
		Example: "  tcctl notify receiver test ops-hook",
		Args:    cmdutil.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := f.Client()
			if err != nil {
				return err
			}
			d, err := c.TestNotifyReceiver(cmd.Context(), args[0])
			if err != nil {
				return err
			}
			if f.Output.Structured() {
				if err := cmdutil.PrintStructured(f.IOStreams.Out, f.Output, d); err != nil {
					return err
				}
			} else if err := printLog(f.IOStreams.Out, d); err != nil {
				return err
			}
			if d.Outcome != tc.DeliverySuccess {
				return fmt.Errorf("test notification to %s not delivered: %s", d.Receiver, d.Error)
			}
			cmdutil.Successf(f.IOStreams, "Test notification delivered to %s", d.Receiver)
			return nil
		},
	}
}
