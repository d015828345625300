package advisory

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/cli/iostreams"
	"github.com/opentc/tc/pkg/client"
	"github.com/opentc/tc/pkg/osv"
	"github.com/opentc/tc/pkg/tc"
)

// ImportOptions are the inputs of `tcctl advisory import`.
type ImportOptions struct {
	IO     *iostreams.IOStreams
	Client func() (*client.Client, error)
	Format cmdutil.Format
	Files  []string
}

// NewCmdImport builds `tcctl advisory import`.
func NewCmdImport(f *cmdutil.Factory) *cobra.Command {
	opts := &ImportOptions{IO: f.IOStreams, Client: f.Client}
	return &cobra.Command{
		Use:   "import <file>...",
		Short: "Import OSV advisories from files",
		Long: `Import security advisories in the OSV format. Each file is one OSV document,
a JSON array of them, or a zip archive of such files (e.g. osv.dev's
archive of the Go ecosystem); - reads stdin.

tcctl checks every file first and sends only the entries about Telegraf and
tcd, all in one request, which tcd stores in one transaction: a malformed
file exits 1 naming the file and the JSON path of the problem
(FILE: $[3].affected[0].ranges[0].events[1].fixed: …), and nothing is
imported. Importing the same files again changes nothing. Needs
advisories:write.`,
		Example: `  tcctl advisory import all.zip
  tcctl advisory import GHSA-1.json GHSA-2.json -o json
  curl -s https://mirror.example.internal/osv/telegraf.json | tcctl advisory import -`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Format, opts.Files = f.Output, args
			return importRun(cmd.Context(), opts)
		},
	}
}

func importRun(ctx context.Context, opts *ImportOptions) error {
	var entries []osv.Entry
	ignored := 0
	for _, file := range opts.Files {
		var data []byte
		var err error
		if file == "-" {
			data, err = io.ReadAll(opts.IO.In)
		} else {
			data, err = os.ReadFile(file)
		}
		if err != nil {
			return fmt.Errorf("read %s: %w", file, err)
		}
		if opts.IO.IsStdoutTTY() && len(data) > 1<<20 {
			fmt.Fprintf(opts.IO.ErrOut, "Reading %s (%d MiB)…\n", file, len(data)>>20)
		}
		name := file
		if file == "-" {
			name = "stdin"
		}
		res, err := osv.Parse(name, data)
		if err != nil {
			return tc.Errorf(tc.EInvalid, "%v (nothing was imported)", err)
		}
		entries = append(entries, res.Entries...)
		ignored += res.Ignored()
	}
	entries, err := osv.Dedupe(entries)
	if err != nil {
		return tc.Errorf(tc.EInvalid, "%v (nothing was imported)", err)
	}
	out := tc.AdvisoryImportResult{Added: []string{}, Updated: []string{}, Matching: []string{}}
	if len(entries) > 0 {
		c, err := opts.Client()
		if err != nil {
			return err
		}
		docs := make([]json.RawMessage, len(entries))
		for i, e := range entries {
			docs[i] = e.Document
		}
		if out, err = c.ImportAdvisories(ctx, docs); err != nil {
			return err
		}
	}
	out.Ignored += ignored
	if opts.Format.Structured() {
		return cmdutil.PrintStructured(opts.IO.Out, opts.Format, out)
	}
	w := opts.IO.Out
	if len(entries) == 0 {
		fmt.Fprintf(w, "nothing to import: none of the %d entries is about Telegraf or tcd\n", ignored)
		return nil
	}
	fmt.Fprintf(w, "%d added, %d updated, %d unchanged", len(out.Added), len(out.Updated), out.Unchanged)
	if out.Stale > 0 {
		fmt.Fprintf(w, ", %d older than the stored version (kept)", out.Stale)
	}
	if out.Ignored > 0 {
		fmt.Fprintf(w, "; %d about other packages ignored", out.Ignored)
	}
	fmt.Fprintln(w)
	if len(out.Matching) > 0 {
		fmt.Fprintf(w, "apply to agents: %s (tcctl advisory list)\n", strings.Join(out.Matching, ", "))
	}
	return nil
}
