#!/usr/bin/env bash
# `bun run ci`: every gate, in the order a failure is cheapest to see.
set -euo pipefail
cd "$(dirname "$0")/.."

# The `mindgw tail` end-to-end test drives a real terminal through tmux.
if ! command -v tmux >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq tmux >/dev/null
  else
    echo "tmux is required for the tail end-to-end test (apt-get install tmux)" >&2
    exit 1
  fi
fi

bun run typecheck
bun run check
bun run build
bun test --timeout 60000
