package auth

import (
	"math"

	"github.com/trustelem/zxcvbn"

	"github.com/opentc/tc/pkg/tc"
)

// MinTokenEntropyBits is the least estimated entropy a pre-shared token
// value (rawToken, OWNER_TOKEN) must carry; a generated one has 256 bits.
const MinTokenEntropyBits = 128

// TokenEntropyBits estimates the entropy of the 64 hex digits of a token
// value with zxcvbn (repeats, sequences, dictionary words, dates): the
// log2 of the guesses an attacker who knows those patterns needs. It also
// returns the pattern that makes the value cheapest to guess ("" when
// nothing but brute force applies).
func TokenEntropyBits(raw string) (float64, string) {
	digits := raw[len(TokenPrefix):]
	r := zxcvbn.PasswordStrength(digits, nil)
	bits := 0.0
	if r.Guesses > 1 {
		bits = math.Log2(r.Guesses)
	}
	// The longest non-brute-force match explains the weakness.
	why, longest := "", 0
	for _, m := range r.Sequence {
		if m.Pattern == "bruteforce" || len(m.Token) <= longest {
			continue
		}
		longest = len(m.Token)
		switch m.Pattern {
		case "repeat":
			why = "it repeats " + quoteShort(m.BaseToken)
		case "sequence":
			why = "it runs in sequence (" + quoteShort(m.Token) + ")"
		case "dictionary":
			why = "it contains the word " + quoteShort(m.Token)
		case "date":
			why = "it contains a date (" + quoteShort(m.Token) + ")"
		default:
			why = "it follows a pattern (" + quoteShort(m.Token) + ")"
		}
	}
	return bits, why
}

func quoteShort(s string) string {
	if len(s) > 16 {
		s = s[:16] + "…"
	}
	return `"` + s + `"`
}

// CheckTokenEntropy refuses a pre-shared value (prefix + 64 hex digits)
// whose estimated entropy is below MinTokenEntropyBits, saying why.
func CheckTokenEntropy(raw string) error {
	bits, why := TokenEntropyBits(raw)
	if bits >= MinTokenEntropyBits {
		return nil
	}
	msg := "rawToken is too easy to guess"
	if why != "" {
		msg += ": " + why
	}
	return tc.Errorf(tc.EInvalid, "%s (about %.0f bits of estimated entropy; at least %d are needed): use a random value, e.g. tc-apiv1_$(openssl rand -hex 32), or omit rawToken to get a generated one",
		msg, bits, MinTokenEntropyBits).With("field", "rawToken").With("reason", "weak_token_value")
}
