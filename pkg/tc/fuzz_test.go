package tc

import (
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

var nameSeeds = []string{"", "web", "prod-eu-1", " padded ", "a/b", `a"b`, "a\\b", "../../etc/passwd", "x\x00y", "tab\there",
	"\xff\xfe", "日本語の名前", "'; DROP TABLE configs; --", strings.Repeat("n", 300), "0123e4567-e89b-12d3-a456-426614174000",
	"123e4567-e89b-12d3-a456-426614174000", "bulk", "many", "-ab", "ab-", "a", "ab", "abc", "ABC", "a b", "%2e%2e"}

// Whatever a caller sends, an accepted alias is a safe URL path segment:
// 3–63 characters of a-z, 0-9 and '-', not starting or ending with '-',
// never reserved, never UUID-shaped; a refusal is always an invalid error.
func FuzzCheckAlias(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		err := CheckAlias(s)
		if err != nil {
			if ErrorCode(err) != EInvalid {
				t.Fatalf("%q: error code %s", s, ErrorCode(err))
			}
			return
		}
		if len(s) < 3 || len(s) > 63 || s[0] == '-' || s[len(s)-1] == '-' || uuidLikeRe.MatchString(s) {
			t.Fatalf("accepted %q", s)
		}
		for _, r := range s {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				t.Fatalf("accepted %q with %q", s, r)
			}
		}
		for _, r := range ReservedAliases {
			if s == r {
				t.Fatalf("accepted reserved %q", s)
			}
		}
	})
}

// An accepted name is trimmed, valid UTF-8, free of control characters,
// quotes, slashes and backslashes, at most MaxNameLen characters, and
// accepting it again changes nothing.
func FuzzCheckName(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := CheckName("name", s)
		if err != nil {
			if ErrorCode(err) != EInvalid {
				t.Fatalf("%q: error code %s", s, ErrorCode(err))
			}
			return
		}
		if out == "" || out != strings.TrimSpace(out) || !utf8.ValidString(out) || utf8.RuneCountInString(out) > MaxNameLen {
			t.Fatalf("%q accepted as %q", s, out)
		}
		if strings.ContainsFunc(out, func(r rune) bool { return unicode.IsControl(r) || strings.ContainsRune(`"\/`, r) }) {
			t.Fatalf("%q accepted with a forbidden character", out)
		}
		if again, err := CheckName("name", out); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q, %v", out, again, err)
		}
	})
}

// Config IDs chosen by callers appear in URLs: never a dot segment, slash
// or anything outside [A-Za-z0-9._-].
func FuzzCheckConfigID(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Add(".")
	f.Add("..")
	f.Fuzz(func(t *testing.T, s string) {
		if CheckConfigID(s) != nil {
			return
		}
		if s == "." || s == ".." || s == "" || len(s) > 64 || strings.ContainsAny(s, "/\\%?#") {
			t.Fatalf("accepted %q", s)
		}
	})
}

// Constant names and values are inserted into TOML: a value never carries
// a quote or a line break, a name is an identifier.
func FuzzCheckConstant(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s, s)
	}
	f.Fuzz(func(t *testing.T, name, value string) {
		if CheckConstantName(name) == nil {
			if name == "" || len(name) > 128 || strings.ContainsFunc(name, func(r rune) bool {
				return !(r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			}) {
				t.Fatalf("accepted name %q", name)
			}
		}
		if CheckConstantValue(value) == nil && (strings.ContainsAny(value, "\r\n") || !utf8.ValidString(value)) {
			t.Fatalf("accepted value %q", value)
		}
	})
}

// Usernames: normalizing is idempotent and never yields something invalid.
func FuzzNormalizeUsername(f *testing.F) {
	for _, s := range nameSeeds {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		out, err := NormalizeUsername(s)
		if err != nil {
			return
		}
		if again, err := NormalizeUsername(out); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q → %q, %v", s, out, again, err)
		}
		if !utf8.ValidString(out) || strings.ContainsAny(out, "/\\ \x00") {
			t.Fatalf("%q normalized to %q", s, out)
		}
	})
}
