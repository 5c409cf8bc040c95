package app

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// Charger defaults.
const (
	defaultLeadDays  = 2
	defaultRetryDays = 2
	defaultGraceDays = 7
	// maxLeadDays bounds the horizon of one claim; a partner's own lead is
	// applied after.
	maxLeadDays = 14
	// defaultChargeBatch is how many rows one charger claim (and one batch
	// call) takes; Vipps's batch endpoint takes at most 2,000.
	defaultChargeBatch = 2000
)

// ChargeReport counts what one RecurringCharger run did.
type ChargeReport struct {
	PeriodsDue     int // periods found due (subscriptions claimed)
	Created        int // charge rows written
	Existing       int // the period already had its row (an earlier run)
	Submitted      int // charges the provider now has
	FailedToCreate int // refused by the provider for good
	Retrying       int // unclear answers, retried by a later run
	Followed       int // charges read back
	Charged        int
	Failed         int
	Cancelled      int
	SMS            OutboxReport
	Duration       time.Duration
}

// Lines renders the report for the Functions host's Logs.
func (r ChargeReport) Lines() []string {
	return []string{
		fmt.Sprintf("periods due=%d charges created=%d already existing=%d", r.PeriodsDue, r.Created, r.Existing),
		fmt.Sprintf("sent to vipps=%d failed to create=%d retrying=%d", r.Submitted, r.FailedToCreate, r.Retrying),
		fmt.Sprintf("followed=%d charged=%d failed=%d cancelled=%d", r.Followed, r.Charged, r.Failed, r.Cancelled),
		fmt.Sprintf("sms sent=%d retrying=%d failed=%d", r.SMS.Sent, r.SMS.Retrying, r.SMS.Failed),
		fmt.Sprintf("duration=%s", r.Duration.Round(time.Millisecond)),
	}
}

// RunCharger charges every active subscription once per period: it
// writes the period's charge row (unique per subscription and period)
// before anything is sent, sends the rows Vipps does not have yet, and
// reads back the charges that are due and not final. Every step claims its
// rows with a lease, so overlapping runs, a run retried by the host, or
// several instances never handle a row twice, and a crashed run's rows are
// taken over when its leases expire.
func (a *App) RunCharger(ctx context.Context) (ChargeReport, error) {
	start := time.Now()
	var n counters
	err := a.materialize(ctx, &n)
	if err == nil {
		err = a.submitCharges(ctx, &n)
	}
	if err == nil {
		err = a.followCharges(ctx, &n)
	}
	if err == nil {
		err = ctx.Err()
	}
	rep := n.report()
	// Receipts and dunning notices go out now, not at the next Reconciler.
	rep.SMS = a.DrainOutbox(ctx, 0)
	rep.Duration = time.Since(start)
	return rep, err
}

// counters are a run's counts, shared by its workers.
type counters struct {
	periodsDue, created, existing, submitted, failedToCreate, retrying atomic.Int64
	followed, charged, failed, cancelled                               atomic.Int64
}

func (n *counters) report() ChargeReport {
	return ChargeReport{
		PeriodsDue: int(n.periodsDue.Load()), Created: int(n.created.Load()), Existing: int(n.existing.Load()),
		Submitted: int(n.submitted.Load()), FailedToCreate: int(n.failedToCreate.Load()), Retrying: int(n.retrying.Load()),
		Followed: int(n.followed.Load()), Charged: int(n.charged.Load()), Failed: int(n.failed.Load()), Cancelled: int(n.cancelled.Load()),
	}
}

