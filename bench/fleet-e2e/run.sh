#!/usr/bin/env bash
# Fleet end-to-end benchmark (issue 5): an all-in-one silo process (silo + Gateway + embedded MQTT broker, SQLite)
# and a simulator process with DEVICES device agents (each its own MQTT connection, credentials, tmpfs state dir and
# profile throttle) complete a v1 rollout (full artifacts) and a v2 rollout (deltas) of the sample model.
# Records wall time, payload MB/s through the broker, CPU and peak RSS of both processes, and compares the broker's
# throughput with mosquitto_pub -> Mosquitto -> mosquitto_sub moving the same bytes in the same chunk size.
#
#   FQ_ARTIFACTS=/tmp/fq-fleet-e2e bench/fleet-e2e/run.sh            # DEVICES=1000 by default
#   DEVICES=100 SKIP_BUILD=1 bench/fleet-e2e/run.sh
#   SIM_ARGS=--no-throttle bench/fleet-e2e/run.sh                   # devices download at loopback speed
set -euo pipefail
cd "$(dirname "$0")/../.."

DEVICES=${DEVICES:-1000}
export FQ_ARTIFACTS=${FQ_ARTIFACTS:-/tmp/fq-fleet-e2e}
OUT=${OUT:-$(mktemp -d /tmp/fq-fleet-e2e-run.XXXXXX)}
mkdir -p "$OUT"
SILO_DLL=$FQ_ARTIFACTS/bin/FleetQuant.Silo/release_linux-x64/FleetQuant.Silo.dll
AGENT_DLL=$FQ_ARTIFACTS/bin/FleetQuant.DeviceAgent/release_linux-x64/fleetquant-agent.dll
CHUNK=65536

if [ "${SKIP_BUILD:-0}" != 1 ]; then
  dotnet build -c Release src/Silo -v q -nologo
  dotnet build -c Release src/DeviceAgent -v q -nologo
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP=$(free_port); MQTT=$(free_port); SILO_PORT=$(free_port); GW_PORT=$(free_port); MOSQ=$(free_port)
TOKEN=bench-operator-token-$RANDOM$RANDOM
API=http://127.0.0.1:$HTTP
auth=(-H "Authorization: Bearer $TOKEN")

pids=()
# Stop the processes themselves (not only their /usr/bin/time wrappers), so a failed run leaves nothing behind.
cleanup() { for p in "${pids[@]}"; do pkill -TERM -P "$p" 2>/dev/null || true; kill -TERM "$p" 2>/dev/null || true; done; }
trap cleanup EXIT

