// Package secrets keeps secret sets: values written through the API and
// never shown again, kept encrypted at rest under a key that is not in the
// database (internal/keyring), and served to Telegraf's own
// secretstores.http plugin as the flat JSON object it reads.
package secrets

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sort"
	"strings"

	"github.com/opentc/tc/internal/keyring"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Service manages secret sets.
type Service struct {
	st   *store.Store
	ring *keyring.Ring
	log  *slog.Logger
}

// New returns the service; ring is tcd's key ring (nil for a service used
// only to Rekey).
func New(st *store.Store, ring *keyring.Ring, log *slog.Logger) *Service {
	if log == nil {
		log = slog.Default()
	}
	return &Service{st: st, ring: ring, log: log}
}

func setAPI(r store.SecretSetCount) tc.SecretSet {
	return tc.SecretSet{Name: r.Name, Secrets: r.Secrets, Cipher: r.Cipher, UpdatedAt: r.UpdatedAt.UTC()}
}

func secretAPI(r store.SecretRow) tc.Secret {
	return tc.Secret{Set: r.SetName, Name: r.Name, Version: r.Version, CreatedAt: r.CreatedAt.UTC(), CreatedBy: r.CreatedBy,
		UpdatedAt: r.UpdatedAt.UTC(), UpdatedBy: r.UpdatedBy}
}

// ListSets returns every set.
func (s *Service) ListSets(ctx context.Context) ([]tc.SecretSet, error) {
	rows, err := s.st.ListSecretSets(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]tc.SecretSet, len(rows))
	for i, r := range rows {
		out[i] = setAPI(r)
	}
	return out, nil
}

// ListSecrets returns the names, versions and authors of a set's secrets
// (ENotFound for an unknown set, EInvalid for a bad name).
func (s *Service) ListSecrets(ctx context.Context, set string) ([]tc.Secret, error) {
	if err := tc.CheckSecretSet(set); err != nil {
		return nil, err
	}
	if _, err := s.st.SecretSet(ctx, set); err != nil {
		return nil, err
	}
	rows, err := s.st.ListSecrets(ctx, set)
	if err != nil {
		return nil, err
	}
	out := make([]tc.Secret, len(rows))
	for i, r := range rows {
		out[i] = secretAPI(r)
	}
	return out, nil
}

// SetSecret creates or replaces a secret (creating its set) and reports
// whether it was created. EInvalid for a bad set, name or value; the error
// never contains the value.
func (s *Service) SetSecret(ctx context.Context, actor, set, name, value string) (tc.Secret, bool, error) {
	if err := tc.CheckSecretSet(set); err != nil {
		return tc.Secret{}, false, err
	}
	if err := tc.CheckSecretName(name); err != nil {
		return tc.Secret{}, false, err
	}
	if err := tc.CheckSecretValue(value); err != nil {
		return tc.Secret{}, false, err
	}
	sv, err := sealValue(s.ring, set, name, []byte(value))
	if err != nil {
		return tc.Secret{}, false, fmt.Errorf("sealing secret %s/%s: %w", set, name, err)
	}
	var (
		out     store.SecretRow
		created bool
	)
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		if _, err := tx.EnsureSecretSet(ctx, set); err != nil {
			return err
		}
		now := tx.Now()
		r := &store.SecretRow{SetName: set, Name: name, KeyID: sv.KeyID, DataKey: sv.DataKey, Value: sv.Value,
			CreatedAt: now, CreatedBy: actor, UpdatedAt: now, UpdatedBy: actor}
		if _, err := tx.Secret(ctx, set, name); tc.IsCode(err, tc.ENotFound) {
			n, err := tx.CountSecrets(ctx, set)
			if err != nil {
				return err
			}
			if n >= tc.MaxSecretsPerSet {
				return tc.Errorf(tc.EInvalid, "set %q already holds %d secrets, the most a set takes", set, n)
			}
			created = true
		} else if err != nil {
			return err
		}
		if err := tx.PutSecret(ctx, r); err != nil {
			return err
		}
		got, err := tx.Secret(ctx, set, name)
		if err != nil {
			return err
		}
		out = *got
		return nil
	})
	if err != nil {
		return tc.Secret{}, false, err
	}
	s.log.Info("secret set", "set", set, "name", name, "version", out.Version, "by", actor)
	return secretAPI(out), created, nil
}

