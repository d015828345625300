package audit

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/opentc/tc/internal/keyring"
	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Purpose is the key-derivation purpose of the audit chain's key.
const Purpose = "audit-chain"

// The keyed chain: each entry's hash is HMAC-SHA-256, with a key derived
// from tcd's key file (never stored in the database), over the entry's
// canonical content, which includes the previous entry's hash and the ID of
// the key used. Someone who can write to the database but not read the key
// file cannot make a hash that verifies: an edited, re-hashed or inserted
// entry is found, and so is a removed one (the next entry's link breaks).
// What links cannot show — entries removed from either end — is covered by
// the pruning anchor (the oldest end: pruning records the sequence number
// and hash it pruned up to, sealed) and by the head tcd logs (the newest
// end: `tcctl audit verify --head SEQ:HASH` checks the log still reaches a
// head logged earlier).

// keys caches the derived chain key of each key ID.
type keys struct {
	mu      sync.RWMutex
	ring    *keyring.Ring
	derived map[string][]byte
}

func (k *keys) set(r *keyring.Ring) {
	k.mu.Lock()
	k.ring, k.derived = r, map[string][]byte{}
	k.mu.Unlock()
}

// get returns the chain key of id ("" = the primary) and its ID.
func (k *keys) get(id string) (string, []byte, bool) {
	k.mu.RLock()
	ring := k.ring
	if ring == nil {
		k.mu.RUnlock()
		return "", nil, false
	}
	if id == "" {
		id = ring.Primary().ID
	}
	d, ok := k.derived[id]
	k.mu.RUnlock()
	if ok {
		return id, d, true
	}
	key, ok := ring.Lookup(id)
	if !ok {
		return id, nil, false
	}
	d = key.Derive(Purpose)
	k.mu.Lock()
	if k.ring == ring {
		k.derived[id] = d
	}
	k.mu.Unlock()
	return id, d, true
}

// sealer seals with a ring's primary and checks with any of its keys.
type sealer struct{ k *keys }

func newSealer(r *keyring.Ring) sealer {
	s := sealer{k: &keys{}}
	s.k.set(r)
	return s
}

func (s sealer) Seal(e *tc.AuditEntry) {
	id, key, _ := s.k.get("")
	e.KeyID = id
	e.Hash = e.ComputeMAC(key)
}

func anchorMessage(seq int64, hash string) []byte {
	return []byte("tc audit anchor " + strconv.FormatInt(seq, 10) + " " + hash)
}

func mac(key, msg []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(msg)
	return hex.EncodeToString(m.Sum(nil))
}

func (s sealer) SealAnchor(seq int64, hash string) (string, string) {
	id, key, _ := s.k.get("")
	return id, mac(key, anchorMessage(seq, hash))
}

func (s sealer) Check(e tc.AuditEntry) bool { return s.why(e) == "" }

// why says what is wrong with e's hash ("" when it verifies).
func (s sealer) why(e tc.AuditEntry) string {
	if e.KeyID == "" {
		return "its hash is a plain SHA-256, not sealed with tcd's key (the entry was written or re-hashed without the key)"
	}
	_, key, ok := s.k.get(e.KeyID)
	if !ok {
		return fmt.Sprintf("it names key %s, which is not in tcd's key file", e.KeyID)
	}
	if !hmac.Equal([]byte(e.ComputeMAC(key)), []byte(e.Hash)) {
		return "its content does not match its hash (the entry was changed)"
	}
	return ""
}

func (s sealer) checkAnchor(a *store.AuditAnchor) string {
	_, key, ok := s.k.get(a.KeyID)
	if a.KeyID == "" || !ok {
		return fmt.Sprintf("the pruning record (up to entry %d) is not sealed with a key in tcd's key file", a.Seq)
	}
	if !hmac.Equal([]byte(mac(key, anchorMessage(a.Seq, a.Hash))), []byte(a.Mac)) {
		return fmt.Sprintf("the pruning record (up to entry %d) was changed", a.Seq)
	}
	return ""
}

// UseKeys makes the service seal new entries with ring's primary key and
// check entries with any of ring's keys; the store's appends seal from
// then on.
func (s *Service) UseKeys(ring *keyring.Ring) {
	s.seal = newSealer(ring)
	s.st.SetAuditSealer(s.seal)
}

// Head is the newest entry's sequence number and hash: what tcd logs, and
// what `tcctl audit verify --head` checks the log still reaches.
type Head = tc.AuditHead

// ParseHead parses SEQ:HASH.
func ParseHead(v string) (Head, error) {
	seq, hash, ok := strings.Cut(strings.TrimSpace(v), ":")
	n, err := strconv.ParseInt(seq, 10, 64)
	if !ok || err != nil || n < 1 || len(hash) != 64 {
		return Head{}, tc.Errorf(tc.EInvalid, "head must be SEQ:HASH as tcd logs it (audit chain head seq=… hash=…), e.g. 42:%s (got %q)", strings.Repeat("0", 64), v).With("field", "head")
	}
	if _, err := hex.DecodeString(hash); err != nil {
		return Head{}, tc.Errorf(tc.EInvalid, "head hash must be 64 hex digits (got %q)", hash).With("field", "head")
	}
	return Head{Seq: n, Hash: strings.ToLower(hash)}, nil
}

