// Command tcd is the tc daemon: it serves Telegraf agents their configs,
// receives their heartbeats and exposes the admin API that tcctl drives.
package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/daemon"
	"github.com/opentc/tc/internal/version"
)

func main() {
	tuneGC()
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// tuneGC runs the garbage collector less often than Go's default unless
// GOGC says otherwise: tcd keeps no per-agent state in memory, so its live
// heap is a few megabytes and the default (collect when the heap doubles)
// would collect hundreds of times a second under heartbeat load. 400
// trades tens of megabytes for that CPU (docs/performance.md).
func tuneGC() {
	if _, set := os.LookupEnv("GOGC"); !set {
		debug.SetGCPercent(400)
	}
}

func run(args []string, stdout, stderr io.Writer) int {
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		fmt.Fprintln(stderr, "tcd:", err)
		return 1
	}
	return 0
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
	var showVersion bool
	root := &cobra.Command{
		Use:   "tcd",
		Short: "tc daemon: manage a fleet of Telegraf agents",
		Long: `tcd serves Telegraf agents their TOML configs (GET/HEAD /api/configs/<id>/toml),
receives their heartbeats on a listener of its own, and exposes the admin API
that tcctl drives.

Every option can be given as a flag, as an environment variable (shown in
brackets; Telegraf Controller's names where it has one) or as a key of the YAML
file named by --config. Flags win over the environment, which wins over the file.
An invalid value stops tcd with a message naming the option.

With no options tcd keeps its data in an embedded SQLite database under
$XDG_DATA_HOME/tcd (~/.local/share/tcd). DATABASE_URL=postgres://… selects
PostgreSQL.`,
		Example: `  # Start with the embedded SQLite database on the default ports (API 8888, heartbeats 8000)
  tcd

  # PostgreSQL, the owner created at first start, JSON logs
  DATABASE_URL=postgres://tc@db/tc OWNER_USERNAME=admin OWNER_EMAIL=admin@example.com \
    OWNER_PASSWORD=… tcd --log-format json

  # Options from a file
  tcd --config /etc/tcd/tcd.yaml`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if showVersion {
				printVersion(stdout)
				return nil
			}
			cfg, err := config.Load(cmd.Flags())
			if err != nil {
				return err
			}
			return serve(cfg, stderr)
		},
	}
	root.SetOut(stdout)
	root.SetErr(stderr)
	root.Flags().BoolVar(&showVersion, "version", false, "print the version and exit")
	config.RegisterFlags(root.Flags())
	root.AddCommand(newRotateKeys(stdout, stderr))
	root.AddCommand(&cobra.Command{
		Use:     "version",
		Short:   "Print the version",
		Example: "  tcd version",
		Args:    cobra.NoArgs,
		Run:     func(*cobra.Command, []string) { printVersion(stdout) },
	})
	return root
}

func printVersion(w io.Writer) {
	v, c := version.Info()
	if c != "" {
		fmt.Fprintf(w, "tcd %s (%s)\n", v, c)
		return
	}
	fmt.Fprintf(w, "tcd %s\n", v)
}

func serve(cfg config.Config, stderr io.Writer) error {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	var h slog.Handler = slog.NewTextHandler(stderr, opts)
	if cfg.LogFormat == "json" {
		h = slog.NewJSONHandler(stderr, opts)
	}
	log := slog.New(h)
	slog.SetDefault(log)

	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	m := daemon.New(cfg)
	m.Logger = log
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		return err
	}
	<-ctx.Done()
	log.Info("shutting down", "reason", "signal")
	return m.Close()
}

func newRotateKeys(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "rotate-keys",
		Short: "Replace the key file's key and re-encrypt everything under the new one (tcd stopped)",
		Long: `rotate-keys puts a new primary key in the key file (option key-file), re-encrypts
every stored secret under it in one transaction, and then removes the old key
from the file, so the old key no longer opens anything in the database.

Run it with tcd stopped, on every node of a cluster: stop tcd everywhere, run
rotate-keys on one node, copy the key file to every other node (mode 0600),
start tcd again. It takes the same database and key-file options as tcd.
If re-encryption fails, the key file keeps the old and the new key: tcd still
starts, and rotate-keys can be run again.`,
		Example: `  systemctl stop tcd
  tcd rotate-keys --config /etc/tcd/tcd.yaml
  scp -p /var/lib/tcd/tcd.key node2:/var/lib/tcd/tcd.key
  systemctl start tcd`,
		Args:          cobra.NoArgs,
		SilenceUsage:  true,
		SilenceErrors: true,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cmd.Flags())
			if err != nil {
				return err
			}
			log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
			oldID, newID, err := daemon.RotateKeys(cmd.Context(), cfg, log)
			if err != nil {
				return err
			}
			fmt.Fprintf(stdout, "rotated: key %s replaced by %s; copy the key file to every node before starting tcd\n", oldID, newID)
			return nil
		},
	}
	config.RegisterFlags(cmd.Flags())
	return cmd
}
