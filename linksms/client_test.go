package linksms_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/linksms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The fake is mounted under prefix, as LINK's base URLs end in /sms.
const prefix = "/sms"

const (
	user     = "link-user"
	password = "s3cret-pass"
)

type request struct {
	Path string
	Body string
}

type fake struct {
	URL  string
	mu   sync.Mutex
	reqs []request
}

// newFake scripts the gateway: h answers the n-th request (from 0) after
// the fake checked the path and Basic auth.
func newFake(tb testing.TB, h func(n int, w http.ResponseWriter, r *http.Request)) *fake {
	tb.Helper()
	f := &fake{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		n := len(f.reqs)
		f.reqs = append(f.reqs, request{Path: r.URL.Path, Body: string(body)})
		f.mu.Unlock()
		assert.Equal(tb, http.MethodPost, r.Method)
		assert.Equal(tb, prefix+"/send", r.URL.Path)
		assert.Equal(tb, "application/json; charset=utf-8", r.Header.Get("Content-Type"))
		u, p, ok := r.BasicAuth()
		if !ok || u != user || p != password {
			tb.Errorf("request %d: bad basic auth", n)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		h(n, w, r)
	}))
	tb.Cleanup(ts.Close)
	f.URL = ts.URL + prefix
	return f
}

func (f *fake) requests() []request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]request(nil), f.reqs...)
}

func queued(n int, w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	_, _ = io.WriteString(w, `{"messageId":"Dcshuhod0PMAAAFQ+/PbnR3x","resultCode":1005,"description":"Queued"}`)
}

func newClient(f *fake, opts ...linksms.Option) *linksms.Client {
	base := []linksms.Option{linksms.WithPlatformID("COMMON_API"), linksms.WithPlatformPartnerID("4242")}
	return linksms.NewClient(f.URL+"/", user, password, append(base, opts...)...)
}

