package render

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Environment variables in Telegraf configs follow shell parameter
// expansion, as Telegraf documents it:
//
//	$NAME, ${NAME}             the value; an unset variable stays as written
//	${NAME:-default}           default when NAME is unset or empty
//	${NAME-default}            default when NAME is unset
//	${NAME:?message}           error when NAME is unset or empty
//	${NAME?message}            error when NAME is unset
//	${NAME:+other}, ${NAME+other}  other when NAME is set (and not empty)
//	$$                         a literal $
//
// NAME is a letter or '_' then letters, digits and '_'. Anything else after
// '$' (${1}, ${}) is left as written. A default may itself hold ${…}.
//
// tcd does not know the agents' environment unless it is declared (Env):
// then every variable counts as set to a neutral value, 0, which is valid
// as a bare value, a key and inside any string, so only the shape of the
// file decides — and defaults are taken as written, being what an agent
// without the variable gets.

// Env is the agents' environment for substitution; nil means unknown.
type Env map[string]string

// neutralEnv is what a variable of an unknown environment stands for.
const neutralEnv = "0"

// RequiredVarError is a ${NAME:?message} whose variable is unset.
type RequiredVarError struct {
	Name, Message string
	Offset        int // of the '$' in the text substituted
}

func (e *RequiredVarError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = "it is unset or empty"
	}
	return fmt.Sprintf("required environment variable %s is missing a value: %s", e.Name, msg)
}

// ParseEnvFile reads KEY=value lines (the format of /etc/default/telegraf
// and of systemd's EnvironmentFile): blank lines and lines starting with #
// are skipped, an optional "export " prefix is dropped, and a value in
// matching single or double quotes loses them.
func ParseEnvFile(r io.Reader) (Env, error) {
	env := Env{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		k = strings.TrimSpace(k)
		if !ok || !isEnvName(k) {
			return nil, fmt.Errorf("line %d: want NAME=value, got %q", n, line)
		}
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') && v[len(v)-1] == v[0] {
			v = v[1 : len(v)-1]
		}
		env[k] = v
	}
	return env, sc.Err()
}

func isEnvName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// substituteEnv expands the environment variables of s with env (nil: an
// unknown environment). The first required variable without a value is
// returned as *RequiredVarError.
func substituteEnv(s string, env Env) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	if err := expand(&b, s, 0, env); err != nil {
		return "", err
	}
	return b.String(), nil
}

func expand(b *strings.Builder, s string, base int, env Env) error {
	for i := 0; i < len(s); {
		j := strings.IndexByte(s[i:], '$')
		if j < 0 {
			b.WriteString(s[i:])
			return nil
		}
		b.WriteString(s[i : i+j])
		i += j
		if i+1 >= len(s) {
			b.WriteByte('$')
			return nil
		}
		switch c := s[i+1]; {
		case c == '$':
			b.WriteByte('$')
			i += 2
		case c == '{':
			end := matchBrace(s, i+1)
			if end < 0 {
				b.WriteString(s[i:])
				return nil
			}
			if err := expandBraced(b, s[i:end+1], s[i+2:end], base+i, env); err != nil {
				return err
			}
			i = end + 1
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			k := i + 2
			for k < len(s) && (s[k] == '_' || s[k] >= 'a' && s[k] <= 'z' || s[k] >= 'A' && s[k] <= 'Z' || s[k] >= '0' && s[k] <= '9') {
				k++
			}
			v, ok := lookup(env, s[i+1:k])
			if !ok {
				v = s[i:k]
			}
			b.WriteString(v)
			i = k
		default:
			b.WriteByte('$')
			i++
		}
	}
	return nil
}

// matchBrace returns the index of the '}' closing the '{' at open, counting
// nested ${…}, or -1.
func matchBrace(s string, open int) int {
	depth := 0
	for k := open; k < len(s); k++ {
		switch s[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return k
			}
		}
	}
	return -1
}

func lookup(env Env, name string) (string, bool) {
	if env == nil {
		return neutralEnv, true
	}
	v, ok := env[name]
	return v, ok
}

// expandBraced writes the expansion of one ${…}; whole is the text as
// written, body what is between the braces, at the offset of the '$'.
func expandBraced(b *strings.Builder, whole, body string, at int, env Env) error {
	k := 0
	for k < len(body) && (body[k] == '_' || body[k] >= 'a' && body[k] <= 'z' || body[k] >= 'A' && body[k] <= 'Z' || k > 0 && body[k] >= '0' && body[k] <= '9') {
		k++
	}
	name := body[:k]
	if name == "" || name[0] >= '0' && name[0] <= '9' {
		b.WriteString(whole) // not a variable: ${1}, ${}
		return nil
	}
	rest := body[k:]
	var val string
	var set bool
	if env == nil {
		set = true
	} else {
		val, set = env[name]
	}
	if rest == "" {
		switch {
		case env == nil:
			b.WriteString(neutralEnv)
		case set:
			b.WriteString(val)
		default:
			b.WriteString(whole) // Telegraf keeps an unset variable as written
		}
		return nil
	}
	colon := strings.HasPrefix(rest, ":")
	op := strings.TrimPrefix(rest, ":")
	if op == "" {
		b.WriteString(whole)
		return nil
	}
	arg := op[1:]
	argAt := at + 2 + k + len(rest) - len(arg)
	empty := set && val == "" && env != nil
	switch op[0] {
	case '-':
		if env == nil || !set || colon && empty {
			return expand(b, arg, argAt, env)
		}
		b.WriteString(val)
	case '?':
		if env != nil && (!set || colon && empty) {
			return &RequiredVarError{Name: name, Message: arg, Offset: at}
		}
		if env == nil {
			val = neutralEnv
		}
		b.WriteString(val)
	case '+':
		if env == nil || set && !(colon && empty) {
			return expand(b, arg, argAt, env)
		}
	default:
		b.WriteString(whole) // not a form Telegraf expands
	}
	return nil
}
