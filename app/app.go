// Package app holds the use cases of sms2vipps: what an incoming SMS does,
// how a pay-per-use session moves from reservation to capture, and what
// the Reconciler timer finishes. It knows the domain and its ports only:
// no HTTP, no SQL, no SDK.
package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// App runs the use cases. Set the exported fields, then call Init (or use
// the zero defaults that Init fills in).
type App struct {
	Store     sms2vipps.Store
	Partners  sms2vipps.PartnerRegistry
	Providers map[sms2vipps.Backend]sms2vipps.PaymentProvider
	SMS       sms2vipps.SMSSender
	Links     *Links
	// Agreements set up recurring agreements, by backend; CRM adds
	// subscribers to the partner's groups. Both nil: no subscriptions.
	Agreements map[sms2vipps.Backend]sms2vipps.AgreementProvider
	CRM        sms2vipps.CRM
	// Charges create and read the charges of subscriptions, by backend
	// (only backends whose subscriptions we charge: Paycore charges its
	// own).
	Charges map[sms2vipps.Backend]sms2vipps.ChargeProvider
	// Nonces is the partner API's nonce cache; the Reconciler sweeps it.
	// Nil: nothing to sweep.
	Nonces sms2vipps.NonceCache

	// Now is the clock; tests move it.
	Now func() time.Time
	// NewID makes session ids (random UUIDs by default).
	NewID func() string
	Log   *slog.Logger
	// Instance names this process in leases, so an operator can tell who
	// holds a row.
	Instance string
	// LeaseTTL bounds how long one worker may hold a session or an SMS. It
	// must outlast the slowest provider call with its retries.
	LeaseTTL time.Duration
	// PollEvery is how soon the Reconciler looks again at a reservation the
	// user has not paid yet. Zero means the default (30 s); a negative value
	// means at the very next run.
	PollEvery time.Duration
	// RetryBase is the wait after a first failed provider or gateway call;
	// it doubles with each failure in a row, up to an hour. Zero means the
	// default (30 s); a negative value means at the very next run.
	RetryBase time.Duration
	// BatchSize is how many rows the Reconciler takes per round.
	BatchSize int
	// Workers bounds how much work the Reconciler and the charger do at
	// once (default 8).
	Workers int
	// ChargeBatch is how many rows one charger claim takes (default 2,000,
	// the most Vipps's batch endpoint takes in one call).
	ChargeBatch int
	// MaxSMSAttempts is when an SMS (or a webhook event) that keeps failing
	// is given up.
	MaxSMSAttempts int
}

// Init fills in the defaults of unset fields and checks the required ones.
func (a *App) Init() error {
	if a.Store == nil || a.Partners == nil || a.SMS == nil || a.Links == nil || len(a.Providers) == 0 {
		return fmt.Errorf("app: Store, Partners, SMS, Links and Providers are required")
	}
	if a.Now == nil {
		a.Now = time.Now
	}
	if a.NewID == nil {
		a.NewID = NewUUID
	}
	if a.Log == nil {
		a.Log = slog.Default()
	}
	if a.Instance == "" {
		a.Instance = "app-" + randomHex(4)
	}
	if a.LeaseTTL == 0 {
		a.LeaseTTL = 2 * time.Minute
	}
	if a.PollEvery == 0 {
		a.PollEvery = 30 * time.Second
	}
	if a.RetryBase == 0 {
		a.RetryBase = 30 * time.Second
	}
	if a.BatchSize == 0 {
		a.BatchSize = 200
	}
	if a.ChargeBatch == 0 {
		a.ChargeBatch = defaultChargeBatch
	}
	if a.Workers == 0 {
		a.Workers = 8
	}
	if a.MaxSMSAttempts == 0 {
		a.MaxSMSAttempts = 30
	}
	return nil
}

func (a *App) now() time.Time { return a.Now().UTC() }

// pollAfter is when an unpaid reservation is looked at again.
func (a *App) pollAfter(now time.Time) time.Time { return now.Add(max(a.PollEvery, 0)) }

// owner returns a fresh lease owner: two overlapping runs in one process
// must not count as the same holder.
func (a *App) owner() string { return a.Instance + "/" + randomHex(6) }

func (a *App) provider(p *sms2vipps.Partner) (sms2vipps.PaymentProvider, error) {
	prov, ok := a.Providers[p.Backend]
	if !ok {
		return nil, sms2vipps.Errorf(sms2vipps.EINTERNAL, "no provider for backend %q", p.Backend)
	}
	return prov, nil
}

// backoff returns how long to wait after the n-th failure in a row:
// RetryBase, twice that, four times, ... capped at one hour.
func (a *App) backoff(n int) time.Duration {
	if a.RetryBase < 0 {
		return 0
	}
	d := a.RetryBase
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// atomicRetry runs fn in a transaction, again when a concurrent writer made
// it conflict (a unique key or a stale version), so that the second run
// sees what the other writer did.
func (a *App) atomicRetry(ctx context.Context, fn func(tx sms2vipps.Store) error) error {
	var err error
	for range 3 {
		err = a.Store.Atomic(ctx, fn)
		if sms2vipps.ErrorCode(err) != sms2vipps.ECONFLICT {
			return err
		}
	}
	return err
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
