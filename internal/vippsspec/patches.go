package vippsspec

import (
	"bytes"
	"fmt"
	"slices"

	"github.com/getkin/kin-openapi/openapi3"
)

// Patch mends one known defect of the official files in memory. Each fails
// when its target is gone, so a new spec version is noticed, not masked.
type Patch struct {
	Name  string
	Why   string
	Apply func(docs map[string]*openapi3.T) error
}

// patchPSPPath is applied to the raw text before loading (the loader
// refuses the path otherwise).
var patchPSPPath = Patch{Name: "psp-makepaymenturl-path",
	Why: "psp-api-v3.yaml names Vipps's callback to the PSP '[ makePaymentUrl ]', which is not a path"}

func renamePSPCallback(raw []byte) ([]byte, error) {
	old := []byte(`"[ makePaymentUrl ]":`)
	if !bytes.Contains(raw, old) {
		return nil, fmt.Errorf("patch %s: the path is gone", patchPSPPath.Name)
	}
	return bytes.Replace(raw, old, []byte(`"/makePaymentUrl":`), 1), nil
}

var patches = []Patch{
	{
		Name: "epayment-customer-oneof",
		Why: "Customer is a oneOf of three schemas none of which requires its property, so every customer " +
			"matches all three and a strict validator rejects every create with a customer; the text says only one may be given",
		Apply: func(docs map[string]*openapi3.T) error {
			for schema, prop := range map[string]string{"CustomerPhoneNumber": "phoneNumber", "PersonalQrCode": "personalQr", "CustomerToken": "customerToken"} {
				s, err := component(docs["epayment"], schema)
				if err != nil {
					return err
				}
				if s.Properties[prop] == nil {
					return fmt.Errorf("%s has no property %s", schema, prop)
				}
				if len(s.Required) > 0 {
					return fmt.Errorf("%s requires %v now", schema, s.Required)
				}
				s.Required = []string{prop}
			}
			return nil
		},
	},
	{
		Name: "epayment-paymentevent-name",
		Why:  "PaymentEvent requires paymentAction although the field is name",
		Apply: func(docs map[string]*openapi3.T) error {
			s, err := component(docs["epayment"], "PaymentEvent")
			if err != nil {
				return err
			}
			return dropRequired(s, "paymentAction")
		},
	},
	{
		Name: "epayment-modification-content-type",
		Why:  "the 200 of capture/cancel/refund is declared application/problem+json; the API answers application/json",
		Apply: func(docs map[string]*openapi3.T) error {
			r := docs["epayment"].Components.Responses["AdjustResponse"]
			if r == nil || r.Value == nil || r.Value.Content["application/problem+json"] == nil || r.Value.Content["application/json"] != nil {
				return fmt.Errorf("AdjustResponse with application/problem+json alone not found")
			}
			r.Value.Content["application/json"] = r.Value.Content["application/problem+json"]
			return nil
		},
	},
	{
		Name: "recurring-transactionid",
		Why:  "transactionId has the pattern ^\\d{10+}$, which matches nothing real, and is required although it is null until CHARGED",
		Apply: func(docs map[string]*openapi3.T) error {
			n := 0
			walk(docs["recurring"], func(parent *openapi3.Schema, name string, s *openapi3.Schema) {
				if name == "transactionId" && s.Pattern == `^\d{10+}$` {
					s.Pattern, s.Nullable = "", true
					_ = dropRequired(parent, name)
					n++
				}
			})
			if n == 0 {
				return fmt.Errorf("no transactionId with the broken pattern")
			}
			return nil
		},
	},
	{
		Name: "recurring-charge-id-length",
		Why:  "charge ids have maxLength 15 although an orderId of up to 50 characters becomes the charge id",
		Apply: func(docs map[string]*openapi3.T) error {
			n := 0
			walk(docs["recurring"], func(_ *openapi3.Schema, name string, s *openapi3.Schema) {
				if (name == "chargeId" || name == "id") && s.MaxLength != nil && *s.MaxLength == 15 {
					fifty := uint64(50)
					s.MaxLength = &fifty
					n++
				}
			})
			if n == 0 {
				return fmt.Errorf("no charge id with maxLength 15")
			}
			return nil
		},
	},
	{
		Name: "recurring-campaign-oneof",
		Why: "campaignV3 (request) and campaignResponseV3 are oneOfs discriminated by type whose branches each " +
			"allow every campaign type, so a campaign matches every branch whose fields it has (a FULL_FLEX_CAMPAIGN " +
			"is also a price campaign; every answer matches two); each branch is narrowed to the type it describes " +
			"(VIPPS.md §3), so exactly one matches",
		Apply: func(docs map[string]*openapi3.T) error {
			for union, branches := range map[string]map[string]string{
				"campaignV3": {"priceCampaignV3": "PRICE_CAMPAIGN", "periodCampaignV3": "PERIOD_CAMPAIGN",
					"eventCampaignV3": "EVENT_CAMPAIGN", "fullFlexCampaignV3": "FULL_FLEX_CAMPAIGN"},
				"campaignResponseV3": {"priceCampaignResponseV3": "PRICE_CAMPAIGN", "periodCampaignResponseV3": "PERIOD_CAMPAIGN",
					"eventCampaignResponseV3": "EVENT_CAMPAIGN", "fullFlexCampaignResponseV3": "FULL_FLEX_CAMPAIGN",
					"legacyCampaignResponseV3": "LEGACY_CAMPAIGN"},
			} {
				u, err := component(docs["recurring"], union)
				if err != nil {
					return err
				}
				if len(u.OneOf) != len(branches) || u.Discriminator == nil || u.Discriminator.PropertyName != "type" {
					return fmt.Errorf("%s is no longer a oneOf of %d discriminated by type", union, len(branches))
				}
				for name, typ := range branches {
					b, err := component(docs["recurring"], name)
					if err != nil {
						return err
					}
					t := b.Properties["type"]
					if t == nil || t.Value == nil || len(t.Value.Enum) < 2 || !slices.Contains(t.Value.Enum, any(typ)) {
						return fmt.Errorf("%s.type no longer lists every campaign type", name)
					}
					t.Value.Enum = []any{typ}
				}
			}
			return nil
		},
	},
	{
		Name: "recurring-campaign-nullable",
		Why: "AgreementResponseV3.campaign is declared nullable beside its $ref, where OpenAPI 3.0 ignores " +
			"siblings, so an agreement without a campaign (campaign: null) fails; the nullable is made effective",
		Apply: func(docs map[string]*openapi3.T) error {
			s, err := component(docs["recurring"], "AgreementResponseV3")
			if err != nil {
				return err
			}
			p := s.Properties["campaign"]
			if p == nil || p.Ref != "#/components/schemas/campaignResponseV3" || p.Value == nil || p.Value.Nullable {
				return fmt.Errorf("AgreementResponseV3.campaign is no longer a bare $ref to campaignResponseV3")
			}
			s.Properties["campaign"] = openapi3.NewSchemaRef("", &openapi3.Schema{Nullable: true, AllOf: openapi3.SchemaRefs{p}})
			return nil
		},
	},
	{
		Name: "msn-length",
		Why: "the MSN is ^[0-9]{4,6}$ in the ePayment file (the Merchant-Serial-Number header and the webhook msn) " +
			"and the access token file; live MSNs have 4-7 digits (VIPPS.md §0, SOURCES.md)",
		Apply: func(docs map[string]*openapi3.T) error {
			s, err := component(docs["epayment"], "MSN")
			if err != nil {
				return err
			}
			p := docs["accesstoken"].Components.Parameters["Merchant-Serial-Number"]
			if p == nil || p.Value == nil || p.Value.Schema == nil || p.Value.Schema.Value == nil {
				return fmt.Errorf("the access token file's Merchant-Serial-Number not found")
			}
			for _, s := range []*openapi3.Schema{s, p.Value.Schema.Value} {
				if s.Pattern != "^[0-9]{4,6}$" || s.MaxLength == nil || *s.MaxLength != 6 {
					return fmt.Errorf("an MSN is no longer ^[0-9]{4,6}$")
				}
				s.Pattern, s.MaxLength = "^[0-9]{4,7}$", new(uint64(7))
			}
			return nil
		},
	},
	{
		Name: "accesstoken-jwt",
		Why: "access_token is declared format: byte (base64), but it is a JWT (VIPPS.md §1; the file's own text " +
			"says so and its example breaks it, SOURCES.md), whose '.'-separated base64url parts no real token passes",
		Apply: func(docs map[string]*openapi3.T) error {
			for _, name := range []string{"AuthorizationTokenResponse", "TokenResponse"} {
				s, err := component(docs["accesstoken"], name)
				if err != nil {
					return err
				}
				t := s.Properties["access_token"]
				if t == nil || t.Value == nil || t.Value.Format != "byte" {
					return fmt.Errorf("%s.access_token is no longer format: byte", name)
				}
				t.Value.Format = ""
			}
			return nil
		},
	},
	{
		Name: "epayment-cancel-transaction-only",
		Why: "cancel declares no body; live it takes an optional {\"cancelTransactionOnly\": true}, which cancels " +
			"only a payment not yet authorized (SOURCES.md, VIPPS.md §2)",
		Apply: func(docs map[string]*openapi3.T) error {
			p := docs["epayment"].Paths.Value("/epayment/v1/payments/{reference}/cancel")
			if p == nil || p.Post == nil {
				return fmt.Errorf("POST /epayment/v1/payments/{reference}/cancel not found")
			}
			if p.Post.RequestBody != nil {
				return fmt.Errorf("cancel declares a body now")
			}
			body := openapi3.NewObjectSchema().WithProperty("cancelTransactionOnly", openapi3.NewBoolSchema())
			body.AdditionalProperties = openapi3.AdditionalProperties{Has: new(false)}
			p.Post.RequestBody = &openapi3.RequestBodyRef{Value: openapi3.NewRequestBody().WithJSONSchema(body)}
			return nil
		},
	},
	{
		Name: "recurring-error-oneof",
		Why: "ErrorResponseV3 is a oneOf of ErrorV3 and ErrorFromAzure, but ErrorV3 requires nothing, so every " +
			"Azure API Management error (401, 429; VIPPS.md §3) matches both and fails; either may come, so anyOf",
		Apply: func(docs map[string]*openapi3.T) error {
			r := docs["recurring"].Components.Responses["ErrorResponseV3"]
			if r == nil || r.Value == nil {
				return fmt.Errorf("ErrorResponseV3 not found")
			}
			n := 0
			for _, mt := range r.Value.Content {
				if s := mt.Schema; s != nil && s.Value != nil && len(s.Value.OneOf) == 2 {
					s.Value.AnyOf, s.Value.OneOf = s.Value.OneOf, nil
					n++
				}
			}
			if n == 0 {
				return fmt.Errorf("ErrorResponseV3 is no longer a oneOf of two")
			}
			return nil
		},
	},
	{
		Name: "apim-errors",
		Why: "the ePayment and Webhooks files declare no 401, and ePayment no 429, although Azure API Management, " +
			"in front of every API, answers 401 to a missing, wrong or expired token (VIPPS.md §0, §1) and 429 to " +
			"ePayment's rate limits (VIPPS.md §2), with the body the Recurring file documents as ErrorFromAzure (VIPPS.md §3)",
		Apply: func(docs map[string]*openapi3.T) error {
			azure := docs["recurring"].Components.Schemas["ErrorFromAzure"]
			if azure == nil || azure.Value == nil {
				return fmt.Errorf("the Recurring file's ErrorFromAzure not found")
			}
			n := 0
			for api, statuses := range map[string][]string{"epayment": {"401", "429"}, "webhooks": {"401"}} {
				for path, item := range docs[api].Paths.Map() {
					for method, op := range item.Operations() {
						for _, status := range statuses {
							if op.Responses.Value(status) != nil {
								return fmt.Errorf("%s %s declares %s now", method, path, status)
							}
							op.Responses.Set(status, &openapi3.ResponseRef{Value: openapi3.NewResponse().
								WithDescription("Azure API Management").WithJSONSchema(azure.Value)})
							n++
						}
					}
				}
			}
			if n == 0 {
				return fmt.Errorf("no operations")
			}
			return nil
		},
	},
	{
		Name: "recurring-force-accept-204",
		Why:  "the 204 of force-accept declares a JSON body",
		Apply: func(docs map[string]*openapi3.T) error {
			p := docs["recurring"].Paths.Value("/recurring/v3/agreements/{agreementId}/accept")
			if p == nil || p.Patch == nil {
				return fmt.Errorf("PATCH /recurring/v3/agreements/{agreementId}/accept not found")
			}
			r := p.Patch.Responses.Value("204")
			if r == nil || r.Value == nil || len(r.Value.Content) == 0 {
				return fmt.Errorf("its 204 has no content to drop")
			}
			r.Value.Content = nil
			return nil
		},
	},
}

