package paycore

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// DefaultReservationTTL is how long a pre-transaction waits for the user to
// pay when the partner sets no ReservationTTL.
const DefaultReservationTTL = 10 * time.Minute

// DefaultPaymentLinkText is the pre-transaction's SMS when the partner has
// no text of its own; Paycore puts the link in place of the placeholder.
const DefaultPaymentLinkText = "Betal med Vipps / Pay with Vipps: {{paymentSelectionPageUrl}}"

// Provider implements sms2vipps.PaymentProvider on Paycore. A session's
// reservation is a pre-transaction (id = Session.ProviderRef) that becomes
// a transaction with the same id once the user pays.
type Provider struct {
	Client *Client
	// CallbackURL returns the statusCallbackUrl for a session; nil, or "",
	// sends none (we then learn of payments by polling).
	CallbackURL func(sessionID string) string
	// Now dates the pre-transaction's expiry; default time.Now.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger

	unknown sync.Map // statuses outside the table, logged once each
}

var _ sms2vipps.PaymentProvider = (*Provider)(nil)

func (pr *Provider) now() time.Time {
	if pr.Now != nil {
		return pr.Now()
	}
	return time.Now()
}

func (pr *Provider) logger() *slog.Logger {
	if pr.Logger != nil {
		return pr.Logger
	}
	return slog.Default()
}

// Reserve creates the session's pre-transaction, which makes Paycore send
// the user the payment link. It creates at most one per session: a session
// that has been tried before is looked up by correlationId first, and an
// unclear create is looked up before it is reported. Returns a PENDING
// reservation; errors are EINVALID (refused for good), EUNAUTHORIZED,
// EUNAVAILABLE and EUPSTREAM (unclear: call again).
func (pr *Provider) Reserve(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session) (sms2vipps.Reservation, error) {
	if err := checkReserve(s); err != nil {
		return sms2vipps.Reservation{}, err
	}
	acct := AccountOf(p)
	if s.ProviderRef != "" {
		return pr.pending(ctx, acct, s, s.ProviderRef, s.ReservedAmount), nil
	}
	if s.Attempts > 0 || s.LastError != "" {
		if r, ok, err := pr.find(ctx, acct, s); err != nil || ok {
			return r, err
		}
	}
	id, err := pr.Client.CreatePreTransaction(ctx, acct, pr.preTransaction(p, s))
	if err != nil {
		if sms2vipps.ErrorCode(err) != sms2vipps.EUPSTREAM {
			return sms2vipps.Reservation{}, err
		}
		// The create may have happened: whatever the lookup says, the next
		// call starts with a lookup too (the session now has an error).
		if r, ok, ferr := pr.find(ctx, acct, s); ferr == nil && ok {
			pr.logger().InfoContext(ctx, "paycore pre-transaction found after unclear create",
				"session", s.ID, "ref", r.Ref, "err", err)
			return r, nil
		}
		return sms2vipps.Reservation{}, err
	}
	return pr.pending(ctx, acct, s, id, s.ReservedAmount), nil
}

func checkReserve(s *sms2vipps.Session) error {
	var v sms2vipps.Validation
	v.Check(s.ID != "", "session.id", "must not be empty")
	v.Check(len(s.MSISDN) > 1 && s.MSISDN[0] == '+', "session.msisdn", "must be E.164 with +")
	v.Check(s.ReservedAmount > 0, "session.reservedAmount", "must be positive")
	return v.Err()
}

func (pr *Provider) preTransaction(p *sms2vipps.Partner, s *sms2vipps.Session) PreTransactionRequest {
	ttl := p.ReservationTTL.D()
	if ttl <= 0 {
		ttl = DefaultReservationTTL
	}
	currency := p.Currency
	if currency == "" {
		currency = "NOK"
	}
	text := p.Texts.PaymentLink
	if text == "" {
		text = DefaultPaymentLinkText
	}
	req := PreTransactionRequest{
		PartnerID:                 p.PaycorePartnerID(),
		MSISDN:                    s.MSISDN,
		Amount:                    Kroner(s.ReservedAmount),
		Currency:                  currency,
		ExpiryUTC:                 Time{pr.now().Add(ttl).UTC().Truncate(time.Second)},
		CorrelationID:             s.ID,
		ReferenceID:               s.ID,
		Description:               p.Name,
		SMSNotificationOriginator: p.Originator,
		SMSNotificationText:       text,
		PaymentProviders:          p.Paycore.PaymentProviders,
		CampaignID:                max(p.Paycore.CampaignID, 0),
	}
	if pr.CallbackURL != nil {
		req.StatusCallbackURL = pr.CallbackURL(s.ID)
	}
	return req
}

