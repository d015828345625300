package agents

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/opentc/tc/internal/store"
	"github.com/opentc/tc/pkg/tc"
)

// Writer writes heartbeats with group commit: while one transaction
// commits, new heartbeats queue up, and the next transaction takes all of
// them (up to MaxBatch). Submit returns only after the heartbeat's
// transaction is durable, so a 2xx sent after it is a promise. On SQLite
// the writer does not wait for the disk: it commits the next batch while
// the acknowledger waits for the previous one's flush (store.CommitHeartbeats).
type Writer struct {
	st       *store.Store
	log      *slog.Logger
	maxBatch int
	queue    chan *job
	acks     chan pending // committed batches waiting to be durable

	mu       sync.RWMutex // guards stopping against Submit's enqueue
	stopping bool
	stop     chan struct{}
	done     chan struct{}

	// OnCommit, if set before the first Submit, observes every durable
	// batch (metrics).
	OnCommit func(size int, took time.Duration)

	transactions atomic.Int64
	written      atomic.Int64
	failed       atomic.Int64
	lastBatch    atomic.Int64
}

type job struct {
	row  store.HeartbeatRow
	done chan error
}

// pending is a committed batch and the wait for its durability.
type pending struct {
	batch   []*job
	durable func() error
	start   time.Time
}

// NewWriter starts a writer. maxBatch bounds one transaction.
func NewWriter(st *store.Store, log *slog.Logger, maxBatch int) *Writer {
	if maxBatch <= 0 {
		maxBatch = 1000
	}
	w := &Writer{st: st, log: log, maxBatch: maxBatch, queue: make(chan *job, 4*maxBatch),
		acks: make(chan pending, 64), stop: make(chan struct{}), done: make(chan struct{})}
	// SQLite has one writer at a time. PostgreSQL commits in parallel:
	// while one transaction waits for its WAL flush, others fill and
	// write (rows are locked in agent-ID order, so they cannot deadlock,
	// and an agent's later heartbeat waits for its earlier one's commit).
	committers := 1
	if st.Dialect() == store.Postgres {
		committers = pgCommitters
	}
	var wg sync.WaitGroup
	for i := 0; i < committers; i++ {
		wg.Add(1)
		go func() { defer wg.Done(); w.loop() }()
	}
	acked := make(chan struct{})
	go func() { defer close(acked); w.acknowledge() }()
	go func() { wg.Wait(); close(w.acks); <-acked; close(w.done) }()
	return w
}

// pgCommitters is how many transactions write heartbeats at once on
// PostgreSQL.
const pgCommitters = 4

var errStopping = func() error {
	e := tc.Errorf(tc.EUnavailable, "tcd is shutting down; send the heartbeat again")
	e.RetryAfter = 5
	return e
}()

// Submit queues one heartbeat and waits until it is committed.
func (w *Writer) Submit(ctx context.Context, row store.HeartbeatRow) error {
	j := &job{row: row, done: make(chan error, 1)}
	w.mu.RLock()
	if w.stopping {
		w.mu.RUnlock()
		return errStopping
	}
	select {
	case w.queue <- j:
		w.mu.RUnlock()
	case <-ctx.Done():
		w.mu.RUnlock()
		return ctx.Err()
	}
	select {
	case err := <-j.done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (w *Writer) loop() {
	batch := make([]*job, 0, w.maxBatch)
	for {
		var first *job
		select {
		case first = <-w.queue:
		case <-w.stop:
			// Submit no longer enqueues: drain what is queued, then stop.
			for {
				select {
				case j := <-w.queue:
					w.commit([]*job{j})
				default:
					return
				}
			}
		}
		batch = append(batch[:0], first)
	fill:
		for len(batch) < w.maxBatch {
			select {
			case j := <-w.queue:
				batch = append(batch, j)
			default:
				break fill
			}
		}
		w.commit(batch)
	}
}

// commit writes a batch in one transaction. If it fails, each heartbeat is
// retried on its own, so one bad row cannot fail its neighbours. A batch
// that committed is acknowledged once durable, by acknowledge.
func (w *Writer) commit(batch []*job) {
	rows := make([]store.HeartbeatRow, len(batch))
	for i, j := range batch {
		rows[i] = j.row
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	durable, err := w.st.CommitHeartbeats(ctx, rows)
	if err == nil {
		if durable == nil {
			w.acknowledged(pending{batch: batch, start: start}, nil)
		} else {
			w.acks <- pending{batch: append([]*job(nil), batch...), durable: durable, start: start}
		}
		return
	}
	if len(batch) == 1 {
		w.refuse(batch, err)
		return
	}
	for _, j := range batch {
		w.commit([]*job{j})
	}
}

// acknowledge answers committed batches in commit order as each becomes
// durable.
func (w *Writer) acknowledge() {
	for p := range w.acks {
		w.acknowledged(p, p.durable())
	}
}

// acknowledged answers a batch whose durability is decided: err nil, its
// heartbeats are stored; else they are refused (they are committed but
// may not survive a power loss, so nothing may promise them).
func (w *Writer) acknowledged(p pending, err error) {
	if err != nil {
		w.refuse(p.batch, err)
		return
	}
	if w.OnCommit != nil {
		w.OnCommit(len(p.batch), time.Since(p.start))
	}
	w.transactions.Add(1)
	w.written.Add(int64(len(p.batch)))
	w.lastBatch.Store(int64(len(p.batch)))
	for _, j := range p.batch {
		j.done <- nil
	}
}

// refuse answers every heartbeat of batch with 503 and logs why.
func (w *Writer) refuse(batch []*job, err error) {
	w.failed.Add(int64(len(batch)))
	if len(batch) == 1 {
		w.log.Error("writing heartbeat failed", "agent", batch[0].row.AgentID, "err", err)
	} else {
		w.log.Error("writing heartbeats failed", "heartbeats", len(batch), "err", err)
	}
	e := tc.Errorf(tc.EUnavailable, "the heartbeat could not be stored; send it again")
	e.RetryAfter = 5
	for _, j := range batch {
		j.done <- e
	}
}

// Close stops accepting heartbeats, writes those already queued and returns
// when the last one is durable and answered.
func (w *Writer) Close() error {
	w.mu.Lock()
	if w.stopping {
		w.mu.Unlock()
		<-w.done
		return nil
	}
	w.stopping = true
	w.mu.Unlock()
	close(w.stop)
	<-w.done
	return nil
}

// WriterStats are the writer's counters.
type WriterStats struct {
	Transactions int64 // committed write transactions
	Heartbeats   int64 // heartbeats committed
	Failed       int64 // heartbeats refused because their write failed
	LastBatch    int64
}

// Stats returns the counters.
func (w *Writer) Stats() WriterStats {
	return WriterStats{Transactions: w.transactions.Load(), Heartbeats: w.written.Load(), Failed: w.failed.Load(), LastBatch: w.lastBatch.Load()}
}
