package sandbox_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRecurringChargeRules(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	other := vc.active(t, 1000)
	id := vc.active(t, 1000) // from 2025-03-01, monthly: 5 × 1000 per month
	pending := vc.draft(t, agreementBody(1000))
	vc.createCharge(t, other, chargeBody(1000, day(5), "taken-order-id"))

	path := "/recurring/v3/agreements/" + id + "/charges"
	for _, tt := range []struct {
		name     string
		path     string
		body     map[string]any
		want     int
		wantCode string
	}{
		{name: "OKTomorrow", body: chargeBody(2000, day(1), "order-tomorrow"), want: http.StatusCreated},
		{name: "OKEndOfInterval", body: chargeBody(3000, "2025-03-31", "order-march-31"), want: http.StatusCreated},
		{name: "ErrFiveTimesPrice", body: chargeBody(100, "2025-03-15", "order-march-15"), want: http.StatusBadRequest, wantCode: "charge-amount-too-high"},
		{name: "OKNextInterval", body: chargeBody(5000, "2025-04-01", "order-april-1"), want: http.StatusCreated},
		{name: "ErrDueToday", body: chargeBody(1000, day(0), "order-today"), want: http.StatusBadRequest, wantCode: "charge-due-too-soon"},
		{name: "OKTwoYears", body: chargeBody(1000, "2027-03-01", "order-2y"), want: http.StatusCreated},
		{name: "ErrOverTwoYears", body: chargeBody(1000, "2027-03-02", "order-2y1d"), want: http.StatusBadRequest, wantCode: "charge-due-in-too-long"},
		{name: "ErrDueFormat", body: chargeBody(1000, "2025-03-05T00:00:00Z", "order-format"), want: http.StatusBadRequest, wantCode: "validation-error"},
		{name: "ErrAmount", body: chargeBody(99, day(3), "order-99"), want: http.StatusBadRequest, wantCode: "validation-error"},
		{name: "ErrDescription46", body: func() map[string]any {
			b := chargeBody(1000, day(3), "order-desc")
			b["description"] = strings.Repeat("d", 46)
			return b
		}(), want: http.StatusBadRequest, wantCode: "validation-error"},
		{name: "ErrRetryDays15", body: func() map[string]any {
			b := chargeBody(1000, day(3), "order-retry")
			b["retryDays"] = 15
			return b
		}(), want: http.StatusBadRequest, wantCode: "validation-error"},
		{name: "ErrOrderIDPattern", body: chargeBody(1000, day(3), "order_with_underscore"), want: http.StatusBadRequest, wantCode: "validation-error"},
		{name: "ErrOrderIDUsed", body: chargeBody(1000, day(3), "taken-order-id"), want: http.StatusConflict, wantCode: "conflict"},
		{name: "ErrUnscheduled", body: func() map[string]any {
			b := chargeBody(1000, day(3), "order-unscheduled")
			b["type"] = "UNSCHEDULED"
			return b
		}(), want: http.StatusBadRequest, wantCode: "unsupported-feature"},
		{name: "ErrAgreementNotActive", path: "/recurring/v3/agreements/" + pending + "/charges", body: chargeBody(1000, day(3), "order-pending"),
			want: http.StatusBadRequest, wantCode: "validation-error"},
		{name: "ErrUnknownAgreement", path: "/recurring/v3/agreements/agr_unknown/charges", body: chargeBody(1000, day(3), "order-unknown"),
			want: http.StatusNotFound, wantCode: "resource-not-found"},
		{name: "OKGeneratedID", body: chargeBody(1000, "2025-05-05", ""), want: http.StatusCreated},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := path
			if tt.path != "" {
				p = tt.path
			}
			status, _, body := vc.call(t, "POST", p, tt.body, "")
			require.Equal(t, tt.want, status, body)
			if tt.want == http.StatusCreated {
				chargeID := decode[map[string]string](t, body)["chargeId"]
				if o, ok := tt.body["orderId"]; ok {
					assert.Equal(t, o, chargeID, "the orderId becomes the chargeId")
				} else {
					assert.Regexp(t, `^chr-[A-Za-z0-9]{7}$`, chargeID)
				}
				return
			}
			assert.Equal(t, tt.wantCode, errorCode(t, body))
		})
	}
}

