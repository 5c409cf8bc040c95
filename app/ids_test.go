package app

import (
	"regexp"
	"slices"
	"testing"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var uuidV7 = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

func TestNewUUIDIsVersion7InOrder(t *testing.T) {
	ids := make([]string, 10_000) // many share a millisecond
	for i := range ids {
		ids[i] = NewUUID()
		require.Regexp(t, uuidV7, ids[i])
	}
	assert.True(t, slices.IsSorted(ids), "ids of one process sort in the order they were made")
	assert.Len(t, slices.Compact(slices.Clone(ids)), len(ids), "unique")
}

func TestMonotonicMS(t *testing.T) {
	type step struct {
		now, random uint16
		wantMS      int64
		wantCounter uint16
	}
	for _, tt := range []struct {
		name    string
		ms      int64
		counter uint16
		steps   []step
	}{
		{"NewMillisecondStartsBelow2048", 10, 5,
			[]step{{now: 11, random: 0xffff, wantMS: 11, wantCounter: 0x7ff}}},
		{"SameMillisecondCounts", 10, 5,
			[]step{{now: 10, wantMS: 10, wantCounter: 6}, {now: 10, wantMS: 10, wantCounter: 7}}},
		{"ClockStepsBack", 10, 5,
			[]step{{now: 3, wantMS: 10, wantCounter: 6}}},
		{"CounterFullMovesOn", 10, 0xffe,
			[]step{{now: 10, random: 3, wantMS: 10, wantCounter: 0xfff}, {now: 10, random: 3, wantMS: 11, wantCounter: 3}}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			m := &monotonicMS{ms: tt.ms, counter: tt.counter}
			for _, s := range tt.steps {
				ms, c := m.next(int64(s.now), s.random)
				assert.Equal(t, s.wantMS, ms)
				assert.Equal(t, s.wantCounter, c)
			}
		})
	}
}

// The expected ids were computed outside Go (Python's base64.b32hexencode
// and hashlib.sha256).
func TestChargeID(t *testing.T) {
	validKey := regexp.MustCompile(`^[A-Za-z0-9-]{1,40}$`)
	for _, tt := range []struct {
		name, sub string
		period    sms2vipps.Date
		want      string
	}{
		{"UUIDPacked", "01890a5d-ac96-774b-bcce-b302099a8057", "2026-01-31", "ch-064gkndciprknf6emc10j6k0as-20260131"},
		{"OtherHashed", "sub-000001", "2026-01-31", "ch-ba9bed6c8201bd8f5cbe707d-20260131"},
		{"UpperCaseUUIDHashed", "01890A5D-AC96-774B-BCCE-B302099A8057", "2026-01-31", "ch-91dfbe8651023c2249ca3305-20260131"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got := chargeID(tt.sub, tt.period)
			assert.Equal(t, tt.want, got)
			assert.Regexp(t, validKey, got, "a Vipps orderId and idempotency key")
			assert.Equal(t, got, chargeID(tt.sub, tt.period), "deterministic")
			assert.NotEqual(t, got, chargeID(tt.sub, tt.period.AddDays(1)), "one per period")
		})
	}
	t.Run("OrderOfSubscriptions", func(t *testing.T) {
		subs := make([]string, 1000)
		ids := make([]string, len(subs))
		for i := range subs {
			subs[i] = NewUUID()
			ids[i] = chargeID(subs[i], "2026-03-01")
		}
		assert.True(t, slices.IsSorted(ids))
	})
}
