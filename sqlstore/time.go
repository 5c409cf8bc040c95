package sqlstore

import (
	"fmt"
	"time"

	"github.com/golang-sql/civil"
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
