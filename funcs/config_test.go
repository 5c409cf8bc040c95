package funcs_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/linkmobility/sms2vipps/funcs"
)

// repoRoot is the module root seen from this package's directory.
const repoRoot = ".."

// specsDir holds the SchemaStore copies; shared/ sits beside the clone both
// here (/work/shared) and in CI.
var specsDir = filepath.Join(repoRoot, "..", "shared", "specs", "azure-functions")

// compileSchema compiles a schema file. The function schema declares draft-04
// but uses the draft-06 keyword const; under draft-04 every binding then
// matches two oneOf branches, so it is read under draft-07 rules as editors do
// (specs/azure-functions/SOURCES.md, "one quirk").
func compileSchema(t *testing.T, file string, forceDraft7 bool) *jsonschema.Schema {
	t.Helper()
	path := filepath.Join(specsDir, file)
	f, err := os.Open(path)
	require.NoErrorf(t, err, "the Azure Functions schemas are missing: expected %s (the shared/ directory must sit beside the repository clone)", path)
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	require.NoError(t, err)
	if forceDraft7 {
		obj, ok := doc.(map[string]any)
		require.True(t, ok)
		obj["$schema"] = "http://json-schema.org/draft-07/schema#"
	}
	c := jsonschema.NewCompiler()
	url := "file:///specs/" + file
	require.NoError(t, c.AddResource(url, doc))
	sch, err := c.Compile(url)
	require.NoError(t, err)
	return sch
}

func hostSchema(t *testing.T) *jsonschema.Schema {
	return compileSchema(t, "host.schema.json", false)
}

func functionSchema(t *testing.T) *jsonschema.Schema {
	return compileSchema(t, "function.schema.json", true)
}

func readJSON(t *testing.T, path string) any {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return parseJSON(t, string(b))
}

func parseJSON(t *testing.T, s string) any {
	t.Helper()
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader([]byte(s)))
	require.NoError(t, err)
	return v
}

func functionFiles(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(repoRoot, "functions", "*", "function.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	return files
}

func TestHostJSONValidates(t *testing.T) {
	sch := hostSchema(t)
	assert.NoError(t, sch.Validate(readJSON(t, filepath.Join(repoRoot, "host.json"))))

	var host struct {
		CustomHandler struct {
			Description struct {
				DefaultExecutablePath string
			}
			EnableForwardingHttpRequest bool
		}
		Extensions struct{ HTTP struct{ RoutePrefix *string } }
	}
	b, err := os.ReadFile(filepath.Join(repoRoot, "host.json"))
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(b, &host))
	// scripts/build.sh writes dist/handler; the host runs the file named here.
	assert.Equal(t, "handler", host.CustomHandler.Description.DefaultExecutablePath)
	// HTTP functions rely on being forwarded as is to /api/<route> (§1.5).
	assert.True(t, host.CustomHandler.EnableForwardingHttpRequest)
	require.NotNil(t, host.Extensions.HTTP.RoutePrefix)
	assert.Equal(t, "api", *host.Extensions.HTTP.RoutePrefix)
}

func TestHostSchemaRejects(t *testing.T) {
	sch := hostSchema(t)
	for _, tt := range []struct{ name, doc string }{
		{"NoVersion", `{"customHandler":{"description":{"defaultExecutablePath":"handler"}}}`},
		{"WrongVersion", `{"version":"3.0"}`},
		{"UnknownKey", `{"version":"2.0","customHandlr":{}}`},
		{"BadTimeout", `{"version":"2.0","functionTimeout":"10 minutes"}`},
		{"BadLogLevel", `{"version":"2.0","logging":{"logLevel":{"default":"Verbose"}}}`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			assert.Error(t, sch.Validate(parseJSON(t, tt.doc)))
		})
	}
}

// methodEnum is the schema's list; its methods.items is a draft-04 tuple that
// checks only the first element (AZURE-FUNCTIONS.md §1.7), so the rest are
// checked here.
var methodEnum = []string{"get", "post", "delete", "head", "patch", "put", "options", "trace"}

