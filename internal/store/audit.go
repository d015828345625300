package store

import (
	"context"
	"strings"
	"sync"
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
	KeyID            string
}

func (AuditRow) TableName() string { return "audit_log" }

// AuditAnchor is the record of pruning: entries up to Seq were deleted by
// retention; the newest of them had Hash. Mac seals Seq and Hash with the
// key KeyID.
type AuditAnchor struct {
	ID    int `gorm:"primaryKey;autoIncrement:false"`
	Seq   int64
	Hash  string
	KeyID string
	Mac   string
	AtUs  int64
}

func (AuditAnchor) TableName() string { return "audit_anchor" }

// AuditSealer seals audit entries with tcd's key (internal/audit).
type AuditSealer interface {
	// Seal sets e.KeyID and e.Hash (e.PrevHash is set).
	Seal(e *tc.AuditEntry)
	// SealAnchor returns the key ID and MAC of a pruning anchor.
	SealAnchor(seq int64, hash string) (keyID, mac string)
	// Check reports whether e's hash matches its content.
	Check(e tc.AuditEntry) bool
}

type sealerRef struct {
	mu sync.RWMutex
	s  AuditSealer
}

// SetAuditSealer makes appends seal entries with s (the daemon sets it at
// start, before serving).
func (s *Store) SetAuditSealer(a AuditSealer) {
	s.sealer.mu.Lock()
	s.sealer.s = a
	s.sealer.mu.Unlock()
}

// AuditSealer returns the sealer set, or nil.
func (s *Store) AuditSealer() AuditSealer {
	if s.sealer == nil {
		return nil
	}
	s.sealer.mu.RLock()
	defer s.sealer.mu.RUnlock()
	return s.sealer.s
}

// Entry returns the wire form of a row (with the key ID).
func (r *AuditRow) Entry() tc.AuditEntry { return r.API() }

// API returns the wire form.
func (r *AuditRow) API() tc.AuditEntry {
	return tc.AuditEntry{Seq: r.Seq, Time: time.UnixMicro(r.AtUs).UTC(), Actor: r.Actor, ActorID: r.ActorID, Credential: r.Credential,
		TokenID: r.TokenID, TokenDescription: r.TokenDescription, Action: r.Action, Target: r.Target, Outcome: r.Outcome, Status: r.Status, IP: r.IP,
		UserAgent: r.UserAgent, PrevHash: r.PrevHash, Hash: r.Hash, KeyID: r.KeyID}
}

func auditRowOf(e *tc.AuditEntry) *AuditRow {
	return &AuditRow{Seq: e.Seq, AtUs: e.Time.UnixMicro(), Actor: e.Actor, ActorID: e.ActorID, Credential: e.Credential,
		TokenID: e.TokenID, TokenDescription: e.TokenDescription, Action: e.Action, Target: e.Target, Outcome: e.Outcome, Status: e.Status, IP: e.IP,
		UserAgent: e.UserAgent, PrevHash: e.PrevHash, Hash: e.Hash, KeyID: e.KeyID}
}

// LockAudit serializes writers of the chain within tx (an advisory lock on
// PostgreSQL; SQLite's write lock does it there).
func (s *Store) LockAudit(ctx context.Context) error {
	if s.dialect == Postgres {
		return s.db.WithContext(ctx).Exec("SELECT pg_advisory_xact_lock("+AdvisoryKeySQL+")", auditLockKey).Error
	}
	return nil
}

const auditLockKey = 7_451_220_002

