package auth

import (
	"sync"

	"golang.org/x/crypto/bcrypt"
)

// Hasher hashes and verifies passwords with bcrypt.
type Hasher struct {
	cost      int
	dummyOnce sync.Once
	dummy     []byte
}

// NewHasher returns a Hasher; cost 0 means bcrypt.DefaultCost.
func NewHasher(cost int) *Hasher {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	return &Hasher{cost: cost}
}

// Hash returns the bcrypt hash of pw.
func (h *Hasher) Hash(pw string) (string, error) {
	b, err := bcrypt.GenerateFromPassword([]byte(pw), h.cost)
	return string(b), err
}

// Verify reports whether pw matches hash.
func (h *Hasher) Verify(hash, pw string) bool {
	err := bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw))
	return err == nil
}

// VerifyNobody spends the time of one verification against a dummy hash, so
// a login for an unknown user costs what a login for a known one costs.
func (h *Hasher) VerifyNobody(pw string) {
	h.dummyOnce.Do(func() {
		h.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password anybody has"), h.cost)
	})
	_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(pw))
}
