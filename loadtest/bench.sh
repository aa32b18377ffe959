#!/usr/bin/env bash
# The end-to-end benchmark (docs/performance.md, docs/adr/0060-benchmark-method.md), one command
# from a clean checkout:
#   loadtest/bench.sh
#   STEPS="50 100 200" DURATION=10 WARMUP=10 CEILING_SECONDS=10 loadtest/bench.sh     # a quick run
#   SCENARIOS="card floor mobile overload no-group-commit" loadtest/bench.sh           # the default
#   JFR=1 STEPS=500 loadtest/bench.sh      # + a JFR recording of the steps (target/bench/gateway.jfr)
# Environment (all optional):
#   STEPS            card payments/s per step (50 100 150 200 250 500 1000 1500 2000 3000: the
#                    issue's steps from 250/s, and below them the rates this 2-core machine holds)
#   DURATION         seconds per step (30)
#   SETTLE           seconds each step sends load at its rate before its measured phase, left out
#                    of every figure (10): the gateway's pools and the load generator reach the
#                    step's rate first
#   WARMUP           warm-up seconds at WARMUP_RATE/s before the first step (120, at 100/s: C2 is
#                    still compiling after 30 s, and a cold step reads 2x its warm p99)
#   CEILING_SECONDS  pgbench duration of lean_ceiling and of the database ceiling (30; 0 skips both)
#   MERCHANTS        merchants the card steps spread their payments over (1: every payment is
#                    mer_demo's, one hot balance row; more are created through POST /v1/merchants)
#   MANY_MERCHANTS   merchants of the many-merchants scenario (100)
#   CEILING_BATCH    outcomes per statement of the ceiling with group commit (8)
#   SCENARIOS        any of: card floor mobile overload no-group-commit many-merchants statements
#                    (the default: the first five; floor sends FLOOR_RATE authenticated reads/s,
#                    GET /v1/payments?limit=1, rows floor-read-*: the stack's own cost per
#                    request; many-merchants repeats the card steps on the same
#                    gateway with MANY_MERCHANTS merchants, rows card-mm-*; no-group-commit
#                    repeats the warm-up and card steps on a fresh gateway and database with
#                    --malipo.payments.group-commit.enabled=false, rows card-nogc-*, against
#                    the default, on since ADR 0061's update of issue 25) statements (SQL
#                    statements per payment, counted from the PostgreSQL server log: needs read
#                    access to it)
#   MOBILE_RATE      M-Pesa payments/s of the mobile-money scenario (100, for DURATION s)
#   FLOOR_RATE       reads/s of the floor scenario (200, for DURATION s)
#   OVERLOAD_RATE    offered rate of the overload scenario (10 x max_sustainable)
#   GATEWAY_JVM_OPTS JVM flags of the gateway (see below); JFR=1 adds a recording
#   EXTRA_ARGS       extra Spring arguments for the gateway, e.g. --malipo.payments.max-in-flight=500
# Needs PostgreSQL and Redis as for ./mvnw verify (MALIPO_DB_HOST/PORT/USER/PASSWORD honoured).
# Writes target/bench/results.md; every step's summary is target/bench/<step>.txt. The load comes from
# one warmed JVM for all steps (loadtest/OpenLoadGenerator.java, open model on Reactor Netty); the
# Gatling simulations stay for loadtest/run.sh. The last lines of the output are lean_ceiling,
# max_sustainable, ratio, postgres_cost_factor and gateway_cost_factor (issue 25).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"

STEPS="${STEPS:-50 100 150 200 250 500 1000 1500 2000 3000}"
DURATION="${DURATION:-30}"
SETTLE="${SETTLE:-10}"
WARMUP="${WARMUP:-120}"
WARMUP_RATE="${WARMUP_RATE:-100}"
CEILING_SECONDS="${CEILING_SECONDS:-30}"
SCENARIOS="${SCENARIOS:-card floor mobile overload no-group-commit}"
FLOOR_RATE="${FLOOR_RATE:-200}"
MOBILE_RATE="${MOBILE_RATE:-100}"
MERCHANTS="${MERCHANTS:-1}"
MANY_MERCHANTS="${MANY_MERCHANTS:-100}"
PORT="${BENCH_PORT:-8089}"
DB_HOST="${MALIPO_DB_HOST:-127.0.0.1}"
DB_PORT="${MALIPO_DB_PORT:-5432}"
DB_USER="${MALIPO_DB_USER:-postgres}"
REDIS_HOST="${MALIPO_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${MALIPO_REDIS_PORT:-6379}"
export PGPASSWORD="${MALIPO_DB_PASSWORD:-}"
# No NOTICEs ("database ... does not exist, skipping") on the console.
export PGOPTIONS="${PGOPTIONS:-} -c client_min_messages=warning"
BENCH_DB="malipo_bench_$$"
GROUP_COMMIT_DB="malipo_bench_gc_$$"
CEILING_DB="malipo_ceiling_$$"
LEAN_DB="malipo_lean_$$"
OUT="$repo_root/target/bench"
BASE_URL="http://127.0.0.1:$PORT"
# Parallel GC: the most throughput per core on a 2-core box, pauses of a few ms with a 1 GiB heap
# (ADR 0060). -XX:+AlwaysPreTouch so heap growth does not show up as a step's latency.
GATEWAY_JVM_OPTS="${GATEWAY_JVM_OPTS:--Xms1g -Xmx1g -XX:+UseParallelGC -XX:+AlwaysPreTouch}"

log() { echo "bench: $*" >&2; }
die() { log "$*"; exit 1; }

