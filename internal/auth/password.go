package auth

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/opentc/tc/pkg/tc"
)

// Hasher hashes and verifies passwords with bcrypt. At most a fixed number
// of bcrypt operations run at once (each takes one core for tens of
// milliseconds); a caller that finds them all busy waits briefly, then gets
// a 429 asking it to retry. So a flood of logins cannot take every core from
// the heartbeats and config fetches the fleet depends on.
type Hasher struct {
	cost  int
	slots chan struct{}
	wait  time.Duration

	dummyOnce sync.Once
	dummy     []byte

	verifications atomic.Int64
	busy          atomic.Int64
}

// DefaultHashConcurrency is the number of bcrypt operations run at once when
// none is configured: half the cores tcd may use, at least one.
func DefaultHashConcurrency() int {
	n := runtime.GOMAXPROCS(0) / 2
	if n < 1 {
		n = 1
	}
	return n
}

// DefaultHashWait is how long a bcrypt operation waits for a free slot
// before its request is answered 429.
const DefaultHashWait = time.Second

// NewHasher returns a Hasher; cost 0 means bcrypt.DefaultCost, concurrency
// 0 DefaultHashConcurrency (it is capped at the number of cores), wait 0
// DefaultHashWait.
func NewHasher(cost, concurrency int, wait time.Duration) *Hasher {
	if cost == 0 {
		cost = bcrypt.DefaultCost
	}
	if concurrency <= 0 {
		concurrency = DefaultHashConcurrency()
	}
	if max := runtime.NumCPU(); concurrency > max {
		concurrency = max
	}
	if wait <= 0 {
		wait = DefaultHashWait
	}
	return &Hasher{cost: cost, slots: make(chan struct{}, concurrency), wait: wait}
}

// errHashBusy answers a request whose password could not be checked because
// every bcrypt slot stayed busy.
func errHashBusy() error {
	e := tc.Errorf(tc.ETooManyRequests, "tcd is busy checking other passwords: retry in a second")
	e.RetryAfter = 1
	return e
}

// acquire takes a bcrypt slot, waiting at most h.wait.
func (h *Hasher) acquire(ctx context.Context) error {
	select {
	case h.slots <- struct{}{}:
		return nil
	default:
	}
	t := time.NewTimer(h.wait)
	defer t.Stop()
	select {
	case h.slots <- struct{}{}:
		return nil
	case <-t.C:
		h.busy.Add(1)
		return errHashBusy()
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (h *Hasher) release() { <-h.slots }

// Slot takes a bcrypt slot for a caller that must do more than one step
// while holding it (the lockout's reservation, then the comparison); call
// the returned release when done. 429 when none became free in time.
func (h *Hasher) Slot(ctx context.Context) (release func(), err error) {
	if err := h.acquire(ctx); err != nil {
		return nil, err
	}
	return h.release, nil
}

// compareHeld compares pw with hash (nobody's dummy hash when hash is "")
// in a slot the caller holds.
func (h *Hasher) compareHeld(hash, pw string) bool {
	h.verifications.Add(1)
	if hash == "" {
		h.dummyOnce.Do(h.makeDummy)
		_ = bcrypt.CompareHashAndPassword(h.dummy, []byte(pw))
		return false
	}
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(pw)) == nil
}

func (h *Hasher) makeDummy() {
	h.dummy, _ = bcrypt.GenerateFromPassword([]byte("not a password anybody has"), h.cost)
}

// Hash returns the bcrypt hash of pw; 429 when no slot became free in time.
func (h *Hasher) Hash(ctx context.Context, pw string) (string, error) {
	if err := h.acquire(ctx); err != nil {
		return "", err
	}
	defer h.release()
	b, err := bcrypt.GenerateFromPassword([]byte(pw), h.cost)
	return string(b), err
}

// Verify reports whether pw matches hash; 429 when no slot became free in
// time (then nothing was compared).
func (h *Hasher) Verify(ctx context.Context, hash, pw string) (bool, error) {
	if err := h.acquire(ctx); err != nil {
		return false, err
	}
	defer h.release()
	return h.compareHeld(hash, pw), nil
}

// VerifyNobody spends the time of one verification against a dummy hash, so
// a login for an unknown user costs what a login for a known one costs.
func (h *Hasher) VerifyNobody(ctx context.Context, pw string) error {
	if err := h.acquire(ctx); err != nil {
		return err
	}
	defer h.release()
	h.compareHeld("", pw)
	return nil
}

// Verifications returns how many password comparisons ran (against real
// and dummy hashes); Busy how many operations were refused because every
// slot stayed busy.
func (h *Hasher) Verifications() int64 { return h.verifications.Load() }

// Busy returns how many bcrypt operations were refused with 429.
func (h *Hasher) Busy() int64 { return h.busy.Load() }
