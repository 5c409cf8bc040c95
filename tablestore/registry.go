package tablestore

import (
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/azcore"
	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/linkmobility/sms2vipps"
)

const (
	// maxAttempts bounds how often Put and Delete start over when another
	// writer changed the partner between their read and their commit, and
	// how often a reader re-reads a partition caught mid-write.
	maxAttempts = 5
	// genLen is the length of a dialogue generation (crypto/rand.Text).
	genLen = 26
	// maxRetryDelay spaces reload attempts while the table cannot be read
	// and a stale snapshot is being served.
	maxRetryDelay = 5 * time.Second
)

// Registry is the partner registry in the partners table. Lookups read an
// in-memory snapshot (see the package comment); Put, Get, List and Delete
// go to the table. The partners it returns are shared and must not be
// modified.
type Registry struct {
	client   *aztables.Client
	ttl      time.Duration
	maxStale time.Duration
	now      func() time.Time
	getenv   func(string) string
	log      *slog.Logger

	snap atomic.Pointer[snapshot]
	// epoch counts the writes through this Registry; a snapshot taken
	// before the latest is stale whatever its age.
	epoch   atomic.Uint64
	loading sync.Mutex // one reload at a time
}

var _ sms2vipps.PartnerRegistry = (*Registry)(nil)

func newRegistry(client *aztables.Client, cfg Config) *Registry {
	r := &Registry{
		client:   client,
		ttl:      durationOr(cfg.TTL, DefaultTTL),
		maxStale: durationOr(cfg.MaxStale, DefaultMaxStale),
		now:      cfg.Now,
		getenv:   getenvOr(cfg.Getenv),
		log:      cfg.Logger,
	}
	if r.now == nil {
		r.now = time.Now
	}
	if r.log == nil {
		r.log = slog.Default()
	}
	return r
}

// snapshot is the partners table as read at one moment, secrets resolved.
type snapshot struct {
	epoch  uint64
	loaded time.Time // when the table was read
	next   time.Time // when to read it again
	byID   map[int64]*sms2vipps.Partner
	// broken holds the partners that are configured but cannot be used,
	// such as one whose secret names a missing app setting.
	broken  map[int64]error
	byShort map[string][]int64 // ascending ids
}

// Partner returns the partner with id, secrets resolved. It returns
// ENOTFOUND when there is none, EINTERNAL when its configuration cannot be
// used (a secret's app setting is missing), and a storage error code when
// the table cannot be read and no recent snapshot is at hand.
func (r *Registry) Partner(ctx context.Context, id int64) (*sms2vipps.Partner, error) {
	s, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.broken[id]; err != nil {
		return nil, err
	}
	if p := s.byID[id]; p != nil {
		return p, nil
	}
	return nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no partner %d", id)
}

// PartnersByShortNumber returns, in ascending id order, the partners that
// own the short number in their ShortNumbers or in one of their
// dialogues. It returns ENOTFOUND when none does, and EINTERNAL when one
// of them cannot be used: an SMS must not go to the wrong partner because
// the right one is misconfigured.
func (r *Registry) PartnersByShortNumber(ctx context.Context, shortNumber string) ([]*sms2vipps.Partner, error) {
	s, err := r.current(ctx)
	if err != nil {
		return nil, err
	}
	ids := s.byShort[shortNumber]
	if len(ids) == 0 {
		return nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no partner has short number %s", shortNumber)
	}
	out := make([]*sms2vipps.Partner, 0, len(ids))
	for _, id := range ids {
		if err := s.broken[id]; err != nil {
			return nil, err
		}
		out = append(out, s.byID[id])
	}
	return out, nil
}

// Get returns the partner with id as stored: secrets as given to Put
// ("env:NAME" unresolved), so that Get, edit, Put round-trips. It returns
// ENOTFOUND when there is none.
func (r *Registry) Get(ctx context.Context, id int64) (*sms2vipps.Partner, error) {
	pt, err := r.readCommitted(ctx, partitionKey(id))
	if err != nil {
		return nil, err
	}
	p, _, err := pt.assemble()
	if err != nil {
		return nil, sms2vipps.WrapError(sms2vipps.EINTERNAL, fmt.Sprintf("partner %d is stored unreadably", id), err)
	}
	if p == nil {
		return nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no partner %d", id)
	}
	return p, nil
}

// List returns every partner as stored (see Get), in ascending id order.
func (r *Registry) List(ctx context.Context) ([]*sms2vipps.Partner, error) {
	parts, err := r.readAll(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]*sms2vipps.Partner, 0, len(parts))
	for _, pt := range parts {
		p, _, err := pt.assemble()
		if err != nil {
			return nil, sms2vipps.WrapError(sms2vipps.EINTERNAL, "a partner is stored unreadably", err)
		}
		if p != nil {
			out = append(out, p)
		}
	}
	return out, nil
}

