package store

// Migration 46: each agent's label IDs beside its row, for the notification
// rules' scan of the silent fleet (docs/performance.md, "Notifications").
// When half a fleet of 1,000,000 falls silent at once, the tick reads the
// labels of every agent that crossed a threshold; looking each one up in
// agent_labels cost PostgreSQL ~3 µs an agent (+1.7 s in that tick), and
// no join form was cheaper. agents.label_set holds ",id1,id2,…," (any
// order; "" with no labels), kept by triggers on agent_labels in the same
// statement as every change of it, cascades from deleted labels included;
// a heartbeat does not write it. SilentFleet matches it with instr/strpos
// while no label ID contains a comma, and reads agent_labels otherwise.
func init() {
	register(migration{46, "agent-label-set", []string{
		`ALTER TABLE agents ADD COLUMN label_set TEXT NOT NULL DEFAULT ''`,
		`UPDATE agents SET label_set = COALESCE((SELECT ',' || {{concat_agg}}(g.label_id, ',') || ',' FROM agent_labels g WHERE g.agent_id = agents.id), '')
			WHERE EXISTS (SELECT 1 FROM agent_labels g WHERE g.agent_id = agents.id)`,
		// SQLite: row triggers (foreign-key cascades fire them too).
		onlyOn(SQLite, `CREATE TRIGGER agent_labels_set_insert AFTER INSERT ON agent_labels BEGIN
			UPDATE agents SET label_set = CASE WHEN label_set = '' THEN ',' ELSE label_set END || NEW.label_id || ',' WHERE id = NEW.agent_id;
		END`),
		onlyOn(SQLite, `CREATE TRIGGER agent_labels_set_delete AFTER DELETE ON agent_labels BEGIN
			UPDATE agents SET label_set = COALESCE((SELECT ',' || group_concat(g.label_id, ',') || ',' FROM agent_labels g WHERE g.agent_id = OLD.agent_id), '')
			WHERE id = OLD.agent_id;
		END`),
		// PostgreSQL: one update per statement over the agents it touched.
		// Their rows are locked first, in the byte order of their IDs (the
		// order heartbeat batches lock them in: no deadlock with those),
		// and only then is agent_labels read, by a statement whose snapshot
		// sees a concurrent change that held those locks (no lost label).
		onlyOn(Postgres, `CREATE FUNCTION agent_labels_set() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			PERFORM 1 FROM agents WHERE id IN (SELECT agent_id FROM changed) ORDER BY id COLLATE "C" FOR NO KEY UPDATE;
			UPDATE agents a SET label_set = COALESCE((SELECT ',' || string_agg(g.label_id, ',') || ',' FROM agent_labels g WHERE g.agent_id = a.id), '')
			WHERE a.id IN (SELECT DISTINCT agent_id FROM changed);
			RETURN NULL;
		END $$`),
		onlyOn(Postgres, `CREATE TRIGGER agent_labels_set_insert AFTER INSERT ON agent_labels
			REFERENCING NEW TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION agent_labels_set()`),
		onlyOn(Postgres, `CREATE TRIGGER agent_labels_set_delete AFTER DELETE ON agent_labels
			REFERENCING OLD TABLE AS changed FOR EACH STATEMENT EXECUTE FUNCTION agent_labels_set()`),
	}})
}
