#!/usr/bin/env bash
# `bun run ci`: every gate, in the order a failure is cheapest to see.
set -euo pipefail
cd "$(dirname "$0")/.."

# System programs the tests drive for real: tmux (the `mindgw tail` terminal test), PostgreSQL
# and Redis servers (started by the tests on free loopback ports in temp dirs, never as a
# system service), Chromium (the /admin and /docs browser tests, through playwright-core).
need=()
command -v tmux >/dev/null 2>&1 || need+=(tmux)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v redis-server >/dev/null 2>&1 || need+=(redis-server)
# openssl makes the CA and certificate of the TLS PostgreSQL test (storage.sslmode).
command -v openssl >/dev/null 2>&1 || need+=(openssl)
command -v chromium >/dev/null 2>&1 || need+=(chromium)
# The real-client e2e tests (Codex CLI, Claude Code, Agents SDK) run inside `unshare -n` with
# loopback brought up by `ip`; Codex's npm launcher is a node script.
command -v unshare >/dev/null 2>&1 || need+=(util-linux)
command -v ip >/dev/null 2>&1 || need+=(iproute2)
command -v node >/dev/null 2>&1 || need+=(nodejs)
# The events back-pressure test drives a slow SSE consumer in python3; the audit storage failure
# test freezes the database with `chattr +i` (e2fsprogs). Missing, those tests fail, not skip.
command -v python3 >/dev/null 2>&1 || need+=(python3)
command -v chattr >/dev/null 2>&1 || need+=(e2fsprogs)
# The cluster clocks test runs one node on a skewed wall clock through libfaketime's preload.
[ -e /usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1 ] || need+=(libfaketime)
if [ "${#need[@]}" -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
  else
    echo "missing system packages: ${need[*]} (apt-get install ${need[*]})" >&2
    exit 1
  fi
fi

# promtool runs the shipped alert rules' unit tests (docs/observability/mindgw-alerts.test.yml)
# and checks the docs' Prometheus examples (test/docs/doc-examples.test.ts):
# taken from Debian's prometheus package unpacked, not installed, so no Prometheus service is set
# up. Missing, that test fails, not skips.
if ! command -v promtool >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    unpack=$(mktemp -d)
    apt-get update -qq
    (cd "$unpack" && apt-get download -qq prometheus && dpkg -x prometheus_*.deb x)
    install -m 0755 "$unpack/x/usr/bin/promtool" /usr/local/bin/promtool
    rm -rf "$unpack"
  else
    echo "missing promtool (from Debian's prometheus package)" >&2
    exit 1
  fi
fi

bun run typecheck
bun run check
bun run build
bun test --timeout 60000
