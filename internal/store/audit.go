package store

import (
	"context"
	"strings"
	"time"

	"github.com/opentc/tc/pkg/tc"
)

// AuditRow is a row of audit_log.
type AuditRow struct {
	Seq        int64 `gorm:"primaryKey;autoIncrement:false"`
	AtUs       int64
	Actor      string
	ActorID    string
	Credential string
	TokenID    string
	// TokenDescription is the token's description when the entry was
	// written (the token may be renamed or deleted later).
	TokenDescription string
	Action           string
	Target           string
	Outcome          string
	Status           int
	IP               string `gorm:"column:ip"`
	UserAgent        string
	PrevHash         string
	Hash             string
}

func (AuditRow) TableName() string { return "audit_log" }

// API returns the wire form.
func (r *AuditRow) API() tc.AuditEntry {
	return tc.AuditEntry{Seq: r.Seq, Time: time.UnixMicro(r.AtUs).UTC(), Actor: r.Actor, ActorID: r.ActorID, Credential: r.Credential,
		TokenID: r.TokenID, TokenDescription: r.TokenDescription, Action: r.Action, Target: r.Target, Outcome: r.Outcome, Status: r.Status, IP: r.IP,
		UserAgent: r.UserAgent, PrevHash: r.PrevHash, Hash: r.Hash}
}

const auditLockKey = 7_451_220_002

// AppendAudit chains e to the newest entry and stores it; it fills Seq,
// PrevHash and Hash. Appends are serialized (an advisory lock on
// PostgreSQL, the write lock on SQLite), so the chain never forks.
func (s *Store) AppendAudit(ctx context.Context, e *tc.AuditEntry) error {
	return s.AppendAudits(ctx, []*tc.AuditEntry{e})
}

// AppendAudits appends entries in order, in one transaction.
func (s *Store) AppendAudits(ctx context.Context, entries []*tc.AuditEntry) error {
	if len(entries) == 0 {
		return nil
	}
	return s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if tx.dialect == Postgres {
			if err := db.Exec("SELECT pg_advisory_xact_lock("+AdvisoryKeySQL+")", auditLockKey).Error; err != nil {
				return err
			}
		}
		var last []AuditRow
		if err := db.Order("seq DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		seq, prev := int64(1), tc.GenesisHash
		if len(last) == 1 {
			seq, prev = last[0].Seq+1, last[0].Hash
		}
		for _, e := range entries {
			e.Seq, e.PrevHash = seq, prev
			e.Time = time.UnixMicro(e.Time.UnixMicro()).UTC()
			e.Hash = e.ComputeHash()
			if err := db.Create(&AuditRow{Seq: e.Seq, AtUs: e.Time.UnixMicro(), Actor: e.Actor, ActorID: e.ActorID, Credential: e.Credential,
				TokenID: e.TokenID, TokenDescription: e.TokenDescription, Action: e.Action, Target: e.Target, Outcome: e.Outcome, Status: e.Status, IP: e.IP,
				UserAgent: e.UserAgent, PrevHash: e.PrevHash, Hash: e.Hash}).Error; err != nil {
				return err
			}
			seq, prev = e.Seq+1, e.Hash
		}
		return nil
	})
}

// AuditFilter narrows ListAudit.
type AuditFilter struct {
	FromUs, ToUs int64 // 0 = unbounded
	Actor        string
	Action       string // substring
	Outcome      string
	AfterSeq     int64 // only entries with a greater seq
	Ascending    bool
	tc.Page
}

// ListAudit returns one page of entries and the total.
func (s *Store) ListAudit(ctx context.Context, f AuditFilter) ([]AuditRow, int, error) {
	q := s.db.WithContext(ctx).Model(&AuditRow{})
	if f.FromUs > 0 {
		q = q.Where("at_us >= ?", f.FromUs)
	}
	if f.ToUs > 0 {
		q = q.Where("at_us <= ?", f.ToUs)
	}
	if f.Actor != "" {
		q = q.Where("actor = ?", f.Actor)
	}
	if f.Action != "" {
		q = q.Where("action LIKE ? ESCAPE '\\'", "%"+escapeLike(f.Action)+"%")
	}
	if f.Outcome != "" {
		q = q.Where("outcome = ?", strings.ToLower(f.Outcome))
	}
	if f.AfterSeq > 0 {
		q = q.Where("seq > ?", f.AfterSeq)
	}
	var total int64
	if err := q.Count(&total).Error; err != nil {
		return nil, 0, err
	}
	order := "seq DESC"
	if f.Ascending {
		order = "seq ASC"
	}
	var out []AuditRow
	err := q.Order(order).Limit(f.Limit).Offset(f.Offset).Find(&out).Error
	return out, int(total), err
}

// PruneAudit deletes entries older than beforeUs.
func (s *Store) PruneAudit(ctx context.Context, beforeUs int64) (int64, error) {
	res := s.db.WithContext(ctx).Where("at_us < ?", beforeUs).Delete(&AuditRow{})
	return res.RowsAffected, res.Error
}