// materialize writes the charge rows of the due periods and moves each
// subscription to its next period. A claimed batch is written in chunks,
// one transaction each (materializeChunk); a subscription's row and its
// move are always in the same transaction.
func (a *App) materialize(ctx context.Context, n *counters) error {
	owner := a.owner()
	today := sms2vipps.DateOf(a.now())
	// Subscriptions claimed but not yet due by their partner's lead stay
	// leased until the run ends, so the next claim moves past them to
	// rows that may be due (partners' leads differ, and the claim is in
	// NextPeriod order across all of them).
	var waitMu sync.Mutex
	waiting := map[string]bool{}
	defer func() {
		for id := range waiting {
			a.releaseSubscription(ctx, id, owner)
		}
	}()
	// Bounded, so a run always ends; a subscription several periods behind
	// is claimed again in the same run for each missed period.
	for range 10_000 {
		if ctx.Err() != nil {
			break
		}
		now := a.now()
		subs, err := a.Store.ClaimDueSubscriptions(ctx, owner, now, now.Add(a.LeaseTTL), today.AddDays(maxLeadDays), a.ChargeBatch)
		if err != nil {
			return fmt.Errorf("claim due subscriptions: %w", err)
		}
		if len(subs) == 0 {
			return nil
		}
		fresh := false
		waitMu.Lock()
		for _, s := range subs {
			fresh = fresh || !waiting[s.ID]
		}
		waitMu.Unlock()
		if !fresh {
			// Only rows this run already found not due (their leases ran
			// out during a long run): nothing more is due.
			return nil
		}
		var chunks [][]*sms2vipps.Subscription
		for lo := 0; lo < len(subs); lo += materializeChunk {
			chunks = append(chunks, subs[lo:min(lo+materializeChunk, len(subs))])
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, a.Workers)
		for _, chunk := range chunks {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				notDue := a.materializeChunk(ctx, chunk, today, owner, n)
				waitMu.Lock()
				for _, id := range notDue {
					waiting[id] = true
				}
				waitMu.Unlock()
			}()
		}
		wg.Wait()
	}
	return ctx.Err()
}

// materializeChunk is how many claimed subscriptions share a transaction.
// One transaction per subscription made the commits (and on SQLite their
// WAL writes) most of a run's time; 1,000 holds SQLite's write lock for
// about a tenth of a second (docs/PERFORMANCE.md).
const materializeChunk = 1000

// period is one subscription's due period, planned before it is written.
type period struct {
	s      *sms2vipps.Subscription
	before sms2vipps.Subscription // s as claimed, to start over from
	c      *sms2vipps.Charge      // nil: not due yet (beyond the lead)
	next   sms2vipps.Date
}

// materializeChunk writes the chunk's due periods in one transaction that
// also releases their subscriptions, and returns the ids of the claimed
// subscriptions that were not due (still leased, for the caller to
// release when the run ends). Should the transaction fail (a concurrent writer changed a
// subscription, or a period has its row already: a unique key conflict),
// nothing of it is kept, and each subscription is written again in a
// transaction of its own, which settles the conflict for that one alone.
// Rolling the chunk back rather than carrying on after the failed
// statement is what keeps this portable: SQLite leaves a transaction usable
// after a constraint error, but SQL Server ends the statement and, with
// XACT_ABORT on, dooms the transaction.
func (a *App) materializeChunk(ctx context.Context, subs []*sms2vipps.Subscription, today sms2vipps.Date, owner string, n *counters) (notDue []string) {
	plan := make([]period, 0, len(subs))
	due := 0
	for _, s := range subs {
		p := period{s: s, before: *s}
		if c, next, ok := a.duePeriod(ctx, s, today); ok {
			p.c, p.next = c, next
			due++
		} else {
			notDue = append(notDue, s.ID)
		}
		plan = append(plan, p)
	}
	if ctx.Err() != nil {
		for _, p := range plan {
			if p.c != nil {
				a.releaseSubscription(ctx, p.s.ID, owner)
			}
		}
		return notDue
	}
	if due == 0 {
		return notDue
	}
	err := a.Store.Atomic(ctx, func(tx sms2vipps.Store) error {
		for _, p := range plan {
			if p.c == nil {
				continue
			}
			if err := tx.CreateCharge(ctx, p.c); err != nil {
				return err
			}
			p.s.NextPeriod = p.next
			if err := tx.UpdateSubscription(ctx, p.s); err != nil {
				return err
			}
			if err := tx.ReleaseSubscription(ctx, p.s.ID, owner); err != nil {
				return err
			}
		}
		return nil
	})
	if err == nil {
		n.periodsDue.Add(int64(due))
		n.created.Add(int64(due))
		return notDue
	}
	// Start over from the subscriptions as claimed, one at a time.
	for _, p := range plan {
		if p.c == nil {
			continue
		}
		*p.s = p.before
		if ctx.Err() == nil {
			a.materializeOne(ctx, p.s, today, n)
		}
		a.releaseSubscription(ctx, p.s.ID, owner)
	}
	return notDue
}

