package vipps

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// AgreementStatus is where an agreement is (VIPPS.md §3): PENDING for 10
// minutes, then ACTIVE or EXPIRED; STOPPED is final and cannot be undone.
type AgreementStatus string

// Agreement statuses.
const (
	AgreementPending AgreementStatus = "PENDING"
	AgreementActive  AgreementStatus = "ACTIVE"
	AgreementStopped AgreementStatus = "STOPPED"
	AgreementExpired AgreementStatus = "EXPIRED"
)

// PricingType decides which Pricing amounts apply; it can never change.
type PricingType string

// Pricing types.
const (
	// PricingLegacy is a fixed price (Amount); charges within one interval
	// may total at most 5× the price.
	PricingLegacy PricingType = "LEGACY"
	// PricingVariable lets the user choose a maximum (SuggestedMaxAmount
	// is our suggestion, MaxAmount the user's choice).
	PricingVariable PricingType = "VARIABLE"
	// PricingFlexible has no ceiling [live].
	PricingFlexible PricingType = "FLEXIBLE"
)

// CampaignType decides which Campaign fields apply.
type CampaignType string

// Campaign types.
const (
	PriceCampaign    CampaignType = "PRICE_CAMPAIGN"     // Price until End
	PeriodCampaign   CampaignType = "PERIOD_CAMPAIGN"    // Price for Period
	EventCampaign    CampaignType = "EVENT_CAMPAIGN"     // Price until EventDate, described by EventText
	FullFlexCampaign CampaignType = "FULL_FLEX_CAMPAIGN" // Price every Interval until End
	LegacyCampaign   CampaignType = "LEGACY_CAMPAIGN"    // in answers only
)

// Pricing is an agreement's price (pricingRequest and pricingResponse).
type Pricing struct {
	Type     PricingType `json:"type,omitempty"` // LEGACY when empty
	Currency string      `json:"currency"`
	// Amount is the LEGACY price (at least 100).
	Amount sms2vipps.Amount `json:"amount,omitempty"`
	// SuggestedMaxAmount is the VARIABLE suggestion (100–2 000 000 NOK øre).
	SuggestedMaxAmount sms2vipps.Amount `json:"suggestedMaxAmount,omitempty"`
	// MaxAmount is, in answers, the maximum the user chose (VARIABLE).
	MaxAmount sms2vipps.Amount `json:"maxAmount,omitempty"`
}

// Campaign is an agreement's introductory price; Type says which of the
// optional fields it needs (campaignV3's oneOf, flattened). Times are UTC.
type Campaign struct {
	Type      CampaignType     `json:"type"`
	Price     sms2vipps.Amount `json:"price"`
	End       time.Time        `json:"end,omitzero"`
	Period    *TimePeriod      `json:"period,omitempty"`
	EventDate time.Time        `json:"eventDate,omitzero"`
	EventText string           `json:"eventText,omitempty"`
	Interval  *TimePeriod      `json:"interval,omitempty"`
	// Explanation is, in answers, the text the app shows.
	Explanation string `json:"explanation,omitempty"`
}

// InitialCharge is charged (or reserved) when the user approves the
// agreement; a failed DIRECT_CAPTURE one makes the agreement EXPIRED.
type InitialCharge struct {
	Amount          sms2vipps.Amount `json:"amount"`
	Description     string           `json:"description"`
	TransactionType TransactionType  `json:"transactionType"`
	OrderID         string           `json:"orderId,omitempty"`
	ExternalID      string           `json:"externalId,omitempty"`
}

// DraftAgreementRequest is the body of POST /recurring/v3/agreements
// (DraftAgreementV3).
type DraftAgreementRequest struct {
	Campaign *Campaign `json:"campaign,omitempty"`
	Pricing  Pricing   `json:"pricing"`
	// PhoneNumber prefills the landing page: MSISDN digits, no "+".
	PhoneNumber   string         `json:"phoneNumber,omitempty"`
	InitialCharge *InitialCharge `json:"initialCharge,omitempty"`
	// Interval is required by the spec; [live] it may be left out for
	// pay-per-use agreements.
	Interval *TimePeriod `json:"interval,omitempty"`
	IsApp    bool        `json:"isApp,omitempty"`
	// MerchantAgreementURL is the user's self-service page (https, ≤1024).
	MerchantAgreementURL string `json:"merchantAgreementUrl,omitempty"`
	// MerchantRedirectURL is where the user returns after approving
	// (https or a deeplink, ≤1024). Never trust the return: poll.
	MerchantRedirectURL string `json:"merchantRedirectUrl"`
	ProductName         string `json:"productName"`
	ProductDescription  string `json:"productDescription,omitempty"`
	Scope               string `json:"scope,omitempty"`
	// SkipLandingPage pushes straight to the app; whitelisted MSNs only
	// (else 403).
	SkipLandingPage bool   `json:"skipLandingPage,omitempty"`
	ExternalID      string `json:"externalId,omitempty"`
	CountryCode     string `json:"countryCode,omitempty"`
}