# --- tools -------------------------------------------------------------------------------------
java_is_21_or_newer() { [ -x "$1/bin/java" ] && "$1/bin/java" -version 2>&1 | grep -qE 'version "(2[1-9]|[3-9][0-9])'; }
if [ -z "${JAVA_HOME:-}" ] || ! java_is_21_or_newer "$JAVA_HOME"; then
  JAVA_HOME=""
  for candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-2* /usr/lib/jvm/*; do
    if java_is_21_or_newer "$candidate"; then JAVA_HOME="$candidate"; break; fi
  done
fi
[ -n "$JAVA_HOME" ] || die "no JDK >= 21 found (set JAVA_HOME or install one under /usr/lib/jvm)"
export JAVA_HOME PATH="$JAVA_HOME/bin:$PATH"

SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO=sudo
apt_install() { log "installing $* (apt-get)"; $SUDO apt-get update -qq && $SUDO apt-get install -y -qq "$@" >/dev/null; }
command -v curl >/dev/null || apt_install curl
command -v psql >/dev/null || apt_install postgresql-client
find_pgbench() { # a pgbench that runs (Debian's /usr/bin/pgbench is a wrapper that may have nothing behind it)
  local candidate
  for candidate in $(command -v pgbench) $(ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | sort -rV); do
    "$candidate" --version >/dev/null 2>&1 && { echo "$candidate"; return 0; }
  done
  return 1
}
if ! PGBENCH="$(find_pgbench)"; then
  # Debian ships pgbench in the server package postgresql-<major> (no separate client binary).
  apt_install "postgresql-$(psql --version | sed -E 's/[^0-9]*([0-9]+).*/\1/')"
  PGBENCH="$(find_pgbench)" || die "no runnable pgbench after installing PostgreSQL packages"
fi
PSQL=(psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -v ON_ERROR_STOP=1 -qAt)
"${PSQL[@]}" -d postgres -c 'SELECT 1' >/dev/null || die "PostgreSQL does not answer at $DB_HOST:$DB_PORT"

mkdir -p "$OUT"
# Other work on the machine moves every figure: say how busy it was when the run started.
load_at_start="$(cut -d' ' -f1-3 /proc/loadavg)"
rm -rf "$OUT/gatling" "$OUT/steps.tsv" "$OUT/kafka.addr" "$OUT/generator.fifo"
started_pids=()
generator_pid=""
cleanup() {
  # The load generator first (closing its command pipe ends it; the kill is for a step in progress).
  if [ -n "$generator_pid" ]; then exec 3>&- 2>/dev/null || true; kill "$generator_pid" 2>/dev/null || true; fi
  for pid in "${started_pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${started_pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $BENCH_DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $CEILING_DB WITH (FORCE)" \
    -c "DROP DATABASE IF EXISTS $GROUP_COMMIT_DB WITH (FORCE)" -c "DROP DATABASE IF EXISTS $LEAN_DB WITH (FORCE)" >/dev/null 2>&1 || true
  # The bench profile's Redis keys (idempotency answers kept 24 h, counters): the machine's Redis is
  # shared with the tests, whose FLUSHALL must not wade through a run's 100,000 cached answers.
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern 'malipo-bench:*' 2>/dev/null \
    | xargs -r -n 1000 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" UNLINK >/dev/null 2>&1 || true
}
trap cleanup EXIT

# A database migrated by the gateway's own Flyway scripts (plain SQL, applied in version order).
create_migrated_db() {
  local script
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1" >/dev/null
  for script in $(ls src/main/resources/db/migration/V*.sql | sort -V); do
    "${PSQL[@]}" -d "$1" -1 -f "$script" >/dev/null
  done
}

# PostgreSQL's default is autovacuum = on, but this machine kind runs its server with it off, so a
# fresh benchmark database would never be analyzed: the planner keeps guessing table sizes and
# picks worse plans (one ANALYZE in the middle of a 150/s step cut PostgreSQL's CPU from 65 % to
# 41 % of a core; docs/performance-history.md, "Fourth pass"). Where the server's autovacuum is off, the
# script stands in for its auto-analyze once the tables have grown: after the warm-up, and after 5 s
# of the ceiling's load. (A full VACUUM every 30 s was tried too: unthrottled, unlike autovacuum,
# its bursts cost more latency than the statistics saved.)
analyze_if_no_autovacuum() { # analyze_if_no_autovacuum <database>
  [ "$("${PSQL[@]}" -d postgres -c 'SHOW autovacuum')" = "off" ] || return 0
  "${PSQL[@]}" -d "$1" -c "ANALYZE"
}

# --- PostgreSQL's CPU, one database's share --------------------------------------------------------
# The server may be shared (other databases, other sessions' tests): count the backends serving one
# database and the server's shared writers (WAL writer, checkpointer, background writer), sampled
# as "pid ticks" lines. pg_delta sums what each process of the second sample used since the first
# (all of it for a process started in between); a backend that exits between the samples loses its
# last ticks, so both samples are taken while the load's connections are open.
clk_tck="$(getconf CLK_TCK)"
pg_sample() { # pg_sample <database> [earlier sample file]
  local pid pids="" attempt
  # A shared server may refuse a connection ("too many clients already"): try again, and then fall
  # back to the processes of the earlier sample (the gateway's pool keeps its connections).
  for attempt in 1 2 3; do
    pids="$("${PSQL[@]}" -d postgres -c "SELECT pid FROM pg_stat_activity WHERE datname = '$1' OR backend_type IN ('walwriter', 'checkpointer', 'background writer')" 2>/dev/null)" && break
    pids=""; sleep 0.2
  done
  if [ -z "$pids" ] && [ -n "${2:-}" ] && [ -s "$2" ]; then
    log "pg_sample: PostgreSQL refused the connection; using the processes of $2"
    pids="$(awk '{print $1}' "$2")"
  fi
  for pid in $pids; do
    awk -v p="$pid" '{print p, $14 + $15}' "/proc/$pid/stat" 2>/dev/null || true
  done
}
pg_delta() { awk 'NR == FNR {t[$1] = $2; next} {d = $2 - (($1 in t) ? t[$1] : 0); if (d > 0) s += d} END {print s + 0}' "$1" "$2"; }

