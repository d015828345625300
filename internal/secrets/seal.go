package secrets

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"

	"github.com/opentc/tc/internal/keyring"
)

// KEKPurpose is the keyring purpose the key-encryption key is derived for.
const KEKPurpose = "secrets-kek"

// Envelope encryption: every value has a data key of its own (32 random
// bytes); the value is sealed by AES-256-GCM under the data key, the data
// key by AES-256-GCM under the key-encryption key derived from the key
// file's key. Both carry the set and the name as associated data, so a
// sealed value moved to another row (or a data key to another value) does
// not open. Sealed bytes are nonce‖ciphertext‖tag, stored base64.

// ErrUnknownKey is returned when a row was sealed by a key the ring lacks.
var ErrUnknownKey = errors.New("sealed with a key that is not in the key file")

func gcm(key []byte) (cipher.AEAD, error) {
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, err
	}
	return cipher.NewGCM(block)
}

func seal(key, plain, ad []byte) (string, error) {
	a, err := gcm(key)
	if err != nil {
		return "", err
	}
	nonce := make([]byte, a.NonceSize(), a.NonceSize()+len(plain)+a.Overhead())
	if _, err := rand.Read(nonce); err != nil {
		return "", err
	}
	return base64.StdEncoding.EncodeToString(a.Seal(nonce, nonce, plain, ad)), nil
}

func open(key []byte, sealed string, ad []byte) ([]byte, error) {
	raw, err := base64.StdEncoding.DecodeString(sealed)
	if err != nil {
		return nil, fmt.Errorf("sealed data is not base64: %w", err)
	}
	a, err := gcm(key)
	if err != nil {
		return nil, err
	}
	if len(raw) < a.NonceSize()+a.Overhead() {
		return nil, errors.New("sealed data is too short")
	}
	return a.Open(nil, raw[:a.NonceSize()], raw[a.NonceSize():], ad)
}

// valueAD binds a sealed item to its set and name (and to what it is:
// a data key, a value or a transit key).
func valueAD(kind, set, name string) []byte {
	return []byte("tc-secret/" + kind + "\x00" + set + "\x00" + name)
}

// sealed is what one value is kept as.
type sealed struct {
	KeyID   string
	DataKey string
	Value   string
}

// kek returns the key-encryption key of a ring key.
func kek(k keyring.Key) []byte { return k.Derive(KEKPurpose) }

// sealValue seals value under a new data key wrapped by the ring's primary.
func sealValue(ring *keyring.Ring, set, name string, value []byte) (sealed, error) {
	dk := make([]byte, 32)
	if _, err := rand.Read(dk); err != nil {
		return sealed{}, err
	}
	primary := ring.Primary()
	wrapped, err := seal(kek(primary), dk, valueAD("data-key", set, name))
	if err != nil {
		return sealed{}, err
	}
	v, err := seal(dk, value, valueAD("value", set, name))
	if err != nil {
		return sealed{}, err
	}
	return sealed{KeyID: primary.ID, DataKey: wrapped, Value: v}, nil
}

// openValue opens a sealed value with the ring key its KeyID names.
func openValue(ring *keyring.Ring, set, name string, s sealed) ([]byte, error) {
	k, ok := ring.Lookup(s.KeyID)
	if !ok {
		return nil, fmt.Errorf("secret %s/%s: %w (key %s)", set, name, ErrUnknownKey, s.KeyID)
	}
	dk, err := open(kek(k), s.DataKey, valueAD("data-key", set, name))
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: the data key does not open with key %s (tampered or moved row?)", set, name, s.KeyID)
	}
	v, err := open(dk, s.Value, valueAD("value", set, name))
	if err != nil {
		return nil, fmt.Errorf("secret %s/%s: the value does not open (tampered or moved row?)", set, name)
	}
	return v, nil
}

// sealTransit seals a set's transit key‖IV under the primary.
func sealTransit(ring *keyring.Ring, set string, keyIV []byte) (string, string, error) {
	p := ring.Primary()
	s, err := seal(kek(p), keyIV, valueAD("transit-key", set, ""))
	return s, p.ID, err
}

func openTransit(ring *keyring.Ring, set, keyID, s string) ([]byte, error) {
	k, ok := ring.Lookup(keyID)
	if !ok {
		return nil, fmt.Errorf("secret set %s: transit key: %w (key %s)", set, ErrUnknownKey, keyID)
	}
	out, err := open(kek(k), s, valueAD("transit-key", set, ""))
	if err != nil {
		return nil, fmt.Errorf("secret set %s: the transit key does not open with key %s", set, keyID)
	}
	return out, nil
}

// encryptTransit encrypts a value as secretstores.http decrypts it with
// cipher = "AES256/CBC/PKCS#7": AES-256-CBC with the set's fixed IV, PKCS#7
// padding, then standard base64.
func encryptTransit(keyIV []byte, value []byte) (string, error) {
	block, err := aes.NewCipher(keyIV[:32])
	if err != nil {
		return "", err
	}
	n := aes.BlockSize - len(value)%aes.BlockSize
	buf := make([]byte, len(value)+n)
	copy(buf, value)
	for i := len(value); i < len(buf); i++ {
		buf[i] = byte(n)
	}
	cipher.NewCBCEncrypter(block, keyIV[32:48]).CryptBlocks(buf, buf)
	return base64.StdEncoding.EncodeToString(buf), nil
}
