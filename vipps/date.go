package vipps

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
)

// Date is a calendar date. Recurring takes a charge's due date as
// "2006-01-02" and answers it as a date-time, "2019-06-01T00:00:00Z"
// (VIPPS.md §3); both are read, and the date is taken as written, never
// moved into another zone.
type Date struct {
	Year  int
	Month time.Month
	Day   int
}

// DateOf returns the date of t in t's location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return Date{y, m, d}
}

// ParseDate reads "2006-01-02", or an RFC 3339 date-time whose date part is
// taken as written.
func ParseDate(s string) (Date, error) {
	s = strings.TrimSpace(s)
	if len(s) < 10 {
		return Date{}, fmt.Errorf("%q is not a date", s)
	}
	if rest := s[10:]; rest != "" {
		if rest[0] != 'T' && rest[0] != 't' && rest[0] != ' ' {
			return Date{}, fmt.Errorf("%q is not a date", s)
		}
		ok := false
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999999999", "2006-01-02 15:04:05.999999999Z07:00"} {
			if _, err := time.Parse(layout, strings.Replace(s, "t", "T", 1)); err == nil {
				ok = true
				break
			}
		}
		if !ok {
			return Date{}, fmt.Errorf("%q is not a date or date-time", s)
		}
	}
	t, err := time.Parse(time.DateOnly, s[:10])
	if err != nil {
		return Date{}, fmt.Errorf("%q is not a date", s)
	}
	return DateOf(t), nil
}

// IsZero reports whether d is the zero Date (sent as nothing with omitzero).
func (d Date) IsZero() bool { return d == Date{} }

// String is "2006-01-02", or "" for the zero Date.
func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return fmt.Sprintf("%04d-%02d-%02d", d.Year, int(d.Month), d.Day)
}

// In returns midnight of d in loc.
func (d Date) In(loc *time.Location) time.Time {
	return time.Date(d.Year, d.Month, d.Day, 0, 0, 0, 0, loc)
}

// Valid reports whether d is a real calendar date.
func (d Date) Valid() bool {
	return !d.IsZero() && DateOf(d.In(time.UTC)) == d
}

// MarshalJSON writes "2006-01-02", or null for the zero Date.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return json.Marshal(d.String())
}

// UnmarshalJSON reads a date or a date-time; null and "" are the zero Date.
func (d *Date) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*d = Date{}
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("due date: %w", err)
	}
	if strings.TrimSpace(s) == "" {
		*d = Date{}
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}
