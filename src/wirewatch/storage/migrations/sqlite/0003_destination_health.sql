-- wirewatch schema 3: per-destination health, and the digest a retried row belongs to.

-- The digest a row was last attempted in (NULL: never attempted in one). Retried together, so
-- that an alert never reaches a receiver under two delivery ids.
ALTER TABLE outbox ADD COLUMN digest_id TEXT;

-- One row per notifier that has failed at least once (see Store.save_notifier_health). While
-- probe_at is in the future, no row of that notifier is claimed.
CREATE TABLE notifier_health (
    notifier TEXT PRIMARY KEY,
    failing INTEGER NOT NULL DEFAULT 0,
    failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    failing_since TEXT,
    probe_at TEXT,
    updated_at TEXT NOT NULL
);

CREATE INDEX outbox_notifier_open ON outbox (notifier, created_at) WHERE state IN ('pending', 'failed');
