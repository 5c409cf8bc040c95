package app

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/binary"
	"encoding/hex"
	"strings"
	"sync"
	"time"

	"github.com/linkmobility/sms2vipps"
)

// NewUUID returns a time-ordered UUID (version 7, RFC 9562): 48 bits of
// Unix milliseconds, a 12-bit counter that keeps ids of one millisecond in
// order within this process, and 62 random bits. Ids in creation order
// keep the store's B-trees appending at their right edge instead of
// touching a random page per insert: with charge ids that follow them
// (chargeID), the RecurringCharger's 100,000 run took 27.6 s where random
// ids took 37-40 s (docs/PERFORMANCE.md). The id shows when it was made,
// to the millisecond; nothing secret hangs on that.
func NewUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	ms, seq := uuidClock.next(time.Now().UnixMilli(), binary.BigEndian.Uint16(b[6:8]))
	b[0], b[1], b[2], b[3], b[4], b[5] = byte(ms>>40), byte(ms>>32), byte(ms>>24), byte(ms>>16), byte(ms>>8), byte(ms)
	b[6] = 0x70 | byte(seq>>8)
	b[7] = byte(seq)
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// uuidClock hands out (millisecond, counter) pairs that only increase, so
// ids made in one millisecond, or while the wall clock steps back, still
// sort in the order they were made.
var uuidClock monotonicMS

type monotonicMS struct {
	mu      sync.Mutex
	ms      int64
	counter uint16 // 12 bits
}

// next returns now (or the last millisecond, when now is not later) and a
// counter: a fresh millisecond starts from a random value below 2,048, so
// at least 2,048 more ids fit in it; past 4,095 the millisecond moves on.
func (m *monotonicMS) next(now int64, random uint16) (int64, uint16) {
	m.mu.Lock()
	defer m.mu.Unlock()
	switch {
	case now > m.ms:
		m.ms, m.counter = now, random&0x7ff
	case m.counter < 0xfff:
		m.counter++
	default:
		m.ms, m.counter = m.ms+1, random&0x7ff
	}
	return m.ms, m.counter
}

// chargeID derives the charge's id (Vipps orderId, and the idempotency key
// of its creation: at most 40 of [A-Za-z0-9-]) from the subscription and
// the period, so a re-run computes the same id for the same period. A UUID
// subscription id is packed in order-preserving base32hex (26 characters),
// so charges sort, and are inserted, in the order of their subscriptions;
// any other id is hashed.
func chargeID(subscriptionID string, period sms2vipps.Date) string {
	day := strings.ReplaceAll(string(period), "-", "")
	if b, ok := uuidBytes(subscriptionID); ok {
		return "ch-" + strings.ToLower(base32hexNoPad.EncodeToString(b)) + "-" + day
	}
	sum := sha256.Sum256([]byte(subscriptionID + ":" + string(period)))
	return "ch-" + hex.EncodeToString(sum[:])[:24] + "-" + day
}

// base32hexNoPad's alphabet (0-9, then A-V) is in byte order, so encoded
// ids compare as the bytes do.
var base32hexNoPad = base32.HexEncoding.WithPadding(base32.NoPadding)