// TestRecurringPriceChange: a LEGACY agreement's price changed by PATCH
// sets the 5× ceiling of the charges created after it; charges created
// before keep their amounts.
func TestRecurringPriceChange(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	id := vc.active(t, 1000) // from 2025-03-01, monthly
	// 5 × 1000, the ceiling of March.
	first := vc.createCharge(t, id, chargeBody(5000, day(1), "price-before"))

	path := "/recurring/v3/agreements/" + id + "/charges"
	status, _, resp := vc.call(t, "POST", path, chargeBody(1000, day(2), "price-over"), "")
	require.Equal(t, http.StatusBadRequest, status, resp)
	assert.Equal(t, "charge-amount-too-high", errorCode(t, resp))

	status, _, resp = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"pricing": map[string]any{"amount": 2000}}, "")
	require.Equal(t, http.StatusNoContent, status, resp)
	a, _ := f.sb.Vipps.Agreement(id)
	assert.Equal(t, int64(2000), a.Pricing.Amount)
	vc.createCharge(t, id, chargeBody(5000, day(2), "price-after")) // 10 000 of 5 × 2000
	status, _, resp = vc.call(t, "POST", path, chargeBody(100, day(3), "price-over-again"), "")
	require.Equal(t, http.StatusBadRequest, status, resp)
	assert.Equal(t, "charge-amount-too-high", errorCode(t, resp), "the new ceiling holds too")
	assert.Equal(t, int64(5000), vc.charge(t, id, first).Amount, "an earlier charge keeps its amount")

	// A lower price lowers the ceiling of the next interval.
	status, _, resp = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"pricing": map[string]any{"amount": 500}}, "")
	require.Equal(t, http.StatusNoContent, status, resp)
	status, _, resp = vc.call(t, "POST", path, chargeBody(2600, "2025-04-01", "price-lower"), "")
	require.Equal(t, http.StatusBadRequest, status, resp)
	assert.Equal(t, "charge-amount-too-high", errorCode(t, resp))
	vc.createCharge(t, id, chargeBody(2500, "2025-04-01", "price-lower-ok"))

	// pricing.amount is LEGACY's; a VARIABLE agreement refuses it.
	b := agreementBody(0)
	b["pricing"] = map[string]any{"type": "VARIABLE", "suggestedMaxAmount": 5000, "currency": "NOK"}
	variable := vc.draft(t, b)
	status, _, resp = vc.call(t, "PATCH", "/recurring/v3/agreements/"+variable, map[string]any{"pricing": map[string]any{"amount": 2000}}, "")
	require.Equal(t, http.StatusBadRequest, status, resp)
	assert.Equal(t, "illegal-agreement-update", errorCode(t, resp))
}

