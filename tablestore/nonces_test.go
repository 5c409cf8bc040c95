package tablestore_test

import (
	"context"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/tablestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// sweepingCache is what both nonce caches offer.
type sweepingCache interface {
	tablestore.NonceCache
	Sweep(ctx context.Context, olderThan time.Time) (int, error)
}

// nonceCaches runs each test on both implementations; Azurite's is
// skipped when there is no Azurite.
var nonceCaches = []struct {
	name string
	open func(t *testing.T, clk *clock) sweepingCache
}{
	{"Memory", func(t *testing.T, clk *clock) sweepingCache { return &tablestore.MemoryNonces{Now: clk.Now} }},
	{"Table", func(t *testing.T, clk *clock) sweepingCache {
		return MustOpen(t, newPrefix(t), tablestore.Config{}).Nonces
	}},
}

func TestNoncesSeen(t *testing.T) {
	for _, impl := range nonceCaches {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock()
			c := impl.open(t, clk)
			ts := clk.Now()
			for _, tt := range []struct {
				name      string
				partnerID int64
				nonce     string
				want      bool
			}{
				{"First", 1, "0123456789abcdef", false},
				{"Replay", 1, "0123456789abcdef", true},
				{"OtherPartner", 2, "0123456789abcdef", false},
				{"OtherNonce", 1, "fedcba9876543210", false},
				{"CaseMatters", 1, "0123456789ABCDEF", false},
				{"KeyCharacters", 1, "a/b\\c#d?e\x00f'", false},
				{"KeyCharactersReplay", 1, "a/b\\c#d?e\x00f'", true},
			} {
				t.Run(tt.name, func(t *testing.T) {
					got, err := c.Seen(ctx, tt.partnerID, tt.nonce, ts)
					require.NoError(t, err)
					assert.Equal(t, tt.want, got)
				})
			}
		})
	}
}

func TestNoncesInvalid(t *testing.T) {
	for _, impl := range nonceCaches {
		t.Run(impl.name, func(t *testing.T) {
			c := impl.open(t, newClock())
			for _, tt := range []struct {
				name      string
				partnerID int64
				nonce     string
			}{
				{"EmptyNonce", 1, ""},
				{"LongNonce", 1, string(make([]byte, 513))},
				{"NoPartner", 0, "n"},
			} {
				t.Run(tt.name, func(t *testing.T) {
					_, err := c.Seen(context.Background(), tt.partnerID, tt.nonce, time.Now())
					assert.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(err))
				})
			}
		})
	}
}

// Of 16 concurrent requests with one nonce, exactly one gets through.
func TestNoncesConcurrent(t *testing.T) {
	for _, impl := range nonceCaches {
		t.Run(impl.name, func(t *testing.T) {
			clk := newClock()
			c := impl.open(t, clk)
			var fresh, replayed atomic.Int32
			var wg sync.WaitGroup
			for range 16 {
				wg.Go(func() {
					seen, err := c.Seen(context.Background(), 7, "same-nonce", clk.Now())
					if !assert.NoError(t, err) {
						return
					}
					if seen {
						replayed.Add(1)
					} else {
						fresh.Add(1)
					}
				})
			}
			wg.Wait()
			assert.Equal(t, int32(1), fresh.Load())
			assert.Equal(t, int32(15), replayed.Load())
		})
	}
}

func TestNoncesSweep(t *testing.T) {
	for _, impl := range nonceCaches {
		t.Run(impl.name, func(t *testing.T) {
			ctx := context.Background()
			clk := newClock()
			c := impl.open(t, clk)
			now := clk.Now()
			for _, n := range []struct {
				partnerID int64
				nonce     string
				age       time.Duration
			}{
				{1, "old1", 20 * time.Minute},
				{2, "old2", 11 * time.Minute},
				{1, "recent", time.Minute},
				{2, "future", -time.Minute}, // a client clock a little ahead
			} {
				seen, err := c.Seen(ctx, n.partnerID, n.nonce, now.Add(-n.age))
				require.NoError(t, err)
				require.False(t, seen)
			}
			swept, err := c.Sweep(ctx, now.Add(-tablestore.DefaultNonceWindow))
			require.NoError(t, err)
			assert.Equal(t, 2, swept)
			swept, err = c.Sweep(ctx, now.Add(-tablestore.DefaultNonceWindow))
			require.NoError(t, err)
			assert.Zero(t, swept, "nothing left to sweep")

			for _, tt := range []struct {
				partnerID int64
				nonce     string
				want      bool
			}{
				{1, "old1", false}, // forgotten
				{2, "old2", false},
				{1, "recent", true}, // still remembered
				{2, "future", true},
			} {
				seen, err := c.Seen(ctx, tt.partnerID, tt.nonce, now)
				require.NoError(t, err)
				assert.Equal(t, tt.want, seen, "nonce %s", tt.nonce)
			}
		})
	}
}

// MemoryNonces forgets by itself once a nonce is a window old.
func TestMemoryNoncesExpire(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	c := &tablestore.MemoryNonces{Window: 10 * time.Minute, Now: clk.Now}
	seen, err := c.Seen(ctx, 1, "n", clk.Now())
	require.NoError(t, err)
	require.False(t, seen)

	clk.Add(10*time.Minute - time.Second)
	seen, err = c.Seen(ctx, 1, "n", clk.Now())
	require.NoError(t, err)
	assert.True(t, seen, "within the window")

	clk.Add(2 * time.Second)
	seen, err = c.Seen(ctx, 1, "n", clk.Now())
	require.NoError(t, err)
	assert.False(t, seen, "a window after its time the nonce is forgotten")
}
