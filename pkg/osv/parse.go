package osv

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"path"
	"strings"
)

// Limits of a zip archive (osv.dev's whole Go ecosystem is a few thousand
// members of a few kilobytes each).
const (
	MaxZipMembers    = 200_000
	MaxMemberBytes   = 16 << 20
	MaxArchiveBytes  = 1 << 30
	maxEntriesPerDoc = 200_000
)

// Result is what Parse read: the entries about tracked modules, checked,
// and how many entries there were in all.
type Result struct {
	Entries []Entry
	Total   int
}

// Ignored is how many entries were about other packages.
func (r *Result) Ignored() int { return r.Total - len(r.Entries) }

// IsZip reports whether data starts like a zip archive.
func IsZip(data []byte) bool {
	return bytes.HasPrefix(data, []byte("PK\x03\x04")) || bytes.HasPrefix(data, []byte("PK\x05\x06"))
}

// Parse reads one OSV document, a JSON array of documents, or a zip archive
// of .json files holding either (other members are skipped). name is how
// errors refer to data (a file name; "" for none). Entries that are not
// about a tracked module are counted but not returned. The first problem
// anywhere is an *Error and nothing is returned.
func Parse(name string, data []byte) (*Result, error) {
	res := &Result{}
	if IsZip(data) {
		if err := parseZip(name, data, res); err != nil {
			return nil, err
		}
		return res, nil
	}
	if err := parseDoc(name, data, res); err != nil {
		return nil, err
	}
	return res, nil
}

func parseZip(name string, data []byte, res *Result) error {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return &Error{File: name, Msg: fmt.Sprintf("not a readable zip archive: %v", err)}
	}
	if len(zr.File) > MaxZipMembers {
		return &Error{File: name, Msg: fmt.Sprintf("the archive has %d members; at most %d are read", len(zr.File), MaxZipMembers)}
	}
	var total int64
	for _, zf := range zr.File {
		if zf.FileInfo().IsDir() || !strings.EqualFold(path.Ext(zf.Name), ".json") {
			continue
		}
		member := zf.Name
		if name != "" {
			member = name + ": " + zf.Name
		}
		rc, err := zf.Open()
		if err != nil {
			return &Error{File: member, Msg: fmt.Sprintf("cannot read the member: %v", err)}
		}
		b, err := io.ReadAll(io.LimitReader(rc, MaxMemberBytes+1))
		rc.Close()
		if err != nil {
			return &Error{File: member, Msg: fmt.Sprintf("cannot read the member: %v", err)}
		}
		if len(b) > MaxMemberBytes {
			return &Error{File: member, Msg: fmt.Sprintf("larger than %d MiB uncompressed", MaxMemberBytes>>20)}
		}
		if total += int64(len(b)); total > MaxArchiveBytes {
			return &Error{File: name, Msg: fmt.Sprintf("more than %d MiB uncompressed", MaxArchiveBytes>>20)}
		}
		if err := parseDoc(member, b, res); err != nil {
			return err
		}
	}
	return nil
}

// parseDoc reads one JSON file: an entry or an array of entries.
func parseDoc(name string, data []byte, res *Result) error {
	v, err := decodeTree(name, data)
	if err != nil {
		return err
	}
	f := &fields{file: name}
	switch doc := v.(type) {
	case map[string]any:
		if err := keep(f, "$", doc, res); err != nil {
			return err
		}
	case []any:
		if len(doc) > maxEntriesPerDoc {
			return &Error{File: name, Path: "$", Msg: fmt.Sprintf("%d entries; at most %d per file", len(doc), maxEntriesPerDoc)}
		}
		for i, ev := range doc {
			if err := keep(f, indexPath("$", i), ev, res); err != nil {
				return err
			}
		}
	default:
		return &Error{File: name, Path: "$", Msg: fmt.Sprintf("must be an OSV document (an object) or an array of them, not %s", kind(v))}
	}
	return nil
}

func keep(f *fields, path string, v any, res *Result) error {
	e := decodeEntry(f, path, v)
	if f.err != nil {
		return f.err
	}
	res.Total++
	if !e.Tracked() {
		return nil
	}
	e.check(f)
	if f.err != nil {
		return f.err
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return &Error{File: f.file, Path: path, Msg: fmt.Sprintf("cannot encode the entry: %v", err)}
	}
	e.Document = json.RawMessage(bytes.TrimRight(buf.Bytes(), "\n"))
	if f.file != "" {
		e.Path = f.file + ": " + path
	}
	res.Entries = append(res.Entries, e)
	return nil
}

// Dedupe keeps one entry per ID: of two with different documents, the one
// modified later. Two different documents with the same ID and the same
// modification time are ambiguous and refused, naming the second.
func Dedupe(entries []Entry) ([]Entry, error) {
	seen := map[string]int{}
	out := make([]Entry, 0, len(entries))
	for _, e := range entries {
		i, dup := seen[e.ID]
		if !dup {
			seen[e.ID] = len(out)
			out = append(out, e)
			continue
		}
		prev := out[i]
		if bytes.Equal(prev.Document, e.Document) {
			continue
		}
		switch cmpTime(e.Modified, prev.Modified) {
		case 1:
			out[i] = e
		case 0:
			return nil, &Error{Path: e.Path, Msg: fmt.Sprintf("%s appears again with different content and the same modified time (first at %s): keep one", e.ID, prev.Path)}
		}
	}
	return out, nil
}
