package funcs_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linkmobility/sms2vipps/funcs"
)

// writeFunction writes dir/<name>/function.json.
func writeFunction(t *testing.T, dir, name, body string) {
	t.Helper()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, name), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, name, "function.json"), []byte(body), 0o644))
}

const (
	httpFunctionJSON  = `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"anonymous","methods":["post"]},{"type":"http","direction":"out","name":"res"}]}`
	timerFunctionJSON = `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"%SWEEP_SCHEDULE%","useMonitor":false}]}`
)

func TestLoadFunctions(t *testing.T) {
	t.Run("RepositoryLayout", func(t *testing.T) {
		root := t.TempDir()
		writeFunction(t, filepath.Join(root, "functions"), "Sweep", timerFunctionJSON)
		writeFunction(t, filepath.Join(root, "functions"), "Hook", httpFunctionJSON)

		fns, err := funcs.LoadFunctions(root)
		require.NoError(t, err)
		require.Len(t, fns, 2)
		assert.Equal(t, "Hook", fns[0].Name, "sorted by name")
		assert.False(t, fns[0].IsTimer())
		assert.Empty(t, fns[0].Schedule)
		trig, ok := fns[0].Trigger()
		require.True(t, ok)
		assert.Equal(t, []string{"post"}, trig.Methods)

		assert.Equal(t, "Sweep", fns[1].Name)
		assert.True(t, fns[1].IsTimer())
		assert.Equal(t, "%SWEEP_SCHEDULE%", fns[1].Schedule)
		trig, _ = fns[1].Trigger()
		require.NotNil(t, trig.UseMonitor)
		assert.False(t, *trig.UseMonitor)
	})
	t.Run("StagedLayout", func(t *testing.T) {
		root := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(root, "host.json"), []byte(`{"version":"2.0"}`), 0o644))
		writeFunction(t, root, "Sweep", timerFunctionJSON)

		fns, err := funcs.LoadFunctions(root)
		require.NoError(t, err)
		require.Len(t, fns, 1)
		assert.Equal(t, "Sweep", fns[0].Name)
	})
	t.Run("ThisRepository", func(t *testing.T) {
		fns, err := funcs.LoadFunctions("..")
		require.NoError(t, err)
		var names []string
		for _, f := range fns {
			names = append(names, f.Name)
		}
		assert.Equal(t, []string{"AgreementLink", "KeywordSent", "PaycoreStatus", "Receipt", "Reconciler", "RecurringCharger", "SMS2VippsFunction", "Subscriptions", "VippsWebhook"}, names)
	})
}

func TestLoadFunctionsErrors(t *testing.T) {
	for _, tt := range []struct {
		name, folder, body string
	}{
		{"ErrMalformed", "Bad", `{"bindings":[`},
		{"ErrNoTrigger", "Bad", `{"bindings":[{"type":"http","direction":"out","name":"res"}]}`},
		{"ErrTwoTriggers", "Bad", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"a"},{"type":"timerTrigger","direction":"in","name":"b","schedule":"0 * * * * *"}]}`},
		{"ErrDuplicateName", "Bad", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req"},{"type":"http","direction":"out","name":"REQ"}]}`},
		{"ErrTimerWithoutSchedule", "Bad", `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer"}]}`},
		{"ErrInvalidFunctionName", "1Bad", httpFunctionJSON},
	} {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			writeFunction(t, filepath.Join(root, "functions"), tt.folder, tt.body)
			_, err := funcs.LoadFunctions(root)
			assert.Error(t, err)
		})
	}
	t.Run("ErrNoFunctions", func(t *testing.T) {
		_, err := funcs.LoadFunctions(t.TempDir())
		assert.ErrorContains(t, err, "no */function.json")
	})
}

func TestExpandSetting(t *testing.T) {
	env := map[string]string{"RECONCILER_SCHEDULE": "0 */1 * * * *", "A": "x", "B": "y"}
	getenv := func(k string) string { return env[k] }

	for _, tt := range []struct {
		name, in, want string
		wantUnset      bool
		wantErr        bool
	}{
		{name: "Whole", in: "%RECONCILER_SCHEDULE%", want: "0 */1 * * * *"},
		{name: "Literal", in: "0 0 * * * *", want: "0 0 * * * *"},
		{name: "Several", in: "%A%-%B%/%A%", want: "x-y/x"},
		{name: "ErrUnset", in: "%MISSING_SCHEDULE%", wantErr: true, wantUnset: true},
		{name: "ErrUnmatched", in: "50%", wantErr: true},
		{name: "ErrEmptyName", in: "%%", wantErr: true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			got, err := funcs.ExpandSetting(tt.in, getenv)
			if tt.wantErr {
				require.Error(t, err)
				assert.Equal(t, tt.wantUnset, errorsIs(err, funcs.ErrSettingUnset))
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
}
