#!/usr/bin/env bash
# Install Debian's Chromium for the browser tests when it is missing (needs root and apt).
# Without it the browser tests skip with a stated reason; nothing else depends on it.
set -u
if [ -x /usr/bin/chromium ]; then exit 0; fi
if [ "$(id -u)" != "0" ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "note: /usr/bin/chromium is missing and cannot be installed here (need root + apt-get); browser tests will skip" >&2
  exit 0
fi
echo "installing Debian's chromium for the browser tests (one time)..." >&2
(apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null) \
  || echo "note: apt-get could not install chromium; browser tests will skip" >&2
exit 0
