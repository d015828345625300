package secrets

import (
	"encoding/hex"
	"testing"

	"github.com/opentc/tc/internal/keyring"
)

// The transit encryption against a known answer: the key, IV, plaintext
// and ciphertext of secretstores.http's own AES256/CBC/PKCS#5 test case
// (plugins/secretstores/http/testcases/aes-cbc-key), so what tcd sends is
// what the plugin decrypts.
func TestEncryptTransitKnownAnswer(t *testing.T) {
	key, _ := hex.DecodeString("63238c069e3c5d6aaa20048c43ce4ed0a910eef95f22f55bacdddacafa06b656")
	iv, _ := hex.DecodeString("61737570657273656372657469763432")
	for plain, want := range map[string]string{
		"password A": "3y1Za18sLLNIIHw1fv2Olg==",
		"password-B": "aedMZXaLR246OHHjVtJKXQ==",
		"my$3cR3T":   "rcFobNmuaaboSPZY5nKjzQ==",
	} {
		got, err := encryptTransit(append(append([]byte(nil), key...), iv...), []byte(plain))
		if err != nil || got != want {
			t.Fatalf("%q: got %q (%v), want %q", plain, got, err, want)
		}
	}
}

// A sealed value opens only with its ring key, in its own row: another
// key, another set or name, or a flipped byte is an error, never garbage.
func TestSealBindsKeySetAndName(t *testing.T) {
	k1, _ := keyring.NewKey()
	k2, _ := keyring.NewKey()
	ring, _ := keyring.New(k1)
	other, _ := keyring.New(k2)
	both, _ := keyring.New(k2, k1)
	s, err := sealValue(ring, "prod", "db", []byte("hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	if v, err := openValue(ring, "prod", "db", s); err != nil || string(v) != "hunter2" {
		t.Fatalf("open: %q %v", v, err)
	}
	if v, err := openValue(both, "prod", "db", s); err != nil || string(v) != "hunter2" {
		t.Fatalf("open with the key as an older key: %q %v", v, err)
	}
	if _, err := openValue(other, "prod", "db", s); err == nil {
		t.Fatal("opened without its key")
	}
	if _, err := openValue(ring, "prod", "other", s); err == nil {
		t.Fatal("opened under another name")
	}
	if _, err := openValue(ring, "staging", "db", s); err == nil {
		t.Fatal("opened in another set")
	}
	forged := s
	forged.KeyID = k2.ID
	if _, err := openValue(both, "prod", "db", forged); err == nil {
		t.Fatal("opened with a key ID that names another key")
	}
	b := []byte(s.Value)
	b[len(b)-3] ^= 1
	tampered := s
	tampered.Value = string(b)
	if _, err := openValue(ring, "prod", "db", tampered); err == nil {
		t.Fatal("a tampered value opened")
	}
}
