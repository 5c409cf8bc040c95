package tablestore_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/partnerfile"
	"github.com/linkmobility/sms2vipps/tablestore"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRegistryRoundTrip(t *testing.T) {
	ctx := context.Background()
	prefix := newPrefix(t)
	reg := MustOpen(t, prefix, tablestore.Config{Getenv: env(fixtureEnv)}).Partners
	want := fullPartner(42)
	require.NoError(t, reg.Put(ctx, want))

	t.Run("GetReturnsStoredForm", func(t *testing.T) {
		got, err := reg.Get(ctx, 42)
		require.NoError(t, err)
		assert.Equal(t, want, got)
	})
	t.Run("ListReturnsStoredForm", func(t *testing.T) {
		require.NoError(t, reg.Put(ctx, paycorePartner(7, "1960")))
		got, err := reg.List(ctx)
		require.NoError(t, err)
		require.Equal(t, []int64{7, 42}, ids(got), "ascending ids")
		assert.Equal(t, want, got[1])
	})
	t.Run("LookupsResolveEnvSecrets", func(t *testing.T) {
		got, err := reg.Partner(ctx, 42)
		require.NoError(t, err)
		assert.Equal(t, resolved(want), got)
		assert.Equal(t, "vipps-client-secret", got.Vipps.ClientSecret)
		assert.Equal(t, "literal-subscription-key", got.Vipps.SubscriptionKey)
	})
	t.Run("SecretsLiveOutsideConfig", func(t *testing.T) {
		e, err := partnersTable(t, prefix).GetEntity(ctx, fmt.Sprintf("%019d", 42), "p", nil)
		require.NoError(t, err)
		var row map[string]any
		require.NoError(t, json.Unmarshal(e.Value, &row))
		for _, secret := range []string{"env:FIXTURE_PAYCORE", "env:FIXTURE_VIPPS_SECRET", "literal-subscription-key", "env:FIXTURE_API", "Y3JtLXNlY3JldA=="} {
			assert.NotContains(t, row["Config"], secret)
		}
		assert.Equal(t, "literal-subscription-key", row["VippsSubscriptionKey"])
		assert.Equal(t, "env:FIXTURE_PAYCORE", row["PaycoreSecret"])
	})
	t.Run("Delete", func(t *testing.T) {
		require.NoError(t, reg.Delete(ctx, 42))
		_, err := reg.Get(ctx, 42)
		assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))
		_, err = reg.Partner(ctx, 42)
		assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err), "a Delete through the registry is seen at once")
		rows := rawRows(t, prefix, 42)
		assert.Empty(t, rows, "dialogue rows go with the partner")
	})
}

// rawRows lists the RowKeys in a partner's partition.
func rawRows(tb testing.TB, prefix string, id int64) []string {
	tb.Helper()
	filter := fmt.Sprintf("PartitionKey eq '%019d'", id)
	pager := partnersTable(tb, prefix).NewListEntitiesPager(&aztables.ListEntitiesOptions{Filter: &filter})
	var keys []string
	for pager.More() {
		page, err := pager.NextPage(context.Background())
		require.NoError(tb, err)
		for _, raw := range page.Entities {
			var e struct{ RowKey string }
			require.NoError(tb, json.Unmarshal(raw, &e))
			keys = append(keys, e.RowKey)
		}
	}
	return keys
}

func TestRegistryPutReplacesDialogues(t *testing.T) {
	for _, tt := range []struct {
		name   string
		before int // dialogues
		after  int
	}{
		{"OneTransaction", 3, 2},
		// More than 99 dialogues cannot share a transaction with the
		// partner row: the generation is written first, then committed.
		{"Batched", 120, 150},
		{"ToNone", 4, 0},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			prefix := newPrefix(t)
			reg := MustOpen(t, prefix, tablestore.Config{}).Partners
			p := paycorePartner(5, "2000")
			for i := range tt.before {
				p.Dialogues = append(p.Dialogues, dialogue("3000", fmt.Sprintf("old%d", i)))
			}
			require.NoError(t, reg.Put(ctx, p))
			got, err := reg.Get(ctx, 5)
			require.NoError(t, err)
			require.Len(t, got.Dialogues, tt.before)

			p.Dialogues = nil
			for i := range tt.after {
				p.Dialogues = append(p.Dialogues, dialogue("4000", fmt.Sprintf("new%d", tt.after-i)))
			}
			require.NoError(t, reg.Put(ctx, p))
			got, err = reg.Get(ctx, 5)
			require.NoError(t, err)
			assert.Equal(t, p.Dialogues, got.Dialogues, "exactly the new dialogues, in the order given")

			_, err = reg.PartnersByShortNumber(ctx, "3000")
			assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err), "the old dialogues' short number is gone")
			if tt.after > 0 {
				ps, err := reg.PartnersByShortNumber(ctx, "4000")
				require.NoError(t, err)
				assert.Equal(t, []int64{5}, ids(ps))
			}
			assert.Len(t, rawRows(t, prefix, 5), 1+tt.after, "old generations are deleted")
		})
	}
}

