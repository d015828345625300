// Package version holds the build's version, set with
// -ldflags "-X github.com/opentc/tc/internal/version.Version=v1.2.3 -X ….Commit=abc".
package version

import "runtime/debug"

var (
	// Version is the release version ("dev" for local builds).
	Version = "dev"
	// Commit is the VCS revision, from the linker flag or the build info.
	Commit = ""
)

// Info returns the version and commit.
func Info() (version, commit string) {
	c := Commit
	if c == "" {
		if bi, ok := debug.ReadBuildInfo(); ok {
			for _, s := range bi.Settings {
				if s.Key == "vcs.revision" {
					c = s.Value
				}
			}
		}
	}
	return Version, c
}
