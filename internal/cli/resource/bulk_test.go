package resource

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/tc"
)

// Bulk verbs send at most tc.MaxLimit IDs a request, each ID once, add up
// the results and show progress on a terminal only.
func TestChunked(t *testing.T) {
	var ids []string
	for i := 0; i < 2500; i++ {
		ids = append(ids, fmt.Sprintf("a-%d", i))
	}
	ids = append(ids, "a-1", " ", "a-2")
	for _, tty := range []bool{true, false} {
		ios, _, _, errOut := iostreams.Test()
		ios.SetTerminal(tty)
		var sizes []int
		res, err := Chunked(context.Background(), ios, "agents", ids, func(ctx context.Context, chunk []string) (tc.BulkResult, error) {
			sizes = append(sizes, len(chunk))
			return tc.BulkResult{Changed: len(chunk) - 1, NotFound: chunk[:1]}, nil
		})
		if err != nil || fmt.Sprint(sizes) != "[1000 1000 500]" || res.Changed != 2497 || len(res.NotFound) != 3 {
			t.Fatalf("terminal %v: sizes %v, result %+v, %v", tty, sizes, res, err)
		}
		progress := errOut.String()
		if tty != strings.Contains(progress, "\ragents: 2,500/2,500\n") {
			t.Errorf("terminal %v: progress %q", tty, progress)
		}
	}
}

func TestExpandStdin(t *testing.T) {
	ios, in, _, _ := iostreams.Test()
	in.WriteString("edge-01\n# a comment\n\n  edge-02  \n")
	got, err := ExpandStdin(ios, []string{"web-01", "-"})
	if err != nil || fmt.Sprint(got) != "[web-01 edge-01 edge-02]" {
		t.Errorf("ExpandStdin = %v, %v", got, err)
	}
}
