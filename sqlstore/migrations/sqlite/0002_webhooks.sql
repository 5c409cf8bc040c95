-- Webhook events from Vipps, stored before they are acted on, and the
-- app's registrations at the Vipps Webhooks API.
-- Times are TEXT as in 0001_init.sql; NULL is "not set".

-- A new rowid is one above the highest: id order is the order events were
-- recorded, which is the order the Reconciler claims them in.
-- event_key is sms2vipps.WebhookEvent.Key: a redelivery of an event finds
-- its key taken and is stored once.
CREATE TABLE webhook_events (
    id              INTEGER PRIMARY KEY,
    event_key       TEXT    NOT NULL,
    partner_id      INTEGER NOT NULL,
    name            TEXT    NOT NULL,
    reference       TEXT    NOT NULL,
    charge_id       TEXT    NOT NULL,
    body            BLOB    NOT NULL,
    received_at     TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    next_attempt_at TEXT,
    last_error      TEXT    NOT NULL,
    processed_at    TEXT,
    lease_owner     TEXT    NOT NULL,
    lease_until     TEXT
) STRICT;

CREATE UNIQUE INDEX ux_webhook_events_key ON webhook_events (event_key);

CREATE INDEX ix_webhook_events_due ON webhook_events (state, id);

CREATE INDEX ix_webhook_events_reference ON webhook_events (reference, id);

-- events is the JSON array of the event names registered for, in the
-- order given, so that the list round-trips whatever its names hold.
-- sealed_secret is the secret as the app sealed it; never the clear text.
CREATE TABLE webhook_registrations (
    id            TEXT    NOT NULL PRIMARY KEY,
    partner_id    INTEGER NOT NULL,
    msn           TEXT    NOT NULL,
    url           TEXT    NOT NULL,
    events        TEXT    NOT NULL,
    sealed_secret BLOB    NOT NULL,
    created_at    TEXT    NOT NULL
) STRICT;

CREATE INDEX ix_webhook_registrations_partner ON webhook_registrations (partner_id, created_at, id);