# --- 1. lean_ceiling: the bare ledger transaction, the floor of this machine (issue 25) --------
# lean <script> <label>: lean_tps (transactions/s) and lean_pg_ms (PostgreSQL CPU ms per transaction,
# over the run less its first and last second, while pgbench's 8 connections are all open).
lean() {
  local sql_file="$1" label="$2" window
  log "$label: pgbench -M prepared -c 8 -j 2 -T $CEILING_SECONDS of $sql_file on $LEAN_DB"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $LEAN_DB WITH (FORCE)" -c "CREATE DATABASE $LEAN_DB" >/dev/null
  "${PSQL[@]}" -d "$LEAN_DB" -f loadtest/lean-ledger/schema.sql >/dev/null
  "$PGBENCH" -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -n -M prepared -c 8 -j 2 -T 5 \
    -f "$sql_file" "$LEAN_DB" > "$OUT/$label-warmup.txt" 2>&1 || { cat "$OUT/$label-warmup.txt" >&2; die "pgbench failed"; }
  analyze_if_no_autovacuum "$LEAN_DB"
  "$PGBENCH" -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -n -M prepared -c 8 -j 2 -T "$CEILING_SECONDS" \
    -f "$sql_file" "$LEAN_DB" > "$OUT/$label.txt" 2>&1 &
  local pgbench_pid=$!
  sleep 1; pg_sample "$LEAN_DB" > "$OUT/$label.pg0"; local w0; w0="$(date +%s.%N)"
  sleep "$((CEILING_SECONDS - 2))"; pg_sample "$LEAN_DB" "$OUT/$label.pg0" > "$OUT/$label.pg1"; local w1; w1="$(date +%s.%N)"
  wait "$pgbench_pid" || { cat "$OUT/$label.txt" >&2; die "pgbench failed"; }
  lean_tps="$(awk '/^tps = / {printf "%.0f", $3}' "$OUT/$label.txt")"
  lean_pg_ms="$(awk -v d="$(pg_delta "$OUT/$label.pg0" "$OUT/$label.pg1")" -v t="$clk_tck" -v tps="$lean_tps" -v s0="$w0" -v s1="$w1" \
    'BEGIN {printf "%.3f", 1000 * d / t / (tps * (s1 - s0))}')"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE $LEAN_DB WITH (FORCE)" >/dev/null
  log "$label = $lean_tps transactions/s, PostgreSQL $lean_pg_ms ms CPU per transaction"
}
lean_ceiling=""; lean_pg_ms=""; lean_many_line=""
if [ "$CEILING_SECONDS" -gt 0 ]; then
  [ "$CEILING_SECONDS" -ge 5 ] || die "CEILING_SECONDS must be 0 or >= 5"
  lean loadtest/lean-ledger/one-merchant.sql lean-one-merchant
  lean_ceiling="$lean_tps"; lean_ceiling_pg_ms="$lean_pg_ms"
  if [ "$MERCHANTS" -gt 1 ] || [[ " $SCENARIOS " == *" many-merchants "* ]]; then
    lean loadtest/lean-ledger/many-merchants.sql lean-many-merchants
    lean_many_line="lean transaction, 1,000 merchants (loadtest/lean-ledger/many-merchants.sql): $lean_tps transactions/s, PostgreSQL $lean_pg_ms ms CPU per transaction"
  fi
  lean_pg_ms="$lean_ceiling_pg_ms"
fi

# --- 1b. database ceiling: the gateway's own statements ----------------------------------------
# ceiling <pgbench script> <payments per pgbench transaction> <label>: payments/s on a fresh database.
ceiling() {
  local sql_file="$1" per="$2" label="$3" tps check
  log "$label: pgbench -M prepared -c 8 -j 2 -T $CEILING_SECONDS of $sql_file on $CEILING_DB"
  create_migrated_db "$CEILING_DB"
  "${PSQL[@]}" -d "$CEILING_DB" -c "INSERT INTO merchants (id, name, country) VALUES ('mer_demo', 'Bench', 'KE')" >/dev/null
  # 5 s of the same load first, so the tables the ceiling is measured on have rows and statistics,
  # like the gateway's database after its warm-up.
  "$PGBENCH" -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -n -M prepared -c 8 -j 2 -T 5 \
    -f "$sql_file" "$CEILING_DB" > "$OUT/$label-warmup.txt" 2>&1 || { cat "$OUT/$label-warmup.txt" >&2; die "pgbench failed"; }
  analyze_if_no_autovacuum "$CEILING_DB"
  "$PGBENCH" -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -n -M prepared -c 8 -j 2 -T "$CEILING_SECONDS" \
    -f "$sql_file" "$CEILING_DB" > "$OUT/$label.txt" 2>&1 || { cat "$OUT/$label.txt" >&2; die "pgbench failed"; }
  tps="$(awk '/^tps = / {print $3}' "$OUT/$label.txt")"
  # Every payment must have committed whole: one capture entry per succeeded payment.
  check="$("${PSQL[@]}" -d "$CEILING_DB" -c "SELECT (SELECT count(*) FROM payments WHERE status = 'succeeded') = (SELECT count(*) FROM journal_entries WHERE kind = 'capture')")"
  [ "$check" = "t" ] || die "$label: payments and capture entries disagree"
  "${PSQL[@]}" -d postgres -c "DROP DATABASE $CEILING_DB WITH (FORCE)" >/dev/null
  ceiling_result="$(awk -v t="$tps" -v p="$per" 'BEGIN {printf "%.0f", t * p}')"
  log "$label = $ceiling_result payments/s"
}
db_ceiling=""
db_ceiling_gc=""
CEILING_BATCH="${CEILING_BATCH:-8}"
if [ "$CEILING_SECONDS" -gt 0 ]; then
  ceiling loadtest/db-ceiling.sql 1 pgbench
  db_ceiling="$ceiling_result"
  # The same payments, CEILING_BATCH of them per outcome statement (ADR 0061: the gateway's default).
  java loadtest/GroupCommitCeilingScript.java loadtest/db-ceiling.sql "$CEILING_BATCH" > "$OUT/db-ceiling-gc.sql" \
    || die "could not write the group-commit ceiling's script"
  ceiling "$OUT/db-ceiling-gc.sql" "$CEILING_BATCH" pgbench-gc
  db_ceiling_gc="$ceiling_result"
fi

# --- 2. build and start Kafka and the gateway --------------------------------------------------
log "building the gateway and the load generator"
./mvnw -q -DskipTests test-compile dependency:build-classpath -Dmdep.outputFile="$OUT/classpath.txt" -Dmdep.includeScope=test >"$OUT/build.log" 2>&1 || die "build failed (see $OUT/build.log)"
classpath="target/test-classes:target/classes:$(cat "$OUT/classpath.txt")"
rm -rf "$OUT/generator"; mkdir -p "$OUT/generator"
javac -d "$OUT/generator" -cp "$classpath" loadtest/OpenLoadGenerator.java >>"$OUT/build.log" 2>&1 || die "load generator build failed (see $OUT/build.log)"

# The broker runs in a JVM of its own, so the gateway's CPU and heap figures are the gateway's.
java -Xms256m -Xmx512m -XX:+UseSerialGC -cp "$classpath" org.malipo.gateway.StandaloneKafka "$OUT/kafka.addr" \
  > "$OUT/kafka.log" 2>&1 &
