#!/usr/bin/env bash
# Bytes allocated and collections per request at c=1, and the c=1 p50/p99, for one gateway binary
# (auth + limits + audit + metrics on, as shipped) in front of a burst upstream already running:
#   bun bench/burst-upstream.ts   # prints {"port":N}
#   bench/gc-per-request.sh BINARY UPSTREAM_PORT [stream: false|true] [SECONDS] [EXTRA_CONFIG_YAML]
# GC_CONNECTIONS=32 measures at c=32 instead (wrk -t2 -c32), where the eden pause and what each eden
# visits (docs/BENCHMARKS-HISTORY.md, session 11's young collections) are read.
# A 3 s warm-up, then a measured wrk run; collections are read from BUN_JSC_logGC=true stderr by
# bench/gc-log-stats.ts (main heap and the audit thread's heap apart).
set -euo pipefail
connections=${GC_CONNECTIONS:-1}; threads=$((connections > 1 ? 2 : 1))
bin=$(realpath "$1"); up=$2; stream=${3:-false}; seconds=${4:-10}; extra=${5:-}
here=$(cd "$(dirname "$0")" && pwd)
d=$(mktemp -d)
port=$(bun -e 'const s=Bun.listen({hostname:"127.0.0.1",port:0,socket:{data(){}}});console.log(s.port);s.stop()')
cat > "$d/c.yaml" <<Y
server: { host: 127.0.0.1, port: $port }
storage: { driver: sqlite, path: $d/m.db }
providers:
  - { name: fake, type: openai, base_url: http://127.0.0.1:$up/v1 }
models:
  - name: bench-model
    routes: [ { provider: fake, model: bench-model } ]
$extra
Y
key=$("$bin" keys create -c "$d/c.yaml" --name bench --role user --models '*' --json | bun -e 'console.log(JSON.parse(await Bun.stdin.text()).key)')
BUN_JSC_logGC=true "$bin" serve -c "$d/c.yaml" > "$d/out.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; wait $pid 2>/dev/null; rm -rf "$d"' EXIT
for _ in $(seq 100); do curl -s -o /dev/null "http://127.0.0.1:$port/healthz" && break; sleep 0.1; done
cat > "$d/post.lua" <<L
wrk.method="POST"; wrk.body='{"model":"bench-model","stream":$stream,"messages":[{"role":"user","content":"hi"}]}'
wrk.headers["content-type"]="application/json"; wrk.headers["authorization"]="Bearer $key"
L
url="http://127.0.0.1:$port/v1/chat/completions"
wrk -t"$threads" -c"$connections" -d3s -s "$d/post.lua" "$url" > /dev/null
from=$(wc -l < "$d/out.log")
result=$(wrk -t"$threads" -c"$connections" -d"${seconds}s" --latency -s "$d/post.lua" "$url")
requests=$(echo "$result" | awk '/requests in/ {print $1}')
echo "stream=$stream: $requests requests;$(echo "$result" | grep -E '^ +(50|99)%' | tr -s ' ' | tr '\n' ';') $(echo "$result" | grep Requests/sec)"
bun "$here/gc-log-stats.ts" "$d/out.log" --requests "$requests" --from-line "$from"
