#!/usr/bin/env bash
# Runs the recipe ladder on the sample MLP (real Fashion-MNIST test set, or the committed subset) and on ResNet18
# (fidelity on a few generated samples), and prints each recipe beside the generic baselines: the FP32 ONNX file,
# `zstd -19` of it, and `zstd -19` of the 8-bit (q8cs) ONNX. Needs: dotnet, zstd, jq.
# Env: FQ_ARTIFACTS (build tree, default /tmp/fq-bench), RESNET_SAMPLES (default 2),
#      RESNET_RECIPES (comma list; default the full grid), OUT (result directory, default /tmp/fq-bench/ladders).
set -euo pipefail
cd "$(dirname "$0")/.."
export FQ_ARTIFACTS="${FQ_ARTIFACTS:-/tmp/fq-bench}"
out="${OUT:-$FQ_ARTIFACTS/ladders}"
mkdir -p "$out"

dotnet build src/Cli -c Release -v q >/dev/null
cli=(dotnet "$FQ_ARTIFACTS/bin/FleetQuant.Cli/release_linux-x64/fleetquant.dll")

resnet="${NUGET_PACKAGES:-$HOME/.nuget/packages}/microsoft.ml.dnnimagefeaturizer.resnet18/0.23.1/tools/DnnImageModels/ResNet18Onnx/ResNet18.onnx"
mlp=samples/models/fashion-mlp-v1.onnx
data=/usr/share/datasets/fashion-mnist
[ -f "$data/t10k-images-idx3-ubyte.gz" ] || data=samples/data/fashion-mnist-eval-images-idx3-ubyte.gz

# Prints the ladder JSON as a table with the three generic baselines beside each recipe.
report() {
  local name=$1 model=$2 json=$3
  local fp32 zfp32 zq8
  fp32=$(stat -c %s "$model")
  zfp32=$(zstd -19 -q -c "$model" | wc -c)
  "${cli[@]}" compress --model "$model" --recipe q8cs --out "$out/$name-q8cs.onnx" >/dev/null
  zq8=$(zstd -19 -q -c "$out/$name-q8cs.onnx" | wc -c)
  echo "== $name: FP32 ONNX $fp32 B | zstd -19 FP32 ONNX $zfp32 B | zstd -19 q8cs ONNX $zq8 B | metric $(jq -r .metric "$json")"
  printf '%-22s %12s %9s %11s %11s %9s %8s %8s %s\n' recipe wireBytes xFP32 xZstdFP32 xZstdQ8 accuracy dropPt cosine pareto
  jq -r --argjson a "$fp32" --argjson b "$zfp32" --argjson c "$zq8" '.recipes[] |
      if .error then [.id, "failed: " + .error] | @tsv
      else [.id, .wireBytes, ($a / .wireBytes * 100 | round / 100), ($b / .wireBytes * 100 | round / 100),
            ($c / .wireBytes * 100 | round / 100), (.accuracy * 10000 | round / 10000),
            (.accuracyDrop * 10000 | round / 100), ((.cosine // 0) * 10000 | round / 10000), (if .pareto then "*" else "" end)] | @tsv end' "$json" |
    awk -F'\t' 'NF == 2 { printf "%-22s %s\n", $1, $2; next } { printf "%-22s %12s %9s %11s %11s %9s %8s %8s %s\n", $1, $2, $3, $4, $5, $6, $7, $8, $9 }'
}

echo "# sample MLP on $data"
"${cli[@]}" ladder --model "$mlp" --data "$data" --json "$out/mlp.json" > "$out/mlp.txt"
report mlp "$mlp" "$out/mlp.json"

echo
echo "# ResNet18, fidelity on ${RESNET_SAMPLES:-2} generated samples"
resnet_args=(--model "$resnet" --samples "${RESNET_SAMPLES:-2}" --latency-runs 5 --json "$out/resnet18.json")
[ -n "${RESNET_RECIPES:-}" ] && resnet_args+=(--recipes "$RESNET_RECIPES")
"${cli[@]}" ladder "${resnet_args[@]}" > "$out/resnet18.txt"
report resnet18 "$resnet" "$out/resnet18.json"
