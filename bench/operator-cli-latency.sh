#!/usr/bin/env bash
# Wall time of operator verbs of the installed fleetquant tool against a running server: RUNS runs per verb (default 10),
# prints each verb's median, min and max in seconds. Needs the tool on PATH and a server, e.g. the demo:
#   dotnet run --project src/Demo -c Release -- --devices 50 --keep-running --port 5080 --token demo-token-0123456789
# Env: FLEETQUANT_SERVER (default http://127.0.0.1:5080), FLEETQUANT_TOKEN (default the demo token above), RUNS.
set -euo pipefail
export FLEETQUANT_SERVER="${FLEETQUANT_SERVER:-http://127.0.0.1:5080}" FLEETQUANT_TOKEN="${FLEETQUANT_TOKEN:-demo-token-0123456789}"
export PATH="$PATH:$HOME/.dotnet/tools"
runs="${RUNS:-10}"
for verb in "models list" "devices list" "rollouts list"; do
  times=()
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    # shellcheck disable=SC2086
    fleetquant $verb >/dev/null
    times+=($(( ($(date +%s%N) - start) / 1000000 )))
  done
  sorted=$(printf '%s\n' "${times[@]}" | sort -n)
  median=$(echo "$sorted" | awk -v n="$runs" '{a[NR]=$1} END {print (n % 2) ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2}')
  printf 'fleetquant %-14s median %.3f s  min %.3f s  max %.3f s  (%s runs)\n' "$verb" "$(echo "$median/1000" | bc -l)" \
    "$(echo "$(echo "$sorted" | head -1)/1000" | bc -l)" "$(echo "$(echo "$sorted" | tail -1)/1000" | bc -l)" "$runs"
done
