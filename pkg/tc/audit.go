package tc

import (
	"crypto/hmac"
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
	// KeyID names the key of tcd's key file whose HMAC-SHA-256 Hash is
	// (empty: a plain SHA-256 hash, as written before the keyed chain).
	KeyID string `json:"keyId,omitempty"`
}

// Canonical is the entry's content and PrevHash in the canonical JSON form
// its hash covers (fixed field order, time as unix microseconds, the key ID
// when there is one).
func (e AuditEntry) Canonical() []byte {
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
		KeyID            string `json:"keyId,omitempty"`
	}{e.Seq, e.Time.UnixMicro(), e.Actor, e.ActorID, e.Credential, e.TokenID, e.TokenDescription, e.Action, e.Target, e.Outcome, e.Status, e.IP, e.UserAgent, e.PrevHash, e.KeyID})
	return b
}

// ComputeHash is the SHA-256 (hex) of Canonical: the hash of an entry
// without a key ID.
func (e AuditEntry) ComputeHash() string {
	sum := sha256.Sum256(e.Canonical())
	return hex.EncodeToString(sum[:])
}

// ComputeMAC is the HMAC-SHA-256 (hex) of Canonical with key: the hash of
// an entry with a key ID. Only tcd holds the key.
func (e AuditEntry) ComputeMAC(key []byte) string {
	m := hmac.New(sha256.New, key)
	m.Write(e.Canonical())
	return hex.EncodeToString(m.Sum(nil))
}

// VerifyAuditChain checks entries given in ascending seq order: each hash
// must match its content and each PrevHash the previous entry's hash. The
// first entry's PrevHash is trusted (older entries may have been pruned).
// It returns the first broken entry and why, or nil.
func VerifyAuditChain(entries []AuditEntry, prev *AuditEntry) (*AuditEntry, string) {
	return VerifyAuditChainWith(entries, prev, nil)
}

// VerifyAuditChainWith is VerifyAuditChain with a check of each entry's
// hash against its content. nil checks plain SHA-256 hashes and, for keyed
// entries (which only tcd can check), only the links.
func VerifyAuditChainWith(entries []AuditEntry, prev *AuditEntry, check func(AuditEntry) bool) (*AuditEntry, string) {
	if check == nil {
		check = func(e AuditEntry) bool { return e.KeyID != "" || e.ComputeHash() == e.Hash }
	}
	for i := range entries {
		e := &entries[i]
		if !check(*e) {
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

// AuditHead is the newest entry of the audit chain: its sequence number and
// hash. tcd logs it; `tcctl audit verify --head SEQ:HASH` checks the log
// still reaches a head logged earlier.
type AuditHead struct {
	Seq  int64  `json:"seq"`
	Hash string `json:"hash"`
}

// AuditVerifyReport is the answer of GET /api/audit/verify.
type AuditVerifyReport struct {
	OK bool `json:"ok"`
	// Entries is how many entries verified, from First to Head.Seq.
	Entries int64     `json:"entries"`
	First   int64     `json:"first"`
	Head    AuditHead `json:"head"`
	// PrunedThrough is the newest entry removed by retention (0: none).
	PrunedThrough int64 `json:"prunedThrough"`
	// CheckedHead is the head the log was checked against, if one was given.
	CheckedHead *AuditHead `json:"checkedHead,omitempty"`
	// FirstBadSeq and Reason name the first entry that does not verify.
	FirstBadSeq int64  `json:"firstBadSeq,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Note        string `json:"note,omitempty"`
}
