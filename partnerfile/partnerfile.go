// Package partnerfile reads partner configuration from a JSON file: the
// embedded default registry, for local runs and tests. (Production keeps
// partners in Azure Table Storage.)
//
// The file is {"partners": [ ... ]} with the fields of sms2vipps.Partner.
// A secret may be written as "env:NAME" to read it from the environment,
// so the file itself need hold no secrets.
package partnerfile

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/linkmobility/sms2vipps"
)

// Registry is an in-memory sms2vipps.PartnerRegistry loaded from a file.
type Registry struct {
	byID    map[int64]*sms2vipps.Partner
	byShort map[string][]*sms2vipps.Partner
}

var _ sms2vipps.PartnerRegistry = (*Registry)(nil)

type file struct {
	Partners []*sms2vipps.Partner `json:"partners"`
}

// Load reads and validates the file at path. The error names every bad
// partner and field, so one start-up shows all that is wrong.
func Load(path string, getenv func(string) string) (*Registry, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("partners file: %w", err)
	}
	return Parse(b, getenv)
}

// Parse reads and validates partner JSON.
func Parse(b []byte, getenv func(string) string) (*Registry, error) {
	var f file
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("partners file: %w", err)
	}
	r := &Registry{byID: map[int64]*sms2vipps.Partner{}, byShort: map[string][]*sms2vipps.Partner{}}
	var errs []error
	for i, p := range f.Partners {
		if p == nil {
			errs = append(errs, fmt.Errorf("partners[%d]: empty", i))
			continue
		}
		if err := resolveSecret(&p.Paycore.Secret, getenv); err != nil {
			errs = append(errs, fmt.Errorf("partner %d: paycore.secret: %w", p.ID, err))
		}
		if err := p.Validate(); err != nil {
			for _, fe := range sms2vipps.ErrorFields(err) {
				errs = append(errs, fmt.Errorf("partner %d: %s: %s", p.ID, fe.Field, fe.Reason))
			}
			continue
		}
		if r.byID[p.ID] != nil {
			errs = append(errs, fmt.Errorf("partner %d: id used twice", p.ID))
			continue
		}
		r.byID[p.ID] = p
		for _, sn := range shortNumbersOf(p) {
			r.byShort[sn] = append(r.byShort[sn], p)
		}
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("partners file: %w", errors.Join(errs...))
	}
	return r, nil
}

func resolveSecret(s *string, getenv func(string) string) error {
	name, ok := strings.CutPrefix(*s, "env:")
	if !ok {
		return nil
	}
	v := getenv(name)
	if v == "" {
		return fmt.Errorf("environment variable %s is not set", name)
	}
	*s = v
	return nil
}

// Partner returns the partner with id, or ENOTFOUND.
func (r *Registry) Partner(_ context.Context, id int64) (*sms2vipps.Partner, error) {
	if p := r.byID[id]; p != nil {
		return p, nil
	}
	return nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no partner %d", id)
}

// PartnersByShortNumber returns the partners that own the short number.
func (r *Registry) PartnersByShortNumber(_ context.Context, shortNumber string) ([]*sms2vipps.Partner, error) {
	if ps := r.byShort[shortNumber]; len(ps) > 0 {
		return ps, nil
	}
	return nil, sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no partner has short number %s", shortNumber)
}

// All returns every partner, in no particular order.
func (r *Registry) All() []*sms2vipps.Partner {
	out := make([]*sms2vipps.Partner, 0, len(r.byID))
	for _, p := range r.byID {
		out = append(out, p)
	}
	return out
}

// shortNumbersOf returns the partner's short numbers and its dialogues',
// each once.
func shortNumbersOf(p *sms2vipps.Partner) []string {
	seen := map[string]bool{}
	var out []string
	add := func(sn string) {
		if !seen[sn] {
			seen[sn] = true
			out = append(out, sn)
		}
	}
	for _, sn := range p.ShortNumbers {
		add(sn)
	}
	for _, d := range p.Dialogues {
		add(d.ShortNumber)
	}
	return out
}
