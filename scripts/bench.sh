#!/usr/bin/env bash
# Benchmarks with the figures that docs/PERFORMANCE.md quotes.
#   bash scripts/bench.sh            everything (about 6 minutes on 2 cores)
#   bash scripts/bench.sh coldstart  only the cold start
#   bash scripts/bench.sh charger    only the RecurringCharger
#   bash scripts/bench.sh client     only the Vipps client against the simulator
# Each charger size runs as its own process (one go test each), so that
# its peak RSS is its own.
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-all}"

if [ "$what" = all ] || [ "$what" = coldstart ]; then
  echo "== cold start (exec → first answer to GET /)"
  go test -run '^$' -bench 'ColdStart' -benchtime 20x ./handler/
fi

if [ "$what" = all ] || [ "$what" = charger ]; then
  charger() { # <sub-benchmark> [flags for the test binary]
    local b="$1"; shift
    go test -run '^$' -bench "^BenchmarkCharger/$b\$" -benchtime 1x -timeout 30m ./internal/chargertest/ "$@" |
      grep -v -e '^goos' -e '^goarch' -e '^pkg' -e '^cpu' -e '^PASS' -e '^ok'
  }
  echo "== RecurringCharger: one run charging N due subscriptions, 50 ms per Vipps call, simulator in the process"
  charger 'batch/n=10000'
  charger 'batch/n=100000'
  charger 'single/n=10000'
  echo "== the same with the simulator in a child process: the peak RSS is the charger's alone"
  charger 'batch/n=10000' -charger.sandbox=process
  charger 'batch/n=100000' -charger.sandbox=process
fi

if [ "$what" = all ] || [ "$what" = client ]; then
  echo "== Vipps client against the in-process simulator (operations per second, allocations)"
  go test ./internal/contract/ -run '^$' -bench BenchmarkClient -benchtime 2s -count 3
fi
