#!/usr/bin/env bash
# Smoke test of the packaged artifact, started as a deployment starts it (issue 26):
#   deploy/smoke.sh                      # builds the jar (./mvnw -DskipTests package), then tests it
#   JAR=target/malipo-gateway-0.1.0-SNAPSHOT.jar deploy/smoke.sh     # an already built jar (.ci/run)
#
# 1. The jar without any secret, in the default (production) profile, must exit non-zero within
#    30 s and name the callback tokens, the card fingerprint key and the JWK set.
# 2. The jar in the sandbox profile, with secrets generated for this run only (openssl rand, a
#    fresh ES256 JWK set), against this machine's PostgreSQL (its own database, dropped at the end)
#    and Redis (its own key prefix, deleted at the end), with no Kafka (events wait in the outbox):
#    ready, /actuator/info shows build and git, a token, a card payment with 4242424242424242
#    that succeeds and reads back, the hosted checkout page and its script, readiness still UP.
# 3. SIGTERM while payments are in flight (both sandbox acquirers slowed to 2 s): every request
#    gets its answer, or its payment is final when read back after a restart; the ledger balances.
#
# Environment (optional): JAR, SMOKE_PORT (18090), IN_FLIGHT (8), MALIPO_DB_HOST/PORT/USER/PASSWORD,
# MALIPO_REDIS_HOST/PORT. Needs java >= 21, curl, jq, openssl, unzip, psql/createdb/dropdb, redis-cli.
# Logs: target/smoke/.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
. .mvn/select-jdk.sh
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"

PORT="${SMOKE_PORT:-18090}"
IN_FLIGHT="${IN_FLIGHT:-8}"
DB_HOST="${MALIPO_DB_HOST:-127.0.0.1}"
DB_PORT="${MALIPO_DB_PORT:-5432}"
DB_USER="${MALIPO_DB_USER:-postgres}"
REDIS_HOST="${MALIPO_REDIS_HOST:-127.0.0.1}"
REDIS_PORT="${MALIPO_REDIS_PORT:-6379}"
export PGPASSWORD="${MALIPO_DB_PASSWORD:-}"
RUN_ID="$$_$(date +%s)"
DB_NAME="malipo_smoke_$RUN_ID"
REDIS_PREFIX="malipo-smoke-$RUN_ID:"
OUT="$repo_root/target/smoke"
BASE="http://127.0.0.1:$PORT"
gateway_pid=""

log() { echo "smoke: $*" >&2; }
fail() { echo "smoke: FAILED: $*" >&2; [ -f "$OUT/gateway.log" ] && tail -n 20 "$OUT/gateway.log" | cut -c1-600 >&2; exit 1; }

for tool in curl jq openssl unzip psql createdb dropdb redis-cli; do
  command -v "$tool" >/dev/null || fail "$tool is missing (apt-get install -y curl jq openssl unzip postgresql-client redis-tools)"
done

cleanup() {
  if [ -n "$gateway_pid" ] && kill -0 "$gateway_pid" 2>/dev/null; then
    kill -TERM "$gateway_pid" 2>/dev/null || true
    wait "$gateway_pid" 2>/dev/null || true
  fi
  dropdb --if-exists -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$DB_NAME" 2>/dev/null || true
  redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" --scan --pattern "${REDIS_PREFIX}*" 2>/dev/null \
    | xargs -r -n 500 redis-cli -h "$REDIS_HOST" -p "$REDIS_PORT" DEL >/dev/null 2>&1 || true
}
trap cleanup EXIT

rm -rf "$OUT" && mkdir -p "$OUT"
if [ -z "${JAR:-}" ]; then
  log "building the jar (./mvnw -q -DskipTests package)"
  ./mvnw -q -DskipTests package
  JAR="$(ls target/malipo-gateway-*.jar | grep -v -e '-plain' -e '\.original' | head -n 1)"
fi
[ -f "$JAR" ] || fail "no jar at $JAR"
log "jar $JAR"

