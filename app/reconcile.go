package app

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// ReconcileReport counts what one Reconciler run did.
type ReconcileReport struct {
	Sessions int            // sessions looked at
	Outcomes map[string]int // state each was left in
	Busy     int            // held by another worker
	Errors   int            // provider calls that failed (retried later)
	// Events done and left for a retry, of stored webhook events.
	EventsDone, EventsRetrying int
	// Subscriptions looked at (setup retries, agreements followed).
	Subscriptions int
	SMS           OutboxReport
	// NoncesSwept is how many partner API nonces were forgotten.
	NoncesSwept int
	Duration    time.Duration
}

// Lines renders the report for the Functions host's Logs.
func (r ReconcileReport) Lines() []string {
	lines := []string{fmt.Sprintf("webhook events done=%d retrying=%d", r.EventsDone, r.EventsRetrying),
		fmt.Sprintf("subscriptions checked=%d", r.Subscriptions),
		fmt.Sprintf("sessions checked=%d busy=%d errors=%d", r.Sessions, r.Busy, r.Errors)}
	for state, n := range r.Outcomes {
		lines = append(lines, fmt.Sprintf("sessions now %s=%d", state, n))
	}
	lines = append(lines, fmt.Sprintf("sms sent=%d retrying=%d failed=%d", r.SMS.Sent, r.SMS.Retrying, r.SMS.Failed),
		fmt.Sprintf("nonces swept=%d", r.NoncesSwept),
		fmt.Sprintf("duration=%s", r.Duration.Round(time.Millisecond)))
	return lines
}

// nonceRetention is how long a partner API nonce is kept after the time
// its request was signed at: twice the ±10-minute signature window. Past
// the window a replay is refused for its timestamp anyway; the second
// window is room for instances whose clocks differ.
const nonceRetention = 20 * time.Minute

// maxRounds bounds one run, so a run always ends even if rows keep coming due.
const maxRounds = 50

// Reconcile finishes what the request paths left undone: reservations not
// yet confirmed, payments not yet seen, sessions past their maximum
// duration, captures not yet confirmed, and SMS not yet sent. Overlapping
// runs are safe: each session is leased while it is worked on.
func (a *App) Reconcile(ctx context.Context) (ReconcileReport, error) {
	start := time.Now()
	rep := ReconcileReport{Outcomes: map[string]int{}}
	states := []sms2vipps.SessionState{sms2vipps.SessionReserving, sms2vipps.SessionAwaitingPayment,
		sms2vipps.SessionActive, sms2vipps.SessionCapturing}
	// Webhook events first: they tell which sessions changed.
	rep.EventsDone, rep.EventsRetrying = a.ProcessWebhookEvents(ctx)
	seen := map[string]bool{}
	for range maxRounds {
		due, err := a.Store.SessionsToCheck(ctx, states, a.now(), a.BatchSize)
		if err != nil {
			return rep, fmt.Errorf("sessions to check: %w", err)
		}
		// A session that is still due after its turn (a clock that stands
		// still in tests, a provider that keeps it pending) waits for the
		// next run rather than spinning this one.
		var todo []*sms2vipps.Session
		for _, s := range due {
			if !seen[s.ID] {
				seen[s.ID] = true
				todo = append(todo, s)
			}
		}
		if len(todo) == 0 {
			break
		}
		a.processAll(ctx, todo, &rep)
		if len(due) < a.BatchSize || ctx.Err() != nil {
			break
		}
	}
	if a.Agreements != nil {
		rep.Subscriptions = a.followSubscriptions(ctx)
	}
	rep.SMS = a.DrainOutbox(ctx, 0)
	rep.NoncesSwept = a.sweepNonces(ctx)
	rep.Duration = time.Since(start)
	return rep, ctx.Err()
}

func (a *App) processAll(ctx context.Context, todo []*sms2vipps.Session, rep *ReconcileReport) {
	var mu sync.Mutex
	sem := make(chan struct{}, a.Workers)
	var wg sync.WaitGroup
	for _, s := range todo {
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer func() { <-sem; wg.Done() }()
			after, err := a.Process(ctx, s.ID)
			mu.Lock()
			defer mu.Unlock()
			rep.Sessions++
			switch {
			case err == errBusy:
				rep.Busy++
			case err != nil:
				rep.Errors++
			}
			if after != nil {
				state := string(after.State)
				if after.Outcome != "" {
					state += "/" + string(after.Outcome)
				}
				rep.Outcomes[state]++
			}
		}()
	}
	wg.Wait()
}

// followSubscriptions brings due subscriptions up to date, a batch at a
// time, each once per run.
func (a *App) followSubscriptions(ctx context.Context) int {
	states := []sms2vipps.SubscriptionState{sms2vipps.SubPending, sms2vipps.SubActive, sms2vipps.SubPastDue,
		sms2vipps.SubSuspended, sms2vipps.SubStopped, sms2vipps.SubFailed}
	seen := map[string]bool{}
	n := 0
	for range maxRounds {
		due, err := a.Store.SubscriptionsToCheck(ctx, states, a.now(), a.BatchSize)
		if err != nil {
			a.Log.Error("subscriptions to check", "err", err)
			return n
		}
		var todo []string
		for _, s := range due {
			if !seen[s.ID] {
				seen[s.ID] = true
				todo = append(todo, s.ID)
			}
		}
		if len(todo) == 0 {
			return n
		}
		var wg sync.WaitGroup
		sem := make(chan struct{}, a.Workers)
		for _, id := range todo {
			sem <- struct{}{}
			wg.Add(1)
			go func() {
				defer func() { <-sem; wg.Done() }()
				if _, err := a.FollowSubscription(ctx, id); err != nil && err != errSubBusy {
					a.Log.Warn("follow subscription", "subscription", id, "err", err)
				}
			}()
		}
		wg.Wait()
		n += len(todo)
		if len(due) < a.BatchSize || ctx.Err() != nil {
			return n
		}
	}
	return n
}

// sweepNonces forgets the partner API nonces past nonceRetention. A
// failure is only a warning: the next run sweeps them.
func (a *App) sweepNonces(ctx context.Context) int {
	if a.Nonces == nil {
		return 0
	}
	n, err := a.Nonces.Sweep(ctx, a.now().Add(-nonceRetention))
	if err != nil {
		a.Log.Warn("sweep nonces", "swept", n, "err", err)
	}
	return n
}