// Put creates or replaces the partner with p.ID, with exactly p's
// dialogues, atomically (see the package comment). It returns EINVALID
// naming every bad field, and writes nothing, when p fails Validate or
// would break a Table Storage limit; ECONFLICT when other writers kept
// changing the partner through every attempt.
func (r *Registry) Put(ctx context.Context, p *sms2vipps.Partner) error {
	if p == nil {
		return sms2vipps.Errorf(sms2vipps.EINVALID, "no partner given")
	}
	config, err := configJSON(p)
	if err != nil {
		return sms2vipps.WrapError(sms2vipps.EINVALID, "partner cannot be written as JSON", err)
	}
	// One EINVALID names every bad field: Validate's, then the storage
	// limits' for fields Validate had nothing against.
	var v sms2vipps.Validation
	bad := map[string]bool{}
	for _, f := range sms2vipps.ErrorFields(p.Validate()) {
		v.Add(f.Field, f.Reason)
		bad[f.Field] = true
	}
	var storable sms2vipps.Validation
	checkStorable(&storable, p, config)
	for _, f := range sms2vipps.ErrorFields(storable.Err()) {
		if !bad[f.Field] {
			v.Add(f.Field, f.Reason)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	op := fmt.Sprintf("put partner %d", p.ID)
	for range maxAttempts {
		pt, err := r.readPartition(ctx, partitionKey(p.ID))
		if err != nil {
			return err
		}
		err = r.commit(ctx, op, p, config, pt)
		if isRace(err) {
			continue
		}
		if err != nil {
			return err
		}
		r.epoch.Add(1)
		r.deleteRows(ctx, pt.pk, dialogueKeys(pt.dialogues))
		return nil
	}
	return sms2vipps.Errorf(sms2vipps.ECONFLICT, "partner %d is being changed by someone else; try again", p.ID)
}

// commit writes p's dialogues under a new generation and then the partner
// row naming it, If-Match the partner row read in pt.
func (r *Registry) commit(ctx context.Context, op string, p *sms2vipps.Partner, config string, pt *partition) error {
	gen := rand.Text()
	var dialogues []aztables.TransactionAction
	size := 0
	for i, d := range p.Dialogues {
		e, err := dialogueEntity(p.ID, gen, i, d)
		if err != nil {
			return sms2vipps.WrapError(sms2vipps.EINTERNAL, op, err)
		}
		dialogues = append(dialogues, aztables.TransactionAction{ActionType: aztables.TransactionTypeAdd, Entity: e})
		size += len(e) + batchOpOverhead
	}
	e, err := partnerEntity(p, config, gen)
	if err != nil {
		return sms2vipps.WrapError(sms2vipps.EINTERNAL, op, err)
	}
	flip := aztables.TransactionAction{ActionType: aztables.TransactionTypeAdd, Entity: e}
	if pt.partner != nil {
		etag := azcore.ETag(pt.partner.ETag)
		flip = aztables.TransactionAction{ActionType: aztables.TransactionTypeUpdateReplace, Entity: e, IfMatch: &etag}
	}
	size += len(e) + batchOpOverhead
	if len(dialogues)+1 <= maxBatchOps && size <= maxBatchBytes {
		_, err := r.client.SubmitTransaction(ctx, append(dialogues, flip), nil)
		return storageError(op, err)
	}
	// Too much for one transaction: the new generation goes first, in
	// batches nobody reads yet, and the partner row commits it.
	for _, batch := range batches(dialogues) {
		if _, err := r.client.SubmitTransaction(ctx, batch, nil); err != nil {
			r.deleteRows(ctx, pt.pk, generationKeys(p, gen))
			return storageError(op, err)
		}
	}
	if _, err := r.client.SubmitTransaction(ctx, []aztables.TransactionAction{flip}, nil); err != nil {
		r.deleteRows(ctx, pt.pk, generationKeys(p, gen))
		return storageError(op, err)
	}
	return nil
}

// Delete removes the partner with id and its dialogues. It returns
// ENOTFOUND when there is none.
func (r *Registry) Delete(ctx context.Context, id int64) error {
	pk := partitionKey(id)
	op := fmt.Sprintf("delete partner %d", id)
	for range maxAttempts {
		pt, err := r.readPartition(ctx, pk)
		if err != nil {
			return err
		}
		rest := dialogueKeys(pt.dialogues)
		if pt.partner == nil {
			r.deleteRows(ctx, pk, rest) // leftovers of an interrupted write
			return sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no partner %d", id)
		}
		// Deleting the partner row is the commit point; dialogue rows
		// without it are never read. When everything fits, it is all one
		// transaction.
		etag := azcore.ETag(pt.partner.ETag)
		actions := []aztables.TransactionAction{{ActionType: aztables.TransactionTypeDelete, Entity: keyEntity(pk, partnerRowKey), IfMatch: &etag}}
		if len(rest)+1 <= maxBatchOps {
			for _, rk := range rest {
				actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeDelete, Entity: keyEntity(pk, rk)})
			}
			rest = nil
		}
		_, err = r.client.SubmitTransaction(ctx, actions, nil)
		err = storageError(op, err)
		if isRace(err) {
			continue
		}
		if err != nil {
			return err
		}
		r.epoch.Add(1)
		r.deleteRows(ctx, pk, rest)
		return nil
	}
	return sms2vipps.Errorf(sms2vipps.ECONFLICT, "partner %d is being changed by someone else; try again", id)
}

