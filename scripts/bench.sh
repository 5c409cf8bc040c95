#!/usr/bin/env bash
# Benchmarks with the figures that docs/PERFORMANCE.md quotes.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== cold start (exec → first answer to GET /)"
go test -run '^$' -bench 'ColdStart' -benchtime 20x ./handler/