// DraftAgreementResponse is the 201 of a draft. Send the user to
// VippsConfirmationURL unchanged. ChargeID is the initial charge's, if any.
type DraftAgreementResponse struct {
	AgreementID          string `json:"agreementId"`
	UUID                 string `json:"uuid"`
	VippsConfirmationURL string `json:"vippsConfirmationUrl,omitempty"`
	ChargeID             string `json:"chargeId,omitempty"`
}

// Agreement is an agreement as Vipps answers it (AgreementResponseV3).
type Agreement struct {
	Campaign             *Campaign       `json:"campaign,omitempty"`
	Pricing              Pricing         `json:"pricing"`
	ID                   string          `json:"id"`
	Interval             TimePeriod      `json:"interval"`
	ProductName          string          `json:"productName"`
	ProductDescription   string          `json:"productDescription,omitempty"`
	Created              time.Time       `json:"created,omitzero"`
	Start                time.Time       `json:"start,omitzero"`
	Stop                 time.Time       `json:"stop,omitzero"`
	Status               AgreementStatus `json:"status"`
	MerchantAgreementURL string          `json:"merchantAgreementUrl,omitempty"`
	MerchantRedirectURL  string          `json:"merchantRedirectUrl,omitempty"`
	Sub                  string          `json:"sub,omitempty"`
	UserinfoURL          string          `json:"userinfoUrl,omitempty"`
	ExternalID           string          `json:"externalId,omitempty"`
	CountryCode          string          `json:"countryCode,omitempty"`
	UUID                 string          `json:"uuid"`
	VippsConfirmationURL string          `json:"vippsConfirmationUrl,omitempty"`
}

// PatchAgreementRequest is the body of an update (PatchAgreementV3). Only
// the fields set are changed. To stop an agreement use StopAgreement:
// status STOPPED must be sent alone (VIPPS.md §3).
type PatchAgreementRequest struct {
	ProductName          string          `json:"productName,omitempty"`
	ProductDescription   string          `json:"productDescription,omitempty"`
	MerchantAgreementURL string          `json:"merchantAgreementUrl,omitempty"`
	ExternalID           string          `json:"externalId,omitempty"`
	Status               AgreementStatus `json:"status,omitempty"`
	Pricing              *PricingUpdate  `json:"pricing,omitempty"`
	Interval             *IntervalUpdate `json:"interval,omitempty"`
}

// PricingUpdate changes the LEGACY Amount or the VARIABLE
// SuggestedMaxAmount.
type PricingUpdate struct {
	Amount             sms2vipps.Amount `json:"amount,omitempty"`
	SuggestedMaxAmount sms2vipps.Amount `json:"suggestedMaxAmount,omitempty"`
}

// IntervalUpdate changes the interval: Type RECURRING (the default) with a
// Period, or FLEXIBLE [live].
type IntervalUpdate struct {
	Type   string      `json:"type,omitempty"`
	Period *TimePeriod `json:"period,omitempty"`
}

// ListAgreementsOptions filter and page ListAgreements.
type ListAgreementsOptions struct {
	// Status filters; Vipps lists only ACTIVE agreements when it is empty.
	Status AgreementStatus
	// CreatedAfter lists agreements created after this time (sent in
	// milliseconds since the epoch); zero sends nothing.
	CreatedAfter time.Time
	// PageSize asks for pages of this size with pageNumber [live]; 0 sends
	// neither, and only the Continuation-Token header is followed.
	PageSize int
}