// duePeriod returns the charge row of the subscription's next period and
// the period after it, when the next period is within the partner's lead
// window.
func (a *App) duePeriod(ctx context.Context, s *sms2vipps.Subscription, today sms2vipps.Date) (*sms2vipps.Charge, sms2vipps.Date, bool) {
	p, err := a.Partners.Partner(ctx, s.PartnerID)
	if err != nil {
		a.Log.Error("charger: partner of subscription", "subscription", s.ID, "err", err)
		return nil, "", false
	}
	if a.Charges[s.Provider] == nil {
		// Its backend charges it (Paycore): activate gives such a
		// subscription no periods; one that has some is not ours to charge.
		a.Log.Warn("charger: subscription is charged by its backend, not by us", "subscription", s.ID, "backend", s.Provider)
		return nil, "", false
	}
	lead := p.Recurring.LeadDays
	if lead <= 0 {
		lead = defaultLeadDays
	}
	if today.AddDays(lead).Before(s.NextPeriod) {
		return nil, "", false
	}
	next, err := sms2vipps.NextPeriodStart(s.Anchor, s.Interval, s.NextPeriod)
	if err != nil {
		a.Log.Error("charger: period", "subscription", s.ID, "err", err)
		return nil, "", false
	}
	return a.newCharge(p, s, today), next, true
}

// materializeOne writes one subscription's next period in a transaction
// of its own, if it is within the partner's lead window; it reports
// whether it wrote or found one.
func (a *App) materializeOne(ctx context.Context, s *sms2vipps.Subscription, today sms2vipps.Date, n *counters) bool {
	c, next, ok := a.duePeriod(ctx, s, today)
	if !ok {
		return false
	}
	n.periodsDue.Add(1)
	err := a.Store.Atomic(ctx, func(tx sms2vipps.Store) error {
		if err := tx.CreateCharge(ctx, c); err != nil {
			return err
		}
		s.NextPeriod = next
		return tx.UpdateSubscription(ctx, s)
	})
	if sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		// The period has its row already (or the subscription moved on):
		// re-read and move on without a second charge.
		err = a.skipExisting(ctx, s.ID, c.PeriodStart, next)
		if err == nil {
			n.existing.Add(1)
			return true
		}
	}
	if err != nil {
		a.Log.Error("charger: write charge", "subscription", s.ID, "period", c.PeriodStart, "err", err)
		return false
	}
	n.created.Add(1)
	return true
}

// skipExisting advances a subscription whose period already has a charge.
func (a *App) skipExisting(ctx context.Context, id string, period, next sms2vipps.Date) error {
	for range 3 {
		s, err := a.Store.Subscription(ctx, id)
		if err != nil {
			return err
		}
		if s.NextPeriod != period {
			return nil // someone else moved it
		}
		if _, err := a.Store.ChargeForPeriod(ctx, id, period); err != nil {
			return err // no row: the conflict was the version; try again next run
		}
		s.NextPeriod = next
		if err := a.Store.UpdateSubscription(ctx, s); sms2vipps.ErrorCode(err) != sms2vipps.ECONFLICT {
			return err
		}
	}
	return sms2vipps.Errorf(sms2vipps.ECONFLICT, "subscription %s keeps changing", id)
}

// newCharge prices the subscription's next period: the first period at the
// campaign price, the others at the agreement's price as it is now (so a
// price change applies from the next period not yet written).
func (a *App) newCharge(p *sms2vipps.Partner, s *sms2vipps.Subscription, today sms2vipps.Date) *sms2vipps.Charge {
	amount := s.Amount
	if n, ok := sms2vipps.PeriodIndex(s.Anchor, s.Interval, s.NextPeriod); ok && n == 0 && s.CampaignAmount > 0 {
		amount = s.CampaignAmount
	}
	// Vipps takes charges until midnight before the due date (VIPPS.md §3,
	// since late 2025): a period that starts today or earlier is due
	// tomorrow.
	due := s.NextPeriod
	if tomorrow := today.AddDays(1); due.Before(tomorrow) {
		due = tomorrow
	}
	retry := defaultRetryDays
	if p.Recurring.RetryDays != nil {
		retry = *p.Recurring.RetryDays
	}
	now := a.now()
	return &sms2vipps.Charge{
		ID: chargeID(s.ID, s.NextPeriod), SubscriptionID: s.ID, PartnerID: s.PartnerID, AgreementID: s.AgreementID,
		PeriodStart: s.NextPeriod, Amount: amount, Due: due, RetryDays: retry,
		State: sms2vipps.ChargeNew, NextCheck: now, CreatedAt: now,
	}
}
