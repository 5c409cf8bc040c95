package vippsspec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator is an http.RoundTripper that checks every request a client
// sends and every response the server returns against the specs. Put it in
// the client's http.Client, in front of the real transport.
type Validator struct {
	Specs *Specs
	// Base is the client's base URL (e.g. the sandbox's ".../vipps"); paths
	// below it are matched against the specs' paths.
	Base string
	// Next does the real round trip (http.DefaultTransport when nil).
	Next http.RoundTripper
	// Unspecified lists "METHOD /path" routes that the spec files lack on
	// purpose (newer live API); they pass unvalidated and are counted.
	Unspecified map[string]string

	mu        sync.Mutex
	failures  []string
	validated map[string]int
	skipped   map[string]int
}

// RoundTrip validates req, sends it, and validates the response.
func (v *Validator) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := readBody(req)
	if err != nil {
		return nil, err
	}
	route, params, op, err := v.find(req)
	if err != nil {
		v.fail("%s %s: no such operation in the specs: %v", req.Method, req.URL.Path, err)
	}
	var input *openapi3filter.RequestValidationInput
	if route != nil {
		input = &openapi3filter.RequestValidationInput{
			Request: cloneWithBody(req, body, route), PathParams: params, Route: route,
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true},
		}
		if err := openapi3filter.ValidateRequest(req.Context(), input); err != nil {
			v.fail("request %s: %v", op, err)
		}
	}
	next := v.Next
	if next == nil {
		next = http.DefaultTransport
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	resp, err := next.RoundTrip(req)
	if err != nil || route == nil {
		return resp, err
	}
	rbody, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	resp.Body = io.NopCloser(bytes.NewReader(rbody))
	if err != nil {
		return resp, nil
	}
	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: resp.StatusCode, Header: resp.Header,
		Body: io.NopCloser(bytes.NewReader(rbody)), Options: &openapi3filter.Options{MultiError: true},
	}); err != nil {
		v.fail("response %d to %s: %v", resp.StatusCode, op, err)
	}
	v.mu.Lock()
	if v.validated == nil {
		v.validated = map[string]int{}
	}
	v.validated[op]++
	v.mu.Unlock()
	return resp, nil
}

// find routes req to an operation of one of the specs; the server part of
// the URL is mapped to the production host the specs name.
func (v *Validator) find(req *http.Request) (*routers.Route, map[string]string, string, error) {
	rel := strings.TrimPrefix(req.URL.String(), strings.TrimRight(v.Base, "/"))
	u, err := url.Parse("https://api.vipps.no" + rel)
	if err != nil {
		return nil, nil, "", err
	}
	key := req.Method + " " + u.Path
	for pattern := range v.Unspecified {
		if matchPath(pattern, key) {
			v.mu.Lock()
			if v.skipped == nil {
				v.skipped = map[string]int{}
			}
			v.skipped[pattern]++
			v.mu.Unlock()
			return nil, nil, key, nil
		}
	}
	probe := req.Clone(req.Context())
	probe.URL = u
	probe.Host = u.Host
	var lastErr error
	for _, s := range v.Specs.List {
		route, params, err := s.Router.FindRoute(probe)
		if err == nil {
			return route, params, req.Method + " " + route.Path, nil
		}
		lastErr = err
	}
	return nil, nil, key, lastErr
}

// matchPath matches "METHOD /a/*/c" against "METHOD /a/b/c".
func matchPath(pattern, key string) bool {
	p, k := strings.Split(pattern, "/"), strings.Split(key, "/")
	if len(p) != len(k) {
		return false
	}
	for i := range p {
		if p[i] != "*" && p[i] != k[i] {
			return false
		}
	}
	return true
}

func (v *Validator) fail(format string, args ...any) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.failures = append(v.failures, fmt.Sprintf(format, args...))
}

// Failures returns every mismatch seen so far.
func (v *Validator) Failures() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.failures...)
}

// Validated returns the operations validated so far, sorted.
func (v *Validator) Validated() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for op := range v.validated {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

// Skipped returns the unspecified routes passed unvalidated, sorted.
func (v *Validator) Skipped() []string {
	v.mu.Lock()
	defer v.mu.Unlock()
	var out []string
	for op := range v.skipped {
		out = append(out, op)
	}
	sort.Strings(out)
	return out
}

func readBody(req *http.Request) ([]byte, error) {
	if req.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(req.Body)
	req.Body.Close()
	return b, err
}

// cloneWithBody gives the validator its own copy of the request, addressed
// as the spec's server would be, so routing and the real send do not share
// a body reader.
func cloneWithBody(req *http.Request, body []byte, route *routers.Route) *http.Request {
	c := req.Clone(req.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	_ = route
	return c
}
