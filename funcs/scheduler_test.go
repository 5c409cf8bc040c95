package funcs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"regexp"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linkmobility/sms2vipps/funcs"
)

var uuidRE = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)

// clock is a settable time source.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

func timerFn(name, schedule string, extra ...func(*funcs.Binding)) funcs.Function {
	b := funcs.Binding{Type: "timerTrigger", Direction: "in", Name: "timer", Schedule: schedule}
	for _, e := range extra {
		e(&b)
	}
	return funcs.Function{Name: name, Bindings: []funcs.Binding{b}, Schedule: schedule}
}

func httpFn(name string) funcs.Function {
	return funcs.Function{Name: name, Bindings: []funcs.Binding{
		{Type: "httpTrigger", Direction: "in", Name: "req"},
		{Type: "http", Direction: "out", Name: "res"},
	}}
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// captured is one request the handler saw.
type captured struct {
	method, path string
	header       http.Header
	body         []byte
}

// capturingHandler records requests and answers like TimerHandler does.
func capturingHandler(got *[]captured, mu *sync.Mutex) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		*got = append(*got, captured{r.Method, r.URL.Path, r.Header.Clone(), b})
		mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"Outputs":{},"Logs":["ran"],"ReturnValue":null}`))
	})
}

func TestNewScheduler(t *testing.T) {
	from := utc("2026-03-13T10:15:30Z")
	fns := []funcs.Function{
		timerFn("Reconciler", "%RECONCILER_SCHEDULE%"),
		timerFn("Charger", "0 0 * * * *"),
		httpFn("KeywordSent"),
		func() funcs.Function { f := timerFn("Off", "0 * * * * *"); f.Disabled = true; return f }(),
	}
	h := http.NotFoundHandler()

	for _, tt := range []struct {
		name     string
		env      map[string]string
		defaults map[string]string
		wantNext string // Reconciler's first occurrence after from
		wantErr  string
		unset    bool
	}{
		{name: "FromSetting", env: map[string]string{"RECONCILER_SCHEDULE": "0 0 * * * *"}, wantNext: "2026-03-13T11:00:00Z"},
		{name: "FromDefault", defaults: map[string]string{"RECONCILER_SCHEDULE": "0 */1 * * * *"}, wantNext: "2026-03-13T10:16:00Z"},
		{name: "SettingBeatsDefault", env: map[string]string{"RECONCILER_SCHEDULE": "*/5 * * * *"},
			defaults: map[string]string{"RECONCILER_SCHEDULE": "0 */1 * * * *"}, wantNext: "2026-03-13T10:20:00Z"},
		{name: "ErrSettingMissing", wantErr: "Reconciler", unset: true},
		{name: "ErrBadSchedule", env: map[string]string{"RECONCILER_SCHEDULE": "every minute"}, wantErr: "Reconciler"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := funcs.NewScheduler(fns, funcs.SchedulerConfig{
				Handler:  h,
				Getenv:   func(k string) string { return tt.env[k] },
				Defaults: tt.defaults,
				Logger:   quietLogger(),
				Now:      func() time.Time { return from },
			})
			if tt.wantErr != "" {
				require.Error(t, err)
				assert.ErrorContains(t, err, tt.wantErr)
				assert.Equal(t, tt.unset, errors.Is(err, funcs.ErrSettingUnset))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, []string{"Charger", "Reconciler"}, s.Functions(), "timers only, disabled skipped")
			next, ok := s.Next("Reconciler", from)
			require.True(t, ok)
			assert.Equal(t, utc(tt.wantNext), next)
			next, ok = s.Next("Charger", from)
			require.True(t, ok)
			assert.Equal(t, utc("2026-03-13T11:00:00Z"), next)
			_, ok = s.Next("KeywordSent", from)
			assert.False(t, ok)
		})
	}

	t.Run("ErrNoHandler", func(t *testing.T) {
		_, err := funcs.NewScheduler(fns, funcs.SchedulerConfig{Getenv: func(string) string { return "0 * * * * *" }})
		assert.Error(t, err)
	})
}

func TestSchedulerInvokeNowSendsHostRequest(t *testing.T) {
	clk := &clock{t: utc("2026-03-13T10:15:30Z")}
	var got []captured
	var mu sync.Mutex
	s, err := funcs.NewScheduler([]funcs.Function{timerFn("Reconciler", "0 */1 * * * *")}, funcs.SchedulerConfig{
		Handler: capturingHandler(&got, &mu), Logger: quietLogger(), Now: clk.Now,
	})
	require.NoError(t, err)

	resp, err := s.InvokeNow(context.Background(), "Reconciler")
	require.NoError(t, err)
	assert.Equal(t, []string{"ran"}, resp.Logs)

	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, http.MethodPost, r.method)
	assert.Equal(t, "/Reconciler", r.path)
	assert.Regexp(t, uuidRE, r.header.Get(funcs.HeaderInvocationID))
	assert.Equal(t, "Azure-Functions-Host/local", r.header.Get("User-Agent"))
	assert.Equal(t, "application/json", r.header.Get("Content-Type"))

	var body struct {
		Data     map[string]json.RawMessage
		Metadata struct {
			Sys struct{ MethodName, UtcNow, RandGuid string } `json:"sys"`
		}
	}
	require.NoError(t, json.Unmarshal(r.body, &body))
	assert.JSONEq(t, `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"0001-01-01T00:00:00","Next":"2026-03-13T10:16:00+00:00","LastUpdated":"2026-03-13T10:15:30+00:00"},"IsPastDue":false}`,
		string(body.Data["timer"]))
	assert.Equal(t, "Reconciler", body.Metadata.Sys.MethodName)
	assert.Equal(t, "2026-03-13T10:15:30Z", body.Metadata.Sys.UtcNow)
	assert.Regexp(t, uuidRE, body.Metadata.Sys.RandGuid)

	info, err := funcs.DecodeTimer(body.Data["timer"])
	require.NoError(t, err)
	require.NotNil(t, info.ScheduleStatus)
	assert.True(t, info.ScheduleStatus.Last.IsZero())
}

func TestSchedulerThroughTimerHandler(t *testing.T) {
	var seen funcs.TimerInfo
	mux := http.NewServeMux()
	mux.Handle("POST /Reconciler", funcs.TimerHandler("Reconciler", func(ctx context.Context, info funcs.TimerInfo, log *funcs.InvocationLog) error {
		seen = info
		log.Add("reconciled 0 payments")
		return nil
	}, funcs.WithLogger(quietLogger())))
	mux.Handle("POST /Failing", funcs.TimerHandler("Failing", func(context.Context, funcs.TimerInfo, *funcs.InvocationLog) error {
		return errors.New("store unavailable")
	}, funcs.WithLogger(quietLogger())))

	var logs bytes.Buffer
	clk := &clock{t: utc("2026-03-13T10:15:30Z")}
	s, err := funcs.NewScheduler([]funcs.Function{
		timerFn("Reconciler", "0 */1 * * * *"),
		timerFn("Failing", "0 */1 * * * *"),
	}, funcs.SchedulerConfig{Handler: mux, Logger: slog.New(slog.NewTextHandler(&logs, nil)), Now: clk.Now})
	require.NoError(t, err)

	resp, err := s.InvokeNow(context.Background(), "Reconciler")
	require.NoError(t, err)
	assert.Equal(t, []string{"reconciled 0 payments"}, resp.Logs)
	require.NotNil(t, seen.ScheduleStatus)
	assert.Equal(t, utc("2026-03-13T10:16:00Z"), seen.ScheduleStatus.Next)
	assert.Contains(t, logs.String(), `msg="reconciled 0 payments" function=Reconciler`, "Logs are logged as the host would")

	_, err = s.InvokeNow(context.Background(), "Failing")
	assert.ErrorContains(t, err, "handler answered 500")
}

func TestSchedulerTickAdvancesStatus(t *testing.T) {
	clk := &clock{t: utc("2026-03-13T10:15:30Z")}
	var got []captured
	var mu sync.Mutex
	s, err := funcs.NewScheduler([]funcs.Function{timerFn("Reconciler", "0 */1 * * * *")}, funcs.SchedulerConfig{
		Handler: capturingHandler(&got, &mu), Logger: quietLogger(), Now: clk.Now,
	})
	require.NoError(t, err)

	statusOf := func(i int) *funcs.ScheduleStatus {
		t.Helper()
		var req funcs.InvokeRequest
		require.NoError(t, json.Unmarshal(got[i].body, &req))
		info, err := funcs.DecodeTimer(req.Data["timer"])
		require.NoError(t, err)
		return info.ScheduleStatus
	}

	clk.Set(utc("2026-03-13T10:16:00.004Z")) // cron fires a little after the occurrence
	s.Tick("Reconciler")
	clk.Set(utc("2026-03-13T10:19:00.010Z")) // three occurrences later (e.g. the process was paused)
	s.Tick("Reconciler")
	_, err = s.InvokeNow(context.Background(), "Reconciler")
	require.NoError(t, err)

	require.Len(t, got, 3)
	first := statusOf(0)
	assert.True(t, first.Last.IsZero())
	assert.Equal(t, utc("2026-03-13T10:16:00Z"), first.Next)

	second := statusOf(1)
	assert.Equal(t, utc("2026-03-13T10:16:00Z"), second.Last)
	assert.Equal(t, utc("2026-03-13T10:19:00Z"), second.Next, "the latest occurrence not after now")

	manual := statusOf(2)
	assert.Equal(t, utc("2026-03-13T10:19:00Z"), manual.Last)
	assert.Equal(t, utc("2026-03-13T10:20:00Z"), manual.Next)
}

func TestSchedulerMonitor(t *testing.T) {
	for _, tt := range []struct {
		name       string
		fn         funcs.Function
		wantStatus bool
	}{
		{"DefaultOnForMinutes", timerFn("T", "0 */1 * * * *"), true},
		{"DefaultOffBelowAMinute", timerFn("T", "*/10 * * * * *"), false},
		{"ExplicitOff", timerFn("T", "0 */5 * * * *", func(b *funcs.Binding) { f := false; b.UseMonitor = &f }), false},
		{"ExplicitOn", timerFn("T", "*/10 * * * * *", func(b *funcs.Binding) { v := true; b.UseMonitor = &v }), true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			var got []captured
			var mu sync.Mutex
			s, err := funcs.NewScheduler([]funcs.Function{tt.fn}, funcs.SchedulerConfig{
				Handler: capturingHandler(&got, &mu), Logger: quietLogger(),
				Now: func() time.Time { return utc("2026-03-13T10:15:30Z") },
			})
			require.NoError(t, err)
			_, err = s.InvokeNow(context.Background(), "T")
			require.NoError(t, err)
			var req funcs.InvokeRequest
			require.NoError(t, json.Unmarshal(got[0].body, &req))
			var raw map[string]json.RawMessage
			require.NoError(t, json.Unmarshal(req.Data["timer"], &raw))
			assert.Equal(t, tt.wantStatus, string(raw["ScheduleStatus"]) != "null", string(req.Data["timer"]))
		})
	}
}

// blockingHandler signals entered when a request arrives and holds it until
// release is closed or the request's context ends.
func blockingHandler(entered chan<- struct{}, release <-chan struct{}) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		entered <- struct{}{}
		select {
		case <-release:
			_, _ = w.Write([]byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`))
		case <-r.Context().Done():
			w.WriteHeader(http.StatusInternalServerError)
		}
	})
}

