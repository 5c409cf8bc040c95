package vippsspec

import (
	"bytes"
	"fmt"

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
			if r == nil || r.Value == nil || r.Value.Content["application/problem+json"] == nil {
				return fmt.Errorf("AdjustResponse with application/problem+json not found")
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
		Why:  "campaignResponseV3 matches two oneOf branches for every campaign (their properties overlap)",
		Apply: func(docs map[string]*openapi3.T) error {
			s, err := component(docs["recurring"], "campaignResponseV3")
			if err != nil {
				return err
			}
			if len(s.OneOf) == 0 {
				return fmt.Errorf("campaignResponseV3 has no oneOf")
			}
			s.AnyOf, s.OneOf, s.Discriminator = s.OneOf, nil, nil
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
