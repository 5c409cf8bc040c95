package chargertest_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"hash/fnv"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/linkmobility/sms2vipps/vippssig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The chaos test's size. CI runs the defaults; the full run is
// -chaos.size=2000 -chaos.days=366 (docs/RELIABILITY.md).
var (
	chaosSize = flag.Int("chaos.size", 400, "TestChaos: subscriptions")
	chaosDays = flag.Int("chaos.days", 150, "TestChaos: simulated days, centred on 29 February 2028")
	chaosSeed = flag.Uint64("chaos.seed", 1, "TestChaos: seed of the plan, the simulator's faults and its ids")
)

// Chaos knobs.
const (
	// settleDays follow the simulated window, without faults or kills, so
	// that every charge of the window reaches its end.
	settleDays = 6
	// Each charger round overlaps a second run with this chance, and one of
	// its runs is killed with killChance (never the last round of a day).
	overlapChance = 0.35
	killChance    = 0.3
	// Of the charges due on a day, these fail at Vipps: once (charged on
	// the next retry day) or on every attempt (FAILED, a dunning SMS). A
	// subscription fails for good at most once, so that none is
	// suspended.
	failOnceChance = 0.05
	failAllChance  = 0.02
	// stopChance of the subscriptions are stopped by their user in the
	// Vipps app on a day of the window.
	stopChance = 0.08
	// vippsTimeout is the client's per-attempt timeout: the Timeout fault
	// costs this much real time, so it is short and the fault rare.
	vippsTimeout = 250 * time.Millisecond
)

// chaosFaults fail about 20% of Vipps calls (access tokens included): 5xx
// answers, 429 with Retry-After, committed calls whose answer is lost, and
// a few timeouts. Rules are tried in order, each with its own chance.
var chaosFaults = []sandbox.Rule{
	{Service: "vipps", Probability: 0.04, Action: sandbox.Status(http.StatusInternalServerError)},
	{Service: "vipps", Probability: 0.04, Action: sandbox.Status(http.StatusServiceUnavailable)},
	{Service: "vipps", Probability: 0.02, Action: sandbox.Status(http.StatusBadGateway)},
	{Service: "vipps", Probability: 0.05, Action: sandbox.RateLimit(2 * time.Second)},
	{Service: "vipps", Probability: 0.07, Action: sandbox.LostResponse()},
	{Service: "vipps", Probability: 0.003, Action: sandbox.Timeout()},
}

// TestChaos charges subscriptions day by day over a stretch of the
// calendar (month ends, 29 February 2028, Oslo's DST changes) while the
// outside world misbehaves, then checks the two ledgers against each
// other and against the calendar:
//
//   - Vipps: about 20% of calls fail (chaosFaults); some charges fail once
//     or for good; some users stop their agreement in the app.
//   - Webhooks: held, delivered twice (Duplicate) and newest first
//     (Reorder), to whichever Function instance is alive, also while a
//     charger runs.
//   - Runs: four charger rounds a day; a round often runs two instances at
//     once (each its own *app.App and store on the same SQLite file), and
//     a run is often killed at a random point: at its k-th outbound call,
//     before the call leaves or after its answer came back, its store is
//     closed and its context cancelled, so it writes nothing more, like a
//     Function instance that died. A fresh instance then runs at once,
//     and must not take over the dead run's rows before their leases
//     expire on the injected clock.
//
// At the end: every period due in the window has exactly one charge row
// and at most one charge at Vipps, with the same id, amount and outcome;
// no period has a second one; every CHARGED charge has exactly one
// receipt SMS at the gateway and every FAILED one one dunning SMS, and
// nothing else was sent (the only exception, counted, being a kill
// between the gateway's answer and our record of it: the SMS gateway has
// no idempotency key).
func TestChaos(t *testing.T) {
	if testing.Short() {
		t.Skip("chaos test: long")
	}
	began := time.Now()
	c := newChaos(t, *chaosSize, *chaosDays, *chaosSeed)
	c.run()
	c.check()
	c.report(time.Since(began))
}

