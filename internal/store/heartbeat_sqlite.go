package store

import (
	"context"
	"database/sql"
	"fmt"
	"sync"
	"time"
)

// heartbeatConn is the connection the SQLite heartbeat writer keeps for
// itself, with its prepared statements. A pooled connection would do, but
// SQLite drops a connection's whole page cache when it begins a transaction
// after another connection wrote: with the writer's batches landing on
// whichever connection was idle, every batch started cold and read the
// fleet's pages back from the file. Its own connection keeps them.
type heartbeatConn struct {
	mu                      sync.Mutex
	conn                    *sql.Conn
	update, upsert, history *sql.Stmt

	// The writer's connection does not checkpoint: copying WAL frames
	// back into the database file (and syncing it) would sit on the
	// heartbeat path, where everything is serial. checkpointer does it
	// on another connection while the writer goes on.
	ckptOnce sync.Once
	ckptStop chan struct{}
	ckptDone chan struct{}

	// walPath is the database's -wal file ("" for an in-memory
	// database). With it, the connection commits with
	// synchronous=NORMAL and wal flushes the commits (walsync.go).
	walPath string
	wal     *walSync
	failed  stickyErr // a flush failed: no heartbeat is written again
}

// Checkpoint cadence of the SQLite heartbeat path: a passive checkpoint
// (never waits for the writer) every ckptInterval, and a restarting one,
// which briefly waits for the writer so that the next transaction starts
// the WAL file from its beginning again, once the WAL holds more than
// ckptRestartFrames pages (passive checkpoints alone cannot rewind a WAL
// that is written to without pause).
const (
	ckptInterval      = 100 * time.Millisecond
	ckptRestartFrames = 8192 // 32 MiB with 4 KiB pages
)

// checkpointer runs until close. A checkpoint that fails (the database
// busy past its timeout, say) is simply tried again at the next interval:
// until then the WAL only grows, and no heartbeat depends on it.
func (h *heartbeatConn) checkpointer(sqlDB *sql.DB) {
	defer close(h.ckptDone)
	t := time.NewTicker(ckptInterval)
	defer t.Stop()
	for {
		select {
		case <-h.ckptStop:
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		var busy, frames, done int
		err := sqlDB.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &done)
		if err == nil && frames > ckptRestartFrames {
			_ = sqlDB.QueryRowContext(ctx, "PRAGMA wal_checkpoint(RESTART)").Scan(&busy, &frames, &done)
		}
		cancel()
	}
}

// get returns the connection, opening it and preparing the statements on
// first use or after a failure. Callers hold mu.
func (h *heartbeatConn) get(ctx context.Context, sqlDB *sql.DB) (*sql.Conn, error) {
	if h.conn != nil {
		return h.conn, nil
	}
	conn, err := sqlDB.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("heartbeat connection: %w", err)
	}
	// journal_size_limit: the WAL file shrinks back to 64 MiB when this
	// connection rewinds it after a restarting checkpoint.
	if _, err := conn.ExecContext(ctx, "PRAGMA wal_autocheckpoint = 0; PRAGMA journal_size_limit = 67108864"); err != nil {
		conn.Close()
		return nil, fmt.Errorf("heartbeat connection: %w", err)
	}
	h.ckptOnce.Do(func() {
		h.ckptStop, h.ckptDone = make(chan struct{}), make(chan struct{})
		go h.checkpointer(sqlDB)
	})
	var stmts [3]*sql.Stmt
	for i, q := range []string{sqliteUpdate, sqliteUpsert, sqliteCloseRecord} {
		if stmts[i], err = conn.PrepareContext(ctx, q); err != nil {
			for _, st := range stmts[:i] {
				st.Close()
			}
			conn.Close()
			return nil, fmt.Errorf("prepare heartbeat statements: %w", err)
		}
	}
	h.conn, h.update, h.upsert, h.history = conn, stmts[0], stmts[1], stmts[2]
	if err := h.startWALSync(ctx); err != nil {
		h.release()
		return nil, err
	}
	return conn, nil
}

