package cluster

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/opentc/tc/internal/store"
)

// LeaderLockKey is the advisory lock whose holder is the leader.
const LeaderLockKey = 7_451_220_010

// Elector competes for leadership with a session-level advisory lock held
// on a dedicated connection. The lock goes with the session: a leader that
// exits (or crashes, or loses its connection) lets the next standby in.
type Elector struct {
	dsn     string
	log     *slog.Logger
	retry   time.Duration
	leader  atomic.Bool
	elected func()

	conn   *pgx.Conn
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
}

// NewElector returns an elector for the PostgreSQL database at dsn; standbys
// retry every retry.
func NewElector(dsn string, log *slog.Logger, retry time.Duration) *Elector {
	if retry <= 0 {
		retry = 2 * time.Second
	}
	return &Elector{dsn: dsn, log: log, retry: retry}
}

// IsLeader reports whether this node holds the lock.
func (e *Elector) IsLeader() bool { return e.leader.Load() }

// Start makes a first attempt before returning (so a lone node is leader as
// soon as it is ready), then keeps trying in the background. elected runs
// each time this node becomes leader.
func (e *Elector) Start(elected func()) {
	e.elected = elected
	ctx, cancel := context.WithCancel(context.Background())
	e.cancel = cancel
	e.done = make(chan struct{})
	e.step(ctx)
	go func() {
		defer close(e.done)
		for {
			wait := e.retry
			if e.leader.Load() {
				wait = e.retry / 2 // a leader checks its session more often
			}
			select {
			case <-ctx.Done():
				return
			case <-time.After(wait):
			}
			e.step(ctx)
		}
	}()
}

func (e *Elector) step(ctx context.Context) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.conn == nil {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		conn, err := pgx.Connect(cctx, e.dsn)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				e.log.Debug("leader election: cannot connect", "err", err)
			}
			return
		}
		e.conn = conn
	}
	qctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	if e.leader.Load() {
		if _, err := e.conn.Exec(qctx, "SELECT 1"); err != nil {
			e.leader.Store(false)
			e.drop()
			e.log.Warn("leadership lost: the database connection failed", "err", err)
		}
		return
	}
	var got bool
	if err := e.conn.QueryRow(qctx, "SELECT pg_try_advisory_lock("+store.AdvisoryKeyPgx+")", int64(LeaderLockKey)).Scan(&got); err != nil {
		e.drop()
		return
	}
	if got {
		e.leader.Store(true)
		e.log.Info("this node is now the leader")
		if e.elected != nil {
			e.elected()
		}
	}
}

func (e *Elector) drop() {
	if e.conn != nil {
		cctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_ = e.conn.Close(cctx)
		cancel()
		e.conn = nil
	}
}

// Close hands leadership over at once: the session ends and the lock with it.
func (e *Elector) Close() {
	if e.cancel == nil {
		return
	}
	e.cancel()
	<-e.done
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.leader.Load() && e.conn != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		_, _ = e.conn.Exec(ctx, "SELECT pg_advisory_unlock("+store.AdvisoryKeyPgx+")", int64(LeaderLockKey))
		cancel()
	}
	e.leader.Store(false)
	e.drop()
}
