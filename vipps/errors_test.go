package vipps_test

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestErrorShapes(t *testing.T) {
	for _, tt := range []struct {
		name        string
		status      int
		contentType string
		body        string
		code        string // app code
		want        vipps.Error
		conflict    bool
	}{
		{"EPaymentProblem", 400, "application/problem+json",
			`{"type":"https://developer.vippsmobilepay.com/docs/APIs/epayment-api/errors#reference","title":"Bad Request",` +
				`"detail":"Reference already exists","status":400,"traceId":"00-abc-01","instance":"/epayment/v1/payments",` +
				`"extraDetails":[{"name":"ErrorCode","reason":"4150"}]}`,
			sms2vipps.EINVALID, vipps.Error{StatusCode: 400, Title: "Bad Request", Detail: "Reference already exists", Code: "4150",
				Type: "https://developer.vippsmobilepay.com/docs/APIs/epayment-api/errors#reference", TraceID: "00-abc-01",
				ExtraDetails: []vipps.ExtraDetail{{Name: "ErrorCode", Reason: "4150"}}}, false},
		{"EPaymentConflict", 409, "application/problem+json",
			`{"type":"about:blank","title":"Conflict","detail":"Idempotency key exists","status":409,"traceId":"t-2",` +
				`"extraDetails":[{"name":"errorCode","reason":"4020"}]}`,
			sms2vipps.EINVALID, vipps.Error{StatusCode: 409, Type: "about:blank", Title: "Conflict", Detail: "Idempotency key exists", Code: "4020",
				TraceID: "t-2", ExtraDetails: []vipps.ExtraDetail{{Name: "errorCode", Reason: "4020"}}}, true},
		{"RecurringFieldText", 400, "application/json;charset=UTF-8",
			`{"type":"https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#charge-due-too-soon",` +
				`"title":"Bad Request","status":400,"detail":"Due date must be at least 1 day(s) in the future","instance":"/v3/agreements/agr_1/charges",` +
				`"contextId":"f70b8bf7-c843-4bea-95d9-94725b19895f","extraDetails":[{"field":"due","text":"too soon"}]}`,
			sms2vipps.EINVALID, vipps.Error{StatusCode: 400, Title: "Bad Request", Detail: "Due date must be at least 1 day(s) in the future",
				Type: "https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#charge-due-too-soon",
				Code: "charge-due-too-soon", ContextID: "f70b8bf7-c843-4bea-95d9-94725b19895f",
				ExtraDetails: []vipps.ExtraDetail{{Name: "due", Reason: "too soon"}}}, false},
		{"RecurringNameReason", 409, "application/problem+json",
			`{"type":"https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#idempotency-conflict",` +
				`"title":"Conflict","status":409,"detail":"Idempotency key reused","contextId":"ctx-1",` +
				`"extraDetails":[{"name":"Idempotency-Key","reason":"used with another body"}]}`,
			sms2vipps.EINVALID, vipps.Error{StatusCode: 409, Title: "Conflict", Detail: "Idempotency key reused", Code: "idempotency-conflict",
				Type: "https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#idempotency-conflict", ContextID: "ctx-1",
				ExtraDetails: []vipps.ExtraDetail{{Name: "Idempotency-Key", Reason: "used with another body"}}}, true},
		{"RecurringNotFound", 404, "application/problem+json",
			`{"type":"https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#resource-not-found","title":"Not Found","status":404}`,
			sms2vipps.ENOTFOUND, vipps.Error{StatusCode: 404, Title: "Not Found", Code: "resource-not-found",
				Type: "https://developer.vippsmobilepay.com/docs/APIs/recurring-api/recurring-api-problems#resource-not-found"}, false},
		{"Webhooks422", 422, "application/problem+json",
			`{"type":"00-bb84-542c-00","title":"Bad Request","status":null,"detail":"One or more validation errors occurred.",` +
				`"instance":"/v1/webhooks","traceId":"00-bb84","extraDetails":[{"name":"url","reason":"The property is required"}]}`,
			sms2vipps.EINVALID, vipps.Error{StatusCode: 422, Type: "00-bb84-542c-00", Title: "Bad Request", Detail: "One or more validation errors occurred.",
				TraceID: "00-bb84", ExtraDetails: []vipps.ExtraDetail{{Name: "url", Reason: "The property is required"}}}, false},
		{"APIM", 403, "application/json",
			`{"responseInfo":{"responseCode":403,"responseMessage":"Forbidden"},"result":{"message":"Subscription is not active"}}`,
			sms2vipps.EUNAUTHORIZED, vipps.Error{StatusCode: 403, Title: "Forbidden", Detail: "Subscription is not active"}, false},
		{"PlainText", 400, "text/plain", "  Bad\n request  ",
			sms2vipps.EINVALID, vipps.Error{StatusCode: 400, Detail: "Bad request"}, false},
		{"HTML", 400, "text/html", "<html><body>Bad</body></html>",
			sms2vipps.EINVALID, vipps.Error{StatusCode: 400}, false},
		{"EmptyBody", 400, "", "",
			sms2vipps.EINVALID, vipps.Error{StatusCode: 400}, false},
		{"ArrayBody", 400, "application/json", `[{"field":"x","message":"bad"}]`,
			sms2vipps.EINVALID, vipps.Error{StatusCode: 400, Detail: `[{"field":"x","message":"bad"}]`}, false},
		{"FieldOfWrongType", 400, "application/json", `{"title":"Bad","status":"400","extraDetails":"none","traceId":7}`,
			sms2vipps.EINVALID, vipps.Error{StatusCode: 400, Title: "Bad"}, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if tt.contentType != "" {
					w.Header().Set("Content-Type", tt.contentType)
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c, _ := newClient(t, f)
			_, err := c.EPayment.Capture(context.Background(), cred, "k-1", "ref-12345678", vipps.NOK(100))
			assertCode(t, tt.code, err)
			var e *vipps.Error
			require.True(t, errors.As(err, &e))
			want := tt.want
			want.Method, want.Path, want.Attempts = "POST", "/epayment/v1/payments/ref-12345678/capture", 1
			got := *e
			assert.Equal(t, want.Error(), got.Error())
			assert.Equal(t, want.ExtraDetails, got.ExtraDetails)
			assert.Equal(t, want.TraceID, got.TraceID)
			assert.Equal(t, want.ContextID, got.ContextID)
			assert.Equal(t, want.Type, got.Type)
			assert.Equal(t, tt.conflict, got.IdempotencyConflict())
			assert.False(t, got.Retryable)
		})
	}
}

