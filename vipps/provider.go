package vipps

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/linkmobility/sms2vipps"
)

// Idempotency key prefixes of PaymentProvider, one per kind of write, each
// followed by the session id: the same session always sends the same key
// for the same write, and different writes never share one.
const (
	keyCreate    = "c" // create, as PUSH_MESSAGE or WEB_REDIRECT
	keyWebCreate = "w" // create as WEB_REDIRECT after PUSH_MESSAGE was refused (5080)
	keyCapture   = "k" // capture
	keyCancel    = "x" // cancel of an AUTHORIZED payment (release the rest)
	keyTerminate = "t" // cancel of a CREATED payment (end it)
)

// ePayment error codes the provider acts on (VIPPS.md §2).
const (
	codeReferenceExists = "4150" // a payment with this reference exists
	codePushNotAllowed  = "5080" // the sales unit may not use PUSH_MESSAGE
)

// PaymentProvider implements sms2vipps.PaymentProvider on the ePayment API:
// a session's reservation is a WALLET payment whose reference is the
// session id, authorised by the user and then captured and cancelled by
// us. Every write's Idempotency-Key is derived from the session id, so a
// repeated call (after a crash or an unclear answer) returns the first
// result and never reserves or captures twice.
type PaymentProvider struct {
	// Client calls Vipps; required.
	Client *Client
	// Now is the clock (default time.Now). An authorisation time that Vipps
	// reports in our future (clock skew) is taken as now, so billing never
	// starts after the moment we learnt of it.
	Now func() time.Time
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// ReturnURL returns the page a WEB_REDIRECT payment sends the user back
	// to, for partners without Vipps.ReturnURL.
	ReturnURL func(sessionID string) string

	unknown sync.Map // states outside the table, logged once each
}

var _ sms2vipps.PaymentProvider = (*PaymentProvider)(nil)

func (pr *PaymentProvider) now() time.Time {
	if pr.Now != nil {
		return pr.Now()
	}
	return time.Now()
}

func (pr *PaymentProvider) logger() *slog.Logger {
	if pr.Logger != nil {
		return pr.Logger
	}
	return slog.Default()
}

// idemKey derives a write's Idempotency-Key from the session id: prefix-id
// when that is a valid key (a UUID gives 38 characters), else prefix and a
// hash of the id cut to 40 characters.
func idemKey(prefix, id string) string {
	if k := prefix + "-" + id; ValidIdempotencyKey(k) {
		return k
	}
	sum := sha256.Sum256([]byte(id))
	return (prefix + "-" + hex.EncodeToString(sum[:]))[:maxKey]
}

// ref is the payment's reference: the one Vipps confirmed, else the
// session id it was created with.
func ref(s *sms2vipps.Session) string {
	if s.ProviderRef != "" {
		return s.ProviderRef
	}
	return s.ID
}

func currency(p *sms2vipps.Partner) string {
	if p.Currency != "" {
		return p.Currency
	}
	return "NOK"
}

// code returns the Vipps error code in err's chain.
func code(err error) string {
	if e := ErrorOf(err); e != nil {
		return e.Code
	}
	return ""
}

// Reserve creates the session's payment: s.ReservedAmount as a WALLET
// payment whose reference is the session id. A partner allowed to push gets
// PUSH_MESSAGE to s.MSISDN (the app notifies the user: Notified); else, or
// when Vipps refuses the push for the sales unit (5080), WEB_REDIRECT, whose
// link the app must text (PaymentURL). A create answered "reference
// exists" (4150, 409) or unclearly (EUPSTREAM) is settled by reading the
// payment: if it exists, an earlier attempt made it and it is returned.
// Errors: EINVALID (refused for good), EUNAUTHORIZED, EUNAVAILABLE,
// EUPSTREAM (unclear and not found: call again, the same keys are sent).
func (pr *PaymentProvider) Reserve(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session) (sms2vipps.Reservation, error) {
	var v sms2vipps.Validation
	v.Check(validReference(s.ID), "session.id", "must be a Vipps reference: 8-50 letters, digits or '-'")
	v.Check(s.ReservedAmount > 0, "session.reservedAmount", "must be positive")
	if err := v.Err(); err != nil {
		return sms2vipps.Reservation{}, err
	}
	cred := CredentialsOf(p)
	push := p.Vipps.PushAllowed && s.MSISDN != ""
	r, err := pr.create(ctx, cred, p, s, push, idemKey(keyCreate, s.ID))
	if push && code(err) == codePushNotAllowed {
		// A refused create made nothing, so the reference is still free; a
		// new key, because the body differs and Vipps keeps the 4xx for
		// the first key (VIPPS.md §4).
		pr.logger().WarnContext(ctx, "vipps refused PUSH_MESSAGE for the sales unit; sending a link instead",
			"partner", p.ID, "msn", cred.MSN, "session", s.ID)
		r, err = pr.create(ctx, cred, p, s, false, idemKey(keyWebCreate, s.ID))
	}
	return r, err
}

