package app

import (
	"context"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// dialogue starts a subscription for the sender of a keyword, the way the
// partner API does, with product, price, period, CRM group, sender and
// reply text from the dialogue. The MO's id is the order number, so a
// redelivered MO returns the same subscription and texts nothing new.
func (a *App) dialogue(ctx context.Context, p *sms2vipps.Partner, d *sms2vipps.Dialogue, m sms2vipps.InboundMessage) (MOResult, error) {
	res := MOResult{Action: "subscribe", PartnerID: p.ID}
	order := "mo-" + m.MessageID
	if s, err := a.Store.SubscriptionByOrderNumber(ctx, p.ID, order); err == nil {
		// A redelivered MO: the subscription exists; do nothing new.
		res.SubscriptionID, res.Duplicate = s.ID, true
		return res, nil
	}
	r, err := a.Subscribe(ctx, SubscribeRequest{
		PartnerID: p.ID, OrderNumber: order, Source: "keyword:" + strings.ToUpper(d.Keyword),
		MSISDN: m.From, ShortNumber: m.ShortNumber, GroupID: d.GroupID, Amount: d.Amount, Interval: d.Period,
		ProductName: d.ProductName, ProductDescription: d.ProductDescription,
		SMSText: d.ReplyText, SendSMS: true, Originator: d.Sender, Inbound: &m,
	})
	res.SubscriptionID = r.SubscriptionID
	if r.SubscriptionID == "" && err == nil {
		res.Duplicate = true
		return res, nil
	}
	switch sms2vipps.ErrorCode(err) {
	case "":
	case sms2vipps.EUPSTREAM, sms2vipps.EUNAVAILABLE, sms2vipps.ECONFLICT:
		// Recorded; the Reconciler finishes the setup.
		res.Pending = true
	default:
		return res, err
	}
	return res, nil
}
