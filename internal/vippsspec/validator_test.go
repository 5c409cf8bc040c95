package vippsspec_test

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/linkmobility/sms2vipps/internal/vippsspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	jwt  = "eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"
	ref  = "order-0001"
	uuid = "9c2ca95c-245f-4a2e-aab2-4a08eb78e6fb"
)

// answer is what the fake server sends back.
type answer struct {
	status int
	ctype  string
	body   string
}

func TestValidator(t *testing.T) {
	specs, err := vippsspec.Load()
	require.NoError(t, err)
	token := answer{200, "application/json; charset=utf-8", `{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"0",` +
		`"expires_on":"1","not_before":"0","resource":"r","access_token":"` + jwt + `"}`}
	for _, tc := range []struct {
		name   string
		method string
		path   string
		header map[string]string // set as written, not canonicalised
		body   string
		answer answer
		// wantFailure is a piece of the one failure expected, or "".
		wantFailure   string
		wantValidated []string
		wantSkipped   []string
	}{
		{
			name: "lower-case token headers and an equal media type spelt otherwise", method: "POST", path: "/accesstoken/get",
			header: map[string]string{"client_id": uuid, "client_secret": "s", "Ocp-Apim-Subscription-Key": "k"},
			answer: token, wantValidated: []string{"POST /accesstoken/get"},
		},
		{
			name: "a missing required header", method: "POST", path: "/accesstoken/get",
			header: map[string]string{"client_id": uuid, "Ocp-Apim-Subscription-Key": "k"},
			answer: token, wantFailure: `parameter "client_secret" in header has an error`, wantValidated: []string{"POST /accesstoken/get"},
		},
		{
			name: "another media type", method: "POST", path: "/accesstoken/get",
			header: map[string]string{"client_id": uuid, "client_secret": "s", "Ocp-Apim-Subscription-Key": "k"},
			answer: answer{200, "text/plain", token.body}, wantFailure: "Content-Type", wantValidated: []string{"POST /accesstoken/get"},
		},
		{
			name: "a status the file does not declare", method: "POST", path: "/epayment/v1/test/payments/" + ref + "/approve",
			header: epaymentHeaders(), body: `{"token":"t"}`, answer: answer{500, "application/json", `{}`},
			wantFailure: "status is not supported", wantValidated: []string{"POST /epayment/v1/test/payments/{reference}/approve"},
		},
		{
			name: "a body the operation does not declare", method: "DELETE", path: "/webhooks/v1/webhooks/" + uuid,
			header: map[string]string{"Ocp-Apim-Subscription-Key": "k", "Content-Type": "application/json"}, body: `{"why":"x"}`,
			answer: answer{204, "", ""}, wantFailure: "request body", wantValidated: []string{"DELETE /v1/webhooks/{id}"},
		},
		{
			name: "an id that is not a uuid", method: "POST", path: "/webhooks/v1/webhooks",
			header: map[string]string{"Ocp-Apim-Subscription-Key": "k", "Content-Type": "application/json"},
			body:   `{"url":"https://partner.example/hook","events":["epayments.payment.created.v1"]}`,
			answer: answer{201, "application/json", `{"id":"wh-1","secret":"s"}`}, wantFailure: `format "uuid"`,
			wantValidated: []string{"POST /v1/webhooks"},
		},
		{
			name: "a URL that is not absolute", method: "POST", path: "/webhooks/v1/webhooks",
			header: map[string]string{"Ocp-Apim-Subscription-Key": "k", "Content-Type": "application/json"},
			body:   `{"url":"/hook","events":["epayments.payment.created.v1"]}`,
			answer: answer{201, "application/json", `{"id":"` + uuid + `","secret":"s"}`}, wantFailure: `format "uri"`,
			wantValidated: []string{"POST /v1/webhooks"},
		},
		{
			name: "an unspecified route passes unvalidated", method: "POST", path: "/recurring/v3/agreements/charges",
			header: map[string]string{"Content-Type": "application/json"}, body: `[{"nonsense":true}]`,
			answer: answer{202, "text/plain", "whatever"}, wantSkipped: []string{"POST /recurring/v3/agreements/charges"},
		},
		{
			name: "a route in no file", method: "GET", path: "/epayment/v1/nosuch",
			answer: answer{404, "application/json", `{}`}, wantFailure: "no such operation",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				if tc.answer.ctype != "" {
					w.Header().Set("Content-Type", tc.answer.ctype)
				}
				w.WriteHeader(tc.answer.status)
				_, _ = io.WriteString(w, tc.answer.body)
			}))
			defer srv.Close()
			v := &vippsspec.Validator{Specs: specs, Base: srv.URL + "/vipps", Unspecified: map[string]string{
				"POST /recurring/v3/agreements/charges": "batch"}}
			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body)
			}
			req, err := http.NewRequest(tc.method, srv.URL+"/vipps"+tc.path, body)
			require.NoError(t, err)
			for k, val := range tc.header {
				req.Header[k] = []string{val}
			}
			resp, err := (&http.Client{Transport: v}).Do(req)
			require.NoError(t, err)
			got, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.NoError(t, resp.Body.Close())
			assert.Equal(t, tc.answer.body, string(got), "the answer reaches the client whole")

			if tc.wantFailure == "" {
				assert.Empty(t, v.Failures())
			} else if assert.Len(t, v.Failures(), 1) {
				assert.Contains(t, v.Failures()[0], tc.wantFailure)
			}
			assert.Equal(t, tc.wantValidated, v.Validated())
			assert.Equal(t, tc.wantSkipped, v.Skipped())
		})
	}
}

func epaymentHeaders() map[string]string {
	return map[string]string{"Ocp-Apim-Subscription-Key": "k", "Merchant-Serial-Number": "123456",
		"Authorization": "Bearer " + jwt, "Content-Type": "application/json"}
}