kafka_pid=$!
started_pids+=("$kafka_pid")
for _ in $(seq 120); do [ -s "$OUT/kafka.addr" ] && break; sleep 0.5; done
[ -s "$OUT/kafka.addr" ] || die "Kafka did not start (see $OUT/kafka.log)"

# start_gateway <name> <database> [Spring arguments...]: the gateway on an empty database of its own
# (its Flyway migrates it, the local profile seeds mer_demo), in the background (gateway_pid), ready;
# it logs to $OUT/<name>.log (and with JFR=1 records to $OUT/<name>.jfr).
start_gateway() {
  local name="$1" database="$2"; shift 2
  "${PSQL[@]}" -d postgres -c "DROP DATABASE IF EXISTS $database WITH (FORCE)" -c "CREATE DATABASE $database" >/dev/null
  local jfr_opts=()
  if [ "${JFR:-0}" = "1" ]; then
    jfr_opts=("-XX:StartFlightRecording=name=bench,settings=profile,filename=$OUT/$name.jfr,dumponexit=true")
  fi
  # shellcheck disable=SC2086
  MALIPO_DB_NAME="$database" MALIPO_KAFKA_BOOTSTRAP="$(cat "$OUT/kafka.addr")" \
    java $GATEWAY_JVM_OPTS "${jfr_opts[@]}" -cp "$classpath" org.malipo.gateway.LocalMalipoApplication \
    --spring.profiles.active=bench --server.port="$PORT" ${EXTRA_ARGS:-} "$@" > "$OUT/$name.log" 2>&1 &
  gateway_pid=$!
  started_pids+=("$gateway_pid")
  if [[ " $SCENARIOS " == *" statements "* ]]; then
    # Every statement of the gateway's connections to this throwaway database goes to the server log.
    "${PSQL[@]}" -d postgres -c "ALTER DATABASE $database SET log_statement = 'all'" >/dev/null
  fi
  for _ in $(seq 600); do
    curl -fs -o /dev/null "$BASE_URL/actuator/health/readiness" && break
    kill -0 "$gateway_pid" 2>/dev/null || die "the gateway exited (see $OUT/$name.log)"
    sleep 0.5
  done
  curl -fs -o /dev/null "$BASE_URL/actuator/health/readiness" || die "the gateway is not ready (see $OUT/$name.log)"
  log "gateway pid $gateway_pid ready on $BASE_URL ($GATEWAY_JVM_OPTS $* on $database)"
}
stop_gateway() {
  kill "$gateway_pid" 2>/dev/null || true
  wait "$gateway_pid" 2>/dev/null || true
}
start_gateway gateway "$BENCH_DB"
current_db="$BENCH_DB"

# The load generator: one JVM for every step, fed one command per step through a pipe (fd 3).
# Serial GC and a small heap: the least CPU beside the gateway on the same two cores.
mkfifo "$OUT/generator.fifo"
java -Xms256m -Xmx256m -XX:+UseSerialGC -cp "$OUT/generator:$classpath" OpenLoadGenerator "$BASE_URL" 5000 \
  < "$OUT/generator.fifo" > "$OUT/generator.log" 2>&1 &
generator_pid=$!
started_pids+=("$generator_pid")
exec 3> "$OUT/generator.fifo"

# --- measuring helpers -------------------------------------------------------------------------
cpu_ticks() { awk '{print $14 + $15}' "/proc/$gateway_pid/stat"; }
# Heap in use right after a full GC (MiB): what the gateway really keeps, not what it has not freed yet.
heap_after_gc() {
  jcmd "$gateway_pid" GC.run >/dev/null 2>&1 || true
  curl -fs "$BASE_URL/actuator/prometheus" | awk '/^jvm_memory_used_bytes\{.*area="heap"/ {sum += $NF} END {printf "%.0f", sum / 1048576}'
}
prom_sum() { curl -fs "$BASE_URL/actuator/prometheus" | awk -v m="$1" 'index($0, m) == 1 {sum += $NF} END {printf "%.0f", sum}'; }

# gen_start <label> <rate> <seconds> <settle seconds> [generator words, e.g. method=mpesa]: one step
# of the load generator. Its summary goes to $OUT/<label>.txt; it writes $OUT/markers/measure-start
# when the measured phase starts and measure-end once every request is answered (wait_marker).
gen_start() {
  local label="$1" rate="$2" seconds="$3" settle="$4"; shift 4
  rm -rf "$OUT/markers" "$OUT/$label.txt"; mkdir -p "$OUT/markers"
  echo "step label=$label rate=$rate settle=$settle duration=$seconds out=$OUT/$label.txt markers=$OUT/markers merchants=$MERCHANTS $*" >&3
}
# wait_marker <name>: returns when the generator wrote it, or (status 1) when the generator died.
wait_marker() {
  while [ ! -e "$OUT/markers/$1" ]; do kill -0 "$generator_pid" 2>/dev/null || return 1; sleep 0.2; done
}
# One column (total|ok|ko) of a "> name ... |  total | ok | ko" line of a step's summary (Gatling's format).
stat() {
  awk -F'|' -v name="$2" -v col="$3" 'index($0, "> " name) == 1 {
      idx = (col == "total") ? 2 : (col == "ok") ? 3 : 4; v = $idx; gsub(/[ ,]/, "", v); print v; exit }' "$OUT/$1.txt"
}
num() { [ -n "$1" ] && [ "$1" != "-" ] && echo "$1" || echo 0; }

