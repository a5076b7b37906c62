#!/usr/bin/env bash
# VNN-COMP entry point: installs what certkit needs and builds it once.
# Usage: install_tool.sh v1
set -euo pipefail
version="${1:-v1}"
if [ "$version" != "v1" ]; then
  echo "install_tool.sh: expected version v1, got '$version'" >&2
  exit 1
fi
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# A JDK 21 or newer and Maven, from the distribution's packages when missing.
if ! command -v mvn >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq maven
fi
# shellcheck source=../scripts/jdk.sh
if ! (source "$root/scripts/jdk.sh") >/dev/null 2>&1; then
  apt-get update -qq && apt-get install -y -qq openjdk-21-jdk-headless
fi
source "$root/scripts/jdk.sh"
(cd "$root" && mvn -q -B -DskipTests package)
"$root/certkit" --version
