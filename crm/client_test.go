package crm_test

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/crm"
	"github.com/linkmobility/sms2vipps/linkhmac"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const addCall = "POST /api/sdk/members/771"

func TestAuthorizationHeader(t *testing.T) {
	const nonce = "0123456789abcdef0123456789abcdef"
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusCreated, member)
	})
	c, _ := newClient(t, f, crm.WithNonce(func() string { return nonce }))
	require.NoError(t, c.AddToGroup(context.Background(), testPartner(), 771, "+4799999999"))

	reqs := f.requests()
	require.Len(t, reqs, 1)
	signedURL := f.URL + "/api/sdk/members/771"
	assert.Equal(t, signedURL, reqs[0].URL, "no query: api-version is Paycore's")
	assert.Equal(t, `{"msisdn":"+4799999999"}`, string(reqs[0].Body))
	cred, err := linkhmac.NewCredential(linkhmac.Request{PartnerID: 7001, Method: "POST", URL: signedURL,
		Body: reqs[0].Body, Timestamp: now.Unix(), Nonce: nonce}, secret)
	require.NoError(t, err)
	assert.Equal(t, "hmac 7001:"+cred.Signature+":"+nonce+":1735812000", reqs[0].Auth)

	// The body is part of what is signed.
	assert.ErrorIs(t, linkhmac.Verify(reqs[0].Cred, "POST", signedURL, []byte(`{"msisdn":"+4700000000"}`), secret, now), linkhmac.ErrBadSignature)
}

func TestAddMemberAnswers(t *testing.T) {
	for _, tt := range []struct {
		name     string
		status   int
		body     string
		created  bool
		memberID crm.FlexString
	}{
		{"Created", http.StatusCreated, member, true, "3f2a7c1e-5b8d-4e2f-9a61-0c7d2b4e8f10"},
		{"AlreadyMember", http.StatusOK, member, false, "3f2a7c1e-5b8d-4e2f-9a61-0c7d2b4e8f10"},
		{"ConflictIsMember", http.StatusConflict, `{"message":"Member +4799999999 already exists in group 771"}`, false, ""},
		{"ConflictPlainText", http.StatusConflict, `exists`, false, ""},
		{"NumericID", http.StatusCreated, `{"memberId":12345,"groupId":"771"}`, true, "12345"},
		{"NoBody", http.StatusNoContent, ``, false, ""},
		{"UnreadableBody", http.StatusCreated, `<ok/>`, true, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if tt.body == "" {
					w.WriteHeader(tt.status)
					return
				}
				writeJSON(w, tt.status, tt.body)
			})
			c, s := newClient(t, f)
			m, created, err := c.AddMember(context.Background(), acct, 771, "+4799999999")
			require.NoError(t, err)
			assert.Equal(t, tt.created, created)
			assert.Equal(t, tt.memberID, m.MemberID)
			assert.Equal(t, crm.FlexString("771"), m.GroupID)
			assert.Equal(t, sms2vipps.MSISDN("+4799999999"), m.MSISDN)
			assert.Equal(t, []string{addCall}, f.calls())
			assert.Empty(t, s.all())
		})
	}
}

