package funcs

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
)

// Function is one function of the app as declared by <Name>/function.json.
type Function struct {
	// Name is the folder name: the deployed function name and, for non-HTTP
	// triggers, the invocation path POST /<Name> (AZURE-FUNCTIONS.md §1.3).
	Name string
	// Dir is the folder holding function.json.
	Dir string
	// Disabled mirrors function.json's "disabled".
	Disabled bool
	// Bindings are the declared bindings, in file order.
	Bindings []Binding
	// Schedule is the timer trigger's schedule as written (possibly a
	// %SETTING% reference); empty for other triggers.
	Schedule string
}

// Binding is one entry of function.json's "bindings". Only the fields this app
// uses are decoded.
type Binding struct {
	Type      string   `json:"type"`
	Direction string   `json:"direction"`
	Name      string   `json:"name"`
	AuthLevel string   `json:"authLevel,omitempty"`
	Methods   []string `json:"methods,omitempty"`
	Route     string   `json:"route,omitempty"`
	Schedule  string   `json:"schedule,omitempty"`
	// RunOnStartup fires the timer once when the host (or Scheduler) starts.
	RunOnStartup bool `json:"runOnStartup,omitempty"`
	// UseMonitor is nil when not set: the host then monitors schedules whose
	// interval is one minute or more (§1.7).
	UseMonitor *bool `json:"useMonitor,omitempty"`
}

// IsTrigger reports whether the binding is the function's trigger.
func (b Binding) IsTrigger() bool {
	return strings.HasSuffix(strings.ToLower(b.Type), "trigger")
}

// Trigger returns the function's trigger binding.
func (f Function) Trigger() (Binding, bool) {
	for _, b := range f.Bindings {
		if b.IsTrigger() {
			return b, true
		}
	}
	return Binding{}, false
}

// IsTimer reports whether the function has a timer trigger.
func (f Function) IsTimer() bool {
	t, ok := f.Trigger()
	return ok && strings.EqualFold(t.Type, "timerTrigger")
}

// functionName is the host's rule for function names; a folder that breaks it
// is not loaded in Azure, so it is refused here too.
var functionName = regexp.MustCompile(`(?i)^[a-z][a-z0-9_\-]{0,127}$`)

// LoadFunctions reads every <root>/functions/*/function.json, sorted by name.
// When <root>/functions does not exist it reads <root>/*/function.json instead:
// that is the staged layout in dist/, the one the host itself scans (its script
// root holds one folder per function beside host.json), so the same binary
// finds its timers in the repository and in a published package.
func LoadFunctions(root string) ([]Function, error) {
	base := filepath.Join(root, "functions")
	if st, err := os.Stat(base); err != nil || !st.IsDir() {
		base = root
	}
	paths, err := filepath.Glob(filepath.Join(base, "*", "function.json"))
	if err != nil {
		return nil, fmt.Errorf("load functions: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("load functions: no */function.json under %s", base)
	}
	fns := make([]Function, 0, len(paths))
	for _, p := range paths {
		f, err := loadFunction(p)
		if err != nil {
			return nil, fmt.Errorf("load functions: %w", err)
		}
		fns = append(fns, f)
	}
	return fns, nil
}

func loadFunction(path string) (Function, error) {
	dir := filepath.Dir(path)
	f := Function{Name: filepath.Base(dir), Dir: dir}
	if !functionName.MatchString(f.Name) {
		return f, fmt.Errorf("%s: %q is not a valid function name", path, f.Name)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return f, err
	}
	var doc struct {
		Disabled bool      `json:"disabled"`
		Bindings []Binding `json:"bindings"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return f, fmt.Errorf("%s: %w", path, err)
	}
	f.Disabled, f.Bindings = doc.Disabled, doc.Bindings

	triggers := 0
	names := map[string]bool{}
	for i, bd := range f.Bindings {
		if bd.Type == "" || bd.Name == "" {
			return f, fmt.Errorf("%s: binding %d needs a type and a name", path, i)
		}
		key := strings.ToLower(bd.Name)
		if names[key] {
			return f, fmt.Errorf("%s: binding name %q is used twice", path, bd.Name)
		}
		names[key] = true
		if bd.IsTrigger() {
			triggers++
		}
	}
	if triggers != 1 {
		return f, fmt.Errorf("%s: want exactly one trigger binding, found %d", path, triggers)
	}
	if f.IsTimer() {
		t, _ := f.Trigger()
		if strings.TrimSpace(t.Schedule) == "" {
			return f, fmt.Errorf("%s: timer trigger %q has no schedule", path, t.Name)
		}
		f.Schedule = t.Schedule
	}
	return f, nil
}

// ErrSettingUnset is returned (wrapped) by ExpandSetting when a %NAME% refers
// to an app setting that is not set.
var ErrSettingUnset = errors.New("app setting is not set")

// ExpandSetting replaces every %NAME% in s with getenv(NAME), as the host
// resolves binding expressions such as a timer's "%RECONCILER_SCHEDULE%"
// against app settings (§1.7). An empty value counts as unset and is an error,
// as the host fails such a function at indexing ("'%NAME%' does not resolve to
// a value") rather than run it on an empty schedule. A lone % is an error too.
func ExpandSetting(s string, getenv func(string) string) (string, error) {
	if getenv == nil {
		getenv = os.Getenv
	}
	var out strings.Builder
	rest := s
	for {
		i := strings.IndexByte(rest, '%')
		if i < 0 {
			out.WriteString(rest)
			return out.String(), nil
		}
		out.WriteString(rest[:i])
		rest = rest[i+1:]
		j := strings.IndexByte(rest, '%')
		if j < 0 {
			return "", fmt.Errorf("expand %q: unmatched %%", s)
		}
		name := rest[:j]
		rest = rest[j+1:]
		if name == "" {
			return "", fmt.Errorf("expand %q: empty %%%% setting name", s)
		}
		v := getenv(name)
		if v == "" {
			return "", fmt.Errorf("expand %q: %s: %w", s, name, ErrSettingUnset)
		}
		out.WriteString(v)
	}
}
