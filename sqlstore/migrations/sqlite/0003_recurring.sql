-- Recurring subscriptions and their charges, one per period.
-- Times are TEXT as in 0001_init.sql; NULL is "not set". Dates (an anchor,
-- a period start, a due date) are TEXT "YYYY-MM-DD": fixed width, so text
-- order is date order and "next_period <= @horizon" compares dates. The
-- store writes no other form. Booleans are INTEGER 0/1; amounts INTEGER øre.

-- order_number is NULL when the partner gave none: NULLs never collide in
-- the unique index, so subscriptions without one repeat freely.
CREATE TABLE subscriptions (
    id                  TEXT    NOT NULL PRIMARY KEY,
    partner_id          INTEGER NOT NULL,
    order_number        TEXT,
    source              TEXT    NOT NULL,
    msisdn              TEXT    NOT NULL,
    short_number        TEXT    NOT NULL,
    group_id            INTEGER NOT NULL,
    provider            TEXT    NOT NULL,
    currency            TEXT    NOT NULL,
    amount              INTEGER NOT NULL,
    campaign_amount     INTEGER NOT NULL,
    billing_interval    TEXT    NOT NULL,
    product_name        TEXT    NOT NULL,
    product_description TEXT    NOT NULL,
    sms_text            TEXT    NOT NULL,
    send_sms            INTEGER NOT NULL,
    originator          TEXT    NOT NULL,
    crm_added           INTEGER NOT NULL,
    agreement_id        TEXT    NOT NULL,
    agreement_url       TEXT    NOT NULL,
    sms_queued          INTEGER NOT NULL,
    state               TEXT    NOT NULL,
    agreement_status    TEXT    NOT NULL,
    activated_at        TEXT,
    anchor              TEXT,
    next_period         TEXT,
    past_due_since      TEXT,
    stopped_at          TEXT,
    stop_reason         TEXT    NOT NULL,
    attempts            INTEGER NOT NULL,
    last_error          TEXT    NOT NULL,
    next_check          TEXT,
    lease_owner         TEXT    NOT NULL,
    lease_until         TEXT,
    version             INTEGER NOT NULL,
    created_at          TEXT    NOT NULL,
    updated_at          TEXT    NOT NULL
) STRICT;

-- The same OrderNumber from the same partner is the same subscription.
CREATE UNIQUE INDEX ux_subscriptions_order ON subscriptions (partner_id, order_number)
    WHERE order_number IS NOT NULL;

CREATE INDEX ix_subscriptions_agreement ON subscriptions (agreement_id);

CREATE INDEX ix_subscriptions_msisdn ON subscriptions (msisdn, partner_id);

CREATE INDEX ix_subscriptions_check ON subscriptions (state, next_check);

-- The subscriptions a charging run may claim, in the order it claims them.
-- The filter is the one claimDueSubscriptions states word for word, so
-- that the claim walks this index in order and stops at its limit; with
-- the lease and the state in it, the claim reads no table row for a
-- subscription it skips.
CREATE INDEX ix_subscriptions_due ON subscriptions (next_period, id, lease_owner, lease_until, state)
    WHERE state IN ('ACTIVE', 'PAST_DUE') AND next_period IS NOT NULL;

CREATE TABLE charges (
    id              TEXT    NOT NULL PRIMARY KEY,
    subscription_id TEXT    NOT NULL,
    partner_id      INTEGER NOT NULL,
    agreement_id    TEXT    NOT NULL,
    period_start    TEXT    NOT NULL,
    amount          INTEGER NOT NULL,
    due_date        TEXT,
    retry_days      INTEGER NOT NULL,
    state           TEXT    NOT NULL,
    vipps_status    TEXT    NOT NULL,
    failure_reason  TEXT    NOT NULL,
    attempts        INTEGER NOT NULL,
    last_error      TEXT    NOT NULL,
    next_check      TEXT,
    lease_owner     TEXT    NOT NULL,
    lease_until     TEXT,
    version         INTEGER NOT NULL,
    created_at      TEXT    NOT NULL,
    updated_at      TEXT    NOT NULL,
    charged_at      TEXT
) STRICT;

-- A period is charged once: whatever retries, re-runs and concurrent
-- runs do, a second charge for a subscription's period is refused here.
CREATE UNIQUE INDEX ux_charges_period ON charges (subscription_id, period_start);

-- ClaimCharges: the charges of a state by NextCheck, with the lease, so
-- that a claim reads no table row for a charge it skips.
CREATE INDEX ix_charges_check ON charges (state, next_check, id, lease_owner, lease_until);

CREATE INDEX ix_charges_agreement ON charges (agreement_id, period_start);
