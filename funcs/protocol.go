// Package funcs speaks the Azure Functions custom-handler protocol for the one
// sms2vipps binary: the invocation envelope the host POSTs for non-HTTP
// triggers, the timer payload, discovery of functions/*/function.json, and a
// local scheduler that fires the timer functions the same way when no host runs
// the binary (local runs, demos, a plain container).
//
// HTTP functions need nothing from this package: host.json sets
// enableForwardingHttpRequest, so the host forwards their requests unchanged
// to /api/<route> (docs AZURE-FUNCTIONS.md §1.5).
package funcs

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// InvokeRequest is the body of the host's POST /<FunctionName> in payload mode
// (AZURE-FUNCTIONS.md §1.3). Data holds one entry per trigger and input binding,
// keyed by the binding's name in function.json; Metadata holds trigger metadata
// such as "sys" {MethodName, UtcNow, RandGuid}. Values stay raw because the
// host may send an object or a string that holds JSON for the same binding.
type InvokeRequest struct {
	Data     map[string]json.RawMessage `json:"Data"`
	Metadata map[string]json.RawMessage `json:"Metadata"`
}

// InvokeResponse is the handler's answer to an InvokeRequest (§1.4). The host
// logs every Logs entry at Information level; Outputs feeds output bindings by
// name; ReturnValue feeds a "$return" binding.
type InvokeResponse struct {
	Outputs     map[string]any `json:"Outputs"`
	Logs        []string       `json:"Logs"`
	ReturnValue any            `json:"ReturnValue"`
}

// MarshalJSON writes nil Outputs as {} and nil Logs as [], the shapes of the
// official samples, so the host never meets a null where it expects a container.
func (r InvokeResponse) MarshalJSON() ([]byte, error) {
	type plain InvokeResponse
	p := plain(r)
	if p.Outputs == nil {
		p.Outputs = map[string]any{}
	}
	if p.Logs == nil {
		p.Logs = []string{}
	}
	return json.Marshal(p)
}

// TimerInfo is the WebJobs TimerInfo the host passes as a timer trigger's value
// (AZURE-FUNCTIONS.md §1.6).
type TimerInfo struct {
	Schedule TimerSchedule `json:"Schedule"`
	// ScheduleStatus is nil when the schedule monitor is off (useMonitor false,
	// or schedules firing more often than once a minute).
	ScheduleStatus *ScheduleStatus `json:"ScheduleStatus"`
	// IsPastDue is set when the invocation is later than scheduled, e.g. the
	// host was down at the scheduled time.
	IsPastDue bool `json:"IsPastDue"`
}

// TimerSchedule is the part of the schedule the host serialises.
type TimerSchedule struct {
	AdjustForDST bool `json:"AdjustForDST"`
}

// ScheduleStatus is the schedule monitor's record. During an invocation Last is
// the previous run's scheduled time (the zero time before the first run) and
// Next the occurrence being run now: the host passes the record as it stood and
// rewrites it after the run [inferred from WebJobs' TimerListener; no official
// capture shows it].
type ScheduleStatus struct {
	Last        time.Time
	Next        time.Time
	LastUpdated time.Time
}

// dotnetLayout formats like the host's serialiser ("2016-10-04T10:15:00+00:00"),
// which the captures in §1.6 show.
const dotnetLayout = "2006-01-02T15:04:05.9999999-07:00"

// zeroDotnet is how .NET writes DateTime.MinValue, the Last before any run.
const zeroDotnet = "0001-01-01T00:00:00"

type scheduleStatusJSON struct {
	Last        *string `json:"Last"`
	Next        *string `json:"Next"`
	LastUpdated *string `json:"LastUpdated"`
}

// MarshalJSON writes the times the way the host does, the zero time included.
func (s ScheduleStatus) MarshalJSON() ([]byte, error) {
	format := func(t time.Time) *string {
		v := zeroDotnet
		if !t.IsZero() {
			v = t.Format(dotnetLayout)
		}
		return &v
	}
	return json.Marshal(scheduleStatusJSON{format(s.Last), format(s.Next), format(s.LastUpdated)})
}

// UnmarshalJSON accepts RFC 3339 times and the zone-less form .NET writes for
// DateTime values of unspecified kind ("0001-01-01T00:00:00"); missing, null
// and empty values decode as the zero time.
func (s *ScheduleStatus) UnmarshalJSON(b []byte) error {
	var raw scheduleStatusJSON
	if err := json.Unmarshal(b, &raw); err != nil {
		return err
	}
	var out ScheduleStatus
	for _, f := range []struct {
		name string
		src  *string
		dst  *time.Time
	}{
		{"Last", raw.Last, &out.Last},
		{"Next", raw.Next, &out.Next},
		{"LastUpdated", raw.LastUpdated, &out.LastUpdated},
	} {
		t, err := parseHostTime(f.src)
		if err != nil {
			return fmt.Errorf("ScheduleStatus.%s: %w", f.name, err)
		}
		*f.dst = t
	}
	*s = out
	return nil
}

// parseHostTime reads a zone-less time as UTC: the host computes schedules in
// UTC (time zones are not supported on Linux Consumption/Flex, §1.7).
func parseHostTime(s *string) (time.Time, error) {
	if s == nil || strings.TrimSpace(*s) == "" {
		return time.Time{}, nil
	}
	v := strings.TrimSpace(*s)
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return normalise(t), nil
	}
	t, err := time.ParseInLocation("2006-01-02T15:04:05", v, time.UTC)
	if err != nil {
		return time.Time{}, fmt.Errorf("unrecognised time %q", v)
	}
	return normalise(t), nil
}

// normalise maps .NET's DateTime.MinValue, whatever zone it was written in, to
// Go's zero time so callers can test IsZero.
func normalise(t time.Time) time.Time {
	if t.Year() == 1 && t.YearDay() == 1 && t.Hour() == 0 && t.Minute() == 0 && t.Second() == 0 {
		return time.Time{}
	}
	return t.UTC()
}

// DecodeTimer decodes a timer trigger value from InvokeRequest.Data. It accepts
// the TimerInfo object or a JSON string that holds it: the host turns
// non-object values into JSON strings (§1.3), and no official capture settles
// which form a timer takes. null, "" and an absent value decode as a zero
// TimerInfo; that is what a manual run through the admin API may carry.
func DecodeTimer(raw json.RawMessage) (TimerInfo, error) {
	var info TimerInfo
	b := bytes.TrimSpace(raw)
	if len(b) == 0 || bytes.Equal(b, []byte("null")) {
		return info, nil
	}
	if b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return info, fmt.Errorf("decode timer: %w", err)
		}
		b = bytes.TrimSpace([]byte(s))
		if len(b) == 0 || bytes.Equal(b, []byte("null")) {
			return info, nil
		}
	}
	if b[0] != '{' {
		return info, errors.New("decode timer: want a TimerInfo object or a string holding one")
	}
	if err := json.Unmarshal(b, &info); err != nil {
		return TimerInfo{}, fmt.Errorf("decode timer: %w", err)
	}
	return info, nil
}
