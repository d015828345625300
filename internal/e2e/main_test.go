package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
	"testing"

	"github.com/spf13/pflag"

	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/daemon"
)

// The test binary doubles as tcd for tests that need a real process to
// kill: with TC_E2E_RUN_TCD=1 it serves like cmd/tcd (options from the
// environment) until SIGTERM.
func TestMain(m *testing.M) {
	if os.Getenv("TC_E2E_RUN_TCD") == "1" {
		os.Exit(runTCD())
	}
	if mode := os.Getenv("TC_E2E_EDITOR"); mode != "" {
		os.Exit(runEditor(mode))
	}
	os.Exit(m.Run())
}

func runTCD() int {
	fs := pflag.NewFlagSet("tcd", pflag.ContinueOnError)
	config.RegisterFlags(fs)
	if err := fs.Parse(nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	cfg, err := config.Load(fs)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 2
	}
	ctx, cancel := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM)
	defer cancel()
	m := daemon.New(cfg)
	m.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if err := m.Run(ctx); err != nil {
		_ = m.Close()
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	<-ctx.Done()
	if err := m.Close(); err != nil {
		return 1
	}
	return 0
}
