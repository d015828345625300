// Package audit records every login, logout, failed login and API write in
// an append-only, hash-chained log, and serves it to owners and
// administrators.
package audit

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Service appends to and reads the audit log.
type Service struct {
	st   *store.Store
	now  func() time.Time
	log  *slog.Logger
	seal sealer

	headMu   sync.Mutex
	lastHead Head
}

// New returns the audit service.
func New(st *store.Store, now func() time.Time, log *slog.Logger) *Service {
	return &Service{st: st, now: now, log: log}
}

// Record appends e in its own transaction (its time is set now). Writes
// through the API append their entry in the request's transaction instead
// (Append); Record is for what changed nothing (a refused request) or
// happened outside a request. A failure is logged and returned.
func (s *Service) Record(ctx context.Context, e tc.AuditEntry) error {
	e.Time = s.now()
	if err := s.st.AppendAudit(ctx, &e); err != nil {
		s.log.Error("writing the audit log failed", "action", e.Action, "actor", e.Actor, "err", err)
		return err
	}
	return nil
}

// Append appends e (its time is set now) through tx: the transaction of
// the change it records.
func (s *Service) Append(ctx context.Context, tx *store.Store, e tc.AuditEntry) error {
	e.Time = s.now()
	return tx.AppendAudit(ctx, &e)
}

// List returns one page of entries.
func (s *Service) List(ctx context.Context, f store.AuditFilter) (tc.List[tc.AuditEntry], error) {
	rows, total, err := s.st.ListAudit(ctx, f)
	if err != nil {
		return tc.List[tc.AuditEntry]{}, err
	}
	items := make([]tc.AuditEntry, len(rows))
	for i := range rows {
		items[i] = rows[i].API()
	}
	return tc.List[tc.AuditEntry]{Items: items, Total: total, Limit: f.Limit, Offset: f.Offset}, nil
}

// Prune deletes entries older than retention (0 keeps everything).
func (s *Service) Prune(ctx context.Context, retention time.Duration) (int64, error) {
	if retention <= 0 {
		return 0, nil
	}
	return s.st.PruneAudit(ctx, s.now().Add(-retention).UnixMicro())
}
