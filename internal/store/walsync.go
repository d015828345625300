package store

import (
	"fmt"
	"os"
	"sync"
	"sync/atomic"
)

// walSync makes the SQLite heartbeat writer's commits durable without
// holding the writer up. The writer's connection runs with
// synchronous=NORMAL, so COMMIT only hands the transaction's WAL frames to
// the operating system; walSync then flushes the WAL file to disk with
// fdatasync on its own goroutine, and a batch is acknowledged only after a
// flush that began after its COMMIT returned. That is the guarantee of
// synchronous=FULL (whose COMMIT syncs the WAL before returning), but the
// writer goes on to the next batch while the disk works, and one flush
// covers every batch committed while the previous one ran.
//
// Readers may see a batch a moment before it is durable; its heartbeats
// are not acknowledged before it is. A process crash loses nothing that
// was committed (the frames are in the operating system's cache); a power
// loss loses nothing that was acknowledged.
//
// A failed flush is final: the disk may have dropped pages of the WAL, so
// no later commit can be promised either (the WAL is recovered only up to
// its first damaged frame). Every batch not yet durable and every later
// write fails with the error until tcd restarts, as PostgreSQL does.
type walSync struct {
	file *os.File // the -wal file, opened read-only (fdatasync needs no more)

	mu        sync.Mutex
	work      *sync.Cond // the syncer waits for commits
	flushed   *sync.Cond // waiters wait for flushes
	committed uint64     // sequence number of the newest commit
	synced    uint64     // newest commit covered by a finished flush
	good      uint64     // newest commit covered by a successful flush
	stopping  bool
	done      chan struct{}
	failed    *stickyErr // the heartbeatConn's: it outlives reconnections
}

// stickyErr is an error that, once set, stays.
type stickyErr struct{ p atomic.Pointer[error] }

func (s *stickyErr) get() error {
	if e := s.p.Load(); e != nil {
		return *e
	}
	return nil
}

func (s *stickyErr) set(err error) { s.p.CompareAndSwap(nil, &err) }

// syncFile is fdatasync (fsync where the system has no fdatasync); tests
// replace it to inject a failing disk.
var syncFile = fdatasync

func newWALSync(path string, failed *stickyErr) (*walSync, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	w := &walSync{file: f, done: make(chan struct{}), failed: failed}
	w.work = sync.NewCond(&w.mu)
	w.flushed = sync.NewCond(&w.mu)
	go w.run()
	return w, nil
}

// commitDone records a commit and returns its sequence number. Callers are
// serialised by the heartbeatConn's lock.
func (w *walSync) commitDone() uint64 {
	w.mu.Lock()
	w.committed++
	seq := w.committed
	w.work.Signal()
	w.mu.Unlock()
	return seq
}

// wait returns once commit seq is on disk, or the error that keeps it from
// getting there.
func (w *walSync) wait(seq uint64) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	for w.synced < seq {
		w.flushed.Wait()
	}
	if seq <= w.good {
		return nil
	}
	return w.failed.get()
}

func (w *walSync) run() {
	defer close(w.done)
	w.mu.Lock()
	for {
		for w.synced == w.committed && !w.stopping {
			w.work.Wait()
		}
		if w.synced == w.committed { // stopping, nothing left
			w.mu.Unlock()
			return
		}
		target := w.committed
		broken := w.failed.get() != nil
		w.mu.Unlock()
		var err error
		if !broken {
			err = syncFile(w.file)
		}
		w.mu.Lock()
		switch {
		case broken:
		case err != nil:
			w.failed.set(fmt.Errorf("the SQLite write-ahead log %s could not be flushed to disk (%w): heartbeats are refused until tcd restarts", w.file.Name(), err))
		default:
			w.good = target
		}
		w.synced = target
		w.flushed.Broadcast()
	}
}

// close flushes what is committed, stops the goroutine and closes the file.
func (w *walSync) close() {
	w.mu.Lock()
	w.stopping = true
	w.work.Signal()
	w.mu.Unlock()
	<-w.done
	w.file.Close()
}

// SetWALSyncForTesting replaces the flush of the heartbeat writer's WAL
// (fdatasync) until the returned restore is called. Tests use it to hold a
// flush back or make it fail; nothing else may call it.
func SetWALSyncForTesting(f func(*os.File) error) (restore func()) {
	prev := syncFile
	syncFile = f
	return func() { syncFile = prev }
}
