-- wirewatch schema 3 (PostgreSQL): silences (see wirewatch/silences.py), shared by every
-- instance. matchers: JSON [[key, op, value]].

CREATE TABLE silences (
    id text PRIMARY KEY,
    matchers text NOT NULL,
    starts_at timestamptz NOT NULL,
    ends_at timestamptz NOT NULL,
    created_at timestamptz NOT NULL,
    comment text NOT NULL DEFAULT '',
    author text NOT NULL DEFAULT ''
);
CREATE INDEX silences_ends_at ON silences (ends_at);
