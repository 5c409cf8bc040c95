package httpapi

import (
	"encoding/json"
	"log/slog"
	"net/http"

	"github.com/linkmobility/sms2vipps"
)

// codes maps each domain error code to its HTTP status. It is the only
// place that decides statuses.
var codes = map[string]int{
	sms2vipps.EINVALID:      http.StatusBadRequest,
	sms2vipps.EUNAUTHORIZED: http.StatusUnauthorized,
	sms2vipps.ENOTFOUND:     http.StatusNotFound,
	sms2vipps.ECONFLICT:     http.StatusConflict,
	sms2vipps.EUPSTREAM:     http.StatusBadGateway,
	sms2vipps.EUNAVAILABLE:  http.StatusServiceUnavailable,
	sms2vipps.EINTERNAL:     http.StatusInternalServerError,
}

// ErrorStatus returns the HTTP status for err.
func ErrorStatus(err error) int {
	if s, ok := codes[sms2vipps.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

type errorBody struct {
	Error struct {
		Code    string                 `json:"code"`
		Message string                 `json:"message"`
		Fields  []sms2vipps.FieldError `json:"fields,omitempty"`
	} `json:"error"`
}

// writeError answers with the error's status and a JSON body holding only
// what is safe to show. Internal errors are logged with their detail;
// others are the caller's business and logged at debug level.
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	status := ErrorStatus(err)
	var body errorBody
	body.Error.Code = sms2vipps.ErrorCode(err)
	body.Error.Message = sms2vipps.ErrorMessage(err)
	body.Error.Fields = sms2vipps.ErrorFields(err)
	if status >= 500 {
		log.Error("request failed", "path", r.URL.Path, "status", status, "err", err)
	} else {
		log.Debug("request refused", "path", r.URL.Path, "status", status, "err", err)
	}
	writeJSON(w, status, body)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
