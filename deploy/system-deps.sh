#!/usr/bin/env bash
# Checks (and where possible installs) what the project needs outside Python:
# Java 17+ and Maven to fetch and run Apache Kafka, promtool to lint metrics and rules.
set -euo pipefail

missing=()
if ! command -v java >/dev/null 2>&1; then missing+=("java (17+)"); fi
if ! command -v mvn >/dev/null 2>&1; then missing+=("maven"); fi
if ! command -v curl >/dev/null 2>&1; then missing+=("curl"); fi

if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    echo "installing promtool (Debian package 'prometheus')" >&2
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus >/dev/null
  else
    missing+=("promtool (Debian/Ubuntu: sudo apt-get install prometheus; or a Prometheus release on PATH)")
  fi
fi

if [ ${#missing[@]} -gt 0 ]; then
  printf 'missing: %s\n' "${missing[@]}" >&2
  exit 1
fi

java_major=$(java -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -n1)
if [ -n "$java_major" ] && [ "$java_major" -lt 17 ]; then
  echo "Java $java_major found; Apache Kafka 4.x needs 17+" >&2
  exit 1
fi
