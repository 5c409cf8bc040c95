-- Inbound messages, pay-per-use sessions and the SMS outbox.
-- Times are DATETIME2(7) in UTC; NULL is "not set". Amounts are BIGINT øre.
-- Ids and keys compare in a binary collation, as they do in SQLite: the
-- database default is usually case-insensitive.

-- One row per MO ever received: the primary key makes a redelivery a
-- conflict. The text is not kept.
CREATE TABLE inbound_messages (
    message_id   NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    msisdn       NVARCHAR(32)  NOT NULL,
    short_number NVARCHAR(32)  NOT NULL,
    keyword      NVARCHAR(200) NOT NULL,
    received_at  DATETIME2(7)  NULL,
    recorded_at  DATETIME2(7)  NOT NULL,
    CONSTRAINT pk_inbound_messages PRIMARY KEY (message_id)
);

CREATE TABLE sessions (
    id              NVARCHAR(100)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    partner_id      BIGINT         NOT NULL,
    msisdn          NVARCHAR(32)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    short_number    NVARCHAR(32)   NOT NULL,
    backend         NVARCHAR(32)   NOT NULL,
    state           NVARCHAR(32)   NOT NULL,
    outcome         NVARCHAR(32)   NOT NULL,
    mo_message_id   NVARCHAR(200)  NOT NULL,
    provider_ref    NVARCHAR(200)  NOT NULL,
    payment_url     NVARCHAR(2000) NOT NULL,
    reserved_amount BIGINT         NOT NULL,
    price           BIGINT         NOT NULL,
    capture_amount  BIGINT         NOT NULL,
    captured_amount BIGINT         NOT NULL,
    opened_at       DATETIME2(7)   NULL,
    expires_at      DATETIME2(7)   NULL,
    started_at      DATETIME2(7)   NULL,
    ended_at        DATETIME2(7)   NULL,
    closed_at       DATETIME2(7)   NULL,
    next_check      DATETIME2(7)   NULL,
    attempts        INT            NOT NULL,
    last_error      NVARCHAR(MAX)  NOT NULL,
    lease_owner     NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    lease_until     DATETIME2(7)   NULL,
    version         BIGINT         NOT NULL,
    updated_at      DATETIME2(7)   NOT NULL,
    CONSTRAINT pk_sessions PRIMARY KEY (id)
);

-- One open session per partner and MSISDN, whoever writes: the states are
-- those of sms2vipps.SessionState.Open.
CREATE UNIQUE INDEX ux_sessions_open ON sessions (partner_id, msisdn)
    WHERE state IN (N'RESERVING', N'AWAITING_PAYMENT', N'ACTIVE');

CREATE INDEX ix_sessions_check ON sessions (state, next_check);

CREATE TABLE sms_outbox (
    id                 BIGINT IDENTITY(1, 1) NOT NULL,
    dedupe_key         NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NULL,
    partner_id         BIGINT        NOT NULL,
    session_id         NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL,
    to_msisdn          NVARCHAR(32)  NOT NULL,
    originator         NVARCHAR(64)  NOT NULL,
    body               NVARCHAR(MAX) NOT NULL,
    mo_reference_id    NVARCHAR(200) NOT NULL,
    state              NVARCHAR(16)  NOT NULL,
    attempts           INT           NOT NULL,
    next_attempt_at    DATETIME2(7)  NULL,
    last_error         NVARCHAR(MAX) NOT NULL,
    gateway_message_id NVARCHAR(200) NOT NULL,
    created_at         DATETIME2(7)  NOT NULL,
    sent_at            DATETIME2(7)  NULL,
    lease_owner        NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    lease_until        DATETIME2(7)  NULL,
    CONSTRAINT pk_sms_outbox PRIMARY KEY (id)
);

-- SQL Server lets a unique index hold one NULL only; keyless messages are
-- left out of it.
CREATE UNIQUE INDEX ux_sms_outbox_dedupe ON sms_outbox (dedupe_key)
    WHERE dedupe_key IS NOT NULL;

CREATE INDEX ix_sms_outbox_due ON sms_outbox (state, id);

CREATE INDEX ix_sms_outbox_session ON sms_outbox (session_id, id);