func TestSendBody(t *testing.T) {
	const tail = `"platformId":"COMMON_API","platformPartnerId":"4242"`
	for _, tt := range []struct {
		name  string
		sms   sms2vipps.SMS
		gates []string
		want  string
	}{
		{"ShortNumber", sms2vipps.SMS{From: "27222", To: "+4799999999", Text: "Hei", RefID: "42", MOReferenceID: "mo-1"}, nil,
			`{"source":"27222","sourceTON":"SHORTNUMBER","destination":"+4799999999","userData":"Hei",` + tail +
				`,"useDeliveryReport":false,"refId":"42","moReferenceId":"mo-1","ignoreResponse":false}`},
		{"EightDigitShortNumber", sms2vipps.SMS{From: "12345678", To: "+4799999999", Text: "Hei"}, nil,
			`{"source":"12345678","sourceTON":"SHORTNUMBER","destination":"+4799999999","userData":"Hei",` + tail +
				`,"useDeliveryReport":false,"ignoreResponse":false}`},
		{"MSISDN", sms2vipps.SMS{From: "+4790000000", To: "+4799999999", Text: "Hei", RefID: "43"}, []string{"gate-1", "gate-2"},
			`{"source":"+4790000000","sourceTON":"MSISDN","destination":"+4799999999","userData":"Hei",` + tail +
				`,"useDeliveryReport":true,"deliveryReportGates":["gate-1","gate-2"],"refId":"43","ignoreResponse":false}`},
		{"LongNumericIsMSISDN", sms2vipps.SMS{From: "4790000000", To: "+4799999999", Text: "Hei"}, nil,
			`{"source":"+4790000000","sourceTON":"MSISDN","destination":"+4799999999","userData":"Hei",` + tail +
				`,"useDeliveryReport":false,"ignoreResponse":false}`},
		{"Alphanumeric", sms2vipps.SMS{From: "Parkering1", To: "+4799999999", Text: "Kvittering: 12,50 kr æøå", MOReferenceID: "mo-2"}, nil,
			`{"source":"Parkering1","sourceTON":"ALPHANUMERIC","destination":"+4799999999","userData":"Kvittering: 12,50 kr æøå",` + tail +
				`,"useDeliveryReport":false,"moReferenceId":"mo-2","ignoreResponse":false}`},
		{"TwoLetters", sms2vipps.SMS{From: "LM", To: "+4799999999", Text: "Hei"}, nil,
			`{"source":"LM","sourceTON":"ALPHANUMERIC","destination":"+4799999999","userData":"Hei",` + tail +
				`,"useDeliveryReport":false,"ignoreResponse":false}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, queued)
			id, err := newClient(f, linksms.WithDeliveryReportGates(tt.gates...)).Send(context.Background(), tt.sms)
			require.NoError(t, err)
			assert.Equal(t, "Dcshuhod0PMAAAFQ+/PbnR3x", id)
			reqs := f.requests()
			require.Len(t, reqs, 1)
			assert.Equal(t, tt.want, strings.TrimSpace(reqs[0].Body))
		})
	}
}

func TestSendRefusedBeforeCalling(t *testing.T) {
	ok := sms2vipps.SMS{From: "LINK", To: "+4799999999", Text: "Hei"}
	for _, tt := range []struct {
		name  string
		mod   func(*sms2vipps.SMS)
		field string
	}{
		{"NoSender", func(m *sms2vipps.SMS) { m.From = "" }, "from"},
		{"OneLetter", func(m *sms2vipps.SMS) { m.From = "L" }, "from"},
		{"TwelveLetters", func(m *sms2vipps.SMS) { m.From = "ParkeringNor" }, "from"},
		{"StartsWithDigit", func(m *sms2vipps.SMS) { m.From = "1Park" }, "from"},
		{"Space", func(m *sms2vipps.SMS) { m.From = "Park AS" }, "from"},
		{"NonASCII", func(m *sms2vipps.SMS) { m.From = "Bøtene" }, "from"},
		{"TooLongNumber", func(m *sms2vipps.SMS) { m.From = "+1234567890123456" }, "from"},
		{"DestinationWithoutPlus", func(m *sms2vipps.SMS) { m.To = "4799999999" }, "to"},
		{"DestinationLetters", func(m *sms2vipps.SMS) { m.To = "+47abc" }, "to"},
		{"NoText", func(m *sms2vipps.SMS) { m.Text = "" }, "text"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, queued)
			m := ok
			tt.mod(&m)
			_, err := newClient(f).Send(context.Background(), m)
			require.Error(t, err)
			assert.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(err))
			require.Len(t, sms2vipps.ErrorFields(err), 1)
			assert.Equal(t, tt.field, sms2vipps.ErrorFields(err)[0].Field)
			assert.NotContains(t, err.Error(), "99999999")
			assert.Empty(t, f.requests())
		})
	}
}

func TestSendAnswers(t *testing.T) {
	for _, tt := range []struct {
		name    string
		status  int
		body    string
		id      string
		code    string
		message string
	}{
		{"Queued", 200, `{"messageId":"m-1","resultCode":1005,"description":"Queued"}`, "m-1", "", ""},
		{"NoContent", 204, ``, "", "", ""},
		{"UnreadableButAccepted", 200, `<ok/>`, "", "", ""},
		{"BadPlatform", 400, `{"status":400,"description":"Invalid platformId","translatedDescription":"Ugyldig platformId"}`,
			"", sms2vipps.EINVALID, "SMS gateway refused the message: Invalid platformId"},
		{"ResultCode", 403, `{"resultCode":106101,"description":"Access denied"}`,
			"", sms2vipps.EINVALID, "Access denied (106101)"},
		{"MisspeltTranslation", 400, `{"status":106300,"transaltedDescription":"No gates"}`,
			"", sms2vipps.EINVALID, "No gates (106300)"},
		{"PhoneMasked", 400, `{"status":400,"description":"Destination +4799999999 is barred"}`,
			"", sms2vipps.EINVALID, "+47******99 is barred"},
		{"NotJSON", 400, `Bad Request`, "", sms2vipps.EINVALID, "SMS gateway refused the message"},
		{"Unauthorized", 401, `{"status":401,"description":"Invalid authentication"}`,
			"", sms2vipps.EUNAUTHORIZED, "Invalid authentication"},
		{"RateLimited", 429, ``, "", sms2vipps.EUNAVAILABLE, "rate limiting"},
		{"ServerError", 500, `{"description":"oops"}`, "", sms2vipps.EUPSTREAM, "failed (500)"},
		{"Unavailable", 503, ``, "", sms2vipps.EUPSTREAM, "failed (503)"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "application/json")
				w.WriteHeader(tt.status)
				_, _ = io.WriteString(w, tt.body)
			})
			id, err := newClient(f).Send(context.Background(), sms2vipps.SMS{From: "27222", To: "+4799999999", Text: "Hei"})
			assert.Len(t, f.requests(), 1, "never retried")
			if tt.code == "" {
				require.NoError(t, err)
				assert.Equal(t, tt.id, id)
				return
			}
			require.Error(t, err)
			assert.Equal(t, tt.code, sms2vipps.ErrorCode(err), "err: %v", err)
			assert.Contains(t, sms2vipps.ErrorMessage(err), tt.message)
			var le *linksms.Error
			require.True(t, errors.As(err, &le))
			assert.Equal(t, tt.status, le.StatusCode)
			assert.NotContains(t, err.Error(), password)
			assert.NotContains(t, err.Error(), "99999999")
		})
	}
}

func TestSendTimeout(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		<-r.Context().Done() // hangs until the client gives up
	})
	_, err := newClient(f, linksms.WithTimeout(50*time.Millisecond)).Send(context.Background(),
		sms2vipps.SMS{From: "27222", To: "+4799999999", Text: "Hei"})
	require.Error(t, err)
	assert.Equal(t, sms2vipps.EUPSTREAM, sms2vipps.ErrorCode(err))
	assert.ErrorIs(t, err, context.DeadlineExceeded)
	assert.Len(t, f.requests(), 1)
}

func TestSendLostAnswer(t *testing.T) {
	f := newFake(t, func(n int, w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if assert.NoError(t, err) { // handler goroutine: no FailNow here
			_ = conn.Close()
		}
	})
	_, err := newClient(f).Send(context.Background(), sms2vipps.SMS{From: "27222", To: "+4799999999", Text: "Hei"})
	require.Error(t, err)
	assert.Equal(t, sms2vipps.EUPSTREAM, sms2vipps.ErrorCode(err))
	assert.Len(t, f.requests(), 1, "a send is never repeated by the client")
}

var _ sms2vipps.SMSSender = (*linksms.Client)(nil)
