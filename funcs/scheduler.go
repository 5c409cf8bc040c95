package funcs

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	cron "github.com/netresearch/go-cron"
)

// Errors returned by Scheduler.InvokeNow.
var (
	// ErrBusy: an invocation of the same function is still running. The host
	// holds a singleton lock per timer function, so it never overlaps runs
	// either (§1.6).
	ErrBusy = errors.New("previous invocation still running")
	// ErrStopped: the scheduler has been stopped.
	ErrStopped = errors.New("scheduler stopped")
)

// SchedulerConfig configures NewScheduler.
type SchedulerConfig struct {
	// Handler receives the invocations, normally the app's whole mux, so a
	// local run takes the same path as a request from the host.
	Handler http.Handler
	// Getenv resolves %SETTING% references in schedules; os.Getenv if nil.
	Getenv func(string) string
	// Defaults are used for settings Getenv leaves empty, e.g.
	// {"RECONCILER_SCHEDULE": "0 */1 * * * *"}: in Azure the setting is
	// always present, while a bare local run should still work.
	Defaults map[string]string
	// Logger receives scheduling events and the invocations' Logs lines;
	// slog.Default() if nil.
	Logger *slog.Logger
	// Now is the clock for the invocation payloads; time.Now if nil.
	Now func() time.Time
}

// Scheduler runs the app's timer functions when no Functions host does. Each
// occurrence becomes the request the host would send: POST /<Name> with an
// InvokeRequest body and the host's headers, served in-process by Handler.
type Scheduler struct {
	handler http.Handler
	logger  *slog.Logger
	now     func() time.Time
	cron    *cron.Cron
	names   []string
	timers  map[string]*timer

	mu      sync.Mutex
	started bool
	stopped bool
	running sync.WaitGroup
	ctx     context.Context
	cancel  context.CancelFunc
}

type timer struct {
	fn       Function
	binding  string
	spec     string
	schedule Schedule
	monitor  bool
	busy     atomic.Bool

	mu     sync.Mutex
	status ScheduleStatus
}

// NewScheduler prepares the timer functions among fns; other functions and
// disabled ones are ignored. Every schedule is expanded and parsed now, so a
// bad or unset setting fails at startup rather than at the first tick.
func NewScheduler(fns []Function, cfg SchedulerConfig) (*Scheduler, error) {
	if cfg.Handler == nil {
		return nil, errors.New("new scheduler: Handler is nil")
	}
	s := &Scheduler{
		handler: cfg.Handler,
		logger:  cfg.Logger,
		now:     cfg.Now,
		timers:  map[string]*timer{},
	}
	if s.logger == nil {
		s.logger = slog.Default()
	}
	if s.now == nil {
		s.now = time.Now
	}
	getenv := cfg.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	lookup := func(name string) string {
		if v := getenv(name); v != "" {
			return v
		}
		return cfg.Defaults[name]
	}
	now := s.now().UTC()
	for _, f := range fns {
		if !f.IsTimer() || f.Disabled {
			continue
		}
		trig, _ := f.Trigger()
		spec, err := ExpandSetting(trig.Schedule, lookup)
		if err != nil {
			return nil, fmt.Errorf("new scheduler: %s: %w", f.Name, err)
		}
		sched, err := ParseSchedule(spec)
		if err != nil {
			return nil, fmt.Errorf("new scheduler: %s: %w", f.Name, err)
		}
		monitor := minuteOrMore(sched, now)
		if trig.UseMonitor != nil {
			monitor = *trig.UseMonitor
		}
		s.timers[f.Name] = &timer{
			fn: f, binding: trig.Name, spec: spec, schedule: sched, monitor: monitor,
			status: ScheduleStatus{Next: sched.Next(now), LastUpdated: now},
		}
		s.names = append(s.names, f.Name)
	}
	sort.Strings(s.names)
	s.ctx, s.cancel = context.WithCancel(context.Background())
	s.cron = cron.New(cron.WithLocation(time.UTC), cron.WithLogger(cronLogger{s.logger}))
	for _, name := range s.names {
		if _, err := s.cron.ScheduleJob(s.timers[name].schedule, cron.FuncJob(func() { s.tick(name) })); err != nil {
			return nil, fmt.Errorf("new scheduler: %s: %w", name, err)
		}
	}
	return s, nil
}

// minuteOrMore is the host's default for useMonitor: on for schedules whose
// interval is a minute or more (§1.7).
func minuteOrMore(s Schedule, from time.Time) bool {
	t := s.Next(from)
	for range 3 {
		n := s.Next(t)
		if n.IsZero() {
			return true
		}
		if n.Sub(t) < time.Minute {
			return false
		}
		t = n
	}
	return true
}

