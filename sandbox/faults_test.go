package sandbox_test

import (
	"errors"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// createRequest is a signed request to create a pre-transaction for
// correlation id c.
func (f *fixture) createRequest(tb testing.TB, c string) *http.Request {
	tb.Helper()
	return f.paycoreRequest(tb, "POST", "/api/pre-transactions?api-version=2.0", preBody(c), signing{})
}

// countByCorrelation counts the pre-transactions with correlation id c,
// read back through the API as a client resolving an unclear answer would.
func (f *fixture) countByCorrelation(tb testing.TB, c string) int {
	tb.Helper()
	status, _, raw := f.paycore(tb, "GET", "/api/pre-transactions?partnerId=1042&correlationId="+c, nil)
	require.Equal(tb, http.StatusOK, status, raw)
	return len(decode[[]map[string]any](tb, raw))
}

// withTimeout returns f's client giving up after d.
func (f *fixture) withTimeout(d time.Duration) *http.Client {
	return &http.Client{Transport: f.client.Transport, Timeout: d}
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func TestFaultStatus(t *testing.T) {
	f := newFixture(t)
	id := f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: "POST", Path: "/api/pre-transactions", Times: 1,
		Action: sandbox.Status(http.StatusServiceUnavailable)})

	status, _, raw := f.do(t, f.createRequest(t, "c1"))
	assert.Equal(t, http.StatusServiceUnavailable, status)
	assert.Equal(t, "injected fault: Service Unavailable", message(t, raw))
	assert.Equal(t, 0, f.countByCorrelation(t, "c1"), "a Status fault applies nothing")

	status, _, raw = f.do(t, f.createRequest(t, "c1"))
	assert.Equal(t, http.StatusNoContent, status, raw)
	assert.Equal(t, 1, f.sb.Faults.Hits(id))
	assert.True(t, f.sb.Faults.Rules()[0].Done)

	t.Run("SMSBody", func(t *testing.T) {
		f.sb.Faults.Add(sandbox.Rule{Service: "sms", Times: 1, Action: sandbox.Status(http.StatusBadGateway)})
		status, raw := f.sendSMS(t, smsUser, smsPass, smsBody())
		assert.Equal(t, http.StatusBadGateway, status)
		assert.Equal(t, smsResult{Status: 502, Description: "injected fault: Bad Gateway",
			TranslatedDescription: "injected fault: Bad Gateway"}, decode[smsResult](t, raw))
	})
	t.Run("CustomBody", func(t *testing.T) {
		a := sandbox.Status(http.StatusInternalServerError)
		a.Body = "<html>upstream exploded</html>"
		f.sb.Faults.Add(sandbox.Rule{Service: "sms", Times: 1, Action: a})
		status, raw := f.sendSMS(t, smsUser, smsPass, smsBody())
		assert.Equal(t, http.StatusInternalServerError, status)
		assert.Equal(t, "<html>upstream exploded</html>", raw)
	})
}

func TestFaultRateLimit(t *testing.T) {
	f := newFixture(t)
	f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Times: 1, Action: sandbox.RateLimit(1500 * time.Millisecond)})
	status, h, raw := f.do(t, f.createRequest(t, "c1"))
	assert.Equal(t, http.StatusTooManyRequests, status)
	assert.Equal(t, "2", h.Get("Retry-After"), "whole seconds, rounded up")
	assert.NotEmpty(t, message(t, raw))
	assert.Equal(t, 0, f.countByCorrelation(t, "c1"))
}

func TestFaultTimeout(t *testing.T) {
	f := newFixture(t)
	id := f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: "POST", Times: 1, Action: sandbox.Timeout()})
	_, err := f.withTimeout(100 * time.Millisecond).Do(f.createRequest(t, "c1"))
	require.Error(t, err)
	assert.True(t, isTimeout(err), err)
	assert.Equal(t, 1, f.sb.Faults.Hits(id))
	assert.Equal(t, 0, f.countByCorrelation(t, "c1"), "nothing applied")
	assert.Empty(t, f.sb.SMS.Messages())
}

