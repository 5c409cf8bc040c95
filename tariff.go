package sms2vipps

import "time"

// Tariff prices a pay-per-use session: UnitPrice for every started Unit,
// then clamped to [Minimum, Maximum] (a zero Maximum means no maximum).
type Tariff struct {
	UnitPrice Amount   `json:"unitPrice"`
	Unit      Duration `json:"unit"`
	Minimum   Amount   `json:"minimum"`
	Maximum   Amount   `json:"maximum"`
}

// Price returns what a session of duration d costs. A started unit counts
// whole: one second into the second unit costs two units. A duration of
// zero (or less, from clock skew) starts no unit and costs the minimum.
func (t Tariff) Price(d time.Duration) Amount {
	var units int64
	if d > 0 && t.Unit > 0 {
		u := time.Duration(t.Unit)
		units = int64((d + u - 1) / u)
	}
	price := Amount(units) * t.UnitPrice
	if t.Maximum > 0 && price > t.Maximum {
		price = t.Maximum
	}
	if price < t.Minimum {
		price = t.Minimum
	}
	return price
}

// Validate checks that the tariff can price a session.
func (t Tariff) Validate() error {
	var v Validation
	v.Check(t.UnitPrice >= 0, "unitPrice", "must not be negative")
	v.Check(t.Unit >= Duration(time.Minute), "unit", "must be at least one minute")
	v.Check(t.Unit%Duration(time.Minute) == 0, "unit", "must be whole minutes")
	v.Check(t.Minimum >= 0, "minimum", "must not be negative")
	v.Check(t.Maximum >= 0, "maximum", "must not be negative")
	v.Check(t.Maximum == 0 || t.Maximum >= t.Minimum, "maximum", "must not be below the minimum")
	return v.Err()
}
