#!/usr/bin/env bash
# The default ladder of every third-party corpus model (scripts/fetch-corpus) with its documented input hints, on
# generated inputs: per model the wall time and peak RSS of `fleetquant ladder`, then a markdown table of the 8/4/2-bit
# and k-means rungs (wire ratio vs the FP32 ONNX, fidelity = worst output) and what each rung left exact, and why.
# Needs: dotnet, jq. Env: FQ_ARTIFACTS (build tree, default /tmp/fq-bench), OUT (default /tmp/fq-bench/corpus),
# SAMPLES (generated samples per ladder, default 16), MODELS (space-separated file names; default all nine),
# REUSE=1 (print the tables from the JSON and timings a previous run left in OUT, without measuring again).
set -euo pipefail
cd "$(dirname "$0")/.."
export FQ_ARTIFACTS="${FQ_ARTIFACTS:-/tmp/fq-bench}"
out="${OUT:-$FQ_ARTIFACTS/corpus}"
samples="${SAMPLES:-16}"
mkdir -p "$out"
scripts/fetch-corpus >/dev/null
corpus="${FLEETQUANT_CORPUS:-$HOME/.cache/fleetquant/corpus}"
dotnet build src/Cli -c Release -v q >/dev/null
cli=(dotnet "$FQ_ARTIFACTS/bin/FleetQuant.Cli/release_linux-x64/fleetquant.dll")

# file → hints (the same as tests/FleetQuant.Compression.Tests/Support/CorpusModels.cs and README)
declare -A hints=(
  [silero_vad_legacy.onnx]="--input-shape input=1,512 --input-shape h=2,1,64 --input-shape c=2,1,64 --input-value sr=16000 --input-range input=-1,1"
  [silero_vad_v5.onnx]="--input-shape input=1,512 --input-shape state=2,1,128 --input-value sr=16000 --input-range input=-1,1"
  [ch_PP-OCRv4_det_infer.onnx]="--data $out/text-pages.npz"
  [ch_PP-OCRv4_rec_infer.onnx]="--input-shape x=1,3,48,320"
  [ch_ppocr_mobile_v2.0_cls_infer.onnx]="--input-shape x=1,3,48,192"
  [melspectrogram.onnx]="--input-shape input=1,1280 --input-range input=-1,1"
  [embedding_model.onnx]="--input-shape input_1=1,76,32,1"
  [hey_jarvis_v0.1.onnx]=""
  [ResNet18.onnx]=""
)
models="${MODELS:-silero_vad_legacy.onnx silero_vad_v5.onnx ch_PP-OCRv4_det_infer.onnx ch_PP-OCRv4_rec_infer.onnx ch_ppocr_mobile_v2.0_cls_infer.onnx melspectrogram.onnx embedding_model.onnx hey_jarvis_v0.1.onnx ResNet18.onnx}"

# A text detector outputs zeros on noise: it is measured on synthetic pages (dark strokes on a light background, in
# ImageNet-normalized units, with a little noise) written by numpy.
/usr/bin/python3 -c "
import numpy as np
rng = np.random.default_rng(1)
y, x = np.mgrid[0:320, 0:320]
pages = []
for i in range($samples):
    ink = ((y + 3 * i) % 24 < 8) & (x > 20 + i) & (x < 300 - i) & ((x // 5) % 3 != 0)
    page = np.where(ink, -1.8, 2.0) + rng.normal(0, 0.1, (320, 320))
    pages.append(np.stack([page] * 3))
np.savez('$out/text-pages.npz', x=np.array(pages, dtype=np.float32))
"

echo "| model | FP32 ONNX | ladder wall s | peak RSS MB | metric | q8cs | q4b32a | q2b32a | ternary | km4 | km3 | km2 |"
echo "|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|"
for model in $models; do
  json="$out/${model%.onnx}.json"
  if [ "${REUSE:-0}" != 1 ] || [ ! -f "$json" ]; then
    # shellcheck disable=SC2086
    /usr/bin/time -f "%e %M" -o "$out/${model%.onnx}.time" "${cli[@]}" ladder --model "$corpus/$model" ${hints[$model]} \
      --samples "$samples" --json "$json" > "$out/${model%.onnx}.txt" 2>&1
  fi
  read -r wall rss < "$out/${model%.onnx}.time"
  fp32=$(jq .baseline.wireBytes "$json")
  cells=$(jq -r --argjson fp32 "$fp32" '[ "q8cs","q4b32a","q2b32a","ternary","km4","km3","km2" ] as $ids
      | [ $ids[] as $id | (first(.recipes[] | select(.id == $id))
          | if .error then "failed" else "\($fp32 / .wireBytes * 10 | round / 10)× / \(.accuracy * 1000 | round / 1000)" end) ] | join(" | ")' "$json")
  echo "| $model | $fp32 | $wall | $((rss / 1024)) | $(jq -r .metric "$json") | $cells |"
done

echo
echo "What each model's rungs left exact, and why (distinct reasons with how many weights), and which rungs changed nothing:"
for model in $models; do
  json="$out/${model%.onnx}.json"
  reasons=$(jq -r --arg q "'" '[.recipes[] | select(.leftExact) | .leftExact[] | sub("^.*?: "; "") | gsub($q + "[^" + $q + "]*" + $q; "…")
      | gsub(" [A-Za-z]+ …"; " …")] | group_by(.) | map("\(length)× \(.[0])") | join("; ") | if . == "" then "no weight left exact" else . end' "$json")
  echo "- $model: $reasons; unchanged: $(jq -r '[.recipes[] | select(.unchanged == true) | .id] | join(", ")' "$json")"
done
