#!/bin/sh
# Makes sure Debian's chromium is at /usr/bin/chromium for the demo's browser test (playwright-core
# drives it; no browser is ever downloaded by playwright). Idempotent: does nothing when it is there,
# and refreshes the package lists only when an install is actually needed. Quiet unless it fails.
set -eu

if [ -x /usr/bin/chromium ]; then
  exit 0
fi

SUDO=''
if [ "$(id -u)" -ne 0 ]; then
  SUDO='sudo'
fi

log=$(mktemp)
trap 'rm -f "$log"' EXIT
run() {
  if ! "$@" >"$log" 2>&1; then
    cat "$log" >&2
    echo "ensure-chromium: failed: $*" >&2
    exit 1
  fi
}

run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
run $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium

if [ ! -x /usr/bin/chromium ]; then
  echo "ensure-chromium: chromium was installed but /usr/bin/chromium is missing" >&2
  exit 1
fi
echo "ensure-chromium: installed $(/usr/bin/chromium --version 2>/dev/null || echo chromium)"
