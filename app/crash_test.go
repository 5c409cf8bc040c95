package app_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/paycore"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// crashAfterCapture is the network under a process that dies right after
// Paycore accepted a capture: it hands the answer back, then ends the
// invocation's context, so nothing after the call can be recorded.
type crashAfterCapture struct {
	puts   atomic.Int32
	crash  atomic.Pointer[context.CancelFunc]
	next   http.RoundTripper
	routed string
}

func (c *crashAfterCapture) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if r.Method != http.MethodPut || !strings.Contains(r.URL.Path, c.routed) {
		return resp, err
	}
	c.puts.Add(1)
	if cancel := c.crash.Swap(nil); cancel != nil && err == nil {
		body, _ := io.ReadAll(resp.Body)
		_ = resp.Body.Close()
		resp.Body = io.NopCloser(bytes.NewReader(body))
		(*cancel)()
	}
	return resp, err
}

// TestCaptureNotRepeatedAfterACrash: Paycore has taken the capture, but
// the process died before it recorded that. The next try must read the
// transaction back, not send a second capture (real Paycore's answer to a
// repeated partial capture is not documented).
func TestCaptureNotRepeatedAfterACrash(t *testing.T) {
	f := newFixture(t)
	net := &crashAfterCapture{next: http.DefaultTransport, routed: "/capture"}
	f.app.Providers[sms2vipps.BackendPaycore] = &paycore.Provider{
		Client: paycore.NewClient(f.sb.PublicURL()+"/paycore", paycore.WithClock(f.clock.Now),
			paycore.WithHTTPClient(&http.Client{Transport: net})),
		Now: f.clock.Now, Logger: f.app.Log}

	const me = "+4790000301"
	res := f.send(me, "CHARGE")
	f.approve(res.SessionID)
	f.clock.Advance(90 * time.Minute)

	ctx, cancel := context.WithCancel(context.Background())
	net.crash.Store(&cancel)
	_, _ = f.app.HandleMO(ctx, sms2vipps.InboundMessage{MessageID: "end-crash", From: me, ShortNumber: "27222",
		Text: "ENDCHARGE", ReceivedAt: f.clock.Now()})
	require.Equal(t, int32(1), net.puts.Load(), "the capture went out")
	require.Len(t, f.sb.Paycore.Captures(), 1, "and Paycore took it")
	require.Zero(t, f.session(res.SessionID).CapturedAmount, "but the process died before recording it")

	f.clock.Advance(time.Hour) // past any lease the dead process held
	// Paycore cannot be read for a while: the capture stays unclear and
	// is not sent blind.
	unreadable := f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Method: http.MethodGet, Path: "/api/transactions/",
		Action: sandbox.Status(http.StatusServiceUnavailable)})
	f.reconcile()
	require.Equal(t, int32(1), net.puts.Load(), "no capture while the read-back fails")
	require.Zero(t, f.session(res.SessionID).CapturedAmount)
	f.sb.Faults.Remove(unreadable)
	f.clock.Advance(time.Hour)
	f.reconcile()
	s := f.session(res.SessionID)
	assert.Equal(t, sms2vipps.OutcomeCaptured, s.Outcome)
	assert.Equal(t, sms2vipps.Amount(200), s.CapturedAmount)
	assert.Equal(t, int32(1), net.puts.Load(), "settled by reading back, not by a second capture")
	assert.Len(t, f.sb.Paycore.Captures(), 1)
}
