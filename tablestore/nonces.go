package tablestore

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/linkmobility/sms2vipps"
)

// DefaultNonceWindow is how long a nonce must be remembered: the time
// window of LINK's HMAC scheme (linkhmac.Window), outside which a request
// is refused for its timestamp whatever its nonce.
const DefaultNonceWindow = 10 * time.Minute

// maxNonceBytes keeps the base64url RowKey under Table Storage's 1 KiB.
const maxNonceBytes = 512

// NonceCache remembers the nonces of signed partner requests, so that a
// captured request cannot be replayed within the HMAC window.
type NonceCache interface {
	// Seen records (partnerID, nonce), ts being the request's signed time,
	// and reports whether it was recorded before: true means a replay.
	// Returns EINVALID for an empty or over-long nonce or a non-positive
	// partner id.
	Seen(ctx context.Context, partnerID int64, nonce string, ts time.Time) (replayed bool, err error)
}

var (
	_ NonceCache = (*Nonces)(nil)
	_ NonceCache = (*MemoryNonces)(nil)
)

// Nonces is the NonceCache in the nonces table, shared by every instance
// of the app. Seen is one AddEntity: the service refuses a second insert
// of the same key with 409, so of two concurrent requests with one nonce
// exactly one is accepted, on whichever instance they land.
type Nonces struct {
	client *aztables.Client
}

// Seen implements NonceCache.
func (n *Nonces) Seen(ctx context.Context, partnerID int64, nonce string, ts time.Time) (bool, error) {
	if err := checkNonce(partnerID, nonce); err != nil {
		return false, err
	}
	e, err := json.Marshal(aztables.EDMEntity{
		Entity:     aztables.Entity{PartitionKey: partitionKey(partnerID), RowKey: nonceRowKey(nonce)},
		Properties: map[string]any{"Ts": aztables.EDMDateTime(ts.UTC())},
	})
	if err != nil {
		return false, sms2vipps.WrapError(sms2vipps.EINTERNAL, "record nonce", err)
	}
	_, err = n.client.AddEntity(ctx, e, nil)
	var re *azcore.ResponseError
	if errors.As(err, &re) && re.ErrorCode == string(aztables.EntityAlreadyExists) {
		return true, nil
	}
	if err != nil {
		return false, storageError(fmt.Sprintf("record nonce of partner %d", partnerID), err)
	}
	return false, nil
}

// Sweep deletes the nonces whose request time is before olderThan (now
// minus DefaultNonceWindow is enough) and returns how many it deleted. It
// is safe to run on several instances at once.
func (n *Nonces) Sweep(ctx context.Context, olderThan time.Time) (int, error) {
	filter := "Ts lt datetime'" + olderThan.UTC().Format(time.RFC3339Nano) + "'"
	sel := "PartitionKey,RowKey"
	pager := n.client.NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter, Select: &sel})
	deleted := 0
	// Deleting rows the query has passed does not disturb its paging,
	// which continues from the last key returned.
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return deleted, storageError("sweep nonces", err)
		}
		byPartition := map[string][]aztables.TransactionAction{}
		var order []string
		for _, raw := range page.Entities {
			var k row
			if err := json.Unmarshal(raw, &k); err != nil {
				return deleted, sms2vipps.WrapError(sms2vipps.EINTERNAL, "sweep nonces", err)
			}
			if byPartition[k.PartitionKey] == nil {
				order = append(order, k.PartitionKey)
			}
			byPartition[k.PartitionKey] = append(byPartition[k.PartitionKey],
				aztables.TransactionAction{ActionType: aztables.TransactionTypeDelete, Entity: keyEntity(k.PartitionKey, k.RowKey)})
		}
		for _, pk := range order {
			for _, batch := range batches(byPartition[pk]) {
				d, err := n.deleteBatch(ctx, batch)
				deleted += d
				if err != nil {
					return deleted, err
				}
			}
		}
	}
	return deleted, nil
}

// deleteBatch deletes one partition's rows in a transaction, or one by one
// when the transaction fails because another sweeper got to some first.
func (n *Nonces) deleteBatch(ctx context.Context, batch []aztables.TransactionAction) (int, error) {
	_, err := n.client.SubmitTransaction(ctx, batch, nil)
	err = storageError("sweep nonces", err)
	if err == nil {
		return len(batch), nil
	}
	if sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
		return 0, err
	}
	deleted := 0
	for _, a := range batch {
		var k row
		_ = json.Unmarshal(a.Entity, &k)
		_, err := n.client.DeleteEntity(ctx, k.PartitionKey, k.RowKey, nil)
		switch err = storageError("sweep nonces", err); sms2vipps.ErrorCode(err) {
		case "":
			deleted++
		case sms2vipps.ENOTFOUND:
		default:
			return deleted, err
		}
	}
	return deleted, nil
}

// nonceRowKey encodes the nonce so that any bytes make a valid RowKey.
func nonceRowKey(nonce string) string {
	return base64.RawURLEncoding.EncodeToString([]byte(nonce))
}

func checkNonce(partnerID int64, nonce string) error {
	var v sms2vipps.Validation
	v.Check(partnerID > 0, "partnerId", "must be a positive integer")
	v.Check(nonce != "", "nonce", "must not be empty")
	v.Check(len(nonce) <= maxNonceBytes, "nonce", fmt.Sprintf("must be at most %d bytes", maxNonceBytes))
	return v.Err()
}

// MemoryNonces is the NonceCache of a single instance, for running without
// Table Storage. It forgets a nonce once its request time is older than
// Window, which is when the HMAC check starts refusing the request anyway.
// The zero value is ready to use.
type MemoryNonces struct {
	// Window is how long a nonce is remembered after its request time;
	// DefaultNonceWindow when zero.
	Window time.Duration
	// Now is the clock that expires nonces; time.Now when nil.
	Now func() time.Time

	mu        sync.Mutex
	seen      map[memoryNonce]time.Time
	lastSweep time.Time
}

type memoryNonce struct {
	partnerID int64
	nonce     string
}

// Seen implements NonceCache.
func (m *MemoryNonces) Seen(_ context.Context, partnerID int64, nonce string, ts time.Time) (bool, error) {
	if err := checkNonce(partnerID, nonce); err != nil {
		return false, err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	now := m.now()
	window := durationOr(m.Window, DefaultNonceWindow)
	// Sweeping every tenth of the window keeps the map to about one
	// window's worth of nonces without scanning it on every request.
	if now.Sub(m.lastSweep) >= window/10 {
		m.sweep(now.Add(-window))
		m.lastSweep = now
	}
	k := memoryNonce{partnerID, nonce}
	// An entry the last sweep left behind counts only within the window.
	if t, ok := m.seen[k]; ok && !t.Before(now.Add(-window)) {
		return true, nil
	}
	if m.seen == nil {
		m.seen = map[memoryNonce]time.Time{}
	}
	m.seen[k] = ts
	return false, nil
}

// Sweep forgets the nonces whose request time is before olderThan and
// returns how many it forgot, like Nonces.Sweep. Seen also sweeps by
// itself.
func (m *MemoryNonces) Sweep(_ context.Context, olderThan time.Time) (int, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.sweep(olderThan), nil
}

func (m *MemoryNonces) sweep(olderThan time.Time) int {
	n := 0
	for k, ts := range m.seen {
		if ts.Before(olderThan) {
			delete(m.seen, k)
			n++
		}
	}
	return n
}

func (m *MemoryNonces) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}
