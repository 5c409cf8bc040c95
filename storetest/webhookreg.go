package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sealed is a sealed secret as the app stores it: bytes, not text.
var sealed = []byte("\x00sealed\xff\xfe\x80secret ")

// fullRegistration returns a registration with every field set, so that a
// round trip shows every column.
func fullRegistration(id string) *sms2vipps.WebhookRegistration {
	return &sms2vipps.WebhookRegistration{
		ID: id, PartnerID: partnerA, MSN: "123456", URL: "https://sms2vipps.example/api/vipps/webhook/" + id,
		Events:       []string{"epayments.payment.authorized.v1", "epayments.payment.captured.v1", "epayments.payment.aborted.v1"},
		SealedSecret: sealed, CreatedAt: t0,
	}
}

func mustPut(tb testing.TB, s sms2vipps.Store, r *sms2vipps.WebhookRegistration) {
	tb.Helper()
	require.NoError(tb, s.PutWebhookRegistration(tb.Context(), r))
}

func mustRegistrations(tb testing.TB, s sms2vipps.Store, partnerID int64) []*sms2vipps.WebhookRegistration {
	tb.Helper()
	rs, err := s.WebhookRegistrations(tb.Context(), partnerID)
	require.NoError(tb, err)
	return rs
}

func registrationIDs(rs []*sms2vipps.WebhookRegistration) []string {
	return pluck(rs, func(r *sms2vipps.WebhookRegistration) string { return r.ID })
}

func testPutWebhookRegistration(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		want := fullRegistration("r1")
		mustPut(t, s, want)
		got := mustRegistrations(t, s, partnerA)
		require.Len(t, got, 1)
		assert.Equal(t, want, got[0])
		assert.Equal(t, sealed, got[0].SealedSecret)
		assertAllSet(t, got[0])
	})
	t.Run("OKReplace", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, fullRegistration("r1"))
		mustPut(t, s, fullRegistration("r2"))
		want := &sms2vipps.WebhookRegistration{
			ID: "r1", PartnerID: partnerB, MSN: "654321", URL: "https://other.example/hook",
			Events: []string{"recurring.charge-captured.v1"}, SealedSecret: []byte("resealed"), CreatedAt: t0.Add(time.Hour),
		}
		mustPut(t, s, want)
		assert.Equal(t, []string{"r2"}, registrationIDs(mustRegistrations(t, s, partnerA)))
		assert.Equal(t, []*sms2vipps.WebhookRegistration{want}, mustRegistrations(t, s, partnerB))
		assert.Equal(t, []string{"r2", "r1"}, registrationIDs(mustRegistrations(t, s, 0)))
	})
	t.Run("OKDefaultCreatedAt", func(t *testing.T) {
		s := open(t)
		r := fullRegistration("r1")
		r.CreatedAt = time.Time{}
		mustPut(t, s, r)
		assert.False(t, r.CreatedAt.IsZero(), "CreatedAt not set")
		assert.Equal(t, r.CreatedAt, mustRegistrations(t, s, partnerA)[0].CreatedAt)
	})
	t.Run("OKEvents", func(t *testing.T) {
		// The list comes back as given: order, and names holding what a
		// joined or quoted encoding would trip on.
		s := open(t)
		r := fullRegistration("r1")
		r.Events = []string{"z.last", "a,b", `quote"d`, "back\\slash", "[bracket]", "æøå", "a.first", " spaced "}
		mustPut(t, s, r)
		assert.Equal(t, r.Events, mustRegistrations(t, s, partnerA)[0].Events)
	})
	t.Run("OKEmpty", func(t *testing.T) {
		s := open(t)
		for _, id := range []string{"nil", "empty"} {
			r := fullRegistration(id)
			r.Events, r.SealedSecret = nil, nil
			if id == "empty" {
				r.Events, r.SealedSecret = []string{}, []byte{}
			}
			mustPut(t, s, r)
		}
		for _, got := range mustRegistrations(t, s, partnerA) {
			assert.Empty(t, got.Events, got.ID)
			assert.Empty(t, got.SealedSecret, got.ID)
		}
	})
	t.Run("OKIDCaseSensitive", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, fullRegistration("reg-abc"))
		mustPut(t, s, fullRegistration("reg-ABC"))
		assert.Len(t, mustRegistrations(t, s, 0), 2)
	})
	t.Run("OKConcurrent", func(t *testing.T) {
		// Two instances syncing with Vipps at once: both writes succeed,
		// one of them is kept, and the id is stored once.
		s := open(t)
		const n = 16
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			r := fullRegistration("r1")
			r.URL = fmt.Sprintf("https://sms2vipps.example/%d", i)
			wg.Go(func() { errs[i] = s.PutWebhookRegistration(t.Context(), r) })
		}
		wg.Wait()
		for _, err := range errs {
			assert.NoError(t, err)
		}
		assert.Equal(t, []string{"r1"}, registrationIDs(mustRegistrations(t, s, 0)))
	})
	t.Run("RollbackInAtomic", func(t *testing.T) {
		s := open(t)
		err := s.Atomic(t.Context(), func(tx sms2vipps.Store) error {
			mustPut(t, tx, fullRegistration("r1"))
			assert.Len(t, mustRegistrations(t, tx, partnerA), 1, "own write in transaction")
			return errBoom
		})
		assert.ErrorIs(t, err, errBoom)
		assert.Empty(t, mustRegistrations(t, s, 0))
	})
	t.Run("ErrInvalidNoID", func(t *testing.T) {
		s := open(t)
		assertCode(t, sms2vipps.EINVALID, s.PutWebhookRegistration(t.Context(), fullRegistration("")))
	})
}