# CPU seconds (user+system) a process has used so far, from /proc/<pid>/stat.
cpu_s() { awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"; }
rss_mb() { awk '/VmHWM/ { printf "%.0f", $2 / 1024 }' "/proc/$1/status"; }
child_of() { for _ in $(seq 50); do c=$(pgrep -P "$1" | head -1); [ -n "$c" ] && { echo "$c"; return; }; sleep 0.1; done; }
now() { date +%s.%N; }
status_bytes() { jq '.chunkBytesReceived' "$OUT/status.json"; }

echo "== silo (all-in-one) on $API, MQTT 127.0.0.1:$MQTT; output in $OUT"
/usr/bin/time -v -o "$OUT/silo.time" dotnet "$SILO_DLL" \
  --urls "$API" \
  --FleetQuant:DataDirectory "$OUT/data" \
  --FleetQuant:Cluster:SiloPort "$SILO_PORT" --FleetQuant:Cluster:GatewayPort "$GW_PORT" \
  --FleetQuant:Mqtt:Port "$MQTT" \
  --FleetQuant:Gateway:OperatorTokens:0 "$TOKEN" \
  --FleetQuant:Compression:LadderRecipes:0 fp32 --FleetQuant:Compression:LadderRecipes:1 q8cs \
  --FleetQuant:Compression:LadderRecipes:2 q4b128a --FleetQuant:Compression:LadderMixedPrecision false \
  --Logging:LogLevel:Default Warning >"$OUT/silo.log" 2>&1 &
SILO_TIME=$!; pids+=("$SILO_TIME")
SILO=$(child_of "$SILO_TIME")
for _ in $(seq 120); do curl -sf "$API/health" >/dev/null && break; sleep 1; done
curl -sf "$API/health" >/dev/null || { echo "silo did not become healthy"; tail -20 "$OUT/silo.log"; exit 1; }

upload() {
  local version
  version=$(curl -sf "${auth[@]}" -F "model=@samples/models/$1" "$API/api/models/bench/versions" | jq -r .version)
  for _ in $(seq 300); do
    st=$(curl -sf "${auth[@]}" "$API/api/models/bench" | jq -r --arg v "$version" '.versions[] | select(.version == $v) | .status')
    [ "$st" = Ready ] || [ "$st" = ready ] && { echo "$version"; return; }
    sleep 1
  done
  echo "ladder of $1 not ready" >&2; exit 1
}
echo "== upload sample model v1, v2 (ladders fp32, q8cs, q4b128a)"
V1=$(upload fashion-mlp-v1.onnx); V2=$(upload fashion-mlp-v2.onnx)

echo "== simulator: $DEVICES devices"
t=$(now)
/usr/bin/time -v -o "$OUT/sim.time" dotnet "$AGENT_DLL" simulate --devices "$DEVICES" \
  --profiles samples/profiles/fleet-mix.json --server "$API" --token "$TOKEN" --in-memory --id-prefix bench \
  --json --status-file "$OUT/status.json" ${SIM_ARGS:-} >"$OUT/summary.json" 2>"$OUT/sim.log" &
SIM_TIME=$!; pids+=("$SIM_TIME")
SIM=$(child_of "$SIM_TIME")
for _ in $(seq 600); do grep -q '^ready' "$OUT/sim.log" && break; kill -0 "$SIM_TIME" || { cat "$OUT/sim.log"; exit 1; }; sleep 1; done
for _ in $(seq 10); do [ -f "$OUT/status.json" ] && break; sleep 1; done
START_S=$(echo "$(now) - $t" | bc)
echo "   $(grep '^ready' "$OUT/sim.log") (script saw it after ${START_S} s)"

rollout() { # id version -> prints: wall_s bytes silo_cpu_s sim_cpu_s
  local id=$1 version=$2 b0 c0 s0 t0 state
  sleep 2.5; b0=$(status_bytes); c0=$(cpu_s "$SILO"); s0=$(cpu_s "$SIM"); t0=$(now)
  curl -sf "${auth[@]}" -H 'Content-Type: application/json' "$API/api/rollouts" -d @- >/dev/null <<JSON
{"rolloutId":"$id","modelId":"bench","version":"$version","tags":{"simulated":"true"},
 "waves":[{"percent":10},{"percent":40},{"percent":50}],"successThreshold":0.99,"failureThreshold":0.2,
 "policy":{"maxTransferSeconds":20,"maxAccuracyDrop":0.02}}
JSON
  # Done when completed, or when the last wave has no device left waiting or downloading (failures included).
  for _ in $(seq 3600); do
    view=$(curl -sf "${auth[@]}" "$API/api/rollouts/$id")
    state=$(jq -r .state <<<"$view")
    case "$state" in Aborted|aborted|Paused|paused) echo "rollout $id $state: $(jq -c '{reason, counts}' <<<"$view")" >&2; exit 1;; esac
    jq -e '.state == "Completed" or .state == "completed"
           or (.currentWave == .waveCount - 1 and .counts.Waiting == 0 and .counts.Dispatched == 0)' <<<"$view" >/dev/null && break
    sleep 0.5
  done
  jq -c "{rollout: \"$id\", state, counts}" <<<"$view" >>"$OUT/rollouts.jsonl"
  local wall; wall=$(echo "$(now) - $t0" | bc)
  local c1 s1; c1=$(cpu_s "$SILO"); s1=$(cpu_s "$SIM")
  sleep 2.5
  echo "$wall $(( $(status_bytes) - b0 )) $(echo "$c1 - $c0" | bc) $(echo "$s1 - $s0" | bc)"
}
echo "== rollout v1 (full artifacts), waves 10/40/50 %"
read -r W1 B1 C1 S1 < <(rollout bench-v1 "$V1") || true
[ -n "${S1:-}" ] || { echo "rollout v1 did not finish"; exit 1; }
echo "== rollout v2 (deltas), waves 10/40/50 %"
read -r W2 B2 C2 S2 < <(rollout bench-v2 "$V2") || true
[ -n "${S2:-}" ] || { echo "rollout v2 did not finish"; exit 1; }
SILO_RSS=$(rss_mb "$SILO"); SIM_RSS=$(rss_mb "$SIM")