// DeleteSecret removes one secret.
func (s *Service) DeleteSecret(ctx context.Context, actor, set, name string) error {
	if err := tc.CheckSecretSet(set); err != nil {
		return err
	}
	if err := tc.CheckSecretName(name); err != nil {
		return err
	}
	if err := s.st.DeleteSecret(ctx, set, name); err != nil {
		return err
	}
	s.log.Info("secret deleted", "set", set, "name", name, "by", actor)
	return nil
}

// DeleteSet removes a set and every secret in it.
func (s *Service) DeleteSet(ctx context.Context, actor, set string) error {
	if err := tc.CheckSecretSet(set); err != nil {
		return err
	}
	if err := s.st.Tx(ctx, func(tx *store.Store) error { return tx.DeleteSecretSet(ctx, set) }); err != nil {
		return err
	}
	s.log.Info("secret set deleted", "set", set, "by", actor)
	return nil
}

// SetCipher sets the transit cipher of a set (creating the set). With AES
// it makes a new random key and IV and returns them, this once.
func (s *Service) SetCipher(ctx context.Context, actor, set, cipherName string) (tc.SecretCipher, error) {
	if err := tc.CheckSecretSet(set); err != nil {
		return tc.SecretCipher{}, err
	}
	c, err := tc.ParseSecretCipher(cipherName)
	if err != nil {
		return tc.SecretCipher{}, err
	}
	out := tc.SecretCipher{Set: set, Cipher: c}
	row := store.SecretSetRow{Name: set, Cipher: c}
	if c == tc.SecretCipherAES256 {
		keyIV := make([]byte, 48)
		if _, err := rand.Read(keyIV); err != nil {
			return tc.SecretCipher{}, err
		}
		if row.CipherKey, row.KeyID, err = sealTransit(s.ring, set, keyIV); err != nil {
			return tc.SecretCipher{}, err
		}
		out.Key, out.InitVector = hex.EncodeToString(keyIV[:32]), hex.EncodeToString(keyIV[32:])
	}
	err = s.st.Tx(ctx, func(tx *store.Store) error {
		if _, err := tx.EnsureSecretSet(ctx, set); err != nil {
			return err
		}
		return tx.UpdateSecretSet(ctx, &row)
	})
	if err != nil {
		return tc.SecretCipher{}, err
	}
	s.log.Info("secret set cipher changed", "set", set, "cipher", c, "by", actor)
	return out, nil
}

// Values returns a set's values as secretstores.http reads them: a flat
// object of strings, each encrypted and base64-encoded when the set has a
// transit cipher. A value that does not open (a key file that is not the
// one the data was sealed with, a tampered row) is an error, never served.
func (s *Service) Values(ctx context.Context, set string) (map[string]string, error) {
	if err := tc.CheckSecretSet(set); err != nil {
		return nil, err
	}
	// Two plain reads, no transaction: on SQLite a transaction takes the
	// write lock, and a set changed between them is served as either.
	setRow, err := s.st.SecretSet(ctx, set)
	if err != nil {
		return nil, err
	}
	rows, err := s.st.ListSecrets(ctx, set)
	if err != nil {
		return nil, err
	}
	var keyIV []byte
	if setRow.Cipher == tc.SecretCipherAES256 {
		if keyIV, err = openTransit(s.ring, set, setRow.KeyID, setRow.CipherKey); err != nil {
			s.log.Error("cannot serve a secret set", "set", set, "err", err)
			return nil, tc.Errorf(tc.EUnavailable, "secret set %q cannot be decrypted with this tcd's key file: see the tcd log", set)
		}
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		v, err := openValue(s.ring, set, r.Name, sealed{KeyID: r.KeyID, DataKey: r.DataKey, Value: r.Value})
		if err != nil {
			s.log.Error("cannot serve a secret set", "set", set, "err", err)
			return nil, tc.Errorf(tc.EUnavailable, "secret set %q cannot be decrypted with this tcd's key file: see the tcd log", set)
		}
		if keyIV != nil {
			enc, err := encryptTransit(keyIV, v)
			if err != nil {
				return nil, err
			}
			out[r.Name] = enc
			continue
		}
		out[r.Name] = string(v)
	}
	return out, nil
}

