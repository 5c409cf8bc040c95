package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
	"github.com/getkin/kin-openapi/routers/gorillamux"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/stretchr/testify/require"
)

// partnerAPI signs requests the way a partner does and checks every
// request and answer against docs/partner-api.openapi.yaml, the published
// contract.
type partnerAPI struct {
	h      *harness
	router routers.Router
}

var (
	contractOnce sync.Once
	contract     routers.Router
	contractErr  error
)

func newPartnerAPI(h *harness) *partnerAPI {
	h.t.Helper()
	contractOnce.Do(func() {
		doc, err := openapi3.NewLoader().LoadFromFile("../docs/partner-api.openapi.yaml")
		if err != nil {
			contractErr = err
			return
		}
		if contractErr = doc.Validate(context.Background()); contractErr != nil {
			return
		}
		// Route on paths only: the published server is the Azure host.
		doc.Servers = openapi3.Servers{{URL: "/api"}}
		contract, contractErr = gorillamux.NewRouter(doc)
	})
	require.NoError(h.t, contractErr, "docs/partner-api.openapi.yaml")
	return &partnerAPI{h: h, router: contract}
}

// signed describes how a request is signed; tests bend it to misbehave.
type signed struct {
	partner int64
	secret  string
	scheme  string
	quoted  bool
	at      time.Time
	nonce   string
	header  string // used as is when set (a replay)
	none    bool   // no Authorization header at all
}

// call sends method path with body, signed over the public URL, and
// returns the status, the body and the Authorization header used.
func (p *partnerAPI) call(method, path, body string, s signed) (int, string, string) {
	p.h.t.Helper()
	if s.partner == 0 {
		s.partner = 2001
	}
	if s.secret == "" {
		s.secret = testSecret
	}
	if s.scheme == "" {
		s.scheme = "hmac"
	}
	if s.at.IsZero() {
		s.at = time.Now()
	}
	if s.nonce == "" {
		b := make([]byte, 16)
		_, _ = rand.Read(b)
		s.nonce = hex.EncodeToString(b)
	}
	auth := s.header
	if auth == "" && !s.none {
		c, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: s.partner, Method: method, URL: p.h.public + path,
			Body: []byte(body), Timestamp: s.at.Unix(), Nonce: s.nonce}, s.secret)
		require.NoError(p.h.t, err)
		auth = c.Header(s.scheme, s.quoted)
	}
	req, err := http.NewRequest(method, p.h.url+path, strings.NewReader(body))
	require.NoError(p.h.t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	// The contract is checked on a copy addressed as the partner sees it.
	probe := req.Clone(context.Background())
	probe.Body = io.NopCloser(strings.NewReader(body))
	route, params, err := p.router.FindRoute(probe)
	require.NoError(p.h.t, err, "%s %s is not in the contract", method, path)
	in := &openapi3filter.RequestValidationInput{Request: probe, PathParams: params, Route: route,
		Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc}}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(p.h.t, err)
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: in, Status: resp.StatusCode, Header: resp.Header, Body: io.NopCloser(bytes.NewReader(raw)),
		Options: &openapi3filter.Options{IncludeResponseStatus: true}})
	require.NoError(p.h.t, err, "the answer %d %s breaks the published contract", resp.StatusCode, raw)
	if resp.StatusCode < 400 && (method == http.MethodPost || method == http.MethodPatch) {
		// Well-formed requests must match the contract too.
		require.NoError(p.h.t, openapi3filter.ValidateRequest(context.Background(), in), "request %s", body)
	}
	return resp.StatusCode, string(raw), auth
}
