package vipps_test

import (
	"context"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTokenRenewedOnceUnderConcurrency(t *testing.T) {
	const callers = 32

	// The clock counts its reads once armed. Every caller reads it once
	// when it checks the cached token (under the cache lock, where it also
	// joins the fetch under way), and the renewal reads it once before its
	// request. The renewal is held until callers+1 reads have happened, so
	// every caller has decided before the new token is published: none can
	// come late and merely find the fresh token. A cache that let each
	// caller fetch would then show callers+1 fetches, not 2.
	clk := &clock{t: now}
	var (
		mu     sync.Mutex
		armed  bool
		reads  int
		enough = make(chan struct{})
	)
	nowFn := func() time.Time {
		mu.Lock()
		if armed {
			reads++
			if reads == callers+1 {
				close(enough)
			}
		}
		mu.Unlock()
		return clk.Now()
	}

	f := newFake(t, okPayment)
	f.onToken(func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		if n > 0 {
			select {
			case <-enough:
			case <-time.After(10 * time.Second): // a safety net, not a wait
				mu.Lock()
				tb.Errorf("renewal held in vain: only %d of %d clock reads", reads, callers+1)
				mu.Unlock()
			}
		}
		issueToken("3600")(tb, n, w, r)
	})
	c, _ := newClient(t, f, vipps.WithClock(nowFn))

	_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
	require.NoError(t, err)
	require.Len(t, f.tokenRequests(), 1)

	// An hour's token is renewed when less than 6 minutes remain; it is
	// still valid, so only a renewal can change what the callers send.
	mu.Lock()
	clk.Add(54*time.Minute + time.Second)
	armed = true
	mu.Unlock()

	start := make(chan struct{})
	var done sync.WaitGroup
	errs := make(chan error, callers)
	for range callers {
		done.Add(1)
		go func() {
			defer done.Done()
			<-start
			_, err := c.EPayment.Get(context.Background(), cred, "ref-12345678")
			errs <- err
		}()
	}
	close(start)
	done.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}

	assert.Len(t, f.tokenRequests(), 2, "one renewal serves every caller")
	reqs := f.requests()
	require.Len(t, reqs, callers+1)
	assert.Equal(t, "Bearer token-1", reqs[0].Header.Get("Authorization"))
	for i, r := range reqs[1:] {
		assert.Equal(t, "Bearer token-2", r.Header.Get("Authorization"), "request %d", i+1)
	}
}
