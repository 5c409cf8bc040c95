package sqlstore

import (
	"fmt"
	"time"

	"github.com/golang-sql/civil"
	"github.com/linkmobility/sms2vipps"
	mssql "github.com/microsoft/go-mssqldb"
)

// textTimeLayout is how SQLite holds an instant: UTC, fixed width, so that
// comparing the text compares the times and indexes on time columns work.
const textTimeLayout = "2006-01-02T15:04:05.000000Z"

// normTime is the instant as the database keeps it: UTC, whole
// microseconds (what both dialects hold exactly).
func normTime(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// textTime encodes t for a SQLite TEXT column.
func textTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return normTime(t).Format(textTimeLayout)
}

// dateTime2 encodes t for a SQL Server DATETIME2 column. The driver sends a
// plain time.Time as DATETIMEOFFSET, which SQL Server would compare by
// converting the column, not the parameter, and so scan instead of seek.
func dateTime2(t time.Time) any {
	if t.IsZero() {
		return mssql.NullDateTime{}
	}
	return mssql.NullDateTime{DateTime: civil.DateTimeOf(normTime(t)), Valid: true}
}

// timeDest scans a time column of either dialect; NULL is the zero time.
type timeDest struct{ t *time.Time }

func (d timeDest) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d.t = time.Time{}
	case time.Time:
		*d.t = v.UTC()
	case string:
		return d.parse(v)
	case []byte:
		return d.parse(string(v))
	default:
		return fmt.Errorf("cannot scan %T into a time", v)
	}
	return nil
}

func (d timeDest) parse(s string) error {
	t, err := time.Parse(textTimeLayout, s)
	if err != nil {
		// Rows written by hand or by SQLite's own functions use other
		// RFC 3339 forms.
		if t, err = time.Parse(time.RFC3339Nano, s); err != nil {
			return fmt.Errorf("cannot parse time %q: %w", s, err)
		}
	}
	*d.t = t.UTC()
	return nil
}

// dateLayout is how a sms2vipps.Date is written, and how SQLite holds one:
// fixed width, so that comparing the text compares the dates.
const dateLayout = "2006-01-02"

// checkDate returns EINVALID unless d is empty or a calendar date in
// dateLayout, so that SQLite holds dates in one form only and SQL Server
// gets a date it can store. field names d in the message.
func checkDate(field string, d sms2vipps.Date) error {
	if d == "" {
		return nil
	}
	t, err := time.Parse(dateLayout, string(d))
	if err != nil || t.Format(dateLayout) != string(d) || t.Year() < 1 {
		return invalid("%s %q is not a date (YYYY-MM-DD)", field, string(d))
	}
	return nil
}

// checkDates is checkDate for two fields, the first error winning.
func checkDates(field1 string, d1 sms2vipps.Date, field2 string, d2 sms2vipps.Date) error {
	if err := checkDate(field1, d1); err != nil {
		return err
	}
	return checkDate(field2, d2)
}

// textDate encodes a checked date for a SQLite TEXT column.
func textDate(d sms2vipps.Date) any {
	if d == "" {
		return nil
	}
	return string(d)
}

// sqlDate encodes a checked date for a SQL Server DATE column. A string
// would make SQL Server convert, and a plain time.Time travels as
// DATETIMEOFFSET; a DATE parameter compares with the column as it is.
func sqlDate(d sms2vipps.Date) any {
	if d == "" {
		return mssql.NullDate{}
	}
	cd, err := civil.ParseDate(string(d))
	if err != nil {
		// Callers check dates first. Should one slip through, SQL Server
		// refuses the string rather than storing NULL for it.
		return string(d)
	}
	return mssql.NullDate{Date: cd, Valid: true}
}

// dateDest scans a date column of either dialect; NULL is the empty date.
type dateDest struct{ d *sms2vipps.Date }

func (d dateDest) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*d.d = ""
	case time.Time:
		*d.d = sms2vipps.Date(v.Format(dateLayout))
	case string:
		*d.d = sms2vipps.Date(v)
	case []byte:
		*d.d = sms2vipps.Date(v)
	default:
		return fmt.Errorf("cannot scan %T into a date", v)
	}
	return nil
}
