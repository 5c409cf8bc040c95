-- Recurring subscriptions and their charges, one per period.
-- Times are DATETIME2(7) in UTC; NULL is "not set". Dates (an anchor, a
-- period start, a due date) are DATE. Booleans are BIT; amounts BIGINT øre.
-- Ids, keys and lease owners compare in a binary collation, as they do in
-- SQLite.

-- order_number is NULL when the partner gave none: the unique index leaves
-- those rows out (SQL Server would let it hold one NULL only).
CREATE TABLE subscriptions (
    id                  NVARCHAR(100)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    partner_id          BIGINT         NOT NULL,
    order_number        NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NULL,
    source              NVARCHAR(200)  NOT NULL,
    msisdn              NVARCHAR(32)   COLLATE Latin1_General_100_BIN2 NOT NULL,
    short_number        NVARCHAR(32)   NOT NULL,
    group_id            BIGINT         NOT NULL,
    provider            NVARCHAR(32)   NOT NULL,
    currency            NVARCHAR(16)   NOT NULL,
    amount              BIGINT         NOT NULL,
    campaign_amount     BIGINT         NOT NULL,
    billing_interval    NVARCHAR(16)   NOT NULL,
    product_name        NVARCHAR(400)  NOT NULL,
    product_description NVARCHAR(2000) NOT NULL,
    sms_text            NVARCHAR(MAX)  NOT NULL,
    send_sms            BIT            NOT NULL,
    originator          NVARCHAR(64)   NOT NULL,
    crm_added           BIT            NOT NULL,
    agreement_id        NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    agreement_url       NVARCHAR(2000) NOT NULL,
    sms_queued          BIT            NOT NULL,
    state               NVARCHAR(16)   NOT NULL,
    agreement_status    NVARCHAR(32)   NOT NULL,
    activated_at        DATETIME2(7)   NULL,
    anchor              DATE           NULL,
    next_period         DATE           NULL,
    past_due_since      DATETIME2(7)   NULL,
    stopped_at          DATETIME2(7)   NULL,
    stop_reason         NVARCHAR(64)   NOT NULL,
    attempts            INT            NOT NULL,
    last_error          NVARCHAR(MAX)  NOT NULL,
    next_check          DATETIME2(7)   NULL,
    lease_owner         NVARCHAR(200)  COLLATE Latin1_General_100_BIN2 NOT NULL,
    lease_until         DATETIME2(7)   NULL,
    version             BIGINT         NOT NULL,
    created_at          DATETIME2(7)   NOT NULL,
    updated_at          DATETIME2(7)   NOT NULL,
    CONSTRAINT pk_subscriptions PRIMARY KEY (id)
);

-- The same OrderNumber from the same partner is the same subscription.
CREATE UNIQUE INDEX ux_subscriptions_order ON subscriptions (partner_id, order_number)
    WHERE order_number IS NOT NULL;

CREATE INDEX ix_subscriptions_agreement ON subscriptions (agreement_id);

CREATE INDEX ix_subscriptions_msisdn ON subscriptions (msisdn, partner_id);

CREATE INDEX ix_subscriptions_check ON subscriptions (state, next_check);

-- The subscriptions a charging run may claim, in the order it claims them.
-- The filter is the one claimDueSubscriptions states literally (a filtered
-- index serves a parameterised query only then), so the claim seeks this
-- index in order and stops at TOP; with the lease and the state in it, the
-- claim needs no key lookup for a subscription it skips.
CREATE INDEX ix_subscriptions_due ON subscriptions (next_period, id, lease_owner, lease_until, state)
    WHERE state IN (N'ACTIVE', N'PAST_DUE') AND next_period IS NOT NULL;

CREATE TABLE charges (
    id              NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL,
    subscription_id NVARCHAR(100) COLLATE Latin1_General_100_BIN2 NOT NULL,
    partner_id      BIGINT        NOT NULL,
    agreement_id    NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    period_start    DATE          NOT NULL,
    amount          BIGINT        NOT NULL,
    due_date        DATE          NULL,
    retry_days      INT           NOT NULL,
    state           NVARCHAR(16)  NOT NULL,
    vipps_status    NVARCHAR(32)  NOT NULL,
    failure_reason  NVARCHAR(200) NOT NULL,
    attempts        INT           NOT NULL,
    last_error      NVARCHAR(MAX) NOT NULL,
    next_check      DATETIME2(7)  NULL,
    lease_owner     NVARCHAR(200) COLLATE Latin1_General_100_BIN2 NOT NULL,
    lease_until     DATETIME2(7)  NULL,
    version         BIGINT        NOT NULL,
    created_at      DATETIME2(7)  NOT NULL,
    updated_at      DATETIME2(7)  NOT NULL,
    charged_at      DATETIME2(7)  NULL,
    CONSTRAINT pk_charges PRIMARY KEY (id)
);

-- A period is charged once: whatever retries, re-runs and concurrent
-- runs do, a second charge for a subscription's period is refused here.
CREATE UNIQUE INDEX ux_charges_period ON charges (subscription_id, period_start);

-- ClaimCharges: the charges of a state by NextCheck, with the lease, so
-- that a claim needs no key lookup for a charge it skips.
CREATE INDEX ix_charges_check ON charges (state, next_check, id, lease_owner, lease_until);

CREATE INDEX ix_charges_agreement ON charges (agreement_id, period_start);
