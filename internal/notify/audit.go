package notify

import (
	"context"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// The audit chain is verified while a rule of kind audit.verification_failed
// is enabled: each evaluation checks the entries appended since the last
// one (at most auditPagesTick pages), and the whole log is checked again
// every AuditFullCheck (and after every start), so an entry changed after
// it was checked is found too. Each broken entry is reported once per
// process; a restart reports a still-broken chain again.

// AuditFullCheck is how often the whole audit log is verified again.
const AuditFullCheck = time.Hour

const (
	auditPage      = 1000
	auditPagesTick = 20
)

type auditVerifier struct {
	prev     *tc.AuditEntry // the last entry verified (nil: start over)
	lastFull time.Time
	reported map[int64]bool
}

// auditFailure is one broken entry.
type auditFailure struct {
	seq    int64
	action string
	why    string
}

// verifyAudit continues verifying the chain; it returns the broken entries
// not reported before. The check itself is tc.VerifyAuditChain, the one
// `tcctl audit verify` runs.
func (s *Service) verifyAudit(ctx context.Context, now time.Time) ([]auditFailure, error) {
	v := &s.audit
	if v.reported == nil {
		v.reported = map[int64]bool{}
	}
	if v.lastFull.IsZero() || now.Sub(v.lastFull) >= AuditFullCheck || now.Before(v.lastFull) {
		v.prev, v.lastFull = nil, now
	}
	var out []auditFailure
	for page := 0; page < auditPagesTick; page++ {
		after := int64(0)
		if v.prev != nil {
			after = v.prev.Seq
		}
		rows, _, err := s.st.ListAudit(ctx, store.AuditFilter{AfterSeq: after, Ascending: true, Page: tc.Page{Limit: auditPage}})
		if err != nil {
			return out, err
		}
		entries := make([]tc.AuditEntry, len(rows))
		for i := range rows {
			entries[i] = rows[i].API()
		}
		for len(entries) > 0 {
			var check func(tc.AuditEntry) bool
			if sl := s.st.AuditSealer(); sl != nil {
				check = sl.Check // the keyed chain: only tcd's key checks it
			}
			bad, why := tc.VerifyAuditChainWith(entries, v.prev, check)
			if bad == nil {
				last := entries[len(entries)-1]
				v.prev = &last
				break
			}
			if !v.reported[bad.Seq] {
				v.reported[bad.Seq] = true
				out = append(out, auditFailure{seq: bad.Seq, action: bad.Action, why: why})
				s.log.Error("audit chain verification failed", "seq", bad.Seq, "reason", why)
			}
			// Go on from the broken entry: what follows it is checked
			// against it.
			b := *bad
			v.prev = &b
			i := 0
			for i < len(entries) && entries[i].Seq <= b.Seq {
				i++
			}
			entries = entries[i:]
		}
		if len(rows) < auditPage {
			break
		}
	}
	return out, nil
}
