package sandbox_test

import (
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const groupPath = "/api/sdk/members/771"

var guid = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// crm sends a rightly signed request to the CRM simulator, path relative
// to CRM_BASE_URL.
func (f *fixture) crm(tb testing.TB, method, path string, body any) (int, http.Header, string) {
	tb.Helper()
	return f.do(tb, f.linkRequest(tb, "/crm", method, path, body, signing{}))
}

func TestCRMHMAC(t *testing.T) {
	f := newFixture(t)
	body := `{"msisdn":"` + msisdn + `"}`
	for _, tt := range []struct {
		name    string
		sign    signing
		want    int
		wantMsg string
	}{
		{name: "OK", want: http.StatusCreated},
		{name: "OKOtherPartner", sign: signing{partner: otherPartnerID, secret: otherSecret}, want: http.StatusNotFound,
			wantMsg: "group not found"}, // signed fine; the group is partner 1042's
		{name: "OKQuoted", sign: signing{header: func(c linkhmac.Credential) string { return c.Header("hmac", true) }}, want: http.StatusOK},
		{name: "ErrMissing", sign: signing{unsigned: true}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrWrongSecret", sign: signing{partner: partnerID, secret: otherSecret}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrUnknownPartner", sign: signing{partner: 999, secret: secret}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrOtherBody", sign: signing{body: []byte(`{"msisdn":"+4711111111"}`)}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrOtherURL", sign: signing{url: f.sb.PublicURL() + "/crm/api/sdk/members/772"}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrPaycoreURL", sign: signing{url: f.sb.PublicURL() + "/paycore" + groupPath}, want: http.StatusUnauthorized, wantMsg: "Invalid HMAC"},
		{name: "ErrStale", sign: signing{timestamp: t0.Add(-linkhmac.Window - time.Second)}, want: http.StatusUnauthorized,
			wantMsg: "Hmac timestamp clock-drift too high"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, raw := f.do(t, f.linkRequest(t, "/crm", "POST", groupPath, body, tt.sign))
			assert.Equal(t, tt.want, status, raw)
			if tt.wantMsg != "" {
				assert.Equal(t, tt.wantMsg, message(t, raw))
			}
		})
	}
	t.Run("ErrNonceReused", func(t *testing.T) {
		s := signing{nonce: "crm-once-only"}
		status, _, _ := f.do(t, f.linkRequest(t, "/crm", "POST", groupPath, body, s))
		require.Equal(t, http.StatusOK, status)
		status, _, raw := f.do(t, f.linkRequest(t, "/crm", "POST", groupPath, body, s))
		assert.Equal(t, http.StatusUnauthorized, status)
		assert.Equal(t, "Invalid HMAC", message(t, raw))
		// Paycore is another server with its own memory of nonces.
		status, _, raw = f.do(t, f.paycoreRequest(t, "GET", listPath, nil, s))
		assert.Equal(t, http.StatusOK, status, raw)
	})
	t.Run("PartnerAddedLater", func(t *testing.T) {
		const late = int64(3033)
		s := signing{partner: late, secret: secret}
		status, _, _ := f.do(t, f.linkRequest(t, "/crm", "POST", "/api/sdk/members/900", body, s))
		require.Equal(t, http.StatusUnauthorized, status)
		f.sb.Paycore.AddPartner(late, secret)
		status, _, raw := f.do(t, f.linkRequest(t, "/crm", "POST", "/api/sdk/members/900", body, s))
		assert.Equal(t, http.StatusCreated, status, "one partner table for both: %s", raw)
	})
}

func TestCRMMembers(t *testing.T) {
	f := newFixture(t)
	status, h, raw := f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
	require.Equal(t, http.StatusCreated, status, raw)
	first := decode[sandbox.Member](t, raw)
	assert.Regexp(t, guid, first.MemberID)
	assert.Equal(t, sandbox.Member{MemberID: first.MemberID, GroupID: 771, Msisdn: msisdn, CreatedDateUtc: t0}, first)
	assert.Equal(t, "/crm/api/sdk/members/771/"+first.MemberID, h.Get("Location"))
	assert.JSONEq(t, `{"memberId":"`+first.MemberID+`","groupId":771,"msisdn":"`+msisdn+`","createdDateUtc":"2025-03-01T12:00:00Z"}`, raw)

	// Adding the number again finds the member: a member is a member.
	f.clock.Advance(time.Hour)
	status, _, raw = f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, first, decode[sandbox.Member](t, raw))

	status, _, raw = f.crm(t, "POST", groupPath, map[string]string{"msisdn": "+4711223344"})
	require.Equal(t, http.StatusCreated, status, raw)
	second := decode[sandbox.Member](t, raw)
	assert.Equal(t, []sandbox.Member{first, second}, f.sb.CRM.Members(771), "oldest first")
	assert.Empty(t, f.sb.CRM.Members(772))

	status, _, raw = f.crm(t, "GET", groupPath+"/"+first.MemberID, nil)
	require.Equal(t, http.StatusOK, status, raw)
	assert.Equal(t, first, decode[sandbox.Member](t, raw))
	status, _, raw = f.crm(t, "GET", groupPath+"/"+second.MemberID+"x", nil)
	assert.Equal(t, http.StatusNotFound, status)
	assert.Equal(t, "member not found", message(t, raw))
	status, _, _ = f.crm(t, "GET", "/api/sdk/members/772/"+first.MemberID, nil)
	assert.Equal(t, http.StatusNotFound, status, "the member is in 771 only")

	// Another partner sees none of partner 1042's group, and has its own.
	other := signing{partner: otherPartnerID, secret: otherSecret}
	status, _, raw = f.do(t, f.linkRequest(t, "/crm", "GET", groupPath+"/"+first.MemberID, nil, other))
	assert.Equal(t, http.StatusNotFound, status, raw)
	status, _, raw = f.do(t, f.linkRequest(t, "/crm", "POST", "/api/sdk/members/772", map[string]string{"msisdn": msisdn}, other))
	assert.Equal(t, http.StatusCreated, status, raw)
	assert.Equal(t, []sandbox.Group{
		{GroupID: 771, PartnerID: partnerID, Members: []sandbox.Member{first, second}},
		{GroupID: 772, PartnerID: otherPartnerID, Members: []sandbox.Member{decode[sandbox.Member](t, raw)}},
	}, f.sb.CRM.Groups())
}

