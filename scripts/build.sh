#!/usr/bin/env bash
# Builds the linux/amd64 custom handler and stages the Functions package in
# dist/: host.json, one folder per function (the host only looks for
# <root>/<Name>/function.json), and the binary named as host.json's
# defaultExecutablePath. See docs AZURE-FUNCTIONS.md §3.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

if [[ ! -d handler ]]; then
	echo "build.sh: ./handler (package main) does not exist yet; nothing to build" >&2
	exit 1
fi

rm -rf dist
mkdir -p dist

# Static, so the binary runs on any Linux plan image without a C library match.
CGO_ENABLED=0 GOOS=linux GOARCH=amd64 \
	go build -trimpath -ldflags "-s -w" -o dist/handler ./handler
# The exec bit is lost by zip tools other than Core Tools' --custom publish
# (§3 "Packaging gotcha"), so set it here and keep publishing from Linux.
chmod +x dist/handler

cp host.json dist/
for dir in functions/*/; do
	name="$(basename "$dir")"
	mkdir -p "dist/$name"
	cp "$dir"function.json "dist/$name/"
done
if [[ -f partners.example.json ]]; then
	cp partners.example.json dist/
fi

echo "Staged dist/:"
(cd dist && find . -type f | sort | sed 's|^\./|  |')
cat <<'MSG'

Publish (Azure Functions Core Tools, logged in with az):
  cd dist && func azure functionapp publish <app> --custom
MSG
