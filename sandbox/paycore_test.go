package sandbox_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const listPath = "/api/pre-transactions?partnerId=1042&correlationId=none&api-version=2.0"

func TestPaycoreHMAC(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name    string
		sign    signing
		body    string // sent with a POST instead of the list GET
		want    int
		wantMsg string
	}{
		{name: "OK", want: http.StatusOK},
		{name: "OKQuoted", sign: signing{header: func(c linkhmac.Credential) string { return c.Header("hmac", true) }}, want: http.StatusOK},
		{name: "OKBearer", sign: signing{header: func(c linkhmac.Credential) string { return c.Header("Bearer", false) }}, want: http.StatusOK},
		{name: "OKAtWindowEdge", sign: signing{timestamp: t0.Add(-linkhmac.Window)}, want: http.StatusOK},
		{name: "ErrMissing", sign: signing{unsigned: true}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrMalformed", sign: signing{header: func(linkhmac.Credential) string { return "hmac nonsense" }}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrWrongSecret", sign: signing{partner: partnerID, secret: otherSecret}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrUnknownPartner", sign: signing{partner: 999, secret: secret}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrOtherURL", sign: signing{url: f.sb.PublicURL() + "/paycore" + listPath + "&x=1"}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrOtherBody", sign: signing{body: []byte(`{"amount":1}`)}, body: `{"amount":500}`, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrStale", sign: signing{timestamp: t0.Add(-linkhmac.Window - time.Second)}, want: http.StatusUnauthorized, wantMsg: "Hmac timestamp clock-drift too high"},
		{name: "ErrFuture", sign: signing{timestamp: t0.Add(linkhmac.Window + time.Second)}, want: http.StatusUnauthorized, wantMsg: "Hmac timestamp clock-drift too high"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			req := f.paycoreRequest(t, "GET", listPath, nil, tt.sign)
			if tt.body != "" {
				req = f.paycoreRequest(t, "POST", "/api/pre-transactions", tt.body, tt.sign)
			}
			status, _, body := f.do(t, req)
			assert.Equal(t, tt.want, status, body)
			if tt.wantMsg != "" {
				assert.Equal(t, tt.wantMsg, message(t, body))
			}
		})
	}
	t.Run("ErrNonceReused", func(t *testing.T) {
		s := signing{nonce: "once-only-nonce"}
		status, _, _ := f.do(t, f.paycoreRequest(t, "GET", listPath, nil, s))
		require.Equal(t, http.StatusOK, status)
		status, _, body := f.do(t, f.paycoreRequest(t, "GET", listPath, nil, s))
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, "Invalid HMAC", message(t, body))
		// Another partner may use the same nonce.
		s.partner, s.secret = otherPartnerID, otherSecret
		status, _, body = f.do(t, f.paycoreRequest(t, "GET", "/api/pre-transactions?partnerId=2077", nil, s))
		assert.Equal(t, http.StatusOK, status, body)
	})
	t.Run("ErrBadSignatureSpendsNoNonce", func(t *testing.T) {
		s := signing{nonce: "spent-by-good-only", partner: partnerID, secret: otherSecret}
		status, _, _ := f.do(t, f.paycoreRequest(t, "GET", listPath, nil, s))
		require.Equal(t, http.StatusUnauthorized, status)
		s.secret = secret
		status, _, body := f.do(t, f.paycoreRequest(t, "GET", listPath, nil, s))
		assert.Equal(t, http.StatusOK, status, body)
	})
}

func TestPaycoreHMACPublicURL(t *testing.T) {
	// Behind a proxy the client signs the public URL, not the listener's.
	f := newFixture(t)
	listener := f.sb.PublicURL()
	f.sb.SetPublicURL("https://sandbox.example.com")
	req := f.paycoreRequest(t, "GET", listPath, nil, signing{url: "https://sandbox.example.com/paycore" + listPath})
	req.URL.Scheme, req.URL.Host = "http", strings.TrimPrefix(listener, "http://")
	status, _, body := f.do(t, req)
	assert.Equal(t, http.StatusOK, status, body)
}