func TestSchedulerSingleton(t *testing.T) {
	entered := make(chan struct{}, 1)
	release := make(chan struct{})
	var logs bytes.Buffer
	var logMu sync.Mutex
	s, err := funcs.NewScheduler([]funcs.Function{timerFn("Reconciler", "0 */1 * * * *")}, funcs.SchedulerConfig{
		Handler: blockingHandler(entered, release),
		Logger:  slog.New(slog.NewTextHandler(&lockedWriter{w: &logs, mu: &logMu}, nil)),
	})
	require.NoError(t, err)

	firstDone := make(chan error, 1)
	go func() {
		_, err := s.InvokeNow(context.Background(), "Reconciler")
		firstDone <- err
	}()
	<-entered

	_, err = s.InvokeNow(context.Background(), "Reconciler")
	assert.ErrorIs(t, err, funcs.ErrBusy)
	s.Tick("Reconciler") // a tick while the run holds the lock is skipped, not queued
	logMu.Lock()
	assert.Contains(t, logs.String(), "tick skipped")
	logMu.Unlock()

	close(release)
	require.NoError(t, <-firstDone)

	// Free again once the first run is over.
	go func() { <-entered }()
	_, err = s.InvokeNow(context.Background(), "Reconciler")
	assert.NoError(t, err)
}