// isRace reports whether a conditional write lost to another writer: the
// ETag changed (412), the row appeared (409) or went away (404) in
// between. The caller reads again and retries.
func isRace(err error) bool {
	c := sms2vipps.ErrorCode(err)
	return c == sms2vipps.ECONFLICT || c == sms2vipps.ENOTFOUND
}

// deleteRows removes rows that no reader uses any more: superseded
// dialogue generations. It only logs failures, because the write that
// made them garbage has already succeeded and the next Put or Delete of
// the partner removes what is left.
func (r *Registry) deleteRows(ctx context.Context, pk string, rowKeys []string) {
	var actions []aztables.TransactionAction
	for _, rk := range rowKeys {
		actions = append(actions, aztables.TransactionAction{ActionType: aztables.TransactionTypeDelete, Entity: keyEntity(pk, rk)})
	}
	for _, batch := range batches(actions) {
		if _, err := r.client.SubmitTransaction(ctx, batch, nil); err == nil {
			continue
		}
		// Another writer may have deleted some of them first, which fails
		// the whole batch: fall back to one at a time.
		for _, a := range batch {
			var k row
			_ = json.Unmarshal(a.Entity, &k)
			_, err := r.client.DeleteEntity(ctx, k.PartitionKey, k.RowKey, nil)
			if err = storageError("delete old dialogue", err); err != nil && sms2vipps.ErrorCode(err) != sms2vipps.ENOTFOUND {
				r.log.WarnContext(ctx, "tablestore: old dialogue row left behind", "partition", pk, "err", err)
			}
		}
	}
}

// batches splits actions into transactions within the service's limits.
func batches(actions []aztables.TransactionAction) [][]aztables.TransactionAction {
	var out [][]aztables.TransactionAction
	var cur []aztables.TransactionAction
	size := 0
	for _, a := range actions {
		n := len(a.Entity) + batchOpOverhead
		if len(cur) == maxBatchOps || (len(cur) > 0 && size+n > maxBatchBytes) {
			out = append(out, cur)
			cur, size = nil, 0
		}
		cur = append(cur, a)
		size += n
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

func dialogueKeys(rows []row) []string {
	keys := make([]string, len(rows))
	for i, d := range rows {
		keys[i] = d.RowKey
	}
	return keys
}

func generationKeys(p *sms2vipps.Partner, gen string) []string {
	keys := make([]string, len(p.Dialogues))
	for i, d := range p.Dialogues {
		keys[i] = dialogueRowKey(gen, d)
	}
	return keys
}

// readPartition reads every row of one partner's partition.
func (r *Registry) readPartition(ctx context.Context, pk string) (*partition, error) {
	parts, err := r.query(ctx, "PartitionKey eq "+odataString(pk))
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		return &partition{pk: pk}, nil
	}
	return parts[0], nil
}

// readCommitted reads a partition until it shows a committed state.
func (r *Registry) readCommitted(ctx context.Context, pk string) (*partition, error) {
	for range maxAttempts {
		pt, err := r.readPartition(ctx, pk)
		if err != nil {
			return nil, err
		}
		if _, ok, _ := pt.assemble(); ok {
			return pt, nil
		}
	}
	id, _ := parseID(pk)
	return nil, sms2vipps.Errorf(sms2vipps.EUNAVAILABLE, "partner %d is being changed; try again", id)
}

// readAll reads the whole table; a partition caught mid-write is read
// again on its own.
func (r *Registry) readAll(ctx context.Context) ([]*partition, error) {
	parts, err := r.query(ctx, "")
	if err != nil {
		return nil, err
	}
	for i, pt := range parts {
		if _, ok, _ := pt.assemble(); !ok {
			if parts[i], err = r.readCommitted(ctx, pt.pk); err != nil {
				return nil, err
			}
		}
	}
	return parts, nil
}

// query returns the rows matching filter, grouped by partition in key
// order.
func (r *Registry) query(ctx context.Context, filter string) ([]*partition, error) {
	var opts aztables.ListEntitiesOptions
	if filter != "" {
		opts.Filter = &filter
	}
	var parts []*partition
	pager := r.client.NewListEntitiesPager(&opts)
	for pager.More() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, storageError("read partners", err)
		}
		for _, raw := range page.Entities {
			var rw row
			if err := json.Unmarshal(raw, &rw); err != nil {
				return nil, sms2vipps.WrapError(sms2vipps.EINTERNAL, "read partners", fmt.Errorf("decode row: %w", err))
			}
			if len(parts) == 0 || parts[len(parts)-1].pk != rw.PartitionKey {
				parts = append(parts, &partition{pk: rw.PartitionKey})
			}
			pt := parts[len(parts)-1]
			switch {
			case rw.RowKey == partnerRowKey:
				pt.partner = &rw
			case strings.HasPrefix(rw.RowKey, dialoguePrefix):
				pt.dialogues = append(pt.dialogues, rw)
			}
		}
	}
	return parts, nil
}

