package vippsspec_test

import (
	"encoding/json"
	"testing"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/linkmobility/sms2vipps/internal/vippsspec"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestLoadAppliesEveryPatch(t *testing.T) {
	s, err := vippsspec.Load()
	require.NoError(t, err)
	assert.Len(t, s.List, len(vippsspec.Files))
	assert.ElementsMatch(t, []string{"psp-makepaymenturl-path", "epayment-customer-oneof", "epayment-paymentevent-name",
		"epayment-modification-content-type", "recurring-transactionid", "recurring-charge-id-length",
		"recurring-campaign-oneof", "recurring-campaign-nullable", "recurring-force-accept-204",
		"recurring-error-oneof", "msn-length", "accesstoken-jwt", "epayment-cancel-transaction-only",
		"apim-errors"}, s.Applied)
	for _, p := range vippsspec.Patches {
		assert.NotEmpty(t, p.Why, p.Name)
	}
}

// Each patch fails when its target is gone: applied again to the patched
// files, where the defect no longer is, every one of them must fail, as it
// would on a new version of a file that fixed the defect.
func TestPatchesFailWhenTheirTargetIsGone(t *testing.T) {
	s, err := vippsspec.Load()
	require.NoError(t, err)
	docs := map[string]*openapi3.T{}
	for _, sp := range s.List {
		docs[sp.Name] = sp.Doc
	}
	for _, p := range vippsspec.Patches {
		t.Run(p.Name, func(t *testing.T) {
			assert.Error(t, p.Apply(docs))
		})
	}
}

// The patched files take what the live API sends and refuse what it does
// not, value by value.
func TestPatchedSchemas(t *testing.T) {
	s, err := vippsspec.Load()
	require.NoError(t, err)
	component := func(spec, name string) func() *openapi3.Schema {
		return func() *openapi3.Schema { return s.Spec(spec).Doc.Components.Schemas[name].Value }
	}
	errorV3 := func() *openapi3.Schema {
		return s.Spec("recurring").Doc.Components.Responses["ErrorResponseV3"].Value.Content.Get("application/json;charset=UTF-8").Schema.Value
	}
	apim := `{"responseInfo":{"responseCode":401,"responseMessage":"Unauthorized"},"result":{"message":"Unauthorized"}}`
	for _, tc := range []struct {
		name   string
		schema func() *openapi3.Schema
		value  string
		ok     bool
	}{
		{"full flex campaign request", component("recurring", "campaignV3"),
			`{"type":"FULL_FLEX_CAMPAIGN","price":100,"end":"2026-06-01T00:00:00Z","interval":{"unit":"WEEK","count":2}}`, true},
		{"price campaign request", component("recurring", "campaignV3"),
			`{"type":"PRICE_CAMPAIGN","price":100,"end":"2026-06-01T00:00:00Z"}`, true},
		{"period campaign request without its period", component("recurring", "campaignV3"),
			`{"type":"PERIOD_CAMPAIGN","price":100,"end":"2026-06-01T00:00:00Z"}`, false},
		{"price campaign answer", component("recurring", "campaignResponseV3"),
			`{"type":"PRICE_CAMPAIGN","price":100,"end":"2026-06-01T00:00:00Z","explanation":"x"}`, true},
		{"legacy campaign answer", component("recurring", "campaignResponseV3"),
			`{"type":"LEGACY_CAMPAIGN","price":100,"end":"2026-06-01T00:00:00Z"}`, true},
		{"agreement without a campaign", component("recurring", "AgreementResponseV3"),
			`{"id":"agr_1","interval":{"unit":"MONTH","count":1,"text":"hver måned"},"pricing":{"type":"LEGACY","currency":"NOK","amount":100},
			"productName":"p","uuid":"9c2ca95c-245f-4a2e-aab2-4a08eb78e6fb","countryCode":"NO","created":"2026-01-01T00:00:00Z",
			"merchantAgreementUrl":"https://x","merchantRedirectUrl":"https://x","campaign":null}`, true},
		{"APIM error of Recurring", errorV3, apim, true},
		{"problem of Recurring", errorV3, `{"type":"https://x#validation-error","title":"Bad Request","status":400}`, true},
		{"seven-digit MSN", component("epayment", "MSN"), `"1234567"`, true},
		{"eight-digit MSN", component("epayment", "MSN"), `"12345678"`, false},
		{"JWT access token", component("accesstoken", "AuthorizationTokenResponse"),
			`{"token_type":"Bearer","expires_in":"3600","ext_expires_in":"0","expires_on":"1","not_before":"0","resource":"r",
			"access_token":"eyJ0eXAiOiJKV1QifQ.eyJzdWIiOiIxIn0.c2ln"}`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var v any
			require.NoError(t, json.Unmarshal([]byte(tc.value), &v))
			err := tc.schema().VisitJSON(v, openapi3.MultiErrors())
			if tc.ok {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}
