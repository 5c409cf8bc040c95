package chargertest_test

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// row is one of our charge rows as the checks read it.
type row struct {
	id, sub, agreement string
	period, due        sms2vipps.Date
	amount             int64
	state              sms2vipps.ChargeState
}

// ledger is what the checks compare: our rows, the simulator's charges,
// the outbox and the SMS gateway's log.
type ledger struct {
	rows      map[string]*row   // by id
	bySub     map[string][]*row // by subscription, by period
	stoppedAt map[string]time.Time
	subState  map[string]sms2vipps.SubscriptionState
	vipps     map[string]sandbox.Charge // by id (= orderId)
	outbox    map[string]outboxRow      // by dedupe key
	sent      map[string][]sandbox.Message
	counts    map[string]int
}

type outboxRow struct {
	id    int64
	state string
}

func (c *chaos) readLedger() *ledger {
	db := c.w.db()
	l := &ledger{rows: map[string]*row{}, bySub: map[string][]*row{}, stoppedAt: map[string]time.Time{},
		subState: map[string]sms2vipps.SubscriptionState{}, vipps: map[string]sandbox.Charge{},
		outbox: map[string]outboxRow{}, sent: map[string][]sandbox.Message{}, counts: map[string]int{}}
	rows, err := db.Query(`SELECT id, subscription_id, agreement_id, period_start, due_date, amount, state FROM charges ORDER BY subscription_id, period_start`)
	require.NoError(c.t, err)
	for rows.Next() {
		r := &row{}
		require.NoError(c.t, rows.Scan(&r.id, &r.sub, &r.agreement, &r.period, &r.due, &r.amount, &r.state))
		l.rows[r.id] = r
		l.bySub[r.sub] = append(l.bySub[r.sub], r)
		l.counts["rows "+string(r.state)]++
	}
	require.NoError(c.t, rows.Err())
	rows.Close()

	rows, err = db.Query(`SELECT id, state, COALESCE(stopped_at, '') FROM subscriptions`)
	require.NoError(c.t, err)
	for rows.Next() {
		var id, state, stopped string
		require.NoError(c.t, rows.Scan(&id, &state, &stopped))
		l.subState[id] = sms2vipps.SubscriptionState(state)
		if stopped != "" {
			t, err := time.Parse("2006-01-02T15:04:05.000000Z", stopped)
			require.NoError(c.t, err)
			l.stoppedAt[id] = t
		}
	}
	require.NoError(c.t, rows.Err())
	rows.Close()

	rows, err = db.Query(`SELECT id, COALESCE(dedupe_key, ''), state FROM sms_outbox`)
	require.NoError(c.t, err)
	for rows.Next() {
		var o outboxRow
		var key string
		require.NoError(c.t, rows.Scan(&o.id, &key, &o.state))
		l.outbox[key] = o
	}
	require.NoError(c.t, rows.Err())
	rows.Close()

	for _, p := range c.plan {
		for _, ch := range c.w.sb.Vipps.Charges(p.s.AgreementID) {
			_, twice := l.vipps[ch.ID]
			require.False(c.t, twice, "charge id %s twice at Vipps", ch.ID)
			l.vipps[ch.ID] = ch
			l.counts["vipps "+string(ch.Status)]++
		}
	}
	for _, m := range c.w.sb.SMS.Messages() {
		l.sent[m.RefID] = append(l.sent[m.RefID], m)
	}
	return l
}

// lead is the partner's lead window in days.
func (c *chaos) lead(partnerID int64) int {
	if n := c.w.partner(partnerID).Recurring.LeadDays; n > 0 {
		return n
	}
	return 2
}

