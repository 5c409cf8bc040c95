package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// WebhookAPI registers our webhook URL at Vipps (the Webhooks API).
type WebhookAPI interface {
	// RegisterWebhook registers url for events at the partner's sales unit
	// and returns Vipps's id and the secret it signs with (shown once).
	RegisterWebhook(ctx context.Context, p *sms2vipps.Partner, url string, events []string) (id, secret string, err error)
	// DeleteWebhook removes a registration; ENOTFOUND when Vipps has none.
	DeleteWebhook(ctx context.Context, p *sms2vipps.Partner, id string) error
}

// EPaymentEvents are the ePayment webhook events pay-per-use follows.
var EPaymentEvents = []string{
	"epayments.payment.authorized.v1", "epayments.payment.aborted.v1", "epayments.payment.expired.v1",
	"epayments.payment.cancelled.v1", "epayments.payment.captured.v1", "epayments.payment.refunded.v1",
	"epayments.payment.terminated.v1",
}

// RecurringEvents are the Recurring webhook events subscriptions follow
// (VIPPS.md §5; "canceled" with one l, as Vipps spells it).
var RecurringEvents = []string{
	"recurring.agreement-activated.v1", "recurring.agreement-rejected.v1", "recurring.agreement-stopped.v1",
	"recurring.agreement-expired.v1", "recurring.charge-reserved.v1", "recurring.charge-captured.v1",
	"recurring.charge-canceled.v1", "recurring.charge-failed.v1", "recurring.charge-creation-failed.v1",
}

// AllEvents are every event the app follows.
func AllEvents() []string { return append(append([]string{}, EPaymentEvents...), RecurringEvents...) }

// WebhookURL is where Vipps delivers a partner's events. The partner is in
// the path so the right secret is known before the body is trusted.
func (l *Links) WebhookURL(partnerID int64) string {
	return fmt.Sprintf("%s/api/VippsWebhook/%d", l.BaseURL, partnerID)
}

// RegisterWebhooks registers the partner's webhook at Vipps and keeps the
// secret, sealed. Registering again adds a registration; both secrets are
// accepted until the old one is deleted.
func (a *App) RegisterWebhooks(ctx context.Context, api WebhookAPI, partnerID int64, events []string) (*sms2vipps.WebhookRegistration, error) {
	p, err := a.Partners.Partner(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	url := a.Links.WebhookURL(partnerID)
	id, secret, err := api.RegisterWebhook(ctx, p, url, events)
	if err != nil {
		return nil, fmt.Errorf("register webhook: %w", err)
	}
	sealed, err := a.Links.Seal([]byte(secret))
	if err != nil {
		return nil, err
	}
	r := &sms2vipps.WebhookRegistration{ID: id, PartnerID: partnerID, MSN: p.Vipps.MSN, URL: url, Events: events,
		SealedSecret: sealed, CreatedAt: a.now()}
	if err := a.Store.PutWebhookRegistration(ctx, r); err != nil {
		// Vipps has it but we lost the secret: remove it rather than leave
		// a registration whose deliveries we can never verify.
		_ = api.DeleteWebhook(context.WithoutCancel(ctx), p, id)
		return nil, fmt.Errorf("keep webhook registration: %w", err)
	}
	a.Log.Info("webhook registered", "partner", partnerID, "id", id, "events", len(events))
	return r, nil
}

// DeleteWebhook removes a registration at Vipps and here.
func (a *App) DeleteWebhook(ctx context.Context, api WebhookAPI, partnerID int64, id string) error {
	p, err := a.Partners.Partner(ctx, partnerID)
	if err != nil {
		return err
	}
	if err := api.DeleteWebhook(ctx, p, id); err != nil && sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
		return err
	}
	return a.Store.DeleteWebhookRegistration(ctx, id)
}

// WebhookSecrets returns the partner's webhook secrets, for verifying a
// delivery. ENOTFOUND when the partner has no registration.
func (a *App) WebhookSecrets(ctx context.Context, partnerID int64) ([]string, error) {
	regs, err := a.Store.WebhookRegistrations(ctx, partnerID)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, r := range regs {
		s, err := a.Links.Unseal(r.SealedSecret)
		if err != nil {
			a.Log.Error("webhook secret cannot be unsealed; was SIGNING_KEY changed?", "registration", r.ID)
			continue
		}
		out = append(out, string(s))
	}
	if len(out) == 0 {
		return nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no webhook registration for partner %d", partnerID)
	}
	return out, nil
}

// vippsPayload holds the fields of both webhook payload shapes that we key
// and route on. Everything else is read back from Vipps.
type vippsPayload struct {
	MSN          string `json:"msn"`
	Reference    string `json:"reference"`
	PSPReference string `json:"pspReference"`
	Name         string `json:"name"`
	EventType    string `json:"eventType"`
	AgreementID  string `json:"agreementId"`
	ChargeID     string `json:"chargeId"`
	Occurred     string `json:"occurred"`
}