func TestCRMRefusals(t *testing.T) {
	f := newFixture(t)
	for _, tt := range []struct {
		name    string
		method  string
		path    string
		body    any
		want    int
		wantMsg string
	}{
		{"ErrNotJSON", "POST", groupPath, "msisdn=+4799887766", http.StatusBadRequest, "body is not valid JSON"},
		{"ErrNumber", "POST", groupPath, `{"msisdn":4799887766}`, http.StatusBadRequest, "msisdn must be a JSON string"},
		{"ErrNoPlus", "POST", groupPath, `{"msisdn":"4799887766"}`, http.StatusBadRequest, "msisdn must be an E.164 number (+4799999999)"},
		{"ErrEmpty", "POST", groupPath, `{}`, http.StatusBadRequest, "msisdn must be an E.164 number (+4799999999)"},
		{"ErrGroupNotNumber", "POST", "/api/sdk/members/abc", `{"msisdn":"+4799887766"}`, http.StatusNotFound, "group not found"},
		{"ErrGroupZero", "POST", "/api/sdk/members/0", `{"msisdn":"+4799887766"}`, http.StatusNotFound, "group not found"},
		{"ErrNoSuchRoute", "DELETE", groupPath + "/x", nil, http.StatusNotFound, "no such resource: DELETE /crm/api/sdk/members/771/x"},
		{"ErrGroupList", "GET", groupPath, nil, http.StatusNotFound, "no such resource"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			status, _, raw := f.crm(t, tt.method, tt.path, tt.body)
			assert.Equal(t, tt.want, status, raw)
			assert.Contains(t, message(t, raw), tt.wantMsg)
		})
	}
	assert.Empty(t, f.sb.CRM.Groups(), "nothing refused made a group")
}

