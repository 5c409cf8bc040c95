-- Inbound messages, pay-per-use sessions and the SMS outbox.
-- Times are TEXT "YYYY-MM-DDTHH:MM:SS.ffffffZ" (UTC, fixed width, so text
-- order is time order); NULL is "not set". Amounts are INTEGER øre.

-- One row per MO ever received: the primary key makes a redelivery a
-- conflict. The text is not kept.
CREATE TABLE inbound_messages (
    message_id   TEXT NOT NULL PRIMARY KEY,
    msisdn       TEXT NOT NULL,
    short_number TEXT NOT NULL,
    keyword      TEXT NOT NULL,
    received_at  TEXT,
    recorded_at  TEXT NOT NULL
) STRICT;

CREATE TABLE sessions (
    id              TEXT    NOT NULL PRIMARY KEY,
    partner_id      INTEGER NOT NULL,
    msisdn          TEXT    NOT NULL,
    short_number    TEXT    NOT NULL,
    backend         TEXT    NOT NULL,
    state           TEXT    NOT NULL,
    outcome         TEXT    NOT NULL,
    mo_message_id   TEXT    NOT NULL,
    provider_ref    TEXT    NOT NULL,
    payment_url     TEXT    NOT NULL,
    reserved_amount INTEGER NOT NULL,
    price           INTEGER NOT NULL,
    capture_amount  INTEGER NOT NULL,
    captured_amount INTEGER NOT NULL,
    opened_at       TEXT,
    expires_at      TEXT,
    started_at      TEXT,
    ended_at        TEXT,
    closed_at       TEXT,
    next_check      TEXT,
    attempts        INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    lease_owner     TEXT    NOT NULL,
    lease_until     TEXT,
    version         INTEGER NOT NULL,
    updated_at      TEXT    NOT NULL
) STRICT;

-- One open session per partner and MSISDN, whoever writes: the states are
-- those of sms2vipps.SessionState.Open.
CREATE UNIQUE INDEX ux_sessions_open ON sessions (partner_id, msisdn)
    WHERE state IN ('RESERVING', 'AWAITING_PAYMENT', 'ACTIVE');

CREATE INDEX ix_sessions_check ON sessions (state, next_check);

-- A new rowid is one above the highest: id order is insertion order, even
-- after old rows are purged. (AUTOINCREMENT would cost a write per insert
-- only to keep ids of purged rows from coming back.)
CREATE TABLE sms_outbox (
    id                 INTEGER PRIMARY KEY,
    dedupe_key         TEXT,
    partner_id         INTEGER NOT NULL,
    session_id         TEXT    NOT NULL,
    to_msisdn          TEXT    NOT NULL,
    originator         TEXT    NOT NULL,
    body               TEXT    NOT NULL,
    mo_reference_id    TEXT    NOT NULL,
    state              TEXT    NOT NULL,
    attempts           INTEGER NOT NULL,
    next_attempt_at    TEXT,
    last_error         TEXT    NOT NULL,
    gateway_message_id TEXT    NOT NULL,
    created_at         TEXT    NOT NULL,
    sent_at            TEXT,
    lease_owner        TEXT    NOT NULL,
    lease_until        TEXT
) STRICT;

-- A message without a key is never de-duplicated.
CREATE UNIQUE INDEX ux_sms_outbox_dedupe ON sms_outbox (dedupe_key)
    WHERE dedupe_key IS NOT NULL;

CREATE INDEX ix_sms_outbox_due ON sms_outbox (state, id);

CREATE INDEX ix_sms_outbox_session ON sms_outbox (session_id, id);
