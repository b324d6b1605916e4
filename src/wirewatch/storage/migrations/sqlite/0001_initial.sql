-- wirewatch schema 1: feeds, the seen-set, items, stories, alerts and the outbox.
-- Times are fixed-width UTC text (2024-12-08T05:30:00.000000Z), so text order is time order.

CREATE TABLE feeds (
    key TEXT PRIMARY KEY,
    status TEXT NOT NULL DEFAULT 'ok',
    etag TEXT,
    last_modified TEXT,
    http_status INTEGER,
    consecutive_failures INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    last_success TEXT,
    next_due TEXT,
    first_polled TEXT,
    last_new_item TEXT,
    publish_interval_s REAL
);

-- Every item id a feed has had, kept longer than the items themselves.
CREATE TABLE seen (
    feed TEXT NOT NULL,
    item_id TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    content_hash TEXT NOT NULL,
    first_seen TEXT NOT NULL,
    last_seen TEXT NOT NULL,
    PRIMARY KEY (feed, item_id)
);
CREATE INDEX seen_url ON seen (url) WHERE url <> '';
CREATE INDEX seen_last_seen ON seen (last_seen);

CREATE TABLE items (
    feed TEXT NOT NULL,
    item_id TEXT NOT NULL,
    url TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL,
    summary TEXT NOT NULL,
    content TEXT NOT NULL,
    published TEXT,
    authors TEXT NOT NULL,
    tags TEXT NOT NULL,
    language TEXT,
    first_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    PRIMARY KEY (feed, item_id)
);
CREATE INDEX items_first_seen ON items (first_seen);

CREATE TABLE stories (
    id TEXT PRIMARY KEY,
    signature TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX stories_created_at ON stories (created_at);

CREATE TABLE story_sources (
    story_id TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    feed TEXT NOT NULL,
    item_id TEXT NOT NULL,
    title TEXT NOT NULL,
    url TEXT NOT NULL,
    published TEXT,
    seen_at TEXT NOT NULL,
    PRIMARY KEY (story_id, feed, item_id)
);
CREATE INDEX story_sources_item ON story_sources (feed, item_id);

CREATE TABLE alerts (
    id TEXT PRIMARY KEY,
    story_id TEXT NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    watchlist TEXT NOT NULL,
    created_at TEXT NOT NULL,
    destinations TEXT NOT NULL,
    body TEXT NOT NULL,
    UNIQUE (story_id, watchlist)
);
CREATE INDEX alerts_created_at ON alerts (created_at);

CREATE TABLE alert_entities (
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    entity TEXT NOT NULL,
    PRIMARY KEY (alert_id, entity)
);
CREATE INDEX alert_entities_entity ON alert_entities (entity);

-- payload is NULL for alert.created rows: the alert's body is what they send.
CREATE TABLE outbox (
    id TEXT PRIMARY KEY,
    alert_id TEXT NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    notifier TEXT NOT NULL,
    event TEXT NOT NULL,
    payload TEXT,
    state TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    created_at TEXT NOT NULL,
    due_at TEXT NOT NULL,
    lease_owner TEXT,
    lease_until TEXT,
    delivered_at TEXT
);
CREATE INDEX outbox_due ON outbox (state, due_at);
CREATE INDEX outbox_alert ON outbox (alert_id);
