package chargertest_test

import (
	"context"
	"flag"
	"os"
	"runtime"
	"runtime/debug"
	"runtime/pprof"
	"testing"
	"time"

	"github.com/linkmobility/sms2vipps"
	"github.com/linkmobility/sms2vipps/app"
	"github.com/linkmobility/sms2vipps/sandbox"
	"github.com/stretchr/testify/require"
)

var (
	benchLatency = flag.Duration("charger.latency", 50*time.Millisecond,
		"BenchmarkCharger: the simulator's latency on every Vipps call")
	benchSandbox = flag.String("charger.sandbox", "inprocess",
		"BenchmarkCharger: run the simulator in this process (inprocess) or in a child process (process)")
	benchHeapProfile = flag.String("charger.heapprofile", "",
		"BenchmarkCharger: write a heap profile taken right after the measured run to this file")
)

// BenchmarkCharger times one RecurringCharger run that charges n due
// subscriptions: it writes n charge rows and has Vipps accept every charge
// (CREATED), against the in-process simulator answering each Vipps call
// after -charger.latency (a sandbox Latency fault; rate limits off). A
// second run at the same instant, which must create nothing, is timed
// too. Seeding (the subscriptions through the store in transactions of
// 5,000, the agreements through the simulator's API) is not timed.
//
// It reports charges/s and s/run of the first run, ms/rerun of the second,
// and memory: MB-peak-RSS is the process's peak resident set (VmHWM) during
// the first run, reset just before it, so it counts what the process held
// before (the simulator's agreements and its idempotency memory, the
// seeded rows in SQLite's page cache) plus what the run added; MB-heap is
// the Go heap in use right after the run. Run each size in its own process
// (scripts/bench.sh) so that one size's peak does not leak into the next.
func BenchmarkCharger(b *testing.B) {
	for _, tc := range []struct {
		name    string
		partner int64
		n       int
	}{
		{"batch/n=10000", partnerBatch, 10_000},
		{"batch/n=100000", partnerBatch, 100_000},
		{"single/n=1000", partnerSingle, 1_000},
		{"single/n=10000", partnerSingle, 10_000},
	} {
		b.Run(tc.name, func(b *testing.B) { benchCharger(b, tc.partner, tc.n) })
	}
}

func benchCharger(b *testing.B, partnerID int64, n int) {
	for range b.N {
		b.StopTimer()
		w, inst, chargesAtVipps := benchWorld(b, partnerID, n)
		runtime.GC()
		debug.FreeOSMemory()
		seedPeak, baseRSS := procStatus("VmHWM"), procStatus("VmRSS")
		peakReset := resetPeakRSS()
		ctx := context.Background()

		b.StartTimer()
		start := time.Now()
		rep, err := inst.app.RunCharger(ctx)
		took := time.Since(start)
		b.StopTimer()
		require.NoError(b, err)
		peak := procStatus("VmHWM")
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		if *benchHeapProfile != "" {
			f, err := os.Create(*benchHeapProfile)
			require.NoError(b, err)
			runtime.GC()
			require.NoError(b, pprof.WriteHeapProfile(f))
			require.NoError(b, f.Close())
		}

		start = time.Now()
		again, err := inst.app.RunCharger(ctx)
		retook := time.Since(start)
		require.NoError(b, err)

		require.Equal(b, n, rep.Created, "%+v", rep)
		require.Equal(b, n, rep.Submitted, "%+v", rep)
		require.Zero(b, again.Created, "a second run creates nothing: %+v", again)
		require.Zero(b, again.Submitted, "a second run sends nothing: %+v", again)
		require.Equal(b, n, chargesAtVipps(), "Vipps has one charge per subscription")
		var created int
		require.NoError(b, w.db().QueryRow(`SELECT count(*) FROM charges WHERE state = 'CREATED'`).Scan(&created))
		require.Equal(b, n, created)

		b.ReportMetric(float64(n)/took.Seconds(), "charges/s")
		b.ReportMetric(took.Seconds(), "s/run")
		b.ReportMetric(float64(retook.Microseconds())/1000, "ms/rerun")
		b.ReportMetric(float64(ms.HeapInuse)/(1<<20), "MB-heap")
		if peakReset && peak > 0 {
			b.ReportMetric(float64(peak)/1024, "MB-peak-RSS")
		}
		b.Logf("simulator %s, n=%d latency=%s: %d created, %d sent to Vipps in %s (%.0f charges/s); rerun %s created %d; "+
			"RSS before the run %.0f MB, peak during it %.0f MB (reset: %v); peak while seeding %.0f MB",
			*benchSandbox, n, *benchLatency, rep.Created, rep.Submitted, took.Round(time.Millisecond), float64(n)/took.Seconds(),
			retook.Round(time.Millisecond), again.Created, float64(baseRSS)/1024, float64(peak)/1024, peakReset,
			float64(seedPeak)/1024)
	}
}

// benchWorld seeds n ACTIVE monthly subscriptions of the partner whose
// next period starts today, tomorrow or the day after (all within the
// partner's lead), with their agreements active at the simulator, and
// opens the App that charges them. Every Vipps call then takes
// -charger.latency. It returns how to count the charges Vipps holds.
func benchWorld(b *testing.B, partnerID int64, n int) (*world, *instance, func() int) {
	b.Helper()
	// 09:00 in Oslo; no month end near, so every anchor is one month back.
	start := time.Date(2026, 6, 9, 7, 0, 0, 0, time.UTC)
	var w *world
	var latency func(time.Duration)
	var charges func() int
	switch *benchSandbox {
	case "inprocess":
		w = newWorld(b, worldConfig{start: start, seed: 1})
		latency = func(d time.Duration) { w.sb.Faults.Add(sandbox.Rule{Service: "vipps", Action: sandbox.Latency(d)}) }
		charges = func() int {
			n := 0
			for _, ag := range w.sb.Vipps.Agreements() {
				n += len(w.sb.Vipps.Charges(ag.ID))
			}
			return n
		}
	case "process":
		child := startChildSandbox(b, start)
		w = newWorldOn(b, sandbox.NewClock(start), child.url, child.acceptAgreement)
		latency = func(d time.Duration) {
			child.control(b, "POST", "/sandbox/faults", map[string]string{"service": "vipps", "action": "latency", "delay": d.String()}, nil)
		}
		charges = func() int {
			var n int
			child.control(b, "GET", "/chargertest/charges", nil, &n)
			return n
		}
	default:
		b.Fatalf("-charger.sandbox=%q: want inprocess or process", *benchSandbox)
	}
	today := sms2vipps.DateOf(w.clock.Now())
	subs := make([]*sms2vipps.Subscription, n)
	for i := range subs {
		next := today.AddDays(i % 3)
		anchor := sms2vipps.DateOf(next.Start().AddDate(0, -1, 0))
		subs[i] = newSubscription(i, partnerID, sms2vipps.IntervalMonth, anchor, next, w.clock.Now())
		// The ids the app gives subscriptions: time-ordered UUIDs, which
		// decide the order of the charge ids and so where in the B-trees
		// the charger writes.
		subs[i].ID = app.NewUUID()
	}
	w.seedAgreements(subs)
	w.seedSubscriptions(subs)
	if *benchLatency > 0 {
		latency(*benchLatency)
	}
	return w, w.open(appConfig{instance: "bench"}), charges
}