// ReceiveVippsEvent stores a verified delivery once and then acts on it.
// A redelivery changes nothing. The event is stored before anything else,
// so whatever happens after, the Reconciler finishes it.
func (a *App) ReceiveVippsEvent(ctx context.Context, partnerID int64, body []byte) (created bool, err error) {
	var pl vippsPayload
	e := &sms2vipps.WebhookEvent{PartnerID: partnerID, Body: body, ReceivedAt: a.now(), State: sms2vipps.EventPending, NextAttemptAt: a.now()}
	switch err := json.Unmarshal(body, &pl); {
	case err == nil && pl.EventType != "":
		e.Key = strings.Join([]string{"recurring", pl.EventType, pl.AgreementID, pl.ChargeID, pl.Occurred}, ":")
		e.Name, e.Reference, e.ChargeID = pl.EventType, pl.AgreementID, pl.ChargeID
	case err == nil && pl.Reference != "":
		e.Key = strings.Join([]string{"epayment", pl.MSN, pl.Reference, pl.Name, pl.PSPReference}, ":")
		e.Name, e.Reference = pl.Name, pl.Reference
	default:
		// Signed by Vipps but not a shape we know: keep it for an operator
		// and do not make Vipps retry it for a week.
		sum := sha256.Sum256(body)
		e.Key, e.Name, e.State, e.LastError = "unknown:"+hex.EncodeToString(sum[:]), "unknown", sms2vipps.EventDone, "unknown payload shape"
		a.Log.Warn("webhook of unknown shape", "partner", partnerID, "bytes", len(body))
	}
	created, err = a.Store.RecordWebhookEvent(ctx, e)
	if err != nil || !created || e.State != sms2vipps.EventPending {
		return created, err
	}
	a.Log.Info("webhook received", "partner", partnerID, "event", e.Name, "reference", e.Reference, "charge", e.ChargeID)
	// Act now, so the user is not kept waiting for the next Reconciler run,
	// but within webhookBudget: Vipps counts no answer within 10 s as a
	// failed delivery and sends it again. What the budget cuts short stays
	// PENDING (or leased) for the Reconciler, and every provider call
	// settles an unclear outcome by reading back, so stopping mid-way is
	// safe.
	ctx, cancel := context.WithTimeout(ctx, webhookBudget)
	defer cancel()
	a.processEvents(ctx, []*sms2vipps.WebhookEvent{e}, "")
	a.DrainOutbox(ctx, 10)
	return true, nil
}

// webhookBudget bounds the work a webhook delivery does before it is
// answered: half of the 10 s Vipps waits (VIPPS.md §5.1).
const webhookBudget = 5 * time.Second

// ProcessWebhookEvents acts on stored events not yet done (the Reconciler's
// share of webhook work).
func (a *App) ProcessWebhookEvents(ctx context.Context) (done, retrying int) {
	owner := a.owner()
	for range maxRounds {
		now := a.now()
		events, err := a.Store.ClaimWebhookEvents(ctx, owner, now, now.Add(a.LeaseTTL), a.BatchSize)
		if err != nil {
			a.Log.Error("claim webhook events", "err", err)
			return done, retrying
		}
		d, r := a.processEvents(ctx, events, owner)
		done, retrying = done+d, retrying+r
		if len(events) < a.BatchSize || ctx.Err() != nil {
			break
		}
	}
	return done, retrying
}

// processEvents acts on events; owner is empty for an event not yet
// claimed (just received), which is then claimed first.
func (a *App) processEvents(ctx context.Context, events []*sms2vipps.WebhookEvent, owner string) (done, retrying int) {
	for _, e := range events {
		o := owner
		if o == "" {
			// Just received: lease it, unless a Reconciler run already did.
			o = a.owner()
			now := a.now()
			claimed, err := a.Store.ClaimWebhookEvent(ctx, e.ID, o, now, now.Add(a.LeaseTTL))
			if err != nil {
				continue
			}
			e = claimed
		}
		err := a.actOn(ctx, e)
		now := a.now()
		e.Attempts++
		if err == nil {
			e.State, e.ProcessedAt, e.LastError = sms2vipps.EventDone, now, ""
			done++
		} else {
			e.LastError, e.NextAttemptAt = err.Error(), now.Add(a.backoff(e.Attempts))
			if e.Attempts >= a.MaxSMSAttempts {
				e.State = sms2vipps.EventFailed
				a.Log.Error("webhook event given up", "event", e.ID, "name", e.Name, "err", err)
			}
			retrying++
		}
		if err := a.Store.UpdateWebhookEvent(context.WithoutCancel(ctx), e, o); err != nil {
			a.Log.Warn("record webhook event", "event", e.ID, "err", err)
		}
	}
	return done, retrying
}

// actOn treats the event as a hint: the thing it names is read back from
// Vipps by the code that owns it.
func (a *App) actOn(ctx context.Context, e *sms2vipps.WebhookEvent) error {
	if strings.HasPrefix(e.Key, "recurring:") {
		return a.recurringEvent(ctx, e)
	}
	_, err := a.Store.Session(ctx, e.Reference)
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		a.Log.Info("webhook for a payment that is not a session; ignored", "reference", e.Reference)
		return nil
	}
	if err != nil {
		return err
	}
	_, err = a.Process(ctx, e.Reference)
	switch {
	case err == nil:
		return nil
	case err == errBusy:
		return err // the holder may have read before the change: look again
	case sms2vipps.ErrorCode(err) == sms2vipps.EUPSTREAM || sms2vipps.ErrorCode(err) == sms2vipps.EUNAVAILABLE:
		// Recorded on the session, which the Reconciler retries by itself.
		return nil
	}
	return err
}
