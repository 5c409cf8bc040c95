package sandbox

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"
	"unicode/utf8"
)

// Via tells who sent a recorded SMS.
type Via string

// Senders of recorded messages.
const (
	// ViaGateway: a client posted it to the SMS gateway.
	ViaGateway Via = "gateway"
	// ViaPaycore: Paycore sent it itself, as a pre-transaction's
	// notification.
	ViaPaycore Via = "paycore"
)

// Message is one SMS the sandbox sent, as its recipient would see it plus
// the ids a test checks.
type Message struct {
	ID            string    `json:"messageId"`
	From          string    `json:"from"`
	SourceTON     string    `json:"sourceTon"`
	To            string    `json:"to"`
	Text          string    `json:"text"`
	RefID         string    `json:"refId,omitempty"`
	MoReferenceID string    `json:"moReferenceId,omitempty"`
	Via           Via       `json:"via"`
	Time          time.Time `json:"time"`
}

// SMSGateway simulates LINK's Common SMS gateway (LINK.md §4): POST
// <base>/send with Basic auth. It also keeps the log of every SMS the
// sandbox sent, Paycore's notifications included.
type SMSGateway struct {
	env                           *env
	username, password            string
	platformID, platformPartnerID string

	mu       sync.Mutex
	messages []Message
}

func newSMSGateway(e *env, cfg Config) *SMSGateway {
	g := &SMSGateway{env: e, username: cfg.SMSUsername, password: cfg.SMSPassword,
		platformID: cfg.SMSPlatformID, platformPartnerID: cfg.SMSPlatformPartnerID}
	if g.username == "" && g.password == "" {
		g.username, g.password = DefaultSMSUsername, DefaultSMSPassword
	}
	return g
}

// Messages returns every recorded SMS, oldest first.
func (g *SMSGateway) Messages() []Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]Message(nil), g.messages...)
}

// To returns the recorded SMS sent to msisdn, oldest first.
func (g *SMSGateway) To(msisdn string) []Message {
	g.mu.Lock()
	defer g.mu.Unlock()
	var out []Message
	for _, m := range g.messages {
		if m.To == msisdn {
			out = append(out, m)
		}
	}
	return out
}

// Reset forgets every recorded SMS.
func (g *SMSGateway) Reset() {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.messages = nil
}

// record gives m an id and a time and keeps it.
func (g *SMSGateway) record(m Message) Message {
	// LINK's message ids are 24 base64 characters ("Dcshuhod0PMAAAFQ+/PbnR3x").
	var b [18]byte
	g.env.rand.read(b[:])
	m.ID = base64.StdEncoding.EncodeToString(b[:])
	m.Time = g.env.now()
	g.mu.Lock()
	g.messages = append(g.messages, m)
	g.mu.Unlock()
	g.env.log.Info("sms sent", "via", string(m.Via), "from", m.From, "to", maskMSISDN(m.To),
		"messageId", m.ID, "refId", m.RefID, "chars", utf8.RuneCountInString(m.Text))
	return m
}

// LINK's result codes (LINK.md §4).
const (
	smsQueued                = 1005
	smsInvalidAuth           = 106100
	smsBadPlatformID         = 106200
	smsBadPlatformPartnerID  = 106201
	smsBadPremiumCurrency    = 106202
	smsNoDeliveryReportGates = 106300
)

// smsError is the gateway's ErrorResponse. LINK documents "error code,
// description and its translation"; the sandbox has one language, so the
// translation repeats the description.
type smsError struct {
	Status                int    `json:"status"`
	ResultCode            int    `json:"resultCode,omitempty"`
	Description           string `json:"description"`
	TranslatedDescription string `json:"translatedDescription"`
}

func writeSMSError(w http.ResponseWriter, status int, message string) {
	writeSMSResult(w, status, 0, message)
}

func writeSMSResult(w http.ResponseWriter, status, code int, message string) {
	writeJSON(w, status, smsError{Status: status, ResultCode: code, Description: message, TranslatedDescription: message})
}

func (g *SMSGateway) apiHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /sms/send", g.handleSend)
	mux.HandleFunc("/sms/", func(w http.ResponseWriter, r *http.Request) {
		writeSMSError(w, http.StatusNotFound, "no such resource: "+r.Method+" "+r.URL.Path)
	})
	return mux
}

