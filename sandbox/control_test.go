package sandbox_test

import (
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestControlPaycoreActions(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		action     string
		want       int
		wantStatus string
	}{
		{"approve", http.StatusOK, `"status":"Reserved"`},
		{"reject", http.StatusOK, `"status":"Failed"`},
		{"expire", http.StatusOK, `"status":"Expired"`},
	} {
		t.Run(tt.action, func(t *testing.T) {
			id := f.createPre(t, preBody("c-"+tt.action))
			status, raw := f.control(t, "POST", "/sandbox/paycore/"+id+"/"+tt.action, nil)
			require.Equal(t, tt.want, status, raw)
			assert.Contains(t, raw, tt.wantStatus)

			status, raw = f.control(t, "POST", "/sandbox/paycore/"+id+"/approve", nil)
			assert.Equal(t, http.StatusConflict, status, "decided once")
			assert.NotEmpty(t, message(t, raw))
		})
	}
	t.Run("ErrNotFound", func(t *testing.T) {
		status, _ := f.control(t, "POST", "/sandbox/paycore/nope/approve", nil)
		assert.Equal(t, http.StatusNotFound, status)
	})
	t.Run("ErrUnknownAction", func(t *testing.T) {
		id := f.createPre(t, preBody("c"))
		status, _ := f.control(t, "POST", "/sandbox/paycore/"+id+"/pay", nil)
		assert.Equal(t, http.StatusNotFound, status)
	})
	t.Run("List", func(t *testing.T) {
		status, raw := f.control(t, "GET", "/sandbox/paycore", nil)
		require.Equal(t, http.StatusOK, status)
		state := decode[struct {
			PreTransactions []sandbox.PreTransaction `json:"preTransactions"`
			Transactions    []sandbox.Transaction    `json:"transactions"`
			Captures        []sandbox.Capture        `json:"captures"`
		}](t, raw)
		assert.Len(t, state.PreTransactions, 4)
		assert.Len(t, state.Transactions, 2)
		assert.Empty(t, state.Captures)
		assert.Equal(t, f.sb.Paycore.PreTransactions(), state.PreTransactions)
	})
	t.Run("One", func(t *testing.T) {
		id := f.approved(t)
		status, raw := f.control(t, "GET", "/sandbox/paycore/"+id, nil)
		require.Equal(t, http.StatusOK, status)
		assert.Contains(t, raw, `"preTransaction":{`)
		assert.Contains(t, raw, `"transaction":{`)
	})
}

