-- wirewatch schema 4: silences (see wirewatch/silences.py). matchers: JSON [[key, op, value]].

CREATE TABLE silences (
    id TEXT PRIMARY KEY,
    matchers TEXT NOT NULL,
    starts_at TEXT NOT NULL,
    ends_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    author TEXT NOT NULL DEFAULT ''
);
CREATE INDEX silences_ends_at ON silences (ends_at);
