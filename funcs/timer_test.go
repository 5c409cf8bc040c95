package funcs_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linkmobility/sms2vipps/funcs"
)

// hostRequest builds the request the host sends for a timer (§1.2, §1.3).
func hostRequest(t *testing.T, body string) *http.Request {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/Reconciler", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set(funcs.HeaderInvocationID, "6f3c2d1e-0000-4000-8000-000000000001")
	r.Header.Set("User-Agent", "Azure-Functions-Host/4.1037.0")
	return r
}

func decodeEnvelope(t *testing.T, rec *httptest.ResponseRecorder) map[string]json.RawMessage {
	t.Helper()
	assert.Equal(t, "application/json", rec.Header().Get("Content-Type"))
	var env map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &env), rec.Body.String())
	assert.JSONEq(t, `{}`, string(env["Outputs"]))
	assert.JSONEq(t, `null`, string(env["ReturnValue"]))
	return env
}

func logsOf(t *testing.T, env map[string]json.RawMessage) []string {
	t.Helper()
	var logs []string
	require.NoError(t, json.Unmarshal(env["Logs"], &logs))
	return logs
}

func TestTimerHandler(t *testing.T) {
	quoted, err := json.Marshal(timerObject)
	require.NoError(t, err)

	for _, tt := range []struct {
		name       string
		body       string
		run        funcs.TimerFunc
		wantStatus int
		wantLogs   []string
		wantCalled bool
	}{
		{
			name: "OK",
			body: `{"Data":{"timer":` + timerObject + `},"Metadata":{"sys":{"MethodName":"Reconciler"}}}`,
			run: func(ctx context.Context, info funcs.TimerInfo, log *funcs.InvocationLog) error {
				require.NotNil(t, info.ScheduleStatus)
				log.Printf("settled %d payments", 3)
				log.Add("done")
				return nil
			},
			wantStatus: http.StatusOK, wantLogs: []string{"settled 3 payments", "done"}, wantCalled: true,
		},
		{
			name: "OKTimerAsStringUnderAnotherName",
			body: `{"Data":{"myTimer":` + string(quoted) + `},"Metadata":{}}`,
			run: func(ctx context.Context, info funcs.TimerInfo, log *funcs.InvocationLog) error {
				assert.True(t, info.Schedule.AdjustForDST)
				return nil
			},
			wantStatus: http.StatusOK, wantLogs: []string{}, wantCalled: true,
		},
		{
			name:       "OKNoLogs",
			body:       `{"Data":{"timer":{}},"Metadata":{}}`,
			run:        func(context.Context, funcs.TimerInfo, *funcs.InvocationLog) error { return nil },
			wantStatus: http.StatusOK, wantLogs: []string{}, wantCalled: true,
		},
		{
			name: "ErrRun",
			body: `{"Data":{"timer":` + timerObject + `}}`,
			run: func(ctx context.Context, info funcs.TimerInfo, log *funcs.InvocationLog) error {
				log.Add("claimed 2 charges")
				return errors.New("paycore: 503")
			},
			wantStatus: http.StatusInternalServerError, wantLogs: []string{"claimed 2 charges", "error: paycore: 503"}, wantCalled: true,
		},
		{
			name:       "ErrPanic",
			body:       `{"Data":{"timer":{}}}`,
			run:        func(context.Context, funcs.TimerInfo, *funcs.InvocationLog) error { panic("boom") },
			wantStatus: http.StatusInternalServerError, wantLogs: []string{"error: panic: boom"}, wantCalled: true,
		},
		{
			name:       "ErrMalformedJSON",
			body:       `{"Data":`,
			wantStatus: http.StatusBadRequest,
		},
		{
			name:       "ErrMalformedTimer",
			body:       `{"Data":{"timer":42}}`,
			wantStatus: http.StatusBadRequest,
		},
	} {
		t.Run(tt.name, func(t *testing.T) {
			called := false
			run := func(ctx context.Context, info funcs.TimerInfo, log *funcs.InvocationLog) error {
				called = true
				return tt.run(ctx, info, log)
			}
			var logBuf bytes.Buffer
			logger := slog.New(slog.NewJSONHandler(&logBuf, nil))
			h := funcs.TimerHandler("Reconciler", run, funcs.WithLogger(logger))

			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, hostRequest(t, tt.body))

			assert.Equal(t, tt.wantStatus, rec.Code)
			assert.Equal(t, tt.wantCalled, called)
			logs := logsOf(t, decodeEnvelope(t, rec))
			if tt.wantLogs != nil {
				assert.Equal(t, tt.wantLogs, logs)
			}
			if tt.wantStatus != http.StatusOK {
				require.NotEmpty(t, logs)
				assert.True(t, strings.HasPrefix(logs[len(logs)-1], "error: "), logs)
				// The host drops a non-2xx body, so the failure must reach stdout too.
				assert.Contains(t, logBuf.String(), `"level":"ERROR"`)
				assert.Contains(t, logBuf.String(), `"invocation_id":"6f3c2d1e-0000-4000-8000-000000000001"`)
			}
		})
	}
}

func TestTimerHandlerPassesRequestContext(t *testing.T) {
	type key struct{}
	var got any
	h := funcs.TimerHandler("Reconciler", func(ctx context.Context, _ funcs.TimerInfo, _ *funcs.InvocationLog) error {
		got = ctx.Value(key{})
		return nil
	})
	r := hostRequest(t, `{"Data":{"timer":{}}}`)
	r = r.WithContext(context.WithValue(r.Context(), key{}, "v"))
	h.ServeHTTP(httptest.NewRecorder(), r)
	assert.Equal(t, "v", got)
}

func TestTimerHandlerRejectsOtherMethods(t *testing.T) {
	h := funcs.TimerHandler("Reconciler", func(context.Context, funcs.TimerInfo, *funcs.InvocationLog) error {
		t.Fatal("run must not be called")
		return nil
	})
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/Reconciler", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, rec.Code)
	assert.Equal(t, http.MethodPost, rec.Header().Get("Allow"))
}

func TestInvocationLog(t *testing.T) {
	t.Run("MirrorsAtDebug", func(t *testing.T) {
		var buf bytes.Buffer
		l := funcs.NewInvocationLog(slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{Level: slog.LevelDebug})))
		l.Printf("a=%d", 1)
		assert.Equal(t, []string{"a=1"}, l.Lines())
		assert.Contains(t, buf.String(), `level=DEBUG msg="a=1"`)
	})
	t.Run("NilIsSafe", func(t *testing.T) {
		var l *funcs.InvocationLog
		l.Add("x")
		assert.Empty(t, l.Lines())
	})
	t.Run("CapsLines", func(t *testing.T) {
		l := funcs.NewInvocationLog(nil)
		for i := range 1005 {
			l.Add(fmt.Sprint(i))
		}
		lines := l.Lines()
		require.Len(t, lines, 1001)
		assert.Equal(t, "(5 more lines dropped)", lines[1000])
	})
}