// create makes one create and settles a refused or unclear answer.
func (pr *PaymentProvider) create(ctx context.Context, cred Credentials, p *sms2vipps.Partner, s *sms2vipps.Session, push bool, key string) (sms2vipps.Reservation, error) {
	req, err := pr.paymentRequest(p, s, push)
	if err != nil {
		return sms2vipps.Reservation{}, err
	}
	res, err := pr.Client.EPayment.Create(ctx, cred, key, req)
	if err == nil {
		return sms2vipps.Reservation{
			Ref:        first(res.Reference, s.ID),
			State:      sms2vipps.ReservationPending,
			Amount:     s.ReservedAmount,
			PaymentURL: res.RedirectURL,
			Notified:   push,
		}, nil
	}
	if !referenceExists(err) && sms2vipps.ErrorCode(err) != sms2vipps.EUPSTREAM {
		return sms2vipps.Reservation{}, err
	}
	pay, gerr := pr.Client.EPayment.Get(ctx, cred, s.ID)
	if gerr != nil {
		if sms2vipps.ErrorCode(gerr) != sms2vipps.ENOTFOUND {
			pr.logger().WarnContext(ctx, "vipps payment not readable after create", "session", s.ID, "err", gerr)
		}
		return sms2vipps.Reservation{}, err
	}
	pr.logger().InfoContext(ctx, "vipps payment found after create", "session", s.ID, "state", pay.State, "err", err)
	r := pr.reservation(ctx, pay, s)
	// A payment with a link was made as WEB_REDIRECT (by the fallback, if
	// this was the push create); without one, it was pushed only if this
	// create pushed. The link of an earlier answer is kept if GET has none.
	r.Notified = push && pay.RedirectURL == ""
	r.PaymentURL = first(pay.RedirectURL, s.PaymentURL)
	return r, nil
}

// referenceExists reports whether a create was refused because the
// reference is taken (4150) or the key was used before (409): either way a
// payment may exist, made by an earlier attempt.
func referenceExists(err error) bool {
	e := ErrorOf(err)
	return e != nil && (e.Code == codeReferenceExists || e.StatusCode == http.StatusConflict)
}

// paymentRequest is the create body for the session.
func (pr *PaymentProvider) paymentRequest(p *sms2vipps.Partner, s *sms2vipps.Session, push bool) (CreatePaymentRequest, error) {
	req := CreatePaymentRequest{
		Amount:             Money{Currency: currency(p), Value: s.ReservedAmount},
		PaymentMethod:      PaymentMethod{Type: MethodWallet},
		Reference:          s.ID,
		PaymentDescription: description(p.Name),
	}
	if push {
		req.UserFlow = FlowPushMessage
		req.Customer = &Customer{PhoneNumber: s.MSISDN.Digits()}
		return req, nil
	}
	req.UserFlow = FlowWebRedirect
	req.ReturnURL = p.Vipps.ReturnURL
	if req.ReturnURL == "" && pr.ReturnURL != nil {
		req.ReturnURL = pr.ReturnURL(s.ID)
	}
	if req.ReturnURL == "" {
		return req, sms2vipps.Errorf(sms2vipps.EINVALID, "partner %d has no Vipps return URL for a payment link", p.ID)
	}
	return req, nil
}