// CurrentHead returns the newest entry's head (zero when the log is empty).
func (s *Service) CurrentHead(ctx context.Context) (Head, error) {
	r, err := s.st.AuditHead(ctx)
	if err != nil || r == nil {
		return Head{}, err
	}
	return Head{Seq: r.Seq, Hash: r.Hash}, nil
}

// LogHead logs the chain head (at start, periodically, at shutdown) when it
// changed since the last time it was logged, or always when force is set.
// Copy these lines somewhere the database's writers cannot reach (a log
// collector): they are the witness `tcctl audit verify --head` checks
// against.
func (s *Service) LogHead(ctx context.Context, when string, force bool) {
	h, err := s.CurrentHead(ctx)
	if err != nil {
		s.log.Warn("reading the audit chain head failed", "err", err)
		return
	}
	s.headMu.Lock()
	same := h == s.lastHead
	s.lastHead = h
	s.headMu.Unlock()
	if same && !force {
		return
	}
	s.log.Info("audit chain head", "seq", h.Seq, "hash", h.Hash, "head", fmt.Sprintf("%d:%s", h.Seq, h.Hash), "at", when)
}

// Verify checks the whole log with tcd's keys: every entry's HMAC, every
// link, the sequence without gaps from the pruning anchor (or from 1), and,
// if head is set, that the log still reaches it. It names the first bad
// sequence number.
func (s *Service) Verify(ctx context.Context, head *Head) (tc.AuditVerifyReport, error) {
	rep := tc.AuditVerifyReport{OK: true}
	fail := func(seq int64, why string) (tc.AuditVerifyReport, error) {
		rep.OK, rep.FirstBadSeq, rep.Reason = false, seq, why
		return rep, nil
	}
	if s.seal.k == nil {
		return rep, tc.Errorf(tc.EUnavailable, "tcd has no key for the audit chain")
	}
	anchor, err := s.st.AuditAnchor(ctx)
	if err != nil {
		return rep, err
	}
	nextSeq, prevHash := int64(1), tc.GenesisHash
	if anchor != nil {
		if why := s.seal.checkAnchor(anchor); why != "" {
			return fail(anchor.Seq+1, why)
		}
		nextSeq, prevHash = anchor.Seq+1, anchor.Hash
		rep.PrunedThrough = anchor.Seq
	}
	var headHash string
	after := int64(0)
	for {
		rows, err := s.st.AuditPage(ctx, after, 1000)
		if err != nil {
			return rep, err
		}
		for i := range rows {
			e := rows[i].API()
			switch {
			case e.Seq > nextSeq:
				if nextSeq == 1 || (anchor != nil && nextSeq == anchor.Seq+1 && rep.Entries == 0) {
					return fail(nextSeq, fmt.Sprintf("entry %d is missing: the log starts at %d and no pruning is recorded up to %d (the oldest entries were removed)", nextSeq, e.Seq, e.Seq-1))
				}
				return fail(nextSeq, fmt.Sprintf("entry %d is missing (entries %d to %d were removed)", nextSeq, nextSeq, e.Seq-1))
			case e.Seq < nextSeq:
				return fail(e.Seq, fmt.Sprintf("entry %d lies before the pruning record (up to %d): it was inserted", e.Seq, nextSeq-1))
			}
			if why := s.seal.why(e); why != "" {
				return fail(e.Seq, why)
			}
			if e.PrevHash != prevHash {
				return fail(e.Seq, "it does not link to the entry before it (an entry was changed, inserted or removed)")
			}
			if head != nil && e.Seq == head.Seq {
				headHash = e.Hash
			}
			if rep.Entries == 0 {
				rep.First = e.Seq
			}
			rep.Entries++
			rep.Head = tc.AuditHead{Seq: e.Seq, Hash: e.Hash}
			nextSeq, prevHash = e.Seq+1, e.Hash
		}
		if len(rows) < 1000 {
			break
		}
		after = rows[len(rows)-1].Seq
	}
	if head != nil {
		rep.CheckedHead = head
		switch {
		case head.Seq >= nextSeq:
			return fail(nextSeq, fmt.Sprintf("entry %d is missing: the log ends at %d, but it reached %d:%s (entries were removed from the end)", nextSeq, nextSeq-1, head.Seq, head.Hash))
		case anchor != nil && head.Seq == anchor.Seq:
			if anchor.Hash != head.Hash {
				return fail(head.Seq, fmt.Sprintf("entry %d (pruned) had hash %s, not the head's %s (the chain was rewritten)", head.Seq, anchor.Hash, head.Hash))
			}
		case anchor != nil && head.Seq < anchor.Seq:
			rep.Note = fmt.Sprintf("the head %d was pruned since (pruning recorded up to %d): only the chain from there on is checked", head.Seq, anchor.Seq)
		case headHash != head.Hash:
			return fail(head.Seq, fmt.Sprintf("entry %d has hash %s, not the head's %s (the chain was rewritten, or re-keyed since)", head.Seq, headHash, head.Hash))
		}
	}
	return rep, nil
}

