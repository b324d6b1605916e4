-- wirewatch schema 2: which owner polls which feed, until when (see Store.claim_feed).

CREATE TABLE feed_leases (
    key TEXT PRIMARY KEY,
    owner TEXT NOT NULL,
    lease_until TEXT NOT NULL
);
