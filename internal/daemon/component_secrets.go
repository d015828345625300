package daemon

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"

	"github.com/opentc/tc/internal/api"
	"github.com/opentc/tc/internal/secrets"
)

// secretsComponent serves secret sets (internal/secrets).
type secretsComponent struct {
	*api.SecretsAPI
}

func (secretsComponent) Close() error { return nil }

func init() {
	registerComponent(func(ctx context.Context, m *Main) (component, error) {
		// The key file must be the one the stored secrets were sealed
		// with: refuse to start rather than serve nothing or garbage.
		if err := secrets.CheckKeys(ctx, m.store, m.keys, m.keys.Path()); err != nil {
			return nil, err
		}
		m.secrets = secrets.New(m.store, m.keys, m.Logger)
		return secretsComponent{SecretsAPI: api.NewSecretsAPI(m.secrets)}, nil
	})
}

// checkKeyFileGone refuses to start when the key file does not exist but
// the database holds secrets: making a new key then would leave them
// unreadable (and a restored key file would then be overwritten by hand).
func (m *Main) checkKeyFileGone(ctx context.Context, path string) error {
	if _, err := os.Stat(path); !errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	inUse, err := secrets.InUse(ctx, m.store)
	if err != nil {
		return fmt.Errorf("reading stored secrets: %w", err)
	}
	if !inUse {
		return nil
	}
	return fmt.Errorf("key file (option key-file): %w", secrets.CheckKeys(ctx, m.store, nil, path))
}

// Secrets returns the secrets service.
func (m *Main) Secrets() *secrets.Service { return m.secrets }
