package sandbox

import (
	"strings"
	"time"
)

type intervalRequest struct {
	Unit  string `json:"unit"`
	Count *int   `json:"count"`
}

func checkInterval(ch *checker, field string, in *intervalRequest) AgreementInterval {
	if in == nil {
		ch.bad("", field, "required")
		return AgreementInterval{}
	}
	switch in.Unit {
	case "YEAR", "MONTH", "WEEK", "DAY":
	default:
		ch.bad("", field+".unit", "must be YEAR, MONTH, WEEK or DAY")
	}
	if in.Count == nil || *in.Count < 1 || *in.Count > 31 {
		ch.bad("", field+".count", "must be 1 to 31")
		return AgreementInterval{Unit: in.Unit}
	}
	return AgreementInterval{Unit: in.Unit, Count: *in.Count}
}

// draftAgreementRequest is DraftAgreementV3.
type draftAgreementRequest struct {
	Pricing *struct {
		Type               string `json:"type"`
		Currency           string `json:"currency"`
		Amount             *int64 `json:"amount"`
		SuggestedMaxAmount *int64 `json:"suggestedMaxAmount"`
	} `json:"pricing"`
	Interval *intervalRequest `json:"interval"`
	Campaign *struct {
		Type      string           `json:"type"`
		Price     *int64           `json:"price"`
		End       string           `json:"end"`
		EventDate string           `json:"eventDate"`
		EventText string           `json:"eventText"`
		Period    *intervalRequest `json:"period"`
		Interval  *intervalRequest `json:"interval"`
	} `json:"campaign"`
	PhoneNumber   *string `json:"phoneNumber"`
	InitialCharge *struct {
		Amount          *int64  `json:"amount"`
		Description     *string `json:"description"`
		TransactionType string  `json:"transactionType"`
		OrderID         *string `json:"orderId"`
		ExternalID      *string `json:"externalId"`
	} `json:"initialCharge"`
	IsApp                bool    `json:"isApp"`
	MerchantRedirectURL  string  `json:"merchantRedirectUrl"`
	MerchantAgreementURL string  `json:"merchantAgreementUrl"`
	ProductName          string  `json:"productName"`
	ProductDescription   *string `json:"productDescription"`
	Scope                string  `json:"scope"`
	SkipLandingPage      bool    `json:"skipLandingPage"`
	ExternalID           *string `json:"externalId"`
	CountryCode          string  `json:"countryCode"`
}