// chaos is one chaos run: the world, the plan and what happened.
type chaos struct {
	t     *testing.T
	w     *world
	rng   *rand.Rand
	seed  uint64
	first sms2vipps.Date // first simulated day
	last  sms2vipps.Date // last day of the window
	end   sms2vipps.Date // last day with runs (after the settle days)
	plan  []*planned
	byAg  map[string]*planned

	// rng is the plan's, used by the test's own goroutine only; pick,
	// under mu, chooses the instance a webhook goes to.
	mu   sync.Mutex
	pick *rand.Rand
	live []*chaosInstance
	next int // instance names

	hook *httptest.Server
	// What happened.
	runs, overlaps, kills, killsAfter, smsKills, takeoverChecks int
	webhooksIn, webhooksNew, webhooksFailed, vippsCalls         atomic.Int64
	failOnce, failAll, stops, reorders                          int
	failedForGood                                               map[string]bool // charge ids
	ledger                                                      *ledger
	faultHits                                                   []sandbox.RuleState
	faultyCalls                                                 int64 // Vipps calls while the faults were on
	// smsBy names the instances that sent each SMS, by refId, and dead
	// the instances that were killed.
	smsBy map[string][]string
	dead  map[string]bool
}

// planned is a subscription and what the test does to it.
type planned struct {
	s *sms2vipps.Subscription
	// first is the period the charger starts from (NextPeriod as seeded).
	first sms2vipps.Date
	// stopOn is the day its user stops the agreement, if any.
	stopOn sms2vipps.Date
	// failed says a charge of it was made to fail for good.
	failed bool
}

// chaosInstance is one Function instance: an App, its store, and the
// transport that can kill it.
type chaosInstance struct {
	*instance
	name string
	kill *killSwitch
	dead atomic.Bool
}

func newChaos(t *testing.T, size, days int, seed uint64) *chaos {
	t.Helper()
	mid := sms2vipps.Date("2028-02-29")
	first := mid.AddDays(-days / 2)
	c := &chaos{t: t, rng: rand.New(rand.NewPCG(seed, 0xc4a05)), pick: rand.New(rand.NewPCG(seed, 0x91c4)), seed: seed, first: first,
		last: first.AddDays(days - 1), byAg: map[string]*planned{}, failedForGood: map[string]bool{},
		smsBy: map[string][]string{}, dead: map[string]bool{}}
	c.end = c.last.AddDays(settleDays)
	c.w = newWorld(t, worldConfig{start: osloAt(first, 0, 30), seed: seed, rateLimits: true})

	// The subscriptions, their agreements, their rows.
	subs := make([]*sms2vipps.Subscription, size)
	for i := range subs {
		p := c.planSubscription(i)
		c.plan = append(c.plan, p)
		subs[i] = p.s
	}
	// Vipps's 300 drafts a minute would hold seeding up on a clock that
	// stands still: the limits come on once the agreements are there.
	c.w.sb.Vipps.SetRateLimits(false)
	c.w.seedAgreements(subs)
	c.w.sb.Vipps.SetRateLimits(true)
	c.w.seedSubscriptions(subs)
	for _, p := range c.plan {
		c.byAg[p.s.AgreementID] = p
	}

	// Webhooks: our receiver, registered for both sales units, holding
	// every event until the test flushes.
	c.hook = httptest.NewServer(http.HandlerFunc(c.receive))
	t.Cleanup(c.hook.Close)
	c.w.links.BaseURL = c.hook.URL
	boot := c.w.open(appConfig{instance: "boot"})
	admin := vipps.WebhookAdmin{Client: vipps.NewClient(c.w.url+"/vipps", vipps.WithClock(c.w.clock.Now))}
	events := []string{"recurring.agreement-stopped.v1", "recurring.charge-reserved.v1", "recurring.charge-captured.v1",
		"recurring.charge-canceled.v1", "recurring.charge-failed.v1", "recurring.charge-creation-failed.v1"}
	for _, id := range []int64{partnerBatch, partnerSingle} {
		_, err := boot.app.RegisterWebhooks(context.Background(), admin, id, events)
		require.NoError(t, err)
	}
	require.NoError(t, boot.store.Close())
	c.w.sb.Vipps.Webhooks.Hold()

	c.live = []*chaosInstance{c.newInstance(), c.newInstance()}
	for _, r := range chaosFaults {
		c.w.sb.Faults.Add(r)
	}
	return c
}

