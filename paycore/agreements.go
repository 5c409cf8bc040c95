package paycore

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"

	"github.com/linkmobility/sms2vipps"
)

// PaymentProviderVipps is the only paymentProvider the recurring API takes.
const PaymentProviderVipps = "Vipps"

// AgreementProvider implements sms2vipps.AgreementProvider on Paycore's
// recurring API: a subscription's agreement is a Paycore subscription
// whose orderNumber is the subscription's id. Paycore charges the periods
// itself, so there is no charge provider beside it.
type AgreementProvider struct {
	Client *Client
	// Logger defaults to slog.Default().
	Logger *slog.Logger

	unknown sync.Map // statuses outside the table, logged once each
}

var _ sms2vipps.AgreementProvider = (*AgreementProvider)(nil)

func (ap *AgreementProvider) logger() *slog.Logger {
	if ap.Logger != nil {
		return ap.Logger
	}
	return slog.Default()
}

// DraftAgreement subscribes s at Paycore with sendSMS "false" (the app
// texts the link itself) and returns the PENDING agreement with the URL
// where the user accepts it. It makes at most one subscription per
// subscription id: one tried before is looked up by orderNumber first,
// and an unclear subscribe or a 409 is looked up before it is reported
// (PAYCORE.md decision 14). Errors: EINVALID (refused for good),
// EUNAUTHORIZED, EUNAVAILABLE, EUPSTREAM (unclear: call again).
func (ap *AgreementProvider) DraftAgreement(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) (sms2vipps.Agreement, error) {
	req, err := subscribeRequest(p, s)
	if err != nil {
		return sms2vipps.Agreement{}, err
	}
	acct := AccountOf(p)
	if s.AgreementID != "" {
		sub, err := ap.Client.GetSubscription(ctx, acct, s.AgreementID)
		if err != nil {
			return sms2vipps.Agreement{}, err
		}
		return ap.drafted(ctx, acct, s, sub)
	}
	if s.Attempts > 0 || s.LastError != "" {
		if sub, err := ap.find(ctx, acct, s); err != nil || sub != nil {
			if err != nil {
				return sms2vipps.Agreement{}, err
			}
			return ap.drafted(ctx, acct, s, sub)
		}
	}
	sub, err := ap.Client.Subscribe(ctx, acct, req)
	if err == nil {
		return ap.drafted(ctx, acct, s, sub)
	}
	conflict := statusOf(err) == http.StatusConflict
	if sms2vipps.ErrorCode(err) != sms2vipps.EUPSTREAM && !conflict {
		return sms2vipps.Agreement{}, err
	}
	found, ferr := ap.find(ctx, acct, s)
	switch {
	case found != nil:
		ap.logger().InfoContext(ctx, "paycore subscription found after unclear subscribe",
			"subscription", s.ID, "agreement", string(found.SubscriptionID), "err", err)
		return ap.drafted(ctx, acct, s, found)
	case conflict && ferr != nil:
		// Paycore has something under our order number that we could not
		// read now: unclear, not refused.
		return sms2vipps.Agreement{}, ferr
	}
	return sms2vipps.Agreement{}, err
}