func TestFaultLostResponse(t *testing.T) {
	t.Run("Reserve", func(t *testing.T) {
		f := newFixture(t)
		f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: "POST", Times: 1, Action: sandbox.LostResponse()})
		resp, err := f.client.Do(f.createRequest(t, "c1"))
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "the client gets no answer")
		assert.False(t, isTimeout(err), err)
		assert.Equal(t, 1, f.countByCorrelation(t, "c1"), "but the pre-transaction was created")
		assert.Len(t, f.sb.SMS.To(msisdn), 1)
	})
	t.Run("Capture", func(t *testing.T) {
		f := newFixture(t)
		id := f.approved(t)
		f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Path: "*/capture", Times: 1, Action: sandbox.LostResponse()})
		resp, err := f.client.Do(f.paycoreRequest(t, "PUT", txPath(partnerID, id)+"/capture?amount=2.00", nil, signing{}))
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err)
		status, _, raw := f.paycore(t, "GET", txPath(partnerID, id), nil)
		require.Equal(t, http.StatusOK, status)
		tx := decode[sandbox.Transaction](t, raw)
		assert.Equal(t, sandbox.Captured, tx.Status, "the capture was committed")
		assert.Equal(t, sandbox.Amount(200), tx.CapturedAmount)
		assert.Len(t, f.sb.Paycore.Captures(), 1)
	})
}

func TestFaultLatency(t *testing.T) {
	t.Run("Delays", func(t *testing.T) {
		f := newFixture(t)
		id := f.sb.Faults.Add(sandbox.Rule{Service: "sms", Action: sandbox.Latency(30 * time.Millisecond)})
		start := time.Now()
		status, raw := f.sendSMS(t, smsUser, smsPass, smsBody())
		assert.Equal(t, http.StatusOK, status, raw)
		assert.GreaterOrEqual(t, time.Since(start), 30*time.Millisecond)
		assert.Equal(t, 1, f.sb.Faults.Hits(id))
	})
	t.Run("AddsUpBeforeAnotherAction", func(t *testing.T) {
		f := newFixture(t)
		lat := f.sb.Faults.Add(sandbox.Rule{Service: "sms", Action: sandbox.Latency(20 * time.Millisecond)})
		st := f.sb.Faults.Add(sandbox.Rule{Service: "sms", Action: sandbox.Status(http.StatusBadGateway)})
		start := time.Now()
		status, _ := f.sendSMS(t, smsUser, smsPass, smsBody())
		assert.Equal(t, http.StatusBadGateway, status)
		assert.GreaterOrEqual(t, time.Since(start), 20*time.Millisecond)
		assert.Equal(t, 1, f.sb.Faults.Hits(lat))
		assert.Equal(t, 1, f.sb.Faults.Hits(st))
	})
	t.Run("StopsWhenClientGivesUp", func(t *testing.T) {
		f := newFixture(t)
		f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: "POST", Action: sandbox.Latency(time.Hour)})
		_, err := f.withTimeout(100 * time.Millisecond).Do(f.createRequest(t, "c1"))
		require.Error(t, err)
		assert.True(t, isTimeout(err), err)
		assert.Equal(t, 0, f.countByCorrelation(t, "c1"))
	})
}

func TestFaultTimes(t *testing.T) {
	f := newFixture(t)
	id := f.sb.Faults.Add(sandbox.Rule{Service: "sms", Times: 2, Action: sandbox.Status(http.StatusServiceUnavailable)})
	var got []int
	for range 4 {
		status, _ := f.sendSMS(t, smsUser, smsPass, smsBody())
		got = append(got, status)
	}
	assert.Equal(t, []int{503, 503, 200, 200}, got)
	assert.Equal(t, 2, f.sb.Faults.Hits(id))
	assert.Len(t, f.sb.SMS.Messages(), 2)
}

func TestFaultProbability(t *testing.T) {
	run := func(seed uint64) (statuses []int, hits int) {
		f := newFixture(t, func(c *sandbox.Config) { c.Seed = seed })
		id := f.sb.Faults.Add(sandbox.Rule{Service: "sms", Probability: 0.5, Action: sandbox.Status(http.StatusServiceUnavailable)})
		for range 40 {
			status, _ := f.sendSMS(t, smsUser, smsPass, smsBody())
			statuses = append(statuses, status)
		}
		return statuses, f.sb.Faults.Hits(id)
	}
	first, hits := run(42)
	again, _ := run(42)
	assert.Equal(t, first, again, "the same seed fails the same requests")
	failed := 0
	for _, s := range first {
		if s == http.StatusServiceUnavailable {
			failed++
		}
	}
	assert.Equal(t, hits, failed)
	assert.True(t, failed > 5 && failed < 35, "failed %d of 40", failed)
}

