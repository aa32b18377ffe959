#!/usr/bin/env bash
# Called by Maven (generate-resources): installs the pinned toolchain from package-lock.json when it
# changed (npm ci; the registry is npmjs.org) and builds the pages into target/classes/web.
set -euo pipefail
cd "$(dirname "$0")"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node build.mjs
