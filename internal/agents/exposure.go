package agents

import (
	"context"

	"github.com/opentc/tc/pkg/tc"
)

// Exposure tells which security advisories apply to agents, by the version
// string they report; the advisories feature implements it. Both methods
// answer from memory for the versions they are given, so the cost of a
// list does not grow with the fleet.
type Exposure interface {
	// ExposedVersions returns, of the version strings agents report, those
	// affected by the advisory with ID advisory (acknowledged or not) or,
	// when advisory is "", by an unacknowledged advisory of at least
	// minSeverity ("" for any). An unknown advisory is ENotFound.
	ExposedVersions(ctx context.Context, advisory, minSeverity string) ([]string, error)
	// AgentAdvisories returns, for each version string, the
	// unacknowledged advisories that apply to it, most severe first.
	AgentAdvisories(ctx context.Context, versions []string) (map[string][]tc.AgentAdvisory, error)
}

// SetExposure plugs in the advisories feature.
func (s *Service) SetExposure(e Exposure) { s.exposure = e }

// resolveExposure turns the exposure filters (exposed, severity, advisory)
// into the set of version strings they select.
func (s *Service) resolveExposure(ctx context.Context, f Filter) (Filter, error) {
	x := &f.ExposureFilter
	if x.Exposed == "" && x.Severity == "" && x.Advisory == "" {
		return f, nil
	}
	switch x.Exposed {
	case "", "true":
	case "false":
		x.ExcludeVersions = true
	default:
		return f, tc.Errorf(tc.EInvalid, "exposed must be true or false (got %q)", x.Exposed).With("field", "exposed")
	}
	if x.Severity != "" && !tc.ValidSeverity(x.Severity) {
		return f, tc.Errorf(tc.EInvalid, "unknown severity %q: use one of critical, high, medium, low, unknown", x.Severity).With("field", "severity")
	}
	if s.exposure == nil {
		return f, tc.Errorf(tc.EInvalid, "this tcd does not track advisories").With("field", "exposed")
	}
	vs, err := s.exposure.ExposedVersions(ctx, x.Advisory, x.Severity)
	if tc.IsCode(err, tc.ENotFound) {
		return f, tc.Errorf(tc.EInvalid, "unknown advisory %q", x.Advisory).With("field", "advisory")
	}
	if err != nil {
		return f, err
	}
	x.Versions, x.VersionsSet = vs, true
	return f, nil
}

// annotate fills in the advisories that apply to each agent.
func (s *Service) annotate(ctx context.Context, items []tc.Agent) error {
	if s.exposure == nil || len(items) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var versions []string
	for _, a := range items {
		if !seen[a.Version] {
			seen[a.Version] = true
			versions = append(versions, a.Version)
		}
	}
	byVersion, err := s.exposure.AgentAdvisories(ctx, versions)
	if err != nil {
		return err
	}
	for i := range items {
		if l := byVersion[items[i].Version]; l != nil {
			items[i].Advisories = l
		}
	}
	return nil
}
