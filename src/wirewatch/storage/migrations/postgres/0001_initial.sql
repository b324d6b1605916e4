-- wirewatch schema 1 (PostgreSQL): feeds and their poll leases, the seen-set, items, stories,
-- alerts and the outbox. Times are timestamptz; the code always reads them back in UTC.

CREATE TABLE feeds (
    key text PRIMARY KEY,
    status text NOT NULL DEFAULT 'ok',
    etag text,
    last_modified text,
    http_status integer,
    consecutive_failures integer NOT NULL DEFAULT 0,
    last_error text,
    last_success timestamptz,
    next_due timestamptz,
    first_polled timestamptz,
    last_new_item timestamptz,
    publish_interval_s double precision
);

-- Which instance polls which feed, until when (apart from the state, which it does not lock).
CREATE TABLE feed_leases (
    key text PRIMARY KEY,
    owner text NOT NULL,
    lease_until timestamptz NOT NULL
);

-- Every item id a feed has had, kept longer than the items themselves.
CREATE TABLE seen (
    feed text NOT NULL,
    item_id text NOT NULL,
    url text NOT NULL DEFAULT '',
    content_hash text NOT NULL,
    first_seen timestamptz NOT NULL,
    last_seen timestamptz NOT NULL,
    PRIMARY KEY (feed, item_id)
);
CREATE INDEX seen_url ON seen (url) WHERE url <> '';
CREATE INDEX seen_last_seen ON seen (last_seen);

CREATE TABLE items (
    feed text NOT NULL,
    item_id text NOT NULL,
    url text NOT NULL DEFAULT '',
    title text NOT NULL,
    summary text NOT NULL,
    content text NOT NULL,
    published timestamptz,
    authors text[] NOT NULL,
    tags text[] NOT NULL,
    language text,
    first_seen timestamptz NOT NULL,
    updated_at timestamptz NOT NULL,
    PRIMARY KEY (feed, item_id)
);
CREATE INDEX items_first_seen ON items (first_seen);

CREATE TABLE stories (
    id text PRIMARY KEY,
    signature text NOT NULL,
    created_at timestamptz NOT NULL
);
CREATE INDEX stories_created_at ON stories (created_at);

CREATE TABLE story_sources (
    story_id text NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    feed text NOT NULL,
    item_id text NOT NULL,
    title text NOT NULL,
    url text NOT NULL,
    published timestamptz,
    seen_at timestamptz NOT NULL,
    PRIMARY KEY (story_id, feed, item_id)
);
CREATE INDEX story_sources_item ON story_sources (feed, item_id);

-- One alert per (story, watchlist), across every instance: the id is derived from both.
CREATE TABLE alerts (
    id text PRIMARY KEY,
    story_id text NOT NULL REFERENCES stories (id) ON DELETE CASCADE,
    watchlist text NOT NULL,
    created_at timestamptz NOT NULL,
    destinations text[] NOT NULL,
    body jsonb NOT NULL,
    UNIQUE (story_id, watchlist)
);
CREATE INDEX alerts_created_at ON alerts (created_at);

CREATE TABLE alert_entities (
    alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    entity text NOT NULL,
    PRIMARY KEY (alert_id, entity)
);
CREATE INDEX alert_entities_entity ON alert_entities (entity);

-- payload is NULL for alert.created rows: the alert's body is what they send.
CREATE TABLE outbox (
    id text PRIMARY KEY,
    alert_id text NOT NULL REFERENCES alerts (id) ON DELETE CASCADE,
    notifier text NOT NULL,
    event text NOT NULL,
    payload jsonb,
    state text NOT NULL DEFAULT 'pending',
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    created_at timestamptz NOT NULL,
    due_at timestamptz NOT NULL,
    lease_owner text,
    lease_until timestamptz,
    delivered_at timestamptz
);
-- What a claim scans: open rows by due time.
CREATE INDEX outbox_open_due ON outbox (due_at, id) WHERE state IN ('pending', 'failed');
CREATE INDEX outbox_alert ON outbox (alert_id);
CREATE INDEX outbox_state ON outbox (state, created_at);