func TestCRMFaults(t *testing.T) {
	t.Run("Status", func(t *testing.T) {
		f := newFixture(t)
		id := f.sb.Faults.Add(sandbox.Rule{Service: "crm", Method: "POST", Times: 1, Action: sandbox.Status(http.StatusServiceUnavailable)})
		status, _, raw := f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
		assert.Equal(t, http.StatusServiceUnavailable, status)
		assert.Equal(t, "injected fault: Service Unavailable", message(t, raw), "the CRM's own error body")
		assert.Empty(t, f.sb.CRM.Members(771))
		status, _, _ = f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
		assert.Equal(t, http.StatusCreated, status)
		assert.Equal(t, 1, f.sb.Faults.Hits(id))
	})
	t.Run("LostResponse", func(t *testing.T) {
		f := newFixture(t)
		f.sb.Faults.Add(sandbox.Rule{Service: "crm", Path: "/crm/api/sdk/members/*", Times: 1, Action: sandbox.LostResponse()})
		resp, err := f.client.Do(f.linkRequest(t, "/crm", "POST", groupPath, map[string]string{"msisdn": msisdn}, signing{}))
		if err == nil {
			resp.Body.Close()
		}
		require.Error(t, err, "the client gets no answer")
		require.Len(t, f.sb.CRM.Members(771), 1, "but the member was added")
		status, _, _ := f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
		assert.Equal(t, http.StatusOK, status, "so the retry finds it")
	})
	t.Run("OtherServicesUntouched", func(t *testing.T) {
		f := newFixture(t)
		f.sb.Faults.Add(sandbox.Rule{Service: "paycore", Action: sandbox.Status(http.StatusInternalServerError)})
		status, _, _ := f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
		assert.Equal(t, http.StatusCreated, status)
	})
}

func TestCRMControl(t *testing.T) {
	f := newFixture(t)
	status, raw := f.control(t, "GET", "/sandbox/crm", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `{"groups":[]}`, raw)
	status, _, _ = f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
	require.Equal(t, http.StatusCreated, status)

	status, raw = f.control(t, "GET", "/sandbox/crm", nil)
	require.Equal(t, http.StatusOK, status)
	groups := decode[struct{ Groups []sandbox.Group }](t, raw).Groups
	require.Len(t, groups, 1)
	assert.Equal(t, int64(771), groups[0].GroupID)
	assert.Equal(t, msisdn, groups[0].Members[0].Msisdn)

	status, raw = f.control(t, "GET", "/sandbox/crm/771", nil)
	require.Equal(t, http.StatusOK, status)
	assert.Len(t, decode[[]sandbox.Member](t, raw), 1)
	status, raw = f.control(t, "GET", "/sandbox/crm/772", nil)
	require.Equal(t, http.StatusOK, status)
	assert.JSONEq(t, `[]`, raw)

	resp, err := f.client.Get(f.sb.PublicURL() + "/sandbox/")
	require.NoError(t, err)
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(b), "<td>771</td><td>1042</td><td>&#43;4799887766</td>")
	assert.Contains(t, string(b), "/crm</code>")
}

func TestCRMLogsNoSecrets(t *testing.T) {
	var buf lockedBuffer
	f := newFixture(t, func(c *sandbox.Config) {
		c.Logger = slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug}))
	})
	status, _, _ := f.crm(t, "POST", groupPath, map[string]string{"msisdn": msisdn})
	require.Equal(t, http.StatusCreated, status)
	status, _, _ = f.do(t, f.linkRequest(t, "/crm", "POST", groupPath, map[string]string{"msisdn": msisdn},
		signing{partner: partnerID, secret: otherSecret}))
	require.Equal(t, http.StatusUnauthorized, status)
	sub := f.subscribe(t, subscribeBody("sub-1"))
	_, err := f.sb.Paycore.AcceptSubscription(sub.SubscriptionID)
	require.NoError(t, err)

	logs := buf.String()
	require.Contains(t, logs, "crm: member added")
	require.Contains(t, logs, "crm: unauthorized")
	require.Contains(t, logs, "paycore: subscription accepted")
	assert.Contains(t, logs, "+47******66")
	for _, s := range []string{"99887766", secret, otherSecret, "hmac "} {
		assert.NotContains(t, logs, s)
	}
}