// checkDraft applies the spec to a draft and returns the agreement it asks
// for. merchantRedirectUrl may be https or a deep link,
// merchantAgreementUrl only https; both may be plain http to 127.0.0.1 or
// localhost, which the sandbox allows for local runs.
func checkDraft(req *draftAgreementRequest, now time.Time) (*Agreement, *checker) {
	ch := &checker{}
	a := &Agreement{ProductName: req.ProductName, MerchantRedirectURL: req.MerchantRedirectURL,
		MerchantAgreementURL: req.MerchantAgreementURL, Scope: req.Scope, CountryCode: "NO", Created: now}
	if p := req.Pricing; p == nil {
		ch.bad("", "pricing", "required")
	} else {
		a.Pricing = AgreementPricing{Type: p.Type, Currency: p.Currency}
		if a.Pricing.Type == "" {
			a.Pricing.Type = "LEGACY"
		}
		if p.Currency != "NOK" {
			ch.bad("", "pricing.currency", "must be NOK")
		}
		switch a.Pricing.Type {
		case "LEGACY":
			if p.Amount == nil || *p.Amount < 100 {
				ch.bad("", "pricing.amount", "required for LEGACY pricing, at least 100")
			} else {
				a.Pricing.Amount = *p.Amount
			}
			if p.SuggestedMaxAmount != nil {
				ch.bad("", "pricing.suggestedMaxAmount", "only for VARIABLE pricing")
			}
		case "VARIABLE":
			if s := p.SuggestedMaxAmount; s == nil || *s < 100 || *s > 2_000_000 {
				ch.bad("invalid-suggested-max-amount", "pricing.suggestedMaxAmount", "required for VARIABLE pricing, 100 to 2000000")
			} else {
				a.Pricing.SuggestedMaxAmount = *s
			}
			if p.Amount != nil {
				ch.bad("", "pricing.amount", "only for LEGACY pricing")
			}
		default:
			ch.bad("", "pricing.type", "must be LEGACY or VARIABLE")
		}
	}
	a.Interval = checkInterval(ch, "interval", req.Interval)
	if n := len([]rune(req.ProductName)); n < 1 || n > 45 {
		ch.bad("", "productName", "must be 1 to 45 characters")
	}
	if d := req.ProductDescription; d != nil {
		a.ProductDescription = *d
		if len([]rune(*d)) > 100 {
			ch.bad("", "productDescription", "at most 100 characters")
		}
	}
	if !merchantURL(req.MerchantRedirectURL, true) {
		ch.bad("", "merchantRedirectUrl", "must be an https URL or a deep link, at most 1024 characters")
	}
	if !merchantURL(req.MerchantAgreementURL, false) {
		ch.bad("", "merchantAgreementUrl", "must be an https URL, at most 1024 characters")
	}
	if p := req.PhoneNumber; p != nil {
		a.PhoneNumber = *p
		if !msisdnPattern.MatchString(*p) {
			ch.bad("", "phoneNumber", "must be an MSISDN: 10-15 digits with the country code, no +")
		}
	}
	for _, s := range strings.Fields(req.Scope) {
		if !profileScopes[s] {
			ch.bad("", "scope", "unknown scope "+s)
		}
	}
	if e := req.ExternalID; e != nil {
		a.ExternalID = *e
		if len(*e) < 1 || len([]rune(*e)) > 64 {
			ch.bad("", "externalId", "must be 1 to 64 characters")
		}
	}
	if req.CountryCode != "" && req.CountryCode != "NO" {
		ch.bad("", "countryCode", "must be NO")
	}
	a.Campaign = checkCampaign(ch, req, a.Pricing, now)
	if ic := req.InitialCharge; ic != nil {
		if ic.Amount == nil || *ic.Amount < 100 {
			ch.bad("", "initialCharge.amount", "required, at least 100")
		}
		if d := ic.Description; d == nil || len([]rune(*d)) < 1 || len([]rune(*d)) > 45 {
			ch.bad("", "initialCharge.description", "must be 1 to 45 characters")
		}
		if ic.TransactionType != "DIRECT_CAPTURE" && ic.TransactionType != "RESERVE_CAPTURE" {
			ch.bad("", "initialCharge.transactionType", "must be DIRECT_CAPTURE or RESERVE_CAPTURE")
		}
		if o := ic.OrderID; o != nil && !orderIDPattern.MatchString(*o) {
			ch.bad("", "initialCharge.orderId", "must be 1 to 50 of a-z, A-Z, 0-9 and -")
		}
		if e := ic.ExternalID; e != nil && (len(*e) < 1 || len([]rune(*e)) > 64) {
			ch.bad("", "initialCharge.externalId", "must be 1 to 64 characters")
		}
	}
	return a, ch
}

// checkCampaign checks the campaign's type and the fields that type needs.
func checkCampaign(ch *checker, req *draftAgreementRequest, pricing AgreementPricing, now time.Time) *AgreementCampaign {
	in := req.Campaign
	if in == nil {
		return nil
	}
	out := &AgreementCampaign{Type: in.Type}
	if pricing.Type == "VARIABLE" {
		ch.bad("unsupported-feature", "campaign", "campaigns are not available with VARIABLE pricing")
	}
	if in.Price == nil || *in.Price < 0 {
		ch.bad("", "campaign.price", "required, 0 or more")
	} else {
		out.Price = *in.Price
		if pricing.Amount > 0 && *in.Price >= pricing.Amount {
			ch.bad("", "campaign.price", "must be lower than the agreement price")
		}
	}
	future := func(field, s string) time.Time {
		t, err := time.Parse(time.RFC3339, s)
		if err != nil || !t.After(now) {
			ch.bad("", field, "required, an RFC 3339 UTC time in the future")
		}
		return t.UTC()
	}
	switch in.Type {
	case "PRICE_CAMPAIGN":
		out.End = future("campaign.end", in.End)
	case "PERIOD_CAMPAIGN":
		p := checkInterval(ch, "campaign.period", in.Period)
		out.Period = &p
	case "EVENT_CAMPAIGN":
		out.EventDate = future("campaign.eventDate", in.EventDate)
		out.EventText = in.EventText
		if in.EventText == "" {
			ch.bad("", "campaign.eventText", "required")
		}
	case "FULL_FLEX_CAMPAIGN":
		out.End = future("campaign.end", in.End)
		p := checkInterval(ch, "campaign.interval", in.Interval)
		out.Interval = &p
	default:
		ch.bad("", "campaign.type", "must be PRICE_CAMPAIGN, PERIOD_CAMPAIGN, EVENT_CAMPAIGN or FULL_FLEX_CAMPAIGN")
	}
	return out
}
