package sandbox_test

import (
	"bytes"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lockedBuffer lets the sandbox log from its handlers while the test reads.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func TestLogsNoSecrets(t *testing.T) {
	var buf lockedBuffer
	f := newFixture(t, func(c *sandbox.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	cb := newCallbackServer(t, http.StatusOK)
	body := preBody("c")
	body["statusCallbackUrl"] = cb.URL + "/cb?sig=callback-signature"
	id := f.createPre(t, body)
	_, err := f.sb.Paycore.Approve(id)
	require.NoError(t, err)
	status, _, _ := f.paycore(t, "PUT", txPath(partnerID, id)+"/capture", nil)
	require.Equal(t, http.StatusOK, status)
	status, _ = f.sendSMS(t, smsUser, smsPass, smsBody())
	require.Equal(t, http.StatusOK, status)
	status, _ = f.sendSMS(t, smsUser, "wrong-password", smsBody())
	require.Equal(t, http.StatusUnauthorized, status)
	status, _, _ = f.do(t, f.paycoreRequest(t, "GET", listPath, nil, signing{partner: partnerID, secret: otherSecret}))
	require.Equal(t, http.StatusUnauthorized, status)

	logs := buf.String()
	require.Contains(t, logs, "paycore: captured")
	assert.Contains(t, logs, "+47******66")
	for _, secretText := range []string{"99887766", secret, otherSecret, smsPass, "wrong-password", "callback-signature", "hmac "} {
		assert.NotContains(t, logs, secretText)
	}
}

func TestConcurrentPayments(t *testing.T) {
	f := newFixture(t)
	// Requests are built (and signed) here, so that the goroutines only
	// send them: require must not fail outside the test's goroutine.
	parallel := func(reqs []*http.Request, then func(i int, resp *http.Response)) {
		var wg sync.WaitGroup
		for i, req := range reqs {
			wg.Go(func() {
				resp, err := f.client.Do(req)
				if !assert.NoError(t, err) {
					return
				}
				defer resp.Body.Close()
				then(i, resp)
			})
		}
		wg.Wait()
	}
	creates := make([]*http.Request, 20)
	for i := range creates {
		creates[i] = f.createRequest(t, "c")
	}
	ids := make([]string, len(creates))
	parallel(creates, func(i int, resp *http.Response) {
		assert.Equal(t, http.StatusNoContent, resp.StatusCode)
		ids[i] = idFromLocation(resp.Header.Get("Location"))
	})
	captures := make([]*http.Request, len(ids))
	for i, id := range ids {
		captures[i] = f.paycoreRequest(t, "PUT", txPath(partnerID, id)+"/capture?amount=1.00", nil, signing{})
	}
	parallel(captures, func(i int, resp *http.Response) {
		assert.Equal(t, http.StatusNotFound, resp.StatusCode, "not paid yet")
	})
	var wg sync.WaitGroup
	for _, id := range ids {
		wg.Go(func() {
			_, err := f.sb.Paycore.Approve(id)
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	for i, id := range ids {
		captures[i] = f.paycoreRequest(t, "PUT", txPath(partnerID, id)+"/capture?amount=1.00", nil, signing{})
	}
	parallel(captures, func(i int, resp *http.Response) {
		assert.Equal(t, http.StatusOK, resp.StatusCode)
	})
	assert.Len(t, f.sb.Paycore.Transactions(), 20)
	assert.Len(t, f.sb.Paycore.Captures(), 20)
	assert.Len(t, f.sb.SMS.Messages(), 20)
}

func TestCloseReleasesHangingRequests(t *testing.T) {
	sb := sandbox.New(sandbox.Config{})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	id := sb.Faults.Add(sandbox.Rule{Service: "sms", Action: sandbox.Timeout()})
	done := make(chan error, 1)
	go func() {
		resp, err := http.Post(srv.URL+"/sms/send", "application/json", strings.NewReader("{}"))
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	require.Eventually(t, func() bool { return sb.Faults.Hits(id) == 1 }, 5*time.Second, time.Millisecond)
	sb.Close()
	select {
	case err := <-done:
		assert.Error(t, err, "dropped, not answered 200")
	case <-time.After(5 * time.Second):
		t.Fatal("the hanging request was not released")
	}
}

func TestPublicURLDefaultsToRequestHost(t *testing.T) {
	// Before SetPublicURL the payment link uses the host the client called.
	clock := sandbox.NewClock(t0)
	sb := sandbox.New(sandbox.Config{PaycorePartners: map[int64]string{partnerID: secret}, Now: clock.Now, Seed: 3})
	srv := httptest.NewServer(sb.Handler())
	defer srv.Close()
	defer sb.Close()
	f := &fixture{sb: sb, clock: clock, client: srv.Client()}
	sb.SetPublicURL(srv.URL + "/")
	assert.Equal(t, srv.URL, sb.PublicURL(), "no trailing slash")
	req := f.createRequest(t, "c")
	sb.SetPublicURL("")
	status, _, raw := f.do(t, req)
	require.Equal(t, http.StatusNoContent, status, raw)
	pres := sb.Paycore.PreTransactions()
	require.Len(t, pres, 1)
	assert.Equal(t, srv.URL+"/sandbox/paycore/pay/"+pres[0].PreTransactionID, pres[0].PaymentSelectionPageURL)
}
