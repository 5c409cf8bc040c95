package tablestore

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"

	"github.com/Azure/azure-sdk-for-go/sdk/data/aztables"
	"github.com/linkmobility/sms2vipps"
)

// Table Storage limits (learn.microsoft.com/rest/api/storageservices/
// understanding-the-table-service-data-model and
// performing-entity-group-transactions).
const (
	maxStringBytes = 64 << 10 // one string property, UTF-16
	maxKeyBytes    = 1 << 10  // PartitionKey or RowKey, UTF-16
	maxBatchOps    = 100
	// maxBatchBytes keeps a transaction's payload well under the service's
	// 4 MiB, leaving room for the multipart headers of every operation.
	maxBatchBytes = 3 << 20
	// batchOpOverhead estimates one operation's multipart headers and URL.
	batchOpOverhead = 1 << 10
)

const (
	partnerRowKey   = "p"
	dialoguePrefix  = "d:"
	keySeparator    = ":"
	dialogueKeyNext = ";" // the character after ':', to bound a RowKey range
)

// row is any row of the partners table; which fields are set depends on
// the RowKey.
type row struct {
	PartitionKey string
	RowKey       string
	ETag         string `json:"odata.etag"`

	// The partner row.
	Config               string
	PaycoreSecret        string
	APISecret            string
	CRMSecret            string
	VippsClientSecret    string
	VippsSubscriptionKey string
	Gen                  string
	Dialogues            int32

	// A dialogue row.
	Keyword            string
	ShortNumber        string
	GroupID            aztables.EDMInt64
	Start              string
	End                string
	Period             string
	ProductName        string
	ProductDescription string
	Amount             aztables.EDMInt64
	Sender             string
	ReplyText          string
	Position           int32
}

// secret is one of a partner's secrets: its field name in errors, its
// property in the partner row, and where it lives in a Partner and a row.
type secret struct {
	field, prop string
	in          func(*sms2vipps.Partner) *string
	stored      func(*row) *string
}

// secrets are every secret of a partner, each in a property of its own.
var secrets = []secret{
	{"paycore.secret", "PaycoreSecret",
		func(p *sms2vipps.Partner) *string { return &p.Paycore.Secret }, func(r *row) *string { return &r.PaycoreSecret }},
	{"api.secret", "APISecret",
		func(p *sms2vipps.Partner) *string { return &p.API.Secret }, func(r *row) *string { return &r.APISecret }},
	{"crm.secret", "CRMSecret",
		func(p *sms2vipps.Partner) *string { return &p.CRM.Secret }, func(r *row) *string { return &r.CRMSecret }},
	{"vipps.clientSecret", "VippsClientSecret",
		func(p *sms2vipps.Partner) *string { return &p.Vipps.ClientSecret }, func(r *row) *string { return &r.VippsClientSecret }},
	{"vipps.subscriptionKey", "VippsSubscriptionKey",
		func(p *sms2vipps.Partner) *string { return &p.Vipps.SubscriptionKey }, func(r *row) *string { return &r.VippsSubscriptionKey }},
}

// configJSON is the partner without its dialogues (rows of their own) and
// without its secrets (properties of their own, so the configuration can
// be read, logged and diffed without exposing them).
func configJSON(p *sms2vipps.Partner) (string, error) {
	c := *p
	c.Dialogues = nil
	for _, s := range secrets {
		*s.in(&c) = ""
	}
	b, err := json.Marshal(&c)
	return string(b), err
}

// partnerEntity is the partner row of p for dialogue generation gen.
func partnerEntity(p *sms2vipps.Partner, config, gen string) ([]byte, error) {
	props := map[string]any{
		"Config":    config,
		"Gen":       gen,
		"Dialogues": int32(len(p.Dialogues)),
	}
	for _, s := range secrets {
		props[s.prop] = *s.in(p)
	}
	return json.Marshal(aztables.EDMEntity{
		Entity:     aztables.Entity{PartitionKey: partitionKey(p.ID), RowKey: partnerRowKey},
		Properties: props,
	})
}

// dialogueRowKey is the RowKey of a dialogue in generation gen.
func dialogueRowKey(gen string, d sms2vipps.Dialogue) string {
	return dialoguePrefix + gen + keySeparator + d.ShortNumber + keySeparator + strings.ToUpper(d.Keyword)
}

func dialogueEntity(id int64, gen string, i int, d sms2vipps.Dialogue) ([]byte, error) {
	return json.Marshal(aztables.EDMEntity{
		Entity: aztables.Entity{PartitionKey: partitionKey(id), RowKey: dialogueRowKey(gen, d)},
		Properties: map[string]any{
			"Keyword":            d.Keyword,
			"ShortNumber":        d.ShortNumber,
			"GroupID":            aztables.EDMInt64(d.GroupID),
			"Start":              string(d.Start),
			"End":                string(d.End),
			"Period":             string(d.Period),
			"ProductName":        d.ProductName,
			"ProductDescription": d.ProductDescription,
			"Amount":             aztables.EDMInt64(d.Amount),
			"Sender":             d.Sender,
			"ReplyText":          d.ReplyText,
			"Position":           int32(i),
		},
	})
}

