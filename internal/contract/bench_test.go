package contract_test

import (
	"fmt"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/linkmobility/sms2vipps/sandbox/sandboxtest"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/require"
)

// BenchmarkClient measures our client against the in-process simulator
// over loopback HTTP, rate limits off and no validator in the loop, for
// the calls a partner's traffic is made of: reading a payment (polling),
// creating and capturing one (pay-per-use; the user's approval in between
// is the simulator's Go API), and creating a charge (the nightly run). An
// op is one such step; "mix" takes them in turn, "mix parallel" from
// GOMAXPROCS goroutines. allocs/op counts both sides, client and
// simulator, as both run in this process.
func BenchmarkClient(b *testing.B) {
	sb := sandboxtest.Start(b, sandbox.Config{VippsSalesUnits: units, Seed: 1, VippsNoRateLimits: true})
	transport := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
	b.Cleanup(transport.CloseIdleConnections)
	c := vipps.NewClient(sb.PublicURL()+"/vipps", vipps.WithHTTPClient(&http.Client{Transport: transport}))
	cr := cred(msnMain)
	ctx := b.Context()

	// A payment to read, and an agreement to charge: VARIABLE pricing has
	// no ceiling over an interval, only per charge.
	wallet := vipps.PaymentMethod{Type: vipps.MethodWallet}
	_, err := c.EPayment.Create(ctx, cr, "bench-read", vipps.CreatePaymentRequest{Amount: vipps.NOK(1000),
		PaymentMethod: wallet, Reference: "bench-read-0001", UserFlow: vipps.FlowNativeRedirect})
	require.NoError(b, err)
	draft, err := c.Recurring.DraftAgreement(ctx, cr, "bench-draft", vipps.DraftAgreementRequest{
		Pricing:  vipps.Pricing{Type: vipps.PricingVariable, Currency: "NOK", SuggestedMaxAmount: 100000},
		Interval: &vipps.TimePeriod{Unit: vipps.UnitMonth, Count: 1}, ProductName: "Benchmark",
		MerchantRedirectURL: "https://partner.example/done", MerchantAgreementURL: "https://partner.example/my-page"})
	require.NoError(b, err)
	_, err = sb.Vipps.AcceptAgreement(draft.AgreementID)
	require.NoError(b, err)
	due := vipps.DateOf(sb.Clock.Now().In(oslo).AddDate(0, 0, 1))

	var seq atomic.Int64
	steps := []struct {
		name string
		do   func() error
	}{
		{"get payment", func() error {
			_, err := c.EPayment.Get(ctx, cr, "bench-read-0001")
			return err
		}},
		{"create+capture", func() error {
			ref := fmt.Sprintf("bench-pay-%08d", seq.Add(1))
			if _, err := c.EPayment.Create(ctx, cr, "c-"+ref, vipps.CreatePaymentRequest{Amount: vipps.NOK(2000),
				PaymentMethod: wallet, Reference: ref, UserFlow: vipps.FlowNativeRedirect}); err != nil {
				return err
			}
			if _, err := sb.Vipps.ApprovePayment(msnMain, ref); err != nil {
				return err
			}
			_, err := c.EPayment.Capture(ctx, cr, "k-"+ref, ref, vipps.NOK(2000))
			return err
		}},
		{"create charge", func() error {
			id := fmt.Sprintf("bench-chr-%08d", seq.Add(1))
			_, err := c.Recurring.CreateCharge(ctx, cr, id, draft.AgreementID, vipps.CreateChargeRequest{Amount: 5000,
				TransactionType: vipps.DirectCapture, Description: "Benchmark", Due: due, RetryDays: 2, OrderID: id})
			return err
		}},
	}
	report := func(b *testing.B, n int) {
		b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "ops/s")
	}
	for _, st := range steps {
		b.Run(st.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				if err := st.do(); err != nil {
					b.Fatal(err)
				}
				n++
			}
			report(b, n)
		})
	}
	b.Run("mix", func(b *testing.B) {
		b.ReportAllocs()
		n := 0
		for b.Loop() {
			if err := steps[n%len(steps)].do(); err != nil {
				b.Fatal(err)
			}
			n++
		}
		report(b, n)
	})
	b.Run("mix parallel", func(b *testing.B) {
		b.ReportAllocs()
		var n atomic.Int64
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if err := steps[int(n.Add(1))%len(steps)].do(); err != nil {
					b.Error(err)
					return
				}
			}
		})
		report(b, int(n.Load()))
	})
}
