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

const modificationJSON = `{"amount":{"currency":"NOK","value":500},"state":"AUTHORIZED","aggregate":{` +
	`"authorizedAmount":{"currency":"NOK","value":500},"cancelledAmount":{"currency":"NOK","value":0},` +
	`"capturedAmount":{"currency":"NOK","value":300},"refundedAmount":{"currency":"NOK","value":0}},` +
	`"pspReference":"p-1","reference":"ref-12345678"}`

func TestEPaymentWrites(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name string
		call func(c *vipps.Client) error
		want string // method path
		body string
	}{
		{"Capture", func(c *vipps.Client) error {
			_, err := c.EPayment.Capture(ctx, cred, "k-1", "ref-12345678", vipps.NOK(300))
			return err
		}, "POST /epayment/v1/payments/ref-12345678/capture", `{"modificationAmount":{"currency":"NOK","value":300}}`},
		{"Refund", func(c *vipps.Client) error {
			_, err := c.EPayment.Refund(ctx, cred, "r-1", "ref-12345678", vipps.NOK(100))
			return err
		}, "POST /epayment/v1/payments/ref-12345678/refund", `{"modificationAmount":{"currency":"NOK","value":100}}`},
		{"Cancel", func(c *vipps.Client) error {
			_, err := c.EPayment.Cancel(ctx, cred, "x-1", "ref-12345678", false)
			return err
		}, "POST /epayment/v1/payments/ref-12345678/cancel", ``},
		{"CancelTransactionOnly", func(c *vipps.Client) error {
			_, err := c.EPayment.Cancel(ctx, cred, "x-1", "ref-12345678", true)
			return err
		}, "POST /epayment/v1/payments/ref-12345678/cancel", `{"cancelTransactionOnly":true}`},
		{"ForceApprove", func(c *vipps.Client) error {
			return c.EPayment.ForceApprove(ctx, cred, "fa-1", "ref-12345678", vipps.ForceApproveRequest{Customer: &vipps.Customer{PhoneNumber: "4791234567"}})
		}, "POST /epayment/v1/test/payments/ref-12345678/approve", `{"customer":{"phoneNumber":"4791234567"}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if strings.HasSuffix(r.URL.Path, "/approve") {
					w.WriteHeader(http.StatusOK)
					return
				}
				writeJSON(w, http.StatusOK, modificationJSON)
			})
			c, _ := newClient(t, f)
			require.NoError(t, tt.call(c))
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

func TestEvents(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, `[{"reference":"ref-12345678","pspReference":"p-1","name":"CREATED","amount":{"currency":"NOK","value":500},`+
			`"timestamp":"2025-01-02T10:00:00Z","idempotencyKey":"c-1","success":true}]`)
	})
	c, _ := newClient(t, f)
	ev, err := c.EPayment.Events(context.Background(), cred, "ref-12345678")
	require.NoError(t, err)
	require.Len(t, ev, 1)
	assert.Equal(t, vipps.EventCreated, ev[0].Name)
	assert.Equal(t, []string{"GET /epayment/v1/payments/ref-12345678/events"}, f.calls())
}

func TestCreatePaymentRefusedBeforeSending(t *testing.T) {
	for _, tt := range []struct {
		name  string
		edit  func(r *vipps.CreatePaymentRequest)
		field string
	}{
		{"ReferenceTooShort", func(r *vipps.CreatePaymentRequest) { r.Reference = "ref-1" }, "reference"},
		{"ReferenceChars", func(r *vipps.CreatePaymentRequest) { r.Reference = "ref_12345678" }, "reference"},
		{"NoCurrency", func(r *vipps.CreatePaymentRequest) { r.Amount.Currency = "" }, "amount.currency"},
		{"ZeroAmount", func(r *vipps.CreatePaymentRequest) { r.Amount.Value = 0 }, "amount.value"},
		{"TooMuch", func(r *vipps.CreatePaymentRequest) { r.Amount.Value = 65_000_001 }, "amount.value"},
		{"Method", func(r *vipps.CreatePaymentRequest) { r.PaymentMethod.Type = "" }, "paymentMethod.type"},
		{"PushWithoutCustomer", func(r *vipps.CreatePaymentRequest) { r.UserFlow = vipps.FlowPushMessage }, "customer"},
		{"RedirectWithoutReturnURL", func(r *vipps.CreatePaymentRequest) { r.ReturnURL = "" }, "returnUrl"},
		{"Flow", func(r *vipps.CreatePaymentRequest) { r.UserFlow = "SMS" }, "userFlow"},
		{"PhoneWithPlus", func(r *vipps.CreatePaymentRequest) {
			r.UserFlow, r.Customer = vipps.FlowPushMessage, &vipps.Customer{PhoneNumber: "+4791234567"}
		}, "customer.phoneNumber"},
		{"TwoCustomerFields", func(r *vipps.CreatePaymentRequest) {
			r.UserFlow, r.Customer = vipps.FlowPushMessage, &vipps.Customer{PhoneNumber: "4791234567", CustomerToken: "t"}
		}, "customer"},
		{"ExpiresAtWithoutReceipt", func(r *vipps.CreatePaymentRequest) {
			r.UserFlow, r.Customer, r.ExpiresAt = vipps.FlowPushMessage, &vipps.Customer{PhoneNumber: "4791234567"}, now.Add(time.Hour)
		}, "receipt"},
		{"DescriptionTooShort", func(r *vipps.CreatePaymentRequest) { r.PaymentDescription = "ab" }, "paymentDescription"},
		{"MetadataTooMany", func(r *vipps.CreatePaymentRequest) {
			r.Metadata = map[string]string{"a": "1", "b": "2", "c": "3", "d": "4", "e": "5", "f": "6"}
		}, "metadata"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil)
			c, _ := newClient(t, f)
			req := createReq
			tt.edit(&req)
			_, err := c.EPayment.Create(context.Background(), cred, "c-1", req)
			assertCode(t, sms2vipps.EINVALID, err)
			assert.Equal(t, tt.field, sms2vipps.ErrorFields(err)[0].Field)
			assert.Empty(t, f.requests())
		})
	}
	f := newFake(t, nil)
	c, _ := newClient(t, f)
	_, err := c.EPayment.Capture(context.Background(), cred, "k-1", "ref-12345678", vipps.NOK(0))
	assertCode(t, sms2vipps.EINVALID, err)
	assert.Empty(t, f.requests())
}