printf 'step\toffered\tachieved\tp50\tp95\tp99\tmax\terrors\tcpu\theap\tcpums\n' > "$OUT/steps.tsv"
printf 'step\tmachine\tgateway\tpostgres\tkafka\tredis\tgenerator\tgenerator_per_request\n' > "$OUT/processes.tsv"
# Every process of the machine competes for the same two cores: CPU ticks of PostgreSQL (the
# backends of the gateway's database and the shared writers: pg_sample), the Kafka broker, Redis,
# and the load generator (its JVM's own CPU time, which it writes into its markers), to say where a
# payment's CPU goes.
ticks_of() { local sum=0 pid t; for pid in "$@"; do t="$(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null)" && sum=$((sum + t)); done; echo "$sum"; }
process_ticks() { # process_ticks <pg sample file> [earlier pg sample file]
  pg_sample "$current_db" "${2:-}" > "$1"
  echo "$(cpu_ticks) 0 $(ticks_of "$kafka_pid") $(ticks_of $(pgrep -x redis-server))"
}
marker_ticks() { # the load generator's CPU time in a marker, in clock ticks (0 when it is missing)
  awk -v t="$clk_tck" '{printf "%.0f", $1 * t / 1e9; found = 1} END {if (!found) print 0}' "$OUT/markers/$1" 2>/dev/null || echo 0
}
machine_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8 + $9, $2 + $3 + $4 + $5 + $6 + $7 + $8 + $9}' /proc/stat; }
# run_step <label> <rate> <seconds> [generator words...]: one measured step, appended to steps.tsv.
run_step() {
  local label="$1" rate="$2" seconds="$3"; shift 3
  local t0 c0 t1 c1 p0 p1 m0 m1 pg
  # Every figure is taken over the measured phase only: not the settling seconds.
  gen_start "$label" "$rate" "$seconds" "$SETTLE" "$@"
  wait_marker measure-start || die "$label: the load generator died (see $OUT/generator.log)"
  t0="$(date +%s.%N)"; c0="$(cpu_ticks)"; p0="$(process_ticks "$OUT/$label.pg0") $(marker_ticks measure-start)"; m0="$(machine_ticks)"
  wait_marker measure-end || die "$label: the load generator died (see $OUT/generator.log)"
  t1="$(date +%s.%N)"; c1="$(cpu_ticks)"; p1="$(process_ticks "$OUT/$label.pg1" "$OUT/$label.pg0") $(marker_ticks measure-end)"; m1="$(machine_ticks)"
  pg="$(pg_delta "$OUT/$label.pg0" "$OUT/$label.pg1")"
  local count ok ko p50 p95 p99 max errors achieved cpu heap cpums
  count="$(num "$(stat "$label" "request count" total)")"
  ok="$(num "$(stat "$label" "request count" ok)")"
  ko="$(num "$(stat "$label" "request count" ko)")"
  p50="$(stat "$label" "response time 50th percentile" total)"
  p95="$(stat "$label" "response time 95th percentile" total)"
  p99="$(stat "$label" "response time 99th percentile" total)"
  max="$(stat "$label" "max response time" total)"
  errors="$(awk -v k="$ko" -v n="$count" 'BEGIN {printf "%.2f", (n > 0) ? 100 * k / n : 100}')"
  achieved="$(awk -v o="$ok" -v s="$seconds" 'BEGIN {printf "%.0f", o / s}')"
  # CPU over the measured phase, in % of one core; 200 % = both cores of a 2-core machine.
  cpu="$(awk -v a="$c0" -v b="$c1" -v t="$clk_tck" -v s0="$t0" -v s1="$t1" 'BEGIN {printf "%.0f", 100 * (b - a) / t / (s1 - s0)}')"
  # Gateway CPU time per successful payment (ms), net of the idle background work: the cost figure
  # that contention on a shared machine disturbs least.
  # Gross, and net of the idle CPU ("-" when noise makes the net figure meaningless).
  cpums="$(awk -v a="$c0" -v b="$c1" -v t="$clk_tck" -v o="$ok" -v i="$idle_cpu" -v s0="$t0" -v s1="$t1" \
    'BEGIN { if (o == 0) { print "- / -"; exit }
             gross = 1000 * (b - a) / t / o; net = (1000 * (b - a) / t - 10 * i * (s1 - s0)) / o
             if (net > 0) printf "%.2f / %.2f", gross, net; else printf "%.2f / -", gross }')"
  heap="$(heap_after_gc)"
  # ms of CPU per successful payment, gross, for each process group; machine busy % of all cores.
  # The load generator's CPU also per request sent (issue 25: <= 0.3 ms).
  sent="$(awk -F'|' 'index($0, "> generator requests") == 1 {gsub(/ /, "", $2); print $2}' "$OUT/$label.txt")"
  echo "$p0 $p1 $m0 $m1" | awk -v l="$label" -v o="$ok" -v t="$clk_tck" -v pg="$pg" -v n="$(num "$sent")" '{
      $7 = $2 + pg  # PostgreSQL: pg_delta over the phase (the sampled columns hold 0)
      busy = ($13 - $11) / ($14 - $12) * 100
      printf "%s\t%.0f", l, busy
      for (i = 1; i <= 5; i++) { d = $(i + 5) - $i; if (d < 0) d = 0; if (o > 0) printf "\t%.2f", 1000 * d / t / o; else printf "\t-" }
      d = $10 - $5; if (d < 0) d = 0
      if (n > 0) printf "\t%.3f", 1000 * d / t / n; else printf "\t-"
      printf "\n" }' >> "$OUT/processes.tsv"
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$rate" "$achieved" "${p50:--}" "${p95:--}" \
    "${p99:--}" "${max:--}" "$errors" "$cpu" "$heap" "$cpums" >> "$OUT/steps.tsv"
  log "$label: offered $rate/s achieved $achieved/s p50 ${p50:--} p95 ${p95:--} p99 ${p99:--} max ${max:--} ms, errors $errors %, CPU $cpu % ($cpums ms/payment gross / net), heap $heap MiB"
}
passes() { # passes <label> <p99 limit ms> <error % limit>
  awk -F'\t' -v l="$1" -v p="$2" -v e="$3" '$1 == l { ok = ($6 != "-" && $6 + 0 <= p && $8 + 0 < e) } END { exit ok ? 0 : 1 }' "$OUT/steps.tsv"
}