func TestAccountOf(t *testing.T) {
	for _, tt := range []struct {
		name    string
		partner func(*sms2vipps.Partner)
		want    crm.Account
	}{
		{"PaycoreAccount", func(p *sms2vipps.Partner) {}, crm.Account{PartnerID: 7001, Secret: secret}},
		{"OwnCRMAccount", func(p *sms2vipps.Partner) { p.CRM = sms2vipps.LinkAccount{PartnerID: 9001, Secret: otherSecret} },
			crm.Account{PartnerID: 9001, Secret: otherSecret}},
		{"CRMIDPaycoreSecret", func(p *sms2vipps.Partner) { p.CRM.PartnerID = 9001; p.Paycore.Secret = otherSecret },
			crm.Account{PartnerID: 9001, Secret: otherSecret}},
		{"CRMSecretPaycoreID", func(p *sms2vipps.Partner) { p.CRM.Secret = secret; p.Paycore.Secret = "" },
			crm.Account{PartnerID: 7001, Secret: secret}},
		{"PartnerOwnID", func(p *sms2vipps.Partner) { p.Paycore = sms2vipps.PaycoreAccount{Secret: otherSecret} },
			crm.Account{PartnerID: 7, Secret: otherSecret}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := testPartner()
			tt.partner(p)
			assert.Equal(t, tt.want, crm.AccountOf(p))

			// The fake verifies the signature with the secret of the id
			// in the header.
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusCreated, member)
			})
			c, _ := newClient(t, f)
			require.NoError(t, c.AddToGroup(context.Background(), p, 771, "+4799999999"))
			assert.Equal(t, tt.want.PartnerID, f.requests()[0].Cred.PartnerID)
		})
	}
	a := crm.Account{PartnerID: 1, Secret: secret}
	for _, s := range []string{a.String(), a.GoString()} {
		assert.NotContains(t, s, secret)
	}
}

func TestAddRetry(t *testing.T) {
	for _, tt := range []struct {
		name     string
		fail     func(tb testing.TB, w http.ResponseWriter)
		failures int
		code     string // "" when the last attempt succeeds
		requests int
		waits    [][2]time.Duration // allowed range of each wait
	}{
		{"ServerError", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusServiceUnavailable, `{"message":"busy"}`)
		}, 2, "", 3, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond}, {100 * time.Millisecond, 200 * time.Millisecond}}},
		{"RetryAfterSeconds", func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 1, "", 2, [][2]time.Duration{{2 * time.Second, 2 * time.Second}}},
		{"RetryAfterDate", func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", now.Add(3*time.Second).Format(http.TimeFormat))
			w.WriteHeader(http.StatusServiceUnavailable)
		}, 1, "", 2, [][2]time.Duration{{3 * time.Second, 3 * time.Second}}},
		{"LostAnswer", func(tb testing.TB, w http.ResponseWriter) { drop(tb, w, http.StatusCreated) },
			1, "", 2, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond}}},
		{"Exhausted", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusBadGateway) },
			9, sms2vipps.EUPSTREAM, 4, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond},
				{100 * time.Millisecond, 200 * time.Millisecond}, {200 * time.Millisecond, 400 * time.Millisecond}}},
		{"RateLimitedExhausted", func(tb testing.TB, w http.ResponseWriter) { w.WriteHeader(http.StatusTooManyRequests) },
			9, sms2vipps.EUNAVAILABLE, 4, [][2]time.Duration{{50 * time.Millisecond, 100 * time.Millisecond},
				{100 * time.Millisecond, 200 * time.Millisecond}, {200 * time.Millisecond, 400 * time.Millisecond}}},
		{"RetryAfterBeyondCap", func(tb testing.TB, w http.ResponseWriter) {
			w.Header().Set("Retry-After", "60")
			w.WriteHeader(http.StatusTooManyRequests)
		}, 9, sms2vipps.EUNAVAILABLE, 1, nil},
		{"BadRequestIsFinal", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusBadRequest, `{"message":"invalid msisdn"}`)
		}, 9, sms2vipps.EINVALID, 1, nil},
		{"UnknownGroupIsFinal", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusNotFound, `{"message":"group not found"}`)
		}, 9, sms2vipps.EINVALID, 1, nil},
		{"UnauthorizedIsFinal", func(tb testing.TB, w http.ResponseWriter) {
			writeJSON(w, http.StatusUnauthorized, `{"message":"Invalid HMAC"}`)
		}, 9, sms2vipps.EUNAUTHORIZED, 1, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if n < tt.failures {
					tt.fail(tb, w)
					return
				}
				writeJSON(w, http.StatusCreated, member)
			})
			c, s := newClient(t, f)
			err := c.AddToGroup(context.Background(), testPartner(), 771, "+4799999999")
			if tt.code == "" {
				require.NoError(t, err)
			} else {
				assertCode(t, tt.code, err)
			}
			reqs := f.requests()
			require.Len(t, reqs, tt.requests)
			nonces := map[string]bool{}
			for _, r := range reqs {
				assert.Equal(t, addCall, r.Method+" "+r.Path, "the add itself is repeated")
				assert.Equal(t, `{"msisdn":"+4799999999"}`, string(r.Body))
				nonces[r.Cred.Nonce] = true
			}
			assert.Len(t, nonces, len(reqs), "every attempt needs a fresh nonce")
			waits := s.all()
			require.Len(t, waits, len(tt.waits))
			for i, w := range waits {
				assert.GreaterOrEqual(t, w, tt.waits[i][0], "wait %d", i)
				assert.LessOrEqual(t, w, tt.waits[i][1], "wait %d", i)
			}
		})
	}
}