// Rekey re-encrypts every secret value (with a new data key) and every
// transit key under ring's primary key, in one transaction; run by
// tcd rotate-keys between keyring.Rotate and keyring.Retire.
func (s *Service) Rekey(ctx context.Context, ring *keyring.Ring) error {
	n := 0
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		rows, err := tx.AllSecrets(ctx)
		if err != nil {
			return err
		}
		for _, r := range rows {
			v, err := openValue(ring, r.SetName, r.Name, sealed{KeyID: r.KeyID, DataKey: r.DataKey, Value: r.Value})
			if err != nil {
				return err
			}
			sv, err := sealValue(ring, r.SetName, r.Name, v)
			if err != nil {
				return err
			}
			r.KeyID, r.DataKey, r.Value = sv.KeyID, sv.DataKey, sv.Value
			if err := tx.ResealSecret(ctx, &r); err != nil {
				return err
			}
			n++
		}
		sets, err := tx.ListSecretSets(ctx)
		if err != nil {
			return err
		}
		for _, set := range sets {
			if set.CipherKey == "" {
				continue
			}
			keyIV, err := openTransit(ring, set.Name, set.KeyID, set.CipherKey)
			if err != nil {
				return err
			}
			row := set.SecretSetRow
			if row.CipherKey, row.KeyID, err = sealTransit(ring, set.Name, keyIV); err != nil {
				return err
			}
			if err := tx.UpdateSecretSet(ctx, &row); err != nil {
				return err
			}
			n++
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("re-encrypting secrets: %w", err)
	}
	s.log.Info("secrets re-encrypted", "items", n, "key", ring.Primary().ID)
	return nil
}

// CheckKeys refuses a ring that lacks a key something in the secret
// tables was sealed with: tcd must not start (and serve garbage or
// nothing) with the wrong key file.
func CheckKeys(ctx context.Context, st *store.Store, ring *keyring.Ring, path string) error {
	used, err := st.SecretKeyIDs(ctx)
	if err != nil {
		return fmt.Errorf("reading the key IDs of stored secrets: %w", err)
	}
	var missing []string
	n := 0
	for id, c := range used {
		if ring == nil {
			missing = append(missing, id)
			n += c
			continue
		}
		if _, ok := ring.Lookup(id); !ok {
			missing = append(missing, id)
			n += c
		}
	}
	if len(missing) == 0 {
		return nil
	}
	sort.Strings(missing)
	have := "the key file " + path + " does not exist"
	if ring != nil {
		var ids []string
		for _, k := range ring.Keys() {
			ids = append(ids, k.ID)
		}
		have = "the key file " + path + " holds key(s) " + strings.Join(ids, ", ")
	}
	return fmt.Errorf("the database holds %d secret item(s) encrypted with key(s) %s, but %s: "+
		"start tcd with the key file these secrets were written with (restore it from your backup, or copy it from another node); "+
		"tcd never makes a new key while encrypted secrets exist", n, strings.Join(missing, ", "), have)
}

// InUse reports whether the database holds anything sealed by a key.
func InUse(ctx context.Context, st *store.Store) (bool, error) {
	used, err := st.SecretKeyIDs(ctx)
	return len(used) > 0, err
}

// OpenableWith counts the sealed items in the database (data keys and
// transit keys) that key opens, whatever key ID they name: after a
// rotation it must be 0 for the old key.
func OpenableWith(ctx context.Context, st *store.Store, key keyring.Key) (int, error) {
	rows, err := st.AllSecrets(ctx)
	if err != nil {
		return 0, err
	}
	k := kek(key)
	n := 0
	for _, r := range rows {
		if _, err := open(k, r.DataKey, valueAD("data-key", r.SetName, r.Name)); err == nil {
			n++
		}
	}
	sets, err := st.ListSecretSets(ctx)
	if err != nil {
		return 0, err
	}
	for _, s := range sets {
		if s.CipherKey == "" {
			continue
		}
		if _, err := open(k, s.CipherKey, valueAD("transit-key", s.Name, "")); err == nil {
			n++
		}
	}
	return n, nil
}
