package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// subscriptionTable is the subscriptions for the shared mechanics of
// table.go.
func (s *Store) subscriptionTable() table[*sms2vipps.Subscription] {
	return table[*sms2vipps.Subscription]{s: s, what: "subscription", scan: scanSubscription, exists: s.d.q.subscriptionExists,
		unique: "the partner already has a subscription with the order number, or the subscription id is taken"}
}

// CreateSubscription inserts x with Version 1 and UpdatedAt now; a zero
// CreatedAt becomes now. The database keeps the partner's non-empty order
// numbers unique, so two concurrent requests with one OrderNumber cannot
// both create a subscription. Returns ECONFLICT when the id or the order
// number is taken, EINVALID for an empty id or a malformed date.
func (s *Store) CreateSubscription(ctx context.Context, x *sms2vipps.Subscription) error {
	if x.ID == "" {
		return invalid("subscription has no id")
	}
	now := s.now()
	row := *x
	if row.CreatedAt.IsZero() {
		row.CreatedAt = now
	}
	args, err := s.subscriptionArgs(&row, 1, now)
	if err != nil {
		return err
	}
	if _, err := s.w().ExecContext(ctx, s.d.q.insertSubscription, args...); err != nil {
		return s.subscriptionTable().writeError(err, "create subscription")
	}
	x.Version, x.CreatedAt, x.UpdatedAt = 1, row.CreatedAt, now
	return nil
}

// Subscription returns the subscription with id, or ENOTFOUND.
func (s *Store) Subscription(ctx context.Context, id string) (*sms2vipps.Subscription, error) {
	x, err := scanSubscription(s.r().QueryRowContext(ctx, s.d.q.subscription, sql.Named("id", id)))
	if err != nil {
		return nil, s.translate(err, "subscription", "get subscription")
	}
	return x, nil
}

// SubscriptionByOrderNumber returns the partner's subscription with the
// order number, or ENOTFOUND; always ENOTFOUND for an empty order number,
// which names no subscription.
func (s *Store) SubscriptionByOrderNumber(ctx context.Context, partnerID int64, orderNumber string) (*sms2vipps.Subscription, error) {
	if orderNumber == "" {
		return nil, s.translate(sql.ErrNoRows, "subscription", "subscription by order number")
	}
	x, err := scanSubscription(s.r().QueryRowContext(ctx, s.d.q.subscriptionByOrderNumber,
		sql.Named("partner_id", partnerID), sql.Named("order_number", orderNumber)))
	if err != nil {
		return nil, s.translate(err, "subscription", "subscription by order number")
	}
	return x, nil
}

// SubscriptionByAgreement returns the subscription of the agreement, or
// ENOTFOUND; always ENOTFOUND for an empty agreement id (a subscription
// without an agreement yet). Should two subscriptions name one agreement,
// the oldest (CreatedAt, then id) is returned.
func (s *Store) SubscriptionByAgreement(ctx context.Context, agreementID string) (*sms2vipps.Subscription, error) {
	if agreementID == "" {
		return nil, s.translate(sql.ErrNoRows, "subscription", "subscription by agreement")
	}
	x, err := scanSubscription(s.r().QueryRowContext(ctx, s.d.q.subscriptionByAgreement, sql.Named("agreement_id", agreementID)))
	if err != nil {
		return nil, s.translate(err, "subscription", "subscription by agreement")
	}
	return x, nil
}

// SubscriptionsByMSISDN returns the number's subscriptions with the
// partner (every partner's when partnerID is 0), oldest CreatedAt first,
// then by id.
func (s *Store) SubscriptionsByMSISDN(ctx context.Context, partnerID int64, msisdn sms2vipps.MSISDN) ([]*sms2vipps.Subscription, error) {
	query, args := s.d.q.allSubscriptionsByMSISDN, []any{sql.Named("msisdn", string(msisdn))}
	if partnerID != 0 {
		query, args = s.d.q.subscriptionsByMSISDN, append(args, sql.Named("partner_id", partnerID))
	}
	out, err := querySubscriptions(ctx, s.r(), query, args...)
	if err != nil {
		return nil, s.translate(err, "subscription", "subscriptions by msisdn")
	}
	return out, nil
}

