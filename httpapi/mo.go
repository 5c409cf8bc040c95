package httpapi

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strings"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/phone"
)

// maxMOBody bounds what we read of an MO; a real one is well below 4 KiB.
const maxMOBody = 64 << 10

// moJSON is the MO as LINK's Common gateway posts it (LINK.md §6).
type moJSON struct {
	MessageID   string `json:"messageId"`
	Source      string `json:"source"`
	Destination string `json:"destination"`
	Content     struct {
		UserData string `json:"userData"`
	} `json:"content"`
	Route struct {
		Keyword string `json:"keyword"`
	} `json:"route"`
	CustomParameters map[string]any `json:"customParameters"`
}

// parseMO reads an MO from a JSON body, a form body or the query string
// (gates can be set up to send any of them), and checks every field at
// once. The sender is normalised to E.164 here, at the edge.
func parseMO(r *http.Request) (sms2vipps.InboundMessage, error) {
	var raw moJSON
	body, err := io.ReadAll(io.LimitReader(r.Body, maxMOBody+1))
	if err != nil {
		return sms2vipps.InboundMessage{}, sms2vipps.Errorf(sms2vipps.EINVALID, "could not read the body")
	}
	if len(body) > maxMOBody {
		return sms2vipps.InboundMessage{}, sms2vipps.Errorf(sms2vipps.EINVALID, "body is larger than %d bytes", maxMOBody)
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	switch {
	case len(body) > 0 && (ct == "application/json" || (ct == "" && body[0] == '{')):
		if err := json.Unmarshal(body, &raw); err != nil {
			return sms2vipps.InboundMessage{}, &sms2vipps.Error{Code: sms2vipps.EINVALID, Message: "invalid MO",
				Fields: []sms2vipps.FieldError{{Field: "body", Reason: "malformed JSON: " + jsonReason(err)}}}
		}
	default:
		vals := r.URL.Query()
		if len(body) > 0 {
			form, err := url.ParseQuery(string(body))
			if err != nil {
				return sms2vipps.InboundMessage{}, &sms2vipps.Error{Code: sms2vipps.EINVALID, Message: "invalid MO",
					Fields: []sms2vipps.FieldError{{Field: "body", Reason: "neither JSON nor form-encoded"}}}
			}
			for k, v := range form {
				vals[k] = v
			}
		}
		raw.MessageID, raw.Source, raw.Destination = vals.Get("messageId"), vals.Get("source"), vals.Get("destination")
		raw.Content.UserData, raw.Route.Keyword = vals.Get("userData"), vals.Get("keyword")
		if ref := vals.Get("moReferenceId"); ref != "" {
			raw.CustomParameters = map[string]any{"moReferenceId": ref}
		}
	}

	var v sms2vipps.Validation
	m := sms2vipps.InboundMessage{
		MessageID: strings.TrimSpace(raw.MessageID), Text: strings.TrimSpace(raw.Content.UserData),
		Keyword: strings.TrimSpace(raw.Route.Keyword),
	}
	if ref, ok := raw.CustomParameters["moReferenceId"].(string); ok {
		m.ReferenceID = ref
	}
	v.Check(m.MessageID != "", "messageId", "is required")
	v.Check(len(m.MessageID) <= 100, "messageId", "is longer than 100 characters")
	if raw.Source == "" {
		v.Add("source", "is required")
	} else if from, err := phone.NormalizeMobile(raw.Source); err != nil {
		v.Add("source", sms2vipps.ErrorMessage(err))
	} else {
		m.From = from
	}
	if sn, ok := shortNumber(raw.Destination); ok {
		m.ShortNumber = sn
	} else if raw.Destination == "" {
		v.Add("destination", "is required")
	} else {
		v.Add("destination", fmt.Sprintf("%q is not a short number such as NO-27222", raw.Destination))
	}
	if err := v.Err(); err != nil {
		return sms2vipps.InboundMessage{}, err
	}
	return m, nil
}

// shortNumber turns LINK's "NO-27222" (or a bare "27222") into "27222".
func shortNumber(dest string) (string, bool) {
	dest = strings.TrimSpace(dest)
	if i := strings.IndexByte(dest, '-'); i >= 0 {
		dest = dest[i+1:]
	}
	if dest == "" || len(dest) > 15 {
		return "", false
	}
	for _, r := range dest {
		if r < '0' || r > '9' {
			return "", false
		}
	}
	return dest, true
}

func jsonReason(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("syntax error at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s must be a %s", te.Field, te.Type)
	}
	return "cannot decode"
}