// planSubscription makes subscription i: partner, interval, an anchor
// from a mix that favours the awkward days (the 29th to the 31st, 29
// February, the DST changes), and the period to start from, a few
// subscriptions being some periods behind.
func (c *chaos) planSubscription(i int) *planned {
	r := c.rng
	partnerID := partnerBatch
	if r.IntN(2) == 1 {
		partnerID = partnerSingle
	}
	iv := []sms2vipps.Interval{sms2vipps.IntervalWeek, sms2vipps.IntervalWeek, sms2vipps.IntervalMonth,
		sms2vipps.IntervalMonth, sms2vipps.IntervalMonth, sms2vipps.IntervalYear}[r.IntN(6)]
	var anchor sms2vipps.Date
	switch x := r.Float64(); {
	case x < 0.10:
		anchor = []sms2vipps.Date{"2024-02-29", "2020-02-29", "2028-02-29"}[r.IntN(3)]
	case x < 0.35:
		// The 29th, 30th or 31st of a month that has it.
		for {
			y, m, d := 2025+r.IntN(3), time.Month(1+r.IntN(12)), 29+r.IntN(3)
			t := time.Date(y, m, d, 12, 0, 0, 0, time.UTC)
			if t.Day() == d {
				anchor = sms2vipps.Date(t.Format(time.DateOnly))
				break
			}
		}
	case x < 0.45:
		// Around Oslo's clock changes.
		base := []sms2vipps.Date{"2027-10-31", "2028-03-26", "2026-10-25", "2027-03-28"}[r.IntN(4)]
		anchor = base.AddDays(r.IntN(3) - 1)
	default:
		anchor = c.first.AddDays(r.IntN(*chaosDays+700) - 700)
	}
	// The first period on or after the window's first day; or, for a
	// few, one to three periods before it (the charger catches up).
	n := 0
	for sms2vipps.PeriodStart(anchor, iv, n).Before(c.first) {
		n++
	}
	if r.Float64() < 0.05 {
		n = max(0, n-1-r.IntN(3))
	}
	first := sms2vipps.PeriodStart(anchor, iv, n)
	s := newSubscription(i, partnerID, iv, anchor, first, osloAt(c.first, 0, 10))
	p := &planned{s: s, first: first}
	if r.Float64() < stopChance && *chaosDays > 10 {
		p.stopOn = c.first.AddDays(3 + r.IntN(*chaosDays-6))
	}
	return p
}

func (c *chaos) newInstance() *chaosInstance {
	c.next++
	name := fmt.Sprintf("fn-%d", c.next)
	base := http.DefaultTransport.(*http.Transport).Clone()
	c.t.Cleanup(base.CloseIdleConnections)
	k := &killSwitch{base: base, calls: &c.vippsCalls, sent: func(refID string) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.smsBy[refID] = append(c.smsBy[refID], name)
	}}
	inst := &chaosInstance{instance: c.w.open(appConfig{instance: name, transport: k, vippsTimeout: vippsTimeout}), name: name, kill: k}
	return inst
}

// run walks the days.
func (c *chaos) run() {
	for d := c.first; !c.end.Before(d); d = d.AddDays(1) {
		quiet := c.last.Before(d) // the settle days
		if quiet && d == c.last.AddDays(1) {
			c.faultHits, c.faultyCalls = c.w.sb.Faults.Rules(), c.vippsCalls.Load()
			c.w.sb.Faults.Clear()
		}
		c.at(d, 5, 0)
		wh := c.w.sb.Vipps.Webhooks
		wh.Duplicate(1 + c.rng.IntN(8))
		for _, p := range c.plan {
			if p.stopOn == d {
				_, err := c.w.sb.Vipps.StopAgreement(p.s.AgreementID)
				require.NoError(c.t, err)
				c.stops++
			}
		}
		c.at(d, 6, 0)
		c.round(!quiet, nil)

		c.at(d, 9, 50)
		if !quiet {
			c.planFailures(d)
		}
		c.at(d, 10, 0)
		wh.Duplicate(3 + c.rng.IntN(20))
		c.w.sb.Vipps.ProcessDue()

		// Webhooks, newest first, while a charger round runs.
		c.at(d, 12, 0)
		c.maybeReorder()
		c.round(!quiet, func() { require.NoError(c.t, wh.Flush(context.Background())) })

		c.at(d, 18, 0)
		c.round(!quiet, nil)

		// The last round of the day is never killed, so that every period
		// within the lead window has its row by the end of the day.
		c.at(d, 22, 0)
		c.round(false, nil)
		c.at(d, 22, 30)
		c.maybeReorder()
		require.NoError(c.t, wh.Flush(context.Background()))
		c.at(d, 23, 0)
		_, err := c.instance().app.Reconcile(context.Background())
		require.NoError(c.t, err)
	}
	c.at(c.end.AddDays(1), 1, 0)
	require.NoError(c.t, c.w.sb.Vipps.Webhooks.Flush(context.Background()))
	_, err := c.instance().app.Reconcile(context.Background())
	require.NoError(c.t, err)
}

// maybeReorder has the held webhooks delivered newest first, half of the
// time.
func (c *chaos) maybeReorder() {
	if c.rng.IntN(2) == 0 {
		c.w.sb.Vipps.Webhooks.Reorder()
		c.reorders++
	}
}