// startWALSync switches the connection to synchronous=NORMAL with a
// walSync flushing its commits, if the database is a file in WAL mode;
// otherwise the connection keeps synchronous=FULL and every COMMIT syncs.
func (h *heartbeatConn) startWALSync(ctx context.Context) error {
	if h.walPath == "" {
		return nil
	}
	var mode string
	// Reading the schema opens the -wal file if the database is in WAL mode.
	if err := h.conn.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(new(int)); err != nil {
		return fmt.Errorf("heartbeat connection: %w", err)
	}
	if err := h.conn.QueryRowContext(ctx, "PRAGMA journal_mode").Scan(&mode); err != nil {
		return fmt.Errorf("heartbeat connection: %w", err)
	}
	if mode != "wal" {
		return nil
	}
	ws, err := newWALSync(h.walPath, &h.failed)
	if err != nil {
		return nil // no -wal file to flush: stay with synchronous=FULL
	}
	if _, err := h.conn.ExecContext(ctx, "PRAGMA synchronous = NORMAL"); err != nil {
		ws.close()
		return fmt.Errorf("heartbeat connection: %w", err)
	}
	h.wal = ws
	return nil
}

// release closes the statements and returns the connection to the pool;
// the next batch opens a fresh one. Callers hold mu (or own the Store's
// last reference, in Close).
func (h *heartbeatConn) release() {
	if h.wal != nil {
		h.wal.close() // flushes what this connection committed
		h.wal = nil
	}
	if h.conn == nil {
		return
	}
	h.update.Close()
	h.upsert.Close()
	h.history.Close()
	h.conn.Close()
	h.conn, h.update, h.upsert, h.history = nil, nil, nil, nil
}

// sqliteUpdate applies a heartbeat to an agent that exists, which is
// almost every heartbeat: cheaper than sqliteUpsert, which first builds the
// whole new row (its default rule looked up) and probes for the conflict.
// Its parameters are sqliteUpsert's, and it changes what sqliteUpsert's
// DO UPDATE changes; when it finds no agent, sqliteUpsert creates it.
//
// A heartbeat with statistics (?12) adds to the agent's open record
// (history.go), or starts it: the agent has none yet, or ?21 says
// sqliteCloseRecord just appended it to agent_history (?20 is the minute of
// the new record). Counters stay within tc.MaxCounter, so sums never
// overflow.
const sqliteUpdate = `UPDATE agents SET
		hostname = CASE WHEN ?2 <> '' THEN ?2 ELSE hostname END,
		ip = ?3,
		version = ?4,
		version_number = ?5,
		status = ?6,
		reported_status = ?6,
		reported_status_raw = ?19,
		last_seen_ms = MAX(last_seen_ms, ?7),
		last_success_ms = CASE WHEN ?8 THEN ?9 ELSE last_success_ms END,
		configurations = CASE WHEN ?10 THEN ?11 ELSE configurations END,
		has_stats = CASE WHEN ?12 THEN TRUE ELSE has_stats END,
		errors = CASE WHEN ?12 THEN ?13 ELSE errors END,
		warnings = CASE WHEN ?12 THEN ?14 ELSE warnings END,
		metrics = CASE WHEN ?12 THEN ?15 ELSE metrics END,
		heartbeats = heartbeats + 1,
		logs = CASE WHEN ?16 THEN ?17 ELSE logs END,
		logs_ms = CASE WHEN ?16 THEN ?7 ELSE logs_ms END,
		logs_reported = CASE WHEN ?16 THEN ?18 ELSE logs_reported END,
		hist_slot_ms = CASE WHEN NOT ?12 THEN hist_slot_ms WHEN ?21 OR hist_n = 0 THEN ?20 ELSE hist_slot_ms END,
		hist_n = CASE WHEN NOT ?12 THEN hist_n WHEN ?21 OR hist_n = 0 THEN 1 ELSE hist_n + 1 END,
		hist_errors = CASE WHEN NOT ?12 THEN hist_errors WHEN ?21 OR hist_n = 0 THEN ?13 ELSE MIN(hist_errors + ?13, ` + maxCounterSQL + `) END,
		hist_warnings = CASE WHEN NOT ?12 THEN hist_warnings WHEN ?21 OR hist_n = 0 THEN ?14 ELSE MIN(hist_warnings + ?14, ` + maxCounterSQL + `) END,
		hist_metrics = CASE WHEN NOT ?12 THEN hist_metrics WHEN ?21 OR hist_n = 0 THEN ?15 ELSE MIN(hist_metrics + ?15, ` + maxCounterSQL + `) END
	WHERE id = ?1`

