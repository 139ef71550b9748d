#!/usr/bin/env bash
# bench/run.sh - builds a Release drydock and ddbench, then measures:
#   cold start to the first served request (:memory: and a new state file),
#   resident memory idle and after load, and SSM GetParameter / PutParameter
#   throughput and latency at 1 and 16 connections (:memory: and durable file state).
# Loopback only; every loop is bounded in count and time. See bench/README.md.
#
# Environment: DURATION (s per load run, default 10), WARMUP (s, default 1),
#              STARTS (cold starts per state kind, default 10), PORT (default: random free),
#              BUILD_DIR (default build-bench), SKIP_BUILD=1 to reuse an existing build.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build-bench}
DURATION=${DURATION:-10}
WARMUP=${WARMUP:-1}
STARTS=${STARTS:-10}
CONNS_HIGH=16

if [[ ${SKIP_BUILD:-0} != 1 ]]; then
    cmake -S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DDRYDOCK_TESTS=OFF >/dev/null
    cmake --build "$BUILD" --target drydock ddbench -j"$(nproc)" >/dev/null
fi
DRYDOCK=$BUILD/drydock
DDBENCH=$BUILD/ddbench

WORK=$(mktemp -d /tmp/ddbench.XXXXXX)
SERVER_PID=
cleanup() {
    [[ -n $SERVER_PID ]] && stop_server
    rm -rf "$WORK"
}
trap cleanup EXIT

# A port nothing answers on (ddbench --wait-ready fails fast on a closed port).
pick_port() {
    local p
    for _ in $(seq 1 20); do
        p=${PORT:-$((20000 + RANDOM % 20000))}
        if ! "$DDBENCH" --wait-ready --endpoint "http://127.0.0.1:$p" --timeout 0.1 2>/dev/null; then
            echo "$p"
            return
        fi
        [[ -n ${PORT:-} ]] && break
    done
    echo "run.sh: no free port found" >&2
    exit 1
}
PORT=$(pick_port)
ENDPOINT=http://127.0.0.1:$PORT

SERVER_STATE=
start_server() { # state
    SERVER_STATE=$1
    "$DRYDOCK" serve --state "$1" --port "$PORT" --log-level warn &
    SERVER_PID=$!
    "$DDBENCH" --wait-ready --endpoint "$ENDPOINT" --timeout 10
}

stop_server() {
    kill "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do
        kill -0 "$SERVER_PID" 2>/dev/null || break
        sleep 0.1
    done
    kill -9 "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=
}

rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$SERVER_PID/status" 2>/dev/null || echo "n/a (server gone)"; }

# json_field JSON KEY: a number from ddbench's one-line JSON.
json_field() { sed -n "s/.*\"$2\":\([0-9.-]*\).*/\1/p" <<<"$1"; }

median() {
    sort -n | awk '{v[NR] = $1} END {if (NR) printf "%.1f\n", (NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2)}'
}

# The server's user+system CPU time so far, in clock ticks (fields 14 and 15 of /proc/PID/stat).
cpu_ticks() { awk '{sub(/.*\) /, ""); print $12 + $13}' "/proc/$SERVER_PID/stat" 2>/dev/null || echo 0; }
TICKS=$(getconf CLK_TCK)

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# cold_start LABEL STATE-PREFIX: STARTS probes; STATE-PREFIX ":memory:" or a path stem (new file each time)
cold_start() {
    local label=$1 stem=$2 out ms=() rss=() state
    for i in $(seq 1 "$STARTS"); do
        state=$stem
        [[ $stem != :memory: ]] && state=$stem-$i.db
        out=$("$DDBENCH" --probe-start --endpoint "$ENDPOINT" --timeout 10 -- \
            "$DRYDOCK" serve --state "$state" --port "$PORT" --log-level warn | tail -n 1)
        ms+=("$(json_field "$out" ms)")
        rss+=("$(json_field "$out" rss_kb)")
    done
    COLD_MS[$label]=$(printf '%s\n' "${ms[@]}" | median)
    COLD_MIN[$label]=$(printf '%.1f' "$(printf '%s\n' "${ms[@]}" | sort -n | head -n 1)")
    COLD_MAX[$label]=$(printf '%.1f' "$(printf '%s\n' "${ms[@]}" | sort -n | tail -n 1)")
    COLD_RSS[$label]=$(printf "%.0f" "$(printf '%s\n' "${rss[@]}" | median)")
    echo "cold start $label: median ${COLD_MS[$label]} ms (min ${COLD_MIN[$label]}, max ${COLD_MAX[$label]}) over $STARTS starts; VmRSS at first 200 ${COLD_RSS[$label]} kB"
}

