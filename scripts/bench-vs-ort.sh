#!/usr/bin/env bash
# Forward speed of this engine against ONNX Runtime, each in its own process (ORT right before and after ours), two
# rounds, DiT-S and DiT-B at patch 2 and 4, float32 and bfloat16. Batch 2 on 32x32x4 latents, random weights.
# Needs what ../shared/tools/ort-peer/README.md builds: the ortbench program and the official DiT exported to ONNX
# (dit_s2.onnx, dit_s4.onnx, dit_b2.onnx, dit_b4.onnx; the exports are not in this repository).
#   ORTBENCH=/path/to/ortbench ONNX_DIR=/path/to/onnx scripts/bench-vs-ort.sh
# bfloat16 rows need a CPU with native bfloat16 (AVX512-BF16 or AMX); elsewhere `bench` refuses them.
# PROFILE=1 adds, after the rounds, where our float32 forward's time goes (`bench --profile`) for DiT-S and DiT-B.
# LINEARS="torch openblas" times ours once per backend of the linear layers (default: auto, what users get); packed256 is
# the packed kernel held to its AVX2 tile (FLEXIDIT_PACKED_VECTOR=256), to set against packed's AVX-512 tile where the CPU
# has AVX-512 (e.g. LINEARS="auto torch packed packed256" on an Intel Xeon; on Zen 4 packed is already AVX2, so set FLEXIDIT_PACKED_VECTOR=512 to try the wide tile).
set -euo pipefail
cd "$(dirname "$0")/.."
: "${ORTBENCH:?set ORTBENCH to the ort-peer program}" "${ONNX_DIR:?set ONNX_DIR to the folder of dit_{s,b}{2,4}.onnx}"
dotnet build src/FlexiDiT.Cli -c Release -v q >/dev/null
flexidit() { dotnet src/FlexiDiT.Cli/bin/Release/net10.0/flexidit.dll "$@"; }
ours() {
  local linear="${3:-auto}" vector=""
  if [ "$linear" = packed256 ]; then linear=packed vector=256; fi
  FLEXIDIT_PACKED_VECTOR="${vector:-${FLEXIDIT_PACKED_VECTOR:-}}" flexidit bench --patch 2 $1 --repeats 15 --precision "$2" --linear "$linear" --json |
    python3 -c "import json,sys; o=json.load(sys.stdin); print(' '.join(f\"p{r['patchSize']}={r['medianMs']:.1f}ms\" for r in o['results']))"
}
ort() { echo "ORT/2 $("$ORTBENCH" "$ONNX_DIR/dit_${1}2.onnx" 2 4 32 15) ORT/4 $("$ORTBENCH" "$ONNX_DIR/dit_${1}4.onnx" 2 4 32 15)"; }
lscpu | grep 'Model name'
echo "ISA: $(grep -o -E 'avx512[a-z_0-9]*|avx2|amx_bf16|amx_tile' /proc/cpuinfo | sort -u | tr '\n' ' ')"
for round in 1 2; do
  for cfg in "s:" "b:--hidden 768 --heads 12"; do
    n=${cfg%%:*}; args=${cfg#*:}
    echo "round $round DiT-${n^^} $(ort "$n")"
    for linear in ${LINEARS:-auto}; do echo "round $round DiT-${n^^} ours float32 linear=$linear $(ours "$args" float32 "$linear")"; done
    if grep -qwE 'avx512_bf16|amx_bf16' /proc/cpuinfo; then echo "round $round DiT-${n^^} ours bfloat16 $(ours "$args" bfloat16)"; fi
    echo "round $round DiT-${n^^} $(ort "$n")"
  done
done
if [ "${PROFILE:-0}" = 1 ]; then
  for linear in ${LINEARS:-auto}; do
    flexidit bench --patch 2 --repeats 15 --profile --linear "$linear"
    flexidit bench --patch 2 --hidden 768 --heads 12 --repeats 15 --profile --linear "$linear"
  done
fi
