package app

import (
	"context"
	"fmt"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// MOResult says what an incoming SMS did.
type MOResult struct {
	// Action is "charge", "endcharge", "subscribe", "stop" or "help".
	Action         string `json:"action"`
	PartnerID      int64  `json:"partnerId"`
	SessionID      string `json:"sessionId,omitempty"`
	SubscriptionID string `json:"subscriptionId,omitempty"`
	// Duplicate is true when the MO was seen before and nothing was done.
	Duplicate bool `json:"duplicate,omitempty"`
	// Pending is true when work is left for a retry by the Reconciler (a
	// provider did not answer, or another worker holds the session).
	Pending bool `json:"pending,omitempty"`
}

// HandleMO acts on one MO from LINK's gateway. Whatever it decides is
// written in one transaction together with the MO's id, so a redelivered
// MO does nothing and a crash loses nothing; the calls to providers happen
// after, and what they leave undone the Reconciler finishes.
//
// Errors: ENOTFOUND when no partner owns the short number; EINVALID for an
// MO without id or sender.
func (a *App) HandleMO(ctx context.Context, m sms2vipps.InboundMessage) (MOResult, error) {
	if m.MessageID == "" || m.From == "" || m.ShortNumber == "" {
		return MOResult{}, sms2vipps.Errorf(sms2vipps.EINVALID, "message id, source and destination are required")
	}
	if m.ReceivedAt.IsZero() {
		m.ReceivedAt = a.now()
	}
	ps, err := a.Partners.PartnersByShortNumber(ctx, m.ShortNumber)
	if err != nil {
		return MOResult{}, err
	}
	if len(ps) == 0 {
		return MOResult{}, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no partner has short number %s", m.ShortNumber)
	}
	res, err := a.route(ctx, ps, m)
	if err != nil {
		return res, err
	}
	a.DrainOutbox(ctx, 10)
	return res, nil
}

// route decides what the MO's first word asks for. STOP comes first (a
// subscriber must always be able to leave), then the partners' active
// keyword dialogues, then CHARGE and ENDCHARGE; anything else gets the help
// text of the short number's first partner.
func (a *App) route(ctx context.Context, ps []*sms2vipps.Partner, m sms2vipps.InboundMessage) (MOResult, error) {
	word := m.FirstWord()
	if isStop(word) && a.Agreements != nil {
		return a.stop(ctx, ps, m)
	}
	today := sms2vipps.DateOf(m.ReceivedAt)
	for _, p := range ps {
		if d := p.ActiveDialogue(m.ShortNumber, word, today); d != nil {
			return a.dialogue(ctx, p, d, m)
		}
	}
	for _, p := range ps {
		var res MOResult
		var err error
		switch p.Match(word) {
		case sms2vipps.KeywordCharge:
			res, err = a.charge(ctx, p, m)
		case sms2vipps.KeywordEndCharge:
			res, err = a.endCharge(ctx, p, m)
		default:
			continue
		}
		res.PartnerID = p.ID
		return res, err
	}
	res, err := a.help(ctx, ps[0], m)
	res.PartnerID = ps[0].ID
	return res, err
}

func (a *App) charge(ctx context.Context, p *sms2vipps.Partner, m sms2vipps.InboundMessage) (MOResult, error) {
	res := MOResult{Action: "charge"}
	var created *sms2vipps.Session
	err := a.atomicRetry(ctx, func(tx sms2vipps.Store) error {
		created, res.Duplicate, res.SessionID = nil, false, ""
		if dup, err := recordInbound(ctx, tx, m); err != nil || dup {
			res.Duplicate = dup
			return err
		}
		open, err := tx.OpenSession(ctx, p.ID, m.From)
		if err == nil {
			// A second CHARGE re-sends the link and reserves nothing new.
			res.SessionID = open.ID
			t := render(text(p, func(t *sms2vipps.Texts) string { return t.AlreadyOpen }), map[string]string{"paymentUrl": open.PaymentURL})
			return a.enqueueTo(ctx, tx, p, open.MSISDN, open.ID, m.MOReference(), "mo:"+m.MessageID, t, p.Originator)
		}
		if sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
			return err
		}
		now := a.now()
		s := &sms2vipps.Session{
			ID: a.NewID(), PartnerID: p.ID, MSISDN: m.From, ShortNumber: m.ShortNumber, Backend: p.Backend,
			State: sms2vipps.SessionReserving, MOMessageID: m.MOReference(), ReservedAmount: p.ReservationAmount,
			OpenedAt: now, ExpiresAt: now.Add(reservationTTL(p)), NextCheck: now,
		}
		if err := tx.CreateSession(ctx, s); err != nil {
			return err
		}
		created, res.SessionID = s, s.ID
		return nil
	})
	if err != nil || created == nil {
		return res, err
	}
	a.Log.Info("session opened", "session", created.ID, "partner", p.ID, "msisdn", created.MSISDN, "backend", p.Backend)
	s, err := a.Process(ctx, created.ID)
	res.Pending = err != nil || s.State == sms2vipps.SessionReserving
	return res, nil
}