// A Put that died between writing its dialogues and committing leaves
// rows of a generation no partner row names: readers ignore them and the
// next write removes them.
func TestRegistryIgnoresUncommittedDialogues(t *testing.T) {
	ctx := context.Background()
	prefix := newPrefix(t)
	reg := MustOpen(t, prefix, tablestore.Config{}).Partners
	p := paycorePartner(9, "2000")
	p.Dialogues = []sms2vipps.Dialogue{dialogue("3000", "A")}
	require.NoError(t, reg.Put(ctx, p))

	orphan, err := json.Marshal(map[string]any{"PartitionKey": fmt.Sprintf("%019d", 9), "RowKey": "d:DEADGENERATION:5000:B",
		"Keyword": "B", "ShortNumber": "5000", "Position": 0})
	require.NoError(t, err)
	_, err = partnersTable(t, prefix).AddEntity(ctx, orphan, nil)
	require.NoError(t, err)

	got, err := reg.Get(ctx, 9)
	require.NoError(t, err)
	assert.Equal(t, p.Dialogues, got.Dialogues)
	_, err = reg.PartnersByShortNumber(ctx, "5000")
	assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))

	require.NoError(t, reg.Put(ctx, p))
	assert.NotContains(t, rawRows(t, prefix, 9), "d:DEADGENERATION:5000:B")
}

// Concurrent Puts of one partner serialize on the partner row's ETag:
// whichever wins, its dialogues are all there and no one else's are.
func TestRegistryConcurrentPuts(t *testing.T) {
	ctx := context.Background()
	prefix := newPrefix(t)
	reg := MustOpen(t, prefix, tablestore.Config{}).Partners
	var wg sync.WaitGroup
	errs := make([]error, 6)
	for w := range errs {
		wg.Go(func() {
			p := paycorePartner(11, "2000")
			p.Name = fmt.Sprintf("writer%d", w)
			for i := range 3 {
				p.Dialogues = append(p.Dialogues, dialogue("3000", fmt.Sprintf("w%dk%d", w, i)))
			}
			errs[w] = reg.Put(ctx, p)
		})
	}
	wg.Wait()
	succeeded := 0
	for _, err := range errs {
		if err == nil {
			succeeded++
			continue
		}
		assert.Equal(t, sms2vipps.ECONFLICT, sms2vipps.ErrorCode(err), "a writer that keeps losing gives up with ECONFLICT: %v", err)
	}
	assert.Positive(t, succeeded)
	got, err := reg.Get(ctx, 11)
	require.NoError(t, err)
	require.Len(t, got.Dialogues, 3)
	w := strings.TrimPrefix(got.Name, "writer")
	for i, d := range got.Dialogues {
		assert.Equal(t, fmt.Sprintf("w%sk%d", w, i), d.Keyword, "every dialogue is the winner's")
	}
}

func TestRegistryPutRefusesInvalid(t *testing.T) {
	long := strings.Repeat("x", 33<<10) // 66 KiB as UTF-16
	for _, tt := range []struct {
		name   string
		modify func(p *sms2vipps.Partner)
		fields []string
	}{
		{"Validate", func(p *sms2vipps.Partner) {
			p.Backend = "x"
			p.ShortNumbers = nil
			p.Tariff.Unit = 0
		}, []string{"backend", "shortNumbers", "tariff.unit"}},
		{"VippsBackend", func(p *sms2vipps.Partner) {
			p.Backend = sms2vipps.BackendVipps
		}, []string{"vipps.msn", "vipps.clientId", "vipps.clientSecret", "vipps.subscriptionKey"}},
		{"DialogueKeys", func(p *sms2vipps.Partner) {
			p.Dialogues = []sms2vipps.Dialogue{dialogue("3000", "a/b"), dialogue("", "X"), dialogue("30:00", "Y"),
				dialogue("4000", "dup"), dialogue("4000", "DUP")}
		}, []string{"dialogues[0].keyword", "dialogues[1].shortNumber", "dialogues[2].shortNumber", "dialogues[4].keyword"}},
		{"TableLimits", func(p *sms2vipps.Partner) {
			p.Paycore.Secret = long
			p.Texts.Help = long
			p.Dialogues = []sms2vipps.Dialogue{dialogue("3000", "A")}
			p.Dialogues[0].ReplyText = long
		}, []string{"partner", "paycore.secret", "dialogues[0].replyText"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			reg := MustOpen(t, newPrefix(t), tablestore.Config{}).Partners
			p := paycorePartner(3, "2000")
			tt.modify(p)
			err := reg.Put(ctx, p)
			require.Equal(t, sms2vipps.EINVALID, sms2vipps.ErrorCode(err), "%v", err)
			var fields []string
			for _, f := range sms2vipps.ErrorFields(err) {
				fields = append(fields, f.Field)
			}
			assert.Subset(t, fields, tt.fields)
			assert.NotContains(t, err.Error(), long, "values are not echoed")

			_, err = reg.Get(ctx, 3)
			assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err), "nothing was written")
			all, err := reg.List(ctx)
			require.NoError(t, err)
			assert.Empty(t, all)
		})
	}
}

