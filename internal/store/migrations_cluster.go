package store

// Migration 5: change counters of the caches every node keeps (credentials,
// settings, configs). A write bumps its topic in the writing transaction and
// NOTIFYs the other nodes; nodes also poll the counters, so a notification
// lost to a broken connection is caught within one poll interval.
func init() {
	register(migration{5, "cluster", []string{
		`CREATE TABLE cluster_versions (
			topic TEXT PRIMARY KEY,
			version {{bigint}} NOT NULL DEFAULT 0)`,
		`INSERT INTO cluster_versions (topic, version) VALUES ('credentials', 0), ('settings', 0), ('configs', 0)`,
	}})
}
