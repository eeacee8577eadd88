#!/bin/bash
# Overload of one model copy (issue 30): capacity in closed loop (wrk, 8 connections), then open loop
# at 1.0x, 1.5x, 2x and 4x that capacity (bench/OpenLoop.java), then 400 connections retrying at
# once (wrk). Per phase: answered/s, refused/s, p50/p99 of answered, the server's CPU per answered
# request and its log lines per second. Prints Markdown rows.
#   bench/overload.sh CLASSPATH MODEL_DIR LABEL [SECONDS=15]
# CLASSPATH: the server's classes and dependencies (target/classes:$(mvn dependency:build-classpath));
# run it under flock /work/notes/heavy.lock on a shared machine.
set -eu
cp=$1 model=$2 label=$3 secs=${4:-15}
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d)
javac -d "$work/ol" "$here/OpenLoop.java"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
url="http://127.0.0.1:$port/predictions/model0"
MODEL_DIR=$model PORT=$port BIND_ADDRESS=127.0.0.1 QUIET=True OMP_WAIT_POLICY=PASSIVE \
  java -cp "$cp" server.ModelServer >"$work/server.log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 600); do curl -sf "127.0.0.1:$port/health/ready" >/dev/null && break; sleep 0.5; done
tck=$(getconf CLK_TCK)
cpu() { awk '{print $14+$15}' "/proc/$pid/stat"; }
lines() { wc -l <"$work/server.log"; }
# a phase: $1 name, then the command; its output's answered count comes from $answered
phase() {
  local name=$1; shift
  local c0 l0 c1 l1
  c0=$(cpu); l0=$(lines)
  out=$("$@" 2>&1)
  c1=$(cpu); l1=$(lines)
  cpu_s=$(awk -v a="$c0" -v b="$c1" -v t="$tck" 'BEGIN{print (b-a)/t}')
  log_s=$(awk -v a="$l0" -v b="$l1" -v s="$secs" 'BEGIN{printf "%.1f", (b-a)/s}')
}
wrk_row() { # $1 name: wrk's output in $out
  local total non2xx answered
  total=$(echo "$out" | awk '/requests in/{print $1}')
  non2xx=$(echo "$out" | awk '/Non-2xx/{print $NF}'); non2xx=${non2xx:-0}
  answered=$((total - non2xx))
  p50=$(echo "$out" | awk '$1=="50%"{print $2}'); p99=$(echo "$out" | awk '$1=="99%"{print $2}')
  printf '| %s | %s | %.1f | %.1f | %s (all) | %s (all) | %s | %s |\n' "$label" "$1" "$(awk -v a=$answered -v s=$secs 'BEGIN{print a/s}')" \
    "$(awk -v a=$non2xx -v s=$secs 'BEGIN{print a/s}')" "$p50" "$p99" \
    "$(awk -v c=$cpu_s -v a=$answered 'BEGIN{printf "%.1f", a ? 1000*c/a : 0}')" "$log_s"
}
wrk -t2 -c8 -d3s "$url" >/dev/null 2>&1 # warm-up
phase capacity wrk -t2 -c8 -d${secs}s --latency "$url"
capacity=$(echo "$out" | awk '/Requests\/sec/{print $2}')
wrk_row "closed loop, 8 connections"
for x in 1.0 1.5 2 4; do
  rate=$(awk -v c="$capacity" -v x="$x" 'BEGIN{print c*x}')
  phase "open $x" java -cp "$work/ol" OpenLoop "$url" "$rate" "$secs"
  answered=$(echo "$out" | sed -n 's/.* answered=\([0-9]*\).*/\1/p')
  echo "$out" | awk -v l="$label" -v x="$x" -v r="$rate" -v cs="$cpu_s" -v a="$answered" -v ls="$log_s" '{
    for (i = 1; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
    printf "| %s | open loop %sx (%.0f/s) | %s | %s | %s | %s | %.1f | %s |\n", l, x, r, v["answered_per_s"], v["refused_per_s"], v["p50_ms"], v["p99_ms"], a ? 1000*cs/a : 0, ls }'
  sleep 2
done
phase flood wrk -t2 -c400 -d${secs}s --latency "$url"
wrk_row "400 connections (wrk)"
sleep 11 # the last interval's refusal line
echo "log: $(grep -c 'status=503' "$work/server.log" || true) request lines of 503, $(grep -c 'event=refused' "$work/server.log" || true) interval lines" >&2