func testWebhookRegistrations(t *testing.T, open Opener) {
	setup := func(t *testing.T) sms2vipps.Store {
		s := open(t)
		// Put in an order unlike their age; one given in another zone, so
		// that age is compared as instants.
		for _, r := range []struct {
			id      string
			partner int64
			at      time.Time
		}{
			{id: "a-new", partner: partnerA, at: t0.Add(time.Hour)},
			{id: "b-mid", partner: partnerB, at: t0.Add(30 * time.Minute)},
			{id: "a-old", partner: partnerA, at: t0.Add(-time.Hour)},
			{id: "a-mid", partner: partnerA, at: t0.Add(15 * time.Minute).In(time.FixedZone("CET", 3600))},
			{id: "b-old", partner: partnerB, at: t0.Add(-2 * time.Hour)},
		} {
			x := fullRegistration(r.id)
			x.PartnerID, x.CreatedAt = r.partner, r.at
			mustPut(t, s, x)
		}
		return s
	}
	for _, tt := range []struct {
		name    string
		partner int64
		want    []string
	}{
		{name: "OK", partner: partnerA, want: []string{"a-old", "a-mid", "a-new"}},
		{name: "OKOtherPartner", partner: partnerB, want: []string{"b-old", "b-mid"}},
		{name: "OKAll", partner: 0, want: []string{"b-old", "a-old", "a-mid", "b-mid", "a-new"}},
		{name: "EmptyUnknownPartner", partner: 303},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s := setup(t)
			got := mustRegistrations(t, s, tt.partner)
			assert.Equal(t, tt.want, registrationIDs(got))
			for _, r := range got {
				if tt.partner != 0 {
					assert.Equal(t, tt.partner, r.PartnerID, r.ID)
				}
			}
		})
	}
	t.Run("Empty", func(t *testing.T) {
		s := open(t)
		assert.Empty(t, mustRegistrations(t, s, 0))
		assert.Empty(t, mustRegistrations(t, s, partnerA))
	})
}

func testDeleteWebhookRegistration(t *testing.T, open Opener) {
	t.Run("OK", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, fullRegistration("r1"))
		mustPut(t, s, fullRegistration("r2"))
		require.NoError(t, s.DeleteWebhookRegistration(t.Context(), "r1"))
		assert.Equal(t, []string{"r2"}, registrationIDs(mustRegistrations(t, s, 0)))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, fullRegistration("r1"))
		assertCode(t, sms2vipps.ENOTFOUND, s.DeleteWebhookRegistration(t.Context(), "r2"))
		assertCode(t, sms2vipps.ENOTFOUND, s.DeleteWebhookRegistration(t.Context(), "R1"))
		assert.Len(t, mustRegistrations(t, s, 0), 1)
	})
	t.Run("ErrNotFoundTwice", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, fullRegistration("r1"))
		require.NoError(t, s.DeleteWebhookRegistration(t.Context(), "r1"))
		assertCode(t, sms2vipps.ENOTFOUND, s.DeleteWebhookRegistration(t.Context(), "r1"))
	})
	t.Run("OKPutAgain", func(t *testing.T) {
		s := open(t)
		mustPut(t, s, fullRegistration("r1"))
		require.NoError(t, s.DeleteWebhookRegistration(t.Context(), "r1"))
		want := fullRegistration("r1")
		mustPut(t, s, want)
		assert.Equal(t, []*sms2vipps.WebhookRegistration{want}, mustRegistrations(t, s, 0))
	})
}
