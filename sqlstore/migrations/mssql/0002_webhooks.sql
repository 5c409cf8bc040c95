-- Webhook events from Vipps, stored before they are acted on, and the
-- app's registrations at the Vipps Webhooks API.
-- Times are DATETIME2(7) in UTC; NULL is "not set". Keys, ids and lease
-- owners compare in a binary collation, as they do in SQLite.

-- event_key is sms2vipps.WebhookEvent.Key: a redelivery of an event finds
-- its key taken and is stored once. 450 characters keep the unique index
-- within SQL Server's key size.
CREATE TABLE webhook_events (
    id              BIGINT IDENTITY(1, 1) NOT NULL,
    event_key       NVARCHAR(450) COLLATE Latin1_General_100_BIN2 NOT NULL,
    partner_id      BIGINT         NOT NULL,
    name            NVARCHAR(200)  NOT NULL,
    reference       NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    charge_id       NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    body            VARBINARY(MAX) NOT NULL,
    received_at     DATETIME2(7)   NOT NULL,
    state           NVARCHAR(16)   NOT NULL,
    attempts        INT            NOT NULL,
    next_attempt_at DATETIME2(7)   NULL,
    last_error      NVARCHAR(MAX)  NOT NULL,
    processed_at    DATETIME2(7)   NULL,
    lease_owner     NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    lease_until     DATETIME2(7)   NULL,
    CONSTRAINT pk_webhook_events PRIMARY KEY (id)
);

CREATE UNIQUE INDEX ux_webhook_events_key ON webhook_events (event_key);

CREATE INDEX ix_webhook_events_due ON webhook_events (state, id);

CREATE INDEX ix_webhook_events_reference ON webhook_events (reference, id);

-- events is the JSON array of the event names registered for, in the
-- order given, so that the list round-trips whatever its names hold.
-- sealed_secret is the secret as the app sealed it; never the clear text.
CREATE TABLE webhook_registrations (
    id            NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    partner_id    BIGINT         NOT NULL,
    msn           NVARCHAR(32)   NOT NULL,
    url           NVARCHAR(2000) NOT NULL,
    events        NVARCHAR(MAX)  NOT NULL,
    sealed_secret VARBINARY(MAX) NOT NULL,
    created_at    DATETIME2(7)   NOT NULL,
    CONSTRAINT pk_webhook_registrations PRIMARY KEY (id)
);

CREATE INDEX ix_webhook_registrations_partner ON webhook_registrations (partner_id, created_at, id);
