# Sourced by ./mvnw: use a JDK >= 21 when JAVA_HOME is unset or points to an older one (the
# default `java` on our machines is 17; Temurin 25 is under /usr/lib/jvm). POSIX sh.
malipo_java_major() {
  "$1/bin/java" -version 2>&1 | sed -n 's/.*version "\([0-9][0-9]*\).*/\1/p' | head -n 1
}
if [ -z "${JAVA_HOME:-}" ] || [ ! -x "$JAVA_HOME/bin/java" ] || [ "$(malipo_java_major "$JAVA_HOME")" -lt 21 ] 2>/dev/null; then
  for malipo_candidate in /usr/lib/jvm/temurin-25-jdk-amd64 /usr/lib/jvm/temurin-2*-jdk* /usr/lib/jvm/java-2*-openjdk*; do
    if [ -x "$malipo_candidate/bin/java" ] && [ "$(malipo_java_major "$malipo_candidate")" -ge 21 ] 2>/dev/null; then
      JAVA_HOME="$malipo_candidate"
      export JAVA_HOME
      break
    fi
  done
fi