const sqliteUpsert = `INSERT INTO agents (id, hostname, ip, version, version_number, status, reported_status, reported_status_raw,
		last_seen_ms, created_ms, last_success_ms, reporting_rule_id, configurations, has_stats, errors, warnings, metrics, heartbeats,
		logs, logs_ms, logs_reported, hist_slot_ms, hist_n, hist_errors, hist_warnings, hist_metrics)
	VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?19, ?7, ?7, ?9, (SELECT id FROM reporting_rules WHERE is_default), ?11, ?12, ?13, ?14, ?15, 1,
		?17, CASE WHEN ?16 THEN ?7 END, ?18, CASE WHEN ?12 THEN ?20 ELSE 0 END, CASE WHEN ?12 THEN 1 ELSE 0 END, ?13, ?14, ?15)
	ON CONFLICT (id) DO UPDATE SET
		hostname = CASE WHEN excluded.hostname <> '' THEN excluded.hostname ELSE agents.hostname END,
		ip = excluded.ip,
		version = excluded.version,
		version_number = excluded.version_number,
		status = excluded.status,
		reported_status = excluded.reported_status,
		reported_status_raw = excluded.reported_status_raw,
		last_seen_ms = MAX(agents.last_seen_ms, excluded.last_seen_ms),
		last_success_ms = CASE WHEN ?8 THEN excluded.last_success_ms ELSE agents.last_success_ms END,
		configurations = CASE WHEN ?10 THEN excluded.configurations ELSE agents.configurations END,
		has_stats = CASE WHEN excluded.has_stats THEN TRUE ELSE agents.has_stats END,
		errors = CASE WHEN excluded.has_stats THEN excluded.errors ELSE agents.errors END,
		warnings = CASE WHEN excluded.has_stats THEN excluded.warnings ELSE agents.warnings END,
		metrics = CASE WHEN excluded.has_stats THEN excluded.metrics ELSE agents.metrics END,
		heartbeats = agents.heartbeats + 1,
		logs = CASE WHEN ?16 THEN excluded.logs ELSE agents.logs END,
		logs_ms = CASE WHEN ?16 THEN excluded.logs_ms ELSE agents.logs_ms END,
		logs_reported = CASE WHEN ?16 THEN excluded.logs_reported ELSE agents.logs_reported END,
		hist_slot_ms = CASE WHEN NOT ?12 THEN agents.hist_slot_ms WHEN ?21 OR agents.hist_n = 0 THEN ?20 ELSE agents.hist_slot_ms END,
		hist_n = CASE WHEN NOT ?12 THEN agents.hist_n WHEN ?21 OR agents.hist_n = 0 THEN 1 ELSE agents.hist_n + 1 END,
		hist_errors = CASE WHEN NOT ?12 THEN agents.hist_errors WHEN ?21 OR agents.hist_n = 0 THEN ?13
			ELSE MIN(agents.hist_errors + ?13, ` + maxCounterSQL + `) END,
		hist_warnings = CASE WHEN NOT ?12 THEN agents.hist_warnings WHEN ?21 OR agents.hist_n = 0 THEN ?14
			ELSE MIN(agents.hist_warnings + ?14, ` + maxCounterSQL + `) END,
		hist_metrics = CASE WHEN NOT ?12 THEN agents.hist_metrics WHEN ?21 OR agents.hist_n = 0 THEN ?15
			ELSE MIN(agents.hist_metrics + ?15, ` + maxCounterSQL + `) END`

// sqliteCloseRecord appends the agent's open record to its bucket row
// (history.go) if it belongs to a minute before ?2, the minute of the
// heartbeat being written; sqliteUpdate then starts the next record. ?1
// agent, ?2 the heartbeat's minute, ?3 the agent's bucket offset.
var sqliteCloseRecord = `INSERT INTO agent_history (agent_id, bucket_ms, last_ms, records, samples)
		SELECT a.id, a.hist_slot_ms - ` + historyIntoBucket + `, a.hist_slot_ms, 1, ` + historySampleSQL + `
		FROM agents a, (SELECT ?3 AS off) v WHERE a.id = ?1 AND a.hist_n > 0 AND a.hist_slot_ms < ?2
		ON CONFLICT (agent_id, bucket_ms) DO UPDATE SET last_ms = MAX(agent_history.last_ms, excluded.last_ms),
			records = agent_history.records + 1, samples = agent_history.samples || excluded.samples`