func TestRecurringProcessDue(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	id := vc.active(t, 1000)
	soon := vc.createCharge(t, id, chargeBody(1000, day(1), "due-soon"))
	later := vc.createCharge(t, id, chargeBody(1000, day(40), "due-later"))

	// Due within 30 days: visible in the app.
	c := vc.charge(t, id, soon)
	assert.Equal(t, "DUE", c.Status)
	assert.Equal(t, "2025-03-02T00:00:00Z", c.Due, "due as a date-time, as the live API answers")
	assert.Nil(t, c.TransactionID)
	assert.Equal(t, "PENDING", vc.charge(t, id, later).Status)

	assert.Equal(t, sandbox.ProcessReport{}, f.sb.Vipps.ProcessDue(), "nothing due today")
	// 23:30 UTC on the 1st is already the 2nd in Oslo.
	f.clock.Set(time.Date(2025, 3, 1, 23, 30, 0, 0, time.UTC))
	assert.Equal(t, sandbox.ProcessReport{Charged: 1}, f.sb.Vipps.ProcessDue())
	c = vc.charge(t, id, soon)
	assert.Equal(t, "CHARGED", c.Status)
	require.NotNil(t, c.TransactionID)
	assert.Regexp(t, `^\d{10}$`, *c.TransactionID)
	assert.Equal(t, map[string]int{"captured": 1000, "refunded": 0, "cancelled": 0}, c.Summary)
	var events []string
	for _, h := range c.History {
		events = append(events, h.Event)
	}
	assert.Equal(t, []string{"CREATE", "CAPTURE"}, events)
	assert.Equal(t, sandbox.ProcessReport{}, f.sb.Vipps.ProcessDue(), "settled once")

	f.clock.Set(t0.AddDate(0, 0, 11))
	f.sb.Vipps.ProcessDue()
	assert.Equal(t, "DUE", vc.charge(t, id, later).Status, "30 days ahead now")

	status, _, body := vc.call(t, "GET", "/recurring/v3/agreements/"+id+"/charges?status=CHARGED", nil, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Len(t, decode[[]chargeJSON](t, body), 1)
	status, _, body = vc.call(t, "GET", "/recurring/v3/charges/"+soon, nil, "")
	require.Equal(t, http.StatusOK, status, body)
	assert.Equal(t, "CHARGED", decode[chargeJSON](t, body).Status)
}

func TestRecurringRetries(t *testing.T) {
	for _, tt := range []struct {
		name      string
		retryDays int
		fails     int // 0: every attempt
		reason    sandbox.FailureReason
		days      int // days after the due date to walk through
		want      []string
	}{
		{name: "ChargedOnThirdDay", retryDays: 3, fails: 2, reason: sandbox.FailureUserActionRequired, days: 3,
			want: []string{"DUE", "DUE", "CHARGED", "CHARGED"}},
		{name: "FailedAfterRetryDays", retryDays: 2, reason: sandbox.FailureTechnical, days: 3,
			want: []string{"DUE", "DUE", "FAILED", "FAILED"}},
		{name: "NoRetryDays", retryDays: 0, fails: 1, reason: sandbox.FailureNonTechnical, days: 1,
			want: []string{"FAILED", "FAILED"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newVippsFixture(t)
			vc := f.vipps(t, msnFull)
			id := vc.active(t, 1000)
			body := chargeBody(1000, day(1), "retry-"+strings.ToLower(tt.name))
			body["retryDays"] = tt.retryDays
			chargeID := vc.createCharge(t, id, body)
			require.NoError(t, f.sb.Vipps.FailCharge(chargeID, tt.reason, tt.fails))
			var got []string
			for d := 0; d <= tt.days; d++ {
				f.clock.Set(t0.AddDate(0, 0, 1+d))
				f.sb.Vipps.ProcessDue()
				got = append(got, vc.charge(t, id, chargeID).Status)
			}
			assert.Equal(t, tt.want, got)
			c := vc.charge(t, id, chargeID)
			if c.Status == "FAILED" {
				require.NotNil(t, c.FailureReason)
				assert.Equal(t, string(tt.reason), *c.FailureReason)
				assert.Equal(t, "FAIL", c.History[len(c.History)-1].Event)
				assert.False(t, c.History[len(c.History)-1].Success)
			}
		})
	}
	t.Run("CatchUpOverSkippedDays", func(t *testing.T) {
		f := newVippsFixture(t)
		vc := f.vipps(t, msnFull)
		id := vc.active(t, 1000)
		chargeID := vc.createCharge(t, id, chargeBody(1000, day(1), "catch-up"))
		require.NoError(t, f.sb.Vipps.FailCharge(chargeID, sandbox.FailureUserActionRequired, 0))
		f.clock.Set(t0.AddDate(0, 0, 10))
		assert.Equal(t, sandbox.ProcessReport{Failed: 1}, f.sb.Vipps.ProcessDue())
		c, _ := f.sb.Vipps.Charge(id, chargeID)
		assert.Equal(t, 3, c.Attempts, "the due date and two retry days")
	})
	t.Run("WholeAgreement", func(t *testing.T) {
		f := newVippsFixture(t)
		vc := f.vipps(t, msnFull)
		id := vc.active(t, 1000)
		require.NoError(t, f.sb.Vipps.FailAgreementCharges(id, sandbox.FailureUserActionRequired, 1))
		a := vc.createCharge(t, id, chargeBody(1000, day(1), "whole-a"))
		b := vc.createCharge(t, id, chargeBody(1000, day(1), "whole-b"))
		f.clock.Set(t0.AddDate(0, 0, 1))
		assert.Equal(t, sandbox.ProcessReport{Retrying: 2}, f.sb.Vipps.ProcessDue())
		f.clock.Set(t0.AddDate(0, 0, 2))
		assert.Equal(t, sandbox.ProcessReport{Charged: 2}, f.sb.Vipps.ProcessDue(), "each charge counts its own attempts")
		assert.Equal(t, "CHARGED", vc.charge(t, id, a).Status)
		assert.Equal(t, "CHARGED", vc.charge(t, id, b).Status)
		assert.ErrorIs(t, f.sb.Vipps.FailAgreementCharges("agr_none", sandbox.FailureTechnical, 1), sandbox.ErrNotFound)
		assert.Error(t, f.sb.Vipps.FailCharge("x", "no_such_reason", 1))
	})
}

func TestRecurringReserveCapture(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	id := vc.active(t, 1000)
	body := chargeBody(3000, day(1), "reserve-1")
	body["transactionType"] = "RESERVE_CAPTURE"
	chargeID := vc.createCharge(t, id, body)
	base := "/recurring/v3/agreements/" + id + "/charges/" + chargeID

	status, _, resp := vc.call(t, "POST", base+"/capture", map[string]any{"amount": 1000, "description": "early"}, "")
	assert.Equal(t, http.StatusBadRequest, status, resp)
	assert.Equal(t, "charge-capture-failed", errorCode(t, resp))

	f.clock.Set(t0.AddDate(0, 0, 1))
	assert.Equal(t, sandbox.ProcessReport{Reserved: 1}, f.sb.Vipps.ProcessDue())
	assert.Equal(t, "RESERVED", vc.charge(t, id, chargeID).Status)

	status, _, resp = vc.call(t, "POST", base+"/capture", map[string]any{"amount": 1000, "description": "Part one"}, "")
	require.Equal(t, http.StatusNoContent, status, resp)
	assert.Empty(t, resp)
	assert.Equal(t, "PARTIALLY_CAPTURED", vc.charge(t, id, chargeID).Status)
	status, _, resp = vc.call(t, "POST", base+"/capture", map[string]any{"amount": 2500}, "")
	assert.Equal(t, http.StatusBadRequest, status, resp)

	// Cancelling a partly captured charge releases the rest: CHARGED.
	status, _, resp = vc.call(t, "DELETE", base, nil, "")
	require.Equal(t, http.StatusNoContent, status, resp)
	c := vc.charge(t, id, chargeID)
	assert.Equal(t, "CHARGED", c.Status)
	assert.Equal(t, map[string]int{"captured": 1000, "refunded": 0, "cancelled": 2000}, c.Summary)

	status, _, resp = vc.call(t, "POST", base+"/refund", map[string]any{"amount": 400, "description": "Sorry"}, "")
	require.Equal(t, http.StatusNoContent, status, resp)
	assert.Equal(t, "PARTIALLY_REFUNDED", vc.charge(t, id, chargeID).Status)
	status, _, resp = vc.call(t, "POST", base+"/refund", map[string]any{"amount": 700, "description": "Too much"}, "")
	assert.Equal(t, http.StatusBadRequest, status, resp)
	status, _, resp = vc.call(t, "POST", base+"/refund", map[string]any{"amount": 600, "description": "The rest"}, "")
	require.Equal(t, http.StatusNoContent, status, resp)
	assert.Equal(t, "REFUNDED", vc.charge(t, id, chargeID).Status)

	status, _, resp = vc.call(t, "DELETE", base, nil, "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "cancel-charge-failed", errorCode(t, resp))
}

func TestRecurringStop(t *testing.T) {
	// The merchant's stop cancels what is reserved too; the user's stop in
	// the app leaves it for the merchant (VIPPS.md §3).
	for _, tt := range []struct {
		name         string
		stop         func(t *testing.T, f *fixture, vc *vippsClient, id string)
		actor        string
		wantReserved string
	}{
		{name: "ByMerchant", actor: sandbox.ActorMerchant, wantReserved: "CANCELLED",
			stop: func(t *testing.T, f *fixture, vc *vippsClient, id string) {
				status, _, body := vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"status": "STOPPED"}, "")
				require.Equal(t, http.StatusNoContent, status, body)
			}},
		{name: "ByUser", actor: sandbox.ActorUser, wantReserved: "RESERVED",
			stop: func(t *testing.T, f *fixture, vc *vippsClient, id string) {
				_, err := f.sb.Vipps.StopAgreement(id)
				require.NoError(t, err)
			}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newVippsFixture(t)
			vc := f.vipps(t, msnFull)
			id := vc.active(t, 1000)
			reserve := chargeBody(1000, day(1), "stop-reserved")
			reserve["transactionType"] = "RESERVE_CAPTURE"
			reserved := vc.createCharge(t, id, reserve)
			charged := vc.createCharge(t, id, chargeBody(1000, day(1), "stop-charged"))
			f.clock.Set(t0.AddDate(0, 0, 1))
			f.sb.Vipps.ProcessDue()
			due := vc.createCharge(t, id, chargeBody(1000, day(5), "stop-due"))
			pending := vc.createCharge(t, id, chargeBody(1000, day(45), "stop-pending"))

			tt.stop(t, f, vc, id)
			a, _ := f.sb.Vipps.Agreement(id)
			assert.Equal(t, sandbox.AgreementStopped, a.Status)
			assert.Equal(t, tt.actor, a.StoppedBy)
			assert.Equal(t, map[string]string{"reserved": tt.wantReserved, "charged": "CHARGED", "due": "CANCELLED", "pending": "CANCELLED"},
				map[string]string{"reserved": vc.charge(t, id, reserved).Status, "charged": vc.charge(t, id, charged).Status,
					"due": vc.charge(t, id, due).Status, "pending": vc.charge(t, id, pending).Status})
			status, _, body := vc.call(t, "POST", "/recurring/v3/agreements/"+id+"/charges", chargeBody(1000, day(9), "after-stop"), "")
			assert.Equal(t, http.StatusBadRequest, status, body)
		})
	}
}

