package advisories

import (
	"regexp"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// agentVersionRe finds the first MAJOR.MINOR.PATCH in what an agent
// reports ("Telegraf 1.39.3 (git: HEAD@eb37a442)", "1.40.0-b272631466",
// "v1.36.1"), with its pre-release suffix if any.
var agentVersionRe = regexp.MustCompile(`(?:^|[^0-9A-Za-z.])v?(\d+\.\d+\.\d+)(?:-([0-9A-Za-z][0-9A-Za-z.-]*))?`)

// preReleaseRe recognises the suffixes of pre-releases (1.40.0-rc1,
// 1.40.0-rc.2, 1.40.0-beta1); every other suffix is a development build.
var preReleaseRe = regexp.MustCompile(`^(alpha|beta|rc|pre|preview)[0-9]*$`)

// AgentVersion parses the version an agent reports. A release and a
// pre-release are themselves (1.38.0-rc.1 comes before 1.38.0); a
// development build — any other suffix, such as a build number or a commit
// (1.40.0-b272631466, 1.39.0-5a5b5a5c) — counts as its base release,
// because such builds carry the code of the release they are numbered
// after. ok is false when there is no version to parse ("Telegraf
// unknown"): such agents are never reported as exposed.
func AgentVersion(reported string) (v *semver.Version, ok bool) {
	loc := agentVersionRe.FindStringSubmatchIndex(reported)
	if loc == nil {
		return nil, false
	}
	if rest := reported[loc[1]:]; len(rest) > 1 && rest[0] == '.' && rest[1] >= '0' && rest[1] <= '9' {
		return nil, false // 2.1.1.5 is not a semantic version
	}
	base, suffix := reported[loc[2]:loc[3]], ""
	if loc[4] >= 0 {
		suffix = strings.TrimRight(reported[loc[4]:loc[5]], ".-")
	}
	if suffix != "" {
		first, _, _ := strings.Cut(suffix, ".")
		if preReleaseRe.MatchString(strings.ToLower(first)) {
			if pv, err := semver.StrictNewVersion(base + "-" + suffix); err == nil {
				return pv, true
			}
		}
	}
	bv, err := semver.StrictNewVersion(base)
	if err != nil {
		return nil, false
	}
	return bv, true
}
