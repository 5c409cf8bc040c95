package app

import (
	"context"

	"github.com/linkmobility/sms2vipps"
)

// PaycoreCallback handles Paycore's status callback for a session. The
// callback's body is only a hint that something changed: the session is
// processed, which reads the transaction back from Paycore.
func (a *App) PaycoreCallback(ctx context.Context, sessionID, sig string) error {
	if !a.Links.CheckPaycoreCallback(sessionID, sig) {
		return sms2vipps.Errorf(sms2vipps.EUNAUTHORIZED, "bad callback signature")
	}
	_, err := a.Process(ctx, sessionID)
	a.DrainOutbox(ctx, 10)
	if err == errBusy {
		// Another worker is on it and will see the change.
		return nil
	}
	if sms2vipps.ErrorCode(err) == sms2vipps.ENOTFOUND {
		return sms2vipps.Errorf(sms2vipps.ENOTFOUND, "no such session")
	}
	// A provider failure is recorded on the session and retried by the
	// Reconciler; the callback itself was received.
	return nil
}