func TestRecurringInitialCharge(t *testing.T) {
	body := func(orderID, tt string) map[string]any {
		b := agreementBody(1000)
		b["initialCharge"] = map[string]any{"amount": 19900, "description": "Device", "transactionType": tt, "orderId": orderID}
		return b
	}
	t.Run("Charged", func(t *testing.T) {
		f := newVippsFixture(t)
		vc := f.vipps(t, msnFull)
		status, _, resp := vc.call(t, "POST", "/recurring/v3/agreements", body("initial-1", "DIRECT_CAPTURE"), "")
		require.Equal(t, http.StatusCreated, status, resp)
		r := decode[map[string]any](t, resp)
		assert.Equal(t, "initial-1", r["chargeId"])
		id := r["agreementId"].(string)
		assert.Equal(t, "PENDING", vc.charge(t, id, "initial-1").Status)
		_, err := f.sb.Vipps.AcceptAgreement(id)
		require.NoError(t, err)
		c := vc.charge(t, id, "initial-1")
		assert.Equal(t, "CHARGED", c.Status)
		assert.Equal(t, "INITIAL", c.Type)
		assert.Equal(t, "2025-03-01T00:00:00Z", c.Due)
	})
	t.Run("Reserved", func(t *testing.T) {
		f := newVippsFixture(t)
		vc := f.vipps(t, msnFull)
		id := vc.draft(t, body("initial-2", "RESERVE_CAPTURE"))
		_, err := f.sb.Vipps.AcceptAgreement(id)
		require.NoError(t, err)
		assert.Equal(t, "RESERVED", vc.charge(t, id, "initial-2").Status)
	})
	t.Run("FailedExpiresAgreement", func(t *testing.T) {
		f := newVippsFixture(t)
		vc := f.vipps(t, msnFull)
		id := vc.draft(t, body("initial-3", "DIRECT_CAPTURE"))
		require.NoError(t, f.sb.Vipps.FailCharge("initial-3", sandbox.FailureUserActionRequired, 1))
		a, err := f.sb.Vipps.AcceptAgreement(id)
		require.NoError(t, err)
		assert.Equal(t, sandbox.AgreementExpired, a.Status)
		c := vc.charge(t, id, "initial-3")
		assert.Equal(t, "FAILED", c.Status)
		assert.Equal(t, "user_action_required", *c.FailureReason)
	})
}

