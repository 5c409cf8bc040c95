package app

import (
	"context"
	"strconv"

	"github.com/linkmobility/sms2vipps"
)

// enqueue writes an SMS to the session's user into the outbox, once per key.
func (a *App) enqueue(ctx context.Context, tx sms2vipps.Store, p *sms2vipps.Partner, s *sms2vipps.Session, key, msg string) error {
	return a.enqueueTo(ctx, tx, p, s.MSISDN, s.ID, s.MOMessageID, key, msg, p.Originator)
}

// enqueueTo writes an SMS from the originator into the outbox, once per key.
func (a *App) enqueueTo(ctx context.Context, tx sms2vipps.Store, p *sms2vipps.Partner, to sms2vipps.MSISDN, sessionID, moRef, key, msg, from string) error {
	now := a.now()
	_, err := tx.EnqueueSMS(ctx, &sms2vipps.OutboundSMS{
		DedupeKey: key, PartnerID: p.ID, SessionID: sessionID, To: to, From: from, Text: msg,
		MOReferenceID: moRef, State: sms2vipps.SMSPending, NextAttemptAt: now, CreatedAt: now,
	})
	return err
}

// sendNow sends the outbox message with key at once (the request that
// enqueued it wants to know) and returns it as it was left: SENT, FAILED,
// or PENDING for a retry by the Reconciler.
func (a *App) sendNow(ctx context.Context, key string) (*sms2vipps.OutboundSMS, error) {
	m, err := a.Store.SMSByKey(ctx, key)
	if err != nil || m.State != sms2vipps.SMSPending {
		return m, err
	}
	owner, now := a.owner(), a.now()
	held, err := a.Store.ClaimSMSByID(ctx, m.ID, owner, now, now.Add(a.LeaseTTL))
	if sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		return a.Store.SMSByKey(ctx, key) // another worker is sending it
	}
	if err != nil {
		return nil, err
	}
	var rep OutboxReport
	a.sendOne(ctx, held, owner, &rep)
	return held, nil
}

// OutboxReport counts what one drain did.
type OutboxReport struct {
	Sent, Retrying, Failed int
}

// DrainOutbox sends pending SMS, at most limit (0: until none is due).
// Each message is leased while it is sent, so two drains never send the
// same message; a failed send is retried later with backoff.
func (a *App) DrainOutbox(ctx context.Context, limit int) OutboxReport {
	var rep OutboxReport
	owner := a.owner()
	const batch = 50
	for limit <= 0 || rep.Sent+rep.Retrying+rep.Failed < limit {
		n := batch
		if limit > 0 {
			n = min(batch, limit-(rep.Sent+rep.Retrying+rep.Failed))
		}
		now := a.now()
		msgs, err := a.Store.ClaimSMS(ctx, owner, now, now.Add(a.LeaseTTL), n)
		if err != nil {
			a.Log.Error("claim outbox", "err", err)
			return rep
		}
		for _, m := range msgs {
			a.sendOne(ctx, m, owner, &rep)
		}
		if len(msgs) < n || ctx.Err() != nil {
			return rep
		}
	}
	return rep
}

func (a *App) sendOne(ctx context.Context, m *sms2vipps.OutboundSMS, owner string, rep *OutboxReport) {
	id, err := a.SMS.Send(ctx, sms2vipps.SMS{From: m.From, To: m.To, Text: m.Text, MOReferenceID: m.MOReferenceID, RefID: refID(m)})
	now := a.now()
	m.Attempts++
	switch {
	case err == nil:
		m.State, m.GatewayMessageID, m.SentAt, m.LastError = sms2vipps.SMSSent, id, now, ""
		rep.Sent++
	case sms2vipps.ErrorCode(err) == sms2vipps.EINVALID || m.Attempts >= a.MaxSMSAttempts:
		m.State, m.LastError = sms2vipps.SMSFailed, err.Error()
		rep.Failed++
		a.Log.Error("sms given up", "sms", m.ID, "to", m.To, "attempts", m.Attempts, "err", err)
	default:
		m.LastError, m.NextAttemptAt = err.Error(), now.Add(a.backoff(m.Attempts))
		rep.Retrying++
		a.Log.Warn("sms send failed; will retry", "sms", m.ID, "to", m.To, "attempt", m.Attempts, "err", err)
	}
	if err := a.Store.UpdateSMS(context.WithoutCancel(ctx), m, owner); err != nil {
		a.Log.Error("record sms result", "sms", m.ID, "err", err)
	}
}

func refID(m *sms2vipps.OutboundSMS) string {
	return "sms-" + strconv.FormatInt(m.ID, 10)
}
