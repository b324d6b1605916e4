-- wirewatch schema 2: per-destination health, and the digest a retried row belongs to.

-- The digest a row was last attempted in (NULL: never attempted in one). Retried together, so
-- that an alert never reaches a receiver under two delivery ids.
ALTER TABLE outbox ADD COLUMN digest_id text;

-- One row per notifier that has failed at least once (see Store.save_notifier_health). While
-- probe_at is in the future, no row of that notifier is claimed.
CREATE TABLE notifier_health (
    notifier text PRIMARY KEY,
    failing boolean NOT NULL DEFAULT false,
    failures integer NOT NULL DEFAULT 0,
    last_error text,
    failing_since timestamptz,
    probe_at timestamptz,
    updated_at timestamptz NOT NULL
);

CREATE INDEX outbox_notifier_open ON outbox (notifier, created_at) WHERE state IN ('pending', 'failed');
