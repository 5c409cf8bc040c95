package sms2vipps_test

import (
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPeriodStart(t *testing.T) {
	for _, tt := range []struct {
		name   string
		anchor sms2vipps.Date
		iv     sms2vipps.Interval
		want   []sms2vipps.Date // periods 0, 1, 2, ...
	}{
		{"month end clamps without drifting", "2026-01-31", sms2vipps.IntervalMonth,
			[]sms2vipps.Date{"2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"}},
		{"month end in a leap year", "2028-01-31", sms2vipps.IntervalMonth,
			[]sms2vipps.Date{"2028-01-31", "2028-02-29", "2028-03-31"}},
		{"the 30th", "2026-01-30", sms2vipps.IntervalMonth,
			[]sms2vipps.Date{"2026-01-30", "2026-02-28", "2026-03-30"}},
		{"across the year end", "2026-11-15", sms2vipps.IntervalMonth,
			[]sms2vipps.Date{"2026-11-15", "2026-12-15", "2027-01-15", "2027-02-15"}},
		{"29 February yearly", "2024-02-29", sms2vipps.IntervalYear,
			[]sms2vipps.Date{"2024-02-29", "2025-02-28", "2026-02-28", "2027-02-28", "2028-02-29"}},
		{"weekly across the year end", "2026-12-24", sms2vipps.IntervalWeek,
			[]sms2vipps.Date{"2026-12-24", "2026-12-31", "2027-01-07"}},
		{"weekly across Oslo's summer time switch", "2026-03-22", sms2vipps.IntervalWeek,
			[]sms2vipps.Date{"2026-03-22", "2026-03-29", "2026-04-05"}},
		{"weekly across Oslo's winter time switch", "2026-10-18", sms2vipps.IntervalWeek,
			[]sms2vipps.Date{"2026-10-18", "2026-10-25", "2026-11-01"}},
		{"monthly from 29 February keeps the 29th", "2028-02-29", sms2vipps.IntervalMonth,
			[]sms2vipps.Date{"2028-02-29", "2028-03-29", "2028-04-29", "2028-05-29"}},
		{"the 29th in a common and a leap February", "2027-12-29", sms2vipps.IntervalMonth,
			[]sms2vipps.Date{"2027-12-29", "2028-01-29", "2028-02-29", "2028-03-29"}},
		{"the 31st over a year", "2027-12-31", sms2vipps.IntervalMonth,
			[]sms2vipps.Date{"2027-12-31", "2028-01-31", "2028-02-29", "2028-03-31", "2028-04-30", "2028-05-31",
				"2028-06-30", "2028-07-31", "2028-08-31", "2028-09-30", "2028-10-31", "2028-11-30", "2028-12-31", "2029-01-31", "2029-02-28"}},
		{"yearly from the 31st of a month", "2027-03-31", sms2vipps.IntervalYear,
			[]sms2vipps.Date{"2027-03-31", "2028-03-31", "2029-03-31"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for n, want := range tt.want {
				got := sms2vipps.PeriodStart(tt.anchor, tt.iv, n)
				assert.Equal(t, want, got, "period %d", n)
				idx, ok := sms2vipps.PeriodIndex(tt.anchor, tt.iv, got)
				assert.True(t, ok)
				assert.Equal(t, n, idx)
				if n > 0 {
					next, err := sms2vipps.NextPeriodStart(tt.anchor, tt.iv, tt.want[n-1])
					require.NoError(t, err)
					assert.Equal(t, want, next)
				}
			}
		})
	}
	_, err := sms2vipps.NextPeriodStart("2026-01-31", sms2vipps.IntervalMonth, "2026-02-27")
	assert.Error(t, err, "not a period start")
}

func TestDateOfUsesOslo(t *testing.T) {
	for _, tt := range []struct {
		utc  string
		want sms2vipps.Date
	}{
		{"2026-01-15T22:59:59Z", "2026-01-15"}, // 23:59:59 CET
		{"2026-01-15T23:00:00Z", "2026-01-16"}, // midnight CET
		{"2026-07-15T21:59:59Z", "2026-07-15"}, // 23:59:59 CEST
		{"2026-07-15T22:00:00Z", "2026-07-16"}, // midnight CEST
		{"2026-03-28T23:30:00Z", "2026-03-29"}, // 00:30 CET, the night clocks go forward
		{"2026-10-24T22:30:00Z", "2026-10-25"}, // 00:30 CEST, the night clocks go back
		{"2026-03-29T00:59:59Z", "2026-03-29"}, // 01:59:59 CET, just before the switch
		{"2026-03-29T01:00:00Z", "2026-03-29"}, // 03:00 CEST, just after it
		{"2026-10-25T00:59:59Z", "2026-10-25"}, // 02:59:59 CEST, the first time
		{"2026-10-25T01:00:00Z", "2026-10-25"}, // 02:00 CET, the second time
		{"2026-10-25T22:59:59Z", "2026-10-25"}, // 23:59:59 CET, the end of the 25-hour day
		{"2028-02-28T23:00:00Z", "2028-02-29"}, // midnight CET, the leap day
	} {
		ts, err := time.Parse(time.RFC3339, tt.utc)
		require.NoError(t, err)
		assert.Equal(t, tt.want, sms2vipps.DateOf(ts), tt.utc)
	}
	// 29 March 2026 is 23 hours long in Oslo, 25 October 25 hours.
	assert.Equal(t, 23*time.Hour, sms2vipps.Date("2026-03-30").Start().Sub(sms2vipps.Date("2026-03-29").Start()))
	assert.Equal(t, 25*time.Hour, sms2vipps.Date("2026-10-26").Start().Sub(sms2vipps.Date("2026-10-25").Start()))
}

func TestParseDate(t *testing.T) {
	d, err := sms2vipps.ParseDate("2026-02-28")
	require.NoError(t, err)
	assert.Equal(t, sms2vipps.Date("2026-02-28"), d)
	for _, bad := range []string{"2026-02-30", "28.02.2026", "", "2026-2-8"} {
		_, err := sms2vipps.ParseDate(bad)
		assert.Error(t, err, bad)
	}
	assert.True(t, sms2vipps.Date("2026-01-31").Before("2026-02-01"))
	assert.Equal(t, sms2vipps.Date("2026-03-01"), sms2vipps.Date("2026-02-28").AddDays(1))
}
