package sandbox

// ProcessReport tells what one ProcessDue run changed.
type ProcessReport struct {
	// Charged, Reserved and Failed count the charges settled.
	Charged  int `json:"charged"`
	Reserved int `json:"reserved"`
	Failed   int `json:"failed"`
	// Retrying counts the charges whose attempt failed and that will be
	// tried again on a later retry day.
	Retrying          int `json:"retrying"`
	ExpiredPayments   int `json:"expiredPayments"`
	ExpiredAgreements int `json:"expiredAgreements"`
}

// ProcessDue does what Vipps does as time passes, up to the sandbox clock:
// payments still CREATED past their timeout expire, draft agreements older
// than ten minutes expire, and every charge of an ACTIVE agreement whose
// due date (Oslo calendar) has come is attempted, once per day from its
// due date through its retry days: CHARGED (or RESERVED), unless FailCharge
// ordered failures, in which case it stays DUE and is retried the next
// day, and is FAILED after its last retry day. Vipps's batch hours (09:00
// and 17:00 in Norway) are not modelled: a charge is processed on the
// first run of its day. Advance the clock by a day and call ProcessDue
// again to walk through retry days; a clock moved by several days catches
// up on the attempts of the days in between. Webhooks queued on the way
// are delivered before it returns when automatic delivery is on.
func (v *Vipps) ProcessDue() ProcessReport {
	defer v.afterAction()
	v.mu.Lock()
	defer v.mu.Unlock()
	var rep ProcessReport
	for _, p := range v.paymentOrder {
		if v.refreshPayment(p) {
			rep.ExpiredPayments++
		}
	}
	today := osloDate(v.env.clock.Now())
	for _, a := range v.agreementOrder {
		if v.refreshAgreement(a) {
			rep.ExpiredAgreements++
		}
		if a.Status != AgreementActive {
			continue
		}
		for _, c := range a.charges {
			before := c.Attempts
			if v.processCharge(c, today) {
				switch c.Status {
				case ChargeCharged:
					rep.Charged++
				case ChargeReserved:
					rep.Reserved++
				case ChargeFailed:
					rep.Failed++
				}
			} else if c.Attempts > before {
				rep.Retrying++
			}
		}
	}
	if rep != (ProcessReport{}) {
		v.env.log.Info("vipps: processed", "charged", rep.Charged, "reserved", rep.Reserved, "failed", rep.Failed,
			"retrying", rep.Retrying, "expiredPayments", rep.ExpiredPayments, "expiredAgreements", rep.ExpiredAgreements)
	}
	return rep
}