// sendRequest is the body of POST /send. Pointers tell "absent" from the
// zero value where the default is not the zero value.
type sendRequest struct {
	Source               string            `json:"source"`
	SourceTON            string            `json:"sourceTON"`
	Destination          string            `json:"destination"`
	DestinationTON       string            `json:"destinationTON"`
	DCS                  string            `json:"dcs"`
	UserDataHeader       string            `json:"userDataHeader"`
	UserData             string            `json:"userData"`
	UseDeliveryReport    *bool             `json:"useDeliveryReport"`
	DeliveryReportGates  []string          `json:"deliveryReportGates"`
	RelativeValidityTime *int64            `json:"relativeValidityTime"`
	AbsoluteValidityTime string            `json:"absoluteValidityTime"`
	Tariff               *int              `json:"tariff"`
	Currency             string            `json:"currency"`
	Priority             string            `json:"priority"`
	PlatformID           *string           `json:"platformId"`
	PlatformPartnerID    *string           `json:"platformPartnerId"`
	RefID                string            `json:"refId"`
	MoReferenceID        string            `json:"moReferenceId"`
	CustomParameters     map[string]string `json:"customParameters"`
	IgnoreResponse       *bool             `json:"ignoreResponse"`
}

type sendResponse struct {
	MessageID   string `json:"messageId"`
	ResultCode  int    `json:"resultCode"`
	Description string `json:"description"`
	SMSCount    int    `json:"smsCount,omitempty"`
}

func (g *SMSGateway) handleSend(w http.ResponseWriter, r *http.Request) {
	user, pass, ok := r.BasicAuth()
	if !ok || subtle.ConstantTimeCompare([]byte(user), []byte(g.username)) != 1 ||
		subtle.ConstantTimeCompare([]byte(pass), []byte(g.password)) != 1 {
		g.env.log.Warn("sms: invalid authentication", "basicAuth", ok)
		writeSMSResult(w, http.StatusUnauthorized, smsInvalidAuth, "Invalid authentication")
		return
	}
	var req sendRequest
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody)).Decode(&req); err != nil {
		writeSMSError(w, http.StatusBadRequest, jsonFieldError(err))
		return
	}
	if status, code, msg := g.validate(&req); msg != "" {
		writeSMSResult(w, status, code, msg)
		return
	}
	m := g.record(Message{From: req.Source, SourceTON: req.SourceTON, To: req.Destination, Text: req.UserData,
		RefID: req.RefID, MoReferenceID: req.MoReferenceID, Via: ViaGateway})
	if req.IgnoreResponse != nil && *req.IgnoreResponse {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	resp := sendResponse{MessageID: m.ID, ResultCode: smsQueued, Description: "Queued"}
	if req.CustomParameters["replySmsCount"] == "true" {
		resp.SMSCount = smsSegments(req.UserData)
	}
	writeJSON(w, http.StatusOK, resp)
}