// callbackServer records the status callbacks it receives.
type callbackServer struct {
	*httptest.Server
	mu     sync.Mutex
	bodies []string
	status int
}

func newCallbackServer(t *testing.T, status int) *callbackServer {
	cs := &callbackServer{status: status}
	cs.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		cs.mu.Lock()
		cs.bodies = append(cs.bodies, r.Method+" "+r.URL.RequestURI()+" "+string(b))
		cs.mu.Unlock()
		w.WriteHeader(cs.status)
	}))
	t.Cleanup(cs.Close)
	return cs
}

func (cs *callbackServer) received() []string {
	cs.mu.Lock()
	defer cs.mu.Unlock()
	return append([]string(nil), cs.bodies...)
}

func TestPaycoreFlow(t *testing.T) {
	f := newFixture(t)
	cb := newCallbackServer(t, http.StatusOK)
	body := preBody("sess-1")
	body["statusCallbackUrl"] = cb.URL + "/api/PaycoreStatus?session=sess-1&sig=abc"
	id := f.createPre(t, body)

	// Paycore sent the payment link by SMS itself.
	link := f.sb.PublicURL() + "/sandbox/paycore/pay/" + id
	msgs := f.sb.SMS.To(msisdn)
	require.Len(t, msgs, 1)
	assert.Equal(t, sandbox.ViaPaycore, msgs[0].Via)
	assert.Equal(t, "Parkering", msgs[0].From)
	assert.Equal(t, "Pay here: "+link, msgs[0].Text)
	assert.Equal(t, id, msgs[0].RefID)

	status, _, raw := f.paycore(t, "GET", prePath(partnerID, id)+"?api-version=2.0", nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Contains(t, raw, `"amount":5.00`)
	assert.Contains(t, raw, `"expiryUtc":"2025-03-01T12:10:00Z"`)
	pre := decode[sandbox.PreTransaction](t, raw)
	assert.Equal(t, id, pre.PreTransactionID)
	assert.Equal(t, link, pre.PaymentSelectionPageURL)
	assert.True(t, pre.SmsNotificationSent)
	assert.Equal(t, sandbox.PreCreated, pre.Status)
	assert.Equal(t, "sess-1", pre.CorrelationID)

	status, _, raw = f.paycore(t, "GET", txPath(partnerID, id), nil)
	assert.Equal(t, http.StatusNotFound, status, "no transaction before the payer pays")
	assert.Equal(t, "transaction not found", message(t, raw))

	tx, err := f.sb.Paycore.Approve(id)
	require.NoError(t, err)
	assert.Equal(t, sandbox.Reserved, tx.Status)

	status, _, raw = f.paycore(t, "GET", txPath(partnerID, id)+"?api-version=2.0", nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Contains(t, raw, `"amount":5.00`)
	assert.NotContains(t, raw, "capturedAmount")
	tx = decode[sandbox.Transaction](t, raw)
	assert.Equal(t, id, tx.TransactionID)
	assert.Equal(t, sandbox.Reserved, tx.Status)
	assert.True(t, tx.Success)
	assert.Equal(t, sandbox.Amount(500), tx.Amount)
	assert.Equal(t, t0, tx.CreatedDateUtc)

	f.clock.Advance(3 * time.Minute)
	status, _, raw = f.paycore(t, "PUT", txPath(partnerID, id)+"/capture?amount=1.50&api-version=2.0", nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Contains(t, raw, `"capturedAmount":1.50`)
	tx = decode[sandbox.Transaction](t, raw)
	assert.Equal(t, sandbox.Captured, tx.Status)
	assert.Equal(t, sandbox.Amount(150), tx.CapturedAmount)
	assert.Equal(t, sandbox.Amount(500), tx.Amount, "the reserved amount stays")

	status, _, raw = f.paycore(t, "PUT", txPath(partnerID, id)+"/capture?amount=1.00&api-version=2.0", nil)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "transaction is already captured", message(t, raw))

	got, ok := f.sb.Paycore.Transaction(id)
	require.True(t, ok)
	assert.Equal(t, sandbox.Amount(150), got.CapturedAmount)
	assert.Equal(t, []sandbox.Capture{{PartnerID: partnerID, TransactionID: id, Amount: 150, Time: t0.Add(3 * time.Minute)}},
		f.sb.Paycore.Captures())

	// One callback per change, with the TransactionResponse.
	calls := cb.received()
	require.Len(t, calls, 2)
	assert.True(t, strings.HasPrefix(calls[0], "POST /api/PaycoreStatus?session=sess-1&sig=abc {"), calls[0])
	assert.Contains(t, calls[0], `"status":"Reserved"`)
	assert.Contains(t, calls[1], `"status":"Captured"`)
	records := f.sb.Paycore.Callbacks()
	require.Len(t, records, 2)
	for _, r := range records {
		assert.True(t, r.Delivered)
		assert.Equal(t, http.StatusOK, r.HTTPStatus)
		assert.Equal(t, cb.URL+"/api/PaycoreStatus", r.URL, "no signature kept")
	}
}

func TestPaycoreCapture(t *testing.T) {
	for _, tt := range []struct {
		name      string
		query     string
		want      int
		wantMsg   string
		wantTaken sandbox.Amount
	}{
		{name: "OKAll", query: "", want: http.StatusOK, wantTaken: 500},
		{name: "OKExact", query: "?amount=5.00", want: http.StatusOK, wantTaken: 500},
		{name: "OKOneDecimal", query: "?amount=2.5", want: http.StatusOK, wantTaken: 250},
		{name: "OKWhole", query: "?amount=1&api-version=2.0", want: http.StatusOK, wantTaken: 100},
		{name: "ErrAboveReservation", query: "?amount=5.01", want: http.StatusBadRequest, wantMsg: "at most the reserved 5.00"},
		{name: "ErrZero", query: "?amount=0.00", want: http.StatusBadRequest, wantMsg: "more than 0"},
		{name: "ErrNegative", query: "?amount=-1.00", want: http.StatusBadRequest, wantMsg: "amount"},
		{name: "ErrComma", query: "?amount=1,50", want: http.StatusBadRequest, wantMsg: "amount"},
		{name: "ErrThreeDecimals", query: "?amount=1.505", want: http.StatusBadRequest, wantMsg: "two decimals"},
		{name: "ErrEmpty", query: "?amount=", want: http.StatusBadRequest, wantMsg: "amount"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			id := f.approved(t)
			status, _, raw := f.paycore(t, "PUT", txPath(partnerID, id)+"/capture"+tt.query, nil)
			require.Equal(t, tt.want, status, raw)
			tx, _ := f.sb.Paycore.Transaction(id)
			if tt.wantMsg != "" {
				assert.Contains(t, message(t, raw), tt.wantMsg)
				assert.Equal(t, sandbox.Reserved, tx.Status, "nothing captured")
				assert.Empty(t, f.sb.Paycore.Captures())
				return
			}
			assert.Equal(t, sandbox.Captured, tx.Status)
			assert.Equal(t, tt.wantTaken, tx.CapturedAmount)
		})
	}
	t.Run("ErrNotPaid", func(t *testing.T) {
		f := newFixture(t)
		id := f.createPre(t, preBody("s"))
		status, _, raw := f.paycore(t, "PUT", txPath(partnerID, id)+"/capture", nil)
		assert.Equal(t, http.StatusNotFound, status, raw)
	})
	t.Run("ErrRejected", func(t *testing.T) {
		f := newFixture(t)
		id := f.createPre(t, preBody("s"))
		_, err := f.sb.Paycore.Reject(id)
		require.NoError(t, err)
		status, _, raw := f.paycore(t, "PUT", txPath(partnerID, id)+"/capture", nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Contains(t, message(t, raw), "not reserved")
	})
	t.Run("ErrOtherPartner", func(t *testing.T) {
		f := newFixture(t)
		id := f.approved(t)
		other := signing{partner: otherPartnerID, secret: otherSecret}
		status, _, _ := f.do(t, f.paycoreRequest(t, "PUT", txPath(partnerID, id)+"/capture", nil, other))
		assert.Equal(t, http.StatusForbidden, status, "path partner is not the signer")
		status, _, _ = f.do(t, f.paycoreRequest(t, "PUT", txPath(otherPartnerID, id)+"/capture", nil, other))
		assert.Equal(t, http.StatusNotFound, status, "another partner's transaction does not exist for it")
		tx, _ := f.sb.Paycore.Transaction(id)
		assert.Equal(t, sandbox.Reserved, tx.Status)
	})
}

func TestPaycoreReject(t *testing.T) {
	f := newFixture(t)
	cb := newCallbackServer(t, http.StatusOK)
	body := preBody("sess-r")
	body["statusCallbackUrl"] = cb.URL + "/cb"
	id := f.createPre(t, body)

	tx, err := f.sb.Paycore.Reject(id)
	require.NoError(t, err)
	assert.Equal(t, sandbox.Failed, tx.Status)
	assert.False(t, tx.Success)

	status, _, raw := f.paycore(t, "GET", txPath(partnerID, id), nil)
	require.Equal(t, http.StatusOK, status)
	assert.Contains(t, raw, `"status":"Failed"`)
	assert.Contains(t, raw, `"success":false`)

	_, err = f.sb.Paycore.Approve(id)
	assert.ErrorIs(t, err, sandbox.ErrConflict)
	_, err = f.sb.Paycore.Reject("no-such-id")
	assert.ErrorIs(t, err, sandbox.ErrNotFound)
	require.Len(t, cb.received(), 1)
	assert.Contains(t, cb.received()[0], `"status":"Failed"`)
}

func TestPaycoreExpiry(t *testing.T) {
	t.Run("ByClock", func(t *testing.T) {
		f := newFixture(t)
		id := f.createPre(t, preBody("s"))
		f.clock.Advance(10 * time.Minute)
		status, _, raw := f.paycore(t, "GET", prePath(partnerID, id), nil)
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, sandbox.PreExpired, decode[sandbox.PreTransaction](t, raw).Status)
		_, err := f.sb.Paycore.Approve(id)
		assert.ErrorIs(t, err, sandbox.ErrExpired)
		status, _, _ = f.paycore(t, "GET", txPath(partnerID, id), nil)
		assert.Equal(t, http.StatusNotFound, status, "an expired request has no transaction")
	})
	t.Run("ByAction", func(t *testing.T) {
		f := newFixture(t)
		id := f.createPre(t, preBody("s"))
		require.NoError(t, f.sb.Paycore.Expire(id))
		pre, ok := f.sb.Paycore.PreTransaction(id)
		require.True(t, ok)
		assert.Equal(t, sandbox.PreExpired, pre.Status)
		_, err := f.sb.Paycore.Approve(id)
		assert.ErrorIs(t, err, sandbox.ErrExpired)
		assert.ErrorIs(t, f.sb.Paycore.Expire(id), sandbox.ErrConflict)
	})
	t.Run("ReservationLapses", func(t *testing.T) {
		f := newFixture(t, func(c *sandbox.Config) { c.ReservationTTL = time.Hour })
		id := f.approved(t)
		f.clock.Advance(time.Hour)
		status, _, raw := f.paycore(t, "PUT", txPath(partnerID, id)+"/capture", nil)
		assert.Equal(t, http.StatusBadRequest, status)
		assert.Equal(t, "transaction is expired", message(t, raw))
		tx, _ := f.sb.Paycore.Transaction(id)
		assert.Equal(t, sandbox.Expired, tx.Status)
	})
	t.Run("ReservationLapsesByAction", func(t *testing.T) {
		f := newFixture(t)
		id := f.approved(t)
		require.NoError(t, f.sb.Paycore.Expire(id))
		tx, _ := f.sb.Paycore.Transaction(id)
		assert.Equal(t, sandbox.Expired, tx.Status)
		assert.False(t, tx.Success)
	})
}

func TestPaycoreCreateValidation(t *testing.T) {
	for _, tt := range []struct {
		name    string
		change  func(map[string]any)
		wantMsg string // empty: accepted
	}{
		{name: "OK", change: func(map[string]any) {}},
		{name: "OKAmountString", change: func(b map[string]any) { b["amount"] = "12.50" }},
		{name: "OKPartnerIDString", change: func(b map[string]any) { b["partnerId"] = "1042" }},
		{name: "OKNoNotification", change: func(b map[string]any) {
			delete(b, "smsNotificationText")
			delete(b, "smsNotificationOriginator")
		}},
		{name: "OKShortNumberOriginator", change: func(b map[string]any) { b["smsNotificationOriginator"] = "27222" }},
		{name: "ErrPartnerIDOther", change: func(b map[string]any) { b["partnerId"] = otherPartnerID }, wantMsg: "partnerId"},
		{name: "ErrPartnerIDMissing", change: func(b map[string]any) { delete(b, "partnerId") }, wantMsg: "partnerId"},
		{name: "ErrMsisdnNotE164", change: func(b map[string]any) { b["msisdn"] = "99887766" }, wantMsg: "msisdn"},
		{name: "ErrAmountZero", change: func(b map[string]any) { b["amount"] = 0 }, wantMsg: "amount"},
		{name: "ErrAmountNegative", change: func(b map[string]any) { b["amount"] = -5 }, wantMsg: "amount"},
		{name: "ErrAmountThreeDecimals", change: func(b map[string]any) { b["amount"] = json.Number("5.001") }, wantMsg: "amount"},
		{name: "ErrAmountMissing", change: func(b map[string]any) { delete(b, "amount") }, wantMsg: "amount"},
		{name: "ErrCurrency", change: func(b map[string]any) { b["currency"] = "XYZ" }, wantMsg: "currency"},
		{name: "ErrCurrencyMissing", change: func(b map[string]any) { delete(b, "currency") }, wantMsg: "currency"},
		{name: "ErrExpiryPast", change: func(b map[string]any) { b["expiryUtc"] = "2025-03-01T11:59:59Z" }, wantMsg: "expiryUtc"},
		{name: "ErrExpiryMissing", change: func(b map[string]any) { delete(b, "expiryUtc") }, wantMsg: "expiryUtc"},
		{name: "ErrExpiryFormat", change: func(b map[string]any) { b["expiryUtc"] = "01.03.2025 13:00" }, wantMsg: "expiryUtc"},
		{name: "ErrTextWithoutLink", change: func(b map[string]any) { b["smsNotificationText"] = "Pay now" }, wantMsg: "smsNotificationText"},
		{name: "ErrOriginator", change: func(b map[string]any) { b["smsNotificationOriginator"] = "1Parkering" }, wantMsg: "smsNotificationOriginator"},
		{name: "ErrCallbackURL", change: func(b map[string]any) { b["statusCallbackUrl"] = "/relative" }, wantMsg: "statusCallbackUrl"},
		{name: "ErrMsisdnType", change: func(b map[string]any) { b["msisdn"] = 4799887766 }, wantMsg: "msisdn"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			body := preBody("s")
			tt.change(body)
			status, h, raw := f.paycore(t, "POST", "/api/pre-transactions", body)
			if tt.wantMsg == "" {
				require.Equal(t, http.StatusNoContent, status, raw)
				assert.Regexp(t, `^/paycore/api/pre-transactions/1042/[0-9a-f-]{36}$`, h.Get("Location"))
				return
			}
			assert.Equal(t, http.StatusBadRequest, status)
			assert.Contains(t, message(t, raw), tt.wantMsg)
			assert.Empty(t, f.sb.Paycore.PreTransactions())
			assert.Empty(t, f.sb.SMS.Messages())
		})
	}
	t.Run("NamesEveryBadField", func(t *testing.T) {
		f := newFixture(t)
		status, _, raw := f.paycore(t, "POST", "/api/pre-transactions", map[string]any{"partnerId": partnerID})
		require.Equal(t, http.StatusBadRequest, status)
		for _, field := range []string{"msisdn", "amount", "currency", "expiryUtc"} {
			assert.Contains(t, message(t, raw), field)
		}
	})
	t.Run("LocationKeepsAPIVersion", func(t *testing.T) {
		f := newFixture(t)
		status, h, _ := f.paycore(t, "POST", "/api/pre-transactions?api-version=2.0", preBody("s"))
		require.Equal(t, http.StatusNoContent, status)
		assert.Regexp(t, `^/paycore/api/pre-transactions/1042/[0-9a-f-]{36}\?api-version=2\.0$`, h.Get("Location"))
	})
}