# load LABEL OP CONNS: one ddbench run against the running server (restarted if it died)
load() {
    local label=$1 out json t0 t1 requests
    echo "--- $label (load average $(loadavg))"
    t0=$(cpu_ticks)
    out=$("$DDBENCH" --endpoint "$ENDPOINT" --op "$2" --connections "$3" --duration "$DURATION" \
        --warmup "$WARMUP") || true
    t1=$(cpu_ticks)
    echo "$out"
    json=$(grep '^{' <<<"$out" | tail -n 1 || true)
    RESULT[$label]=${json:-failed}
    # Server CPU per request (warm-up included in both the time and the count's share of it,
    # so this is an upper bound): what the server costs, apart from the client beside it.
    requests=$(json_field "$json" requests)
    SERVER_CPU[$label]=$(awk -v d=$((t1 - t0)) -v hz="$TICKS" -v n="${requests:-0}" -v dur="$DURATION" -v w="$WARMUP" \
        'BEGIN {if (n > 0) printf "%.0f µs/req, %.0f%% of a core", d / hz * 1e6 / (n * (dur + w) / dur), d / hz / (dur + w) * 100; else print "-"}')
    echo "    server CPU: ${SERVER_CPU[$label]}"
    LOADAVG[$label]=$(loadavg)
    ORDER+=("$label")
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then
        echo "run.sh: the server died during '$label'; restarting it" >&2
        RESULT[$label]=crashed
        wait "$SERVER_PID" 2>/dev/null || true
        start_server "$SERVER_STATE"
    fi
}

declare -A COLD_MS COLD_MIN COLD_MAX COLD_RSS RESULT LOADAVG RSS SERVER_CPU
ORDER=()

echo "== drydock benchmark $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "   load average at start: $(loadavg); port $PORT; $DURATION s per run after $WARMUP s warm-up"
LOAD_START=$(loadavg)

floor=()
for _ in $(seq 1 "$STARTS"); do
    floor+=("$(json_field "$("$DDBENCH" --probe-exit -- "$DRYDOCK" version | tail -n 1)" ms)")
done
FLOOR_MS=$(printf '%s\n' "${floor[@]}" | median)
echo "process floor (spawn to exit of 'drydock version'): median $FLOOR_MS ms over $STARTS runs"
cold_start memory :memory:
cold_start file "$WORK/cold"

start_server :memory:
sleep 0.5
RSS[memory_idle]=$(rss_kb)
load "GetParameter :memory: 1" get 1
load "GetParameter :memory: $CONNS_HIGH" get "$CONNS_HIGH"
load "PutParameter :memory: 1" put 1
load "PutParameter :memory: $CONNS_HIGH" put "$CONNS_HIGH"
sleep 0.5
RSS[memory_loaded]=$(rss_kb)
stop_server

start_server "$WORK/state.db"
sleep 0.5
RSS[file_idle]=$(rss_kb)
load "PutParameter file 1" put 1
load "PutParameter file $CONNS_HIGH" put "$CONNS_HIGH"
RSS[file_loaded]=$(rss_kb)
stop_server

echo
echo "## Summary ($(date -u '+%Y-%m-%d'), $(nproc) cores; load average at start $LOAD_START, at end $(loadavg))"
echo
echo "| measure | figure | target |"
echo "|---|---|---|"
echo "| cold start to first 200, \`:memory:\` (median of $STARTS) | ${COLD_MS[memory]} ms (min ${COLD_MIN[memory]}, max ${COLD_MAX[memory]}) | < 20 ms |"
echo "| cold start to first 200, new state file (median of $STARTS) | ${COLD_MS[file]} ms (min ${COLD_MIN[file]}, max ${COLD_MAX[file]}) | < 20 ms |"
echo "| process floor: spawn to exit of \`drydock version\` (median) | $FLOOR_MS ms | |"
echo "| VmRSS at first 200, \`:memory:\` | ${COLD_RSS[memory]} kB | |"
echo "| idle VmRSS, \`:memory:\` (0.5 s after start) | ${RSS[memory_idle]} kB | < 15 MB |"
echo "| VmRSS after the \`:memory:\` load runs | ${RSS[memory_loaded]} kB | |"
echo "| idle VmRSS, file state | ${RSS[file_idle]} kB | < 15 MB |"
echo "| VmRSS after the file-state load runs | ${RSS[file_loaded]} kB | |"
echo
echo "| run | req/s | p50 µs | p90 µs | p99 µs | max µs | errors | server CPU | load avg after |"
echo "|---|---|---|---|---|---|---|---|---|"
for label in "${ORDER[@]}"; do
    r=${RESULT[$label]}
    if [[ $r == failed || $r == crashed ]]; then
        echo "| $label | $r | | | | | | | |"
        continue
    fi
    printf '| %s | %.0f | %.0f | %.0f | %.0f | %.0f | %s | %s | %s |\n' "$label" "$(json_field "$r" rps)" \
        "$(json_field "$r" p50_us)" "$(json_field "$r" p90_us)" "$(json_field "$r" p99_us)" \
        "$(json_field "$r" max_us)" "$(json_field "$r" errors)" "${SERVER_CPU[$label]}" "${LOADAVG[$label]}"
done
echo
echo "Target: GetParameter >= 20000 req/s at $CONNS_HIGH connections (client and server share the cores)."
