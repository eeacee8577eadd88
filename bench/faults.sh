#!/bin/sh
# Fault and soak benchmarks through the user's own path: the local runtime, the bundled model, the
# project's load client. Results go to build/bench/faults/ and a summary to stdout (for
# docs/benchmarks.md). Not part of CI.
#
#   bench/faults.sh sigterm        SIGTERM of a server under load: a client that stops within the
#                                  drain delay, and one that keeps sending past it
#   bench/faults.sh kill9          kill -9 of one of two servers under load: what the client sees,
#                                  deploy status, deploy run restoring it
#   bench/faults.sh soak [minutes] open loop at 80% of the measured maximum (default 10 minutes):
#                                  errors, p50 and p99 of every minute, server RSS growth
set -eu
cd "$(dirname "$0")/.."
mode=${1:-sigterm}
minutes=${2:-10}
out=build/bench/faults
mkdir -p "$out"
port=29080
set -- -Dservice_port=$port -Dverbose=false -Dquiet=True
java=$(./jbang --java-home)/bin/java
client=build/jars/load-client.jar

server_dir() { echo ".jdo/local/servers/$(./config.java get app_name)-$1"; }
server_pid() { cat "$(server_dir "$1")/pid"; }
rss_mb() { awk '/VmRSS/ { printf "%d", $2 / 1024 }' "/proc/$1/status"; }

# bmk NAME SECONDS RATE [SERVERS]: the load client against server 0 (or 0 and 1), 1 s intervals
bmk() {
  servers="--server http://127.0.0.1:$port"
  [ "${4:-1}" = 2 ] && servers="$servers --server http://127.0.0.1:$((port + 1))"
  # shellcheck disable=SC2086
  "$java" -jar "$client" bmk $servers --models 2 --name "$1" --threads 4 --duration "$2" --interval "${INTERVAL:-1}" \
    --warmup 0 --rate "$3" --timeout 30 --results "$out" > "$out/$1.log" 2>&1 || true
}

summary() {
  grep -E "requests [0-9]+, errors|errors by status" "$out/$1.log" | sed "s/^/   $1: /"
}

./build.java "$@" > /dev/null
./trace.java "$@" > /dev/null
./pack.java "$@" > /dev/null
./deploy.java stop "$@" > /dev/null 2>&1 || true

case "$mode" in
sigterm)
  for case in within past; do
    ./deploy.java run "$@" -Dnum_servers=1 -Dnum_models=2 -Ddrain_delay=5 > /dev/null
    pid=$(server_pid 0)
    # within: the client stops 3 s after SIGTERM, inside the 5 s drain delay (as traffic stops once
    # Kubernetes has removed the endpoint); past: it sends for 12 s after SIGTERM
    if [ "$case" = within ]; then seconds=8; else seconds=17; fi
    bmk "sigterm-$case" "$seconds" 0 &
    load=$!
    sleep 5
    kill -TERM "$pid"
    wait "$load"
    echo "SIGTERM 5 s into a closed-loop run, client sending until $((seconds - 5)) s after it (drain_delay=5):"
    summary "sigterm-$case"
    ./deploy.java stop "$@" > /dev/null 2>&1 || true
  done
  ;;
kill9)
  ./deploy.java run "$@" -Dnum_servers=2 -Dnum_models=2 > /dev/null
  pid=$(server_pid 0)
  bmk kill9 20 0 2 &
  load=$!
  sleep 5
  kill -KILL "$pid"
  sleep 2
  echo "kill -9 of server 0 of 2, 5 s into a 20 s closed-loop run against both:"
  ./deploy.java status "$@" 2>&1 | sed 's/^/   status: /'
  ./deploy.java run "$@" -Dnum_servers=2 -Dnum_models=2 2>&1 | sed 's/^/   run: /'
  wait "$load"
  summary kill9
  ./deploy.java stop "$@" > /dev/null 2>&1 || true
  ;;
soak)
  ./deploy.java run "$@" -Dnum_servers=1 -Dnum_models=2 > /dev/null
  pid=$(server_pid 0)
  INTERVAL=5 bmk soak-max 20 0
  max=$(sed -n 's/.*throughput \([0-9.]*\) requests\/s.*/\1/p' "$out/soak-max.log" | tail -1)
  rate=$(echo "$max" | awk '{ printf "%.1f", $1 * 0.8 }')
  rss_start=$(rss_mb "$pid")
  echo "soak: maximum $max requests/s closed loop; open loop at $rate requests/s for $minutes minutes"
  INTERVAL=60 bmk soak $((minutes * 60)) "$rate"
  rss_end=$(rss_mb "$pid")
  summary soak
  # p50 and p99 of each minute, from the intervals in the client's BMK-RESULT line
  sed -n 's/^BMK-RESULT //p' "$out/soak.log" | python3 -c '
import json, sys
for i, v in enumerate(json.load(sys.stdin)["intervals"]):
    print("   minute %d: %d requests, p50 %.1f ms, p99 %.1f ms, errors %s" % (i + 1, v["requests"], v["p50Micros"] / 1000,
          v["p99Micros"] / 1000, sum(v["errorsByStatus"].values())))'
  echo "   server RSS: $rss_start MB after the maximum run, $rss_end MB at the end"
  ./deploy.java stop "$@" > /dev/null 2>&1 || true
  ;;
*)
  echo "usage: bench/faults.sh sigterm|kill9|soak [minutes]" >&2
  exit 2
  ;;
esac
