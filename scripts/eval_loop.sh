#!/usr/bin/env bash
# LIMA's quantity ablation closed end to end, small enough for a laptop's CPU in minutes:
# build the nested Stack Exchange sets from the sample dumps, train a tiny model on each, answer the
# held-out test prompts, rate every answer 1-6 with a local judge, and draw score against set size.
# At this size the numbers mean nothing (a tiny random model judges tiny random models); what it
# checks is that every step's output is the next step's input and every figure traces back to its
# manifests, checkpoints and judge. docs/evaluation.md gives the same commands for a GPU cluster
# and a real judge.
#
#   scripts/eval_loop.sh                      # into build/eval-loop
#   OUT=/tmp/loop SIZES=4,8 EPOCHS=1 scripts/eval_loop.sh
set -euo pipefail
cd "$(dirname "$0")/.."

BIN=${BIN:-.venv/bin}
OUT=${OUT:-build/eval-loop}
SIZES=${SIZES:-4,8,16}
EPOCHS=${EPOCHS:-2}
MAX_NEW_TOKENS=${MAX_NEW_TOKENS:-48}
export DS_ACCELERATOR=${DS_ACCELERATOR:-cpu}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}  # many small matrices: threads only contend

step() { printf '\n== %s\n' "$*"; }

step "1. the quantity ablation's sets (sizes $SIZES) from the sample dumps"
"$BIN/lima-curate" ablate quantity --recipe sample --sizes "$SIZES" --allow-short \
  --input stackexchange=samples/stackexchange --input authored=samples/authored/examples.jsonl \
  --out "$OUT/sets" --no-cache

IFS=, read -ra sizes <<<"$SIZES"
rated=()
for size in "${sizes[@]}"; do
  set_dir="$OUT/sets/quantity-$size"
  run_dir="$OUT/runs/quantity-$size"
  step "2. train a tiny model on $set_dir ($EPOCHS epochs)"
  rm -rf "$run_dir"
  "$BIN/lima-train" run "$set_dir/manifest.jsonl" --model tiny --epochs "$EPOCHS" --global-batch 4 --micro-batch 4 \
    --set dev_max_new_tokens=16 --out "$run_dir"
  step "3. answer the held-out test prompts with it"
  "$BIN/lima-train" generate "$run_dir/final" --prompts "$set_dir/test.jsonl" --out "$OUT/answers/quantity-$size.jsonl" \
    --max-new-tokens "$MAX_NEW_TOKENS" --quiet
  rated+=("$OUT/rated/quantity-$size")
done

# The local judge: the largest set's tiny model, scoring the six ratings by likelihood (a model this
# small writes no verdict of its own). A real run uses --judge-url with a strong model instead.
judge="$OUT/runs/quantity-${sizes[-1]}/final"
for size in "${sizes[@]}"; do
  step "4. rate quantity-$size's answers 1-6 (judge: $judge)"
  "$BIN/lima-train" eval rate "$OUT/answers/quantity-$size.jsonl" --judge-hf "$judge" --out "$OUT/rated/quantity-$size"
done

step "5. mean helpfulness against set size"
"$BIN/lima-train" eval ablation "${rated[@]}" --x size --out "$OUT/quantity.png"
echo "figure: $OUT/quantity.png (numbers: $OUT/quantity.json)"