// check holds the ledgers to the rules; see TestChaos.
func (c *chaos) check() {
	t := c.t
	l := c.readLedger()
	final := c.end.AddDays(-2) // every charge due by then has an outcome

	for _, p := range c.plan {
		s := p.s
		lead := c.lead(s.PartnerID)
		var periods []sms2vipps.Date
		for _, r := range l.bySub[s.ID] {
			periods = append(periods, r.period)
			_, ok := sms2vipps.PeriodIndex(s.Anchor, s.Interval, r.period)
			assert.True(t, ok, "%s: row %s for %s, not a %s period start from %s", s.ID, r.id, r.period, s.Interval, s.Anchor)
			assert.Equal(t, s.AgreementID, r.agreement, "%s: row %s", s.ID, r.id)
		}
		if p.stopOn == "" {
			// Every period from the first to the lead window of the last
			// day: each exactly once, none more.
			var want []sms2vipps.Date
			for n := 0; ; n++ {
				start := sms2vipps.PeriodStart(s.Anchor, s.Interval, n)
				if c.end.AddDays(lead).Before(start) {
					break
				}
				if !start.Before(p.first) {
					want = append(want, start)
				}
			}
			assert.Equal(t, want, periods, "%s (%s from %s, first %s): the periods charged", s.ID, s.Interval, s.Anchor, p.first)
		} else {
			// Stopped on stopOn: every period up to the lead window of the
			// day before has its row, none after the lead window of the day
			// we learnt of the stop.
			stopped, ok := l.stoppedAt[s.ID]
			if assert.True(t, ok && l.subState[s.ID] == sms2vipps.SubStopped, "%s: stopped in the app on %s, is %s", s.ID, p.stopOn, l.subState[s.ID]) {
				knew := sms2vipps.DateOf(stopped)
				have := map[sms2vipps.Date]bool{}
				for _, d := range periods {
					have[d] = true
					assert.False(t, knew.AddDays(lead).Before(d), "%s: period %s written after the stop was known on %s", s.ID, d, knew)
				}
				for n := 0; ; n++ {
					start := sms2vipps.PeriodStart(s.Anchor, s.Interval, n)
					if p.stopOn.AddDays(lead - 1).Before(start) {
						break
					}
					if !start.Before(p.first) {
						assert.True(t, have[start], "%s: period %s (before the stop on %s) has no row", s.ID, start, p.stopOn)
					}
				}
			}
		}

		// Each row against Vipps.
		for _, r := range l.bySub[s.ID] {
			v, atVipps := l.vipps[r.id]
			settled := !final.Before(r.due)
			if atVipps {
				assert.Equal(t, r.amount, v.Amount, "%s: amount", r.id)
				assert.Equal(t, s.AgreementID, v.AgreementID, "%s: agreement", r.id)
				want := map[sandbox.ChargeStatus]sms2vipps.ChargeState{sandbox.ChargeCharged: sms2vipps.ChargeCharged,
					sandbox.ChargeFailed: sms2vipps.ChargeFailed, sandbox.ChargeCancelled: sms2vipps.ChargeCancelled,
					sandbox.ChargePending: sms2vipps.ChargeCreated, sandbox.ChargeDue: sms2vipps.ChargeCreated}[v.Status]
				if settled || want.Final() {
					assert.Equal(t, want, r.state, "%s (%s, due %s): Vipps says %s", r.id, s.ID, r.due, v.Status)
				}
			} else {
				// Never made at Vipps: cancelled or refused once the
				// agreement was stopped, or still to be sent.
				ok := r.state == sms2vipps.ChargeCancelled || r.state == sms2vipps.ChargeRejected
				assert.True(t, (p.stopOn != "" && ok) || (!settled && r.state == sms2vipps.ChargeNew),
					"%s (%s, due %s) is %s and Vipps does not have it", r.id, s.ID, r.due, r.state)
			}
			switch {
			case p.stopOn != "" && !r.due.Before(p.stopOn):
				assert.NotEqual(t, sms2vipps.ChargeCharged, r.state, "%s due %s, agreement stopped %s", r.id, r.due, p.stopOn)
			case p.stopOn != "" && settled:
				assert.True(t, r.state.Final(), "%s (%s, due %s) is %s", r.id, s.ID, r.due, r.state)
			case settled:
				want := sms2vipps.ChargeCharged
				if c.failedForGood[r.id] {
					want = sms2vipps.ChargeFailed
				}
				assert.Equal(t, want, r.state, "%s (%s, period %s, due %s)", r.id, s.ID, r.period, r.due)
			}
		}
	}

	// Nothing at Vipps that is not one of our rows, for its agreement.
	for id, v := range l.vipps {
		r, ok := l.rows[id]
		if assert.True(t, ok, "charge %s at Vipps (agreement %s, due %s) has no row here", id, v.AgreementID, v.Due.Format(time.DateOnly)) {
			assert.Equal(t, r.agreement, v.AgreementID, "%s", id)
		}
	}

	// One receipt per CHARGED charge, one dunning notice per FAILED one,
	// nothing else; at the gateway once each, but for the resends the
	// kills caused.
	byRef := map[string]string{} // refId -> dedupe key
	for key, o := range l.outbox {
		byRef[fmt.Sprintf("sms-%d", o.id)] = key
	}
	for _, r := range l.rows {
		for _, kind := range []string{"receipt:charge:", "dunning:"} {
			o, ok := l.outbox[kind+r.id]
			want := (kind == "receipt:charge:" && r.state == sms2vipps.ChargeCharged) ||
				(kind == "dunning:" && r.state == sms2vipps.ChargeFailed)
			if !want {
				assert.False(t, ok, "%s%s for a %s charge", kind, r.id, r.state)
				continue
			}
			if assert.True(t, ok, "%s%s missing", kind, r.id) {
				assert.Equal(t, "SENT", o.state, "%s%s", kind, r.id)
				msgs := l.sent[fmt.Sprintf("sms-%d", o.id)]
				assert.NotEmpty(t, msgs, "%s%s never reached the gateway", kind, r.id)
				for _, m := range msgs {
					assert.Equal(t, c.msisdnOf(r.sub), "+"+strings.TrimPrefix(m.To, "+"), "%s%s: to", kind, r.id)
				}
			}
		}
	}
	resent := 0
	for ref, msgs := range l.sent {
		key, ok := byRef[ref]
		assert.True(t, ok, "an SMS (%q) that no outbox row sent", ref)
		assert.True(t, strings.HasPrefix(key, "receipt:charge:") || strings.HasPrefix(key, "dunning:"), "SMS %s: %s", ref, key)
		if len(msgs) > 1 {
			// Sent again: only because an instance that sent it was killed
			// before it could record that the gateway took it.
			resent += len(msgs) - 1
			byDead := 0
			for _, name := range c.smsBy[ref] {
				if c.dead[name] {
					byDead++
				}
			}
			assert.GreaterOrEqual(t, byDead, len(msgs)-1, "SMS %s (%s) sent %d times; sent by %v, of which killed: %v",
				ref, key, len(msgs), c.smsBy[ref], c.dead)
		}
	}
	l.counts["sms resent"] = resent
	c.ledger = l
}

