package heartbeat

import (
	"log/slog"
	"strings"
	"sync"

	"github.com/opentc/tc/internal/agents"
	"github.com/opentc/tc/internal/metrics"
)

// maxFieldNames caps the distinct field names of
// tcd_heartbeat_unknown_fields_total: past it, new names count as "other",
// so agents cannot grow the metric without bound.
const maxFieldNames = 100

// fieldNotes reports what the decoder ignored in accepted heartbeats: each
// field counted in the metrics, and logged once per name for the life of
// the process.
type fieldNotes struct {
	mu      sync.Mutex
	unknown map[string]bool // names with a label of their own
	dropped map[string]bool // names logged
	other   bool            // "other" logged
}

func newFieldNotes() *fieldNotes {
	return &fieldNotes{unknown: map[string]bool{}, dropped: map[string]bool{}}
}

// note is called for an accepted heartbeat that had unknown fields or
// dropped values (it is not called for others).
func (f *fieldNotes) note(hb *agents.Heartbeat, m *metrics.Metrics, log *slog.Logger) {
	for _, name := range hb.Unknown {
		label, first := f.unknownLabel(name)
		if m != nil {
			m.HeartbeatUnknownFields.WithLabelValues(label).Inc()
		}
		if first {
			if label == "other" {
				log.Info("heartbeat fields tcd does not know: more than the metric names one by one; further names are counted as \"other\" and not logged",
					"field", label, "agent", hb.ID, "version", hb.Version)
			} else {
				log.Info("heartbeat field tcd does not know: ignored (logged once per field)", "field", label, "agent", hb.ID, "version", hb.Version)
			}
		}
	}
	for _, name := range hb.Dropped {
		if m != nil {
			m.HeartbeatDroppedValues.WithLabelValues(name).Inc()
		}
		f.mu.Lock()
		first := !f.dropped[name]
		f.dropped[name] = true
		f.mu.Unlock()
		if first {
			log.Info("heartbeat value dropped or clamped to tcd's bounds (logged once per field)", "field", name, "agent", hb.ID, "version", hb.Version)
		}
	}
}

// unknownLabel returns the metric label for an unknown field name and
// whether this is the first time it is seen.
func (f *fieldNotes) unknownLabel(name string) (label string, first bool) {
	usable := len(name) <= 64 && !strings.ContainsFunc(name, func(r rune) bool { return r < 0x20 || r == 0x7f || r == 0xfffd })
	f.mu.Lock()
	defer f.mu.Unlock()
	if usable {
		if f.unknown[name] {
			return name, false
		}
		if len(f.unknown) < maxFieldNames {
			f.unknown[name] = true
			return name, true
		}
	}
	first = !f.other
	f.other = true
	return "other", first
}
