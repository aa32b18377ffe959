#!/usr/bin/env bash
# JMH micro-benchmarks of the hot CPU stages (src/jmh/java, Maven profile jmh; never part of
# ./mvnw verify). Short by default (1 fork, 2 warm-up and 3 measured iterations of 1 s each):
#   loadtest/jmh.sh                      # all benchmarks
#   loadtest/jmh.sh TokenVerifier        # a regex of benchmark names; other JMH options follow it
set -euo pipefail
repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
mkdir -p target/jmh
./mvnw -q -Pjmh -DskipTests test-compile dependency:build-classpath -Dmdep.includeScope=test \
  -Dmdep.outputFile=target/jmh/classpath.txt > target/jmh/build.log 2>&1 || { cat target/jmh/build.log >&2; exit 1; }
# The JDK ./mvnw picked (JAVA_HOME if it names one >= 21, else one under /usr/lib/jvm).
java_bin="$(. .mvn/select-jdk.sh >/dev/null 2>&1; echo "${JAVA_HOME:-/usr/lib/jvm/temurin-25-jdk-amd64}")/bin/java"
filter="${1:-.*}"; shift || true
"$java_bin" -cp "target/test-classes:target/classes:$(cat target/jmh/classpath.txt)" org.openjdk.jmh.Main \
  -f 1 -wi 2 -w 1s -i 3 -r 1s -rf text -rff target/jmh/results.txt "$filter" "$@"
echo "results: target/jmh/results.txt"
