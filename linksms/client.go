package linksms

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// DefaultTimeout bounds one send.
const DefaultTimeout = 10 * time.Second

// Source type of number (sourceTON) values.
const (
	TONShortNumber  = "SHORTNUMBER"
	TONAlphanumeric = "ALPHANUMERIC"
	TONMSISDN       = "MSISDN"
)

// maxShortNumber is the longest all-digit sender taken as a short number;
// longer ones are full phone numbers.
const maxShortNumber = 8

// Client sends SMS through the Common SMS gateway. It is safe for
// concurrent use.
type Client struct {
	sendURL           string
	username          string
	password          string
	httpClient        *http.Client
	timeout           time.Duration
	platformID        string
	platformPartnerID string
	gates             []string
}

var _ sms2vipps.SMSSender = (*Client)(nil)

// Option configures a Client.
type Option func(*Client)

// WithHTTPClient sets the HTTP client (transport, proxies).
func WithHTTPClient(hc *http.Client) Option { return func(c *Client) { c.httpClient = hc } }

// WithTimeout bounds each send (default DefaultTimeout; 0 leaves it to ctx
// and the HTTP client).
func WithTimeout(d time.Duration) Option { return func(c *Client) { c.timeout = d } }

// WithPlatformID sets the platformId LINK issued with the credentials.
func WithPlatformID(id string) Option { return func(c *Client) { c.platformID = id } }

// WithPlatformPartnerID sets the platformPartnerId LINK issued.
func WithPlatformPartnerID(id string) Option { return func(c *Client) { c.platformPartnerID = id } }

// WithDeliveryReportGates asks for delivery reports on these gate ids. LINK
// requires useDeliveryReport false when no gate is named, so without gates
// no reports are asked for.
func WithDeliveryReportGates(gates ...string) Option {
	return func(c *Client) { c.gates = append([]string(nil), gates...) }
}

// NewClient returns a client of the gateway at baseURL, e.g.
// "https://n-eu.linkmobility.io/sms"; it posts to baseURL + "/send".
func NewClient(baseURL, username, password string, opts ...Option) *Client {
	c := &Client{
		sendURL:    strings.TrimRight(baseURL, "/") + "/send",
		username:   username,
		password:   password,
		httpClient: &http.Client{},
		timeout:    DefaultTimeout,
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

// Send sends m once and returns the gateway's message id ("" when the
// gateway answers 204). It does not retry: see the package comment.
// Errors: EINVALID (bad sender or number, or refused by the gateway for
// good), EUNAUTHORIZED, EUNAVAILABLE (rate limited), EUPSTREAM (failed or no
// answer; the SMS may have been sent).
func (c *Client) Send(ctx context.Context, m sms2vipps.SMS) (string, error) {
	req, err := c.request(m)
	if err != nil {
		return "", err
	}
	body, err := json.Marshal(req)
	if err != nil {
		return "", sms2vipps.WrapError(sms2vipps.EINTERNAL, "cannot encode SMS", err)
	}
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	hr, err := http.NewRequestWithContext(ctx, http.MethodPost, c.sendURL, bytes.NewReader(body))
	if err != nil {
		return "", sms2vipps.WrapError(sms2vipps.EINTERNAL, "SMS gateway is misconfigured", err)
	}
	hr.SetBasicAuth(c.username, c.password)
	hr.Header.Set("Content-Type", "application/json; charset=utf-8")
	hr.Header.Set("Accept", "application/json")
	resp, err := c.httpClient.Do(hr)
	if err != nil {
		return "", domainError(&Error{Err: err})
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if resp.StatusCode >= 200 && resp.StatusCode < 300 {
		// The gateway took the message. An unreadable body must not turn
		// into an error, or the outbox would send the SMS again.
		var r sendResponse
		if err == nil && json.Unmarshal(b, &r) == nil {
			return r.MessageID, nil
		}
		return "", nil
	}
	if err != nil {
		return "", domainError(&Error{Err: err})
	}
	return "", domainError(statusError(resp.StatusCode, b))
}

// request builds the wire body, refusing what the gateway would refuse for
// good before calling it.
func (c *Client) request(m sms2vipps.SMS) (*sendRequest, error) {
	ton, source, ok := sourceTON(m.From)
	var v sms2vipps.Validation
	v.Check(ok, "from", "must be a short number, an E.164 number, or 2-11 letters and digits not starting with a digit")
	v.Check(isE164(string(m.To)), "to", "must be an E.164 number with +")
	v.Check(m.Text != "", "text", "must not be empty")
	if err := v.Err(); err != nil {
		return nil, err
	}
	return &sendRequest{
		Source:              source,
		SourceTON:           ton,
		Destination:         string(m.To),
		UserData:            m.Text,
		PlatformID:          c.platformID,
		PlatformPartnerID:   c.platformPartnerID,
		UseDeliveryReport:   len(c.gates) > 0,
		DeliveryReportGates: c.gates,
		RefID:               m.RefID,
		MOReferenceID:       m.MOReferenceID,
	}, nil
}

// sourceTON classifies a sender: up to eight digits is a short number
// ("27222"), a longer number (with or without "+") an MSISDN, sent with
// "+", and anything else an alphanumeric sender, which LINK allows as 2-11
// letters and digits not starting with a digit.
func sourceTON(from string) (ton, source string, ok bool) {
	switch digits := strings.TrimPrefix(from, "+"); {
	case digits != "" && allDigits(digits) && (strings.HasPrefix(from, "+") || len(digits) > maxShortNumber):
		return TONMSISDN, "+" + digits, len(digits) <= 15
	case digits != "" && allDigits(digits):
		return TONShortNumber, from, true
	}
	if len(from) < 2 || len(from) > 11 || isDigit(from[0]) {
		return "", "", false
	}
	for i := 0; i < len(from); i++ {
		if c := from[i]; !isDigit(c) && !('a' <= c && c <= 'z') && !('A' <= c && c <= 'Z') {
			return "", "", false
		}
	}
	return TONAlphanumeric, from, true
}

func isE164(s string) bool {
	d := strings.TrimPrefix(s, "+")
	return len(s) == len(d)+1 && len(d) >= 3 && len(d) <= 15 && allDigits(d)
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isDigit(s[i]) {
			return false
		}
	}
	return true
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
