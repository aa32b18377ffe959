#!/usr/bin/env bash
# Runs the Gatling card-payment load test against an already running gateway.
#   loadtest/run.sh
#   RATE=200 DURATION=60 loadtest/run.sh
#   BASE_URL=http://127.0.0.1:8080 CLIENT_ID=... CLIENT_SECRET=... loadtest/run.sh -DrampSeconds=10
# Extra arguments go to Maven as they are (e.g. -DmaxErrorPercent=0.5, -Dgatling.simulationClass=...).
set -euo pipefail

# Everything below is relative to the repository root, whatever the caller's directory.
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

# A JDK >= 21: $JAVA_HOME if it is one, else the first one installed under /usr/lib/jvm.
java_is_21_or_newer() {
  [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'
}
if [ -z "${JAVA_HOME:-}" ] || ! java_is_21_or_newer "$JAVA_HOME"; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-2*; do
    if java_is_21_or_newer "$candidate"; then
      JAVA_HOME="$candidate"
      break
    fi
  done
fi
if [ -z "$JAVA_HOME" ]; then
  echo "run.sh: no JDK >= 21 found (set JAVA_HOME or install one under /usr/lib/jvm)" >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"

base_url="${BASE_URL:-http://127.0.0.1:8080}"
base_url="${base_url%/}"

# Load against a gateway that is not up only produces a wall of connection errors: say so instead.
if ! curl -fsS --max-time 5 -o /dev/null "$base_url/actuator/health/liveness"; then
  echo "run.sh: the gateway does not answer at $base_url/actuator/health/liveness." >&2
  echo "        Start it first (in $repo_root: ./mvnw spring-boot:test-run), or set BASE_URL." >&2
  exit 1
fi

# Only the variables that are set are passed on; the simulation has defaults for the rest.
# (CLIENT_SECRET ends up on the JVM command line: fine for sandbox credentials, not for real ones.)
props=(-DbaseUrl="$base_url")
if [ -n "${RATE:-}" ]; then props+=(-Drate="$RATE"); fi
if [ -n "${DURATION:-}" ]; then props+=(-Dduration="$DURATION"); fi
if [ -n "${CLIENT_ID:-}" ]; then props+=(-DclientId="$CLIENT_ID"); fi
if [ -n "${CLIENT_SECRET:-}" ]; then props+=(-DclientSecret="$CLIENT_SECRET"); fi

results_dir="$repo_root/loadtest/target/gatling"
echo "JAVA_HOME=$JAVA_HOME; target $base_url; rate ${RATE:-50}/s for ${DURATION:-30} s (after the ramp)"

# A marker older than anything this run writes, to tell its report from earlier ones.
mkdir -p "$results_dir"
marker="$(mktemp "$results_dir/.run-started.XXXXXX")"
trap 'rm -f "$marker"' EXIT

# Keep going after a failure so the report location is printed for failed runs too.
status=0
./mvnw -f loadtest/pom.xml gatling:test "${props[@]}" "$@" || status=$?

report="$(find "$results_dir" -mindepth 2 -maxdepth 2 -name index.html -newer "$marker" | sort | tail -n 1)"
if [ -n "$report" ]; then
  echo "HTML report: $report"
else
  echo "No new HTML report under $results_dir (the run did not get far enough to write one)."
fi
if [ "$status" -ne 0 ]; then
  echo "run.sh: Maven/Gatling exited with $status (an assertion failed or the run broke; see above)." >&2
fi
exit "$status"