// DraftAgreement creates an agreement for the user to approve (POST
// /recurring/v3/agreements). Errors: EINVALID (refused; also before
// sending for a request the spec forbids), EUNAUTHORIZED (403 also when
// skipLandingPage is not allowed), EUNAVAILABLE, EUPSTREAM (unclear: draft
// again with the same key).
func (s *RecurringService) DraftAgreement(ctx context.Context, cred Credentials, key string, req DraftAgreementRequest) (*DraftAgreementResponse, error) {
	if err := checkDraft(&req); err != nil {
		return nil, err
	}
	if c := req.Campaign; c != nil {
		cc := *c
		cc.End, cc.EventDate = utc(cc.End), utc(cc.EventDate) // campaign times must be UTC
		req.Campaign = &cc
	}
	var out DraftAgreementResponse
	if _, err := s.c.do(ctx, cred, request{method: http.MethodPost, path: "/recurring/v3/agreements", key: key, body: req}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

func utc(t time.Time) time.Time {
	if t.IsZero() {
		return t
	}
	return t.UTC()
}

func checkDraft(r *DraftAgreementRequest) error {
	var v sms2vipps.Validation
	p := r.Pricing
	v.Check(validCurrency(p.Currency), "pricing.currency", "must be an ISO 4217 code")
	switch p.Type {
	case "", PricingLegacy:
		v.Check(p.Amount >= 100, "pricing.amount", "must be at least 100 for LEGACY pricing")
	case PricingVariable:
		v.Check(p.SuggestedMaxAmount >= 100, "pricing.suggestedMaxAmount", "must be at least 100 for VARIABLE pricing")
	case PricingFlexible:
	default:
		v.Add("pricing.type", "must be LEGACY, VARIABLE or FLEXIBLE")
	}
	checkPeriod(&v, "interval", r.Interval)
	v.Check(runes(r.ProductName, 1, 45), "productName", "must be 1-45 characters")
	v.Check(runes(r.ProductDescription, 0, 100), "productDescription", "must be at most 100 characters")
	v.Check(runes(r.MerchantRedirectURL, 1, 1024), "merchantRedirectUrl", "must be 1-1024 characters")
	v.Check(runes(r.MerchantAgreementURL, 1, 1024), "merchantAgreementUrl", "must be 1-1024 characters")
	v.Check(r.PhoneNumber == "" || validMSISDN(r.PhoneNumber), "phoneNumber", "must be 10-15 digits with the country code")
	v.Check(runes(r.ExternalID, 0, 64), "externalId", "must be at most 64 characters")
	if c := r.Campaign; c != nil {
		v.Check(p.Type == "" || p.Type == PricingLegacy, "campaign", "is only for LEGACY pricing")
		switch c.Type {
		case PriceCampaign:
			v.Check(!c.End.IsZero(), "campaign.end", "is required for PRICE_CAMPAIGN")
		case PeriodCampaign:
			v.Check(c.Period != nil, "campaign.period", "is required for PERIOD_CAMPAIGN")
			checkPeriod(&v, "campaign.period", c.Period)
		case EventCampaign:
			v.Check(!c.EventDate.IsZero(), "campaign.eventDate", "is required for EVENT_CAMPAIGN")
			v.Check(c.EventText != "", "campaign.eventText", "is required for EVENT_CAMPAIGN")
		case FullFlexCampaign:
			v.Check(!c.End.IsZero(), "campaign.end", "is required for FULL_FLEX_CAMPAIGN")
			v.Check(c.Interval != nil, "campaign.interval", "is required for FULL_FLEX_CAMPAIGN")
			checkPeriod(&v, "campaign.interval", c.Interval)
		default:
			v.Add("campaign.type", "must be PRICE_CAMPAIGN, PERIOD_CAMPAIGN, EVENT_CAMPAIGN or FULL_FLEX_CAMPAIGN")
		}
	}
	if ic := r.InitialCharge; ic != nil {
		v.Check(ic.Amount > 0, "initialCharge.amount", "must be positive")
		v.Check(runes(ic.Description, 1, 45), "initialCharge.description", "must be 1-45 characters")
		checkTransactionType(&v, "initialCharge.transactionType", ic.TransactionType)
		v.Check(ic.OrderID == "" || validID(ic.OrderID, 1, 50), "initialCharge.orderId", "must be 1-50 letters, digits or '-'")
		v.Check(runes(ic.ExternalID, 0, 64), "initialCharge.externalId", "must be at most 64 characters")
	}
	return v.Err()
}

// GetAgreement reads an agreement; ENOTFOUND when there is none.
func (s *RecurringService) GetAgreement(ctx context.Context, cred Credentials, agreementID string) (*Agreement, error) {
	path, err := pathf("/recurring/v3/agreements/%s", agreementID)
	if err != nil {
		return nil, err
	}
	var out Agreement
	if _, err := s.c.do(ctx, cred, request{method: http.MethodGet, path: path}, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// ListAgreements lists the sales unit's agreements, following every page:
// the Continuation-Token header while Vipps sends one (spec), and with
// PageSize set, pageNumber until a short page [live].
func (s *RecurringService) ListAgreements(ctx context.Context, cred Credentials, opts ListAgreementsOptions) ([]Agreement, error) {
	q := url.Values{}
	if opts.Status != "" {
		q.Set("status", string(opts.Status))
	}
	if !opts.CreatedAfter.IsZero() {
		q.Set("createdAfter", strconv.FormatInt(opts.CreatedAfter.UnixMilli(), 10))
	}
	return list[Agreement](ctx, s.c, cred, "/recurring/v3/agreements", q, opts.PageSize)
}

// list GETs every page of a Recurring list.
func list[T any](ctx context.Context, c *Client, cred Credentials, path string, q url.Values, pageSize int) ([]T, error) {
	var all []T
	token, pageNumber := "", 1
	for range maxPages {
		r := request{method: http.MethodGet, path: path, query: url.Values{}}
		for k, vs := range q {
			r.query[k] = vs
		}
		if pageSize > 0 {
			r.query.Set("pageNumber", strconv.Itoa(pageNumber))
			r.query.Set("pageSize", strconv.Itoa(pageSize))
		}
		if token != "" {
			r.header = http.Header{"Continuation-Token": {token}}
		}
		var page []T
		res, err := c.do(ctx, cred, r, &page)
		if err != nil {
			return nil, err
		}
		all = append(all, page...)
		next := res.header.Get("Continuation-Token")
		switch {
		case next != "" && next != token:
			token = next
		case next == "" && pageSize > 0 && len(page) == pageSize:
			pageNumber++
		default:
			return all, nil
		}
	}
	return nil, sms2vipps.WrapError(sms2vipps.EUPSTREAM, "vipps list does not end",
		&Error{Method: http.MethodGet, Path: path, Detail: "more than " + strconv.Itoa(maxPages) + " pages"})
}

// UpdateAgreement changes an agreement (PATCH /recurring/v3/agreements/{id});
// Accepted means Vipps will make the change shortly.
func (s *RecurringService) UpdateAgreement(ctx context.Context, cred Credentials, key, agreementID string, req PatchAgreementRequest) (Completion, error) {
	var v sms2vipps.Validation
	rest := req
	rest.Status = ""
	v.Check(rest != (PatchAgreementRequest{}) || req.Status != "", "agreement", "the update changes nothing")
	v.Check(req.Status == "" || (req.Status == AgreementStopped && rest == PatchAgreementRequest{}),
		"status", "STOPPED must be sent alone (use StopAgreement)")
	v.Check(runes(req.ProductName, 0, 45), "productName", "must be at most 45 characters")
	v.Check(runes(req.ProductDescription, 0, 100), "productDescription", "must be at most 100 characters")
	v.Check(runes(req.MerchantAgreementURL, 0, 1024), "merchantAgreementUrl", "must be at most 1024 characters")
	v.Check(runes(req.ExternalID, 0, 64), "externalId", "must be at most 64 characters")
	if req.Interval != nil {
		checkPeriod(&v, "interval.period", req.Interval.Period)
	}
	if err := v.Err(); err != nil {
		return 0, err
	}
	return s.patch(ctx, cred, key, agreementID, req)
}

// stopRequest is the stop body, which must hold the status alone.
type stopRequest struct {
	Status AgreementStatus `json:"status"`
}

// StopAgreement stops an agreement for good (PATCH with {"status":"STOPPED"}
// alone). Vipps cancels its PENDING, DUE and RESERVED charges.
func (s *RecurringService) StopAgreement(ctx context.Context, cred Credentials, key, agreementID string) (Completion, error) {
	return s.patch(ctx, cred, key, agreementID, stopRequest{Status: AgreementStopped})
}

func (s *RecurringService) patch(ctx context.Context, cred Credentials, key, agreementID string, body any) (Completion, error) {
	path, err := pathf("/recurring/v3/agreements/%s", agreementID)
	if err != nil {
		return 0, err
	}
	res, err := s.c.do(ctx, cred, request{method: http.MethodPatch, path: path, key: key, body: body}, nil)
	if err != nil {
		return 0, err
	}
	return completion(res), nil
}

// forceAcceptRequest is ForceAcceptAgreementV3.
type forceAcceptRequest struct {
	PhoneNumber string `json:"phoneNumber"`
}

// ForceAcceptAgreement accepts a PENDING agreement as the user with
// phoneNumber (MSISDN digits) would, in the test environment only (PATCH
// .../{agreementId}/accept).
func (s *RecurringService) ForceAcceptAgreement(ctx context.Context, cred Credentials, key, agreementID, phoneNumber string) error {
	if !validMSISDN(phoneNumber) {
		return sms2vipps.Errorf(sms2vipps.EINVALID, "phone number must be 10-15 digits with the country code")
	}
	path, err := pathf("/recurring/v3/agreements/%s/accept", agreementID)
	if err != nil {
		return err
	}
	_, err = s.c.do(ctx, cred, request{method: http.MethodPatch, path: path, key: key, body: forceAcceptRequest{phoneNumber}}, nil)
	return err
}
