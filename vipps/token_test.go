package vipps_test

import (
	"context"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const paymentJSON = `{"aggregate":{"authorizedAmount":{"currency":"NOK","value":0},"cancelledAmount":{"currency":"NOK","value":0},` +
	`"capturedAmount":{"currency":"NOK","value":0},"refundedAmount":{"currency":"NOK","value":0}},` +
	`"amount":{"currency":"NOK","value":500},"state":"CREATED","paymentMethod":{"type":"WALLET"},"profile":{},` +
	`"pspReference":"psp-1","reference":"ref-12345678"}`

func okPayment(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, paymentJSON)
}

func TestTokenRequest(t *testing.T) {
	f := newFake(t, okPayment)
	c, _ := newClient(t, f)
	_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
	require.NoError(t, err)

	toks := f.tokenRequests()
	require.Len(t, toks, 1)
	tr := toks[0]
	assert.Equal(t, http.MethodPost, tr.Method)
	assert.Empty(t, tr.Body, "the token POST has no body")
	assert.Equal(t, "0", tr.Header.Get("Content-Length"))
	assert.Equal(t, "client-id-1", tr.Header.Get("client_id"))
	assert.Equal(t, "client-secret-XYZ", tr.Header.Get("client_secret"))
	assert.Equal(t, "subkey-ABC123", tr.Header.Get("Ocp-Apim-Subscription-Key"))
	assert.Equal(t, "123456", tr.Header.Get("Merchant-Serial-Number"))
	assert.Equal(t, vipps.DefaultSystemName, tr.Header.Get("Vipps-System-Name"))
	assert.Empty(t, tr.Header.Get("Authorization"))

	reqs := f.requests()
	require.Len(t, reqs, 1)
	assert.Equal(t, "Bearer token-1", reqs[0].Header.Get("Authorization"))
	assert.Empty(t, reqs[0].Header.Get("client_secret"), "the secret goes to the token call only")
}

func TestTokenCachedAcrossConcurrentCalls(t *testing.T) {
	release := make(chan struct{})
	f := newFake(t, okPayment)
	f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		<-release // hold the fetch until every caller has started
		issueToken("3600")(tb, n, w, r)
	})
	c, _ := newClient(t, f)

	const callers = 50
	var started, done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		started.Add(1)
		done.Add(1)
		go func() {
			defer done.Done()
			started.Done()
			_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
			errs <- err
		}()
	}
	started.Wait()
	close(release)
	done.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
	assert.Len(t, f.tokenRequests(), 1, "one fetch serves every caller")
	for i, r := range f.requests() {
		assert.Equal(t, "Bearer token-1", r.Header.Get("Authorization"), "request %d", i)
	}
	assert.Len(t, f.requests(), callers)
}

func TestTokenPerSalesUnit(t *testing.T) {
	f := newFake(t, okPayment)
	c, _ := newClient(t, f)
	other := cred
	other.MSN = "654321"
	for _, cr := range []vipps.Credentials{cred, other, cred, other} {
		_, err := c.EPayment.Get(context.Background(), cr, "ref-12345678")
		require.NoError(t, err)
	}
	toks := f.tokenRequests()
	require.Len(t, toks, 2)
	assert.Equal(t, "123456", toks[0].Header.Get("Merchant-Serial-Number"))
	assert.Equal(t, "654321", toks[1].Header.Get("Merchant-Serial-Number"))
}

func TestTokenRenewedBeforeExpiry(t *testing.T) {
	for _, tt := range []struct {
		name      string
		expiresIn string
		after     time.Duration // time passed before the second call
		fetches   int
	}{
		// An hour's token is renewed when less than 6 minutes (10%) remain.
		{"Fresh", "3600", 50 * time.Minute, 1},
		{"NearExpiry", "3600", 54*time.Minute + time.Second, 2},
		{"Expired", "3600", 2 * time.Hour, 2},
		// A day's token: 10% is 2.4 h.
		{"DayFresh", "86398", 21 * time.Hour, 1},
		{"DayNearExpiry", "86398", 22 * time.Hour, 2},
		// A 5-minute token is renewed at half its life, not at once.
		{"ShortFresh", "300", 149 * time.Second, 1},
		{"ShortHalf", "300", 150 * time.Second, 2},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, okPayment)
			f.onToken(issueToken(tt.expiresIn))
			clk := &clock{t: now}
			c, _ := newClient(t, f, vipps.WithClock(clk.Now))
			_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
			require.NoError(t, err)
			clk.Add(tt.after)
			_, err = c.EPayment.Get(context.Background(), cred, "ref-12345678")
			require.NoError(t, err)
			assert.Len(t, f.tokenRequests(), tt.fetches)
			reqs := f.requests()
			require.Len(t, reqs, 2)
			assert.Equal(t, "Bearer token-"+map[int]string{1: "1", 2: "2"}[tt.fetches], reqs[1].Header.Get("Authorization"))
		})
	}
}

func TestTokenLifetimeFallbacks(t *testing.T) {
	for _, tt := range []struct {
		name  string
		body  string
		after time.Duration
		fresh bool // no second fetch after `after`
	}{
		{"ExpiresOnOnly", `{"access_token":"token-1","expires_on":"` + itoa(now.Unix()+3600) + `"}`, 50 * time.Minute, true},
		{"ExpiresOnOnlyNearExpiry", `{"access_token":"token-1","expires_on":"` + itoa(now.Unix()+3600) + `"}`, 55 * time.Minute, false},
		{"NumbersAsNumbers", `{"access_token":"token-1","expires_in":3600}`, 50 * time.Minute, true},
		{"NoLifetime", `{"access_token":"token-1"}`, 50 * time.Minute, true},
		{"NoLifetimeOneHour", `{"access_token":"token-1"}`, 55 * time.Minute, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, okPayment)
			f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusOK, tt.body)
			})
			clk := &clock{t: now}
			c, _ := newClient(t, f, vipps.WithClock(clk.Now))
			_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
			require.NoError(t, err)
			clk.Add(tt.after)
			_, err = c.EPayment.Get(context.Background(), cred, "ref-12345678")
			require.NoError(t, err)
			want := 2
			if tt.fresh {
				want = 1
			}
			assert.Len(t, f.tokenRequests(), want)
		})
	}
}

