package funcs

import "os"

// Environment variables the host sets for the handler process (§1.2).
const (
	EnvCustomHandlerPort = "FUNCTIONS_CUSTOMHANDLER_PORT"
	EnvAppRootPath       = "FUNCTIONS_APP_ROOT_PATH"
)

// DefaultPort is where the handler listens when no host has chosen a port.
const DefaultPort = "8080"

// HostPresent reports whether a Functions host started this process: the host
// always sets FUNCTIONS_CUSTOMHANDLER_PORT, and then it fires the timers
// itself, so the app must not run a Scheduler too. A nil getenv means os.Getenv.
func HostPresent(getenv func(string) string) bool {
	if getenv == nil {
		getenv = os.Getenv
	}
	return getenv(EnvCustomHandlerPort) != ""
}

// Port returns the port to listen on: the host's choice, else DefaultPort. The
// host probes 127.0.0.1:<port>/ until anything answers, 404 included, and
// gives up after about 30 s (§1.2), so listen before any slow start-up work.
func Port(getenv func(string) string) string {
	if getenv == nil {
		getenv = os.Getenv
	}
	if p := getenv(EnvCustomHandlerPort); p != "" {
		return p
	}
	return DefaultPort
}