func TestPaycoreListByCorrelationID(t *testing.T) {
	f := newFixture(t)
	a1 := f.createPre(t, preBody("a"))
	f.createPre(t, preBody("b"))
	a2 := f.createPre(t, preBody("a"))

	type item struct {
		PreTransactionID string          `json:"preTransactionId"`
		CorrelationID    string          `json:"correlationId"`
		Msisdn           string          `json:"msisdn"`
		Currency         string          `json:"currency"`
		Amount           json.RawMessage `json:"amount"`
	}
	status, _, raw := f.paycore(t, "GET", "/api/pre-transactions?partnerId=1042&correlationId=a&api-version=2.0", nil)
	require.Equal(t, http.StatusOK, status, raw)
	items := decode[[]item](t, raw)
	require.Len(t, items, 2)
	assert.Equal(t, item{a1, "a", msisdn, "NOK", json.RawMessage("5.00")}, items[0])
	assert.Equal(t, a2, items[1].PreTransactionID)

	for _, tt := range []struct {
		name  string
		query string
		want  int
		n     int
	}{
		{"Other", "partnerId=1042&correlationId=b", http.StatusOK, 1},
		{"None", "partnerId=1042&correlationId=zzz", http.StatusOK, 0},
		{"All", "partnerId=1042", http.StatusOK, 3},
		{"Top", "partnerId=1042&correlationId=a&$top=1", http.StatusOK, 1},
		{"Skip", "partnerId=1042&$skip=2", http.StatusOK, 1},
		{"ErrOtherPartner", "partnerId=2077&correlationId=a", http.StatusForbidden, 0},
		{"ErrNoPartner", "correlationId=a", http.StatusBadRequest, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, raw := f.paycore(t, "GET", "/api/pre-transactions?"+tt.query, nil)
			require.Equal(t, tt.want, status, raw)
			if tt.want == http.StatusOK {
				assert.Len(t, decode[[]item](t, raw), tt.n)
			}
		})
	}
	t.Run("OtherPartnerSeesNone", func(t *testing.T) {
		s := signing{partner: otherPartnerID, secret: otherSecret}
		status, _, raw := f.do(t, f.paycoreRequest(t, "GET", "/api/pre-transactions?partnerId=2077&correlationId=a", nil, s))
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, "[]\n", raw)
		status, _, _ = f.do(t, f.paycoreRequest(t, "GET", prePath(otherPartnerID, a1), nil, s))
		assert.Equal(t, http.StatusNotFound, status)
	})
}