func itoa(v int64) string { return strconv.FormatInt(v, 10) }

func TestTokenRefusedOnAPICallIsRenewedOnce(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			if n == 0 {
				problem(w, http.StatusUnauthorized, `{"responseInfo":{"responseCode":401,"responseMessage":"Unauthorized"},"result":{"message":"token expired"}}`)
				return
			}
			okPayment(tb, n, w, r)
		})
		c, sl := newClient(t, f)
		_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
		require.NoError(t, err)
		assert.Len(t, f.tokenRequests(), 2)
		reqs := f.requests()
		require.Len(t, reqs, 2)
		assert.Equal(t, "Bearer token-1", reqs[0].Header.Get("Authorization"))
		assert.Equal(t, "Bearer token-2", reqs[1].Header.Get("Authorization"))
		assert.Empty(t, sl.all(), "a renewal is not a retry: no wait")

		// The new token is cached.
		_, err = c.EPayment.Get(context.Background(), cred, "ref-12345678")
		require.NoError(t, err)
		assert.Len(t, f.tokenRequests(), 2)
	})
	t.Run("ErrTwice", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			problem(w, http.StatusUnauthorized, `{"responseInfo":{"responseCode":401,"responseMessage":"Unauthorized"},"result":{"message":"bad key"}}`)
		})
		c, _ := newClient(t, f)
		_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
		assertCode(t, sms2vipps.EUNAUTHORIZED, err)
		assert.Len(t, f.tokenRequests(), 2)
		assert.Len(t, f.requests(), 2, "one renewal, then the 401 stands")
	})
}

func TestTokenFailedFetchNotCached(t *testing.T) {
	f := newFake(t, okPayment)
	f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			writeJSON(w, http.StatusUnauthorized, `{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret client-secret-XYZ provided.",`+
				`"error_codes":[7000215],"timestamp":"2025-01-02 10:00:00Z","trace_id":"tr-9","correlation_id":"co-9"}`)
			return
		}
		issueToken("3600")(tb, n, w, r)
	})
	c, _ := newClient(t, f)
	_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
	assertCode(t, sms2vipps.EUNAUTHORIZED, err)
	e := vippsError(t, err)
	assert.Equal(t, "/accesstoken/get", e.Path)
	assert.Equal(t, "invalid_client", e.Code)
	assert.Equal(t, "tr-9", e.TraceID)
	assert.NotContains(t, err.Error(), "client-secret-XYZ")
	assert.Empty(t, f.requests(), "no API call without a token")

	_, err = c.EPayment.Get(context.Background(), cred, "ref-12345678")
	require.NoError(t, err)
	assert.Len(t, f.tokenRequests(), 2, "the failure was not cached")
}

func TestTokenRenewalFailureKeepsValidToken(t *testing.T) {
	f := newFake(t, okPayment)
	f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			issueToken("3600")(tb, n, w, r)
			return
		}
		writeJSON(w, http.StatusBadRequest, `{"error":"invalid_request"}`)
	})
	clk := &clock{t: now}
	c, _ := newClient(t, f, vipps.WithClock(clk.Now))
	_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
	require.NoError(t, err)
	clk.Add(58 * time.Minute) // due for renewal, not yet expired
	_, err = c.EPayment.Get(context.Background(), cred, "ref-12345678")
	require.NoError(t, err)
	assert.Len(t, f.tokenRequests(), 2)
	assert.Equal(t, "Bearer token-1", f.requests()[1].Header.Get("Authorization"))

	clk.Add(3 * time.Minute) // expired: the failure now shows
	_, err = c.EPayment.Get(context.Background(), cred, "ref-12345678")
	assertCode(t, sms2vipps.EUNAUTHORIZED, err)
}

func TestTokenRetriedOnServerError(t *testing.T) {
	f := newFake(t, okPayment)
	f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		issueToken("3600")(tb, n, w, r)
	})
	c, sl := newClient(t, f)
	_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
	require.NoError(t, err)
	assert.Len(t, f.tokenRequests(), 2)
	assert.Len(t, sl.all(), 1)
}

func TestTokenFetchOutlivesCancelledCaller(t *testing.T) {
	release, arrived := make(chan struct{}), make(chan struct{}, 1)
	f := newFake(t, okPayment)
	f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		<-release
		issueToken("3600")(tb, n, w, r)
	})
	c, _ := newClient(t, f)

	ctx, cancel := context.WithCancel(context.Background())
	first := make(chan error, 1)
	go func() {
		_, err := c.EPayment.Get(ctx, cred, "ref-12345678")
		first <- err
	}()
	<-arrived // the first caller's fetch is under way
	cancel()
	err := <-first
	require.Error(t, err)
	assert.ErrorIs(t, err, context.Canceled)

	second := make(chan error, 1)
	go func() {
		_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
		second <- err
	}()
	close(release)
	require.NoError(t, <-second)
	assert.Len(t, f.tokenRequests(), 1, "the fetch went on for the next caller")
	assert.Len(t, f.requests(), 1)
}