func (a *App) endCharge(ctx context.Context, p *sms2vipps.Partner, m sms2vipps.InboundMessage) (MOResult, error) {
	res := MOResult{Action: "endcharge"}
	var ended *sms2vipps.Session
	err := a.atomicRetry(ctx, func(tx sms2vipps.Store) error {
		ended, res.Duplicate, res.SessionID = nil, false, ""
		if dup, err := recordInbound(ctx, tx, m); err != nil || dup {
			res.Duplicate = dup
			return err
		}
		s, err := tx.OpenSession(ctx, p.ID, m.From)
		if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
			// Nothing to end: say so politely and charge nothing.
			return a.enqueueTo(ctx, tx, p, m.From, "", m.MOReference(), "mo:"+m.MessageID,
				text(p, func(t *sms2vipps.Texts) string { return t.NoSession }), p.Originator)
		}
		if err != nil {
			return err
		}
		res.SessionID = s.ID
		now := a.now()
		switch s.State {
		case sms2vipps.SessionActive:
			a.toCapturing(p, s, now)
		default:
			// Not reserved yet as far as we know: mark the end and let
			// Process ask the provider whether the user paid meanwhile.
			if s.EndedAt.IsZero() {
				s.EndedAt = now
			}
			s.NextCheck = now
		}
		ended = s
		return tx.UpdateSession(ctx, s)
	})
	if err != nil || ended == nil {
		return res, err
	}
	a.Log.Info("session ending", "session", ended.ID, "partner", p.ID, "state", ended.State)
	s, err := a.Process(ctx, ended.ID)
	res.Pending = err != nil || s.State != sms2vipps.SessionClosed
	return res, nil
}

func (a *App) help(ctx context.Context, p *sms2vipps.Partner, m sms2vipps.InboundMessage) (MOResult, error) {
	res := MOResult{Action: "help"}
	err := a.Store.Atomic(ctx, func(tx sms2vipps.Store) error {
		dup, err := recordInbound(ctx, tx, m)
		if err != nil || dup {
			res.Duplicate = dup
			return err
		}
		return a.enqueueTo(ctx, tx, p, m.From, "", m.MOReference(), "mo:"+m.MessageID,
			text(p, func(t *sms2vipps.Texts) string { return t.Help }), p.Originator)
	})
	return res, err
}

// recordInbound stores the MO's id and reports whether it was seen before.
func recordInbound(ctx context.Context, tx sms2vipps.Store, m sms2vipps.InboundMessage) (dup bool, err error) {
	err = tx.RecordInbound(ctx, m)
	if sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		return true, nil
	}
	if err != nil {
		return false, fmt.Errorf("record inbound %s: %w", m.MessageID, err)
	}
	return false, nil
}

func reservationTTL(p *sms2vipps.Partner) time.Duration {
	if p.ReservationTTL > 0 {
		return p.ReservationTTL.D()
	}
	return defaultReservationTTL
}
