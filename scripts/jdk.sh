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
# PyTorch runs 3-4x faster on these VMs when glibc keeps large blocks instead of
# returning them to the kernel (measured on a conv forward+backward); see docs/compute.md.
export MALLOC_MMAP_THRESHOLD_="${MALLOC_MMAP_THRESHOLD_:-1000000000000}"
export MALLOC_TRIM_THRESHOLD_="${MALLOC_TRIM_THRESHOLD_:-1000000000000}"
# Maven's own libraries call sun.misc.Unsafe, which JDK 24+ warns about on every build.
if [ "$(certkit_java_major "$JAVA_HOME")" -ge 24 ] 2>/dev/null; then
  export MAVEN_OPTS="${MAVEN_OPTS:-} --sun-misc-unsafe-memory-access=allow"
fi
