package vipps_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var due = vipps.Date{Year: 2030, Month: time.December, Day: 31}

func chargeReq() vipps.CreateChargeRequest {
	return vipps.CreateChargeRequest{Amount: 19900, TransactionType: vipps.DirectCapture, Description: "Månedsabonnement",
		Due: due, RetryDays: 5, OrderID: "agr-1-20301231", ExternalID: "sub-42"}
}

func TestCreateCharge(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, `{"chargeId":"agr-1-20301231"}`)
	})
	c, _ := newClient(t, f)
	ref, err := c.Recurring.CreateCharge(context.Background(), cred, "charge-agr-1-20301231", "agr_5kSeqz", chargeReq())
	require.NoError(t, err)
	assert.Equal(t, "agr-1-20301231", ref.ChargeID)
	r := f.requests()[0]
	assert.Equal(t, "POST /recurring/v3/agreements/agr_5kSeqz/charges", r.Method+" "+r.Path)
	assert.Equal(t, "charge-agr-1-20301231", r.Header.Get("Idempotency-Key"))
	assert.JSONEq(t, `{"amount":19900,"transactionType":"DIRECT_CAPTURE","description":"Månedsabonnement","due":"2030-12-31",`+
		`"retryDays":5,"orderId":"agr-1-20301231","externalId":"sub-42"}`, string(r.Body))

	// retryDays 0 is sent; an UNSCHEDULED charge has no due date.
	f2 := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, `{"chargeId":"chr-1"}`)
	})
	c2, _ := newClient(t, f2)
	req := vipps.CreateChargeRequest{Amount: 100, TransactionType: vipps.ReserveCapture, Type: vipps.ChargeTypeUnscheduled, Description: "Now"}
	_, err = c2.Recurring.CreateCharge(context.Background(), cred, "k-2", "agr_1", req)
	require.NoError(t, err)
	assert.JSONEq(t, `{"amount":100,"transactionType":"RESERVE_CAPTURE","type":"UNSCHEDULED","description":"Now","retryDays":0}`,
		string(f2.requests()[0].Body))
}

func TestCreateChargeRefusedBeforeSending(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(r *vipps.CreateChargeRequest)
		field string
	}{
		{"DescriptionTooLong", func(r *vipps.CreateChargeRequest) { r.Description = strings.Repeat("å", 46) }, "description"},
		{"NoDescription", func(r *vipps.CreateChargeRequest) { r.Description = "" }, "description"},
		{"RetryDays15", func(r *vipps.CreateChargeRequest) { r.RetryDays = 15 }, "retryDays"},
		{"RetryDaysNegative", func(r *vipps.CreateChargeRequest) { r.RetryDays = -1 }, "retryDays"},
		{"NoDue", func(r *vipps.CreateChargeRequest) { r.Due = vipps.Date{} }, "due"},
		{"BadDue", func(r *vipps.CreateChargeRequest) { r.Due = vipps.Date{Year: 2030, Month: 2, Day: 30} }, "due"},
		{"UnscheduledWithDue", func(r *vipps.CreateChargeRequest) { r.Type = vipps.ChargeTypeUnscheduled }, "due"},
		{"OrderIDChars", func(r *vipps.CreateChargeRequest) { r.OrderID = "order_1" }, "orderId"},
		{"OrderIDTooLong", func(r *vipps.CreateChargeRequest) { r.OrderID = strings.Repeat("a", 51) }, "orderId"},
		{"TransactionType", func(r *vipps.CreateChargeRequest) { r.TransactionType = "CAPTURE" }, "transactionType"},
		{"AmountTooSmall", func(r *vipps.CreateChargeRequest) { r.Amount = 99 }, "amount"},
		{"ExternalIDTooLong", func(r *vipps.CreateChargeRequest) { r.ExternalID = strings.Repeat("e", 65) }, "externalId"},
		{"Type", func(r *vipps.CreateChargeRequest) { r.Type = "INITIAL" }, "type"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil)
			c, _ := newClient(t, f)
			req := chargeReq()
			tt.edit(&req)
			_, err := c.Recurring.CreateCharge(context.Background(), cred, "k-1", "agr_1", req)
			assertCode(t, sms2vipps.EINVALID, err)
			fields := sms2vipps.ErrorFields(err)
			require.NotEmpty(t, fields)
			assert.Equal(t, tt.field, fields[0].Field)
			assert.Empty(t, f.requests())
		})
	}
}