func TestRegistryPartnersByShortNumber(t *testing.T) {
	ctx := context.Background()
	reg := MustOpen(t, newPrefix(t), tablestore.Config{}).Partners
	a := paycorePartner(30, "2000")
	a.Dialogues = []sms2vipps.Dialogue{dialogue("3000", "A"), dialogue("2000", "B")}
	b := paycorePartner(4, "2000")
	c := paycorePartner(500, "5000")
	c.Dialogues = []sms2vipps.Dialogue{dialogue("4000", "C"), dialogue("4000", "D")}
	for _, p := range []*sms2vipps.Partner{a, b, c} {
		require.NoError(t, reg.Put(ctx, p))
	}
	for _, tt := range []struct {
		shortNumber string
		want        []int64
	}{
		{"2000", []int64{4, 30}}, // a partner short number, also a's dialogue: a once
		{"3000", []int64{30}},    // only a dialogue's
		{"4000", []int64{500}},   // two dialogues of one partner
		{"5000", []int64{500}},
		{"9999", nil},
		{"", nil},
	} {
		t.Run(tt.shortNumber, func(t *testing.T) {
			got, err := reg.PartnersByShortNumber(ctx, tt.shortNumber)
			if tt.want == nil {
				assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, ids(got))
		})
	}
}

func TestRegistryNotFound(t *testing.T) {
	ctx := context.Background()
	reg := MustOpen(t, newPrefix(t), tablestore.Config{}).Partners
	require.NoError(t, reg.Put(ctx, paycorePartner(1, "2000")))
	for _, tt := range []struct {
		name string
		call func() error
	}{
		{"Partner", func() error { _, err := reg.Partner(ctx, 2); return err }},
		{"Get", func() error { _, err := reg.Get(ctx, 2); return err }},
		{"Delete", func() error { return reg.Delete(ctx, 2) }},
		{"PartnersByShortNumber", func() error { _, err := reg.PartnersByShortNumber(ctx, "1"); return err }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.call()
			assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err), "%v", err)
		})
	}
}

// A partner whose secret names a missing app setting fails its own
// lookups, loudly, and nobody else's.
func TestRegistryMissingSetting(t *testing.T) {
	ctx := context.Background()
	reg := MustOpen(t, newPrefix(t), tablestore.Config{Getenv: env(nil)}).Partners
	broken := paycorePartner(1, "2000")
	broken.Paycore.Secret = "env:NOT_SET"
	require.NoError(t, reg.Put(ctx, broken), "Put stores what it is given")
	require.NoError(t, reg.Put(ctx, paycorePartner(2, "3000")))

	_, err := reg.Partner(ctx, 1)
	assert.Equal(t, sms2vipps.EINTERNAL, sms2vipps.ErrorCode(err))
	assert.ErrorContains(t, err, "paycore.secret: environment variable NOT_SET is not set")
	_, err = reg.PartnersByShortNumber(ctx, "2000")
	assert.Equal(t, sms2vipps.EINTERNAL, sms2vipps.ErrorCode(err))
	_, err = reg.Partner(ctx, 2)
	assert.NoError(t, err)
	got, err := reg.Get(ctx, 1)
	require.NoError(t, err)
	assert.Equal(t, "env:NOT_SET", got.Paycore.Secret)
}

