package cli

import (
	"fmt"
	"runtime"

	"github.com/opentc/tc/internal/cli/cmdutil"
	"github.com/opentc/tc/internal/version"
	"github.com/spf13/cobra"
)

// versionInfo is what `tcctl version -o json` prints.
type versionInfo struct {
	Version   string `json:"version"`
	Commit    string `json:"commit"`
	GoVersion string `json:"goVersion"`
	Platform  string `json:"platform"`
}

// String is the line `tcctl version` and `tcctl --version` print.
func (v versionInfo) String() string {
	commit := v.Commit
	if commit == "" {
		commit = "unknown"
	}
	return fmt.Sprintf("tcctl %s (commit %s, %s %s)", v.Version, commit, v.GoVersion, v.Platform)
}

func currentVersion() versionInfo {
	// Set at build time through internal/version (see the Makefile).
	ver, commit := version.Info()
	return versionInfo{Version: ver, Commit: commit, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
}

func newCmdVersion(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version of tcctl",
		Long: `Print the version and commit tcctl was built from (also: tcctl --version).
Only the local binary is described; no connection to tcd is made.`,
		Example: "  tcctl version\n  tcctl version -o json",
		Args:    cmdutil.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			v := currentVersion()
			if f.Output.Structured() {
				return cmdutil.PrintStructured(f.IOStreams.Out, f.Output, v)
			}
			_, err := fmt.Fprintln(f.IOStreams.Out, v)
			return err
		},
	}
}
