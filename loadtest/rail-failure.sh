#!/usr/bin/env bash
# Rail failure drill (issue 5): constant card load while a sandbox acquirer is slowed to 2 s, then
# fails outright, then recovers; prints the closing note and exits non-zero unless RESULT: PASS.
#   loadtest/rail-failure.sh                       # acquirer_a, 40/s, 20+30+30+45 s
#   RATE=30 loadtest/rail-failure.sh -DslowSeconds=20 -Drail=acquirer_b
# Needs a running gateway with the sandbox on (./mvnw spring-boot:test-run) and the operator
# client admin_client/admin_secret (ADMIN_CLIENT_ID / ADMIN_CLIENT_SECRET to override).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
log_dir="$repo_root/loadtest/target"
mkdir -p "$log_dir"
log="$log_dir/rail-failure-$(date -u +%Y%m%dT%H%M%SZ).log"

props=(-Dgatling.simulationClass=org.malipo.loadtest.RailFailureSimulation)
if [ -n "${ADMIN_CLIENT_ID:-}" ]; then props+=(-DadminClientId="$ADMIN_CLIENT_ID"); fi
if [ -n "${ADMIN_CLIENT_SECRET:-}" ]; then props+=(-DadminClientSecret="$ADMIN_CLIENT_SECRET"); fi
# run.sh reads RATE; the drill's phases are its own properties, so DURATION does not apply.
unset DURATION

status=0
"$repo_root/loadtest/run.sh" "${props[@]}" "$@" 2>&1 | tee "$log" || status=$?

# The closing note, once more, as the last thing on the screen.
note="$(sed -n '/rail failure drill: closing note/,/^RESULT:/p' "$log")"
if [ -z "$note" ]; then
  echo "rail-failure.sh: no closing note in $log (the drill did not finish)" >&2
  exit 1
fi
echo
echo "$note"
echo "log: $log"
if ! grep -q '^RESULT: PASS' <<<"$note"; then
  exit 1
fi
exit "$status"
