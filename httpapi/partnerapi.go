package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/phone"
)

// maxPartnerBody bounds a partner API request.
const maxPartnerBody = 64 << 10

// subscribeBody is SMS2VippsFunction's request, the seed contract's
// fields. Go's JSON decoding matches names case-insensitively, as the
// contract asks; amounts and flags are read from their text, never as
// floats.
type subscribeBody struct {
	PartnerID                 flexInt     `json:"PartnerId"`
	Msisdn                    string      `json:"Msisdn"`
	GroupID                   flexInt     `json:"GroupId"`
	Currency                  string      `json:"Currency"`
	Amount                    flexDecimal `json:"Amount"`
	CampaignAmount            flexDecimal `json:"CampaignAmount"`
	PaymentProvider           string      `json:"PaymentProvider"`
	Name                      string      `json:"Name"`
	Description               string      `json:"Description"`
	Basis                     flexInt     `json:"Basis"`
	SmsText                   string      `json:"SmsText"`
	SendSms                   flexBool    `json:"SendSms"`
	SmsNotificationOriginator string      `json:"SmsNotificationOriginator"`
	OrderNumber               string      `json:"OrderNumber"`
}

// sms2VippsFunction is the partner API: it sets up a subscription (CRM
// group, Vipps agreement, SMS with the link) and answers with the link.
func (s *Server) sms2VippsFunction(w http.ResponseWriter, r *http.Request) {
	p, body, ok := s.signedPartnerRequest(w, r)
	if !ok {
		return
	}
	req, err := s.parseSubscribe(p, body)
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	res, err := s.App.Subscribe(r.Context(), req)
	if err != nil {
		writeError(w, r, s.Log, err)
		return
	}
	s.Log.Info("subscription requested", "partner", p.ID, "subscription", res.SubscriptionID, "msisdn", req.MSISDN,
		"orderNumber", req.OrderNumber != "", "smsSent", res.SMSSent)
	writeJSON(w, http.StatusOK, res)
}

// readPartnerBody reads a partner request's body, which the signature
// covers byte for byte.
func readPartnerBody(r *http.Request) ([]byte, error) {
	body, err := io.ReadAll(io.LimitReader(r.Body, maxPartnerBody+1))
	if err != nil || len(body) > maxPartnerBody {
		return nil, sms2vipps.Errorf(sms2vipps.EINVALID, "body missing or larger than %d bytes", maxPartnerBody)
	}
	return body, nil
}

// decodePartnerBody decodes a partner request's JSON into v (a body
// struct of flex fields, which record a bad value instead of failing); a
// body that is not JSON is an EINVALID naming "body".
func decodePartnerBody(body []byte, v any) error {
	if err := json.NewDecoder(bytes.NewReader(body)).Decode(v); err != nil {
		var fe *fieldErr
		if errors.As(err, &fe) {
			return &sms2vipps.Error{Code: sms2vipps.EINVALID, Message: "invalid request",
				Fields: []sms2vipps.FieldError{{Field: fe.field, Reason: fe.reason}}}
		}
		return &sms2vipps.Error{Code: sms2vipps.EINVALID, Message: "invalid request",
			Fields: []sms2vipps.FieldError{{Field: "body", Reason: "malformed JSON: " + jsonReason(err)}}}
	}
	return nil
}

