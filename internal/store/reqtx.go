package store

import (
	"context"
	"errors"
	"sync"

	"gorm.io/gorm"
)

// RequestTx is the one transaction of an API write request: every statement
// the request runs through the store — inside Store.Tx (as a savepoint) or
// on its own — goes into it, and the request's audit entry is appended to
// it last, so a change and its audit entry commit together or not at all.
//
// It begins lazily, at the request's first write (Store.Tx or a create,
// update, delete or raw statement): a request refused before it writes
// (authentication, validation) holds no connection and, on SQLite, never
// takes the write lock. Reads before that go to the pool; reads after it go
// into the transaction, so the request sees its own writes.
type RequestTx struct {
	root *Store
	mu   sync.Mutex
	tx   *gorm.DB
	err  error
	done bool
	// after runs once the transaction committed (cache invalidation: a
	// cache dropped before the commit could be refilled with the old
	// rows by a concurrent reader).
	after []func()
}

type requestTxKey struct{}

// BeginRequest returns ctx carrying a new request transaction. The caller
// must call Finish or Rollback.
func (s *Store) BeginRequest(ctx context.Context) (context.Context, *RequestTx) {
	rt := &RequestTx{root: s}
	return context.WithValue(ctx, requestTxKey{}, rt), rt
}

// Detached returns ctx without its request transaction: statements made
// with it commit on their own (bookkeeping that must stand whatever the
// request's outcome, such as counting a login attempt). On SQLite a
// detached write must come before the request's first write: from then on
// the request holds the one write lock until it ends.
func Detached(ctx context.Context) context.Context {
	return context.WithValue(ctx, requestTxKey{}, (*RequestTx)(nil))
}

func requestTx(ctx context.Context) *RequestTx {
	if ctx == nil {
		return nil
	}
	rt, _ := ctx.Value(requestTxKey{}).(*RequestTx)
	return rt
}

// RequestOpen reports whether ctx carries a request transaction that has
// begun and not ended: what is read with ctx may be uncommitted.
func RequestOpen(ctx context.Context) bool {
	rt := requestTx(ctx)
	if rt == nil {
		return false
	}
	rt.mu.Lock()
	defer rt.mu.Unlock()
	return !rt.done && rt.tx != nil
}

// ErrRequestFinished is returned for a statement made with the context of
// a request whose transaction already ended.
var ErrRequestFinished = errors.New("store: the request's transaction has ended")

// begin starts the transaction if it has not begun.
func (rt *RequestTx) begin(ctx context.Context) (*gorm.DB, error) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.done {
		return nil, ErrRequestFinished
	}
	if rt.tx == nil && rt.err == nil {
		tx := rt.root.db.WithContext(context.WithoutCancel(ctx)).Begin()
		if tx.Error != nil {
			rt.err = tx.Error
		} else {
			rt.tx = tx
		}
	}
	return rt.tx, rt.err
}

// begun returns the transaction if it has begun and not ended.
func (rt *RequestTx) begun() *gorm.DB {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.done {
		return nil
	}
	return rt.tx
}

// Finish runs last (the audit append) in the transaction and commits it,
// then runs the after-commit functions. On an error nothing is committed.
func (rt *RequestTx) Finish(ctx context.Context, last func(tx *Store) error) error {
	tx, err := rt.begin(ctx)
	if err != nil {
		rt.Rollback()
		return err
	}
	st := &Store{db: tx.WithContext(context.WithoutCancel(ctx)), dialect: rt.root.dialect, now: rt.root.now, hb: rt.root.hb, hist: rt.root.hist, inTx: true, sealer: rt.root.sealer}
	if err := last(st); err != nil {
		rt.Rollback()
		return err
	}
	rt.mu.Lock()
	rt.done = true
	after := rt.after
	rt.after = nil
	rt.mu.Unlock()
	if err := tx.Commit().Error; err != nil {
		return err
	}
	for _, fn := range after {
		fn()
	}
	return nil
}

// Rollback ends the transaction without committing (a no-op once ended).
func (rt *RequestTx) Rollback() {
	rt.mu.Lock()
	tx, done := rt.tx, rt.done
	rt.done = true
	rt.after = nil // nothing committed: nothing to do after
	rt.mu.Unlock()
	if tx != nil && !done {
		tx.Rollback()
	}
}

// AfterCommit runs fn once the request transaction of ctx has committed
// (never if it is rolled back), or at once when ctx carries none that is
// open. Callers that
// drop caches after a write call it with the drop, besides dropping at once.
func AfterCommit(ctx context.Context, fn func()) {
	if rt := requestTx(ctx); rt != nil {
		rt.mu.Lock()
		if !rt.done && rt.tx != nil {
			rt.after = append(rt.after, fn)
			rt.mu.Unlock()
			return
		}
		rt.mu.Unlock()
	}
	fn()
}

// registerRequestTx installs the callbacks that route a request's
// statements into its transaction.
func registerRequestTx(db *gorm.DB) error {
	cb := db.Callback()
	for _, err := range []error{
		cb.Create().Before("*").Register("tc:request_tx", routeStatement(true)),
		cb.Update().Before("*").Register("tc:request_tx", routeStatement(true)),
		cb.Delete().Before("*").Register("tc:request_tx", routeStatement(true)),
		cb.Raw().Before("*").Register("tc:request_tx", routeStatement(true)),
		cb.Create().After("*").Register("tc:request_tx_end", endStatement),
		cb.Update().After("*").Register("tc:request_tx_end", endStatement),
		cb.Delete().After("*").Register("tc:request_tx_end", endStatement),
		cb.Raw().After("*").Register("tc:request_tx_end", endStatement),
		cb.Query().Before("*").Register("tc:request_tx", routeStatement(false)),
		cb.Row().Before("*").Register("tc:request_tx", routeStatement(false)),
	} {
		if err != nil {
			return err
		}
	}
	return nil
}

func routeStatement(write bool) func(*gorm.DB) {
	return func(db *gorm.DB) {
		rt := requestTx(db.Statement.Context)
		if rt == nil {
			return
		}
		if _, inTx := db.Statement.ConnPool.(gorm.TxCommitter); inTx {
			return // already in a transaction (the request's, through Store.Tx)
		}
		var tx *gorm.DB
		if write {
			var err error
			if tx, err = rt.begin(db.Statement.Context); err != nil {
				_ = db.AddError(err)
				return
			}
		} else if tx = rt.begun(); tx == nil {
			return
		}
		db.Statement.ConnPool = tx.Statement.ConnPool
		if write && db.Dialector.Name() == "postgres" {
			// A failed statement aborts a PostgreSQL transaction: each
			// write routed into the request's runs in a savepoint, so a
			// handled error (a duplicate refused, say) leaves the rest
			// of the request usable, as it was with autocommit.
			if _, err := db.Statement.ConnPool.ExecContext(db.Statement.Context, "SAVEPOINT tc_stmt"); err != nil {
				_ = db.AddError(err)
				return
			}
			db.InstanceSet("tc:savepoint", true)
		}
	}
}

// endStatement releases the savepoint of a routed write, or rolls back to
// it when the statement failed.
func endStatement(db *gorm.DB) {
	if _, ok := db.InstanceGet("tc:savepoint"); !ok {
		return
	}
	stmt := "RELEASE SAVEPOINT tc_stmt"
	if db.Error != nil {
		stmt = "ROLLBACK TO SAVEPOINT tc_stmt"
	}
	if _, err := db.Statement.ConnPool.ExecContext(context.WithoutCancel(db.Statement.Context), stmt); err != nil {
		_ = db.AddError(err)
	}
}