func TestCreateChargesBatch(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `{"validCharges":["o-1"],"invalidCharges":[{"chargeBatchItemDto":{"agreementId":"agr_2","orderId":"o-2",`+
			`"amount":19900,"description":"d","due":"2030-12-31","retryDays":5,"transactionType":"DIRECT_CAPTURE"},"errors":["not active"]}]}`)
	})
	c, _ := newClient(t, f)
	one, two := chargeReq(), chargeReq()
	one.OrderID, two.OrderID = "o-1", "o-2"
	res, err := c.Recurring.CreateChargesBatch(context.Background(), cred, "batch-2030-12", []vipps.BatchCharge{
		{AgreementID: "agr_1", CreateChargeRequest: one}, {AgreementID: "agr_2", CreateChargeRequest: two}})
	require.NoError(t, err)
	assert.Equal(t, []string{"o-1"}, res.ValidCharges)
	assert.Equal(t, "o-2", res.InvalidCharges[0].ChargeBatchItemDto.OrderID)
	r := f.requests()[0]
	assert.Equal(t, "POST /recurring/v3/agreements/charges", r.Method+" "+r.Path)
	assert.Equal(t, "batch-2030-12", r.Header.Get("Idempotency-Key"))
	assert.JSONEq(t, `[{"agreementId":"agr_1","amount":19900,"transactionType":"DIRECT_CAPTURE","description":"Månedsabonnement",`+
		`"due":"2030-12-31","retryDays":5,"orderId":"o-1","externalId":"sub-42"},{"agreementId":"agr_2","amount":19900,`+
		`"transactionType":"DIRECT_CAPTURE","description":"Månedsabonnement","due":"2030-12-31","retryDays":5,"orderId":"o-2","externalId":"sub-42"}]`,
		string(r.Body))

	for name, items := range map[string][]vipps.BatchCharge{
		"Empty":       nil,
		"TooMany":     make([]vipps.BatchCharge, 2001),
		"NoOrderID":   {{AgreementID: "agr_1", CreateChargeRequest: vipps.CreateChargeRequest{Amount: 100, TransactionType: vipps.DirectCapture, Description: "d", Due: due}}},
		"NoAgreement": {{CreateChargeRequest: one}},
	} {
		_, err := c.Recurring.CreateChargesBatch(context.Background(), cred, "batch-2", items)
		assertCode(t, sms2vipps.EINVALID, err)
		assert.Len(t, f.requests(), 1, name)
	}
}

