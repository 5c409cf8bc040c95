package sms2vipps

import (
	"fmt"
	"time"
)

// Oslo is the calendar subscriptions are charged by. Azure Functions on
// Linux run in UTC and ignore WEBSITE_TIME_ZONE; the handler binary embeds
// time/tzdata so this loads on a bare host.
var Oslo = mustLoad("Europe/Oslo")

func mustLoad(name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		panic(fmt.Sprintf("time zone %s: %v (import time/tzdata)", name, err))
	}
	return loc
}

const dateLayout = "2006-01-02"

// ParseDate reads "2026-01-31".
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(dateLayout, s)
	if err != nil {
		return "", fmt.Errorf("date %q: want YYYY-MM-DD", s)
	}
	return Date(t.Format(dateLayout)), nil
}

// DateOf returns the Oslo calendar date of the instant t.
func DateOf(t time.Time) Date { return Date(t.In(Oslo).Format(dateLayout)) }

// civil splits the date; it panics on a malformed date, which ParseDate
// keeps out.
func (d Date) civil() (y int, m time.Month, day int) {
	t, err := time.Parse(dateLayout, string(d))
	if err != nil {
		panic(fmt.Sprintf("malformed date %q", string(d)))
	}
	return t.Date()
}

// Start returns the instant the date begins in Oslo (00:00 local time).
func (d Date) Start() time.Time {
	y, m, day := d.civil()
	return time.Date(y, m, day, 0, 0, 0, 0, Oslo)
}

// AddDays returns the date n calendar days later (earlier for negative n).
func (d Date) AddDays(n int) Date {
	y, m, day := d.civil()
	return Date(time.Date(y, m, day+n, 12, 0, 0, 0, time.UTC).Format(dateLayout))
}

// Before reports whether d is an earlier date than e.
func (d Date) Before(e Date) bool { return d < e } // YYYY-MM-DD sorts as it reads

// PeriodStart returns the first day of period n (n = 0 starts on the
// anchor). Periods are always counted from the anchor, so a month never
// drifts: anchored on the 31st they start 31 Jan, 28/29 Feb, 31 Mar,
// 30 Apr; anchored on 29 Feb a year starts 28 Feb in common years and
// 29 Feb in leap years.
func PeriodStart(anchor Date, iv Interval, n int) Date {
	y, m, d := anchor.civil()
	switch iv {
	case IntervalWeek:
		return anchor.AddDays(7 * n)
	case IntervalMonth:
		total := int(m) - 1 + n
		y, m = y+floorDiv(total, 12), time.Month(mod(total, 12)+1)
	case IntervalYear:
		y += n
	default:
		panic(fmt.Sprintf("unknown interval %q", iv))
	}
	return Date(time.Date(y, m, min(d, daysIn(y, m)), 12, 0, 0, 0, time.UTC).Format(dateLayout))
}

// PeriodIndex returns n such that PeriodStart(anchor, iv, n) == start, or
// false when start is not a period start of the anchor.
func PeriodIndex(anchor Date, iv Interval, start Date) (int, bool) {
	ay, am, ad := anchor.civil()
	sy, sm, sd := start.civil()
	var n int
	switch iv {
	case IntervalWeek:
		days := int(time.Date(sy, sm, sd, 12, 0, 0, 0, time.UTC).Sub(time.Date(ay, am, ad, 12, 0, 0, 0, time.UTC)).Hours() / 24)
		n = floorDiv(days, 7)
	case IntervalMonth:
		n = (sy-ay)*12 + int(sm) - int(am)
	case IntervalYear:
		n = sy - ay
	default:
		return 0, false
	}
	return n, PeriodStart(anchor, iv, n) == start
}

// NextPeriodStart returns the start of the period after the one starting on
// start.
func NextPeriodStart(anchor Date, iv Interval, start Date) (Date, error) {
	n, ok := PeriodIndex(anchor, iv, start)
	if !ok {
		return "", fmt.Errorf("%s is not a %s period start of an agreement anchored on %s", start, iv, anchor)
	}
	return PeriodStart(anchor, iv, n+1), nil
}

func daysIn(y int, m time.Month) int { return time.Date(y, m+1, 0, 12, 0, 0, 0, time.UTC).Day() }

func floorDiv(a, b int) int {
	q := a / b
	if (a%b != 0) && ((a < 0) != (b < 0)) {
		q--
	}
	return q
}

func mod(a, b int) int { return a - floorDiv(a, b)*b }