func TestTokenErrorShapes(t *testing.T) {
	for _, tt := range []struct {
		name   string
		status int
		body   string
		code   string
		want   vipps.Error
	}{
		{"InvalidClient", 401, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.",` +
			`"error_codes":[7000215],"timestamp":"2025-01-02 10:00:00Z","trace_id":"tr-1","correlation_id":"co-1","error_uri":"https://login.example"}`,
			sms2vipps.EUNAUTHORIZED, vipps.Error{StatusCode: 401, Title: "invalid_client", Detail: "AADSTS7000215: Invalid client secret provided.",
				Code: "invalid_client", TraceID: "tr-1", ContextID: "co-1"}},
		{"BadRequestIsCredentials", 400, `{"error":"invalid_request"}`,
			sms2vipps.EUNAUTHORIZED, vipps.Error{StatusCode: 400, Title: "invalid_request", Code: "invalid_request"}},
		{"APIM", 401, `{"statusCode":401,"message":"Access denied due to invalid subscription key."}`,
			sms2vipps.EUNAUTHORIZED, vipps.Error{StatusCode: 401, Detail: "Access denied due to invalid subscription key."}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, nil)
			f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, tt.status, tt.body)
			})
			c, _ := newClient(t, f)
			_, err := c.Recurring.GetAgreement(context.Background(), cred, "agr_1")
			assertCode(t, tt.code, err)
			e := vippsError(t, err)
			want := tt.want
			want.Method, want.Path, want.Attempts = "POST", "/accesstoken/get", 1
			assert.Equal(t, want.Error(), e.Error())
			assert.Equal(t, want.TraceID, e.TraceID)
			assert.Len(t, f.tokenRequests(), 1, "a refused token is not retried")
		})
	}
	t.Run("NoAccessToken", func(t *testing.T) {
		f := newFake(t, nil)
		f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, `{"token_type":"Bearer","expires_in":"3600"}`)
		})
		c, _ := newClient(t, f)
		_, err := c.Recurring.GetAgreement(context.Background(), cred, "agr_1")
		assertCode(t, sms2vipps.EUPSTREAM, err)
		assert.Equal(t, 200, vippsError(t, err).StatusCode)
	})
}

func TestDomainMessage(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		ePaymentProblem(w, http.StatusBadRequest, "6090", "Capture amount too high")
	})
	c, _ := newClient(t, f)
	_, err := c.EPayment.Capture(context.Background(), cred, "k-1", "ref-12345678", vipps.NOK(100))
	assert.Equal(t, "vipps refused the request (6090): Capture amount too high", sms2vipps.ErrorMessage(err))
	assert.Equal(t, "6090", vippsError(t, err).Code)
}
