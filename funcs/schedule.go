package funcs

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Schedule yields the occurrences of a timer schedule. Next returns the first
// occurrence strictly after t, or the zero time if there is none.
type Schedule interface {
	Next(t time.Time) time.Time
}

// ncrontab accepts the host's NCRONTAB: six fields {second} {minute} {hour}
// {day} {month} {day-of-week}, or five without the seconds (§1.7).
var ncrontab = cron.NewParser(cron.SecondOptional | cron.Minute | cron.Hour | cron.Dom | cron.Month | cron.Dow)

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
	spec.Location = time.UTC
	return andSchedule{spec}, nil
}

// andSchedule gives day-of-month and day-of-week NCrontab's meaning: a day
// must match both. robfig/cron follows Vixie cron, where a day matches either
// when both fields are restricted, so "0 0 0 13 * 5" would fire on every 13th
// and every Friday locally but only on Friday the 13th in Azure.
type andSchedule struct {
	spec *cron.SpecSchedule
}

// Next filters robfig's candidates, a superset of NCrontab's occurrences. The
// bound matches robfig's own five-year search horizon.
func (s andSchedule) Next(t time.Time) time.Time {
	limit := t.AddDate(5, 0, 0)
	for n := s.spec.Next(t); !n.IsZero() && n.Before(limit); n = s.spec.Next(t) {
		u := n.In(time.UTC)
		if s.spec.Dom&(1<<uint(u.Day())) != 0 && s.spec.Dow&(1<<uint(u.Weekday())) != 0 {
			return n
		}
		// Skip the rest of a day that only matched one of the fields.
		t = time.Date(u.Year(), u.Month(), u.Day(), 23, 59, 59, 0, time.UTC).In(n.Location())
	}
	return time.Time{}
}
