package app_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnclearChargeIsReadBackNotSentAgain: the charge reached Vipps but
// its answer was lost, and Vipps stayed down for the read that should have
// settled it. The next run reads the charge back instead of creating it
// again.
func TestUnclearChargeIsReadBackNotSentAgain(t *testing.T) {
	f := newFixture(t)
	res := f.active(2001, "+4790000302", "order-unclear") // single calls

	f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Method: http.MethodPost, Path: "/charges", Times: 1,
		Action: sandbox.LostResponse()})
	down := f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Path: "/charges", Action: sandbox.Status(http.StatusServiceUnavailable)})
	rep := f.charge()
	require.Equal(t, 1, rep.Retrying, "unclear: %+v", rep)
	require.Len(t, f.sb.Vipps.Charges(res.AgreementID), 1, "Vipps has the charge")

	f.sb.Faults.Remove(down)
	posts := func() int {
		n := 0
		for _, r := range f.sb.Vipps.Requests() {
			if r.Method == http.MethodPost && strings.HasSuffix(r.Path, "/charges") {
				n++
			}
		}
		return n
	}
	before := posts()
	f.clock.Advance(time.Hour) // past the retry backoff
	rep = f.charge()
	assert.Equal(t, 1, rep.Submitted, "settled: %+v", rep)
	assert.Equal(t, before, posts(), "read back, not created again")
	assert.Len(t, f.sb.Vipps.Charges(res.AgreementID), 1)
}

// TestChargeCreateAnswers: what a run records when Vipps will not take a
// charge now.
func TestChargeCreateAnswers(t *testing.T) {
	for _, tt := range []struct {
		name      string
		action    sandbox.Action
		wantState sms2vipps.ChargeState
		// wantWait is the least time before the row is tried again.
		wantWait time.Duration
	}{
		{"RateLimitedLongerThanTheClientWaits", sandbox.RateLimit(2 * time.Hour), sms2vipps.ChargeNew, 2 * time.Hour},
		{"ServiceDown", sandbox.Status(http.StatusServiceUnavailable), sms2vipps.ChargeNew, time.Minute},
		{"NoSuchAgreement", sandbox.Status(http.StatusNotFound), sms2vipps.ChargeRejected, 0},
		{"CredentialsRefused", sandbox.Status(http.StatusForbidden), sms2vipps.ChargeNew, time.Minute},
		// A 404 on the batch call is about the call, not the charge: the
		// charges go one by one instead.
		{"BatchEndpointMissing", sandbox.Status(http.StatusNotFound), sms2vipps.ChargeCreated, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			partner := int64(2001) // single calls
			if strings.HasPrefix(tt.name, "Batch") {
				partner = 2002
			}
			res := f.active(partner, "+4790000303", "order-answers")
			path := "/charges"
			if strings.HasPrefix(tt.name, "Batch") {
				path = "/agreements/charges" // the batch endpoint only
			}
			f.sb.Faults.Add(sandbox.Rule{Service: "vipps", Path: path, Action: tt.action})
			f.charge()
			cs, err := f.store.ListCharges(t.Context(), res.SubscriptionID)
			require.NoError(t, err)
			require.Len(t, cs, 1)
			assert.Equal(t, tt.wantState, cs[0].State, cs[0].LastError)
			if tt.wantWait > 0 {
				assert.False(t, cs[0].NextCheck.Before(f.clock.Now().Add(tt.wantWait)),
					"tried again at %s, want not before %s", cs[0].NextCheck, f.clock.Now().Add(tt.wantWait))
			}
		})
	}
}
