#!/usr/bin/env bash
# The README's first-run figure: a fresh clone of this checkout, `make run` with an empty pip
# cache, then the first demo.noop job submitted with the token make run prints, until it has
# succeeded. Prints the seconds from the clone to that answer. Usage: bench/firstrun.sh [PORT]
set -euo pipefail
port="${1:-8197}"
src="$(cd "$(dirname "$0")/.." && pwd)"
dir="$(mktemp -d)"
log="$dir/run.log"
start=$(date +%s.%N)
git clone -q "$src" "$dir/conveyor"
cd "$dir/conveyor"
PIP_CACHE_DIR="$dir/pip-cache" PORT="$port" setsid make run >"$log" 2>&1 &
run=$!
trap 'kill -TERM -- -$run 2>/dev/null; wait $run 2>/dev/null; rm -rf "$dir"' EXIT
token=""
until [ -n "$token" ]; do
    kill -0 $run 2>/dev/null || { cat "$log"; exit 1; }
    token=$(grep -o 'cvy_[A-Za-z0-9_-]*' "$log" | head -1 || true)
    sleep 0.2
done
api="http://127.0.0.1:$port/api/v1"
auth="Authorization: Bearer $token"
job=""
until [ -n "$job" ]; do
    job=$(curl -sf -X POST "$api/jobs/" -H "$auth" -H "Content-Type: application/json" \
        -d '{"task": "demo.noop"}' | python3 -c 'import json, sys; print(json.load(sys.stdin)["id"])' 2>/dev/null || true)
    [ -n "$job" ] || sleep 0.2
done
until curl -sf -H "$auth" "$api/jobs/$job/" | grep -q '"state":"succeeded"'; do sleep 0.2; done
end=$(date +%s.%N)
printf 'first run: %.1f s from git clone to the first succeeded job (load average %s)\n' \
    "$(echo "$end - $start" | bc)" "$(cut -d' ' -f1-3 /proc/loadavg)"
