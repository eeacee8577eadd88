#!/bin/sh
# Wall time of the quick commands, warm: each runs once untimed, then RUNS times; prints the median
# in seconds. The last line times the first run after an edit to one lib/ file (a comment appended
# to lib/cli/Console.java, or lib/Console.java in a checkout from before lib/'s folders, taken out
# again afterwards), RUNS times. Run from a checkout's root:
#   bench/command-times.sh [RUNS]   (default 5)
set -u
cd "$(dirname "$0")/.." || exit 1
runs=${1:-5}
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
seconds() { # wall seconds of one run of "$@", output discarded
  start=$(date +%s.%N); "$@" >/dev/null 2>&1; end=$(date +%s.%N)
  echo "$end - $start" | bc
}
timed() {
  "$@" >/dev/null 2>&1
  i=0; while [ "$i" -lt "$runs" ]; do seconds "$@"; i=$((i + 1)); done | median
}
printf '%-40s %s\n' "./config.java get app_name" "$(timed ./config.java get app_name)"
printf '%-40s %s\n' "./config.java show" "$(timed ./config.java show)"
printf '%-40s %s\n' "./deploy.java status" "$(timed ./deploy.java status)"
printf '%-40s %s\n' "./deploy.java help" "$(timed ./deploy.java help)"
console=lib/cli/Console.java
[ -f "$console" ] || console=lib/Console.java
cp "$console" /tmp/command-times-Console.java.$$
i=0
edited=$(while [ "$i" -lt "$runs" ]; do
  echo "// edit $i $$" >> "$console"
  seconds ./config.java get app_name
  i=$((i + 1))
done | median)
cp /tmp/command-times-Console.java.$$ "$console" && rm -f /tmp/command-times-Console.java.$$
printf '%-40s %s\n' "edit $console, config get" "$edited"
