package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// chargeTable is the charges for the shared mechanics of table.go.
func (s *Store) chargeTable() table[*sms2vipps.Charge] {
	return table[*sms2vipps.Charge]{s: s, what: "charge", scan: scanCharge, exists: s.d.q.chargeExists,
		unique: "the subscription already has a charge for the period, or the charge id is taken"}
}

// CreateCharge inserts c with Version 1 and UpdatedAt now; a zero
// CreatedAt becomes now. The unique index on (subscription_id,
// period_start) makes a period chargeable once: of any number of
// concurrent creators of one period exactly one succeeds, whatever they
// read before. Returns ECONFLICT when the id exists or the subscription
// has a charge for c.PeriodStart, EINVALID for an empty ID, SubscriptionID
// or PeriodStart or a malformed date.
func (s *Store) CreateCharge(ctx context.Context, c *sms2vipps.Charge) error {
	if c.ID == "" {
		return invalid("charge has no id")
	}
	if c.SubscriptionID == "" {
		return invalid("charge %q has no subscription", c.ID)
	}
	now := s.now()
	row := *c
	if row.CreatedAt.IsZero() {
		row.CreatedAt = now
	}
	args, err := s.chargeArgs(&row, 1, now)
	if err != nil {
		return err
	}
	if _, err := s.w().ExecContext(ctx, s.d.q.insertCharge, args...); err != nil {
		return s.chargeTable().writeError(err, "create charge")
	}
	c.Version, c.CreatedAt, c.UpdatedAt = 1, row.CreatedAt, now
	return nil
}

// Charge returns the charge with id, or ENOTFOUND.
func (s *Store) Charge(ctx context.Context, id string) (*sms2vipps.Charge, error) {
	c, err := scanCharge(s.r().QueryRowContext(ctx, s.d.q.charge, sql.Named("id", id)))
	if err != nil {
		return nil, s.translate(err, "charge", "get charge")
	}
	return c, nil
}

// ChargeForPeriod returns the subscription's charge for the period that
// starts on periodStart, or ENOTFOUND (also for an empty periodStart).
// Returns EINVALID for a malformed date.
func (s *Store) ChargeForPeriod(ctx context.Context, subscriptionID string, periodStart sms2vipps.Date) (*sms2vipps.Charge, error) {
	if periodStart == "" {
		return nil, s.translate(sql.ErrNoRows, "charge", "charge for period")
	}
	if err := checkDate("period start", periodStart); err != nil {
		return nil, err
	}
	c, err := scanCharge(s.r().QueryRowContext(ctx, s.d.q.chargeForPeriod,
		sql.Named("subscription_id", subscriptionID), sql.Named("period_start", s.d.dateArg(periodStart))))
	if err != nil {
		return nil, s.translate(err, "charge", "charge for period")
	}
	return c, nil
}

// ListCharges returns the subscription's charges by PeriodStart.
func (s *Store) ListCharges(ctx context.Context, subscriptionID string) ([]*sms2vipps.Charge, error) {
	out, err := queryCharges(ctx, s.r(), s.d.q.listCharges, sql.Named("subscription_id", subscriptionID))
	if err != nil {
		return nil, s.translate(err, "charge", "list charges")
	}
	return out, nil
}

// ChargesByAgreement returns the agreement's charges in one of states (all
// when states is empty) by PeriodStart, then by id. An empty agreementID
// names no agreement and has no charges.
func (s *Store) ChargesByAgreement(ctx context.Context, agreementID string, states []sms2vipps.ChargeState) ([]*sms2vipps.Charge, error) {
	if agreementID == "" {
		return nil, nil
	}
	query, args := s.d.q.chargesByAgreement, []any{sql.Named("agreement_id", agreementID)}
	if len(states) > 0 {
		js, err := json.Marshal(states)
		if err != nil {
			return nil, s.translate(err, "", "charges by agreement")
		}
		query, args = s.d.q.chargesByAgreementStates, append(args, sql.Named("states", string(js)))
	}
	out, err := queryCharges(ctx, s.r(), query, args...)
	if err != nil {
		return nil, s.translate(err, "charge", "charges by agreement")
	}
	return out, nil
}

// UpdateCharge writes every field of c but its lease (LeaseOwner and
// LeaseUntil belong to ClaimCharges and ReleaseCharge) if c.Version is
// still the stored version, then bumps c.Version and sets c.UpdatedAt. A
// zero CreatedAt keeps the stored one. Returns ECONFLICT when another
// writer came first or c would be a second charge for its period,
// ENOTFOUND when there is no such charge, EINVALID for an empty
// PeriodStart or a malformed date.
func (s *Store) UpdateCharge(ctx context.Context, c *sms2vipps.Charge) error {
	now := s.now()
	args, err := s.chargeArgs(c, c.Version, now)
	if err != nil {
		return err
	}
	if err := s.chargeTable().update(ctx, "update charge", staleVersion, c.ID, s.d.q.updateCharge, args...); err != nil {
		return err
	}
	c.Version++
	c.UpdatedAt = now
	return nil
}

// ClaimCharges leases, to owner until until, up to limit charges in state
// whose NextCheck is at or before now and whose lease is free at now
// (unlike a single claim, a lease owner holds already is not free), oldest
// NextCheck first, then by id. A zero NextCheck is due and sorts first. Two
// claimers never get the same charge. Returns EINVALID for an empty owner
// or state.
func (s *Store) ClaimCharges(ctx context.Context, owner string, now, until time.Time, state sms2vipps.ChargeState, limit int) ([]*sms2vipps.Charge, error) {
	if owner == "" {
		return nil, invalid("lease owner is empty")
	}
	if state == "" {
		return nil, invalid("charge state is empty")
	}
	if limit <= 0 {
		return nil, nil
	}
	byNextCheck := func(a, b *sms2vipps.Charge) int {
		return cmp.Or(a.NextCheck.Compare(b.NextCheck), cmp.Compare(a.ID, b.ID))
	}
	return s.chargeTable().claim(ctx, "claim charges", byNextCheck, s.d.q.claimCharges,
		sql.Named("owner", owner), sql.Named("now", s.d.timeArg(now)), sql.Named("until", s.d.timeArg(until)),
		sql.Named("state", string(state)), sql.Named("limit", int64(limit)))
}

// ReleaseCharge drops owner's lease on the charge; a no-op when owner
// holds none.
func (s *Store) ReleaseCharge(ctx context.Context, id, owner string) error {
	if owner == "" {
		return nil
	}
	_, err := s.w().ExecContext(ctx, s.d.q.releaseCharge, sql.Named("id", id), sql.Named("owner", owner))
	return s.translate(err, "charge", "release charge")
}
