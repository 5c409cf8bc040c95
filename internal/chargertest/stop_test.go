package chargertest_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/vipps"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestChargeSentAfterStopSettles: the user stops the agreement in the
// app; before we learn of it, the charger sends the next period's charge
// in a batch. Vipps takes the batch, then fails to create that charge
// (recurring.charge-creation-failed). Whatever order the stop and the
// failure arrive in, the row must end CANCELLED and not be sent again: it
// used to go back to NEW on every read that found no charge at Vipps, and
// was sent again by every run, for ever.
func TestChargeSentAfterStopSettles(t *testing.T) {
	for _, tt := range []struct {
		name        string
		stopFirst   bool // the stop's webhook is processed before the failure's
		withWebhook bool // else only the charger's reads find out
	}{
		{"stop first", true, true},
		{"failure first", false, true},
		{"no webhooks", false, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			start := time.Date(2026, 6, 9, 7, 0, 0, 0, time.UTC) // 09:00 in Oslo
			w := newWorld(t, worldConfig{start: start, seed: 3})
			today := sms2vipps.DateOf(start)
			next := today.AddDays(3) // the batch partner's lead
			s := newSubscription(1, partnerBatch, sms2vipps.IntervalWeek, next.AddDays(-7), next, start)
			w.seedAgreements([]*sms2vipps.Subscription{s})
			w.seedSubscriptions([]*sms2vipps.Subscription{s})

			var inst *instance
			hook := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if _, err := inst.app.ReceiveVippsEvent(r.Context(), partnerBatch, body); err != nil {
					http.Error(rw, err.Error(), http.StatusInternalServerError)
					return
				}
				rw.WriteHeader(http.StatusOK)
			}))
			t.Cleanup(hook.Close)
			w.links.BaseURL = hook.URL
			inst = w.open(appConfig{instance: "fn"})
			if tt.withWebhook {
				admin := vipps.WebhookAdmin{Client: vipps.NewClient(w.url+"/vipps", vipps.WithClock(w.clock.Now))}
				_, err := inst.app.RegisterWebhooks(ctx, admin, partnerBatch,
					[]string{"recurring.agreement-stopped.v1", "recurring.charge-creation-failed.v1", "recurring.charge-canceled.v1"})
				require.NoError(t, err)
			}
			wh := w.sb.Vipps.Webhooks
			wh.Hold()

			_, err := w.sb.Vipps.StopAgreement(s.AgreementID)
			require.NoError(t, err)
			w.clock.Advance(time.Minute)
			rep, err := inst.app.RunCharger(ctx)
			require.NoError(t, err)
			require.Equal(t, 1, rep.Submitted, "%+v", rep)
			require.Empty(t, w.sb.Vipps.Charges(s.AgreementID), "Vipps could not create it")
			if !tt.stopFirst {
				wh.Reorder()
			}
			require.NoError(t, wh.Flush(ctx))
			if !tt.withWebhook {
				_, err := inst.app.FollowSubscription(ctx, s.ID)
				require.NoError(t, err)
			}

			// The days go by: the charger reads the charge on its due date.
			sent := 0
			for range 6 {
				w.clock.Advance(24 * time.Hour)
				w.sb.Vipps.ProcessDue()
				rep, err := inst.app.RunCharger(ctx)
				require.NoError(t, err)
				sent += rep.Submitted
				require.NoError(t, wh.Flush(ctx))
			}
			assert.Zero(t, sent, "sent again after the stop")
			c, err := inst.store.ChargeForPeriod(ctx, s.ID, next)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.ChargeCancelled, c.State, "%+v", c)
			got, err := inst.store.Subscription(ctx, s.ID)
			require.NoError(t, err)
			assert.Equal(t, sms2vipps.SubStopped, got.State)
		})
	}
}