kill -TERM "$SIM"; wait "$SIM_TIME" || true
kill -TERM "$SILO"; wait "$SILO_TIME" || true

echo "== Mosquitto reference: the same bytes ($((B1 + B2)) B) in $CHUNK-byte QoS 1 messages, one publisher, one subscriber"
head -c $CHUNK /dev/urandom >"$OUT/chunk.bin"
N=$(( (B1 + B2 + CHUNK - 1) / CHUNK ))
printf 'listener %s 127.0.0.1\nallow_anonymous true\npersistence false\nmax_queued_messages 0\n' "$MOSQ" >"$OUT/mosquitto.conf"
/usr/sbin/mosquitto -c "$OUT/mosquitto.conf" >"$OUT/mosquitto.log" 2>&1 &
MOSQ_PID=$!; pids+=("$MOSQ_PID")
sleep 0.5
mosquitto_sub -p "$MOSQ" -t bench/chunk -q 1 -C "$N" >/dev/null &
SUB=$!
sleep 0.5
t0=$(now)
mosquitto_pub -p "$MOSQ" -t bench/chunk -q 1 -f "$OUT/chunk.bin" --repeat "$N"
wait "$SUB"
MW=$(echo "$(now) - $t0" | bc)
kill -TERM "$MOSQ_PID"

mbps() { echo "scale=2; $1 / 1000000 / $2" | bc; }
field() { grep "$1" "$2" | awk -F': ' '{print $2}'; }
R1=$(mbps "$B1" "$W1"); R2=$(mbps "$B2" "$W2"); RT=$(mbps $((B1 + B2)) "$(echo "$W1 + $W2" | bc)"); RM=$(mbps $((N * CHUNK)) "$MW")
cat <<REPORT | tee "$OUT/results.txt"
devices: $DEVICES ${SIM_ARGS:-}  start-up (provision + connect): ${START_S} s
rollout v1 (full): wall ${W1} s, ${B1} B to devices, ${R1} MB/s, CPU silo ${C1} s / simulator ${S1} s
rollout v2 (delta): wall ${W2} s, ${B2} B to devices, ${R2} MB/s, CPU silo ${C2} s / simulator ${S2} s
both rollouts: ${RT} MB/s through the embedded broker (device payload bytes / rollout wall time)
mosquitto_pub -> mosquitto -> mosquitto_sub, same bytes: ${MW} s, ${RM} MB/s; FleetQuant / Mosquitto = $(echo "scale=3; $RT / $RM" | bc)
peak RSS: silo ${SILO_RSS} MiB (time -v: $(field 'Maximum resident' "$OUT/silo.time") kB), simulator ${SIM_RSS} MiB (time -v: $(field 'Maximum resident' "$OUT/sim.time") kB)
whole-process CPU user+sys: silo $(field 'User time' "$OUT/silo.time") + $(field 'System time' "$OUT/silo.time") s, simulator $(field 'User time' "$OUT/sim.time") + $(field 'System time' "$OUT/sim.time") s
rollouts: $(jq -sc . "$OUT/rollouts.jsonl")
simulator summary: $(jq -c '{devices, connected, updatesSucceeded, updatesFailed, manifestsRejected, bytesDownloaded, problems, classes: [.classes[] | {hardwareClass, installed}]}' "$OUT/summary.json")
REPORT
