package tc

import (
	"regexp"
	"strings"
	"time"
	"unicode/utf8"
)

// ResSecrets is secret sets: secrets:write sets, deletes and lists the
// names of secrets (never their values) and sets a set's transit cipher;
// secrets:read is the agent endpoint that serves a set's values to
// Telegraf's secretstores.http plugin, for API tokens only. A token's
// secrets:read may be scoped to one set: "secrets:read:<set>".
const ResSecrets = "secrets"

// Secret is what the API shows of one secret: never its value.
type Secret struct {
	Set       string    `json:"set"`
	Name      string    `json:"name"`
	Version   int       `json:"version"`
	CreatedAt time.Time `json:"createdAt"`
	CreatedBy string    `json:"createdBy"`
	UpdatedAt time.Time `json:"updatedAt"`
	UpdatedBy string    `json:"updatedBy"`
}

// SecretSet is a named collection of secrets.
type SecretSet struct {
	Name    string `json:"name"`
	Secrets int    `json:"secrets"`
	// Cipher is the transit cipher values are served with ("none" or
	// SecretCipherAES256).
	Cipher    string    `json:"cipher"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// SetSecretRequest is the body of PUT /api/secret-sets/{set}/secrets/{name}.
type SetSecretRequest struct {
	Value string `json:"value"`
}

// SecretCipherRequest is the body of PUT /api/secret-sets/{set}/cipher.
type SecretCipherRequest struct {
	// Cipher is "none" (plain JSON over the connection) or
	// SecretCipherAES256; every PUT with AES makes a new key and IV.
	Cipher string `json:"cipher"`
}

// SecretCipher is the answer to a cipher change: the key and IV, shown
// this once (hex, as secretstores.http takes them).
type SecretCipher struct {
	Set        string `json:"set"`
	Cipher     string `json:"cipher"`
	Key        string `json:"key,omitempty"`
	InitVector string `json:"initVector,omitempty"`
}

// Transit ciphers of the values endpoint, spelled as the cipher option of
// Telegraf's secretstores.http.
const (
	SecretCipherNone   = "none"
	SecretCipherAES256 = "AES256/CBC/PKCS#7"
)

// Bounds of secrets.
const (
	MaxSecretValueLen   = 64 << 10
	MaxSecretsPerSet    = 1000
	SecretValuesPathFmt = "/api/secret-sets/%s/values"
)

// Secret and set names are what Telegraf accepts in a reference
// @{store:name}: letters, digits and underscores. A set is usually served
// as a store of the same id.
var secretNameRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,128}$`)
var secretSetRe = regexp.MustCompile(`^[A-Za-z0-9_]{1,64}$`)

// CheckSecretName validates a secret name.
func CheckSecretName(s string) error {
	if !secretNameRe.MatchString(s) {
		return invalidField("name", "secret name %q must be 1-128 letters, digits and underscores (what Telegraf accepts in @{store:name})", s)
	}
	return nil
}

// CheckSecretSet validates a secret set name.
func CheckSecretSet(s string) error {
	if !secretSetRe.MatchString(s) {
		return invalidField("set", "secret set name %q must be 1-64 letters, digits and underscores (what Telegraf accepts as a secret-store id)", s)
	}
	return nil
}

// CheckSecretValue validates a value: non-empty valid UTF-8 (JSON carries
// it as a string) without NUL, at most MaxSecretValueLen bytes. The error
// never quotes the value.
func CheckSecretValue(s string) error {
	switch {
	case s == "":
		return invalidField("value", "the secret value is empty")
	case len(s) > MaxSecretValueLen:
		return invalidField("value", "a secret value must be at most %d bytes", MaxSecretValueLen)
	case !utf8.ValidString(s):
		return invalidField("value", "a secret value must be valid UTF-8 (Telegraf receives it in JSON)")
	case strings.ContainsRune(s, 0):
		return invalidField("value", "a secret value must not contain NUL")
	}
	return nil
}

// ParseSecretCipher normalises a cipher name.
func ParseSecretCipher(s string) (string, error) {
	switch strings.ToUpper(strings.TrimSpace(s)) {
	case "":
		return "", invalidField("cipher", "cipher is required: none or %s", SecretCipherAES256)
	case "NONE":
		return SecretCipherNone, nil
	case "AES256/CBC/PKCS#7", "AES256/CBC/PKCS#5", "AES256", "AES":
		return SecretCipherAES256, nil
	}
	return "", invalidField("cipher", "unknown cipher %q: use none or %s", s, SecretCipherAES256)
}

// SecretReadScoped is the permission to read the values of one set.
func SecretReadScoped(set string) Permission {
	return Permission(string(Perm(ResSecrets, ActRead)) + ":" + set)
}