// AppendAudit chains e to the newest entry and stores it; it fills Seq,
// PrevHash and Hash. Appends are serialized (an advisory lock on
// PostgreSQL, the write lock on SQLite), so the chain never forks.
func (s *Store) AppendAudit(ctx context.Context, e *tc.AuditEntry) error {
	return s.Tx(ctx, func(tx *Store) error {
		db := tx.db.WithContext(ctx)
		if err := tx.LockAudit(ctx); err != nil {
			return err
		}
		var last []AuditRow
		if err := db.Order("seq DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		e.Seq, e.PrevHash = 1, tc.GenesisHash
		if len(last) == 1 {
			e.Seq, e.PrevHash = last[0].Seq+1, last[0].Hash
		}
		if len(last) == 0 {
			// Pruned down to nothing: the chain goes on from the anchor.
			if a, err := tx.AuditAnchor(ctx); err != nil {
				return err
			} else if a != nil {
				e.Seq, e.PrevHash = a.Seq+1, a.Hash
			}
		}
		e.Time = time.UnixMicro(e.Time.UnixMicro()).UTC()
		if sealer := s.AuditSealer(); sealer != nil {
			sealer.Seal(e)
		} else {
			e.KeyID = ""
			e.Hash = e.ComputeHash()
		}
		return db.Create(auditRowOf(e)).Error
	})
}

// AuditAnchor returns the pruning anchor, or nil before any pruning.
func (s *Store) AuditAnchor(ctx context.Context) (*AuditAnchor, error) {
	var rows []AuditAnchor
	if err := s.db.WithContext(ctx).Where("id = 1").Find(&rows).Error; err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return nil, nil
	}
	return &rows[0], nil
}

// SetAuditAnchor stores the pruning anchor.
func (s *Store) SetAuditAnchor(ctx context.Context, a AuditAnchor) error {
	a.ID = 1
	db := s.db.WithContext(ctx)
	if err := db.Where("id = 1").Delete(&AuditAnchor{}).Error; err != nil {
		return err
	}
	return db.Create(&a).Error
}

// AuditPage returns up to limit entries after seq, oldest first.
func (s *Store) AuditPage(ctx context.Context, afterSeq int64, limit int) ([]AuditRow, error) {
	var rows []AuditRow
	err := s.db.WithContext(ctx).Where("seq > ?", afterSeq).Order("seq ASC").Limit(limit).Find(&rows).Error
	return rows, err
}

// ReplaceAuditHash rewrites the chain fields of one entry (re-keying).
func (s *Store) ReplaceAuditHash(ctx context.Context, seq int64, prevHash, hash, keyID string) error {
	return s.db.WithContext(ctx).Model(&AuditRow{}).Where("seq = ?", seq).
		Updates(map[string]any{"prev_hash": prevHash, "hash": hash, "key_id": keyID}).Error
}

// AuditHead returns the newest entry, or nil when the log is empty.
func (s *Store) AuditHead(ctx context.Context) (*AuditRow, error) {
	var last []AuditRow
	if err := s.db.WithContext(ctx).Order("seq DESC").Limit(1).Find(&last).Error; err != nil {
		return nil, err
	}
	if len(last) == 0 {
		return nil, nil
	}
	return &last[0], nil
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

// PruneAudit deletes entries older than beforeUs, oldest first and without
// gaps (up to the newest entry older than beforeUs), and records what it
// pruned as the anchor (sealed when a sealer is set), in one transaction.
func (s *Store) PruneAudit(ctx context.Context, beforeUs int64) (int64, error) {
	var n int64
	err := s.Tx(ctx, func(tx *Store) error {
		if err := tx.LockAudit(ctx); err != nil {
			return err
		}
		db := tx.db.WithContext(ctx)
		var last []AuditRow
		if err := db.Where("at_us < ?", beforeUs).Order("seq DESC").Limit(1).Find(&last).Error; err != nil {
			return err
		}
		if len(last) == 0 {
			return nil
		}
		res := db.Where("seq <= ?", last[0].Seq).Delete(&AuditRow{})
		if res.Error != nil {
			return res.Error
		}
		n = res.RowsAffected
		a := AuditAnchor{Seq: last[0].Seq, Hash: last[0].Hash, AtUs: tx.Now().UnixMicro()}
		if sealer := s.AuditSealer(); sealer != nil {
			a.KeyID, a.Mac = sealer.SealAnchor(a.Seq, a.Hash)
		}
		return tx.SetAuditAnchor(ctx, a)
	})
	return n, err
}