# --- 3. idle cost, warm-up and the card steps --------------------------------------------------
heap_idle="$(heap_after_gc)"
# The gateway's own background work (pollers, Kafka, metrics) costs CPU with no load at all: measure
# it, so that CPU per payment can be given net of it.
measure_idle() {
  local i0 i1 ic0 ic1
  i0="$(date +%s.%N)"; ic0="$(cpu_ticks)"; sleep 10; i1="$(date +%s.%N)"; ic1="$(cpu_ticks)"
  idle_cpu="$(awk -v a="$ic0" -v b="$ic1" -v t="$clk_tck" -v s0="$i0" -v s1="$i1" 'BEGIN {printf "%.1f", 100 * (b - a) / t / (s1 - s0)}')"
  log "idle gateway CPU: $idle_cpu % of one core"
}
measure_idle
# warm_up_and_step <database> <label prefix> [generator words...]: the warm-up, statistics, then
# the card steps; sets max_found to the highest step with p99 <= 50 ms and < 0.1 % errors.
warm_up_and_step() {
  local database="$1" prefix="$2" rate; shift 2
  if [ "$WARMUP" -gt 0 ]; then
    log "warm-up: $WARMUP_RATE/s for $WARMUP s"
    gen_start "warmup-$prefix" "$WARMUP_RATE" "$WARMUP" 0 "$@"
    wait_marker measure-end || die "warm-up: the load generator died (see $OUT/generator.log)"
  fi
  analyze_if_no_autovacuum "$database"
  card_steps "$prefix" "$@"
}
# card_steps <label prefix> [generator words...]: the card steps; max_found as above.
card_steps() {
  local prefix="$1" rate; shift
  max_found=0
  for rate in $STEPS; do
    run_step "$prefix-$rate" "$rate" "$DURATION" "$@"
    if passes "$prefix-$rate" 50 0.1; then max_found="$rate"; fi
    # A step that clearly failed says everything the higher ones would.
    if ! passes "$prefix-$rate" 1000 5; then log "$prefix-$rate failed clearly (p99 > 1 s or errors > 5 %): stopping the steps"; break; fi
  done
}
max_sustainable=0
batches_main=0; batched_main=0; fallbacks_main=0
if [[ " $SCENARIOS " == *" card "* ]]; then
  warm_up_and_step "$BENCH_DB" card
  max_sustainable="$max_found"
  # Group commit on the default gateway (ADR 0061), warm-up and steps: outcomes per statement.
  batches_main="$(prom_sum malipo_payments_group_commit_batch_size_count)"
  batched_main="$(prom_sum malipo_payments_group_commit_batch_size_sum)"
  fallbacks_main="$(prom_sum malipo_payments_group_commit_fallbacks_total)"
elif [ "$WARMUP" -gt 0 ]; then
  log "warm-up: $WARMUP_RATE/s for $WARMUP s"
  gen_start warmup "$WARMUP_RATE" "$WARMUP" 0
  wait_marker measure-end || die "warm-up: the load generator died (see $OUT/generator.log)"
  analyze_if_no_autovacuum "$BENCH_DB"
else
  analyze_if_no_autovacuum "$BENCH_DB"
fi

# --- 3b. many merchants: the same steps, payments spread over MANY_MERCHANTS merchants -------
many_line=""
if [[ " $SCENARIOS " == *" many-merchants "* ]]; then
  log "many merchants: the card steps again, over $MANY_MERCHANTS merchants (created through POST /v1/merchants)"
  card_steps card-mm "merchants=$MANY_MERCHANTS"
  many_line="max_sustainable with $MANY_MERCHANTS merchants (card-mm-* rows) = $max_found card payments/s"
fi

# --- 3c. the stack's floor: the cheapest authenticated call, for the gateway's cost factor -------
# GET /v1/payments?limit=1 runs what every request runs (HTTP, the bearer token, the rate limit in
# Redis, one indexed SELECT, JSON) and nothing of the payment: its gateway CPU per request over the
# lean transaction's PostgreSQL CPU is the lowest gateway_cost_factor this stack can show.
floor_line=""
if [[ " $SCENARIOS " == *" floor "* ]]; then
  log "floor: $FLOOR_RATE authenticated reads/s (GET /v1/payments?limit=1) for $DURATION s"
  run_step "floor-read-$FLOOR_RATE" "$FLOOR_RATE" "$DURATION" method=read
  floor_gateway_ms="$(awk -F'\t' -v l="floor-read-$FLOOR_RATE" '$1 == l {print $3}' "$OUT/processes.tsv")"
  floor_pg_ms="$(awk -F'\t' -v l="floor-read-$FLOOR_RATE" '$1 == l {print $4}' "$OUT/processes.tsv")"
  floor_line="an authenticated read at $FLOOR_RATE/s (floor-read-$FLOOR_RATE) costs the gateway ${floor_gateway_ms:--} ms and PostgreSQL ${floor_pg_ms:--} ms of CPU per request"
  if [ -n "$lean_pg_ms" ] && [ -n "$floor_gateway_ms" ] && [ "$floor_gateway_ms" != "-" ]; then
    floor_line="$floor_line: the gateway's floor is $(awk -v g="$floor_gateway_ms" -v l="$lean_pg_ms" 'BEGIN {printf "%.2f", g / l}') x the lean transaction's PostgreSQL CPU (the lowest gateway_cost_factor this stack can reach)"
  fi
  log "floor: $floor_line"
fi

# --- 4. mobile money: STK pushes that stay pending until the sandbox calls back 2 s later ------
mobile_line=""
if [[ " $SCENARIOS " == *" mobile "* ]]; then
  log "mobile: $MOBILE_RATE M-Pesa payments/s for $DURATION s, callbacks after 2 s"
  applied0="$("${PSQL[@]}" -d "$BENCH_DB" -c "SELECT count(*) FROM inbox WHERE verdict = 'applied'")"
  sampler() {
    while true; do
      "${PSQL[@]}" -d "$BENCH_DB" -c "SELECT count(*) FROM payments WHERE status = 'pending'" 2>/dev/null || echo 0
      sleep 1
    done
  }
  sampler > "$OUT/mobile-pending.txt" &
  sampler_pid=$!
  m0="$(date +%s.%N)"
  run_step "mobile-$MOBILE_RATE" "$MOBILE_RATE" "$DURATION" method=mpesa
  # Let the last callbacks land (delay 2 s + retries), then count what was applied.
  for _ in $(seq 30); do
    [ "$("${PSQL[@]}" -d "$BENCH_DB" -c "SELECT count(*) FROM payments WHERE status = 'pending'")" = "0" ] && break
    sleep 1
  done
  m1="$(date +%s.%N)"
  kill "$sampler_pid" 2>/dev/null || true; wait "$sampler_pid" 2>/dev/null || true
  applied1="$("${PSQL[@]}" -d "$BENCH_DB" -c "SELECT count(*) FROM inbox WHERE verdict = 'applied'")"
  still_pending="$("${PSQL[@]}" -d "$BENCH_DB" -c "SELECT count(*) FROM payments WHERE status = 'pending'")"
  peak_pending="$(sort -n "$OUT/mobile-pending.txt" | tail -n 1)"
  applied=$((applied1 - applied0))
  applied_rate="$(awk -v a="$applied" -v s0="$m0" -v s1="$m1" 'BEGIN {printf "%.1f", a / (s1 - s0)}')"
  # Payments the callback did not resolve in time are resolved by the status query (sweeper).
  resolved="$("${PSQL[@]}" -d "$BENCH_DB" -c "SELECT count(*) FROM payments WHERE method_type = 'mobile_money' AND status IN ('succeeded', 'failed')")"
  mobile_line="peak pending $peak_pending, callbacks applied $applied ($applied_rate/s over the step and its drain), mobile payments final $resolved (callback or status query), still pending after 30 s: $still_pending, heap after GC $(heap_after_gc) MiB (idle $heap_idle MiB)"
  log "mobile: $mobile_line"