// current returns a snapshot fresh enough to serve, reading the table when
// the one at hand is older than the TTL or predates a write through this
// Registry.
func (r *Registry) current(ctx context.Context) (*snapshot, error) {
	if s := r.snap.Load(); s != nil && r.fresh(s) {
		return s, nil
	}
	r.loading.Lock()
	defer r.loading.Unlock()
	// Whoever held the lock may have just reloaded.
	old := r.snap.Load()
	if old != nil && r.fresh(old) {
		return old, nil
	}
	epoch := r.epoch.Load()
	now := r.now()
	s, err := r.load(ctx)
	if err == nil {
		s.epoch, s.loaded, s.next = epoch, now, now.Add(r.ttl)
		r.snap.Store(s)
		return s, nil
	}
	if old == nil || now.Sub(old.loaded) > r.maxStale {
		return nil, err
	}
	// Serve what we have rather than fail every request during a storage
	// blip, and try again shortly.
	r.log.WarnContext(ctx, "tablestore: cannot reload partners; serving the previous snapshot",
		"age", now.Sub(old.loaded).String(), "err", err)
	stale := *old
	stale.epoch, stale.next = epoch, now.Add(min(r.ttl, maxRetryDelay))
	r.snap.Store(&stale)
	return &stale, nil
}

func (r *Registry) fresh(s *snapshot) bool {
	return s.epoch == r.epoch.Load() && r.now().Before(s.next)
}

// load reads the table into a snapshot, resolving secrets.
func (r *Registry) load(ctx context.Context) (*snapshot, error) {
	parts, err := r.readAll(ctx)
	if err != nil {
		return nil, err
	}
	s := &snapshot{
		byID:    map[int64]*sms2vipps.Partner{},
		broken:  map[int64]error{},
		byShort: map[string][]int64{},
	}
	for _, pt := range parts {
		p, _, err := pt.assemble()
		if err != nil {
			// One unreadable row must not take every partner down.
			id, _ := parseID(pt.pk)
			s.broken[id] = sms2vipps.WrapError(sms2vipps.EINTERNAL, fmt.Sprintf("partner %d is stored unreadably", id), err)
			continue
		}
		if p == nil {
			continue
		}
		if err := r.resolve(p); err != nil {
			s.broken[p.ID] = err
		}
		s.byID[p.ID] = p
		for _, sn := range p.ShortNumbers {
			s.byShort[sn] = appendID(s.byShort[sn], p.ID)
		}
		for _, d := range p.Dialogues {
			s.byShort[d.ShortNumber] = appendID(s.byShort[d.ShortNumber], p.ID)
		}
	}
	return s, nil
}

// appendID adds id to ids, which partitions fill in ascending order, once.
func appendID(ids []int64, id int64) []int64 {
	if len(ids) > 0 && ids[len(ids)-1] == id {
		return ids
	}
	return append(ids, id)
}

// resolve replaces "env:NAME" secrets with the setting's value. The error
// names the field and the setting, never a value.
func (r *Registry) resolve(p *sms2vipps.Partner) error {
	var missing []error
	for _, s := range secrets {
		v := s.in(p)
		name, ok := strings.CutPrefix(*v, "env:")
		if !ok {
			continue
		}
		val := r.getenv(name)
		if val == "" {
			missing = append(missing, fmt.Errorf("%s: environment variable %s is not set", s.field, name))
			continue
		}
		*v = val
	}
	if len(missing) > 0 {
		return sms2vipps.WrapError(sms2vipps.EINTERNAL, fmt.Sprintf("partner %d is misconfigured", p.ID), errors.Join(missing...))
	}
	return nil
}