// MigrateChain re-chains entries written before the keyed chain (plain
// SHA-256 hashes) with the primary key, in one transaction, after checking
// their chain. It is idempotent (nothing to do once every entry is keyed)
// and logs what it did. A log whose old chain is already broken is left as
// it is (and reported): re-chaining it would launder the damage.
func (s *Service) MigrateChain(ctx context.Context) error {
	var legacy int64
	if err := s.st.Gorm(ctx).Model(&store.AuditRow{}).Where("key_id = ''").Count(&legacy).Error; err != nil {
		return err
	}
	if legacy == 0 {
		return nil
	}
	n, err := s.rechain(ctx, s.seal, true)
	if err != nil {
		s.log.Error("the audit log was not moved to the keyed chain: its old chain does not verify; `tcctl audit verify` names the entry", "err", err)
		return nil
	}
	s.log.Info("audit log moved to the keyed chain (HMAC-SHA-256 with the key file's key)", "entries", n, "key", s.seal.k.ring.Primary().ID)
	return nil
}

// Rekey verifies the whole chain with ring's keys (each entry with the key
// it names) and re-seals every entry and the pruning anchor with ring's
// primary key, in one transaction; from then on the service seals with
// ring. Heads logged before no longer match (their hashes changed): tcd
// logs the new head.
func (s *Service) Rekey(ctx context.Context, ring *keyring.Ring) error {
	sl := newSealer(ring)
	n, err := s.rechain(ctx, sl, false)
	if err != nil {
		return err
	}
	s.UseKeys(ring)
	s.log.Info("audit log re-keyed", "entries", n, "key", ring.Primary().ID)
	s.LogHead(ctx, "rekey", true)
	return nil
}

// rechain checks every entry (plain SHA-256 ones too when legacy is set)
// and re-seals the chain with sl's primary, in one transaction.
func (s *Service) rechain(ctx context.Context, sl sealer, legacy bool) (int64, error) {
	var n int64
	err := s.st.Tx(ctx, func(tx *store.Store) error {
		if err := tx.LockAudit(ctx); err != nil {
			return err
		}
		anchor, err := tx.AuditAnchor(ctx)
		if err != nil {
			return err
		}
		oldPrev, newPrev := tc.GenesisHash, tc.GenesisHash
		first := true
		after := int64(0)
		for {
			rows, err := tx.AuditPage(ctx, after, 1000)
			if err != nil {
				return err
			}
			for i := range rows {
				e := rows[i].API()
				if first {
					first = false
					switch {
					case anchor != nil:
						if why := sl.checkAnchor(anchor); why != "" && !(legacy && anchor.KeyID == "") {
							return fmt.Errorf("entry %d: %s", anchor.Seq+1, why)
						}
						if e.Seq != anchor.Seq+1 {
							return fmt.Errorf("entry %d is missing", anchor.Seq+1)
						}
						oldPrev = anchor.Hash
					case e.Seq != 1:
						// Pruned before pruning was recorded: record it now.
						oldPrev = e.PrevHash
						anchor = &store.AuditAnchor{Seq: e.Seq - 1, Hash: e.PrevHash, AtUs: tx.Now().UnixMicro()}
						s.log.Warn("the audit log was pruned before pruning was recorded: recording it now", "pruned_through", e.Seq-1)
					}
					newPrev = oldPrev
					if anchor != nil {
						anchor.KeyID, anchor.Mac = sl.SealAnchor(anchor.Seq, anchor.Hash)
						if err := tx.SetAuditAnchor(ctx, *anchor); err != nil {
							return err
						}
					}
				} else if e.Seq != after+1 {
					return fmt.Errorf("entry %d is missing", after+1)
				}
				ok := false
				if e.KeyID == "" {
					ok = legacy && e.ComputeHash() == e.Hash
				} else {
					ok = sl.Check(e)
				}
				if !ok {
					return fmt.Errorf("entry %d: its content does not match its hash", e.Seq)
				}
				if e.PrevHash != oldPrev {
					return fmt.Errorf("entry %d does not link to the entry before it", e.Seq)
				}
				oldPrev = e.Hash
				e.PrevHash = newPrev
				sl.Seal(&e)
				if err := tx.ReplaceAuditHash(ctx, e.Seq, e.PrevHash, e.Hash, e.KeyID); err != nil {
					return err
				}
				newPrev = e.Hash
				after = e.Seq
				n++
			}
			if len(rows) < 1000 {
				break
			}
		}
		return nil
	})
	return n, err
}