// subscribeRequest builds the subscribe body (PAYCORE.md decision 11), or
// EINVALID naming what the subscription or the partner lacks.
func subscribeRequest(p *sms2vipps.Partner, s *sms2vipps.Subscription) (SubscribeRequest, error) {
	basis := basisOf(s.Interval)
	var v sms2vipps.Validation
	v.Check(s.ID != "", "subscription.id", "must not be empty")
	v.Check(len(s.MSISDN) > 1 && s.MSISDN[0] == '+', "subscription.msisdn", "must be E.164 with +")
	v.Check(s.Amount > 0, "subscription.amount", "must be positive")
	v.Check(s.CampaignAmount >= 0, "subscription.campaignAmount", "must not be negative")
	v.Check(basis != 0, "subscription.interval", "must be WEEK, MONTH or YEAR")
	v.Check(s.ProductName != "", "subscription.productName", "must not be empty")
	v.Check(p.Recurring.MerchantAgreementURL != "", "recurring.merchantAgreementUrl",
		"must be set for subscriptions through paycore")
	if err := v.Err(); err != nil {
		return SubscribeRequest{}, err
	}
	currency := firstOf(s.Currency, p.Currency, "NOK")
	campaign := s.CampaignAmount
	if campaign == 0 {
		// "0" could read as a free first period; without a campaign the
		// first period costs what every other does.
		campaign = s.Amount
	}
	return SubscribeRequest{
		PartnerID: p.PaycorePartnerID(), MSISDN: s.MSISDN, Currency: currency, OrderNumber: s.ID,
		Amount: KronerString(s.Amount), CampaignAmount: KronerString(campaign),
		PaymentProvider: PaymentProviderVipps, Description: firstOf(s.ProductDescription, s.ProductName),
		Basis: basis, AgreementURL: p.Recurring.MerchantAgreementURL, Name: s.ProductName,
		SendSMS: false, SMSText: s.SMSText, SMSNotificationOriginator: firstOf(s.Originator, p.Originator),
	}, nil
}

func basisOf(i sms2vipps.Interval) int {
	switch i {
	case sms2vipps.IntervalWeek:
		return 1
	case sms2vipps.IntervalMonth:
		return 2
	case sms2vipps.IntervalYear:
		return 3
	}
	return 0
}

func firstOf(s ...string) string {
	for _, v := range s {
		if v != "" {
			return v
		}
	}
	return ""
}

// statusOf returns the HTTP status of a failed call, 0 when none arrived.
func statusOf(err error) int {
	var e *Error
	if errors.As(err, &e) {
		return e.StatusCode
	}
	return 0
}

// find looks s's subscription up by orderNumber; nil when Paycore has none.
func (ap *AgreementProvider) find(ctx context.Context, acct Account, s *sms2vipps.Subscription) (*Subscription, error) {
	list, err := ap.Client.FindSubscriptions(ctx, acct, s.ID)
	if err != nil {
		return nil, err
	}
	var match []*Subscription
	for i := range list {
		// Guard against a server that ignores the filter.
		if sub := &list[i]; sub.SubscriptionID != "" && (sub.OrderNumber == "" || string(sub.OrderNumber) == s.ID) {
			match = append(match, sub)
		}
	}
	if len(match) == 0 {
		return nil, nil
	}
	if len(match) > 1 {
		ap.logger().WarnContext(ctx, "paycore holds several subscriptions for one order number; using the first",
			"subscription", s.ID, "count", len(match))
	}
	return match[0], nil
}

// drafted returns the agreement of a subscription just made or found. The
// URL is what the user needs, so an answer without one is read again, and
// still none is an unclear answer (PAYCORE.md decision 15).
func (ap *AgreementProvider) drafted(ctx context.Context, acct Account, s *sms2vipps.Subscription, sub *Subscription) (sms2vipps.Agreement, error) {
	if sub.URL == "" {
		again, err := ap.Client.GetSubscription(ctx, acct, string(sub.SubscriptionID))
		if err != nil {
			return sms2vipps.Agreement{}, err
		}
		if again.SubscriptionID == "" {
			again.SubscriptionID = sub.SubscriptionID
		}
		sub = again
	}
	if sub.URL == "" {
		return sms2vipps.Agreement{}, sms2vipps.WrapError(sms2vipps.EUPSTREAM, "paycore gave no agreement URL",
			&Error{API: api.Name, Method: http.MethodGet, Path: subscriptionsPath, Attempts: 1, Err: errors.New("no url in subscription " + string(sub.SubscriptionID))})
	}
	ag := ap.agreement(ctx, sub)
	ap.logger().DebugContext(ctx, "paycore subscription drafted", "subscription", s.ID, "agreement", ag.ID, "status", ag.Status)
	return ag, nil
}

