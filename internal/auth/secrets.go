// Package auth holds everything about who a caller is and what they may do:
// password hashing, session and API-token secrets, the credential cache, the
// authorization policy (the one place roles and permissions are enforced) and
// the identity service behind the users/auth API.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
)

// Secret prefixes. Every secret is the prefix plus 64 lowercase hex digits
// (32 random bytes); only its SHA-256 is ever stored.
const (
	TokenPrefix   = "tc-apiv1_"
	SessionPrefix = "tc-session_"
	InvitePrefix  = "tc-invite_"
	ResetPrefix   = "tc-reset_"
)

const secretHexLen = 64

// NewSecret returns a fresh secret with the prefix and its SHA-256 (hex).
func NewSecret(prefix string) (raw, hash string) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error()) // never happens on supported platforms
	}
	raw = prefix + hex.EncodeToString(b[:])
	return raw, HashSecret(raw)
}

// HashSecret returns the hex SHA-256 of a raw secret, the form stored and
// looked up.
func HashSecret(raw string) string {
	var b [2 * sha256.Size]byte
	hashSecretTo(&b, raw)
	return string(b[:])
}

// hashSecretTo writes HashSecret(raw) to dst without allocating for a raw
// of a well-formed credential's length.
func hashSecretTo(dst *[2 * sha256.Size]byte, raw string) {
	var buf [128]byte
	var sum [sha256.Size]byte
	if len(raw) <= len(buf) {
		sum = sha256.Sum256(append(buf[:0], raw...))
	} else {
		sum = sha256.Sum256([]byte(raw))
	}
	hex.Encode(dst[:], sum[:])
}

// WellFormed reports whether raw is prefix + 64 lowercase hex digits.
func WellFormed(raw, prefix string) bool {
	if !strings.HasPrefix(raw, prefix) || len(raw) != len(prefix)+secretHexLen {
		return false
	}
	for _, c := range raw[len(prefix):] {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Hint returns the last four characters of a secret, the only part of it
// that may be shown or logged.
func Hint(raw string) string {
	if len(raw) < 4 {
		return ""
	}
	return raw[len(raw)-4:]
}
