package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// Default texts of the charge SMS.
const (
	defaultChargeReceipt = "Takk! {{amount}} er trukket for {{product}}."
	defaultDunning       = "Vi fikk ikke trukket {{amount}} for {{product}}. Åpne Vipps og sjekk betalingen."
)

// defaultDunningByReason chooses the dunning text by Vipps's failureReason.
var defaultDunningByReason = map[string]string{
	"user_action_required":   "Vi fikk ikke trukket {{amount}} for {{product}}. Åpne Vipps og sjekk betalingskortet ditt.",
	"charge_amount_too_high": "Vi fikk ikke trukket {{amount}} for {{product}}: beløpet er over grensen du har satt i Vipps. Åpne Vipps og øk grensen.",
	"non_technical_error":    defaultDunning,
	"technical_error":        "Vi fikk ikke trukket {{amount}} for {{product}} på grunn av en teknisk feil. Vi gir beskjed om du må gjøre noe.",
}

// submitCharges sends the charge rows Vipps does not have yet, a partner's
// claimed rows in one go (the provider batches them or sends them one by
// one), and records each answer.
func (a *App) submitCharges(ctx context.Context, n *counters) error {
	owner := a.owner()
	for range 10_000 {
		now := a.now()
		cs, err := a.Store.ClaimCharges(ctx, owner, now, now.Add(a.LeaseTTL), sms2vipps.ChargeNew, a.ChargeBatch)
		if err != nil {
			return fmt.Errorf("claim new charges: %w", err)
		}
		if len(cs) == 0 {
			return nil
		}
		groups := map[int64][]*sms2vipps.Charge{}
		for _, c := range cs {
			groups[c.PartnerID] = append(groups[c.PartnerID], c)
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, a.Workers)
		for pid, group := range groups {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				a.submitGroup(ctx, pid, group, owner, n)
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

func (a *App) submitGroup(ctx context.Context, partnerID int64, cs []*sms2vipps.Charge, owner string, n *counters) {
	p, err := a.Partners.Partner(ctx, partnerID)
	var prov sms2vipps.ChargeProvider
	if err == nil {
		prov = a.Charges[p.Backend]
	}
	if prov == nil {
		a.Log.Error("charger: no charge provider for partner", "partner", partnerID, "err", err)
		a.saveCharges(ctx, cs, owner, func(c *sms2vipps.Charge) { c.NextCheck = a.now().Add(time.Hour) })
		return
	}
	// A row that could not reach Vipps before its due date (an outage
	// longer than the lead window) would be refused as due too soon: it is
	// due tomorrow instead, the earliest Vipps takes. Only a row Vipps has
	// never accepted is sent, so no charge Vipps holds changes; an earlier
	// attempt that did reach Vipps with the old date is found by the
	// read-back that settles the key conflict.
	tomorrow := sms2vipps.DateOf(a.now()).AddDays(1)
	for _, c := range cs {
		if c.Due.Before(tomorrow) {
			c.Due = tomorrow
		}
	}
	errs := prov.CreateCharges(ctx, p, cs)
	now := a.now()
	var refusedAuth error
	a.saveCharges(ctx, cs, owner, func(c *sms2vipps.Charge) {
		i := indexOf(cs, c)
		switch err := errs[i]; sms2vipps.ErrorCode(err) {
		case "":
			c.State, c.Attempts, c.LastError, c.NextCheck = sms2vipps.ChargeCreated, 0, "", firstLook(c.Due)
			n.submitted.Add(1)
		case sms2vipps.EINVALID, sms2vipps.ENOTFOUND:
			// Refused for good (a 4xx on this charge, or no such
			// agreement): sending it again cannot help.
			c.State, c.LastError, c.NextCheck = sms2vipps.ChargeRejected, err.Error(), never
			n.failedToCreate.Add(1)
			a.Log.Error("charge refused by the provider; needs an operator", "charge", c.ID, "subscription", c.SubscriptionID,
				"partner", partnerID, "err", err)
		default:
			c.Attempts++
			next := now.Add(a.backoff(c.Attempts))
			if wait := sms2vipps.RetryAfter(err); now.Add(wait).After(next) {
				next = now.Add(wait) // Vipps asked for longer (a 429's Retry-After)
			}
			c.LastError, c.NextCheck = err.Error(), next
			n.retrying.Add(1)
			if sms2vipps.ErrorCode(err) == sms2vipps.EUNAUTHORIZED {
				refusedAuth = err
			}
		}
	})
	if refusedAuth != nil {
		// Not the charges' fault: they wait, and are sent once the
		// partner's credentials work again. One alert per group.
		a.Log.Error("vipps refused the partner's credentials; its charges wait", "partner", partnerID,
			"charges", len(cs), "err", refusedAuth)
	}
}

func indexOf(cs []*sms2vipps.Charge, c *sms2vipps.Charge) int {
	for i, x := range cs {
		if x == c {
			return i
		}
	}
	return -1
}

// saveCharges applies change to each claimed charge and writes them with
// their leases released: in one transaction, or one by one when a row
// conflicts (cancelled meanwhile by a stop).
func (a *App) saveCharges(ctx context.Context, cs []*sms2vipps.Charge, owner string, change func(*sms2vipps.Charge)) {
	versions := make([]int64, len(cs))
	for i, c := range cs {
		versions[i] = c.Version
		change(c)
	}
	ctx = context.WithoutCancel(ctx) // what was sent must be recorded
	err := a.Store.Atomic(ctx, func(tx sms2vipps.Store) error {
		for i, c := range cs {
			c.Version = versions[i]
			if err := tx.UpdateCharge(ctx, c); err != nil {
				return err
			}
			if err := tx.ReleaseCharge(ctx, c.ID, owner); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		return
	}
	for i, c := range cs {
		c.Version = versions[i]
		if err := a.Store.UpdateCharge(ctx, c); err != nil {
			a.Log.Warn("record charge", "charge", c.ID, "err", err)
		}
		if err := a.Store.ReleaseCharge(ctx, c.ID, owner); err != nil {
			a.Log.Warn("release charge", "charge", c.ID, "err", err)
		}
	}
}

// firstLook is when a created charge is first read back: on its due date,
// after Vipps's morning run in Norway (09:00 Oslo time).
func firstLook(due sms2vipps.Date) time.Time { return due.Start().Add(10 * time.Hour).UTC() }

// followCharges reads back the charges that are due or past due and not
// final (targeted polling), and acts on what changed.
func (a *App) followCharges(ctx context.Context, n *counters) error {
	owner := a.owner()
	for range 10_000 {
		now := a.now()
		cs, err := a.Store.ClaimCharges(ctx, owner, now, now.Add(a.LeaseTTL), sms2vipps.ChargeCreated, a.ChargeBatch)
		if err != nil {
			return fmt.Errorf("claim charges to follow: %w", err)
		}
		if len(cs) == 0 {
			return nil
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, a.Workers)
		for _, c := range cs {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				a.followOne(ctx, c, n)
				if err := a.Store.ReleaseCharge(context.WithoutCancel(ctx), c.ID, owner); err != nil {
					a.Log.Warn("release charge", "charge", c.ID, "err", err)
				}
			}()
		}
		wg.Wait()
		if ctx.Err() != nil {
			return ctx.Err()
		}
	}
	return nil
}

// followOne reads one charge back and records the change. Its writes are
// optimistic (versions) and its SMS keyed, so it is safe without a lease,
// as when a webhook names the charge.
func (a *App) followOne(ctx context.Context, c *sms2vipps.Charge, n *counters) {
	n.followed.Add(1)
	p, err := a.Partners.Partner(ctx, c.PartnerID)
	if err != nil {
		return
	}
	prov := a.Charges[p.Backend]
	if prov == nil {
		return
	}
	st, err := prov.ChargeStatus(ctx, p, c)
	now := a.now()
	switch {
	case sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND:
		// Vipps has no charge by this id: it was never made. Send it again
		// (same id, same key: it cannot be made twice), unless the
		// subscription has ended: Vipps makes no charge on a stopped
		// agreement (and answers a batch with "valid" all the same, the
		// refusal coming by webhook), so sending it again would go on
		// for ever.
		if s, serr := a.Store.Subscription(ctx, c.SubscriptionID); serr == nil && s.State.Final() {
			c.State, c.NextCheck, c.LastError = sms2vipps.ChargeCancelled, never, "never made at the provider: subscription "+string(s.State)
			n.cancelled.Add(1)
			a.recordCharge(ctx, c)
			return
		}
		c.State, c.NextCheck, c.LastError = sms2vipps.ChargeNew, now, "not found at the provider"
		a.recordCharge(ctx, c)
		return
	case err != nil:
		c.Attempts++
		c.LastError, c.NextCheck = err.Error(), now.Add(a.backoff(c.Attempts))
		a.recordCharge(ctx, c)
		return
	}
	c.VippsStatus, c.Attempts, c.LastError = st.Provider, 0, ""
	switch st.State {
	case sms2vipps.ChargeCharged:
		n.charged.Add(1)
		a.charged(ctx, p, c, st)
	case sms2vipps.ChargeFailed:
		n.failed.Add(1)
		a.chargeFailed(ctx, p, c, st)
	case sms2vipps.ChargeCancelled:
		n.cancelled.Add(1)
		c.State, c.NextCheck = sms2vipps.ChargeCancelled, never
		a.recordCharge(ctx, c)
	default:
		// Still with Vipps: look again after its next processing run.
		c.NextCheck = now.Add(8 * time.Hour)
		a.recordCharge(ctx, c)
	}
}

func (a *App) recordCharge(ctx context.Context, c *sms2vipps.Charge) {
	if err := a.Store.UpdateCharge(context.WithoutCancel(ctx), c); err != nil {
		a.Log.Warn("record charge", "charge", c.ID, "err", err)
	}
}

// charged records a CHARGED charge, the receipt SMS (once: keyed by the
// charge) and a subscription back in good standing, in one transaction.
func (a *App) charged(ctx context.Context, p *sms2vipps.Partner, c *sms2vipps.Charge, st sms2vipps.ChargeStatus) {
	c.State, c.ChargedAt, c.NextCheck = sms2vipps.ChargeCharged, st.ChargedAt, never
	if c.ChargedAt.IsZero() {
		c.ChargedAt = a.now()
	}
	a.chargeOutcome(ctx, p, c, func(s *sms2vipps.Subscription) (string, string) {
		if s.State == sms2vipps.SubPastDue {
			s.State, s.PastDueSince = sms2vipps.SubActive, time.Time{}
		}
		msg := render(recurringText(p.Recurring.Texts.Receipt, defaultChargeReceipt),
			map[string]string{"amount": c.Amount.String(), "product": s.ProductName})
		return "receipt:charge:" + c.ID, msg
	})
}

// chargeFailed records a FAILED charge, the dunning SMS chosen by Vipps's
// failureReason (once), and the subscription past due; past the partner's
// grace period it is suspended (no new charges).
func (a *App) chargeFailed(ctx context.Context, p *sms2vipps.Partner, c *sms2vipps.Charge, st sms2vipps.ChargeStatus) {
	c.State, c.FailureReason, c.NextCheck = sms2vipps.ChargeFailed, st.FailureReason, never
	now := a.now()
	a.chargeOutcome(ctx, p, c, func(s *sms2vipps.Subscription) (string, string) {
		if s.State == sms2vipps.SubActive {
			s.State, s.PastDueSince = sms2vipps.SubPastDue, now
		}
		a.suspendAfterGrace(p, s, now)
		tmpl := p.Recurring.Texts.Dunning[st.FailureReason]
		if tmpl == "" {
			tmpl = p.Recurring.Texts.Dunning["default"]
		}
		if tmpl == "" {
			tmpl = defaultDunningByReason[st.FailureReason]
		}
		if tmpl == "" {
			tmpl = defaultDunning
		}
		return "dunning:" + c.ID, render(tmpl, map[string]string{"amount": c.Amount.String(), "product": s.ProductName})
	})
	a.Log.Warn("charge failed", "charge", c.ID, "subscription", c.SubscriptionID, "reason", st.FailureReason)
}

// chargeOutcome writes the charge, the subscription change and the SMS
// together; a concurrent change of the subscription makes it try again.
func (a *App) chargeOutcome(ctx context.Context, p *sms2vipps.Partner, c *sms2vipps.Charge, change func(*sms2vipps.Subscription) (key, msg string)) {
	version := c.Version
	err := a.atomicRetry(context.WithoutCancel(ctx), func(tx sms2vipps.Store) error {
		c.Version = version
		if err := tx.UpdateCharge(ctx, c); err != nil {
			return err
		}
		s, err := tx.Subscription(ctx, c.SubscriptionID)
		if err != nil {
			return err
		}
		key, msg := change(s)
		if !s.State.Final() {
			if err := tx.UpdateSubscription(ctx, s); err != nil {
				return err
			}
		}
		return a.enqueueTo(ctx, tx, p, s.MSISDN, "", "", key, msg, s.Originator)
	})
	if err != nil {
		c.Version = version
		a.Log.Warn("record charge outcome; read back again later", "charge", c.ID, "err", err)
	}
}

// chargeEvent follows the charge a webhook names.
func (a *App) chargeEvent(ctx context.Context, s *sms2vipps.Subscription, chargeID string) error {
	c, err := a.Store.Charge(ctx, chargeID)
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		a.Log.Info("webhook for a charge that is not ours; ignored", "charge", chargeID, "subscription", s.ID)
		return nil
	}
	if err != nil {
		return err
	}
	if c.State.Final() {
		return nil
	}
	var n counters
	a.followOne(ctx, c, &n)
	return nil
}

// suspendAfterGrace suspends a past-due subscription whose grace period
// has ended; the RecurringCharger then charges it no more. It is called
// when a charge fails, not by a timer. That is a decision: a past-due
// subscription is still charged for its next period, which is the user's
// chance to pay again (Vipps does not retry a FAILED charge), and a charge
// that succeeds makes it ACTIVE again. Suspending it when the grace days
// run out, with no charge failing, would end it without that chance.
func (a *App) suspendAfterGrace(p *sms2vipps.Partner, s *sms2vipps.Subscription, now time.Time) {
	grace := p.Recurring.GraceDays
	if grace <= 0 {
		grace = defaultGraceDays
	}
	if s.State == sms2vipps.SubPastDue && !now.Before(s.PastDueSince.Add(time.Duration(grace)*24*time.Hour)) {
		s.State = sms2vipps.SubSuspended
		a.Log.Info("subscription suspended after its grace period", "subscription", s.ID, "partner", s.PartnerID,
			"pastDueSince", s.PastDueSince)
	}
}
