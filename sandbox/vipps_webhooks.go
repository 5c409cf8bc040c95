package sandbox

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"slices"
	"sync"
	"time"
)

// webhookEvents are the event names one may register for (VIPPS.md §5).
var webhookEvents = map[string]bool{
	"epayments.payment.created.v1": true, "epayments.payment.aborted.v1": true,
	"epayments.payment.expired.v1": true, "epayments.payment.cancelled.v1": true,
	"epayments.payment.captured.v1": true, "epayments.payment.refunded.v1": true,
	"epayments.payment.authorized.v1": true, "epayments.payment.terminated.v1": true,
	"recurring.agreement-activated.v1": true, "recurring.agreement-rejected.v1": true,
	"recurring.agreement-stopped.v1": true, "recurring.agreement-expired.v1": true,
	"recurring.charge-reserved.v1": true, "recurring.charge-captured.v1": true,
	"recurring.charge-canceled.v1": true, "recurring.charge-failed.v1": true,
	"recurring.charge-refunded.v1": true, "recurring.charge-creation-failed.v1": true,
}

// Delivery limits (VIPPS.md §5): retries for up to 7 days; 25
// registrations per event type and sales unit (live; the spec file says 5).
const (
	webhookGiveUp        = 7 * 24 * time.Hour
	maxWebhooksPerEvent  = 25
	maxWebhookAttemptLog = 10000
)

// WebhookRegistration is a registered webhook.
type WebhookRegistration struct {
	ID     string   `json:"id"`
	MSN    string   `json:"msn"`
	URL    string   `json:"url"`
	Events []string `json:"events"`
	Secret string   `json:"secret"`
	// Queued counts the events waiting for delivery.
	Queued int `json:"queued"`
}

// Outcomes of a WebhookAttempt.
const (
	WebhookDelivered = "delivered"
	WebhookFailed    = "failed"
	// WebhookDropped: the test dropped the event (Drop); never sent.
	WebhookDropped = "dropped"
	// WebhookExpired: still failing after 7 days; given up.
	WebhookExpired = "expired"
)

// WebhookAttempt is one try to deliver an event to a registration, or the
// end of an event that was never delivered.
type WebhookAttempt struct {
	RegistrationID string      `json:"registrationId"`
	Event          string      `json:"event"`
	URL            string      `json:"url"`
	Header         http.Header `json:"header,omitempty"`
	Body           string      `json:"body"`
	Status         int         `json:"status,omitempty"`
	Error          string      `json:"error,omitempty"`
	// Attempt counts the tries of this event at this registration.
	Attempt int       `json:"attempt"`
	Outcome string    `json:"outcome"`
	Time    time.Time `json:"time"`
}

// VippsWebhooks holds the webhook registrations and their delivery
// queues. Each registration has its own queue, delivered in order: an
// event that fails blocks the ones behind it until a retry succeeds, as
// Vipps documents. Delivery is automatic by default, right after the
// action that caused the event (after its HTTP answer); a test that wants
// to look between the two, or to deliver late, turns it off (Hold) and
// calls Flush. Retries wait on the sandbox clock, so a test moves the
// clock and flushes again. It is safe for concurrent use.
type VippsWebhooks struct {
	env    *env
	client *http.Client
	// deliverMu lets one delivery run at a time, so that order holds
	// whoever triggers it.
	deliverMu sync.Mutex

	mu       sync.Mutex
	regs     []*webhookReg
	auto     bool
	dup      int
	drop     int
	attempts []WebhookAttempt
}

type webhookReg struct {
	WebhookRegistration
	queue []*queuedEvent
}

type queuedEvent struct {
	event  string
	body   []byte
	queued time.Time
	tries  int
	nextAt time.Time
}