func TestErrorMapping(t *testing.T) {
	for _, tt := range []struct {
		name    string
		status  int
		body    string
		code    string
		message string // in the app error's user-safe message
	}{
		{"Unauthorized", 401, `{"message":"Invalid HMAC"}`, sms2vipps.EUNAUTHORIZED, "Invalid HMAC"},
		{"ClockDrift", 401, `{"Message":"Hmac timestamp clock-drift too high"}`, sms2vipps.EUNAUTHORIZED, "clock-drift"},
		{"Forbidden", 403, `not your group`, sms2vipps.EINVALID, "not your group"},
		{"PhoneMasked", 400, `{"message":"4799999999 is not a valid msisdn"}`, sms2vipps.EINVALID, "+47******99 is not a valid msisdn"},
		{"ServerError", 500, `<html>oops</html>`, sms2vipps.EUPSTREAM, "crm failed (500)"},
		{"Teapot", 418, ``, sms2vipps.EINVALID, "crm refused the request"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				if strings.HasPrefix(tt.body, "{") {
					writeJSON(w, tt.status, tt.body)
					return
				}
				if strings.HasPrefix(tt.body, "<") {
					w.Header().Set("Content-Type", "text/html")
				}
				w.WriteHeader(tt.status)
				_, _ = w.Write([]byte(tt.body))
			})
			c, _ := newClient(t, f, crm.WithRetry(0, 0, 0))
			err := c.AddToGroup(context.Background(), testPartner(), 771, "+4799999999")
			assertCode(t, tt.code, err)
			assert.Contains(t, sms2vipps.ErrorMessage(err), tt.message)
			var ce *crm.Error
			require.True(t, errors.As(err, &ce), "err %T is no *crm.Error", err)
			assert.Equal(t, tt.status, ce.StatusCode)
			assert.Equal(t, "/api/sdk/members/771", ce.Path)
			assert.NotContains(t, err.Error(), secret)
			assert.NotContains(t, err.Error(), "99999999")
			assert.NotContains(t, err.Error(), "oops", "HTML bodies are not quoted")
		})
	}
}

func TestGetMember(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusOK, member)
		})
		c, _ := newClient(t, f)
		m, err := c.GetMember(context.Background(), acct, 771, "3f2a7c1e-5b8d-4e2f-9a61-0c7d2b4e8f10")
		require.NoError(t, err)
		assert.Equal(t, &crm.Member{MemberID: "3f2a7c1e-5b8d-4e2f-9a61-0c7d2b4e8f10", GroupID: "771", MSISDN: "+4799999999"}, m)
		assert.Equal(t, []string{"GET /api/sdk/members/771/3f2a7c1e-5b8d-4e2f-9a61-0c7d2b4e8f10"}, f.calls())
		assert.Empty(t, f.requests()[0].Body)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, `{"message":"member not found"}`)
		})
		c, _ := newClient(t, f)
		_, err := c.GetMember(context.Background(), acct, 771, "a/b")
		assertCode(t, sms2vipps.ENOTFOUND, err)
		assert.Equal(t, []string{"GET /api/sdk/members/771/a/b"}, f.calls(), "the id is one escaped segment on the wire")
		assert.Equal(t, f.URL+"/api/sdk/members/771/a%2Fb", f.requests()[0].URL)
	})
	t.Run("ErrRetriedThenOK", func(t *testing.T) {
		f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
			if n == 0 {
				w.WriteHeader(http.StatusBadGateway)
				return
			}
			writeJSON(w, http.StatusOK, member)
		})
		c, s := newClient(t, f)
		_, err := c.GetMember(context.Background(), acct, 771, "m1")
		require.NoError(t, err)
		assert.Len(t, f.calls(), 2)
		assert.Len(t, s.all(), 1)
	})
}