fi

# --- 5. overload: 10 x max_sustainable, then recovery ------------------------------------------
overload_line=""
if [[ " $SCENARIOS " == *" overload "* ]]; then
  base_rate="$max_sustainable"; [ "$base_rate" -gt 0 ] || base_rate="$(echo "$STEPS" | awk '{print $1}')"
  over_rate="${OVERLOAD_RATE:-$((10 * base_rate))}"
  shed0="$(prom_sum malipo_payments_shed_total)"
  log "overload: $over_rate/s for $DURATION s (10 x $base_rate)"
  run_step "overload-$over_rate" "$over_rate" "$DURATION"
  shed=$(( $(prom_sum malipo_payments_shed_total) - shed0 ))
  # The 503s are KO (the check wants 201): their percentiles are the shed answers'.
  shed_p99="$(stat "overload-$over_rate" "response time 99th percentile" ko)"
  # Recovery: 1 x the base rate right after; every request must pass within 10 s of the drop.
  run_step "recovery-$base_rate" "$base_rate" 10
  overload_line="offered $over_rate/s: shed $shed requests with 503, KO p99 ${shed_p99:--} ms (the failed requests: the 503s, and timeouts if any); recovery step at $base_rate/s: errors $(awk -F'\t' -v l="recovery-$base_rate" '$1 == l {print $8}' "$OUT/steps.tsv") %, p99 $(awk -F'\t' -v l="recovery-$base_rate" '$1 == l {print $6}' "$OUT/steps.tsv") ms"
  log "overload: $overload_line"
fi

