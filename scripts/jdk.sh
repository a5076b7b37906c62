# Sourced by the launcher scripts: exports JAVA_HOME pointing at a JDK >= 21.
# Order: an existing JAVA_HOME if it is new enough, then the JDKs under /usr/lib/jvm
# (newest first), then the java on PATH.
certkit_java_major() {
  "$1/bin/java" -XshowSettings:properties -version 2>&1 \
    | awk -F'= ' '/java.specification.version/ {print $2}' | cut -d. -f1
}
certkit_find_jdk() {
  local candidate major
  for candidate in "${JAVA_HOME:-}" $(ls -d /usr/lib/jvm/*/ 2>/dev/null | sort -rV) \
      "$(dirname "$(dirname "$(readlink -f "$(command -v javac 2>/dev/null || echo /nonexistent)")")")"; do
    candidate="${candidate%/}"
    [ -n "$candidate" ] && [ -x "$candidate/bin/javac" ] || continue
    major=$(certkit_java_major "$candidate")
    if [ -n "$major" ] && [ "$major" -ge 21 ] 2>/dev/null; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}
if ! JAVA_HOME=$(certkit_find_jdk); then
  echo "certkit: no JDK 21 or newer found. Install one (for example the Debian package openjdk-21-jdk or a" >&2
  echo "Temurin 21+ build) and set JAVA_HOME to it." >&2
  exit 1
fi
export JAVA_HOME
export PATH="$JAVA_HOME/bin:$PATH"
# glibc hands blocks above 32 MB (and, in the per-thread arenas that Java threads use, above
# 64 MB always) to the kernel as fresh mappings, which fault in page by page on every use: more
# than half of an expected-bound training step went to the kernel. One arena that never maps and
# never trims keeps freed blocks for reuse: that step ran 2.7x faster (docs/compute.md).
export MALLOC_ARENA_MAX="${MALLOC_ARENA_MAX:-1}"
export MALLOC_MMAP_MAX_="${MALLOC_MMAP_MAX_:-0}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1000000000000}"
# Maven's own libraries call sun.misc.Unsafe, which JDK 24+ warns about on every build.
if [ "$(certkit_java_major "$JAVA_HOME")" -ge 24 ] 2>/dev/null; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