type lockedWriter struct {
	w  io.Writer
	mu *sync.Mutex
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}

func TestSchedulerStop(t *testing.T) {
	newScheduler := func(t *testing.T, h http.Handler) *funcs.Scheduler {
		t.Helper()
		// February 30th never comes, so Start runs the real clock without
		// it ever firing during the test.
		s, err := funcs.NewScheduler([]funcs.Function{timerFn("Reconciler", "0 0 0 30 2 *")}, funcs.SchedulerConfig{
			Handler: h, Logger: quietLogger(),
		})
		require.NoError(t, err)
		return s
	}

	t.Run("WaitsForRunningInvocation", func(t *testing.T) {
		entered := make(chan struct{}, 1)
		release := make(chan struct{})
		s := newScheduler(t, blockingHandler(entered, release))
		s.Start()
		invoked := make(chan error, 1)
		go func() {
			_, err := s.InvokeNow(context.Background(), "Reconciler")
			invoked <- err
		}()
		<-entered

		stopped := make(chan error, 1)
		go func() { stopped <- s.Stop(context.Background()) }()
		select {
		case err := <-stopped:
			t.Fatalf("Stop returned %v before the invocation finished", err)
		default:
		}
		close(release)
		require.NoError(t, <-invoked)
		assert.NoError(t, <-stopped)

		_, err := s.InvokeNow(context.Background(), "Reconciler")
		assert.ErrorIs(t, err, funcs.ErrStopped)
	})

	t.Run("DeadlineCancelsInvocation", func(t *testing.T) {
		entered := make(chan struct{}, 1)
		s := newScheduler(t, blockingHandler(entered, make(chan struct{})))
		invoked := make(chan error, 1)
		go func() {
			_, err := s.InvokeNow(context.Background(), "Reconciler")
			invoked <- err
		}()
		<-entered

		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		assert.ErrorIs(t, s.Stop(ctx), context.Canceled)
		assert.ErrorContains(t, <-invoked, "handler answered 500", "the run saw its context end")
	})
}