// at moves the clock to h:m on day d in Oslo.
func (c *chaos) at(d sms2vipps.Date, h, m int) { c.w.clock.Set(osloAt(d, h, m)) }

// instance returns a live instance at random.
func (c *chaos) instance() *chaosInstance {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.live[c.pick.IntN(len(c.live))]
}

// round runs the charger once, or on two instances at once; with
// mayKill, one run may be killed, after which a fresh instance runs at
// once and the dead one's leases are checked to hold. alongside, when
// set, runs during the round.
func (c *chaos) round(mayKill bool, alongside func()) {
	c.mu.Lock()
	runners := []*chaosInstance{c.live[0]}
	if c.rng.Float64() < overlapChance {
		runners = append(runners, c.live[1])
		c.overlaps++
	}
	c.mu.Unlock()
	var victim *chaosInstance
	if mayKill && c.rng.Float64() < killChance {
		victim = runners[c.rng.IntN(len(runners))]
		victim.kill.arm(1+c.rng.IntN(40), c.rng.IntN(2) == 1)
	}
	var wg sync.WaitGroup
	errs := make([]error, len(runners))
	for i, inst := range runners {
		ctx, cancel := context.WithCancel(context.Background())
		if inst == victim {
			inst.kill.onFire(func() {
				inst.dead.Store(true)
				_ = inst.store.Close()
				cancel()
			})
		}
		wg.Go(func() {
			defer cancel()
			_, errs[i] = inst.app.RunCharger(ctx)
		})
	}
	if alongside != nil {
		wg.Go(alongside)
	}
	wg.Wait()
	c.runs += len(runners)
	for i, inst := range runners {
		if !inst.dead.Load() {
			require.NoError(c.t, errs[i], "run on %s", inst.name)
		}
	}
	if victim == nil {
		return
	}
	victim.kill.disarm()
	if !victim.dead.Load() {
		return // the run ended before its k-th call
	}
	c.kills++
	c.mu.Lock()
	c.dead[victim.name] = true
	c.mu.Unlock()
	if victim.kill.firedAfter {
		c.killsAfter++
		if victim.kill.firedOnSMS {
			c.smsKills++
		}
	}
	c.replace(victim)
}

// replace starts a fresh instance in place of a dead one and runs it at
// once, at the same instant: the rows the dead run held must stay its own
// until their leases expire on the clock.
func (c *chaos) replace(dead *chaosInstance) {
	held := c.leasedBy(dead.name)
	fresh := c.newInstance()
	c.mu.Lock()
	for i, inst := range c.live {
		if inst == dead {
			c.live[i] = fresh
		}
	}
	c.mu.Unlock()
	_, err := fresh.app.RunCharger(context.Background())
	require.NoError(c.t, err)
	c.runs++
	after := c.leasedBy(dead.name)
	for key, lease := range held {
		assert.Equal(c.t, lease, after[key], "%s, leased by the killed %s, was taken over before its lease expired", key, dead.name)
	}
	c.takeoverChecks += len(held)
}

// leasedBy returns the rows whose lease the instance holds now, with the
// lease.
func (c *chaos) leasedBy(instance string) map[string]string {
	db := c.w.db()
	now := c.w.clock.Now().UTC().Format("2006-01-02T15:04:05.000000Z") // the store's layout
	out := map[string]string{}
	for _, table := range []string{"subscriptions", "charges", "sms_outbox"} {
		rows, err := db.Query(`SELECT CAST(id AS TEXT), lease_owner, lease_until FROM `+table+
			` WHERE lease_owner LIKE ? AND lease_until > ?`, instance+"/%", now)
		require.NoError(c.t, err)
		for rows.Next() {
			var id, owner, until string
			require.NoError(c.t, rows.Scan(&id, &owner, &until))
			out[table+" "+id] = owner + " until " + until
		}
		require.NoError(c.t, rows.Err())
		rows.Close()
	}
	return out
}

// planFailures orders the failures of the charges due on day d: a few
// fail once, fewer fail on every attempt.
func (c *chaos) planFailures(d sms2vipps.Date) {
	rows, err := c.w.db().Query(`SELECT id, agreement_id FROM charges WHERE due_date = ? ORDER BY id`, string(d))
	require.NoError(c.t, err)
	defer rows.Close()
	reasons := []sandbox.FailureReason{sandbox.FailureUserActionRequired, sandbox.FailureAmountTooHigh,
		sandbox.FailureNonTechnical, sandbox.FailureTechnical}
	for rows.Next() {
		var id, agreementID string
		require.NoError(c.t, rows.Scan(&id, &agreementID))
		p := c.byAg[agreementID]
		switch x := c.chance(id); {
		case x < failAllChance && !p.failed:
			p.failed = true
			c.failedForGood[id] = true
			require.NoError(c.t, c.w.sb.Vipps.FailCharge(id, reasons[c.rng.IntN(len(reasons))], 0))
			c.failAll++
		case x < failAllChance+failOnceChance:
			require.NoError(c.t, c.w.sb.Vipps.FailCharge(id, reasons[c.rng.IntN(len(reasons))], 1))
			c.failOnce++
		}
	}
	require.NoError(c.t, rows.Err())
}