// find looks the session's pre-transaction up by correlationId; ok is false
// when Paycore has none.
func (pr *Provider) find(ctx context.Context, acct Account, s *sms2vipps.Session) (r sms2vipps.Reservation, ok bool, err error) {
	list, err := pr.Client.FindPreTransactions(ctx, acct, s.ID)
	if err != nil {
		return r, false, err
	}
	var match []PreTransactionSummary
	for _, pt := range list {
		// Guard against a server that ignores the filter.
		if pt.PreTransactionID != "" && (pt.CorrelationID == "" || pt.CorrelationID == s.ID) {
			match = append(match, pt)
		}
	}
	if len(match) == 0 {
		return r, false, nil
	}
	if len(match) > 1 {
		pr.logger().WarnContext(ctx, "paycore holds several pre-transactions for one session; using the first",
			"session", s.ID, "count", len(match))
	}
	amount := match[0].Amount.Amount()
	if amount == 0 {
		amount = s.ReservedAmount
	}
	return pr.pending(ctx, acct, s, string(match[0].PreTransactionID), amount), true, nil
}

// pending returns the PENDING reservation for pre-transaction id, with the
// payment link when Paycore tells it. The link is a nicety, so a failed
// read does not fail the reservation. Notified is always true: the
// pre-transaction's smsNotificationText makes Paycore text the user the
// link itself.
func (pr *Provider) pending(ctx context.Context, acct Account, s *sms2vipps.Session, id string, amount sms2vipps.Amount) sms2vipps.Reservation {
	r := sms2vipps.Reservation{Ref: id, State: sms2vipps.ReservationPending, Amount: amount, PaymentURL: s.PaymentURL, Notified: true}
	pt, err := pr.Client.GetPreTransaction(ctx, acct, id)
	if err != nil {
		pr.logger().WarnContext(ctx, "paycore pre-transaction not readable after reserve", "session", s.ID, "ref", id, "err", err)
		return r
	}
	if pt.PaymentSelectionPageURL != "" {
		r.PaymentURL = pt.PaymentSelectionPageURL
	}
	return r
}

// Reservation reads the session's transaction; while there is none (the
// user has not paid) the pre-transaction says PENDING or, past its expiry,
// EXPIRED. ENOTFOUND when the session has no ref or Paycore has neither.
func (pr *Provider) Reservation(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session) (sms2vipps.Reservation, error) {
	if s.ProviderRef == "" {
		return sms2vipps.Reservation{}, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "session has no paycore reservation")
	}
	acct := AccountOf(p)
	r, err := pr.transaction(ctx, acct, s.ProviderRef)
	if sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
		return r, err
	}
	pt, err := pr.Client.GetPreTransaction(ctx, acct, s.ProviderRef)
	if err != nil {
		return sms2vipps.Reservation{}, err
	}
	r = sms2vipps.Reservation{Ref: s.ProviderRef, State: sms2vipps.ReservationPending,
		Amount: pt.Amount.Amount(), PaymentURL: pt.PaymentSelectionPageURL}
	if (!pt.ExpiryUTC.IsZero() && !pr.now().Before(pt.ExpiryUTC.Time)) || isExpired(pt.Status) {
		r.State = sms2vipps.ReservationExpired
	}
	return r, nil
}

// transaction reads transaction id as a Reservation; ENOTFOUND while it does
// not exist.
func (pr *Provider) transaction(ctx context.Context, acct Account, id string) (sms2vipps.Reservation, error) {
	t, err := pr.Client.GetTransaction(ctx, acct, id)
	if err != nil {
		return sms2vipps.Reservation{}, err
	}
	return pr.fromTransaction(ctx, id, t), nil
}

func (pr *Provider) fromTransaction(ctx context.Context, id string, t *Transaction) sms2vipps.Reservation {
	state, known := t.State()
	if !known {
		if _, seen := pr.unknown.LoadOrStore(t.Status, true); !seen {
			pr.logger().WarnContext(ctx, "paycore transaction status not in our table",
				"status", t.Status, "success", t.Success, "statusCode", t.StatusCode, "mappedTo", state)
		}
	}
	r := sms2vipps.Reservation{Ref: id, State: state, Amount: t.Amount.Amount(), ReservedAt: t.CreatedDateUTC.Time}
	if t.TransactionID != "" {
		r.Ref = string(t.TransactionID)
	}
	if state == sms2vipps.ReservationCaptured {
		r.Captured = r.Amount
		if t.CapturedAmount != nil {
			r.Captured = t.CapturedAmount.Amount()
		}
	}
	return r
}