// agreement maps a subscription to the domain's view, logging a status
// outside the table once, so production tells us the real values.
func (ap *AgreementProvider) agreement(ctx context.Context, sub *Subscription) sms2vipps.Agreement {
	state, known := sub.State()
	if !known {
		if _, seen := ap.unknown.LoadOrStore(sub.Status, true); !seen {
			ap.logger().WarnContext(ctx, "paycore subscription status not in our table",
				"status", sub.Status, "mappedTo", state)
		}
	}
	return sms2vipps.Agreement{
		ID: string(sub.SubscriptionID), URL: sub.URL, Status: state,
		ActivatedAt: sub.ActivatedDateUTC.Time, StoppedBy: strings.ToUpper(strings.TrimSpace(sub.StoppedBy)),
	}
}

// Agreement reads s's subscription back: by its id when one is recorded,
// else by orderNumber (a subscribe whose answer was lost). ENOTFOUND when
// Paycore has none.
func (ap *AgreementProvider) Agreement(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) (sms2vipps.Agreement, error) {
	acct := AccountOf(p)
	var sub *Subscription
	var err error
	if s.AgreementID != "" {
		sub, err = ap.Client.GetSubscription(ctx, acct, s.AgreementID)
	} else {
		sub, err = ap.find(ctx, acct, s)
	}
	switch {
	case err != nil:
		return sms2vipps.Agreement{}, err
	case sub == nil:
		return sms2vipps.Agreement{}, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "subscription has no paycore agreement")
	}
	if sub.SubscriptionID == "" {
		sub.SubscriptionID = FlexString(s.AgreementID)
	}
	return ap.agreement(ctx, sub), nil
}

// StopAgreement cancels s's subscription (PAYCORE.md decision 16). Without
// a recorded id it is looked up by orderNumber; none means nothing to stop.
// A cancel is never repeated blindly: a failed one (other than 401 and
// 429) is settled by reading the subscription back, and STOPPED, EXPIRED
// or gone count as stopped. Errors: EUPSTREAM (call again), EINVALID,
// EUNAUTHORIZED, EUNAVAILABLE.
func (ap *AgreementProvider) StopAgreement(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription) error {
	acct := AccountOf(p)
	id := s.AgreementID
	if id == "" {
		sub, err := ap.find(ctx, acct, s)
		if err != nil || sub == nil {
			return err
		}
		id = string(sub.SubscriptionID)
	}
	err := ap.Client.CancelSubscription(ctx, acct, id)
	if err == nil {
		return nil
	}
	switch sms2vipps.ErrorCode(err) {
	case sms2vipps.EUNAUTHORIZED, sms2vipps.EUNAVAILABLE:
		return err // not acted on; a read would fare no better
	}
	sub, rerr := ap.Client.GetSubscription(ctx, acct, id)
	switch {
	case sms2vipps.ErrorCode(rerr) == sms2vipps.ENOTFOUND:
		ap.logger().WarnContext(ctx, "paycore has no subscription to cancel", "subscription", s.ID, "agreement", id, "err", err)
		return nil
	case rerr != nil:
		return err
	}
	if st, _ := sub.State(); st == sms2vipps.AgreementStopped || st == sms2vipps.AgreementExpired {
		ap.logger().InfoContext(ctx, "paycore cancel settled by read-back", "subscription", s.ID, "agreement", id, "status", sub.Status, "err", err)
		return nil
	}
	return err
}

// UpdatePrice refuses: Paycore's recurring API documents subscribe, read
// and cancel, and no call that changes a subscription's price (LINK.md
// §2.4), so a Paycore subscription keeps the price it was subscribed at.
// Always EINVALID; nothing is sent.
func (ap *AgreementProvider) UpdatePrice(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Subscription, amount sms2vipps.Amount) error {
	return sms2vipps.Errorf(sms2vipps.EINVALID, "Paycore subscriptions cannot change price here: Paycore's recurring API has no price change")
}