func newVippsWebhooks(e *env, timeout time.Duration) *VippsWebhooks {
	return &VippsWebhooks{env: e, auto: true, client: &http.Client{
		Timeout: timeout,
		// Vipps does not follow redirects: a 3xx is a failed delivery.
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// AutoDeliver turns automatic delivery on (the default) or off. Off, the
// events wait in their queues until Flush.
func (wh *VippsWebhooks) AutoDeliver(on bool) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.auto = on
}

// Hold stops automatic delivery, so that events arrive late: when the
// test calls Flush. It is AutoDeliver(false).
func (wh *VippsWebhooks) Hold() { wh.AutoDeliver(false) }

// Duplicate makes the next n events queued twice each, so that they are
// delivered twice, one after the other.
func (wh *VippsWebhooks) Duplicate(n int) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.dup = n
}

// Drop makes the next n events vanish: never delivered, recorded with the
// outcome WebhookDropped. Events no registration wants do not count.
func (wh *VippsWebhooks) Drop(n int) {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	wh.drop = n
}

// Reorder reverses every registration's queue, so that the events waiting
// (see Hold) are delivered newest first.
func (wh *VippsWebhooks) Reorder() {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	for _, r := range wh.regs {
		slices.Reverse(r.queue)
	}
}

// Registrations returns every registration, oldest first, secrets
// included.
func (wh *VippsWebhooks) Registrations() []WebhookRegistration {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	out := make([]WebhookRegistration, 0, len(wh.regs))
	for _, r := range wh.regs {
		w := r.WebhookRegistration
		w.Events = slices.Clone(r.Events)
		w.Queued = len(r.queue)
		out = append(out, w)
	}
	return out
}

// Queued returns how many events wait for delivery, over all
// registrations.
func (wh *VippsWebhooks) Queued() int {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	n := 0
	for _, r := range wh.regs {
		n += len(r.queue)
	}
	return n
}

// Attempts returns the delivery attempts (the last 10000), oldest first.
func (wh *VippsWebhooks) Attempts() []WebhookAttempt {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	return slices.Clone(wh.attempts)
}

// register adds a registration. The caller has validated it.
func (wh *VippsWebhooks) register(msn, u string, events []string) (WebhookRegistration, bool) {
	var secret [64]byte
	wh.env.rand.read(secret[:])
	// Secrets look like the official test vector's: base64 text, used as
	// is (VIPPS.md §5.1), which catches a receiver that decodes it.
	reg := &webhookReg{WebhookRegistration: WebhookRegistration{ID: wh.env.rand.uuid(), MSN: msn, URL: u,
		Events: slices.Clone(events), Secret: base64.StdEncoding.EncodeToString(secret[:])}}
	wh.mu.Lock()
	defer wh.mu.Unlock()
	for _, ev := range events {
		n := 0
		for _, r := range wh.regs {
			if r.MSN == msn && slices.Contains(r.Events, ev) {
				n++
			}
		}
		if n >= maxWebhooksPerEvent {
			return WebhookRegistration{}, false
		}
	}
	wh.regs = append(wh.regs, reg)
	return reg.WebhookRegistration, true
}

// list returns the registrations of a sales unit.
func (wh *VippsWebhooks) list(msn string) []WebhookRegistration {
	var out []WebhookRegistration
	for _, r := range wh.Registrations() {
		if r.MSN == msn {
			out = append(out, r)
		}
	}
	return out
}

// remove deletes a registration of a sales unit and its queue.
func (wh *VippsWebhooks) remove(msn, id string) bool {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	for i, r := range wh.regs {
		if r.ID == id && r.MSN == msn {
			wh.regs = slices.Delete(wh.regs, i, i+1)
			return true
		}
	}
	return false
}

// emit queues an event for every registration of the sales unit that
// wants it. It is called with Vipps.mu held, never the other way round.
func (wh *VippsWebhooks) emit(msn, event string, payload any) {
	now := wh.env.clock.Now()
	wh.mu.Lock()
	defer wh.mu.Unlock()
	var targets []*webhookReg
	for _, r := range wh.regs {
		if r.MSN == msn && slices.Contains(r.Events, event) {
			targets = append(targets, r)
		}
	}
	if len(targets) == 0 {
		return
	}
	body, _ := json.Marshal(payload)
	if wh.drop > 0 {
		wh.drop--
		for _, r := range targets {
			wh.log(WebhookAttempt{RegistrationID: r.ID, Event: event, URL: r.URL, Body: string(body),
				Outcome: WebhookDropped, Time: now})
		}
		wh.env.log.Info("vipps: webhook dropped", "event", event, "msn", msn)
		return
	}
	copies := 1
	if wh.dup > 0 {
		wh.dup--
		copies = 2
	}
	for _, r := range targets {
		for range copies {
			r.queue = append(r.queue, &queuedEvent{event: event, body: body, queued: now, nextAt: now})
		}
	}
}

// log records an attempt. The caller holds wh.mu.
func (wh *VippsWebhooks) log(a WebhookAttempt) {
	if len(wh.attempts) >= maxWebhookAttemptLog {
		wh.attempts = slices.Delete(wh.attempts, 0, len(wh.attempts)-maxWebhookAttemptLog+1)
	}
	wh.attempts = append(wh.attempts, a)
}

// hasDue reports whether automatic delivery has something to send now.
func (wh *VippsWebhooks) hasDue(now time.Time) bool {
	wh.mu.Lock()
	defer wh.mu.Unlock()
	if !wh.auto {
		return false
	}
	for _, r := range wh.regs {
		if len(r.queue) > 0 && !r.queue[0].nextAt.After(now) {
			return true
		}
	}
	return false
}

func (wh *VippsWebhooks) autoDeliver(ctx context.Context) {
	wh.mu.Lock()
	on := wh.auto
	wh.mu.Unlock()
	if on {
		_ = wh.Flush(ctx)
	}
}

// Flush delivers, registration by registration and in order, every queued
// event whose time has come by the sandbox clock, and returns when none is
// left to send now: all delivered, or each registration's queue blocked
// by an event that failed and waits for its retry. Events queued while it
// runs (by the receiver's own calls) are delivered too. It returns only
// ctx's error.
func (wh *VippsWebhooks) Flush(ctx context.Context) error {
	wh.deliverMu.Lock()
	defer wh.deliverMu.Unlock()
	for progressed := true; progressed; {
		progressed = false
		wh.mu.Lock()
		regs := slices.Clone(wh.regs)
		wh.mu.Unlock()
		for _, r := range regs {
			for {
				if err := ctx.Err(); err != nil {
					return err
				}
				ok, sent := wh.deliverHead(ctx, r)
				if !sent {
					break
				}
				progressed = progressed || ok
				if !ok {
					break
				}
			}
		}
	}
	return nil
}

// deliverHead sends the first event of r's queue, if its time has come,
// and reports whether one was sent and whether it was delivered.
func (wh *VippsWebhooks) deliverHead(ctx context.Context, r *webhookReg) (delivered, sent bool) {
	now := wh.env.clock.Now()
	wh.mu.Lock()
	if !slices.Contains(wh.regs, r) || len(r.queue) == 0 || r.queue[0].nextAt.After(now) {
		wh.mu.Unlock()
		return false, false
	}
	ev := r.queue[0]
	ev.tries++
	u, secret := r.URL, r.Secret
	wh.mu.Unlock()

	a := WebhookAttempt{RegistrationID: r.ID, Event: ev.event, URL: u, Body: string(ev.body), Attempt: ev.tries, Time: now}
	a.Status, a.Header, a.Error = wh.send(ctx, u, secret, ev.body)
	delivered = a.Error == "" && a.Status >= 200 && a.Status < 300

	wh.mu.Lock()
	defer wh.mu.Unlock()
	switch {
	case delivered:
		a.Outcome = WebhookDelivered
		r.queue = slices.DeleteFunc(r.queue, func(q *queuedEvent) bool { return q == ev })
	case now.Sub(ev.queued) >= webhookGiveUp:
		a.Outcome = WebhookExpired
		r.queue = slices.DeleteFunc(r.queue, func(q *queuedEvent) bool { return q == ev })
	default:
		a.Outcome = WebhookFailed
		ev.nextAt = now.Add(webhookBackoff(ev.tries))
	}
	wh.log(a)
	wh.env.log.Info("vipps: webhook "+a.Outcome, "event", ev.event, "registration", r.ID,
		"url", stripQuery(u), "status", a.Status, "attempt", ev.tries)
	return delivered, true
}

// webhookBackoff is the wait after the n-th failed try: about 2 s for the
// first four, then 60 s, 120 s, hourly through the 29th, then daily
// (VIPPS.md §5 and the live guide).
func webhookBackoff(n int) time.Duration {
	switch {
	case n <= 4:
		return 2 * time.Second
	case n == 5:
		return time.Minute
	case n == 6:
		return 2 * time.Minute
	case n <= 29:
		return time.Hour
	default:
		return 24 * time.Hour
	}
}

// send posts one signed delivery (VIPPS.md §5.1) and returns the status
// and the headers sent, or what went wrong.
func (wh *VippsWebhooks) send(ctx context.Context, u, secret string, body []byte) (int, http.Header, string) {
	date := wh.env.clock.Now().UTC().Format(http.TimeFormat)
	hash, auth, err := SignVippsWebhook(secret, u, date, body)
	if err != nil {
		return 0, nil, err.Error()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err.Error()
	}
	// Lower case on the wire, as Vipps sends them; Host comes from the
	// registered URL.
	req.Header["Content-Type"] = []string{"application/json"}
	req.Header["x-ms-date"] = []string{date}
	req.Header["x-ms-content-sha256"] = []string{hash}
	req.Header["Authorization"] = []string{auth}
	sent := http.Header{}
	sent.Set("Host", req.Host)
	for k, vs := range req.Header {
		sent[http.CanonicalHeaderKey(k)] = vs
	}
	resp, err := wh.client.Do(req)
	if err != nil {
		// A *url.Error repeats the URL, query included.
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return 0, sent, err.Error()
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	_ = resp.Body.Close()
	return resp.StatusCode, sent, ""
}