func TestRecurringVariablePricing(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	b := agreementBody(0)
	b["pricing"] = map[string]any{"type": "VARIABLE", "suggestedMaxAmount": 5000, "currency": "NOK"}
	id := vc.draft(t, b)
	_, err := f.sb.Vipps.AcceptAgreement(id)
	require.NoError(t, err)
	a, _ := f.sb.Vipps.Agreement(id)
	assert.Equal(t, int64(5000), a.Pricing.MaxAmount, "the user takes the suggestion")

	status, _, resp := vc.call(t, "POST", "/recurring/v3/agreements/"+id+"/charges", chargeBody(6000, day(1), "variable-high"), "")
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "charge-amount-too-high", errorCode(t, resp))
	// A higher suggestion raises the ceiling, not the user's maximum:
	// the charge is created and fails on its due date.
	status, _, resp = vc.call(t, "PATCH", "/recurring/v3/agreements/"+id, map[string]any{"pricing": map[string]any{"suggestedMaxAmount": 8000}}, "")
	require.Equal(t, http.StatusNoContent, status, resp)
	body := chargeBody(6000, day(1), "variable-ok")
	body["retryDays"] = 0
	chargeID := vc.createCharge(t, id, body)
	f.clock.Set(t0.AddDate(0, 0, 1))
	f.sb.Vipps.ProcessDue()
	c := vc.charge(t, id, chargeID)
	assert.Equal(t, "FAILED", c.Status)
	assert.Equal(t, "charge_amount_too_high", *c.FailureReason)
}