// Capture takes amount of the session's reservation: all of it (PUT
// .../capture) when amount is at least the reserved amount, else PUT
// .../capture?amount=. A capture is never repeated blindly: a session tried
// before, and any failed capture, is settled by reading the transaction
// back, and a transaction already CAPTURED is a success. Errors: EUPSTREAM
// (unclear and still reserved: call again later), EINVALID (refused for
// good), EUNAUTHORIZED, EUNAVAILABLE, ENOTFOUND (no ref). An amount of zero
// captures nothing and returns the reservation as it is.
func (pr *Provider) Capture(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session, amount sms2vipps.Amount) (sms2vipps.Reservation, error) {
	switch {
	case s.ProviderRef == "":
		return sms2vipps.Reservation{}, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "session has no paycore reservation")
	case amount < 0:
		return sms2vipps.Reservation{}, sms2vipps.Errorf(sms2vipps.EINVALID, "capture amount must not be negative")
	case amount == 0:
		return pr.Reservation(ctx, p, s)
	}
	acct := AccountOf(p)
	if s.Attempts > 0 || s.LastError != "" {
		// An earlier capture may have worked and lost its answer. Paycore
		// takes no idempotency key, so capture again only once a read has
		// shown it did not: a read that fails leaves it unclear, for later.
		r, err := pr.transaction(ctx, acct, s.ProviderRef)
		switch {
		case err == nil && r.State == sms2vipps.ReservationCaptured:
			return r, nil
		case err != nil && sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND:
			return sms2vipps.Reservation{}, err
		}
	}
	var part *sms2vipps.Amount
	if amount < s.ReservedAmount {
		part = &amount
	}
	t, err := pr.Client.Capture(ctx, acct, s.ProviderRef, part)
	if err == nil {
		return pr.captured(ctx, s, t, amount), nil
	}
	switch sms2vipps.ErrorCode(err) {
	case sms2vipps.EUNAUTHORIZED, sms2vipps.EUNAVAILABLE:
		return sms2vipps.Reservation{}, err // not acted on; a read would fare no better
	}
	r, rerr := pr.transaction(ctx, acct, s.ProviderRef)
	switch {
	case rerr != nil && sms2vipps.ErrorCode(rerr) != sms2vipps.ENOTFOUND:
		return sms2vipps.Reservation{}, err
	case r.State == sms2vipps.ReservationCaptured:
		pr.logger().InfoContext(ctx, "paycore capture settled by read-back", "session", s.ID, "ref", r.Ref, "err", err)
		return r, nil
	case rerr != nil, r.State == sms2vipps.ReservationFailed, r.State == sms2vipps.ReservationExpired:
		// No transaction, or a dead one: capturing again cannot help.
		return r, sms2vipps.WrapError(sms2vipps.EINVALID, "paycore reservation cannot be captured", err)
	}
	return sms2vipps.Reservation{}, err
}

// captured is the reservation after an accepted capture. The answer's body
// is optional (204), and its status may be a value we do not know, but the
// 2xx itself says the capture was made.
func (pr *Provider) captured(ctx context.Context, s *sms2vipps.Session, t *Transaction, amount sms2vipps.Amount) sms2vipps.Reservation {
	want := sms2vipps.Min(amount, s.ReservedAmount)
	r := sms2vipps.Reservation{Ref: s.ProviderRef, Amount: s.ReservedAmount}
	if t != nil {
		r = pr.fromTransaction(ctx, s.ProviderRef, t)
		if r.State != sms2vipps.ReservationCaptured {
			pr.logger().WarnContext(ctx, "paycore accepted a capture but reports another status",
				"session", s.ID, "status", t.Status)
		}
		if t.CapturedAmount == nil || r.State != sms2vipps.ReservationCaptured {
			// "amount" may still be what was reserved, not what was taken.
			r.Captured = want
		}
	} else {
		r.Captured = want
	}
	r.State = sms2vipps.ReservationCaptured
	return r
}

// Release does nothing: Paycore documents no cancel, and an uncaptured
// reservation lapses by itself (PAYCORE.md decision 8).
func (pr *Provider) Release(context.Context, *sms2vipps.Partner, *sms2vipps.Session) error {
	return nil
}
