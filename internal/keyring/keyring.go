// Package keyring holds tcd's own secret keys: the keys that must never be in
// the database, so that a copy of the database alone can neither forge the
// audit chain nor decrypt a stored secret.
//
// The keys live in one text file (the option key-file; by default tcd.key in
// the data directory), created with mode 0600 at first start. Each line is
//
//	<id> <base64 of 32 random bytes>
//
// The first key is the primary: new work (new audit entries, new secret
// values) uses it. Later lines are older keys, kept only so that data made
// with them can still be read while a rotation re-keys it. Blank lines and
// lines starting with # are ignored. An ID is the first 16 hex digits of
// HMAC-SHA-256(key, "tc key id"), so that data can name the key it was made
// with without revealing anything about it, and a node started with another
// key file is told so instead of reading garbage.
//
// Callers never use a key directly: Derive gives an independent 32-byte key
// per purpose (HKDF-SHA-256, RFC 5869, with the purpose as info), so the
// audit chain and the secret store never share key material.
package keyring

import (
	"bufio"
	"bytes"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of every key in bytes.
const KeySize = 32

// FileName is the key file's name in the data directory.
const FileName = "tcd.key"

// Key is one secret key and its public ID.
type Key struct {
	ID     string
	Secret []byte
}

// Ring is the keys of one key file, primary first. It is read-only once
// loaded and safe for concurrent use.
type Ring struct {
	path string
	keys []Key
}

// ErrNoKeyFile is returned by Load when the key file does not exist.
var ErrNoKeyFile = errors.New("key file not found")

// NewKey returns a fresh random key.
func NewKey() (Key, error) {
	secret := make([]byte, KeySize)
	if _, err := rand.Read(secret); err != nil {
		return Key{}, fmt.Errorf("keyring: reading random bytes: %w", err)
	}
	return Key{ID: KeyID(secret), Secret: secret}, nil
}

// KeyID is the public name of a secret key.
func KeyID(secret []byte) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte("tc key id"))
	return hex.EncodeToString(m.Sum(nil))[:16]
}

// New returns a ring of the given keys (the first is the primary); for
// tests and for callers that hold keys elsewhere.
func New(keys ...Key) (*Ring, error) {
	if len(keys) == 0 {
		return nil, errors.New("keyring: no keys")
	}
	seen := map[string]bool{}
	for _, k := range keys {
		if len(k.Secret) != KeySize {
			return nil, fmt.Errorf("keyring: key %s is %d bytes, want %d", k.ID, len(k.Secret), KeySize)
		}
		if seen[k.ID] {
			return nil, fmt.Errorf("keyring: key %s appears twice", k.ID)
		}
		seen[k.ID] = true
	}
	return &Ring{keys: keys}, nil
}

// Load reads the key file at path. A missing file is ErrNoKeyFile (wrapped
// with the path); a file others may read is refused, as is a malformed one.
func Load(path string) (*Ring, error) {
	info, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s", ErrNoKeyFile, path)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("keyring: %s is readable by others (mode %#o): run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	keys, err := parse(data)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", path, err)
	}
	r, err := New(keys...)
	if err != nil {
		return nil, fmt.Errorf("keyring: %s: %w", path, err)
	}
	r.path = path
	return r, nil
}

// LoadOrCreate loads the key file at path, creating it (and its directory,
// 0700) with one new key when it does not exist. created tells which.
func LoadOrCreate(path string) (r *Ring, created bool, err error) {
	r, err = Load(path)
	if !errors.Is(err, ErrNoKeyFile) {
		return r, false, err
	}
	k, err := NewKey()
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, false, fmt.Errorf("keyring: %w", err)
	}
	// O_EXCL: two processes starting at once must not both write a key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		r, err = Load(path)
		return r, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("keyring: %w", err)
	}
	_, werr := f.Write(format([]Key{k}))
	if err := errors.Join(werr, f.Sync(), f.Close()); err != nil {
		os.Remove(path)
		return nil, false, fmt.Errorf("keyring: writing %s: %w", path, err)
	}
	r, err = Load(path)
	return r, err == nil, err
}

// Path is the file the ring was loaded from ("" for New).
func (r *Ring) Path() string { return r.path }

// Primary is the key new work uses.
func (r *Ring) Primary() Key { return r.keys[0] }

// Keys returns every key, primary first.
func (r *Ring) Keys() []Key { return append([]Key(nil), r.keys...) }

// Lookup finds a key by ID.
func (r *Ring) Lookup(id string) (Key, bool) {
	for _, k := range r.keys {
		if k.ID == id {
			return k, true
		}
	}
	return Key{}, false
}

// Derive returns the 32-byte key for purpose (e.g. "audit-chain",
// "secrets-kek") derived from k.
func (k Key) Derive(purpose string) []byte {
	out, err := hkdf.Key(sha256.New, k.Secret, nil, "tc/"+purpose, KeySize)
	if err != nil {
		// Only possible for a length beyond 255*32 bytes.
		panic(err)
	}
	return out
}

// Rotate puts a new primary key at the top of the key file at path and
// keeps the old keys below it; it returns the new ring. The file is
// replaced atomically (a temporary file renamed over it).
func Rotate(path string) (*Ring, error) {
	old, err := Load(path)
	if err != nil {
		return nil, err
	}
	k, err := NewKey()
	if err != nil {
		return nil, err
	}
	return write(path, append([]Key{k}, old.keys...))
}

// Retire rewrites the key file at path to hold only its primary key: the
// last step of a rotation, once nothing is left that older keys made.
func Retire(path string) (*Ring, error) {
	old, err := Load(path)
	if err != nil {
		return nil, err
	}
	return write(path, old.keys[:1])
}

func write(path string, keys []Key) (*Ring, error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".tcd.key.*")
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return nil, fmt.Errorf("keyring: %w", err)
	}
	_, werr := tmp.Write(format(keys))
	if err := errors.Join(werr, tmp.Sync(), tmp.Close()); err != nil {
		return nil, fmt.Errorf("keyring: writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	return Load(path)
}

func format(keys []Key) []byte {
	var b bytes.Buffer
	b.WriteString("# tcd's secret keys (docs/operations.md, \"Key file\"). Keep this file private\n")
	b.WriteString("# and back it up apart from the database. The first key is the primary.\n")
	for _, k := range keys {
		fmt.Fprintf(&b, "%s %s\n", k.ID, base64.StdEncoding.EncodeToString(k.Secret))
	}
	return b.Bytes()
}

func parse(data []byte) ([]Key, error) {
	var keys []Key
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		id, enc, ok := strings.Cut(line, " ")
		if !ok {
			return nil, fmt.Errorf("line %d: want \"<id> <base64 key>\"", n)
		}
		secret, err := base64.StdEncoding.DecodeString(strings.TrimSpace(enc))
		if err != nil || len(secret) != KeySize {
			return nil, fmt.Errorf("line %d: the key is not %d bytes of base64", n, KeySize)
		}
		if KeyID(secret) != id {
			return nil, fmt.Errorf("line %d: ID %s does not match its key (edited by hand?)", n, id)
		}
		keys = append(keys, Key{ID: id, Secret: secret})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return nil, errors.New("no keys in the file")
	}
	return keys, nil
}
