#!/usr/bin/env bash
# Compares FleetQuant deltas with bsdiff, xdelta3 -9 and zstd -19 --patch-from on the same artifact pairs,
# and against sending the target whole. Prints a Markdown table (docs/BENCHMARKS.md, "Artifacts and deltas").
# Usage: bench/delta-comparison.sh [v1.onnx] [v2.onnx]
set -euo pipefail
cd "$(dirname "$0")/.."
V1=${1:-samples/models/fashion-mlp-v1.onnx}
V2=${2:-samples/models/fashion-mlp-v2.onnx}
export FQ_ARTIFACTS=${FQ_ARTIFACTS:-/tmp/fq-bench}

for tool in bsdiff xdelta3 zstd; do
  if ! command -v "$tool" >/dev/null; then
    sudo apt-get install -y bsdiff xdelta3 zstd >/dev/null 2>&1 || apt-get install -y bsdiff xdelta3 zstd >/dev/null
  fi
done

dotnet build src/Cli -c Release -v q -nologo >/dev/null
FQ="$FQ_ARTIFACTS/bin/FleetQuant.Cli/release_linux-x64/fleetquant"
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
size() { stat -c %s "$1"; }

for recipe in q8cs q4b32a; do
  for v in 1 2; do
    model=$V1; [ "$v" = 2 ] && model=$V2
    "$FQ" pack --model "$model" --recipe "$recipe" --out "$WORK/v$v-$recipe.fqa" >/dev/null
  done
done

cpu() { /usr/bin/time -f "%U %S" -o "$WORK/t" "$@" >/dev/null && awk '{ printf "%d", ($1 + $2) * 1000 }' "$WORK/t"; }

echo "| pair | B whole | FleetQuant delta | encode in-process wall / CPU (median of 15, warm) | encode CLI wall | apply in-process wall / CLI wall | apply peak extra | bsdiff | encode wall / CPU | xdelta3 -9 | encode wall | zstd -19 --patch-from | encode wall |"
echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|"
while IFS="|" read -r name a b; do
  A="$WORK/$a.fqa"; B="$WORK/$b.fqa"
  t0=$(now); "$FQ" delta --base "$A" --target "$B" --out "$WORK/d.fqd" >/dev/null; t1=$(now)
  read -r _ enc_wall enc_cpu app_wall _ <<<"$(dotnet run -c Release bench/delta-timing.cs -- "$A" "$B" 15 2>/dev/null)"
  t2=$(now); pout=$("$FQ" patch --base "$A" --delta "$WORK/d.fqd" --out "$WORK/b.fqa"); t3=$(now)
  cmp -s "$B" "$WORK/b.fqa" || { echo "patch output differs from target for $name" >&2; exit 1; }
  peak=$(sed -E 's/.*peak extra memory ([0-9]+) bytes.*/\1/' <<<"$pout")

  t4=$(now); bsdiff "$A" "$B" "$WORK/d.bsdiff"; t5=$(now); bspatch "$A" "$WORK/b.bs" "$WORK/d.bsdiff"; t6=$(now)
  bs_cpu=$(cpu bsdiff "$A" "$B" "$WORK/d2.bsdiff")
  cmp -s "$B" "$WORK/b.bs"
  t7=$(now); xdelta3 -9 -f -e -s "$A" "$B" "$WORK/d.xd3"; t8=$(now); xdelta3 -f -d -s "$A" "$WORK/d.xd3" "$WORK/b.xd"; t9=$(now)
  cmp -s "$B" "$WORK/b.xd"
  t10=$(now); zstd -q -f -19 --patch-from="$A" "$B" -o "$WORK/d.zst" 2>/dev/null; t11=$(now); zstd -q -f -d --patch-from="$A" "$WORK/d.zst" -o "$WORK/b.zs"; t12=$(now)
  cmp -s "$B" "$WORK/b.zs"

  echo "| $name | $(size "$B") | **$(size "$WORK/d.fqd")** | $enc_wall / $enc_cpu ms | $(ms "$t0" "$t1") ms | $app_wall / $(ms "$t2" "$t3") ms | $peak B | $(size "$WORK/d.bsdiff") | $(ms "$t4" "$t5") / $bs_cpu ms | $(size "$WORK/d.xd3") | $(ms "$t7" "$t8") ms | $(size "$WORK/d.zst") | $(ms "$t10" "$t11") ms |"
done <<PAIRS
v1→v2 q8cs|v1-q8cs|v2-q8cs
v1→v2 q4b32a|v1-q4b32a|v2-q4b32a
q4b32a→q8cs (v1)|v1-q4b32a|v1-q8cs
q4b32a v1→q8cs v2|v1-q4b32a|v2-q8cs
PAIRS

echo
echo "| artifact | bytes | unpack peak extra memory | largest tensor |"
echo "|---|---|---|---|"
for f in v1-q8cs v1-q4b32a; do
  out=$("$FQ" unpack --artifact "$WORK/$f.fqa" --out "$WORK/$f.onnx")
  echo "| $f | $(size "$WORK/$f.fqa") | $(sed -E 's/.*peak extra memory ([0-9]+) bytes.*/\1/' <<<"$out") B | $(sed -E 's/.*largest tensor ([0-9]+) bytes.*/\1/' <<<"$out") B |"
done
