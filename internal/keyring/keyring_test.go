package keyring

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadOrCreateThenRotate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", FileName)
	r, created, err := LoadOrCreate(path)
	if err != nil || !created {
		t.Fatalf("create: %v created=%v", err, created)
	}
	info, err := os.Stat(path)
	if err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v %v", info.Mode().Perm(), err)
	}
	again, created, err := LoadOrCreate(path)
	if err != nil || created || again.Primary().ID != r.Primary().ID {
		t.Fatalf("second load: %v created=%v", err, created)
	}
	first := r.Primary()
	rot, err := Rotate(path)
	if err != nil {
		t.Fatal(err)
	}
	if rot.Primary().ID == first.ID || len(rot.Keys()) != 2 {
		t.Fatalf("rotate: %v", rot.Keys())
	}
	if k, ok := rot.Lookup(first.ID); !ok || !bytes.Equal(k.Secret, first.Secret) {
		t.Fatal("the old key is gone after Rotate")
	}
	ret, err := Retire(path)
	if err != nil || len(ret.Keys()) != 1 || ret.Primary().ID != rot.Primary().ID {
		t.Fatalf("retire: %v %v", err, ret)
	}
	if _, ok := ret.Lookup(first.ID); ok {
		t.Fatal("the old key survives Retire")
	}
}

func TestDeriveSeparatesPurposes(t *testing.T) {
	k, err := NewKey()
	if err != nil {
		t.Fatal(err)
	}
	a, b := k.Derive("audit-chain"), k.Derive("secrets-kek")
	if len(a) != KeySize || bytes.Equal(a, b) || bytes.Equal(a, k.Secret) {
		t.Fatal("derived keys are not distinct 32-byte keys")
	}
	if !bytes.Equal(a, k.Derive("audit-chain")) {
		t.Fatal("Derive is not deterministic")
	}
}

func TestLoadRefuses(t *testing.T) {
	dir := t.TempDir()
	if _, err := Load(filepath.Join(dir, "none")); !errors.Is(err, ErrNoKeyFile) {
		t.Fatalf("missing file: %v", err)
	}
	path := filepath.Join(dir, FileName)
	if _, _, err := LoadOrCreate(path); err != nil {
		t.Fatal(err)
	}
	os.Chmod(path, 0o644)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "chmod 600") {
		t.Fatalf("world-readable file: %v", err)
	}
	os.Chmod(path, 0o600)
	data, _ := os.ReadFile(path)
	edited := bytes.Replace(data, []byte("\n"), []byte("\nffffffffffffffff AAAA\n"), 1)
	os.WriteFile(path, edited, 0o600)
	if _, err := Load(path); err == nil {
		t.Fatal("a malformed line was accepted")
	}
	k, _ := NewKey()
	other, _ := NewKey()
	bad := strings.Replace(string(format([]Key{k})), k.ID, other.ID, 1)
	os.WriteFile(path, []byte(bad), 0o600)
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "does not match") {
		t.Fatalf("mismatched ID: %v", err)
	}
}
