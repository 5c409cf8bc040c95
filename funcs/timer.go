package funcs

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"runtime/debug"
	"sort"
	"sync"
)

// Header names the host sets on every invocation request (AZURE-FUNCTIONS.md §1.2).
const (
	HeaderInvocationID = "X-Azure-Functions-InvocationId"
	HeaderHostVersion  = "X-Azure-Functions-HostVersion"
)

// maxInvokeBody bounds the invocation body: a timer payload is a few hundred
// bytes, and the port only listens for the local host.
const maxInvokeBody = 1 << 20

// maxLogLines caps Logs so a runaway loop cannot build an envelope the host
// chokes on; the mirror to slog still sees every line.
const maxLogLines = 1000

// TimerFunc is the body of a timer function. It gets the request's context,
// which ends when the host gives up on the invocation, and returns an error to
// mark the run failed.
type TimerFunc func(ctx context.Context, info TimerInfo, log *InvocationLog) error

// TimerOption configures TimerHandler.
type TimerOption func(*timerHandler)

// WithLogger sets the logger that receives the invocation's lines and
// failures; the default is slog.Default().
func WithLogger(l *slog.Logger) TimerOption {
	return func(h *timerHandler) {
		if l != nil {
			h.logger = l
		}
	}
}

// TimerHandler serves a timer function's invocations, POST /<name> with an
// InvokeRequest body, in the host's payload mode. Mount it on that pattern, for
// example mux.Handle("POST /Reconciler", funcs.TimerHandler("Reconciler", run)).
//
// It answers 200 with {"Outputs":{},"Logs":[...],"ReturnValue":null} when run
// succeeds, 500 with the same envelope plus the error line when it fails or
// panics, and 400 when the body is not an invocation. Any non-2xx makes the
// host record a failed run (it calls EnsureSuccessStatusCode, §1.4); the timer
// is not retried and runs again at its next occurrence (§1.6).
func TimerHandler(name string, run TimerFunc, opts ...TimerOption) http.Handler {
	h := &timerHandler{name: name, run: run, logger: slog.Default()}
	for _, o := range opts {
		o(h)
	}
	return h
}

type timerHandler struct {
	name   string
	run    TimerFunc
	logger *slog.Logger
}

func (h *timerHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	logger := h.logger.With("function", h.name, "invocation_id", r.Header.Get(HeaderInvocationID))
	ilog := NewInvocationLog(logger)

	var req InvokeRequest
	err := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxInvokeBody)).Decode(&req)
	if err != nil {
		status := http.StatusBadRequest
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			status = http.StatusRequestEntityTooLarge
		}
		h.fail(w, status, ilog, logger, fmt.Errorf("malformed invocation request: %w", err))
		return
	}
	raw, key := timerValue(req.Data)
	info, err := DecodeTimer(raw)
	if err != nil {
		h.fail(w, http.StatusBadRequest, ilog, logger, fmt.Errorf("timer binding %q: %w", key, err))
		return
	}
	if key == "" {
		ilog.Add("no timer binding in Data; running with an empty TimerInfo")
	}
	if err := h.call(r.Context(), info, ilog); err != nil {
		h.fail(w, http.StatusInternalServerError, ilog, logger, err)
		return
	}
	writeEnvelope(w, http.StatusOK, ilog.Lines())
}

// call runs the function and turns a panic into an error, so the host sees a
// failed invocation instead of a dropped connection.
func (h *timerHandler) call(ctx context.Context, info TimerInfo, ilog *InvocationLog) (err error) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			h.logger.Error("timer function panicked", "function", h.name, "panic", v, "stack", string(debug.Stack()))
			err = fmt.Errorf("panic: %v", v)
		}
	}()
	return h.run(ctx, info, ilog)
}

// fail answers a non-2xx envelope. The host drops the body of a non-2xx
// answer unread (EnsureSuccessStatusCode comes first, §1.4), so the lines are
// also written to the logger: the host logs the handler's stdout (§1.2).
func (h *timerHandler) fail(w http.ResponseWriter, status int, ilog *InvocationLog, logger *slog.Logger, err error) {
	lines := ilog.Lines()
	for _, l := range lines {
		logger.Info(l)
	}
	logger.Error("timer invocation failed", "status", status, "error", err)
	// Appended after Lines so the cap can never drop the one line that matters.
	writeEnvelope(w, status, append(lines, "error: "+err.Error()))
}

// timerValue picks the timer from Data. We name the binding "timer", but the
// key is whatever function.json says, so any key is accepted: "timer" first,
// then the only entry, then the first key in sorted order (the host sends one
// entry per trigger or input binding, and a timer function has only the one).
func timerValue(data map[string]json.RawMessage) (json.RawMessage, string) {
	if v, ok := data["timer"]; ok {
		return v, "timer"
	}
	keys := make([]string, 0, len(data))
	for k := range data {
		keys = append(keys, k)
	}
	if len(keys) == 0 {
		return nil, ""
	}
	sort.Strings(keys)
	return data[keys[0]], keys[0]
}

// writeEnvelope sets Content-Type explicitly: the host reads the body with
// media-type formatters (§1.4 [inferred]), and every official sample sets it.
func writeEnvelope(w http.ResponseWriter, status int, lines []string) {
	b, err := json.Marshal(InvokeResponse{Logs: lines})
	if err != nil {
		// Only strings are marshalled, so this cannot happen; answer an
		// envelope anyway rather than an empty body.
		b = []byte(`{"Outputs":{},"Logs":[],"ReturnValue":null}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// InvocationLog collects the log lines of one invocation for the envelope's
// Logs, which the host writes to its logs and Application Insights. It is safe
// for concurrent use, and a nil *InvocationLog discards lines.
//
// Each line is mirrored to the logger at Debug level only: the envelope
// already carries it to the host (or, without a host, to the Scheduler, which
// logs it), so an Info mirror would log every line twice.
type InvocationLog struct {
	logger  *slog.Logger
	mu      sync.Mutex
	lines   []string
	dropped int
}

// NewInvocationLog returns an empty log mirroring to logger (nil discards).
func NewInvocationLog(logger *slog.Logger) *InvocationLog {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &InvocationLog{logger: logger}
}

// Printf adds a line formatted as fmt.Sprintf does.
func (l *InvocationLog) Printf(format string, args ...any) {
	l.Add(fmt.Sprintf(format, args...))
}

// Add adds one line.
func (l *InvocationLog) Add(line string) {
	if l == nil {
		return
	}
	l.logger.Debug(line)
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) >= maxLogLines {
		l.dropped++
		return
	}
	l.lines = append(l.lines, line)
}

// Lines returns a copy of the lines so far, ending with a note of how many
// were dropped past the cap, if any.
func (l *InvocationLog) Lines() []string {
	if l == nil {
		return nil
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, len(l.lines), len(l.lines)+1)
	copy(out, l.lines)
	if l.dropped > 0 {
		out = append(out, fmt.Sprintf("(%d more lines dropped)", l.dropped))
	}
	return out
}
