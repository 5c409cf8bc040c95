package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/linkmobility/sms2vipps"
)

const (
	defaultReservationTTL = 10 * time.Minute
	// expiryGrace lets a provider report a reservation's end itself before
	// we close the session on our own clock.
	expiryGrace = 10 * time.Minute
	// maxSteps bounds how far one Process call walks the state machine.
	maxSteps = 4
)

// errBusy means another worker holds the session; it will finish the job.
var errBusy = errors.New("session is held by another worker")

// Process takes the session's lease and moves it as far as the providers
// allow right now: reserve, learn that the user paid, capture, close. It
// is what every trigger calls (an MO, a status callback, the Reconciler),
// so the rules live in one place. It returns the session as it left it.
func (a *App) Process(ctx context.Context, id string) (*sms2vipps.Session, error) {
	owner := a.owner()
	now := a.now()
	s, err := a.Store.ClaimSession(ctx, id, owner, now, now.Add(a.LeaseTTL))
	if sms2vipps.ErrorCode(err) == sms2vipps.ECONFLICT {
		return a.sessionOrNil(ctx, id), errBusy
	}
	if err != nil {
		return nil, fmt.Errorf("claim session %s: %w", id, err)
	}
	defer func() {
		if err := a.Store.ReleaseSession(context.WithoutCancel(ctx), id, owner); err != nil {
			a.Log.Warn("release session lease", "session", id, "err", err)
		}
	}()
	p, err := a.Partners.Partner(ctx, s.PartnerID)
	if err != nil {
		// The partner was removed or the registry is down: look again later.
		s.LastError = "partner: " + sms2vipps.ErrorMessage(err)
		s.NextCheck = a.now().Add(time.Hour)
		_ = a.Store.UpdateSession(ctx, s)
		return s, fmt.Errorf("partner %d of session %s: %w", s.PartnerID, id, err)
	}
	prov, err := a.provider(p)
	if err != nil {
		return s, err
	}
	for range maxSteps {
		before := s.State
		switch s.State {
		case sms2vipps.SessionReserving:
			err = a.reserve(ctx, p, prov, s)
		case sms2vipps.SessionAwaitingPayment:
			err = a.refresh(ctx, p, prov, s)
		case sms2vipps.SessionActive:
			err = a.maybeAutoClose(ctx, p, s)
		case sms2vipps.SessionCapturing:
			err = a.settle(ctx, p, prov, s)
		}
		if err != nil || s.State == before {
			break
		}
	}
	return s, err
}

func (a *App) sessionOrNil(ctx context.Context, id string) *sms2vipps.Session {
	s, err := a.Store.Session(ctx, id)
	if err != nil {
		return nil
	}
	return s
}

// reserve asks the provider for the reservation (again, after a failure:
// the provider finds the first attempt by the session id).
func (a *App) reserve(ctx context.Context, p *sms2vipps.Partner, prov sms2vipps.PaymentProvider, s *sms2vipps.Session) error {
	r, err := prov.Reserve(ctx, p, s)
	if err != nil {
		if sms2vipps.ErrorCode(err) == sms2vipps.EINVALID {
			a.Log.Error("reservation refused", "session", s.ID, "partner", p.ID, "err", err)
			return a.close(ctx, p, s, sms2vipps.OutcomePaymentFailed, err.Error(), "failed:"+s.ID,
				text(p, func(t *sms2vipps.Texts) string { return t.PaymentFailed }))
		}
		return a.failed(ctx, s, "reserve", err)
	}
	now := a.now()
	s.ProviderRef, s.PaymentURL = r.Ref, r.PaymentURL
	if r.Amount > 0 {
		s.ReservedAmount = r.Amount
	}
	s.State, s.Attempts, s.LastError, s.NextCheck = sms2vipps.SessionAwaitingPayment, 0, "", a.pollAfter(now)
	return a.atomicUpdate(ctx, s, func(tx sms2vipps.Store) error {
		if r.Notified || r.PaymentURL == "" {
			return nil
		}
		return a.enqueue(ctx, tx, p, s, "link:"+s.ID, render(text(p, func(t *sms2vipps.Texts) string { return t.PaymentLink }),
			map[string]string{"paymentSelectionPageUrl": r.PaymentURL, "paymentUrl": r.PaymentURL}))
	})
}