// Functions returns the names of the scheduled timer functions, sorted.
func (s *Scheduler) Functions() []string {
	return append([]string(nil), s.names...)
}

// Next returns the first occurrence of the named function's schedule after t.
func (s *Scheduler) Next(name string, after time.Time) (time.Time, bool) {
	t, ok := s.timers[name]
	if !ok {
		return time.Time{}, false
	}
	return t.schedule.Next(after), true
}

// Start starts the clock, and runs the functions marked runOnStartup once,
// as the host does when it starts. Calling it again has no effect.
func (s *Scheduler) Start() {
	s.mu.Lock()
	if s.started || s.stopped {
		s.mu.Unlock()
		return
	}
	s.started = true
	s.mu.Unlock()
	now := s.now().UTC()
	for _, name := range s.names {
		t := s.timers[name]
		s.logger.Info("timer scheduled", "function", name, "schedule", t.spec, "next", t.schedule.Next(now))
	}
	s.cron.Start()
	for _, name := range s.names {
		trig, _ := s.timers[name].fn.Trigger()
		if trig.RunOnStartup {
			go s.startupRun(name)
		}
	}
}

// startupRun is the runOnStartup invocation: off schedule, so like a manual
// run it leaves the schedule status alone.
func (s *Scheduler) startupRun(name string) {
	if _, err := s.InvokeNow(s.ctx, name); errors.Is(err, ErrBusy) {
		s.logger.Warn("startup run skipped: an invocation is already running", "function", name)
	}
}

// Stop stops the clock and waits for running invocations. If ctx ends first,
// it cancels their contexts and returns ctx's error without waiting further.
func (s *Scheduler) Stop(ctx context.Context) error {
	s.mu.Lock()
	s.stopped = true
	s.mu.Unlock()
	cronDone := s.cron.Stop()
	done := make(chan struct{})
	go func() {
		<-cronDone.Done()
		s.running.Wait()
		close(done)
	}()
	select {
	case <-done:
		s.cancel()
		return nil
	case <-ctx.Done():
		s.cancel()
		return ctx.Err()
	}
}

// InvokeNow invokes the named timer function at once, outside its schedule,
// with the schedule status as it stands (a manual run does not move the
// schedule). It returns the handler's envelope, or an error for an unknown
// name, ErrBusy, ErrStopped, a non-2xx answer or an unreadable envelope.
func (s *Scheduler) InvokeNow(ctx context.Context, name string) (InvokeResponse, error) {
	t, ok := s.timers[name]
	if !ok {
		return InvokeResponse{}, fmt.Errorf("invoke %s: no such timer function", name)
	}
	t.mu.Lock()
	status := t.status
	t.mu.Unlock()
	return s.invoke(ctx, t, s.timerInfo(t, status))
}

// tick runs one scheduled occurrence. The occurrence is the latest one not
// after now, walked forward from the status's Next, so a tick delayed past
// later occurrences still reports the one it stands for.
func (s *Scheduler) tick(name string) {
	t := s.timers[name]
	now := s.now().UTC()
	t.mu.Lock()
	status := t.status
	t.mu.Unlock()
	occurrence := status.Next
	for n := t.schedule.Next(occurrence); !occurrence.IsZero() && !n.IsZero() && !n.After(now); n = t.schedule.Next(n) {
		occurrence = n
	}
	if occurrence.IsZero() || occurrence.After(now) {
		occurrence = now.Truncate(time.Second)
	}
	status.Next = occurrence

	_, err := s.invoke(s.ctx, t, s.timerInfo(t, status))
	switch {
	case errors.Is(err, ErrBusy):
		s.logger.Warn("timer tick skipped: previous invocation still running", "function", name, "occurrence", occurrence)
		return
	case errors.Is(err, ErrStopped):
		return
	}
	// Like the host, record the run whatever its outcome: a failed timer is
	// not retried, it waits for its next occurrence (§1.6).
	done := s.now().UTC()
	t.mu.Lock()
	t.status = ScheduleStatus{Last: occurrence, Next: t.schedule.Next(done), LastUpdated: done}
	t.mu.Unlock()
}

func (s *Scheduler) timerInfo(t *timer, status ScheduleStatus) TimerInfo {
	info := TimerInfo{Schedule: TimerSchedule{AdjustForDST: true}}
	if t.monitor {
		info.ScheduleStatus = &status
	}
	return info
}

