package render

import (
	"fmt"
	"strings"
	"testing"
)

// Issue 18 finding 6: a two-line change gives two small hunks with three
// lines of context — what `diff -u` prints — not the file replaced.
func TestDiffIsMinimal(t *testing.T) {
	lines := []string{"[agent]", `  interval = "10s"`, `  flush_interval = "10s"`}
	for i := 1; i <= 11; i++ {
		lines = append(lines, "", "[[inputs.exec]]", fmt.Sprintf(`  commands = ["/usr/bin/check-%d"]`, i))
	}
	lines = append(lines, "", "[[outputs.file]]", `  files = ["stdout"]`)
	old := strings.Join(lines, "\n") + "\n"
	lines[1] = `  metric_batch_size = 5000 # the gateway takes larger batches now, see OPS-1234`
	lines[len(lines)-1] = `  data_format = "json" # written for the archive job that reads /var/lib/telegraf/out`
	new := strings.Join(lines, "\n") + "\n"

	// diff -u old new, as GNU diffutils prints it (labels aside).
	want := `--- web@v1
+++ web@v2
@@ -1,5 +1,5 @@
 [agent]
-  interval = "10s"
+  metric_batch_size = 5000 # the gateway takes larger batches now, see OPS-1234
   flush_interval = "10s"
 
 [[inputs.exec]]
@@ -36,4 +36,4 @@
   commands = ["/usr/bin/check-11"]
 
 [[outputs.file]]
-  files = ["stdout"]
+  data_format = "json" # written for the archive job that reads /var/lib/telegraf/out
`
	if got := Diff("web@v1", "web@v2", old, new); got != want {
		t.Errorf("diff:\n%s\nwant:\n%s", got, want)
	}
	if Diff("a", "b", old, old) != "" {
		t.Error("equal texts give a diff")
	}
}
