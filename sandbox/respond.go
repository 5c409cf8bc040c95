package sandbox

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"
)

// maxBody bounds what the sandbox reads of a request body; real APIs take
// far less, and a runaway client should fail here, not exhaust memory.
const maxBody = 1 << 20

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// readBody reads the whole request body, which signatures and fault
// handling need as bytes, and puts it back for later readers.
func readBody(r *http.Request) ([]byte, error) {
	if r.Body == nil {
		return nil, nil
	}
	b, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBody))
	if err != nil {
		return nil, err
	}
	r.Body = io.NopCloser(bytes.NewReader(b))
	return b, nil
}

// jsonFieldError turns a decoding error into a message that names the
// field, as the real APIs' 400 answers do.
func jsonFieldError(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) && te.Field != "" {
		return te.Field + " must be a JSON " + jsonKind(te.Type.Kind().String())
	}
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return "body is not valid JSON"
	}
	return "body: " + err.Error()
}

func jsonKind(goKind string) string {
	switch goKind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "slice":
		return "array"
	case "map", "struct":
		return "object"
	default:
		return "number"
	}
}

// maskMSISDN keeps the country prefix and the last two digits of a phone
// number, the only form of it that may be logged: "+47******67".
func maskMSISDN(s string) string {
	if len(s) <= 5 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-5) + s[len(s)-2:]
}

// stripQuery drops the query of a URL for logging, since callback URLs
// carry signatures there.
func stripQuery(u string) string {
	u, _, _ = strings.Cut(u, "?")
	return u
}

// statusWriter remembers the status for the request log. Unwrap keeps
// http.ResponseController (and so Hijack) working through it.
type statusWriter struct {
	http.ResponseWriter
	status int
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// logRequests logs one line per request: the method, the path (never the
// query, which may carry signatures, nor any header) and the outcome.
func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		defer func() {
			// status 0: the connection was dropped on purpose (or the
			// handler was aborted) before any answer.
			log.LogAttrs(r.Context(), slog.LevelInfo, "sandbox request",
				slog.String("method", r.Method), slog.String("path", r.URL.Path),
				slog.Int("status", sw.status), slog.Duration("took", time.Since(start)))
		}()
		next.ServeHTTP(sw, r)
	})
}
