#!/usr/bin/env bash
# The methods compared on Fashion-MNIST (docs/results.md): supernets of each sampling strategy
# trained for the same wall time and searched at three parameter budgets, FocusFormer's
# specialisation, TVT and another proxy searching without a supernet, and the ranking study of
# every predictor on the ViT and EMO spaces. Usage: method_comparison.sh [STAGE...], stages
# supernets, ranking-vit, search, proxies, emo, fronts, table (all of them, in that order, by
# default); proxies needs PROXY (default synflow), the proxy compared beside TVT.
# Wall times go to $out/times.jsonl, the chosen subnets' test top-1 to $out/tests.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
ovo=${OVO:-build/apps/ovo}
out=${OUT:-out/study}
teacher=${TEACHER:-out/teacher_fashion_mnist/teacher.safetensors}
budget=${BUDGET:-5m}              # each supernet's training
proxy_budget=${PROXY_BUDGET:-130s} # each proxy-chosen arch's training (three of them: one per budget)
proxy=${PROXY:-synflow}           # the proxy searched beside TVT (the results used grad-norm)
budgets=(300000 500000 700000)
data=(--dataset fashion-mnist --data /usr/share/datasets/fashion-mnist --holdout-per-class 300
      --seed 0)
vit_data=(--space fashion-mnist "${data[@]}")   # search, eval and fronts
vit=("${vit_data[@]}" --batch 64)               # training
emo=(--space emo-fashion-mnist "${data[@]}" --batch 64)
source scripts/cpu_env.sh
unset OMP_WAIT_POLICY
mkdir -p "$out"

# Runs a command, logs it to $out/NAME.log and appends its wall time to $out/times.jsonl.
timed() {
  local name=$1 start end
  shift
  start=$(date +%s.%N)
  "$@" >"$out/$name.log" 2>&1
  end=$(date +%s.%N)
  awk -v run="$name" -v s="$start" -v e="$end" \
    'BEGIN { printf "{\"run\":\"%s\",\"seconds\":%.1f}\n", run, e - s }' >>"$out/times.jsonl"
}

sampling_flags() {
  case $1 in
    focusformer) echo --sampling uniform --focusformer ;;
    *) echo --sampling "$1" ;;
  esac
}

stage_supernets() {
  for m in uniform ovo sandwich focusformer; do
    # shellcheck disable=SC2046
    timed "vit_$m" "$ovo" train "${vit[@]}" $(sampling_flags $m) --train-max-params 700000 \
      --time-budget "$budget" --out "$out/vit_$m"
  done
}

stage_ranking_vit() {
  timed ranking_vit "$ovo" rank-correlation "${vit[@]}" --max-params 700000 --archs 16 \
    --standalone-steps 400 --supernet uniform="$out/vit_uniform" --supernet ovo="$out/vit_ovo" \
    --supernet focusformer="$out/vit_focusformer" --teacher-model "$teacher" --out "$out/ranking_vit"
}

# Searches one trained supernet at every budget, tests each choice, keeps each search.json.
search_supernet() {
  local m=$1 how=$2 b
  shift 2
  for b in "${budgets[@]}"; do
    timed "search_${m}_${how}_$b" "$ovo" search "${vit_data[@]}" --out "$out/vit_$m" \
      --max-params "$b" "$@"
    cp "$out/vit_$m/search.json" "$out/vit_$m/search_${how}_$b.json"
    "$ovo" eval "${vit_data[@]}" --out "$out/vit_$m" --arch "$out/vit_$m/search_best.arch.json" |
      tail -n 1 | sed "s/^{/{\"method\":\"$m $how\",\"budget\":$b,/" >>"$out/tests.jsonl"
  done
}

stage_search() {
  for m in uniform ovo sandwich focusformer; do
    search_supernet $m evolution --population 16 --generations 5 --mutations 8 --crossovers 8
  done
  search_supernet focusformer specialise --search specialise --specialise-draws 40
}

stage_proxies() {
  local p b
  for p in tvt "$proxy"; do
    for b in "${budgets[@]}"; do
      timed "proxy_${p}_$b" "$ovo" run "${vit[@]}" --fitness "$p" --teacher-model "$teacher" \
        --search random --random-samples 1000 --max-params "$b" --time-budget "$proxy_budget" \
        --out "$out/proxy_${p}_$b"
    done
  done
}

stage_emo() {
  for m in uniform ovo focusformer; do
    # shellcheck disable=SC2046
    timed "emo_$m" "$ovo" train "${emo[@]}" $(sampling_flags $m) --train-max-params 500000 \
      --time-budget 4m --out "$out/emo_$m"
  done
  timed ranking_emo "$ovo" rank-correlation "${emo[@]}" --max-params 500000 --archs 16 \
    --standalone-steps 300 --supernet uniform="$out/emo_uniform" --supernet ovo="$out/emo_ovo" \
    --supernet focusformer="$out/emo_focusformer" --teacher-model "$teacher" --out "$out/ranking_emo"
}

# Every method's held-out front over its three searches, in one plot.
stage_fronts() {
  local methods=() m how files b
  for m in uniform ovo sandwich focusformer "focusformer specialise"; do
    how=evolution
    [ "$m" = "focusformer specialise" ] && how=specialise
    files=()
    for b in "${budgets[@]}"; do files+=("$out/vit_${m%% *}/search_${how}_$b.json"); done
    methods+=(--method "$m=$(IFS=,; echo "${files[*]}")")
  done
  "$ovo" fronts "${vit_data[@]}" --out "$out" "${methods[@]}" | tee "$out/fronts.md"
}

# The equal-wall-time table, as Markdown.
stage_table() {
  PROXY=$proxy python3 scripts/method_comparison_table.py "$out" | tee "$out/table.md"
}

stages=("$@")
[ ${#stages[@]} -gt 0 ] || stages=(supernets ranking-vit search proxies emo fronts table)
for s in "${stages[@]}"; do
  "stage_${s//-/_}"
done