// refresh asks the provider whether the user has paid.
func (a *App) refresh(ctx context.Context, p *sms2vipps.Partner, prov sms2vipps.PaymentProvider, s *sms2vipps.Session) error {
	r, err := prov.Reservation(ctx, p, s)
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		r, err = sms2vipps.Reservation{State: sms2vipps.ReservationPending}, nil
	}
	if err != nil {
		return a.failed(ctx, s, "read reservation", err)
	}
	now := a.now()
	switch r.State {
	case sms2vipps.ReservationReserved, sms2vipps.ReservationCaptured:
		s.StartedAt = billingStart(r.ReservedAt, s.OpenedAt, now)
		if r.Amount > 0 {
			s.ReservedAmount = r.Amount
		}
		s.Attempts, s.LastError = 0, ""
		if !s.EndedAt.IsZero() {
			// ENDCHARGE came before we learnt of the payment.
			a.toCapturing(p, s, s.EndedAt)
			a.Log.Info("session reserved after it ended", "session", s.ID, "partner", p.ID)
			return a.atomicUpdate(ctx, s, nil)
		}
		s.State, s.NextCheck = sms2vipps.SessionActive, autoCloseAt(p, s)
		a.Log.Info("session active", "session", s.ID, "partner", p.ID, "reserved", int64(s.ReservedAmount))
		return a.atomicUpdate(ctx, s, func(tx sms2vipps.Store) error {
			return a.enqueue(ctx, tx, p, s, "started:"+s.ID, text(p, func(t *sms2vipps.Texts) string { return t.SessionStarted }))
		})
	case sms2vipps.ReservationFailed:
		return a.close(ctx, p, s, sms2vipps.OutcomePaymentFailed, "", "failed:"+s.ID,
			text(p, func(t *sms2vipps.Texts) string { return t.PaymentFailed }))
	case sms2vipps.ReservationExpired:
		return a.close(ctx, p, s, sms2vipps.OutcomeExpired, "", "failed:"+s.ID,
			text(p, func(t *sms2vipps.Texts) string { return t.PaymentFailed }))
	}
	// Still pending.
	switch {
	case !s.EndedAt.IsZero():
		// Ended before the user paid: charge nothing. The provider's request
		// is released (Paycore lets it lapse by itself).
		if err := prov.Release(ctx, p, s); err != nil {
			return a.failed(ctx, s, "release", err)
		}
		return a.close(ctx, p, s, sms2vipps.OutcomeEndedUnpaid, "", "unpaid:"+s.ID,
			text(p, func(t *sms2vipps.Texts) string { return t.EndedUnpaid }))
	case now.After(s.ExpiresAt.Add(expiryGrace)):
		// The provider never said; our own clock says the link is dead.
		if err := prov.Release(ctx, p, s); err != nil {
			return a.failed(ctx, s, "release", err)
		}
		return a.close(ctx, p, s, sms2vipps.OutcomeExpired, "", "failed:"+s.ID,
			text(p, func(t *sms2vipps.Texts) string { return t.PaymentFailed }))
	}
	s.NextCheck = a.pollAfter(now)
	return a.Store.UpdateSession(ctx, s)
}

// maybeAutoClose ends a session that ran past the partner's maximum
// duration, priced as if it ended at the maximum.
func (a *App) maybeAutoClose(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session) error {
	end := autoCloseAt(p, s)
	if a.now().Before(end) {
		return nil
	}
	a.toCapturing(p, s, end)
	a.Log.Info("session ran past its maximum; closing", "session", s.ID, "partner", p.ID)
	return a.atomicUpdate(ctx, s, nil)
}

// toCapturing fixes the session's end and price. The capture amount is
// recorded before any capture call, so a retry captures the same amount.
func (a *App) toCapturing(p *sms2vipps.Partner, s *sms2vipps.Session, end time.Time) {
	if end.Before(s.StartedAt) {
		end = s.StartedAt
	}
	s.EndedAt = end
	s.Price = p.Tariff.Price(end.Sub(s.StartedAt))
	s.CaptureAmount = sms2vipps.Min(s.Price, s.ReservedAmount)
	s.State, s.NextCheck = sms2vipps.SessionCapturing, a.now()
}

// settle captures the recorded amount, releases the rest and closes.
func (a *App) settle(ctx context.Context, p *sms2vipps.Partner, prov sms2vipps.PaymentProvider, s *sms2vipps.Session) error {
	if s.CaptureAmount > 0 && s.CapturedAmount == 0 {
		if s.Attempts == 0 && s.LastError == "" {
			// Say that a capture is on its way before sending it. Should
			// this process die, or fail to record the answer, the next try
			// sees the note and has the provider read the payment back
			// before it captures again.
			s.LastError = "capture: sent, answer not recorded"
			if err := a.Store.UpdateSession(ctx, s); err != nil {
				return fmt.Errorf("note capture of %s: %w", s.ID, err)
			}
		}
		r, err := prov.Capture(ctx, p, s, s.CaptureAmount)
		if err != nil {
			if sms2vipps.ErrorCode(err) == sms2vipps.EINVALID {
				a.Log.Error("capture refused; needs an operator", "session", s.ID, "partner", p.ID,
					"amount", int64(s.CaptureAmount), "err", err)
				return a.close(ctx, p, s, sms2vipps.OutcomeCaptureFailed, err.Error(), "", "")
			}
			return a.failed(ctx, s, "capture", err)
		}
		s.CapturedAmount = r.Captured
		if s.CapturedAmount == 0 {
			s.CapturedAmount = s.CaptureAmount
		}
		s.Attempts, s.LastError = 0, ""
		a.Log.Info("captured", "session", s.ID, "partner", p.ID, "amount", int64(s.CapturedAmount))
		// Record the capture before releasing, so a failed release is
		// retried without capturing again.
		if err := a.Store.UpdateSession(ctx, s); err != nil {
			return fmt.Errorf("record capture of %s: %w", s.ID, err)
		}
	}
	if s.CapturedAmount < s.ReservedAmount {
		if err := prov.Release(ctx, p, s); err != nil {
			return a.failed(ctx, s, "release", err)
		}
	}
	if s.CapturedAmount == 0 {
		return a.close(ctx, p, s, sms2vipps.OutcomeNothingDue, "", "ended:"+s.ID,
			render(text(p, func(t *sms2vipps.Texts) string { return t.Ended }), map[string]string{"amount": sms2vipps.Amount(0).String()}))
	}
	key, msg := "ended:"+s.ID, render(text(p, func(t *sms2vipps.Texts) string { return t.Ended }), map[string]string{"amount": s.CapturedAmount.String()})
	if p.Receipt.Enabled {
		tmpl := p.Receipt.Template
		if tmpl == "" {
			tmpl = DefaultReceipt
		}
		key, msg = "receipt:"+s.ID, render(tmpl, map[string]string{"amount": s.CapturedAmount.String(), "receiptPageUrl": a.Links.ReceiptURL(s.ID)})
	}
	return a.close(ctx, p, s, sms2vipps.OutcomeCaptured, "", key, msg)
}