func TestControlClock(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name string
		body any
		want int
		now  time.Time
	}{
		{"Advance", map[string]string{"advance": "90m"}, http.StatusOK, t0.Add(90 * time.Minute)},
		{"Set", map[string]string{"now": "2025-06-01T08:00:00Z"}, http.StatusOK, time.Date(2025, 6, 1, 8, 0, 0, 0, time.UTC)},
		{"AdvanceAgain", map[string]string{"advance": "-1h"}, http.StatusOK, time.Date(2025, 6, 1, 7, 0, 0, 0, time.UTC)},
		{"ErrBadDuration", map[string]string{"advance": "soon"}, http.StatusBadRequest, time.Time{}},
		{"ErrBadTime", map[string]string{"now": "tomorrow"}, http.StatusBadRequest, time.Time{}},
		{"ErrBoth", map[string]string{"now": "2025-06-01T08:00:00Z", "advance": "1m"}, http.StatusBadRequest, time.Time{}},
		{"ErrNeither", map[string]string{}, http.StatusBadRequest, time.Time{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, raw := f.control(t, "POST", "/sandbox/clock", tt.body)
			require.Equal(t, tt.want, status, raw)
			if tt.want == http.StatusOK {
				assert.Equal(t, tt.now, decode[map[string]time.Time](t, raw)["now"])
				assert.Equal(t, tt.now, f.sb.Clock.Now())
			}
		})
	}
	status, raw := f.control(t, "GET", "/sandbox/clock", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"now":"2025-06-01T07:00:00Z"}`, raw)

	t.Run("ExpiresPayments", func(t *testing.T) {
		f := newFixture(t)
		id := f.createPre(t, preBody("c"))
		status, _ := f.control(t, "POST", "/sandbox/clock", map[string]string{"advance": "11m"})
		require.Equal(t, http.StatusOK, status)
		pre, _ := f.sb.Paycore.PreTransaction(id)
		assert.Equal(t, sandbox.PreExpired, pre.Status)
	})
}

func TestPayPage(t *testing.T) {
	f := newFixture(t)
	body := preBody("c")
	body["returnUrl"] = "https://merchant.example/done"
	id := f.createPre(t, body)
	msgs := f.sb.SMS.To(msisdn)
	require.Len(t, msgs, 1)
	link := strings.TrimPrefix(msgs[0].Text, "Pay here: ")

	page := func() string {
		resp, err := f.client.Get(link)
		require.NoError(t, err)
		defer resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "text/html; charset=utf-8", resp.Header.Get("Content-Type"))
		b, err := io.ReadAll(resp.Body)
		require.NoError(t, err)
		return string(b)
	}
	html := page()
	assert.Contains(t, html, "5,00 NOK")
	assert.Contains(t, html, "Parkering")
	assert.Contains(t, html, "47******66", "the number is masked")
	assert.NotContains(t, html, "99887766")
	assert.Contains(t, html, `action="/sandbox/paycore/pay/`+id+`/approve"`)
	assert.Contains(t, html, `action="/sandbox/paycore/pay/`+id+`/reject"`)

	// Submitting the form as a browser would: POST, then follow the 303.
	resp, err := f.client.PostForm(f.sb.PublicURL()+"/sandbox/paycore/pay/"+id+"/approve", url.Values{})
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(b), "Approved")
	assert.Contains(t, string(b), "https://merchant.example/done")
	assert.NotContains(t, string(b), "<form")

	tx, ok := f.sb.Paycore.Transaction(id)
	require.True(t, ok)
	assert.Equal(t, sandbox.Reserved, tx.Status)

	t.Run("Reject", func(t *testing.T) {
		id := f.createPre(t, preBody("c2"))
		resp, err := f.client.PostForm(f.sb.PublicURL()+"/sandbox/paycore/pay/"+id+"/reject", url.Values{})
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(b), "rejected")
		tx, _ := f.sb.Paycore.Transaction(id)
		assert.Equal(t, sandbox.Failed, tx.Status)
	})
	t.Run("Expired", func(t *testing.T) {
		id := f.createPre(t, preBody("c3"))
		require.NoError(t, f.sb.Paycore.Expire(id))
		resp, err := f.client.PostForm(f.sb.PublicURL()+"/sandbox/paycore/pay/"+id+"/approve", url.Values{})
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		assert.Contains(t, string(b), "expired")
		_, paid := f.sb.Paycore.Transaction(id)
		assert.False(t, paid)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		resp, err := f.client.Get(f.sb.PublicURL() + "/sandbox/paycore/pay/nope")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusNotFound, resp.StatusCode)
	})
}

func TestIndexPage(t *testing.T) {
	f := newFixture(t)
	id := f.approved(t)
	f.sb.Faults.Add(sandbox.Rule{Service: "sms", Path: "/send", Action: sandbox.Latency(time.Millisecond)})
	resp, err := f.client.Get(f.sb.PublicURL() + "/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	require.Equal(t, http.StatusOK, resp.StatusCode, "/ leads to /sandbox/")
	html := string(b)
	assert.Contains(t, html, "2025-03-01 12:00:00 UTC")
	assert.Contains(t, html, `href="/sandbox/paycore/pay/`+id+`"`)
	assert.Contains(t, html, "Reserved")
	assert.Contains(t, html, "Pay here: ")
	assert.Contains(t, html, "latency")

	status, raw := f.control(t, "GET", "/sandbox/nothing-here", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, message(t, raw), "/sandbox/")
}
