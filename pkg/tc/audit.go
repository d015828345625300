package tc

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"
)

// Audit outcomes.
const (
	OutcomeSuccess = "success"
	OutcomeFailure = "failure"
	OutcomeDenied  = "denied"
)

// GenesisHash is the PrevHash of the first audit entry.
const GenesisHash = "0000000000000000000000000000000000000000000000000000000000000000"

// AuditEntry is one record of the append-only, hash-chained audit log.
type AuditEntry struct {
	Seq        int64     `json:"seq"`
	Time       time.Time `json:"time"`
	Actor      string    `json:"actor"`
	ActorID    string    `json:"actorId"`
	Credential string    `json:"credential"`
	TokenID    string    `json:"tokenId"`
	// TokenDescription is the API token's description at the time of the
	// entry (empty for sessions).
	TokenDescription string `json:"tokenDescription,omitempty"`
	Action           string `json:"action"`
	Target           string `json:"target"`
	Outcome          string `json:"outcome"`
	Status           int    `json:"status"`
	IP               string `json:"ip"`
	UserAgent        string `json:"userAgent"`
	PrevHash         string `json:"prevHash"`
	Hash             string `json:"hash"`
}

// ComputeHash is the SHA-256 (hex) of the entry's content and PrevHash, in a
// canonical JSON form (fixed field order, time as unix microseconds). The
// server stores it; `tcctl audit verify` recomputes it.
func (e AuditEntry) ComputeHash() string {
	b, _ := json.Marshal(struct {
		Seq        int64  `json:"seq"`
		TimeUS     int64  `json:"timeUs"`
		Actor      string `json:"actor"`
		ActorID    string `json:"actorId"`
		Credential string `json:"credential"`
		TokenID    string `json:"tokenId"`
		// omitempty: entries written before the field existed keep their
		// hashes.
		TokenDescription string `json:"tokenDescription,omitempty"`
		Action           string `json:"action"`
		Target           string `json:"target"`
		Outcome          string `json:"outcome"`
		Status           int    `json:"status"`
		IP               string `json:"ip"`
		UserAgent        string `json:"userAgent"`
		PrevHash         string `json:"prevHash"`
	}{e.Seq, e.Time.UnixMicro(), e.Actor, e.ActorID, e.Credential, e.TokenID, e.TokenDescription, e.Action, e.Target, e.Outcome, e.Status, e.IP, e.UserAgent, e.PrevHash})
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// VerifyAuditChain checks entries given in ascending seq order: each hash
// must match its content and each PrevHash the previous entry's hash. The
// first entry's PrevHash is trusted (older entries may have been pruned).
// It returns the first broken entry and why, or nil.
func VerifyAuditChain(entries []AuditEntry, prev *AuditEntry) (*AuditEntry, string) {
	for i := range entries {
		e := &entries[i]
		if e.ComputeHash() != e.Hash {
			return e, "its content does not match its hash (the entry was changed)"
		}
		if prev != nil {
			if e.PrevHash != prev.Hash {
				return e, "it does not link to the entry before it (an entry was changed, inserted or removed)"
			}
			if e.Seq != prev.Seq+1 {
				return e, "the sequence has a gap (an entry was removed)"
			}
		}
		prev = e
	}
	return nil, ""
}