func TestChargeWrites(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name   string
		status int
		call   func(c *vipps.Client) (vipps.Completion, error)
		want   string // method path
		body   string
	}{
		{"Capture204", http.StatusNoContent, func(c *vipps.Client) (vipps.Completion, error) {
			return c.Recurring.CaptureCharge(ctx, cred, "cap-1", "agr_1", "chr-1", vipps.ChargeAdjustment{Amount: 5000, Description: "Partial"})
		}, "POST /recurring/v3/agreements/agr_1/charges/chr-1/capture", `{"amount":5000,"description":"Partial"}`},
		{"Capture202", http.StatusAccepted, func(c *vipps.Client) (vipps.Completion, error) {
			return c.Recurring.CaptureCharge(ctx, cred, "cap-1", "agr_1", "chr-1", vipps.ChargeAdjustment{Amount: 5000, Description: "Partial"})
		}, "POST /recurring/v3/agreements/agr_1/charges/chr-1/capture", `{"amount":5000,"description":"Partial"}`},
		{"Refund", http.StatusNoContent, func(c *vipps.Client) (vipps.Completion, error) {
			return c.Recurring.RefundCharge(ctx, cred, "ref-1", "agr_1", "chr-1", vipps.ChargeAdjustment{Amount: 100, Description: "Sorry"})
		}, "POST /recurring/v3/agreements/agr_1/charges/chr-1/refund", `{"amount":100,"description":"Sorry"}`},
		{"Cancel202", http.StatusAccepted, func(c *vipps.Client) (vipps.Completion, error) {
			return c.Recurring.CancelCharge(ctx, cred, "del-1", "agr_1", "chr-1")
		}, "DELETE /recurring/v3/agreements/agr_1/charges/chr-1", ``},
		{"Stop", http.StatusNoContent, func(c *vipps.Client) (vipps.Completion, error) {
			return c.Recurring.StopAgreement(ctx, cred, "stop-1", "agr_1")
		}, "PATCH /recurring/v3/agreements/agr_1", `{"status":"STOPPED"}`},
		{"Update", http.StatusAccepted, func(c *vipps.Client) (vipps.Completion, error) {
			return c.Recurring.UpdateAgreement(ctx, cred, "upd-1", "agr_1", vipps.PatchAgreementRequest{ProductName: "Pluss",
				Pricing: &vipps.PricingUpdate{Amount: 3900}, Interval: &vipps.IntervalUpdate{Type: "RECURRING", Period: &vipps.TimePeriod{Unit: vipps.UnitMonth, Count: 1}}})
		}, "PATCH /recurring/v3/agreements/agr_1", `{"productName":"Pluss","pricing":{"amount":3900},"interval":{"type":"RECURRING","period":{"unit":"MONTH","count":1}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) { w.WriteHeader(tt.status) })
			c, _ := newClient(t, f)
			got, err := tt.call(c)
			require.NoError(t, err)
			want := vipps.Completed
			if tt.status == http.StatusAccepted {
				want = vipps.Accepted
			}
			assert.Equal(t, want, got)
			r := f.requests()[0]
			assert.Equal(t, tt.want, r.Method+" "+r.Path)
			if tt.body == "" {
				assert.Empty(t, r.Body)
			} else {
				assert.JSONEq(t, tt.body, string(r.Body))
			}
		})
	}
}

func TestUpdateAgreementRefusedBeforeSending(t *testing.T) {
	f := newFake(t, nil)
	c, _ := newClient(t, f)
	for name, req := range map[string]vipps.PatchAgreementRequest{
		"StopWithOthers": {Status: vipps.AgreementStopped, ProductName: "x"},
		"OtherStatus":    {Status: vipps.AgreementActive},
		"Nothing":        {},
		"NameTooLong":    {ProductName: strings.Repeat("n", 46)},
		"BadPeriod":      {Interval: &vipps.IntervalUpdate{Period: &vipps.TimePeriod{Unit: vipps.UnitWeek, Count: 32}}},
	} {
		_, err := c.Recurring.UpdateAgreement(context.Background(), cred, "upd-1", "agr_1", req)
		assertCode(t, sms2vipps.EINVALID, err)
		assert.Empty(t, f.requests(), name)
	}
}

func TestDraftAgreementRefusedBeforeSending(t *testing.T) {
	ok := vipps.DraftAgreementRequest{Pricing: vipps.Pricing{Currency: "NOK", Amount: 2500}, MerchantRedirectURL: "https://r",
		MerchantAgreementURL: "https://a", ProductName: "News"}
	for _, tt := range []struct {
		name  string
		edit  func(r *vipps.DraftAgreementRequest)
		field string
	}{
		{"LegacyWithoutAmount", func(r *vipps.DraftAgreementRequest) { r.Pricing.Amount = 0 }, "pricing.amount"},
		{"VariableWithoutMax", func(r *vipps.DraftAgreementRequest) { r.Pricing.Type = vipps.PricingVariable }, "pricing.suggestedMaxAmount"},
		{"CampaignWithVariable", func(r *vipps.DraftAgreementRequest) {
			r.Pricing = vipps.Pricing{Type: vipps.PricingVariable, Currency: "NOK", SuggestedMaxAmount: 3000}
			r.Campaign = &vipps.Campaign{Type: vipps.PriceCampaign, Price: 100, End: now}
		}, "campaign"},
		{"PriceCampaignWithoutEnd", func(r *vipps.DraftAgreementRequest) {
			r.Campaign = &vipps.Campaign{Type: vipps.PriceCampaign, Price: 100}
		}, "campaign.end"},
		{"EventCampaignWithoutText", func(r *vipps.DraftAgreementRequest) {
			r.Campaign = &vipps.Campaign{Type: vipps.EventCampaign, Price: 100, EventDate: now}
		}, "campaign.eventText"},
		{"IntervalCount", func(r *vipps.DraftAgreementRequest) { r.Interval = &vipps.TimePeriod{Unit: vipps.UnitMonth, Count: 0} }, "interval.count"},
		{"ProductNameTooLong", func(r *vipps.DraftAgreementRequest) { r.ProductName = strings.Repeat("p", 46) }, "productName"},
		{"PhoneWithPlus", func(r *vipps.DraftAgreementRequest) { r.PhoneNumber = "+4791234567" }, "phoneNumber"},
		{"InitialChargeOrderID", func(r *vipps.DraftAgreementRequest) {
			r.InitialCharge = &vipps.InitialCharge{Amount: 100, Description: "d", TransactionType: vipps.DirectCapture, OrderID: "a b"}
		}, "initialCharge.orderId"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil)
			c, _ := newClient(t, f)
			r := ok
			tt.edit(&r)
			_, err := c.Recurring.DraftAgreement(context.Background(), cred, "d-1", r)
			assertCode(t, sms2vipps.EINVALID, err)
			assert.Equal(t, tt.field, sms2vipps.ErrorFields(err)[0].Field)
			assert.Empty(t, f.requests())
		})
	}
}

func TestListAgreementsFollowsContinuationToken(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0:
			assert.Empty(tb, r.Header.Get("Continuation-Token"))
			w.Header().Set("Continuation-Token", "3fa85f64-5717-4562-b3fc-2c963f66afa6")
			writeJSON(w, http.StatusOK, `[{"id":"agr_1","status":"STOPPED"},{"id":"agr_2","status":"STOPPED"}]`)
		case 1:
			assert.Equal(tb, "3fa85f64-5717-4562-b3fc-2c963f66afa6", r.Header.Get("Continuation-Token"))
			writeJSON(w, http.StatusOK, `[{"id":"agr_3","status":"STOPPED"}]`)
		}
	})
	c, _ := newClient(t, f)
	got, err := c.Recurring.ListAgreements(context.Background(), cred, vipps.ListAgreementsOptions{
		Status: vipps.AgreementStopped, CreatedAfter: time.UnixMilli(1644572442944)})
	require.NoError(t, err)
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	assert.Equal(t, []string{"agr_1", "agr_2", "agr_3"}, ids)
	assert.Equal(t, []string{
		"GET /recurring/v3/agreements?createdAfter=1644572442944&status=STOPPED",
		"GET /recurring/v3/agreements?createdAfter=1644572442944&status=STOPPED",
	}, f.calls())
}

func TestListAgreementsPages(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0:
			writeJSON(w, http.StatusOK, `[{"id":"agr_1"},{"id":"agr_2"}]`)
		case 1:
			writeJSON(w, http.StatusOK, `[{"id":"agr_3"},{"id":"agr_4"}]`)
		default:
			writeJSON(w, http.StatusOK, `[]`)
		}
	})
	c, _ := newClient(t, f)
	got, err := c.Recurring.ListAgreements(context.Background(), cred, vipps.ListAgreementsOptions{PageSize: 2})
	require.NoError(t, err)
	assert.Len(t, got, 4)
	assert.Equal(t, []string{
		"GET /recurring/v3/agreements?pageNumber=1&pageSize=2",
		"GET /recurring/v3/agreements?pageNumber=2&pageSize=2",
		"GET /recurring/v3/agreements?pageNumber=3&pageSize=2",
	}, f.calls())
}

func TestListChargesAndReads(t *testing.T) {
	charge := `{"id":"chr-1","agreementId":"agr_1","amount":100,"currency":"NOK","description":"d","due":"2030-12-31T00:00:00Z",` +
		`"retryDays":1,"status":"RESERVED","type":"RECURRING","transactionType":"RESERVE_CAPTURE","summary":{"captured":0,"refunded":0,"cancelled":0},"history":[]}`
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		switch n {
		case 0:
			w.Header().Set("Continuation-Token", "t-1")
			writeJSON(w, http.StatusOK, `[`+charge+`]`)
		case 1:
			writeJSON(w, http.StatusOK, `[]`)
		default:
			writeJSON(w, http.StatusOK, charge)
		}
	})
	c, _ := newClient(t, f)
	ctx := context.Background()
	list, err := c.Recurring.ListCharges(ctx, cred, "agr_1", vipps.ChargeReserved)
	require.NoError(t, err)
	require.Len(t, list, 1)
	assert.Equal(t, due, list[0].Due)
	_, err = c.Recurring.GetCharge(ctx, cred, "agr_1", "chr-1")
	require.NoError(t, err)
	_, err = c.Recurring.GetChargeByID(ctx, cred, "chr-1")
	require.NoError(t, err)
	_, err = c.Recurring.GetAgreement(ctx, cred, "agr_1")
	require.NoError(t, err)
	assert.Equal(t, []string{
		"GET /recurring/v3/agreements/agr_1/charges?status=RESERVED",
		"GET /recurring/v3/agreements/agr_1/charges?status=RESERVED",
		"GET /recurring/v3/agreements/agr_1/charges/chr-1",
		"GET /recurring/v3/charges/chr-1",
		"GET /recurring/v3/agreements/agr_1",
	}, f.calls())
	assert.Equal(t, "t-1", f.requests()[1].Header.Get("Continuation-Token"))
}

func TestForceAcceptAgreement(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	c, _ := newClient(t, f)
	require.NoError(t, c.Recurring.ForceAcceptAgreement(context.Background(), cred, "acc-1", "agr_1", "4791234567"))
	r := f.requests()[0]
	assert.Equal(t, "PATCH /recurring/v3/agreements/agr_1/accept", r.Method+" "+r.Path)
	assert.JSONEq(t, `{"phoneNumber":"4791234567"}`, string(r.Body))
	assertCode(t, sms2vipps.EINVALID, c.Recurring.ForceAcceptAgreement(context.Background(), cred, "acc-1", "agr_1", "91234567"))
}

func TestUpdatePrice(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusNoContent)
	})
	c, _ := newClient(t, f)
	rp := &vipps.RecurringProvider{Client: c}
	s := &sms2vipps.Subscription{ID: "0196a3c2-7f1e-7c4d-9a55-2f0e8d6b1c3a", AgreementID: "agr_5kSeqz", Amount: 12000, Version: 4}
	require.NoError(t, rp.UpdatePrice(context.Background(), testPartner(), s, 14900))
	require.NoError(t, rp.UpdatePrice(context.Background(), testPartner(), s, 14900))
	s.Version++
	require.NoError(t, rp.UpdatePrice(context.Background(), testPartner(), s, 14900))

	reqs := f.requests()
	require.Len(t, reqs, 3)
	r := reqs[0]
	assert.Equal(t, "PATCH /recurring/v3/agreements/agr_5kSeqz", r.Method+" "+r.Path)
	assert.JSONEq(t, `{"pricing":{"amount":14900}}`, string(r.Body))
	key := r.Header.Get("Idempotency-Key")
	assert.True(t, vipps.ValidIdempotencyKey(key), key)
	assert.Equal(t, key, reqs[1].Header.Get("Idempotency-Key"), "the same change is the same request")
	assert.NotEqual(t, key, reqs[2].Header.Get("Idempotency-Key"), "a later change to the same price is a new one")

	assertCode(t, sms2vipps.EINVALID, rp.UpdatePrice(context.Background(), testPartner(), &sms2vipps.Subscription{ID: "s"}, 14900))
	assert.Len(t, f.requests(), 3, "no agreement: nothing sent")
}