// chance is a number in [0, 1) fixed by the seed and the charge id.
func (c *chaos) chance(id string) float64 {
	h := fnv.New64a()
	fmt.Fprintf(h, "%d/%s", c.seed, id)
	return float64(h.Sum64()>>11) / (1 << 53)
}

// receive is our webhook endpoint: it checks the signature as httpapi
// does and hands the event to a live instance, which answers as the
// Function would (500 when its store is gone: Vipps delivers again).
func (c *chaos) receive(w http.ResponseWriter, r *http.Request) {
	c.webhooksIn.Add(1)
	partnerID, err := strconv.ParseInt(strings.TrimPrefix(r.URL.Path, "/api/VippsWebhook/"), 10, 64)
	if err != nil {
		http.Error(w, "no partner", http.StatusNotFound)
		return
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	inst := c.instance()
	secrets, err := inst.app.WebhookSecrets(r.Context(), partnerID)
	if err != nil {
		c.webhooksFailed.Add(1)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	pub, _ := url.Parse(c.hook.URL + r.URL.RequestURI())
	if err := vippssig.Verify(vippssig.Request{Method: r.Method, PathAndQuery: pub.RequestURI(), Host: pub.Host,
		Header: r.Header, Body: body}, secrets, c.w.clock.Now(), 5*time.Minute); err != nil {
		c.t.Errorf("webhook signature: %v", err)
		http.Error(w, err.Error(), http.StatusUnauthorized)
		return
	}
	created, err := inst.app.ReceiveVippsEvent(r.Context(), partnerID, body)
	if err != nil {
		c.webhooksFailed.Add(1)
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	if created {
		c.webhooksNew.Add(1)
	}
	w.WriteHeader(http.StatusOK)
}

// killSwitch is an instance's transport. Armed, it kills the instance at
// its k-th call: before the call leaves (nothing reaches the other side),
// or after the answer came back (the call took effect; the instance never
// learns it).
type killSwitch struct {
	base http.RoundTripper
	// sent is told of each SMS sent through this transport, by refId,
	// whether or not its answer came back; calls counts the Vipps calls.
	sent  func(refID string)
	calls *atomic.Int64

	mu         sync.Mutex
	left       int
	after      bool
	fire       func()
	fired      bool
	firedAfter bool
	firedOnSMS bool
}

var errKilled = errors.New("instance killed")

func (k *killSwitch) arm(at int, after bool) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.left, k.after, k.fired, k.firedAfter, k.firedOnSMS = at, after, false, false, false
}

func (k *killSwitch) onFire(f func()) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fire = f
}

func (k *killSwitch) disarm() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.left, k.fire = 0, nil
}

func (k *killSwitch) RoundTrip(r *http.Request) (*http.Response, error) {
	k.mu.Lock()
	if k.fired {
		k.mu.Unlock()
		return nil, errKilled
	}
	now := false
	if k.left > 0 {
		k.left--
		now = k.left == 0
	}
	if !now {
		k.mu.Unlock()
		return k.send(r)
	}
	k.fired = true
	after, fire := k.after, k.fire
	k.mu.Unlock()
	if after {
		res, err := k.send(r)
		if err == nil {
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			k.mu.Lock()
			k.firedAfter = true
			k.firedOnSMS = strings.Contains(r.URL.Path, "/sms/")
			k.mu.Unlock()
		}
	}
	if fire != nil {
		fire()
	}
	return nil, errKilled
}

// send makes the call, noting an SMS.
func (k *killSwitch) send(r *http.Request) (*http.Response, error) {
	if strings.Contains(r.URL.Path, "/vipps/") && k.calls != nil {
		k.calls.Add(1)
	}
	if !strings.Contains(r.URL.Path, "/sms/") || r.Body == nil {
		return k.base.RoundTrip(r)
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, err
	}
	r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	var m struct {
		RefID string `json:"refId"`
	}
	_ = json.Unmarshal(body, &m)
	if k.sent != nil {
		k.sent(m.RefID)
	}
	return k.base.RoundTrip(r)
}