// description is the partner's name as a paymentDescription (3–100
// characters): cut when longer, left out when shorter.
func description(name string) string {
	name = strings.Join(strings.Fields(name), " ")
	if utf8.RuneCountInString(name) < 3 {
		return ""
	}
	if utf8.RuneCountInString(name) > 100 {
		name = string([]rune(name)[:100])
	}
	return name
}

// Reservation reads the session's payment. ReservedAt is the time of the
// successful AUTHORIZED event, read from the event log when the payment is
// AUTHORIZED (one call more; when it fails, ReservedAt stays zero). ENOTFOUND
// when Vipps has no such payment.
func (pr *PaymentProvider) Reservation(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session) (sms2vipps.Reservation, error) {
	cred := CredentialsOf(p)
	pay, err := pr.Client.EPayment.Get(ctx, cred, ref(s))
	if err != nil {
		return sms2vipps.Reservation{}, err
	}
	r := pr.reservation(ctx, pay, s)
	if pay.State == PaymentAuthorized {
		events, err := pr.Client.EPayment.Events(ctx, cred, ref(s))
		if err != nil {
			pr.logger().WarnContext(ctx, "vipps event log not readable", "session", s.ID, "err", err)
			return r, nil
		}
		for _, ev := range events {
			if ev.Name == EventAuthorized && ev.Success && !ev.Timestamp.IsZero() {
				r.ReservedAt = ev.Timestamp
				if now := pr.now(); r.ReservedAt.After(now) {
					r.ReservedAt = now
				}
				break
			}
		}
	}
	return r, nil
}

// reservation maps a payment to the domain's view (VIPPS.md §2: the state
// stays AUTHORIZED after capture and cancel, so the aggregate tells):
//
//	CREATED                               PENDING
//	AUTHORIZED, something captured        CAPTURED
//	AUTHORIZED, all of it cancelled       FAILED (released before capture)
//	AUTHORIZED                            RESERVED
//	ABORTED, TERMINATED                   FAILED
//	EXPIRED                               EXPIRED
//
// A state outside the table is logged once and taken as PENDING, so the
// session is looked at again rather than closed.
func (pr *PaymentProvider) reservation(ctx context.Context, pay *Payment, s *sms2vipps.Session) sms2vipps.Reservation {
	agg := pay.Aggregate
	r := sms2vipps.Reservation{
		Ref:        first(pay.Reference, ref(s)),
		Amount:     pay.Amount.Value,
		Captured:   agg.CapturedAmount.Value,
		PaymentURL: pay.RedirectURL,
	}
	if agg.AuthorizedAmount.Value > 0 {
		r.Amount = agg.AuthorizedAmount.Value
	}
	switch pay.State {
	case PaymentCreated:
		r.State = sms2vipps.ReservationPending
	case PaymentAuthorized:
		switch {
		case agg.CapturedAmount.Value > 0:
			r.State = sms2vipps.ReservationCaptured
		case agg.AuthorizedAmount.Value > 0 && agg.CancelledAmount.Value >= agg.AuthorizedAmount.Value:
			r.State = sms2vipps.ReservationFailed
		default:
			r.State = sms2vipps.ReservationReserved
		}
	case PaymentAborted, PaymentTerminated:
		r.State = sms2vipps.ReservationFailed
	case PaymentExpired:
		r.State = sms2vipps.ReservationExpired
	default:
		r.State = sms2vipps.ReservationPending
		if _, seen := pr.unknown.LoadOrStore(pay.State, true); !seen {
			pr.logger().WarnContext(ctx, "vipps payment state not in our table", "state", pay.State, "session", s.ID)
		}
	}
	return r
}

