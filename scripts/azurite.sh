#!/usr/bin/env bash
# Starts and stops Azurite's Table service for the tablestore tests.
#
#   eval "$(bash scripts/azurite.sh start)" && go test ./tablestore/...
#   bash scripts/azurite.sh stop
#
# start installs the pinned azurite (package.json / package-lock.json) when
# node_modules lacks it, runs azurite-table in memory on a free port of
# 127.0.0.1, waits until it answers, and prints one line for eval:
# export AZURE_TABLES_TEST_CONN='...'. Everything else goes to stderr, so
# the eval sees only that line. A second start reuses the running one.
#
# Only Go, Node/npm and apt are guaranteed on CI machines, so the helpers
# here are node snippets, not python.
set -euo pipefail
cd "$(dirname "$0")/.."

state="${AZURITE_STATE_DIR:-$PWD/.tools/azurite}"
pidfile="$state/pid"
portfile="$state/port"
logfile="$state/log"
bin="node_modules/.bin/azurite-table"

# The well-known development account of every Azure storage emulator; not
# a secret. aztables refuses UseDevelopmentStorage=true, so the tests get
# the full form.
key='Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=='

say() { echo "azurite.sh: $*" >&2; }

print_env() {
  echo "export AZURE_TABLES_TEST_CONN='DefaultEndpointsProtocol=http;AccountName=devstoreaccount1;AccountKey=$key;TableEndpoint=http://127.0.0.1:$1/devstoreaccount1;'"
}

running() { [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null; }

# free_port asks the kernel for a free port by binding port 0 and reading
# the port back. Azurite's own --tablePort 0 also binds a free port, but in
# silent mode it does not tell us which one.
free_port() {
  node -e 'const s = require("net").createServer(); s.listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); });'
}

# answers reports whether anything speaks HTTP on the port: any status,
# even 403 for the unsigned request, means Azurite is up.
answers() {
  node -e '
    const req = require("http").get({host: "127.0.0.1", port: +process.argv[1], path: "/devstoreaccount1/Tables", timeout: 1000},
      (res) => { res.resume(); process.exit(0); });
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", () => process.exit(1));' "$1"
}

start() {
  mkdir -p "$state"
  if running; then
    say "already running (pid $(cat "$pidfile"), port $(cat "$portfile"))"
    print_env "$(cat "$portfile")"
    return
  fi
  if [ ! -x "$bin" ]; then
    say "installing node dependencies (npm ci)"
    npm ci --no-audit --no-fund >&2
  fi
  # azurite 3.37 declares node >= 22 but runs on node 20; npm only warns.
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -lt 20 ]; then
    say "node $(node --version) is too old for azurite (needs 20 or later)"
    exit 1
  fi
  # Another process may take the port between free_port and the bind, so
  # try a few ports before giving up.
  local port pid
  for attempt in 1 2 3; do
    port=$(free_port)
    # The closed descriptors let $(...) in the caller's eval return at
    # once; no setsid, because under job control it would fork and $! would
    # no longer be Azurite's pid.
    "$bin" --inMemoryPersistence --silent --disableTelemetry \
      --tableHost 127.0.0.1 --tablePort "$port" </dev/null >"$logfile" 2>&1 &
    pid=$!
    for _ in $(seq 1 150); do
      if answers "$port"; then
        echo "$pid" >"$pidfile"
        echo "$port" >"$portfile"
        say "azurite-table $(node -p 'require("./node_modules/azurite/package.json").version') listening on 127.0.0.1:$port (pid $pid)"
        print_env "$port"
        return
      fi
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    say "attempt $attempt on port $port failed:"
    tail -n 20 "$logfile" >&2 || true
    kill "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
  done
  exit 1
}

stop() {
  if ! running; then
    say "not running"
    rm -f "$pidfile" "$portfile"
    return
  fi
  local pid
  pid=$(cat "$pidfile")
  kill "$pid"
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "pid $pid ignored SIGTERM; sending SIGKILL"
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$pidfile" "$portfile"
  say "stopped (pid $pid)"
}

case "${1:-}" in
start) start ;;
stop) stop ;;
*)
  echo "usage: $0 start|stop" >&2
  exit 2
  ;;
esac
