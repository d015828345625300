package osv

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strconv"
	"unicode/utf8"
)

// Error is a problem in an OSV file: the file (for a zip archive, the
// archive and the member), the JSON path of the value at fault ("$" is the
// document, e.g. $[3].affected[0].ranges[0].events[1].fixed) and what is
// wrong with it.
type Error struct {
	File string
	Path string
	Msg  string
}

func (e *Error) Error() string {
	s := e.Msg
	if e.Path != "" {
		s = e.Path + ": " + s
	}
	if e.File != "" {
		s = e.File + ": " + s
	}
	return s
}

// maxDepth bounds nesting; OSV documents are at most six levels deep.
const maxDepth = 32

var identRe = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

func keyPath(path, key string) string {
	if identRe.MatchString(key) {
		return path + "." + key
	}
	return path + "[" + strconv.Quote(key) + "]"
}

func indexPath(path string, i int) string { return path + "[" + strconv.Itoa(i) + "]" }

// tree decodes one JSON value into maps, slices, strings, json.Numbers,
// bools and nils, refusing duplicate keys and naming the path of every
// problem (syntax errors too, with their line and column).
type tree struct {
	data []byte
	dec  *json.Decoder
	file string
}

// decodeTree decodes data, which must hold exactly one JSON value.
func decodeTree(file string, data []byte) (any, error) {
	if !utf8.Valid(data) {
		return nil, &Error{File: file, Msg: "not valid UTF-8: OSV files are UTF-8 JSON"}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, &Error{File: file, Msg: "empty: expected an OSV document, a JSON array of them, or a zip archive"}
	}
	t := &tree{data: data, dec: json.NewDecoder(bytes.NewReader(data)), file: file}
	t.dec.UseNumber()
	v, err := t.value("$", 0)
	if err != nil {
		return nil, err
	}
	if _, err := t.dec.Token(); err != io.EOF {
		return nil, t.errorf("$", "unexpected data after the JSON value at %s", t.position(t.dec.InputOffset()))
	}
	return v, nil
}

func (t *tree) errorf(path, format string, args ...any) *Error {
	return &Error{File: t.file, Path: path, Msg: fmt.Sprintf(format, args...)}
}

// position renders a byte offset as "line L, column C".
func (t *tree) position(off int64) string {
	if off > int64(len(t.data)) {
		off = int64(len(t.data))
	}
	line, col := 1, 1
	for _, b := range t.data[:off] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return fmt.Sprintf("line %d, column %d", line, col)
}

func (t *tree) syntax(path string, err error) *Error {
	var se *json.SyntaxError
	switch {
	case errors.As(err, &se):
		return t.errorf(path, "malformed JSON at %s: %s", t.position(se.Offset), se.Error())
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return t.errorf(path, "malformed JSON: the document ends too early")
	}
	return t.errorf(path, "malformed JSON at %s: %v", t.position(t.dec.InputOffset()), err)
}

func (t *tree) value(path string, depth int) (any, error) {
	if depth > maxDepth {
		return nil, t.errorf(path, "nested more than %d levels deep", maxDepth)
	}
	tok, err := t.dec.Token()
	if err != nil {
		return nil, t.syntax(path, err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	switch d {
	case '{':
		m := map[string]any{}
		for t.dec.More() {
			kt, err := t.dec.Token()
			if err != nil {
				return nil, t.syntax(path, err)
			}
			k, _ := kt.(string)
			kp := keyPath(path, k)
			if _, dup := m[k]; dup {
				return nil, t.errorf(kp, "duplicate key %q", k)
			}
			v, err := t.value(kp, depth+1)
			if err != nil {
				return nil, err
			}
			m[k] = v
		}
		if _, err := t.dec.Token(); err != nil {
			return nil, t.syntax(path, err)
		}
		return m, nil
	case '[':
		a := []any{}
		for i := 0; t.dec.More(); i++ {
			v, err := t.value(indexPath(path, i), depth+1)
			if err != nil {
				return nil, err
			}
			a = append(a, v)
		}
		if _, err := t.dec.Token(); err != nil {
			return nil, t.syntax(path, err)
		}
		return a, nil
	}
	return nil, t.errorf(path, "malformed JSON: unexpected %q", string(d))
}

// kind names a decoded value's JSON type for messages.
func kind(v any) string {
	switch v.(type) {
	case nil:
		return "null"
	case map[string]any:
		return "an object"
	case []any:
		return "an array"
	case string:
		return "a string"
	case json.Number:
		return "a number"
	case bool:
		return "true or false"
	}
	return fmt.Sprintf("%T", v)
}

// fields reads typed values out of decoded JSON, recording the first
// problem with its path.
type fields struct {
	file string
	err  *Error
}

func (f *fields) fail(path, format string, args ...any) {
	if f.err == nil {
		f.err = &Error{File: f.file, Path: path, Msg: fmt.Sprintf(format, args...)}
	}
}

func (f *fields) object(path string, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		f.fail(path, "must be an object, not %s", kind(v))
	}
	return m
}

// array returns m[key] as an array; absent or null is an empty one.
func (f *fields) array(path string, m map[string]any, key string) []any {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	a, ok := v.([]any)
	if !ok {
		f.fail(keyPath(path, key), "must be an array, not %s", kind(v))
	}
	return a
}

// optObject returns m[key] as an object; absent or null is nil.
func (f *fields) optObject(path string, m map[string]any, key string) map[string]any {
	v, ok := m[key]
	if !ok || v == nil {
		return nil
	}
	return f.object(keyPath(path, key), v)
}

// str returns m[key] as a string; absent or null is "" (and a problem
// when required).
func (f *fields) str(path string, m map[string]any, key string, required bool) string {
	v, ok := m[key]
	if !ok || v == nil {
		if required {
			f.fail(keyPath(path, key), "is required")
		}
		return ""
	}
	s, ok := v.(string)
	if !ok {
		f.fail(keyPath(path, key), "must be a string, not %s", kind(v))
	}
	if required && s == "" {
		f.fail(keyPath(path, key), "must not be empty")
	}
	return s
}

// strings returns m[key] as an array of strings.
func (f *fields) strings(path string, m map[string]any, key string) []string {
	a := f.array(path, m, key)
	out := make([]string, 0, len(a))
	for i, v := range a {
		s, ok := v.(string)
		if !ok {
			f.fail(indexPath(keyPath(path, key), i), "must be a string, not %s", kind(v))
			continue
		}
		out = append(out, s)
	}
	return out
}
