package app

import (
	"context"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// Receipt is what the receipt page shows: a receipt once the session is
// captured, and the session's state before (the page is also where the
// Vipps landing page returns the user).
type Receipt struct {
	// Captured is true for a receipt; otherwise Status says where it is.
	Captured    bool
	Status      string
	PartnerName string
	Amount      sms2vipps.Amount
	Reserved    sms2vipps.Amount
	StartedAt   time.Time
	EndedAt     time.Time
	Duration    time.Duration
	Reference   string
	MSISDN      string // masked
}

// ReceiptFor returns the receipt a token names. A token that is not valid
// gets ENOTFOUND, so a guess learns nothing.
func (a *App) ReceiptFor(ctx context.Context, token string) (*Receipt, error) {
	notFound := sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no such receipt")
	id, ok := a.Links.SessionFromReceiptToken(token)
	if !ok {
		return nil, notFound
	}
	s, err := a.Store.Session(ctx, id)
	if err != nil {
		return nil, notFound
	}
	name := ""
	if p, err := a.Partners.Partner(ctx, s.PartnerID); err == nil {
		name = p.Name
	}
	return &Receipt{
		Captured: s.Outcome == sms2vipps.OutcomeCaptured, Status: sessionStatus(s),
		PartnerName: name, Amount: s.CapturedAmount, Reserved: s.ReservedAmount,
		StartedAt: s.StartedAt, EndedAt: s.EndedAt, Duration: s.EndedAt.Sub(s.StartedAt),
		Reference: s.ID, MSISDN: s.MSISDN.Masked(),
	}, nil
}

// sessionStatus tells the user, in Norwegian, where the session is.
func sessionStatus(s *sms2vipps.Session) string {
	switch {
	case s.Outcome == sms2vipps.OutcomeCaptured:
		return "Betalt"
	case s.State == sms2vipps.SessionReserving || s.State == sms2vipps.SessionAwaitingPayment:
		return "Venter på godkjenning i Vipps"
	case s.State == sms2vipps.SessionActive:
		return "Beløpet er reservert og økten pågår"
	case s.State == sms2vipps.SessionCapturing:
		return "Økten er avsluttet; betalingen behandles"
	}
	return "Økten er avsluttet uten belastning"
}