func TestBaseURL(t *testing.T) {
	for _, suffix := range []string{"", "/", "/api/sdk", "/api/sdk/"} {
		t.Run("Suffix"+suffix, func(t *testing.T) {
			f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusCreated, member)
			})
			c := crm.NewClient(f.URL+suffix, crm.WithClock(func() time.Time { return now }))
			require.NoError(t, c.AddToGroup(context.Background(), testPartner(), 771, "+4799999999"))
			assert.Equal(t, []string{addCall}, f.calls())
		})
	}
	for _, bad := range []string{"", "crm-api.linkmobility.com", "https://h/crm?x=1"} {
		c := crm.NewClient(bad)
		assertCode(t, sms2vipps.EINTERNAL, c.AddToGroup(context.Background(), testPartner(), 771, "+4799999999"))
	}
}

func TestRefusedBeforeCalling(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {})
	c, _ := newClient(t, f)
	for _, tt := range []struct {
		name    string
		partner func(*sms2vipps.Partner)
		group   int64
		msisdn  sms2vipps.MSISDN
	}{
		{"NoGroup", nil, 0, "+4799999999"},
		{"NegativeGroup", nil, -1, "+4799999999"},
		{"NotE164", nil, 771, "4799999999"},
		{"Empty", nil, 771, ""},
		{"NoSecret", func(p *sms2vipps.Partner) { p.Paycore.Secret = "" }, 771, "+4799999999"},
		{"BadSecret", func(p *sms2vipps.Partner) { p.CRM.Secret = "not base64!" }, 771, "+4799999999"},
		{"NoPartnerID", func(p *sms2vipps.Partner) { p.ID, p.Paycore.PartnerID = 0, 0 }, 771, "+4799999999"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			p := testPartner()
			if tt.partner != nil {
				tt.partner(p)
			}
			err := c.AddToGroup(context.Background(), p, tt.group, tt.msisdn)
			assertCode(t, sms2vipps.EINVALID, err)
			assert.NotContains(t, err.Error(), "not base64!")
			assert.NotContains(t, err.Error(), "99999999")
		})
	}
	_, err := c.GetMember(context.Background(), acct, 771, "")
	assertCode(t, sms2vipps.EINVALID, err)
	assert.Empty(t, f.requests())
}

func TestLogsNoSecrets(t *testing.T) {
	f := newFake(t, func(tb testing.TB, n int, w http.ResponseWriter, r *http.Request) {
		if n == 0 {
			writeJSON(w, http.StatusServiceUnavailable, `{"message":"+4799999999 could not be stored"}`)
			return
		}
		writeJSON(w, http.StatusCreated, member)
	})
	var log bytes.Buffer
	c, _ := newClient(t, f, crm.WithLogger(slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug}))))
	require.NoError(t, c.AddToGroup(context.Background(), testPartner(), 771, "+4799999999"))
	require.Contains(t, log.String(), "crm call")
	assert.Contains(t, log.String(), "/api/sdk/members/771")
	for _, s := range []string{"99999999", secret, "hmac "} {
		assert.NotContains(t, log.String(), s)
	}
}