// UpdateSubscription writes every field of x but its lease (LeaseOwner and
// LeaseUntil belong to the claims and ReleaseSubscription) if x.Version is
// still the stored version, then bumps x.Version and sets x.UpdatedAt. A
// zero CreatedAt keeps the stored one.
// Returns ECONFLICT when another writer came first or the new OrderNumber
// is the partner's on another subscription, ENOTFOUND when there is no
// such subscription, EINVALID for a malformed date.
func (s *Store) UpdateSubscription(ctx context.Context, x *sms2vipps.Subscription) error {
	now := s.now()
	args, err := s.subscriptionArgs(x, x.Version, now)
	if err != nil {
		return err
	}
	if err := s.subscriptionTable().update(ctx, "update subscription", staleVersion, x.ID, s.d.q.updateSubscription, args...); err != nil {
		return err
	}
	x.Version++
	x.UpdatedAt = now
	return nil
}

// SubscriptionsToCheck returns up to limit subscriptions in one of states
// that are due and not leased at now, oldest NextCheck first (then by id).
// As with sessions, a zero NextCheck counts as due and sorts first: a
// subscription nobody scheduled is checked rather than forgotten.
func (s *Store) SubscriptionsToCheck(ctx context.Context, states []sms2vipps.SubscriptionState, now time.Time, limit int) ([]*sms2vipps.Subscription, error) {
	if len(states) == 0 || limit <= 0 {
		return nil, nil
	}
	js, err := json.Marshal(states)
	if err != nil {
		return nil, s.translate(err, "", "subscriptions to check")
	}
	out, err := querySubscriptions(ctx, s.r(), s.d.q.subscriptionsToCheck,
		sql.Named("states", string(js)), sql.Named("now", s.d.timeArg(now)), sql.Named("limit", int64(limit)))
	if err != nil {
		return nil, s.translate(err, "subscription", "subscriptions to check")
	}
	return out, nil
}

// ClaimSubscription leases the subscription to owner until until, if its
// lease is free at now (no owner, or expired at or before now) or already
// owner's. Returns ECONFLICT when someone else holds it, ENOTFOUND when
// there is no such subscription, EINVALID for an empty owner.
func (s *Store) ClaimSubscription(ctx context.Context, id, owner string, now, until time.Time) (*sms2vipps.Subscription, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	return s.subscriptionTable().claimByID(ctx, "claim subscription", leaseHeld, id, s.d.q.claimSubscription,
		sql.Named("id", id), sql.Named("owner", owner),
		sql.Named("now", s.d.timeArg(now)), sql.Named("until", s.d.timeArg(until)))
}

// ClaimDueSubscriptions leases, to owner until until, up to limit ACTIVE
// or PAST_DUE subscriptions whose NextPeriod is set and on or before
// horizon and whose lease is free at now (unlike in ClaimSubscription, a
// lease owner holds already is not free), earliest NextPeriod first, then
// by id. Two
// claimers never get the same subscription. Returns EINVALID for an empty
// owner or a horizon that is not a date.
func (s *Store) ClaimDueSubscriptions(ctx context.Context, owner string, now, until time.Time, horizon sms2vipps.Date, limit int) ([]*sms2vipps.Subscription, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	if horizon == "" {
		return nil, invalid("horizon is empty")
	}
	if err := checkDate("horizon", horizon); err != nil {
		return nil, err
	}
	if limit <= 0 {
		return nil, nil
	}
	byPeriod := func(a, b *sms2vipps.Subscription) int {
		return cmp.Or(cmp.Compare(a.NextPeriod, b.NextPeriod), cmp.Compare(a.ID, b.ID))
	}
	return s.subscriptionTable().claim(ctx, "claim due subscriptions", byPeriod, s.d.q.claimDueSubscriptions,
		sql.Named("owner", owner), sql.Named("now", s.d.timeArg(now)), sql.Named("until", s.d.timeArg(until)),
		sql.Named("horizon", s.d.dateArg(horizon)), sql.Named("limit", int64(limit)))
}

// ReleaseSubscription drops owner's lease on the subscription; a no-op
// when owner holds none.
func (s *Store) ReleaseSubscription(ctx context.Context, id, owner string) error {
	if owner == "" {
		return nil
	}
	_, err := s.w().ExecContext(ctx, s.d.q.releaseSubscription, sql.Named("id", id), sql.Named("owner", owner))
	return s.translate(err, "subscription", "release subscription")
}
