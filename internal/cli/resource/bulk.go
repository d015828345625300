package resource

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
)

// Chunked runs a bulk operation on ids in requests of at most tc.MaxLimit
// IDs (the API's limit), showing "what: done/total" on a terminal's stderr
// while more than one request is needed, and adds up the results.
// Duplicate IDs are sent once.
func Chunked(ctx context.Context, ios *iostreams.IOStreams, what string, ids []string, do func(ctx context.Context, chunk []string) (tc.BulkResult, error)) (tc.BulkResult, error) {
	ids = unique(ids)
	update, end := Progress(ios, what)
	defer end()
	var total tc.BulkResult
	for start := 0; start < len(ids); start += tc.MaxLimit {
		chunk := ids[start:min(start+tc.MaxLimit, len(ids))]
		res, err := do(ctx, chunk)
		if err != nil {
			if start > 0 {
				return total, fmt.Errorf("after %s of %s %s: %w", cmdutil.Thousands(start), cmdutil.Thousands(len(ids)), what, err)
			}
			return total, err
		}
		total.Changed += res.Changed
		total.NotFound = append(total.NotFound, res.NotFound...)
		update(start+len(chunk), len(ids))
	}
	return total, nil
}

func unique(ids []string) []string {
	seen := make(map[string]bool, len(ids))
	out := make([]string, 0, len(ids))
	for _, id := range ids {
		if id = strings.TrimSpace(id); id != "" && !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out
}

// ExpandStdin replaces a "-" among ids by the IDs read from ios.In, one per
// line (blank lines and # comments skipped), so that a list can be piped:
// tcctl agent list -o json | jq -r '.[].id' | tcctl label assign edge --agents -
func ExpandStdin(ios *iostreams.IOStreams, ids []string) ([]string, error) {
	var out []string
	for _, id := range ids {
		if id != "-" {
			out = append(out, id)
			continue
		}
		var in io.Reader = ios.In
		if in == nil {
			continue
		}
		sc := bufio.NewScanner(in)
		for sc.Scan() {
			if line := strings.TrimSpace(sc.Text()); line != "" && !strings.HasPrefix(line, "#") {
				out = append(out, line)
			}
		}
		if err := sc.Err(); err != nil {
			return nil, fmt.Errorf("read IDs from standard input: %w", err)
		}
	}
	return out, nil
}
