#!/usr/bin/env bash
# Issue 16's speed acceptance (docs/benchmarks.md, "Real dense models"): a random-weight model with
# DeepSeek-R1-Distill-Qwen-1.5B's exact config (docs/benchmarks/r1-distill/config-1.5b.json), at
# BF16, at Q8_0 and Q4_K GGUF against llama.cpp on the same file and threads in the same process
# (--vs-llama, needs `npm run tools`), the 512-token prefill, and BF16 quantized at load to Q4_0.
# Then the DeepSeek-V3 bench-small model (test/fixtures/bench/bench-small.json, max_position_embeddings
# raised to 4096) on its absorbed latent cache against llama.cpp on the same F32 GGUF, batch 1, at a
# 32-token and a 2,048-token prompt (`export --verify --json`).
# Each line of JSON goes to docs/benchmarks/<date>/r1-distill-1.5b/<case>.json (written through a
# temp file and renamed); a case whose file is there already is kept, so an interrupted run goes on
# where it stopped (delete the file to measure it again). Run on a quiet machine (nothing else on the cores): it needs about 6.5 GB
# of disk under runs/bench-r1-distill and an hour or less.
#   npm run build && npm run tools && bash scripts/bench-r1-distill.sh [--threads 2] [--prepare] [--out DIR]
# --repeat N measures the two decode cases against llama.cpp N - 1 more times (DIR/repeats/<case>-<i>.json):
# the ratio of one run moves with the machine's load between our run and llama.cpp's.
# --out puts the JSON in DIR instead of docs/benchmarks/<date>/r1-distill-1.5b (a second run on one day).
# --prepare only writes the model files (not timed, so it may run while the machine is busy) and stops.
set -euo pipefail
cd "$(dirname "$0")/.."
threads=2
prepare=0
repeat=1
out="docs/benchmarks/$(date -u +%F)/r1-distill-1.5b"
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) threads="${2:?--threads needs a number}"; shift 2 ;;
    --prepare) prepare=1; shift ;;
    --repeat) repeat="${2:?--repeat needs a number}"; shift 2 ;;
    --out) out="${2:?--out needs a folder}"; shift 2 ;;
    *) echo "bench-r1-distill.sh: unknown argument '$1' (use --threads N, --prepare, --repeat N, --out DIR)" >&2; exit 2 ;;
  esac
done
work=runs/bench-r1-distill
v3="$work/v3-bench-small"
mkdir -p "$work" "$v3"
cli() { node dist/src/cli/main.js "$@"; }
[[ -f "$work/bf16/config.json" ]] ||
  cli init-model --config docs/benchmarks/r1-distill/config-1.5b.json --dtype BF16 --seed 0 --out "$work/bf16"
for t in Q8_0 Q4_K; do
  f="$work/q-${t,,}.gguf"
  [[ -f "$f" ]] || cli export "$work/bf16" --format gguf --type "$t" --out "$f"
done
if [[ ! -f "$v3/bf16/config.json" ]]; then
  node -e 'const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    c.max_position_embeddings = 4096;
    require("fs").writeFileSync(process.argv[2], JSON.stringify(c, null, 2) + "\n");' \
    test/fixtures/bench/bench-small.json "$v3/config-4k.json"
  cli init-model --config "$v3/config-4k.json" --dtype BF16 --seed 0 --out "$v3/bf16"
fi
if [[ $prepare -eq 1 ]]; then
  echo "prepared $work" >&2
  exit 0
fi
mkdir -p "$out"
run() {
  local name=$1
  shift
  if [[ -f "$out/$name.json" ]]; then cat "$out/$name.json"; return; fi
  echo "== $name: bench decode $*" >&2
  if cli bench decode --batch 1 --threads "$threads" --json "$@" >"$out/$name.json.tmp" 2>"$out/$name.stderr"; then
    mv "$out/$name.json.tmp" "$out/$name.json"
    rm -f "$out/$name.stderr" "$out/$name.error"
    cat "$out/$name.json"
  else
    failed "$name"
  fi
}
# A case that fails keeps its last stderr line as <case>.error (the table shows it) and the run goes on.
failed() {
  tail -n 1 "$out/$1.stderr" >"$out/$1.error"
  rm -f "$out/$1.json.tmp" "$out/$1.stderr"
  echo "$1 failed: $(cat "$out/$1.error")" >&2
}
run bf16 --model "$work/bf16" --prompt 32 --tokens 64
run q8_0-vs-llama --model "$work/q-q8_0.gguf" --prompt 32 --tokens 64 --vs-llama
run q4_k-vs-llama --model "$work/q-q4_k.gguf" --prompt 32 --tokens 64 --vs-llama
run q8_0-prefill512-vs-llama --model "$work/q-q8_0.gguf" --prompt 512 --tokens 8 --vs-llama
run bf16-quantize-q4_0 --model "$work/bf16" --quantize q4_0 --prompt 32 --tokens 64
for ((i = 2; i <= repeat; i++)); do
  mkdir -p "$out/repeats"
  for t in q8_0 q4_k; do
    run "repeats/$t-vs-llama-$i" --model "$work/q-$t.gguf" --prompt 32 --tokens 64 --vs-llama
  done
done
for p in 32 2048; do
  name="v3-bench-small-prompt$p-vs-llama"
  if [[ -f "$out/$name.json" ]]; then cat "$out/$name.json"; continue; fi
  echo "== $name: export --verify --prompt $p" >&2
  if cli export "$v3/bf16" --format gguf --type F32 --out "$v3/f32.gguf" --verify --json \
    --threads "$threads" --batches 1 --prompt "$p" --tokens 64 >"$out/$name.json.tmp" 2>"$out/$name.stderr"; then
    tail -n 1 "$out/$name.json.tmp" >"$out/$name.json.tmp2"
    mv "$out/$name.json.tmp2" "$out/$name.json"
    rm -f "$out/$name.json.tmp" "$out/$name.stderr" "$out/$name.error"
    cat "$out/$name.json"
  else
    failed "$name"
  fi
done