# --- 6. statements per payment (optional) ------------------------------------------------------
statements_line=""
if [[ " $SCENARIOS " == *" statements "* ]]; then
  pg_log="${PG_LOG:-$(ls -t /var/log/postgresql/postgresql-*.log 2>/dev/null | head -n 1)}"
  [ -r "$pg_log" ] || die "statements: cannot read the PostgreSQL log (set PG_LOG)"
  token="$(curl -fs -u demo_client:demo_secret -d grant_type=client_credentials "$BASE_URL/v1/oauth/token" | sed 's/.*"access_token":"\([^"]*\)".*/\1/')"
  count_window() { # count_window <seconds> <payments>: statements of this database while it runs
    local before after
    before="$(wc -l < "$pg_log")"
    local end=$(( $(date +%s) + $1 ))
    for _ in $(seq "$2"); do
      curl -fs -o /dev/null -X POST "$BASE_URL/v1/payments" -H "Authorization: Bearer $token" \
        -H 'Content-Type: application/json' -H "Idempotency-Key: $(cat /proc/sys/kernel/random/uuid)" \
        -d '{"amount":1500,"currency":"KES","payment_method":{"type":"card","number":"4242424242424242","exp_month":12,"exp_year":2030,"cvc":"123"}}'
    done
    while [ "$(date +%s)" -lt "$end" ]; do sleep 0.2; done
    after="$(wc -l < "$pg_log")"
    tail -n +"$((before + 1))" "$pg_log" | head -n "$((after - before))" \
      | grep -E "@$BENCH_DB (LOG|[A-Z]+): +(statement|execute)" | sed -E 's/.*(statement|execute [^:]*): *//' | cut -c1-60
  }
  n=50
  count_window 20 0 > "$OUT/statements-idle.txt"
  count_window 20 "$n" > "$OUT/statements-load.txt"
  per_payment="$(awk -v i="$(wc -l < "$OUT/statements-idle.txt")" -v l="$(wc -l < "$OUT/statements-load.txt")" -v n="$n" 'BEGIN {printf "%.1f", (l - i) / n}')"
  {
    echo "statements per payment (net of the idle window): $per_payment"
    echo "by statement, load window minus idle window, per payment:"
    sort "$OUT/statements-load.txt" | uniq -c | sort -rn > "$OUT/statements-load.count"
    sort "$OUT/statements-idle.txt" | uniq -c > "$OUT/statements-idle.count"
    awk -v n="$n" 'NR == FNR {sub(/^ */, ""); c = $1; $1 = ""; idle[$0] = c; next}
      {sub(/^ */, ""); c = $1; $1 = ""; d = (c - idle[$0]) / n; if (d > 0.05) printf "  %5.2f %s\n", d, $0}' \
      "$OUT/statements-idle.count" "$OUT/statements-load.count"
  } > "$OUT/statements.txt"
  statements_line="$per_payment SQL statements per card payment incl. BEGIN/COMMIT and the asynchronous relay and fan-out (target/bench/statements.txt)"
  log "statements: $statements_line"
fi

# --- 7. without group commit: the card steps again, on a gateway that writes each outcome alone --
# (ADR 0061: group commit is the default; this is the comparison that keeps it there.)
group_commit_line=""
idle_cpu_first=""
if [[ " $SCENARIOS " == *" no-group-commit "* ]]; then
  log "no group commit: a fresh gateway and database with --malipo.payments.group-commit.enabled=false"
  stop_gateway
  start_gateway gateway-nogc "$GROUP_COMMIT_DB" --malipo.payments.group-commit.enabled=false
  current_db="$GROUP_COMMIT_DB"
  echo reset >&3 # merchants it created lived in the first gateway's database
  # The card-nogc rows' net CPU subtracts this gateway's own idle cost.
  idle_cpu_first="$idle_cpu"
  measure_idle
  warm_up_and_step "$GROUP_COMMIT_DB" card-nogc
  max_sustainable_nogc="$max_found"
  # Every payment must have committed whole: one capture entry per succeeded payment.
  check="$("${PSQL[@]}" -d "$GROUP_COMMIT_DB" -c "SELECT (SELECT count(*) FROM payments WHERE status = 'succeeded') = (SELECT count(*) FROM journal_entries WHERE kind = 'capture')")"
  [ "$check" = "t" ] || die "no group commit: payments and capture entries disagree"
  group_commit_line="without group commit (card-nogc-* rows): max_sustainable = $max_sustainable_nogc card payments/s; with it (the card-* rows, the default): $batched_main outcomes in $batches_main statements ($(awk -v a="$batched_main" -v b="$batches_main" 'BEGIN {printf "%.1f", (b > 0) ? a / b : 0}') per statement), $fallbacks_main batches rewritten payment by payment"
  log "no group commit: $group_commit_line"
fi

# --- 8. the table and the figures against the floor (issue 25) ------------------------------
commit="$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet 2>/dev/null || echo '+dirty')"
ratio="-"
db_ratio="-"
if [ -n "$lean_ceiling" ] && [ "$lean_ceiling" -gt 0 ]; then
  ratio="$(awk -v m="$max_sustainable" -v c="$lean_ceiling" 'BEGIN {printf "%.2f", m / c}')"
fi
if [ -n "$db_ceiling" ] && [ "$db_ceiling" -gt 0 ]; then
  db_ratio="$(awk -v m="$max_sustainable" -v c="$db_ceiling" 'BEGIN {printf "%.2f", m / c}')"
fi
# The cost factors at the highest sustainable card step: PostgreSQL's and the gateway's CPU per
# payment over PostgreSQL's CPU per lean transaction. When no step was sustainable, at the highest
# card step that still held its rate with < 0.1 % errors, whatever its p99 (else the lowest card
# step), said so above the final lines.
factor_step="card-$max_sustainable"
factor_note=""
if ! grep -q "^$factor_step	" "$OUT/processes.tsv"; then
  factor_step="$(awk -F'\t' 'index($1, "card-") == 1 && $1 !~ /^card-(nogc|mm)-/ { if (first == "") first = $1; if ($8 + 0 < 0.1) held = $1 }
      END { print (held != "") ? held : first }' "$OUT/steps.tsv")"
  factor_note="no card step was sustainable (p99 <= 50 ms): the cost factors are those of ${factor_step:-no step}, the highest card step with < 0.1 % errors"
fi
factor() { # factor <processes.tsv column>
  awk -F'\t' -v l="$factor_step" -v c="$1" -v lean="${lean_pg_ms:-0}" \
    '$1 == l { if (lean > 0 && $c != "-") printf "%.2f", $c / lean; else printf "-"; found = 1 } END { if (!found) printf "-" }' "$OUT/processes.tsv"
}
postgres_cost_factor="$(factor 4)"
gateway_cost_factor="$(factor 3)"
{
  echo "# Malipo benchmark"
  echo
  echo "commit $commit, $(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores ($(awk -F': ' '/model name/ {print $2; exit}' /proc/cpuinfo)), JVM: $GATEWAY_JVM_OPTS, merchants $MERCHANTS, load average at the start $load_at_start"
  echo
  echo "| step | offered/s | achieved/s | p50 ms | p95 ms | p99 ms | max ms | errors % | gateway CPU % | CPU ms/payment gross / net | heap after GC MiB |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  tail -n +2 "$OUT/steps.tsv" | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", $1, $2, $3, $4, $5, $6, $7, $8, $9, $11, $10}'
  echo
  echo "CPU per successful payment by process (ms; over each step's measured phase; PostgreSQL = the backends of the gateway's database and the shared writers), how busy the whole machine was, and the load generator's CPU per request sent:"
  echo
  echo "| step | machine busy % | gateway | PostgreSQL | Kafka broker | Redis | load generator | sum | load generator ms/request |"
  echo "|---|---|---|---|---|---|---|---|---|"
  tail -n +2 "$OUT/processes.tsv" | awk -F'\t' '{printf "| %s | %s | %s | %s | %s | %s | %s | %.2f | %s |\n", $1, $2, $3, $4, $5, $6, $7, $3 + $4 + $5 + $6 + $7, $8}'
  echo
  if [ -n "$lean_ceiling" ]; then
    echo "- lean transaction (loadtest/lean-ledger/one-merchant.sql, pgbench -M prepared -c 8 -j 2 -T $CEILING_SECONDS): $lean_ceiling transactions/s, PostgreSQL $lean_pg_ms ms CPU per transaction"
  fi
  [ -z "$lean_many_line" ] || echo "- $lean_many_line"
  echo "- db_ceiling = ${db_ceiling:-not measured} payments/s (the gateway's own statements, loadtest/db-ceiling.sql, same pgbench settings); max_sustainable / db_ceiling = $db_ratio"
  [ -z "$db_ceiling_gc" ] || echo "- db_ceiling with group commit = $db_ceiling_gc payments/s (the same payments, $CEILING_BATCH outcomes per statement: target/bench/db-ceiling-gc.sql)"
  echo "- max_sustainable: the highest card step with p99 <= 50 ms and < 0.1 % errors; cost factors at $factor_step"
  [ -z "$many_line" ] || echo "- many merchants: $many_line"
  [ -z "$floor_line" ] || echo "- the stack's floor: $floor_line"
  [ -z "$mobile_line" ] || echo "- mobile money: $mobile_line"
  [ -z "$overload_line" ] || echo "- overload: $overload_line"
  [ -z "$statements_line" ] || echo "- statements: $statements_line"
  [ -z "$group_commit_line" ] || echo "- group commit (ADR 0061): $group_commit_line"
  idle_note="the idle gateway's $idle_cpu %"
  [ -z "$idle_cpu_first" ] || idle_note="the idle gateway's $idle_cpu_first % (the gateway without group commit: $idle_cpu %)"
  echo "- gateway CPU % is of one core (200 % = both cores); net CPU ms/payment subtracts $idle_note; heap after GC idle: $heap_idle MiB"
  echo "- load: loadtest/OpenLoadGenerator.java, one JVM for all steps; step summaries: target/bench/<step>.txt"
  [ -z "$factor_note" ] || echo "- $factor_note"
  echo
  echo "lean_ceiling = ${lean_ceiling:--} payments/s"
  echo "max_sustainable = $max_sustainable card payments/s"
  echo "ratio = max_sustainable / lean_ceiling = $ratio"
  echo "postgres_cost_factor = $postgres_cost_factor"
  echo "gateway_cost_factor = $gateway_cost_factor"
} > "$OUT/results.md"
cat "$OUT/results.md"