// close ends the session with outcome and, when key is set, the SMS, in
// one transaction.
func (a *App) close(ctx context.Context, p *sms2vipps.Partner, s *sms2vipps.Session, outcome sms2vipps.SessionOutcome, lastErr, key, msg string) error {
	now := a.now()
	s.State, s.Outcome, s.ClosedAt, s.LastError = sms2vipps.SessionClosed, outcome, now, lastErr
	if s.EndedAt.IsZero() {
		s.EndedAt = now
	}
	a.Log.Info("session closed", "session", s.ID, "partner", p.ID, "outcome", outcome,
		"price", int64(s.Price), "captured", int64(s.CapturedAmount))
	return a.atomicUpdate(ctx, s, func(tx sms2vipps.Store) error {
		if key == "" {
			return nil
		}
		return a.enqueue(ctx, tx, p, s, key, msg)
	})
}

// failed records an unclear or failed provider call and schedules a retry.
func (a *App) failed(ctx context.Context, s *sms2vipps.Session, op string, cause error) error {
	s.Attempts++
	s.LastError = op + ": " + cause.Error()
	s.NextCheck = a.now().Add(a.backoff(s.Attempts))
	a.Log.Warn("provider call failed; will retry", "session", s.ID, "op", op, "attempt", s.Attempts,
		"retryAt", s.NextCheck, "err", cause)
	if err := a.Store.UpdateSession(ctx, s); err != nil {
		return errors.Join(cause, err)
	}
	return cause
}

// atomicUpdate writes s and whatever more fn writes in one transaction.
func (a *App) atomicUpdate(ctx context.Context, s *sms2vipps.Session, fn func(tx sms2vipps.Store) error) error {
	version := s.Version
	err := a.Store.Atomic(ctx, func(tx sms2vipps.Store) error {
		s.Version = version // a rolled-back try must not leave a bumped version
		if err := tx.UpdateSession(ctx, s); err != nil {
			return err
		}
		if fn == nil {
			return nil
		}
		return fn(tx)
	})
	if err != nil {
		s.Version = version
		return fmt.Errorf("update session %s: %w", s.ID, err)
	}
	return nil
}

// billingStart is when the provider reserved the money, bounded by when the
// session opened and now, so clock skew never bills the user for time
// before the CHARGE or after now.
func billingStart(reservedAt, opened, now time.Time) time.Time {
	switch {
	case reservedAt.IsZero() || reservedAt.After(now):
		return now
	case reservedAt.Before(opened):
		return opened
	}
	return reservedAt.UTC()
}

// autoCloseAt is when a session ends by itself: at the partner's maximum
// duration, and on Vipps before the authorisation may lapse (the card
// networks hold a reservation about seven days), so the use is captured
// while it still can be. Far in the future when neither applies.
func autoCloseAt(p *sms2vipps.Partner, s *sms2vipps.Session) time.Time {
	end := s.StartedAt.Add(100 * 365 * 24 * time.Hour)
	if p.MaxSessionDuration > 0 {
		end = s.StartedAt.Add(p.MaxSessionDuration.D())
	}
	if p.Backend == sms2vipps.BackendVipps {
		life := p.Vipps.ReservationLifetime.D()
		if life <= 0 {
			life = defaultReservationLifetime
		}
		// Leave an hour for the Reconciler (every minute) and the capture.
		margin := min(time.Hour, life/2)
		end = minTime(end, s.StartedAt.Add(life-margin))
	}
	return end
}

// defaultReservationLifetime: Visa and BankAxept holds last about 7 days.
const defaultReservationLifetime = 7 * 24 * time.Hour

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}