func TestRecurringBatchCharges(t *testing.T) {
	f := newVippsFixture(t)
	vc := f.vipps(t, msnFull)
	rc := newReceiver(t)
	vc.register(t, rc.URL, "recurring.charge-creation-failed.v1")
	active := vc.active(t, 1000)
	pending := vc.draft(t, agreementBody(1000))
	item := func(agreementID string, amount int64, due, orderID string) map[string]any {
		b := chargeBody(amount, due, orderID)
		b["agreementId"] = agreementID
		return b
	}
	noOrder := item(active, 1000, day(2), "")
	batch := []map[string]any{
		item(active, 1000, day(1), "batch-1"),
		item(active, 50, day(1), "batch-small"),
		noOrder,
		item(active, 1000, day(0), "batch-today"),
		item(active, 1000, day(2), "batch-1"),
		item(pending, 1000, day(1), "batch-pending"),
		item(active, 1000, day(3), "batch-2"),
	}
	status, _, resp := vc.call(t, "POST", "/recurring/v3/agreements/charges", batch, "")
	require.Equal(t, http.StatusAccepted, status, resp)
	r := decode[struct {
		ValidCharges   []string `json:"validCharges"`
		InvalidCharges []struct {
			ChargeBatchItemDto map[string]any `json:"chargeBatchItemDto"`
			Errors             []string       `json:"errors"`
		} `json:"invalidCharges"`
	}](t, resp)
	assert.Equal(t, []string{"batch-1", "batch-pending", "batch-2"}, r.ValidCharges)
	var invalid []string
	for _, ic := range r.InvalidCharges {
		require.NotEmpty(t, ic.Errors)
		o, _ := ic.ChargeBatchItemDto["orderId"].(string)
		invalid = append(invalid, o+": "+strings.Join(ic.Errors, ", "))
	}
	assert.Equal(t, []string{
		"batch-small: amount: must be at least 100 (minor units)",
		": orderId: required",
		"batch-today: due: must be at least 1 day ahead (2025-03-02 or later)",
		"batch-1: orderId: appears twice in the batch",
	}, invalid)
	flush(t, f)
	assert.Equal(t, "DUE", vc.charge(t, active, "batch-1").Status)
	assert.Equal(t, "DUE", vc.charge(t, active, "batch-2").Status)
	// The charge on the PENDING agreement passed validation but could not
	// be created: a webhook says so.
	status, _, _ = vc.call(t, "GET", "/recurring/v3/agreements/"+pending+"/charges/batch-pending", nil, "")
	assert.Equal(t, http.StatusNotFound, status)
	require.Len(t, rc.deliveries(), 1)
	assert.JSONEq(t, `{"eventType":"recurring.charge-creation-failed.v1","agreementId":"`+pending+`","chargeId":"batch-pending",
		"chargeType":"RECURRING","msn":"`+msnFull+`","occurred":"2025-03-01T12:00:00Z","amount":1000,"currency":"NOK"}`, rc.deliveries()[0].Body)

	status, _, resp = vc.call(t, "POST", "/recurring/v3/agreements/charges", []any{}, "")
	assert.Equal(t, http.StatusBadRequest, status, resp)
}