// Capture takes amount of the session's payment with the session's capture
// key. An unclear or refused capture is settled by reading the payment: if
// capturedAmount already reaches amount (an earlier attempt worked), it is a
// success. An amount of zero captures nothing and calls nothing. Errors:
// EUPSTREAM (unclear and not yet captured: call again, the same key and
// amount are sent), EINVALID (refused for good), EUNAUTHORIZED,
// EUNAVAILABLE, ENOTFOUND.
func (pr *PaymentProvider) Capture(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session, amount sms2vipps.Amount) (sms2vipps.Reservation, error) {
	switch {
	case amount < 0:
		return sms2vipps.Reservation{}, sms2vipps.Errorf(sms2vipps.EINVALID, "capture amount must not be negative")
	case amount == 0:
		return sms2vipps.Reservation{Ref: ref(s), State: sms2vipps.ReservationReserved,
			Amount: s.ReservedAmount, Captured: s.CapturedAmount}, nil
	}
	cred := CredentialsOf(p)
	mod, err := pr.Client.EPayment.Capture(ctx, cred, idemKey(keyCapture, s.ID), ref(s), Money{Currency: currency(p), Value: amount})
	if err == nil {
		r := sms2vipps.Reservation{Ref: first(mod.Reference, ref(s)), State: sms2vipps.ReservationCaptured,
			Amount: mod.Aggregate.AuthorizedAmount.Value, Captured: mod.Aggregate.CapturedAmount.Value}
		if r.Amount == 0 {
			r.Amount = s.ReservedAmount
		}
		if r.Captured < amount {
			// The 2xx says the capture was made, whatever the body says.
			r.Captured = amount
		}
		return r, nil
	}
	if sms2vipps.ErrorCode(err) == sms2vipps.EUNAUTHORIZED {
		return sms2vipps.Reservation{}, err // a read would be refused as well
	}
	pay, gerr := pr.Client.EPayment.Get(ctx, cred, ref(s))
	if gerr == nil && pay.Aggregate.CapturedAmount.Value >= amount {
		pr.logger().InfoContext(ctx, "vipps capture settled by read-back", "session", s.ID,
			"captured", int64(pay.Aggregate.CapturedAmount.Value), "err", err)
		return pr.reservation(ctx, pay, s), nil
	}
	return sms2vipps.Reservation{}, err
}

// Release gives back what the session's payment holds and we did not
// capture. It reads the payment first and cancels only when something is
// left: a CREATED payment is ended (TERMINATED); an AUTHORIZED one has its
// uncaptured rest released. A payment that is ABORTED, EXPIRED, TERMINATED,
// fully captured or already cancelled, or that does not exist, needs
// nothing. An unclear or refused cancel is settled by reading back.
func (pr *PaymentProvider) Release(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session) error {
	cred := CredentialsOf(p)
	pay, err := pr.Client.EPayment.Get(ctx, cred, ref(s))
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		pr.logger().InfoContext(ctx, "vipps has no payment to release", "session", s.ID)
		return nil
	}
	if err != nil {
		return err
	}
	if nothingHeld(pay) {
		return nil
	}
	key := idemKey(keyCancel, s.ID)
	if pay.State == PaymentCreated {
		key = idemKey(keyTerminate, s.ID)
	}
	// A CREATED and an AUTHORIZED payment get different keys: if the end of
	// a CREATED payment is refused while the user approves it, the 4xx
	// kept for that key must not block releasing the authorisation.
	_, err = pr.Client.EPayment.Cancel(ctx, cred, key, ref(s), false)
	if err == nil || sms2vipps.ErrorCode(err) == sms2vipps.EUNAUTHORIZED {
		return err
	}
	back, gerr := pr.Client.EPayment.Get(ctx, cred, ref(s))
	if gerr == nil && nothingHeld(back) {
		pr.logger().InfoContext(ctx, "vipps release settled by read-back", "session", s.ID, "state", back.State, "err", err)
		return nil
	}
	return err
}

// nothingHeld reports whether the payment holds nothing that a cancel
// could release: it ended without authorisation, or what was captured and
// what was cancelled cover the authorisation. A state outside the table
// counts as holding something, so it is not skipped silently.
func nothingHeld(pay *Payment) bool {
	switch pay.State {
	case PaymentAborted, PaymentExpired, PaymentTerminated:
		return true
	case PaymentAuthorized:
		a := pay.Aggregate
		return a.CancelledAmount.Value+a.CapturedAmount.Value >= a.AuthorizedAmount.Value
	}
	return false
}