// Another instance's change is seen once the snapshot is a TTL old, and
// not before: lookups between make no network call.
func TestRegistrySnapshotTTL(t *testing.T) {
	ctx := context.Background()
	prefix := newPrefix(t)
	clk := newClock()
	const ttl = 30 * time.Second
	reader := MustOpen(t, prefix, tablestore.Config{TTL: ttl, Now: clk.Now}).Partners
	writer := MustOpen(t, prefix, tablestore.Config{}).Partners

	p := paycorePartner(8, "2000")
	p.Name = "v1"
	require.NoError(t, writer.Put(ctx, p))
	got, err := reader.Partner(ctx, 8) // loads the snapshot at the clock's time
	require.NoError(t, err)
	require.Equal(t, "v1", got.Name)

	p.Name = "v2"
	p.ShortNumbers = []string{"2001"}
	require.NoError(t, writer.Put(ctx, p))
	clk.Add(ttl - time.Nanosecond)
	got, err = reader.Partner(ctx, 8)
	require.NoError(t, err)
	assert.Equal(t, "v1", got.Name, "within the TTL the snapshot is served")
	_, err = reader.PartnersByShortNumber(ctx, "2000")
	assert.NoError(t, err)

	clk.Add(time.Nanosecond)
	got, err = reader.Partner(ctx, 8)
	require.NoError(t, err)
	assert.Equal(t, "v2", got.Name, "after the TTL the table is read again")
	_, err = reader.PartnersByShortNumber(ctx, "2000")
	assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))

	require.NoError(t, writer.Delete(ctx, 8))
	_, err = reader.Partner(ctx, 8)
	assert.NoError(t, err, "the delete is not seen within the TTL")
	clk.Add(ttl)
	_, err = reader.Partner(ctx, 8)
	assert.Equal(t, sms2vipps.ENOTFOUND, sms2vipps.ErrorCode(err))

	p.Name = "own"
	require.NoError(t, reader.Put(ctx, p))
	got, err = reader.Partner(ctx, 8)
	require.NoError(t, err)
	assert.Equal(t, "own", got.Name, "a write through the same registry is seen at once")
}

// While the table cannot be read, the last snapshot is served for up to
// MaxStale; after that lookups fail.
func TestRegistryServesStaleSnapshot(t *testing.T) {
	ctx := context.Background()
	prefix := newPrefix(t)
	clk := newClock()
	reg := MustOpen(t, prefix, tablestore.Config{TTL: time.Minute, MaxStale: 10 * time.Minute, Now: clk.Now,
		Logger: slog.New(slog.NewTextHandler(t.Output(), nil))}).Partners
	require.NoError(t, reg.Put(ctx, paycorePartner(1, "2000")))
	_, err := reg.Partner(ctx, 1)
	require.NoError(t, err)

	svc, err := aztables.NewServiceClientFromConnectionString(connString(t), nil)
	require.NoError(t, err)
	_, err = svc.DeleteTable(ctx, prefix+tablestore.PartnersTable, nil)
	require.NoError(t, err)

	clk.Add(5 * time.Minute)
	_, err = reg.Partner(ctx, 1)
	assert.NoError(t, err, "stale but within MaxStale")
	clk.Add(6 * time.Minute)
	_, err = reg.Partner(ctx, 1)
	assert.Error(t, err, "too stale to serve")
}

// The registry answers as partnerfile does for the same partners: the
// example file, and partners sharing short numbers through dialogues.
func TestRegistryMatchesPartnerfile(t *testing.T) {
	getenv := env(fixtureEnv)
	for _, tt := range []struct {
		name string
		load func(t *testing.T) *partnerfile.Registry
	}{
		{"ExampleFile", func(t *testing.T) *partnerfile.Registry {
			file, err := partnerfile.Load(filepath.Join("..", "partners.example.json"), getenv)
			require.NoError(t, err)
			return file
		}},
		{"Dialogues", func(t *testing.T) *partnerfile.Registry {
			full := fullPartner(42)
			// partnerfile resolves "env:" only in paycore.secret.
			full.Vipps.ClientSecret, full.API.Secret = "literal-client-secret", "bGl0ZXJhbA=="
			other := paycorePartner(7, "4000")
			other.Dialogues = []sms2vipps.Dialogue{dialogue("2030", "OTHER")}
			b, err := json.Marshal(map[string]any{"partners": []*sms2vipps.Partner{full, other}})
			require.NoError(t, err)
			file, err := partnerfile.Parse(b, getenv)
			require.NoError(t, err)
			return file
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			file := tt.load(t)
			reg := MustOpen(t, newPrefix(t), tablestore.Config{Getenv: getenv}).Partners
			shortNumbers := map[string]bool{"0": true, "99999": true}
			idSet := map[int64]bool{0: true, 424242: true}
			for _, p := range file.All() {
				require.NoError(t, reg.Put(ctx, p))
				idSet[p.ID] = true
				for _, sn := range p.ShortNumbers {
					shortNumbers[sn] = true
				}
				for _, d := range p.Dialogues {
					shortNumbers[d.ShortNumber] = true
				}
			}
			for id := range idSet {
				want, wantErr := file.Partner(ctx, id)
				got, err := reg.Partner(ctx, id)
				assert.Equal(t, sms2vipps.ErrorCode(wantErr), sms2vipps.ErrorCode(err), "partner %d", id)
				assert.Equal(t, want, got, "partner %d", id)
			}
			for sn := range shortNumbers {
				want, wantErr := file.PartnersByShortNumber(ctx, sn)
				got, err := reg.PartnersByShortNumber(ctx, sn)
				assert.Equal(t, sms2vipps.ErrorCode(wantErr), sms2vipps.ErrorCode(err), "short number %s", sn)
				assert.ElementsMatch(t, want, got, "short number %s", sn)
			}
		})
	}
}