# --- 1. No secrets, default profile: refused at once, naming what is missing ----------------------
log "default profile without secrets must refuse to start"
started=$(date +%s)
set +e
env -i PATH="$PATH" HOME="$HOME" timeout 30 "$JAVA" -jar "$JAR" --server.port="$PORT" >"$OUT/no-secrets.log" 2>&1
status=$?
set -e
elapsed=$(( $(date +%s) - started ))
[ "$status" -ne 0 ] || fail "the jar started without secrets"
[ "$status" -ne 124 ] || fail "the jar without secrets did not exit within 30 s"
for name in malipo.callbacks.mpesa-token malipo.callbacks.mtn-momo-token malipo.cards.fingerprint-key \
    malipo.auth.jwk-set MALIPO_CARD_FINGERPRINT_KEY MALIPO_CALLBACKS_MPESATOKEN MALIPO_AUTH_JWKSETFILE; do
  grep -q -- "$name" "$OUT/no-secrets.log" || fail "the refusal does not name $name (see $OUT/no-secrets.log)"
done
log "refused with exit status $status after ${elapsed} s, naming every missing setting"

# --- 2. Sandbox profile with generated secrets ----------------------------------------------------
createdb -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" "$DB_NAME"
unzip -q -j -o "$JAR" 'BOOT-INF/lib/nimbus-jose-jwt-*.jar' -d "$OUT/lib"
"$JAVA" -cp "$(ls "$OUT"/lib/nimbus-jose-jwt-*.jar)" deploy/GenerateJwks.java >"$OUT/jwks.json"
chmod 600 "$OUT/jwks.json"
DEMO_SECRET="$(openssl rand -hex 16)"
ADMIN_SECRET="$(openssl rand -hex 16)"
# An address where no Kafka listens: the gateway must start and stay ready without it.
NO_KAFKA_PORT=$(( PORT + 1 ))

start_gateway() {
  env -i PATH="$PATH" HOME="$HOME" \
    SPRING_PROFILES_ACTIVE=sandbox \
    SERVER_PORT="$PORT" \
    MALIPO_DB_HOST="$DB_HOST" MALIPO_DB_PORT="$DB_PORT" MALIPO_DB_NAME="$DB_NAME" MALIPO_DB_USER="$DB_USER" \
    MALIPO_DB_PASSWORD="$PGPASSWORD" \
    MALIPO_REDIS_HOST="$REDIS_HOST" MALIPO_REDIS_PORT="$REDIS_PORT" MALIPO_REDIS_KEYPREFIX="$REDIS_PREFIX" \
    MALIPO_KAFKA_BOOTSTRAP="127.0.0.1:$NO_KAFKA_PORT" \
    MALIPO_AUTH_JWKSETFILE="$OUT/jwks.json" \
    MALIPO_CALLBACKS_MPESATOKEN="$MPESA_TOKEN" \
    MALIPO_CALLBACKS_MTNMOMOTOKEN="$MOMO_TOKEN" \
    MALIPO_CARD_FINGERPRINT_KEY="$FINGERPRINT_KEY" \
    MALIPO_WEBHOOKS_SECRETENCRYPTION_KEYS_K1="$ENCRYPTION_KEY" \
    MALIPO_WEBHOOKS_SECRETENCRYPTION_ACTIVEKEY=k1 \
    MALIPO_DEMO_CLIENTSECRET="$DEMO_SECRET" \
    MALIPO_DEMO_ADMINCLIENTSECRET="$ADMIN_SECRET" \
    JDK_JAVA_OPTIONS="-Xmx512m" \
    "$JAVA" -jar "$JAR" >>"$OUT/gateway.log" 2>&1 &
  gateway_pid=$!
  log "gateway pid $gateway_pid (sandbox profile, database $DB_NAME, no Kafka)"
  for _ in $(seq 1 180); do
    kill -0 "$gateway_pid" 2>/dev/null || fail "the gateway exited during start-up"
    if [ "$(curl -s -m 2 "$BASE/actuator/health/readiness" | jq -r '.status' 2>/dev/null)" = "UP" ]; then
      log "ready"
      return
    fi
    sleep 1
  done
  fail "not ready within 180 s"
}

