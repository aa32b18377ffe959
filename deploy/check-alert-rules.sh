#!/usr/bin/env bash
# Checks the alert rules of k8s/base/monitoring/prometheusrule.yaml with promtool (Debian's
# `prometheus` package): the PrometheusRule's `spec` is a plain Prometheus rule file, extracted
# here, then `promtool check rules` and `promtool test rules` with the unit tests beside it.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v promtool >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq --no-install-recommends prometheus
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Everything after `spec:`, one indentation level less (spec is the file's last top-level key).
sed '1,/^spec:/d; s/^  //' k8s/base/monitoring/prometheusrule.yaml > "$work/rules.yaml"
cp k8s/base/monitoring/tests/*.test.yaml "$work/"
promtool check rules "$work/rules.yaml"
(cd "$work" && promtool test rules ./*.test.yaml)