func (c *chaos) msisdnOf(sub string) string {
	for _, p := range c.plan {
		if p.s.ID == sub {
			return string(p.s.MSISDN)
		}
	}
	return ""
}

// report logs what the run did and checked, for docs/RELIABILITY.md.
func (c *chaos) report(took time.Duration) {
	t := c.t
	l := c.ledger
	var hits []string
	total := 0
	for _, r := range c.faultHits {
		a := r.Rule.Action
		name := string(a.Kind)
		if a.Kind == sandbox.ActStatus {
			name = fmt.Sprint(a.Status)
		}
		hits = append(hits, fmt.Sprintf("%s=%d", name, r.Hits))
		total += r.Hits
	}
	sort.Strings(hits)
	var counts []string
	for k, v := range l.counts {
		counts = append(counts, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(counts)
	t.Logf("chaos: %d subscriptions, days %s..%s (+%d settle days), seed %d, took %s",
		len(c.plan), c.first, c.last, settleDays, c.seed, took.Round(time.Second))
	t.Logf("runs=%d overlapping rounds=%d kills=%d (after the answer %d, of them on an SMS %d) leases checked after kills=%d",
		c.runs, c.overlaps, c.kills, c.killsAfter, c.smsKills, c.takeoverChecks)
	t.Logf("vipps calls=%d, of them with faults on %d: faults injected %d (%.1f%%: %s); charges failed once=%d for good=%d; agreements stopped=%d",
		c.vippsCalls.Load(), c.faultyCalls, total, 100*float64(total)/float64(max(c.faultyCalls, 1)), strings.Join(hits, " "),
		c.failOnce, c.failAll, c.stops)
	t.Logf("webhooks delivered=%d new=%d refused=%d; queues reversed=%d times", c.webhooksIn.Load(), c.webhooksNew.Load(),
		c.webhooksFailed.Load(), c.reorders)
	t.Logf("ledger: %s", strings.Join(counts, " "))
}