MPESA_TOKEN="$(openssl rand -hex 24)"
MOMO_TOKEN="$(openssl rand -hex 24)"
FINGERPRINT_KEY="$(openssl rand -hex 32)"
ENCRYPTION_KEY="$(openssl rand -base64 32)"
start_gateway

token() {
  curl -sf -u "$1:$2" -d grant_type=client_credentials "$BASE/v1/oauth/token" | jq -er .access_token
}
pay() { # idempotency key, card number -> "<http status> <body>"
  curl -s -m 60 -o "$OUT/pay-$1.json" -w '%{http_code}' -X POST "$BASE/v1/payments" \
    -H "Authorization: Bearer $TOKEN" -H 'Content-Type: application/json' -H "Idempotency-Key: $1" \
    -d "{\"amount\":1500,\"currency\":\"KES\",\"reference\":\"smoke-$1\",
         \"payment_method\":{\"type\":\"card\",\"number\":\"$2\",\"exp_month\":12,\"exp_year\":2030,\"cvc\":\"123\"}}"
}
payment_by_key() { # idempotency key -> the payment's JSON, or empty
  curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/v1/payments?idempotency_key=$1" | jq -c '.data[0] // empty'
}

info="$(curl -sf "$BASE/actuator/info")" || fail "/actuator/info does not answer"
echo "$info" | jq -e '.build.version and .build.artifact == "malipo-gateway"' >/dev/null \
  || fail "/actuator/info has no build information: $info"
if git rev-parse --git-dir >/dev/null 2>&1; then
  echo "$info" | jq -e '.git.commit.id' >/dev/null || fail "/actuator/info has no git information: $info"
fi
log "/actuator/info: $(echo "$info" | jq -c '{version: .build.version, commit: .git.commit.id}')"

TOKEN="$(token demo_client "$DEMO_SECRET")" || fail "no token for demo_client"
ADMIN="$(token admin_client "$ADMIN_SECRET")" || fail "no token for admin_client"
key="smoke-first-$RUN_ID"
code="$(pay "$key" 4242424242424242)"
[ "$code" = 201 ] || fail "payment answered $code: $(cat "$OUT/pay-$key.json")"
payment_id="$(jq -er .id "$OUT/pay-$key.json")"
[ "$(jq -r .status "$OUT/pay-$key.json")" = succeeded ] || fail "payment not succeeded: $(cat "$OUT/pay-$key.json")"
read_back="$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/v1/payments/$payment_id")" || fail "cannot read $payment_id back"
[ "$(echo "$read_back" | jq -r '.id + " " + .status')" = "$payment_id succeeded" ] || fail "read back: $read_back"
log "payment $payment_id succeeded and reads back"

# The hosted checkout page as packaged (issue 19): the jar carries the built page and its script,
# served with the pages' strict Content-Security-Policy.
session="$(curl -sf -X POST "$BASE/v1/checkout_sessions" -H "Authorization: Bearer $TOKEN" \
  -H 'Content-Type: application/json' -H "Idempotency-Key: $(openssl rand -hex 16)" \
  -d '{"amount": 1500, "currency": "KES"}')" || fail "no checkout session"
page_path="$(echo "$session" | jq -r '.url | sub("^https?://[^/]+"; "") | sub("#.*$"; "")')"
curl -s -D "$OUT/page.headers" -o "$OUT/page.html" "$BASE$page_path"
grep -qi '^content-security-policy:.*script-src .self.' "$OUT/page.headers" || fail "the page $page_path lacks its CSP"
grep -q '/assets/checkout/app.js' "$OUT/page.html" || fail "the page $page_path does not load its script"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$BASE/assets/checkout/app.js")" = 200 ] \
  || fail "the packaged jar does not serve /assets/checkout/app.js"