func component(doc *openapi3.T, name string) (*openapi3.Schema, error) {
	ref := doc.Components.Schemas[name]
	if ref == nil || ref.Value == nil {
		return nil, fmt.Errorf("schema %s not found", name)
	}
	return ref.Value, nil
}

func dropRequired(s *openapi3.Schema, name string) error {
	for i, r := range s.Required {
		if r == name {
			s.Required = append(s.Required[:i:i], s.Required[i+1:]...)
			return nil
		}
	}
	return fmt.Errorf("%q is not required", name)
}

// walk visits every property schema reachable from the components, once.
func walk(doc *openapi3.T, visit func(parent *openapi3.Schema, name string, s *openapi3.Schema)) {
	seen := map[*openapi3.Schema]bool{}
	var rec func(s *openapi3.Schema)
	rec = func(s *openapi3.Schema) {
		if s == nil || seen[s] {
			return
		}
		seen[s] = true
		for name, p := range s.Properties {
			if p != nil && p.Value != nil {
				visit(s, name, p.Value)
				rec(p.Value)
			}
		}
		for _, list := range [][]*openapi3.SchemaRef{s.AllOf, s.OneOf, s.AnyOf} {
			for _, r := range list {
				if r != nil {
					rec(r.Value)
				}
			}
		}
		if s.Items != nil {
			rec(s.Items.Value)
		}
	}
	for _, r := range doc.Components.Schemas {
		if r != nil {
			rec(r.Value)
		}
	}
}
