package funcs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	// netresearch/go-cron: the maintained, API-compatible fork of the
	// original Go cron package (unreleased since 2020), pinned to an exact
	// version in go.mod. It ANDs day-of-month and day-of-week, as NCrontab does.
	cron "github.com/netresearch/go-cron"
)

// Schedule yields the occurrences of a timer schedule. Next returns the first
// occurrence strictly after t, or the zero time if there is none.
type Schedule interface {
	Next(t time.Time) time.Time
}

// ncrontab accepts the host's NCRONTAB: six fields {second} {minute} {hour}
// {day} {month} {day-of-week}, or five without the seconds (§1.7).
var ncrontab = cron.MustNewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

// ParseSchedule parses an NCRONTAB expression (already expanded, see
// ExpandSetting). Occurrences are computed in UTC, as in Azure, where Linux
// plans ignore WEBSITE_TIME_ZONE (§1.7). Forms the host's timer would not run
// everywhere we deploy are refused: TZ= prefixes, @descriptors, and TimeSpan
// schedules ("00:05:00", App Service plans only).
func ParseSchedule(expr string) (Schedule, error) {
	e := strings.TrimSpace(expr)
	switch {
	case e == "":
		return nil, errors.New("parse schedule: empty")
	case strings.HasPrefix(e, "TZ=") || strings.HasPrefix(e, "CRON_TZ="):
		return nil, fmt.Errorf("parse schedule %q: time zone prefixes are not NCRONTAB; schedules run in UTC", expr)
	case strings.HasPrefix(e, "@"):
		return nil, fmt.Errorf("parse schedule %q: descriptors are not NCRONTAB", expr)
	case !strings.ContainsAny(e, " \t") && strings.Contains(e, ":"):
		return nil, fmt.Errorf("parse schedule %q: TimeSpan schedules work only on App Service plans; use NCRONTAB", expr)
	}
	s, err := ncrontab.Parse(e)
	if err != nil {
		return nil, fmt.Errorf("parse schedule %q: %w", expr, err)
	}
	spec, ok := s.(*cron.SpecSchedule)
	if !ok {
		return nil, fmt.Errorf("parse schedule %q: unexpected schedule type %T", expr, s)
	}
	if err := checkRanges(e); err != nil {
		return nil, fmt.Errorf("parse schedule %q: %w", expr, err)
	}
	spec.Location = time.UTC
	// A day must match both day-of-month and day-of-week, as in NCrontab:
	// "0 0 0 13 * 5" fires only on Friday the 13th. That is the parser's
	// default (DowOrDom, Vixie cron's OR, is not set).
	return spec, nil
}

// checkRanges refuses what the parser reads differently from NCrontab: a
// range whose start exceeds its end ("22-2" wraps around midnight here, while
// NCrontab swaps it into 2-22) and Sunday as 7 (NCrontab's weekdays are 0-6).
// Both were parse errors before, so they stay errors.
func checkRanges(e string) error {
	fields := strings.Fields(e)
	if len(fields) == 5 {
		fields = append([]string{"0"}, fields...)
	}
	for i, f := range fields {
		for _, part := range strings.Split(f, ",") {
			r, _, _ := strings.Cut(part, "/")
			lo, hi, isRange := strings.Cut(r, "-")
			if !isRange {
				hi = lo
			}
			a, aok := fieldValue(i, lo)
			b, bok := fieldValue(i, hi)
			if i == 5 && (aok && a == 7 || bok && b == 7) {
				return fmt.Errorf("day of week 7 is out of range 0-6: %q", part)
			}
			if aok && bok && a > b {
				return fmt.Errorf("beginning of range beyond end of range: %q", part)
			}
		}
	}
	return nil
}

var (
	monthNames = []string{"jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"}
	dowNames   = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}
)

// fieldValue reads a number, or a month or weekday name as the parser does.
func fieldValue(field int, s string) (int, bool) {
	names, base := []string(nil), 0
	switch field {
	case 4:
		names, base = monthNames, 1
	case 5:
		names = dowNames
	}
	for i, n := range names {
		if strings.EqualFold(s, n) {
			return i + base, true
		}
	}
	v, err := strconv.Atoi(s)
	return v, err == nil
}
