package sandbox

import (
	"fmt"
	"time"
	// The Oslo calendar must work in a bare container without zone files
	// (DESIGN.md §7).
	_ "time/tzdata"
)

// oslo is the calendar of Recurring's due dates: Vipps processes charges
// by the Norwegian date, whatever the UTC time.
var oslo = func() *time.Location {
	loc, err := time.LoadLocation("Europe/Oslo")
	if err != nil {
		panic("sandbox: " + err.Error())
	}
	return loc
}()

// A date is a calendar day, held as midnight UTC of that day so that dates
// compare and subtract simply.
type date = time.Time

// osloDate returns the Oslo calendar day at t.
func osloDate(t time.Time) date {
	y, m, d := t.In(oslo).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parseDate reads "2006-01-02".
func parseDate(s string) (date, error) {
	d, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return date{}, fmt.Errorf("%q is not a date such as 2030-12-31", s)
	}
	return d, nil
}

// daysBetween returns b − a in whole days.
func daysBetween(a, b date) int { return int(b.Sub(a).Hours() / 24) }

// addInterval adds n intervals of unit×count to d.
func addInterval(d date, unit string, count, n int) date {
	switch unit {
	case "YEAR":
		return d.AddDate(n*count, 0, 0)
	case "MONTH":
		return d.AddDate(0, n*count, 0)
	case "WEEK":
		return d.AddDate(0, 0, 7*n*count)
	default:
		return d.AddDate(0, 0, n*count)
	}
}

// intervalAround returns the interval [from, to) of an agreement that
// started on start and repeats every count units, in which day falls.
// Charges of one interval share the 5× price ceiling (VIPPS.md §3).
func intervalAround(start date, unit string, count int, day date) (from, to date) {
	if count < 1 {
		count = 1
	}
	n := 0
	if unit == "DAY" || unit == "WEEK" {
		step := count
		if unit == "WEEK" {
			step *= 7
		}
		n = daysBetween(start, day) / step
	}
	for !addInterval(start, unit, count, n+1).After(day) {
		n++
	}
	for n > 0 && addInterval(start, unit, count, n).After(day) {
		n--
	}
	return addInterval(start, unit, count, n), addInterval(start, unit, count, n+1)
}

// intervalText is how the app words an interval: "every month", "every
// 2 weeks".
func intervalText(unit string, count int) string {
	word := map[string]string{"YEAR": "year", "MONTH": "month", "WEEK": "week", "DAY": "day"}[unit]
	if count == 1 {
		return "every " + word
	}
	return fmt.Sprintf("every %d %ss", count, word)
}
