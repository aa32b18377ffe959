#!/usr/bin/env bash
# CPU of a running JVM by thread group over a window, from /proc (docs/performance.md):
#   loadtest/threads.sh <pid> [seconds=20]
# Prints % of one core per thread-name pattern (digits folded: reactor-tcp-epoll-N), largest first.
set -euo pipefail
pid="$1"; seconds="${2:-20}"
snapshot() {
  for task in /proc/"$pid"/task/*; do
    echo "$(basename "$task") $(tr ' ' _ < "$task/comm") $(awk '{print $14 + $15}' "$task/stat" 2>/dev/null || echo 0)"
  done 2>/dev/null | sort
}
before="$(snapshot)"; sleep "$seconds"; after="$(snapshot)"
join <(echo "$before") <(echo "$after") | awk -v s="$seconds" -v hz="$(getconf CLK_TCK)" '
  { d = $5 - $3; name = $2; gsub(/[0-9]+/, "N", name); sum[name] += d; total += d }
  END { for (n in sum) if (sum[n] > 0) printf "%6.1f%% %s\n", 100 * sum[n] / hz / s, n
        printf "%6.1f%% TOTAL\n", 100 * total / hz / s }' | sort -rn
