package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/opentc/tc/pkg/tc"
)

// decode strictly decodes a JSON object body into v: it must be one object,
// valid UTF-8, with no unknown fields and nothing after it.
func decode(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return tc.Errorf(tc.EInvalid, "request body is empty: send a JSON object")
	}
	return decodeBytes(c, body, v)
}

// decodeOptional is decode for routes whose body may be absent.
func decodeOptional(c *fiber.Ctx, v any) error {
	body := c.Body()
	if len(bytes.TrimSpace(body)) == 0 {
		return nil
	}
	return decodeBytes(c, body, v)
}

func decodeBytes(c *fiber.Ctx, body []byte, v any) error {
	if ct := c.Get(fiber.HeaderContentType); ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || !(mt == "application/json" || strings.HasSuffix(mt, "+json")) {
			return tc.Errorf(tc.EInvalid, "Content-Type %q is not JSON: send application/json", ct)
		}
	}
	if !utf8.Valid(body) {
		return badUTF8(body)
	}
	if t := bytes.TrimSpace(body); t[0] != '{' {
		return tc.Errorf(tc.EInvalid, "request body must be a JSON object")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return jsonError(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return tc.Errorf(tc.EInvalid, "unexpected data after the JSON object")
	}
	return nil
}

func jsonError(err error) error {
	var (
		syn *json.SyntaxError
		typ *json.UnmarshalTypeError
	)
	switch {
	case errors.As(err, &syn):
		return tc.Errorf(tc.EInvalid, "malformed JSON at byte %d: %s", syn.Offset, syn.Error())
	case errors.As(err, &typ):
		field := typ.Field
		if field == "" {
			field = "(top level)"
		}
		return tc.Errorf(tc.EInvalid, "field %q must be %s, not %s", field, jsonKind(typ.Type.Kind().String()), typ.Value).With("field", field)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return tc.Errorf(tc.EInvalid, "malformed JSON: the body ends too early")
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name, _ := strconv.Unquote(strings.TrimPrefix(err.Error(), "json: unknown field "))
		return tc.Errorf(tc.EInvalid, "unknown field %q", name).With("field", name)
	}
	return tc.Errorf(tc.EInvalid, "malformed JSON: %s", err.Error())
}

func jsonKind(k string) string {
	switch k {
	case "string":
		return "a string"
	case "bool":
		return "true or false"
	case "int", "int64", "int32", "float64", "uint", "uint64":
		return "a number"
	case "slice":
		return "an array"
	case "struct", "map":
		return "an object"
	}
	return "a " + k
}

// page parses ?limit= and ?offset=.
func page(c *fiber.Ctx) (tc.Page, error) {
	p := tc.Page{Limit: tc.DefaultLimit}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > tc.MaxLimit {
			return p, tc.Errorf(tc.EInvalid, "limit must be a whole number from 1 to %d (got %q)", tc.MaxLimit, v).With("field", "limit")
		}
		p.Limit = n
	}
	if v := c.Query("offset"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			return p, tc.Errorf(tc.EInvalid, "offset must be a whole number of 0 or more (got %q)", v).With("field", "offset")
		}
		p.Offset = n
	}
	return p, nil
}

// badUTF8 says where the first byte that is not UTF-8 is: in which field
// and, for text fields, at which line and column of the field's text (so a
// TOML upload points at the line of the file), with a hint to convert.
func badUTF8(body []byte) error {
	var fields map[string]json.RawMessage
	if json.Unmarshal(body, &fields) == nil {
		names := make([]string, 0, len(fields))
		for k := range fields {
			names = append(names, k)
		}
		sort.Strings(names)
		for _, name := range names {
			raw := fields[name]
			if utf8.Valid(raw) || len(raw) == 0 || raw[0] != '"' {
				continue
			}
			k := firstBadByte(raw)
			var prefix string
			if json.Unmarshal(append(append([]byte{}, raw[:k]...), '"'), &prefix) != nil {
				break
			}
			line := 1 + strings.Count(prefix, "\n")
			col := utf8.RuneCountInString(prefix[strings.LastIndexByte(prefix, '\n')+1:]) + 1
			return tc.Errorf(tc.EInvalid, "field %q, line %d, column %d: byte 0x%02X is not valid UTF-8; tcd keeps text as UTF-8: convert the file first, e.g. iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8", name, line, col, raw[k]).
				With("field", name).With("line", line).With("column", col)
		}
	}
	k := firstBadByte(body)
	return tc.Errorf(tc.EInvalid, "request body is not valid UTF-8 (byte 0x%02X at offset %d): send UTF-8, e.g. convert with iconv -f WINDOWS-1252 -t UTF-8", body[k], k)
}

func firstBadByte(b []byte) int {
	for i := 0; i < len(b); {
		r, n := utf8.DecodeRune(b[i:])
		if r == utf8.RuneError && n <= 1 {
			return i
		}
		i += n
	}
	return len(b)
}
