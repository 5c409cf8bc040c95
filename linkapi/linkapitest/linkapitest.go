// Package linkapitest is a scripted server for testing clients of LINK's
// HMAC-signed APIs. It checks every request's signature as LINK does, with
// the secret of the partner that signed, records what it received, and
// answers as the test's Handler says: the tests of linkapi, paycore and crm
// share it instead of each keeping a copy.
package linkapitest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/linkhmac"
)

// Config sets up a Server.
type Config struct {
	// Prefix mounts the server under a path ("/paycore"), so that a client
	// that drops its base URL's path (an absolute path) is caught.
	Prefix string
	// Root is where every request's path must start below Prefix
	// ("/api/"); a request elsewhere fails the test.
	Root string
	// Secrets holds the base64 secret of each partner id; a request is
	// verified with the secret of the id it was signed for, so one signed
	// for another partner fails.
	Secrets map[int64]string
	// Now is the server's clock for LINK's timestamp window.
	Now time.Time
}

// Request is what the server received.
type Request struct {
	Method string
	Path   string // without Prefix
	Query  string // raw, as sent
	URL    string // absolute, as the client signed it
	Body   []byte
	Auth   string              // the Authorization header
	Cred   linkhmac.Credential // Auth parsed; zero when it did not parse
}

// Handler answers the n-th request (from 0) of a test. It runs on the
// server's goroutine, so it reports with tb.Errorf, never tb.FailNow.
type Handler func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request)

// Server is a scripted LINK API.
type Server struct {
	// URL is the base URL to give the client: the server's, with Prefix.
	URL  string
	mu   sync.Mutex
	reqs []Request
}

// headerForm is the header LINK's own clients send: unquoted, with the
// client's default 32-hex nonce (tests that set a nonce choose one alike).
var headerForm = regexp.MustCompile(`^hmac \d+:[A-Za-z0-9+/=]{10}:[0-9a-f]{32}:\d+$`)

// NewServer starts a server that checks each request and then hands it to
// h. A request outside Prefix+Root, or one whose signature does not verify,
// fails the test and is answered 404 or 401 without calling h. The server
// closes when the test ends.
func NewServer(tb testing.TB, cfg Config, h Handler) *Server {
	tb.Helper()
	s := &Server{}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		rq := Request{Method: r.Method, Path: strings.TrimPrefix(r.URL.Path, cfg.Prefix), Query: r.URL.RawQuery,
			URL: "http://" + r.Host + r.RequestURI, Body: body, Auth: r.Header.Get("Authorization")}
		_, cred, err := linkhmac.Parse(rq.Auth)
		rq.Cred = cred
		s.mu.Lock()
		n := len(s.reqs)
		s.reqs = append(s.reqs, rq)
		s.mu.Unlock()
		if !strings.HasPrefix(r.URL.Path, cfg.Prefix+cfg.Root) {
			tb.Errorf("request %d outside %s%s: %s", n, cfg.Prefix, cfg.Root, r.URL.Path)
			http.NotFound(w, r)
			return
		}
		if !headerForm.MatchString(rq.Auth) {
			tb.Errorf("request %d: Authorization %q is not of the form %s", n, rq.Auth, headerForm)
		}
		if err == nil {
			secret, ok := cfg.Secrets[cred.PartnerID]
			if !ok {
				err = fmt.Errorf("no secret for partner %d", cred.PartnerID)
			} else {
				err = linkhmac.Verify(cred, r.Method, rq.URL, body, secret, cfg.Now)
			}
		}
		if err != nil {
			tb.Errorf("request %d: %v", n, err)
			WriteJSON(w, http.StatusUnauthorized, map[string]string{"message": err.Error()})
			return
		}
		h(tb, n, w, r)
	}))
	tb.Cleanup(ts.Close)
	s.URL = ts.URL + cfg.Prefix
	return s
}

// Requests returns what the server received so far, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Calls lists the requests as "METHOD path?query", or "METHOD path" when
// there was no query, for compact asserts.
func (s *Server) Calls() []string {
	var out []string
	for _, r := range s.Requests() {
		c := r.Method + " " + r.Path
		if r.Query != "" {
			c += "?" + r.Query
		}
		out = append(out, c)
	}
	return out
}

// Sleeps records the waits a client asks for instead of sleeping; give its
// Sleep to the client's WithSleep.
type Sleeps struct {
	mu sync.Mutex
	d  []time.Duration
}

// Sleep records d and returns at once, with ctx.Err() as a real sleep
// would when ctx has ended.
func (s *Sleeps) Sleep(ctx context.Context, d time.Duration) error {
	s.mu.Lock()
	s.d = append(s.d, d)
	s.mu.Unlock()
	return ctx.Err()
}

// All returns the waits recorded so far, in order.
func (s *Sleeps) All() []time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]time.Duration(nil), s.d...)
}

// WriteJSON answers status with v as JSON; a string v is sent as it is.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if s, ok := v.(string); ok {
		_, _ = io.WriteString(w, s)
		return
	}
	_ = json.NewEncoder(w).Encode(v)
}

// Drop answers with a status line, the raw header lines in header (each
// ending in "\r\n"), and half a body, then closes the connection: the
// call's outcome is unknown to the client.
func Drop(tb testing.TB, w http.ResponseWriter, status int, header string) {
	tb.Helper()
	conn, buf, err := w.(http.Hijacker).Hijack()
	if err != nil {
		tb.Errorf("hijack: %v", err) // handler goroutine: no FailNow here
		return
	}
	defer conn.Close()
	_, _ = fmt.Fprintf(buf, "HTTP/1.1 %d %s\r\n%sContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"partial", status, http.StatusText(status), header)
	_ = buf.Flush()
}
