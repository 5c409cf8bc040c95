package funcs_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linkmobility/sms2vipps/funcs"
)

// The object form is the WebJobs TimerInfo as documented (AZURE-FUNCTIONS.md §1.6).
const timerObject = `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":{"Last":"2016-10-04T10:15:00+00:00","LastUpdated":"2016-10-04T10:16:00+00:00","Next":"2016-10-04T10:20:00+00:00"},"IsPastDue":false}`

func TestDecodeTimer(t *testing.T) {
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		require.NoError(t, err)
		return v
	}
	documented := funcs.TimerInfo{
		Schedule: funcs.TimerSchedule{AdjustForDST: true},
		ScheduleStatus: &funcs.ScheduleStatus{
			Last:        at("2016-10-04T10:15:00Z"),
			Next:        at("2016-10-04T10:20:00Z"),
			LastUpdated: at("2016-10-04T10:16:00Z"),
		},
	}
	asString, err := json.Marshal(timerObject)
	require.NoError(t, err)

	for _, tt := range []struct {
		name string
		raw  string
		want funcs.TimerInfo
	}{
		{"object", timerObject, documented},
		{"string holding the object", string(asString), documented},
		{"null status", `{"Schedule":{"AdjustForDST":true},"ScheduleStatus":null,"IsPastDue":true}`,
			funcs.TimerInfo{Schedule: funcs.TimerSchedule{AdjustForDST: true}, IsPastDue: true}},
		{"zero Last without zone", `{"ScheduleStatus":{"Last":"0001-01-01T00:00:00","Next":"2024-05-01T12:01:00","LastUpdated":"2024-05-01T12:00:03.1234567+00:00"}}`,
			funcs.TimerInfo{ScheduleStatus: &funcs.ScheduleStatus{
				Next:        at("2024-05-01T12:01:00Z"),
				LastUpdated: at("2024-05-01T12:00:03.1234567Z"),
			}}},
		{"zero Last with zone", `{"ScheduleStatus":{"Last":"0001-01-01T00:00:00+00:00"}}`,
			funcs.TimerInfo{ScheduleStatus: &funcs.ScheduleStatus{}}},
		{"missing fields", `{}`, funcs.TimerInfo{}},
		{"null", `null`, funcs.TimerInfo{}},
		{"empty", ``, funcs.TimerInfo{}},
		{"empty string", `""`, funcs.TimerInfo{}},
		{"unknown fields", `{"Schedule":{"AdjustForDST":false,"Extra":1},"Other":"x"}`, funcs.TimerInfo{}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := funcs.DecodeTimer(json.RawMessage(tt.raw))
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
			if got.ScheduleStatus != nil {
				// Callers test IsZero for "never ran", whatever form .NET wrote.
				assert.Equal(t, tt.want.ScheduleStatus.Last.IsZero(), got.ScheduleStatus.Last.IsZero())
			}
		})
	}
}

func TestDecodeTimerErrors(t *testing.T) {
	for _, tt := range []struct{ name, raw string }{
		{"number", `42`},
		{"array", `[]`},
		{"string holding garbage", `"not json"`},
		{"bad time", `{"ScheduleStatus":{"Last":"yesterday"}}`},
		{"truncated", `{"Schedule":`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := funcs.DecodeTimer(json.RawMessage(tt.raw))
			assert.Error(t, err)
		})
	}
}

func TestScheduleStatusRoundTrip(t *testing.T) {
	in := funcs.ScheduleStatus{
		Next:        time.Date(2024, 5, 1, 12, 1, 0, 0, time.UTC),
		LastUpdated: time.Date(2024, 5, 1, 12, 0, 3, 0, time.UTC),
	}
	b, err := json.Marshal(in)
	require.NoError(t, err)
	assert.JSONEq(t, `{"Last":"0001-01-01T00:00:00","Next":"2024-05-01T12:01:00+00:00","LastUpdated":"2024-05-01T12:00:03+00:00"}`, string(b))

	var out funcs.ScheduleStatus
	require.NoError(t, json.Unmarshal(b, &out))
	assert.Equal(t, in, out)
}

func TestInvokeResponseJSON(t *testing.T) {
	for _, tt := range []struct {
		name string
		in   funcs.InvokeResponse
		want string
	}{
		{"empty", funcs.InvokeResponse{}, `{"Outputs":{},"Logs":[],"ReturnValue":null}`},
		{"filled", funcs.InvokeResponse{Outputs: map[string]any{"res": map[string]any{"statusCode": 200}}, Logs: []string{"a"}, ReturnValue: "x"},
			`{"Outputs":{"res":{"statusCode":200}},"Logs":["a"],"ReturnValue":"x"}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(b))
			p, err := json.Marshal(&tt.in)
			require.NoError(t, err)
			assert.JSONEq(t, tt.want, string(p), "pointer marshals the same")
		})
	}
}

func TestInvokeRequestJSON(t *testing.T) {
	var req funcs.InvokeRequest
	require.NoError(t, json.Unmarshal([]byte(`{"Data":{"timer":`+timerObject+`},"Metadata":{"sys":{"MethodName":"Reconciler"}}}`), &req))
	require.Contains(t, req.Data, "timer")
	info, err := funcs.DecodeTimer(req.Data["timer"])
	require.NoError(t, err)
	assert.True(t, info.Schedule.AdjustForDST)
	assert.JSONEq(t, `{"MethodName":"Reconciler"}`, string(req.Metadata["sys"]))
}