func (r *row) dialogue() sms2vipps.Dialogue {
	return sms2vipps.Dialogue{
		Keyword:            r.Keyword,
		ShortNumber:        r.ShortNumber,
		GroupID:            int64(r.GroupID),
		Start:              sms2vipps.Date(r.Start),
		End:                sms2vipps.Date(r.End),
		Period:             sms2vipps.Interval(r.Period),
		ProductName:        r.ProductName,
		ProductDescription: r.ProductDescription,
		Amount:             sms2vipps.Amount(r.Amount),
		Sender:             r.Sender,
		ReplyText:          r.ReplyText,
	}
}

// keyEntity is the smallest entity a delete in a transaction accepts.
func keyEntity(pk, rk string) []byte {
	b, _ := json.Marshal(map[string]string{"PartitionKey": pk, "RowKey": rk})
	return b
}

// partition is what one partner's partition holds.
type partition struct {
	pk        string
	partner   *row  // nil when the partner does not exist
	dialogues []row // of every generation
}

// assemble builds the partner (secrets as stored) from its partition. ok
// is false when the partition is not a committed state, because a Put or
// Delete ran while it was read: the caller reads it again.
func (pt *partition) assemble() (p *sms2vipps.Partner, ok bool, err error) {
	if pt.partner == nil {
		return nil, true, nil
	}
	r := pt.partner
	p = new(sms2vipps.Partner)
	if err := json.Unmarshal([]byte(r.Config), p); err != nil {
		return nil, true, fmt.Errorf("partner row %s: config: %w", pt.pk, err)
	}
	if partitionKey(p.ID) != pt.pk {
		return nil, true, fmt.Errorf("partner row %s: config holds id %d", pt.pk, p.ID)
	}
	for _, s := range secrets {
		*s.in(p) = *s.stored(r)
	}
	prefix := dialoguePrefix + r.Gen + keySeparator
	var ds []row
	for _, d := range pt.dialogues {
		if strings.HasPrefix(d.RowKey, prefix) {
			ds = append(ds, d)
		}
	}
	if len(ds) != int(r.Dialogues) {
		return nil, false, nil
	}
	if len(ds) > 0 {
		p.Dialogues = make([]sms2vipps.Dialogue, len(ds))
		for _, d := range ds {
			if d.Position < 0 || int(d.Position) >= len(ds) {
				return nil, true, fmt.Errorf("dialogue row %s/%s: position %d out of range", pt.pk, d.RowKey, d.Position)
			}
			p.Dialogues[d.Position] = d.dialogue()
		}
	}
	return p, true, nil
}

// checkStorable adds to v every way p would break a Table Storage limit or
// the key scheme. Validate does not cover dialogues, so their keys are
// checked here too.
func checkStorable(v *sms2vipps.Validation, p *sms2vipps.Partner, config string) {
	v.Check(utf16Bytes(config) <= maxStringBytes, "partner",
		fmt.Sprintf("the configuration is %d KiB as UTF-16 JSON; Table Storage allows 64 KiB", utf16Bytes(config)>>10))
	for _, s := range secrets {
		v.Check(utf16Bytes(*s.in(p)) <= maxStringBytes, s.field, "must be at most 64 KiB")
	}
	first := map[string]int{}
	for i, d := range p.Dialogues {
		f := func(name string) string { return fmt.Sprintf("dialogues[%d].%s", i, name) }
		v.Check(d.ShortNumber != "" && !strings.Contains(d.ShortNumber, keySeparator) && validKeyPart(d.ShortNumber),
			f("shortNumber"), `must not be empty, nor hold ':', '/', '\', '#', '?' or control characters`)
		v.Check(d.Keyword != "" && validKeyPart(d.Keyword),
			f("keyword"), `must not be empty, nor hold '/', '\', '#', '?' or control characters`)
		key := d.ShortNumber + keySeparator + strings.ToUpper(d.Keyword)
		v.Check(utf16Bytes(dialogueRowKey(strings.Repeat("X", genLen), d)) <= maxKeyBytes,
			f("keyword"), "short number and keyword are too long for a table key")
		if j, dup := first[key]; dup {
			v.Add(f("keyword"), fmt.Sprintf("dialogues[%d] already has this keyword on short number %s", j, d.ShortNumber))
		} else {
			first[key] = i
		}
		for _, s := range []struct{ name, value string }{
			{"start", string(d.Start)}, {"end", string(d.End)}, {"period", string(d.Period)},
			{"productName", d.ProductName}, {"productDescription", d.ProductDescription},
			{"sender", d.Sender}, {"replyText", d.ReplyText},
		} {
			v.Check(utf16Bytes(s.value) <= maxStringBytes, f(s.name), "must be at most 64 KiB")
		}
	}
}

// validKeyPart reports whether s may appear in a PartitionKey or RowKey.
func validKeyPart(s string) bool {
	for _, r := range s {
		if r == '/' || r == '\\' || r == '#' || r == '?' || r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			return false
		}
	}
	return true
}

func utf16Bytes(s string) int {
	n := 0
	for _, r := range s {
		n += 2 * utf16.RuneLen(r)
	}
	return n
}

// odataString quotes s as an OData string literal.
func odataString(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// parseID reads a partner id back from its PartitionKey.
func parseID(pk string) (int64, error) { return strconv.ParseInt(pk, 10, 64) }