log "hosted checkout page $page_path and its script served from the jar"
backlog="$(psql -h "$DB_HOST" -p "$DB_PORT" -U "$DB_USER" -d "$DB_NAME" -tAc 'SELECT count(*) FROM outbox WHERE published_at IS NULL')"
[ "$backlog" -ge 1 ] || fail "no event waits in the outbox without Kafka"
[ "$(curl -s "$BASE/actuator/health/readiness" | jq -r .status)" = UP ] || fail "not ready any more without Kafka"
log "without Kafka: still ready, $backlog event(s) wait in the outbox"

# --- 3. SIGTERM with payments in flight -----------------------------------------------------------
for rail in acquirer_a acquirer_b; do
  curl -sf -X PUT "$BASE/v1/sandbox/rails/$rail/faults" -H "Authorization: Bearer $ADMIN" \
    -H 'Content-Type: application/json' -d '{"latency_ms": 2000, "fail": false}' >/dev/null || fail "cannot slow $rail"
done
keys=()
for i in $(seq 1 "$IN_FLIGHT"); do
  keys+=("smoke-inflight-$RUN_ID-$i")
done
for k in "${keys[@]}"; do
  ( pay "$k" 4242424242424242 >"$OUT/code-$k" 2>/dev/null || true ) &
done
sleep 1
log "SIGTERM with $IN_FLIGHT payments in flight (acquirers answer after 2 s)"
term_at=$(date +%s)
kill -TERM "$gateway_pid"
set +e
wait "$gateway_pid"
exit_status=$?
set -e
gateway_pid=""
stopped_in=$(( $(date +%s) - term_at ))
wait  # the curls
log "gateway stopped in ${stopped_in} s (exit status $exit_status)"
[ "$stopped_in" -le 45 ] || fail "shutdown took ${stopped_in} s, beyond the pod's 45 s grace period"

start_gateway
TOKEN="$(token demo_client "$DEMO_SECRET")" || fail "no token after the restart"
answered=0
for k in "${keys[@]}"; do
  code="$(cat "$OUT/code-$k" 2>/dev/null || true)"
  stored="$(payment_by_key "$k")"
  if [ "$code" = 201 ]; then
    [ "$(jq -r .status "$OUT/pay-$k.json")" = succeeded ] || fail "$k answered 201 but not succeeded: $(cat "$OUT/pay-$k.json")"
    [ "$(echo "$stored" | jq -r .status)" = succeeded ] || fail "$k answered succeeded but reads back as: $stored"
    answered=$((answered + 1))
  elif [ -n "$stored" ]; then
    status="$(echo "$stored" | jq -r .status)"
    case "$status" in
      succeeded|failed) log "$k got no answer ($code) but its payment is final: $status" ;;
      *) fail "$k got no answer ($code) and its payment is $status after the restart" ;;
    esac
  else
    # No payment: the request never reached the gateway before it stopped accepting.
    case "$code" in 000|503) log "$k refused before it started ($code), nothing stored" ;;
      *) fail "$k answered $code and left no payment" ;; esac
  fi
done
log "$answered of $IN_FLIGHT in-flight payments answered 201 succeeded before the shutdown ended"
[ "$answered" -ge 1 ] || fail "no in-flight payment was answered: graceful shutdown did not let them finish"

[ "$(curl -sf -H "Authorization: Bearer $TOKEN" "$BASE/v1/payments/$payment_id" | jq -r .status)" = succeeded ] \
  || fail "the first payment does not read back after the restart"
ADMIN="$(token admin_client "$ADMIN_SECRET")"
curl -sf -H "Authorization: Bearer $ADMIN" "$BASE/v1/ledger/trial_balance" >"$OUT/trial-balance.json" || fail "no trial balance"
jq -e '[.checks[].passed] | all' "$OUT/trial-balance.json" >/dev/null || fail "ledger checks fail: $(jq -c .checks "$OUT/trial-balance.json")"
log "ledger checks pass"
log "OK"