func TestFaultMatching(t *testing.T) {
	f := newFixture(t)
	id := f.approved(t)
	get := func() *http.Request { return f.paycoreRequest(t, "GET", txPath(partnerID, id), nil, signing{}) }
	for _, tt := range []struct {
		name string
		rule sandbox.Rule
		hit  bool
	}{
		{"Everything", sandbox.Rule{}, true},
		{"Service", sandbox.Rule{Service: "paycore"}, true},
		{"OtherService", sandbox.Rule{Service: "sms"}, false},
		{"Method", sandbox.Rule{Method: "get"}, true},
		{"OtherMethod", sandbox.Rule{Method: "PUT"}, false},
		{"Substring", sandbox.Rule{Path: "/api/transactions/"}, true},
		{"OtherSubstring", sandbox.Rule{Path: "/capture"}, false},
		{"GlobAcrossSlashes", sandbox.Rule{Path: "/paycore/*/transactions/*"}, true},
		{"GlobWholePath", sandbox.Rule{Path: "*/capture"}, false},
		{"GlobQuestionMark", sandbox.Rule{Path: "/paycore/api/transactions/104?/*"}, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			tt.rule.Action = sandbox.Status(http.StatusServiceUnavailable)
			rid := f.sb.Faults.Add(tt.rule)
			defer f.sb.Faults.Remove(rid)
			status, _, _ := f.do(t, get())
			assert.Equal(t, tt.hit, status == http.StatusServiceUnavailable, "status %d", status)
		})
	}
	t.Run("ControlAPIIsNeverFaulted", func(t *testing.T) {
		f.sb.Faults.Add(sandbox.Rule{Action: sandbox.Status(http.StatusServiceUnavailable)})
		defer f.sb.Faults.Clear()
		status, _ := f.control(t, "GET", "/sandbox/paycore", nil)
		assert.Equal(t, http.StatusOK, status)
	})
}

func TestFaultRules(t *testing.T) {
	f := newFixture(t)
	a := f.sb.Faults.Add(sandbox.Rule{Service: "sms", Action: sandbox.Timeout()})
	b := f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Action: sandbox.LostResponse()})
	assert.NotEqual(t, a, b)
	assert.True(t, f.sb.Faults.Remove(a))
	assert.False(t, f.sb.Faults.Remove(a))
	require.Len(t, f.sb.Faults.Rules(), 1)
	assert.Equal(t, b, f.sb.Faults.Rules()[0].ID)
	f.sb.Faults.Clear()
	assert.Empty(t, f.sb.Faults.Rules())

	for name, r := range map[string]sandbox.Rule{
		"NoAction":       {},
		"BadStatus":      {Action: sandbox.Status(200)},
		"NoDelay":        {Action: sandbox.Latency(0)},
		"BadProbability": {Probability: 1.5, Action: sandbox.Timeout()},
		"NegativeTimes":  {Times: -1, Action: sandbox.Timeout()},
	} {
		assert.Error(t, r.Validate(), name)
		assert.Panics(t, func() { f.sb.Faults.Add(r) }, name)
	}
}

func TestFaultControlAPI(t *testing.T) {
	f := newFixture(t)
	status, raw := f.control(t, "POST", "/sandbox/faults",
		map[string]any{"service": "sms", "method": "POST", "path": "/send", "times": 1, "action": "status", "status": 502})
	require.Equal(t, http.StatusCreated, status, raw)
	id := decode[map[string]int](t, raw)["id"]

	status, _ = f.sendSMS(t, smsUser, smsPass, smsBody())
	assert.Equal(t, http.StatusBadGateway, status)

	status, raw = f.control(t, "GET", "/sandbox/faults", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `[{"id":1,"hits":1,"done":true,"service":"sms","method":"POST","path":"/send","times":1,"action":"status","status":502}]`, raw)

	status, _ = f.control(t, "DELETE", "/sandbox/faults/"+itoa(int64(id)), nil)
	assert.Equal(t, http.StatusNoContent, status)
	status, _ = f.control(t, "DELETE", "/sandbox/faults/"+itoa(int64(id)), nil)
	assert.Equal(t, http.StatusNotFound, status)

	status, raw = f.control(t, "POST", "/sandbox/faults", map[string]any{"service": "sms", "action": "rateLimit", "retryAfter": "3s"})
	require.Equal(t, http.StatusCreated, status, raw)
	status, raw = f.control(t, "POST", "/sandbox/faults", map[string]any{"service": "sms", "action": "latency", "delay": 0.001})
	require.Equal(t, http.StatusCreated, status, raw)
	rules := f.sb.Faults.Rules()
	require.Len(t, rules, 2)
	assert.Equal(t, sandbox.RateLimit(3*time.Second), rules[0].Rule.Action)
	assert.Equal(t, sandbox.Latency(time.Millisecond), rules[1].Rule.Action)

	for _, bad := range []map[string]any{
		{"action": "explode"},
		{"action": "status", "status": 200},
		{"action": "latency", "delay": "soon"},
	} {
		status, raw = f.control(t, "POST", "/sandbox/faults", bad)
		assert.Equal(t, http.StatusBadRequest, status, raw)
	}

	status, _ = f.control(t, "DELETE", "/sandbox/faults", nil)
	assert.Equal(t, http.StatusNoContent, status)
	assert.Empty(t, f.sb.Faults.Rules())
}
