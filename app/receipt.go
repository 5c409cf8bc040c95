package app

import (
	"context"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// Receipt is what the receipt page shows.
type Receipt struct {
	PartnerName string
	Amount      sms2vipps.Amount
	Reserved    sms2vipps.Amount
	StartedAt   time.Time
	EndedAt     time.Time
	Duration    time.Duration
	Reference   string
	MSISDN      string // masked
}

// ReceiptFor returns the receipt a token names. Any token that is not valid
// for a captured session gets ENOTFOUND, so a guess learns nothing.
func (a *App) ReceiptFor(ctx context.Context, token string) (*Receipt, error) {
	notFound := sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no such receipt")
	id, ok := a.Links.SessionFromReceiptToken(token)
	if !ok {
		return nil, notFound
	}
	s, err := a.Store.Session(ctx, id)
	if err != nil || s.Outcome != sms2vipps.OutcomeCaptured {
		return nil, notFound
	}
	name := ""
	if p, err := a.Partners.Partner(ctx, s.PartnerID); err == nil {
		name = p.Name
	}
	return &Receipt{
		PartnerName: name, Amount: s.CapturedAmount, Reserved: s.ReservedAmount,
		StartedAt: s.StartedAt, EndedAt: s.EndedAt, Duration: s.EndedAt.Sub(s.StartedAt),
		Reference: s.ID, MSISDN: s.MSISDN.Masked(),
	}, nil
}