// parseSubscribe reads and checks every field at once; the partner's own
// rules (caps, SMS length) are checked by the app, in the same answer.
func (s *Server) parseSubscribe(p *sms2vipps.Partner, body []byte) (app.SubscribeRequest, error) {
	var b subscribeBody
	if err := decodePartnerBody(body, &b); err != nil {
		return app.SubscribeRequest{}, err
	}
	var v sms2vipps.Validation
	for _, f := range []struct {
		name string
		bad  string
	}{{"PartnerId", b.PartnerID.bad}, {"GroupId", b.GroupID.bad}, {"Basis", b.Basis.bad}, {"Amount", b.Amount.bad},
		{"CampaignAmount", b.CampaignAmount.bad}, {"SendSms", b.SendSms.bad}} {
		if f.bad != "" {
			v.Add(f.name, f.bad)
		}
	}
	if !b.PartnerID.set && b.PartnerID.bad == "" {
		v.Add("PartnerId", "is required")
	} else if b.PartnerID.set && b.PartnerID.v != p.ID {
		return app.SubscribeRequest{}, unauthorized("PartnerId does not match the signed partner id")
	}
	msisdn, err := phone.NormalizeMobile(b.Msisdn)
	if b.Msisdn == "" {
		v.Add("Msisdn", "is required")
	} else if err != nil {
		v.Add("Msisdn", sms2vipps.ErrorMessage(err))
	}
	if !b.Amount.set && b.Amount.bad == "" {
		v.Add("Amount", "is required")
	}
	iv, ok := sms2vipps.IntervalFromBasis(int(b.Basis.v))
	if b.Basis.bad == "" && !ok {
		v.Add("Basis", "must be 1 (weekly), 2 (monthly) or 3 (yearly)")
	}
	v.Check(len(b.OrderNumber) <= 100, "OrderNumber", "must be at most 100 characters")
	req := app.SubscribeRequest{
		PartnerID: p.ID, OrderNumber: strings.TrimSpace(b.OrderNumber), Source: "api", MSISDN: msisdn,
		GroupID: b.GroupID.v, Currency: b.Currency, Amount: b.Amount.v, CampaignAmount: b.CampaignAmount.v,
		Provider: b.PaymentProvider, Interval: iv, ProductName: b.Name, ProductDescription: b.Description,
		SMSText: b.SmsText, SendSMS: b.SendSms.v, Originator: b.SmsNotificationOriginator,
	}
	// The partner's rules, in the same answer as the syntax.
	if err := s.App.ValidateSubscribe(p, &req); err != nil {
		for _, f := range sms2vipps.ErrorFields(err) {
			if !hasField(v, f.Field) {
				v.Add(f.Field, f.Reason)
			}
		}
	}
	return req, v.Err()
}

func hasField(v sms2vipps.Validation, name string) bool {
	for _, f := range sms2vipps.ErrorFields(v.Err()) {
		if f.Field == name {
			return true
		}
	}
	return false
}

// fieldErr is a JSON value of the wrong kind for its field.
type fieldErr struct{ field, reason string }

func (e *fieldErr) Error() string { return e.field + ": " + e.reason }

// flexInt reads an integer given as a number or a numeric string.
type flexInt struct {
	v   int64
	set bool
	bad string
}

func (f *flexInt) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if string(b) == "null" || s == "" {
		return nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		f.bad = "must be an integer"
		return nil
	}
	f.v, f.set = n, true
	return nil
}

// flexDecimal reads a krone amount given as a JSON number (120.0, 12.5) or
// a string ("12,50"), exactly.
type flexDecimal struct {
	v   sms2vipps.Amount
	set bool
	bad string
}

func (f *flexDecimal) UnmarshalJSON(b []byte) error {
	s := strings.Trim(string(b), `"`)
	if string(b) == "null" {
		return nil
	}
	if strings.HasPrefix(s, "-") {
		f.bad = "must be positive"
		return nil
	}
	a, err := sms2vipps.ParseAmount(s)
	if err != nil {
		if strings.Contains(err.Error(), "two decimals") {
			f.bad = "must have at most two decimals"
		} else {
			f.bad = fmt.Sprintf("must be a decimal amount in NOK such as 120.0 or 12.5, got %s", b)
		}
		return nil
	}
	f.v, f.set = a, true
	return nil
}

// flexBool reads true/false given as a JSON boolean or a string.
type flexBool struct {
	v   bool
	bad string
}

func (f *flexBool) UnmarshalJSON(b []byte) error {
	switch strings.ToLower(strings.Trim(string(b), `"`)) {
	case "true":
		f.v = true
	case "false", "null", "":
	default:
		f.bad = "must be true or false"
	}
	return nil
}
