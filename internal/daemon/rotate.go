package daemon

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/opentc/tc/internal/audit"
	"github.com/opentc/tc/internal/config"
	"github.com/opentc/tc/internal/keyring"
	"github.com/opentc/tc/internal/secrets"
	"github.com/opentc/tc/internal/store"
)

// Rekeyer re-encrypts (or re-signs) what one feature keeps under tcd's
// keys so that it depends on the ring's primary key only.
type Rekeyer interface {
	Rekey(ctx context.Context, ring *keyring.Ring) error
}

// rekeyers lists every feature that keeps data under the key file; tcd
// rotate-keys runs them in order between keyring.Rotate and
// keyring.Retire.
func rekeyers(st *store.Store, log *slog.Logger) []Rekeyer {
	return []Rekeyer{
		secrets.New(st, nil, log),
		// The audit chain: checked with the keys it names, re-sealed with
		// the new primary (a chain that does not verify stops the rotation).
		audit.New(st, time.Now, log),
	}
}

// RotateKeys is tcd rotate-keys, run with every tcd stopped: it puts a new
// primary key in the key file (the old keys stay), re-encrypts everything
// under it, and then removes the old keys from the file. When a re-keyer
// fails the file keeps both keys, so tcd still starts and the rotation can
// simply be run again.
func RotateKeys(ctx context.Context, cfg config.Config, log *slog.Logger) (oldID, newID string, err error) {
	if log == nil {
		log = slog.Default()
	}
	if cfg.KeyFile == "" {
		cfg.KeyFile = config.DefaultKeyFile(cfg.Database)
	}
	st, err := store.Open(ctx, cfg.Database, store.Options{})
	if err != nil {
		return "", "", err
	}
	defer st.Close()
	if _, err := st.Migrate(ctx); err != nil {
		return "", "", fmt.Errorf("migrate database: %w", err)
	}
	before, err := keyring.Load(cfg.KeyFile)
	if err != nil {
		return "", "", fmt.Errorf("key file (option key-file): %w", err)
	}
	// Every key something was sealed with must be in the file before
	// anything is rewritten.
	if err := secrets.CheckKeys(ctx, st, before, cfg.KeyFile); err != nil {
		return "", "", err
	}
	ring, err := keyring.Rotate(cfg.KeyFile)
	if err != nil {
		return "", "", err
	}
	log.Info("new primary key written; re-encrypting", "key", ring.Primary().ID, "path", cfg.KeyFile)
	for _, r := range rekeyers(st, log) {
		if err := r.Rekey(ctx, ring); err != nil {
			return "", "", fmt.Errorf("%w (the key file keeps the old and the new key, so tcd still starts; run tcd rotate-keys again)", err)
		}
	}
	for _, old := range before.Keys() {
		if n, err := secrets.OpenableWith(ctx, st, old); err != nil || n > 0 {
			return "", "", fmt.Errorf("after re-encryption %d secret item(s) still open with the old key %s (%v): the key file keeps both keys; run tcd rotate-keys again", n, old.ID, err)
		}
	}
	if _, err := keyring.Retire(cfg.KeyFile); err != nil {
		return "", "", err
	}
	return before.Primary().ID, ring.Primary().ID, nil
}