// writeHeartbeatsSQLite commits rows and returns how to wait until they
// are durable (nil: they already are).
func (s *Store) writeHeartbeatsSQLite(ctx context.Context, sqlDB *sql.DB, rows []HeartbeatRow) (durable func() error, err error) {
	h := s.hb
	h.mu.Lock()
	defer h.mu.Unlock()
	if err := h.failed.get(); err != nil {
		return nil, err
	}
	conn, err := h.get(ctx, sqlDB)
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			// Whatever went wrong, the next batch starts on a fresh
			// connection.
			h.release()
		}
	}()
	// The statements run without ctx's deadline: go-sqlite3 runs every
	// statement given a cancellable context on a goroutine of its own (to
	// interrupt it), two goroutine switches per row. None of them waits
	// for anything but BEGIN IMMEDIATE, which gives up after the busy
	// timeout; ctx is checked between rows instead.
	stmtCtx := context.WithoutCancel(ctx)
	// The transaction is spelled out rather than taken from conn.BeginTx:
	// database/sql re-prepares a connection's statements for every Tx,
	// while executed on the connection itself they stay prepared.
	if _, err := conn.ExecContext(stmtCtx, "BEGIN IMMEDIATE"); err != nil {
		return nil, fmt.Errorf("begin heartbeat transaction: %w", err)
	}
	committed := false
	defer func() {
		if !committed {
			_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
		}
	}()
	update, upsert, closeRecord := h.update, h.upsert, h.history
	var recKeys []uint64
	var recSlots []int64
	for i := range rows {
		if err := ctx.Err(); err != nil {
			return nil, fmt.Errorf("write heartbeats: %w", err)
		}
		r := &rows[i]
		configs := "[]"
		if r.Configurations != nil {
			configs = *r.Configurations
		}
		var e, w, m int64
		slot, closed := historySlot(r.AtMs), false
		if r.Stats != nil {
			e, w, m = statCounter(r.Stats.Errors), statCounter(r.Stats.Warnings), statCounter(r.Stats.Metrics)
			// Close the open record unless it is known to be this
			// minute's.
			if key := s.hist.key(r.AgentID); !s.hist.open(key, slot) {
				res, err := closeRecord.ExecContext(stmtCtx, r.AgentID, slot, historyOffset(r.AgentID))
				if err != nil {
					return nil, fmt.Errorf("record heartbeat statistics: %w", err)
				}
				n, _ := res.RowsAffected()
				closed = n == 1
				recKeys, recSlots = append(recKeys, key), append(recSlots, slot)
			}
		}
		args := [...]any{r.AgentID, r.Hostname, r.IP, r.Version, r.VersionNumber, r.Status, r.AtMs,
			r.HasLast, r.LastSuccessMs, r.Configurations != nil, configs,
			r.Stats != nil, e, w, m, r.Logs != nil, r.Logs, r.LogsReported, r.StatusRaw, slot, closed}
		res, err := update.ExecContext(stmtCtx, args[:]...)
		if err != nil {
			return nil, fmt.Errorf("update agent: %w", err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return nil, fmt.Errorf("update agent: %w", err)
		}
		if n == 0 {
			if _, err := upsert.ExecContext(stmtCtx, args[:]...); err != nil {
				return nil, fmt.Errorf("create agent: %w", err)
			}
		}
	}
	if _, err := conn.ExecContext(stmtCtx, "COMMIT"); err != nil {
		return nil, fmt.Errorf("commit heartbeats: %w", err)
	}
	committed = true
	s.hist.recorded(recKeys, recSlots)
	if ws := h.wal; ws != nil {
		seq := ws.commitDone()
		return func() error { return ws.wait(seq) }, nil
	}
	return nil, nil
}

// close stops the checkpointer and releases the connection (Store.Close).
func (h *heartbeatConn) close() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.ckptOnce.Do(func() {}) // none starts after this
	if h.ckptStop != nil {
		close(h.ckptStop)
		<-h.ckptDone
		h.ckptStop = nil
	}
	h.release()
}