func TestSchedulerInvokeNowErrors(t *testing.T) {
	for _, tt := range []struct {
		name    string
		handler http.Handler
		fn      string
		wantErr string
	}{
		{"UnknownFunction", http.NotFoundHandler(), "Nope", "no such timer function"},
		{"NotFound", http.NotFoundHandler(), "Reconciler", "handler answered 404"},
		{"EmptyBody", http.HandlerFunc(func(http.ResponseWriter, *http.Request) {}), "Reconciler", "read envelope"},
		{"Panic", http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("boom") }), "Reconciler", "panicked: boom"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s, err := funcs.NewScheduler([]funcs.Function{timerFn("Reconciler", "0 */1 * * * *")}, funcs.SchedulerConfig{
				Handler: tt.handler, Logger: quietLogger(),
			})
			require.NoError(t, err)
			_, err = s.InvokeNow(context.Background(), tt.fn)
			assert.ErrorContains(t, err, tt.wantErr)
		})
	}
}

func TestHostPresentAndPort(t *testing.T) {
	for _, tt := range []struct {
		name     string
		env      map[string]string
		wantHost bool
		wantPort string
	}{
		{"NoHost", nil, false, "8080"},
		{"UnderHost", map[string]string{"FUNCTIONS_CUSTOMHANDLER_PORT": "40123"}, true, "40123"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			getenv := func(k string) string { return tt.env[k] }
			assert.Equal(t, tt.wantHost, funcs.HostPresent(getenv))
			assert.Equal(t, tt.wantPort, funcs.Port(getenv))
		})
	}
}
