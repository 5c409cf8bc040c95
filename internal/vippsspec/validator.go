package vippsspec

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"

	"github.com/getkin/kin-openapi/openapi3"
	"github.com/getkin/kin-openapi/openapi3filter"
	"github.com/getkin/kin-openapi/routers"
)

// Validator is an http.RoundTripper that checks every request a client
// sends and every response the server returns against the specs. Put it in
// the client's http.Client, in front of the real transport.
//
// It is strict where the files allow it to be: a request body the
// operation does not declare, and a response status it declares neither
// by itself nor as default, are failures, so that nothing passes
// unvalidated without a named patch or an Unspecified route.
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
			Options: &openapi3filter.Options{AuthenticationFunc: openapi3filter.NoopAuthenticationFunc, MultiError: true,
				RejectWhenRequestBodyNotSpecified: true, SchemaValidationOptions: formats},
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
	header := resp.Header.Clone()
	if ct := header.Get("Content-Type"); ct != "" {
		header.Set("Content-Type", contentTypeAsDeclared(declared(route, resp.StatusCode), ct))
	}
	if err := openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
		RequestValidationInput: input, Status: resp.StatusCode, Header: header,
		Body:    io.NopCloser(bytes.NewReader(rbody)),
		Options: &openapi3filter.Options{MultiError: true, IncludeResponseStatus: true, SchemaValidationOptions: formats},
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
//
// Header names are made canonical, as a server receives them: HTTP header
// names are case-insensitive, and the access token's client_id and
// client_secret, set in lower case as the file spells them, would
// otherwise be missed by a lookup with http.Header.Get.
func cloneWithBody(req *http.Request, body []byte, route *routers.Route) *http.Request {
	c := req.Clone(req.Context())
	c.Body = io.NopCloser(bytes.NewReader(body))
	c.Header = make(http.Header, len(req.Header))
	for k, vs := range req.Header {
		ck := http.CanonicalHeaderKey(k)
		c.Header[ck] = append(c.Header[ck], vs...)
	}
	_ = route
	return c
}

// formats checks the string formats the files use beyond the ones
// kin-openapi checks by default (byte, date, date-time): ids (uuid, and
// guid, the access token file's name for the client_id's) and URLs (uri).
var formats = []openapi3.SchemaValidationOption{
	openapi3.WithStringFormatValidator("uuid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
	openapi3.WithStringFormatValidator("guid", openapi3.NewRegexpFormatValidator(openapi3.FormatOfStringForUUIDOfRFC9562)),
	openapi3.WithStringFormatValidator("uri", openapi3.NewCallbackValidator(func(s string) error {
		if u, err := url.Parse(s); err != nil || u.Scheme == "" {
			return fmt.Errorf("%q is not an absolute URI", s)
		}
		return nil
	})),
}

// declared returns the media types the operation declares for status (or
// as default), if any.
func declared(route *routers.Route, status int) openapi3.Content {
	if route == nil || route.Operation == nil || route.Operation.Responses == nil {
		return nil
	}
	r := route.Operation.Responses.Status(status)
	if r == nil {
		r = route.Operation.Responses.Default()
	}
	if r == nil || r.Value == nil {
		return nil
	}
	return r.Value.Content
}

// contentTypeAsDeclared returns got spelled as the declared media type it
// is equal to, or got. Type, subtype and parameter names are
// case-insensitive, so is the charset value, and the whitespace around ';'
// is optional (RFC 9110 §8.3.1, §8.3.2), so "application/json;
// charset=utf-8" is the file's "application/json;charset=UTF-8"; the
// validator compares them as text.
func contentTypeAsDeclared(content openapi3.Content, got string) string {
	gt, gp, err := mime.ParseMediaType(got)
	if err != nil {
		return got
	}
	for key := range content {
		dt, dp, err := mime.ParseMediaType(key)
		if err != nil || dt != gt || len(dp) != len(gp) {
			continue
		}
		same := true
		for name, v := range dp {
			g, ok := gp[name]
			same = same && ok && (g == v || (name == "charset" && strings.EqualFold(g, v)))
		}
		if same {
			return key
		}
	}
	return got
}