func TestFunctionJSONValidates(t *testing.T) {
	sch := functionSchema(t)
	for _, file := range functionFiles(t) {
		name := filepath.Base(filepath.Dir(file))
		t.Run(name, func(t *testing.T) {
			assert.NoError(t, sch.Validate(readJSON(t, file)))

			fns, err := funcs.LoadFunctions(repoRoot)
			require.NoError(t, err)
			var fn funcs.Function
			for _, f := range fns {
				if f.Name == name {
					fn = f
				}
			}
			require.Equal(t, name, fn.Name)
			trig, ok := fn.Trigger()
			require.True(t, ok)
			switch trig.Type {
			case "httpTrigger":
				// Forwarding applies only to exactly one httpTrigger in and
				// one http out (§1.5); anything more falls back to payload
				// mode, which the HTTP layer does not speak.
				require.Len(t, fn.Bindings, 2)
				assert.Equal(t, "http", fn.Bindings[1].Type)
				assert.Equal(t, "out", fn.Bindings[1].Direction)
				assert.NotEmpty(t, trig.AuthLevel, "authLevel is a decision; do not inherit the default")
				for _, m := range trig.Methods {
					assert.Contains(t, methodEnum, m)
				}
			case "timerTrigger":
				require.Len(t, fn.Bindings, 1)
				assert.Equal(t, "timer", trig.Name)
				assert.False(t, trig.RunOnStartup, "runOnStartup also fires on every scale-out (§1.7)")
			default:
				t.Fatalf("unexpected trigger %q", trig.Type)
			}
		})
	}
}

func TestFunctionSchemaRejects(t *testing.T) {
	sch := functionSchema(t)
	for _, tt := range []struct {
		name, doc string
		valid     bool
	}{
		{"CanonicalHTTP", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"function","methods":["get"]},{"type":"http","direction":"out","name":"res"}]}`, true},
		{"CanonicalTimer", `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":"0 */5 * * * *"}]}`, true},
		{"BogusAuthLevel", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","authLevel":"bogus"}]}`, false},
		{"BogusFirstMethod", `{"bindings":[{"type":"httpTrigger","direction":"in","name":"req","methods":["fetch"]}]}`, false},
		{"TimerOut", `{"bindings":[{"type":"timerTrigger","direction":"out","name":"timer","schedule":"0 * * * * *"}]}`, false},
		{"ScheduleNotString", `{"bindings":[{"type":"timerTrigger","direction":"in","name":"timer","schedule":5}]}`, false},
		{"DisabledNotBool", `{"disabled":"yes","bindings":[]}`, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			err := sch.Validate(parseJSON(t, tt.doc))
			if tt.valid {
				assert.NoError(t, err)
			} else {
				assert.Error(t, err)
			}
		})
	}
}

var settingRef = regexp.MustCompile(`%([^%]+)%`)

func TestTimerSettingsHaveDocumentedDefaults(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "local.settings.json.example"))
	require.NoError(t, err)
	var example struct {
		IsEncrypted bool
		Values      map[string]string
	}
	require.NoError(t, json.Unmarshal(b, &example))
	assert.False(t, example.IsEncrypted)
	assert.Equal(t, "custom", strings.ToLower(example.Values["FUNCTIONS_WORKER_RUNTIME"]))

	fns, err := funcs.LoadFunctions(repoRoot)
	require.NoError(t, err)
	timers := 0
	for _, f := range fns {
		if !f.IsTimer() {
			continue
		}
		timers++
		for _, m := range settingRef.FindAllStringSubmatch(f.Schedule, -1) {
			v, ok := example.Values[m[1]]
			if assert.Truef(t, ok && v != "", "%s: setting %s has no default in local.settings.json.example", f.Name, m[1]) {
				_, err := funcs.ParseSchedule(v)
				assert.NoErrorf(t, err, "%s: default of %s", f.Name, m[1])
			}
		}
		// The same defaults make a Scheduler for a bare local run.
		_, err := funcs.NewScheduler([]funcs.Function{f}, funcs.SchedulerConfig{
			Handler:  http.NotFoundHandler(),
			Getenv:   func(string) string { return "" },
			Defaults: example.Values,
		})
		assert.NoError(t, err, f.Name)
	}
	assert.NotZero(t, timers)
}
