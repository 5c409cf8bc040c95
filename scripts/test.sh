#!/usr/bin/env bash
# The one test command (README "Run the tests"): formatting, vet,
# staticcheck, the import rules, and every test, on a fresh machine that
# has Go, Node/npm and apt only. Everything else it installs itself.
set -euo pipefail
cd "$(dirname "$0")/.."
export GOFLAGS="${GOFLAGS:--buildvcs=false}"

tools="$PWD/.tools"
mkdir -p "$tools"
if [ ! -x "$tools/staticcheck" ]; then
  echo "== installing staticcheck"
  GOBIN="$tools" go install honnef.co/go/tools/cmd/staticcheck@v0.8.2
fi

echo "== gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './node_modules/*'))
if [ -n "$unformatted" ]; then echo "gofmt would change:"; echo "$unformatted"; exit 1; fi

echo "== go vet"
go vet ./...

echo "== staticcheck"
"$tools/staticcheck" ./...

echo "== azurite (Table Storage emulator, pinned in package.json)"
eval "$(bash scripts/azurite.sh start)"
trap 'bash scripts/azurite.sh stop >/dev/null 2>&1 || true' EXIT

echo "== go test"
go test -count=1 ./...

echo "== go test -race (the packages with concurrency)"
go test -race -count=1 ./sqlstore/... ./app/... ./sandbox/... ./funcs/...
