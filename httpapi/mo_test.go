package httpapi

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
)

func TestParseMO(t *testing.T) {
	for _, tt := range []struct {
		name, contentType, query, body string
		want                           sms2vipps.InboundMessage
		badFields                      []string
	}{
		{name: "LINK JSON", contentType: "application/json",
			body: `{"messageId":"m1","source":"+4741560067","destination":"NO-27222","content":{"type":"SMS","userData":" Charge now ","encoding":"TEXT"},
			        "route":{"keyword":"CHARGE"},"customParameters":{"moReferenceId":"ref-9"}}`,
			want: sms2vipps.InboundMessage{MessageID: "m1", From: "+4741560067", ShortNumber: "27222", Text: "Charge now", Keyword: "CHARGE", ReferenceID: "ref-9"}},
		{name: "JSON without content type", body: `{"messageId":"m2","source":"4741560067","destination":"27222","content":{"userData":"x"}}`,
			want: sms2vipps.InboundMessage{MessageID: "m2", From: "+4741560067", ShortNumber: "27222", Text: "x"}},
		{name: "form", contentType: "application/x-www-form-urlencoded", body: "messageId=m3&source=%2B4741560067&destination=NO-27222&userData=ENDCHARGE",
			want: sms2vipps.InboundMessage{MessageID: "m3", From: "+4741560067", ShortNumber: "27222", Text: "ENDCHARGE"}},
		{name: "query", query: "messageId=m4&source=%2B4741560067&destination=NO-27222&userData=CHARGE&moReferenceId=r4",
			want: sms2vipps.InboundMessage{MessageID: "m4", From: "+4741560067", ShortNumber: "27222", Text: "CHARGE", ReferenceID: "r4"}},
		{name: "everything missing", contentType: "application/json", body: `{}`, badFields: []string{"messageId", "source", "destination"}},
		{name: "fixed line sender and word destination", contentType: "application/json",
			body: `{"messageId":"m5","source":"+4722225555","destination":"NO-ABC"}`, badFields: []string{"source", "destination"}},
		{name: "malformed JSON", contentType: "application/json", body: `{"messageId":`, badFields: []string{"body"}},
		{name: "wrong type", contentType: "application/json", body: `{"messageId":5}`, badFields: []string{"body"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/api/KeywordSent?"+tt.query, strings.NewReader(tt.body))
			if tt.contentType != "" {
				r.Header.Set("Content-Type", tt.contentType)
			}
			got, err := parseMO(r)
			if tt.badFields != nil {
				assert.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(err))
				var fields []string
				for _, f := range sms2vipps.ErrorFields(err) {
					fields = append(fields, f.Field)
				}
				assert.Equal(t, tt.badFields, fields)
				return
			}
			assert.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}

func TestShortNumber(t *testing.T) {
	for in, want := range map[string]string{"NO-27222": "27222", "27222": "27222", " NO-2333 ": "2333", "": "", "NO-": "", "NO-27a": ""} {
		got, ok := shortNumber(in)
		assert.Equal(t, want, got, in)
		assert.Equal(t, want != "", ok, in)
	}
}

func TestGatewayAuth(t *testing.T) {
	basic := GatewayAuth{Mode: "basic", Username: "u", Password: "p"}
	secret := GatewayAuth{Mode: "secret", Secret: "s3"}
	req := func(mut func(*http.Request)) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/api/KeywordSent", nil)
		mut(r)
		return r
	}
	assert.True(t, basic.Check(req(func(r *http.Request) { r.SetBasicAuth("u", "p") })))
	assert.False(t, basic.Check(req(func(r *http.Request) { r.SetBasicAuth("u", "x") })))
	assert.False(t, basic.Check(req(func(r *http.Request) { r.SetBasicAuth("x", "p") })))
	assert.False(t, basic.Check(req(func(*http.Request) {})))
	assert.True(t, secret.Check(req(func(r *http.Request) { r.Header.Set("X-Gateway-Secret", "s3") })))
	assert.True(t, secret.Check(req(func(r *http.Request) { r.URL.RawQuery = "secret=s3" })))
	assert.False(t, secret.Check(req(func(r *http.Request) { r.Header.Set("X-Gateway-Secret", "s4") })))
	assert.False(t, secret.Check(req(func(*http.Request) {})))
	assert.False(t, GatewayAuth{}.Check(req(func(*http.Request) {})), "no mode, no entry")
}

func TestErrorStatus(t *testing.T) {
	for code, want := range map[string]int{
		sms2vipps.EINVALID: 400, sms2vipps.EUNAUTHORIZED: 401, sms2vipps.ENOTFOUND: 404, sms2vipps.ECONFLICT: 409,
		sms2vipps.EUPSTREAM: 502, sms2vipps.EUNAVAILABLE: 503, sms2vipps.EINTERNAL: 500,
	} {
		assert.Equal(t, want, ErrorStatus(sms2vipps.Errorf(code, "x")), code)
	}
	assert.Equal(t, 500, ErrorStatus(assert.AnError))
}
