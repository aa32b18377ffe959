#!/usr/bin/env bash
# Called by Maven (process-test-classes): the browser tests drive Debian's Chromium through
# playwright-core (no browser download: only Debian's and npm's registries are reachable). Installs
# the package when it is missing and this user may (root, as on CI); else says what to run.
set -euo pipefail
CHROMIUM="${MALIPO_CHROMIUM:-/usr/bin/chromium}"
if [ -x "$CHROMIUM" ]; then
  exit 0
fi
if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
  echo "installing Debian's chromium for the browser tests"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  exit 0
fi
echo "The browser tests need Chromium at $CHROMIUM: sudo apt-get install -y chromium (or set MALIPO_CHROMIUM)" >&2
exit 1