var (
	e164Pattern         = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)
	alphanumericPattern = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]{1,10}$`)
	shortNumberPattern  = regexp.MustCompile(`^[0-9]{2,8}$`)
)

// validate applies LINK.md §4 and fills the defaults into req. It returns
// the status, result code and message of the first class of problem found
// (all bad fields of that class named), or an empty message.
func (g *SMSGateway) validate(req *sendRequest) (status, code int, msg string) {
	switch {
	case req.PlatformID == nil || *req.PlatformID == "":
		return http.StatusBadRequest, smsBadPlatformID, "platformId is required (a string)"
	case req.PlatformPartnerID == nil || *req.PlatformPartnerID == "":
		return http.StatusBadRequest, smsBadPlatformPartnerID, "platformPartnerId is required (a string)"
	case g.platformID != "" && *req.PlatformID != g.platformID:
		return http.StatusForbidden, smsBadPlatformID, "Invalid platformId"
	case g.platformPartnerID != "" && *req.PlatformPartnerID != g.platformPartnerID:
		return http.StatusForbidden, smsBadPlatformPartnerID, "Invalid platformPartnerId"
	}
	var errs []string
	if req.SourceTON == "" {
		req.SourceTON = "ALPHANUMERIC"
	}
	switch req.SourceTON {
	case "ALPHANUMERIC":
		if !alphanumericPattern.MatchString(req.Source) {
			errs = append(errs, "source must be 2-11 letters and digits, not starting with a digit, for sourceTON ALPHANUMERIC")
		}
	case "SHORTNUMBER":
		if !shortNumberPattern.MatchString(req.Source) {
			errs = append(errs, "source must be a short number (digits) for sourceTON SHORTNUMBER")
		}
	case "MSISDN":
		if !e164Pattern.MatchString(req.Source) {
			errs = append(errs, "source must be an E.164 number (+4799999999) for sourceTON MSISDN")
		}
	default:
		errs = append(errs, "sourceTON must be SHORTNUMBER, ALPHANUMERIC or MSISDN")
	}
	if req.DestinationTON != "" && req.DestinationTON != "MSISDN" {
		errs = append(errs, "destinationTON must be MSISDN")
	}
	if !e164Pattern.MatchString(req.Destination) {
		errs = append(errs, "destination must be an E.164 number (+4799999999)")
	}
	switch req.DCS {
	case "", "TEXT", "GSM", "UCS2", "BINARY":
	default:
		errs = append(errs, "dcs must be GSM, BINARY, UCS2 or TEXT")
	}
	if req.UserData == "" {
		errs = append(errs, "userData is required")
	}
	switch req.Priority {
	case "", "HIGH", "NORMAL", "LOW":
	default:
		errs = append(errs, "priority must be HIGH, NORMAL or LOW")
	}
	if req.RelativeValidityTime != nil && *req.RelativeValidityTime <= 0 {
		errs = append(errs, "relativeValidityTime must be a positive number of milliseconds")
	}
	if req.AbsoluteValidityTime != "" {
		t, err := time.Parse(time.RFC3339, req.AbsoluteValidityTime)
		if d := t.Sub(g.env.clock.Now()); err != nil || d < 15*time.Minute || d > 48*time.Hour {
			errs = append(errs, "absoluteValidityTime must be an RFC 3339 time 15 minutes to 48 hours ahead")
		}
	}
	if req.Tariff != nil && req.SourceTON != "SHORTNUMBER" {
		errs = append(errs, "tariff needs sourceTON SHORTNUMBER")
	}
	if len(errs) > 0 {
		return http.StatusBadRequest, 0, strings.Join(errs, "; ")
	}
	if req.Tariff != nil {
		switch req.Currency {
		case "NOK", "SEK", "DKK", "EUR":
		default:
			return http.StatusBadRequest, smsBadPremiumCurrency, "currency must be NOK, SEK, DKK or EUR for a premium message"
		}
	}
	// Delivery reports are on unless turned off, and go to gates; the
	// sandbox account has none but those the request names.
	if (req.UseDeliveryReport == nil || *req.UseDeliveryReport) && len(req.DeliveryReportGates) == 0 {
		return http.StatusBadRequest, smsNoDeliveryReportGates,
			"useDeliveryReport is true (the default) but no deliveryReportGates are given"
	}
	return 0, 0, ""
}

// gsmChars is the GSM 03.38 basic alphabet (without the escape-table
// characters, which count double and are rare in our texts).
const gsmChars = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?" +
	"¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"

// smsSegments counts the parts a text is sent in: 160/153 characters in
// GSM, 70/67 otherwise.
func smsSegments(text string) int {
	single, part := 160, 153
	for _, r := range text {
		if !strings.ContainsRune(gsmChars, r) {
			single, part = 70, 67
			break
		}
	}
	n := utf8.RuneCountInString(text)
	if n <= single {
		return 1
	}
	return (n + part - 1) / part
}

// validOriginator reports whether s can be an SMS sender: a short number,
// an E.164 number or an alphanumeric name, with the rules of §4.
func validOriginator(s string) bool {
	return shortNumberPattern.MatchString(s) || e164Pattern.MatchString(s) || alphanumericPattern.MatchString(s)
}

// sourceTON returns the type of number of a valid originator.
func sourceTON(s string) string {
	switch {
	case shortNumberPattern.MatchString(s):
		return "SHORTNUMBER"
	case e164Pattern.MatchString(s):
		return "MSISDN"
	default:
		return "ALPHANUMERIC"
	}
}
