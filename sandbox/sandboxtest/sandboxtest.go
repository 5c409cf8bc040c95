// Package sandboxtest starts a sandbox for tests. It is kept apart from
// package sandbox so that the sandbox itself does not import testing.
package sandboxtest

import (
	"net/http/httptest"
	"testing"

	"github.com/linkmobility/sms2vipps/sandbox"
)

// Start starts a sandbox configured by cfg on a local HTTP server, sets its
// public URL to the server's, and closes both when the test ends.
func Start(tb testing.TB, cfg sandbox.Config) *sandbox.Sandbox {
	tb.Helper()
	sb := sandbox.New(cfg)
	srv := httptest.NewServer(sb.Handler())
	sb.SetPublicURL(srv.URL)
	// Cleanups run last-in first-out: the sandbox lets go of hanging
	// requests first, so that the server's Close, which waits for them,
	// returns.
	tb.Cleanup(srv.Close)
	tb.Cleanup(sb.Close)
	return sb
}
