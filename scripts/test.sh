#!/usr/bin/env bash
# The README's test command: makes sure the programs the tests drive are on the machine, then
# runs every test. The end-to-end tests open report.html in Debian's headless `chromium` and
# drive the real `kubectl`; they fail (never skip) when one is missing, so Chromium is installed
# here when absent.
set -euo pipefail
cd "$(dirname "$0")/.."

# kubectl is not in Debian's archive: it comes with the machine image (or a cloud SDK).
if ! command -v kubectl >/dev/null 2>&1; then
  echo "test.sh: the kubectl tests need a kubectl (1.27 or newer) on PATH" >&2
  exit 1
fi

missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)

if [ ${#missing[@]} -gt 0 ]; then
  echo "test.sh: installing ${missing[*]} (Debian packages) for the end-to-end tests" >&2
  if [ "$(id -u)" -ne 0 ]; then
    if command -v sudo >/dev/null 2>&1; then sudo=(sudo); else
      echo "test.sh: not root and no sudo: install ${missing[*]} with apt-get, then run me again" >&2
      exit 1
    fi
  else
    sudo=()
  fi
  "${sudo[@]}" apt-get update -qq
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
fi

exec cargo test --locked "$@"