// invoke sends one host-shaped invocation through the handler, holding the
// function's singleton flag for its duration.
func (s *Scheduler) invoke(ctx context.Context, t *timer, info TimerInfo) (resp InvokeResponse, err error) {
	name := t.fn.Name
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return resp, fmt.Errorf("invoke %s: %w", name, ErrStopped)
	}
	if !t.busy.CompareAndSwap(false, true) {
		s.mu.Unlock()
		return resp, fmt.Errorf("invoke %s: %w", name, ErrBusy)
	}
	s.running.Add(1)
	s.mu.Unlock()
	defer s.running.Done()
	defer t.busy.Store(false)

	// Stop cancels runs that outlive its deadline, whoever started them.
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	defer context.AfterFunc(s.ctx, cancel)()

	id := newUUID()
	logger := s.logger.With("function", name, "invocation_id", id)
	req, err := s.newRequest(ctx, t, info, id)
	if err != nil {
		return resp, fmt.Errorf("invoke %s: %w", name, err)
	}
	start := s.now()
	rec := &recorder{header: http.Header{}}
	if err := serve(s.handler, rec, req); err != nil {
		logger.Error("invocation failed", "error", err)
		return resp, fmt.Errorf("invoke %s: %w", name, err)
	}
	elapsed := s.now().Sub(start)
	if rec.code == 0 {
		rec.code = http.StatusOK // what net/http sends for a handler that writes nothing
	}
	// Judge the answer as the host does: a non-2xx fails the run before the
	// body is read (§1.4).
	if rec.code < 200 || rec.code > 299 {
		logger.Error("invocation failed", "status", rec.code, "duration", elapsed)
		return resp, fmt.Errorf("invoke %s: handler answered %d", name, rec.code)
	}
	if err := json.Unmarshal(rec.body.Bytes(), &resp); err != nil {
		logger.Error("invocation failed: unreadable envelope", "error", err)
		return resp, fmt.Errorf("invoke %s: read envelope: %w", name, err)
	}
	for _, line := range resp.Logs {
		logger.Info(line)
	}
	logger.Info("invocation succeeded", "duration", elapsed)
	return resp, nil
}

// newRequest builds the request as the host sends it: POST to 127.0.0.1 at the
// function's name, the invocation headers, and a payload-mode body (§1.2, §1.3).
func (s *Scheduler) newRequest(ctx context.Context, t *timer, info TimerInfo, id string) (*http.Request, error) {
	timerJSON, err := json.Marshal(info)
	if err != nil {
		return nil, err
	}
	sys, err := json.Marshal(map[string]string{
		"MethodName": t.fn.Name,
		"UtcNow":     s.now().UTC().Format("2006-01-02T15:04:05.9999999Z07:00"),
		"RandGuid":   newUUID(),
	})
	if err != nil {
		return nil, err
	}
	body, err := json.Marshal(InvokeRequest{
		Data:     map[string]json.RawMessage{t.binding: timerJSON},
		Metadata: map[string]json.RawMessage{"sys": sys},
	})
	if err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://127.0.0.1/"+url.PathEscape(t.fn.Name), bytes.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.RemoteAddr = "127.0.0.1:0"
	req.RequestURI = req.URL.RequestURI()
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set(HeaderInvocationID, id)
	req.Header.Set(HeaderHostVersion, "local")
	req.Header.Set("User-Agent", "Azure-Functions-Host/local")
	return req, nil
}

// serve calls the handler, turning a panic into an error: in-process there is
// no net/http server to recover it.
func serve(h http.Handler, w http.ResponseWriter, r *http.Request) (err error) {
	defer func() {
		if v := recover(); v != nil {
			err = fmt.Errorf("handler panicked: %v", v)
		}
	}()
	h.ServeHTTP(w, r)
	return nil
}

// recorder is a minimal in-memory http.ResponseWriter (httptest belongs in tests).
type recorder struct {
	header http.Header
	code   int
	body   bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }

func (r *recorder) WriteHeader(code int) {
	if r.code == 0 {
		r.code = code
	}
}

func (r *recorder) Write(p []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.body.Write(p)
}

// newUUID returns a random (version 4) UUID, the form of the host's ids.
func newUUID() string {
	var b [16]byte
	_, _ = io.ReadFull(rand.Reader, b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// cronLogger routes the cron library's own messages to slog.
type cronLogger struct{ l *slog.Logger }

func (c cronLogger) Info(msg string, kv ...any) { c.l.Debug("cron: "+msg, kv...) }

func (c cronLogger) Error(err error, msg string, kv ...any) {
	c.l.Error("cron: "+msg, append(kv, "error", err)...)
}
