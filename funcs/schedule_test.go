package funcs_test

import (
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linkmobility/sms2vipps/funcs"
)

func errorsIs(err, target error) bool { return errors.Is(err, target) }

// nextN lists the first n occurrences after from.
func nextN(s funcs.Schedule, from time.Time, n int) []time.Time {
	var out []time.Time
	for t := from; len(out) < n; {
		t = s.Next(t)
		out = append(out, t)
	}
	return out
}

func utc(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParseSchedule(t *testing.T) {
	from := utc("2026-03-13T10:15:30Z") // a Friday

	for _, tt := range []struct {
		name string
		expr string
		want []string
	}{
		{"EveryMinute", "0 */1 * * * *", []string{"2026-03-13T10:16:00Z", "2026-03-13T10:17:00Z", "2026-03-13T10:18:00Z"}},
		{"Hourly", "0 0 * * * *", []string{"2026-03-13T11:00:00Z", "2026-03-13T12:00:00Z", "2026-03-13T13:00:00Z"}},
		{"FiveFieldsHaveNoSeconds", "*/5 * * * *", []string{"2026-03-13T10:20:00Z", "2026-03-13T10:25:00Z", "2026-03-13T10:30:00Z"}},
		{"EveryTenSeconds", "*/10 * * * * *", []string{"2026-03-13T10:15:40Z", "2026-03-13T10:15:50Z", "2026-03-13T10:16:00Z"}},
		{"WeekdaysAtNineThirty", "0 30 9 * * 1-5", []string{"2026-03-16T09:30:00Z", "2026-03-17T09:30:00Z", "2026-03-18T09:30:00Z"}},
		// NCrontab requires both day fields to match; Vixie cron would fire on
		// every 13th and every Friday.
		{"DayAndWeekdayBothMatch", "0 0 0 13 * 5", []string{"2026-11-13T00:00:00Z", "2027-08-13T00:00:00Z", "2028-10-13T00:00:00Z"}},
		{"FirstMondayOfMonth", "0 0 0 1-7 * mon", []string{"2026-04-06T00:00:00Z", "2026-05-04T00:00:00Z", "2026-06-01T00:00:00Z"}},
		{"FridayFromThe25th", "0 0 0 25-31 * 5", []string{"2026-03-27T00:00:00Z", "2026-05-29T00:00:00Z", "2026-06-26T00:00:00Z"}},
		{"NamedMonthsAndDays", "0 0 12 * JAN-MAR SAT,SUN", []string{"2026-03-14T12:00:00Z", "2026-03-15T12:00:00Z", "2026-03-21T12:00:00Z"}},
		{"Whitespace", "  0 0 * * * *\t", []string{"2026-03-13T11:00:00Z", "2026-03-13T12:00:00Z", "2026-03-13T13:00:00Z"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := funcs.ParseSchedule(tt.expr)
			require.NoError(t, err)
			var want []time.Time
			for _, w := range tt.want {
				want = append(want, utc(w))
			}
			assert.Equal(t, want, nextN(s, from, len(want)))
		})
	}
}

func TestParseScheduleComputesInUTC(t *testing.T) {
	s, err := funcs.ParseSchedule("0 0 2 * * *")
	require.NoError(t, err)
	oslo, err := time.LoadLocation("Europe/Oslo")
	require.NoError(t, err)
	from := time.Date(2026, 6, 1, 12, 0, 0, 0, oslo)
	assert.True(t, s.Next(from).Equal(utc("2026-06-02T02:00:00Z")))
}

func TestParseScheduleNeverMatching(t *testing.T) {
	s, err := funcs.ParseSchedule("0 0 0 30 2 *") // February 30th
	require.NoError(t, err)
	assert.True(t, s.Next(utc("2026-01-01T00:00:00Z")).IsZero())
}

func TestParseScheduleErrors(t *testing.T) {
	for _, tt := range []struct{ name, expr string }{
		{"Empty", " "},
		{"FourFields", "* * * *"},
		{"SevenFields", "0 0 0 * * * 2026"},
		{"BadSecond", "61 * * * * *"},
		{"Descriptor", "@hourly"},
		{"TimeZone", "TZ=Europe/Oslo 0 0 * * * *"},
		{"TimeSpan", "00:05:00"},
		{"UnexpandedSetting", "%RECONCILER_SCHEDULE%"},
		// NCrontab reads "22-2" as 2-22 and has no weekday 7; refuse both
		// rather than wrap around or take 7 as Sunday.
		{"ReversedRange", "0 0 22-2 * * *"},
		{"ReversedNamedRange", "0 0 0 * * FRI-MON"},
		{"ReversedFiveFields", "0 0 * 11-2 *"},
		{"SundayAsSeven", "0 0 0 * * 7"},
		{"SundayAsSevenInRange", "0 0 0 * * 5-7"},
		{"DomLast", "0 0 0 L * *"},
		{"DowNth", "0 0 0 * * 5#3"},
		{"Hash", "H * * * * *"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := funcs.ParseSchedule(tt.expr)
			assert.Error(t, err)
		})
	}
}