func TestPaycoreStatusCallbackFailureDoesNotFailAction(t *testing.T) {
	f := newFixture(t)
	cb := newCallbackServer(t, http.StatusInternalServerError)
	body := preBody("s")
	body["statusCallbackUrl"] = cb.URL + "/cb?sig=secret"
	id := f.createPre(t, body)
	tx, err := f.sb.Paycore.Approve(id)
	require.NoError(t, err)
	assert.Equal(t, sandbox.Reserved, tx.Status)
	records := f.sb.Paycore.Callbacks()
	require.Len(t, records, 1)
	assert.False(t, records[0].Delivered)
	assert.Equal(t, http.StatusInternalServerError, records[0].HTTPStatus)

	cb.Close()
	status, _, raw := f.paycore(t, "PUT", txPath(partnerID, id)+"/capture", nil)
	require.Equal(t, http.StatusOK, status, raw)
	records = f.sb.Paycore.Callbacks()
	require.Len(t, records, 2)
	assert.False(t, records[1].Delivered)
	assert.NotEmpty(t, records[1].Error)
	assert.NotContains(t, records[1].Error, "secret")
}

func TestPaycoreNotFound(t *testing.T) {
	f := newFixture(t)
	for _, path := range []string{prePath(partnerID, "nope"), txPath(partnerID, "nope"), "/api/campaigns"} {
		status, _, raw := f.paycore(t, "GET", path, nil)
		assert.Equal(t, http.StatusNotFound, status, path)
		assert.NotEmpty(t, message(t, raw), path)
	}
}
