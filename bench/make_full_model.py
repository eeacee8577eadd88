"""Makes the full-size benchmark model: a question-answering TorchScript with the shape of
distilbert-base-multilingual-cased (vocab 119547, hidden 768, 6 layers, 12 heads, FFN 3072, 512
positions; ~135M parameters, ~540 MB in fp32) and random weights, in a trace folder the server
loads like one written by ./trace.java (model file, tokenizer.json, metadata.json).

Its answers mean nothing: it exists to measure memory and speed at the seed's real size without a
model hub. The tokenizer is the bundled model's (its ids all fall inside the larger vocabulary).
It is generated, never committed; the benchmarks make it when it is missing:

    /usr/bin/python3 bench/make_full_model.py [out_dir=build/bench/full-qa] [sequence_length=128] [fp32|int8|int8-linear|bf16]

int8 quantizes the Linear layers dynamically before tracing and stores the embedding tables in 8
bits after it (as ./trace.java's precision=int8: models/convert.py's embeddings_to_uint8);
int8-linear is int8 as it was before, embeddings float32 (to compare with); bf16 casts every weight
to bfloat16 and the logits back to float32. All from the same random weights as fp32.

Needs PyTorch in Python (Debian: apt-get install python3-torch).
"""
import hashlib
import json
import math
import os
import shutil
import sys

import torch
import torch.nn as nn

VOCAB, HIDDEN, LAYERS, HEADS, FFN, POSITIONS = 119547, 768, 6, 12, 3072, 512
SEED = 20261126
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "full-qa"


class Block(nn.Module):
    """One post-LayerNorm transformer block, as DistilBERT's."""

    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(HIDDEN, 3 * HIDDEN)
        self.out = nn.Linear(HIDDEN, HIDDEN)
        self.norm1 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.ffn_in = nn.Linear(HIDDEN, FFN)
        self.ffn_out = nn.Linear(FFN, HIDDEN)
        self.norm2 = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, additive_mask):
        b, n, _ = x.shape
        q, k, v = self.qkv(x).view(b, n, 3, HEADS, HIDDEN // HEADS).permute(2, 0, 3, 1, 4)
        scores = q @ k.transpose(-1, -2) / math.sqrt(HIDDEN // HEADS) + additive_mask
        attended = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, n, HIDDEN)
        x = self.norm1(x + self.out(attended))
        return self.norm2(x + self.ffn_out(nn.functional.gelu(self.ffn_in(x))))


class Float32Logits(nn.Module):
    """A reduced-precision model whose logits come back as float32, as the server reads them."""

    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, input_ids, attention_mask):
        start, end = self.inner(input_ids, attention_mask)
        return start.float(), end.float()


class FullQA(nn.Module):
    """forward(input_ids, attention_mask) int64 [batch, seq] -> (start_logits, end_logits) float [batch, seq]."""

    def __init__(self):
        super().__init__()
        self.words = nn.Embedding(VOCAB, HIDDEN)
        self.positions = nn.Embedding(POSITIONS, HIDDEN)
        self.norm = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.blocks = nn.ModuleList(Block() for _ in range(LAYERS))
        self.qa = nn.Linear(HIDDEN, 2)

    def forward(self, input_ids, attention_mask):
        n = input_ids.shape[1]
        positions = torch.arange(n, device=input_ids.device).unsqueeze(0)
        x = self.norm(self.words(input_ids) + self.positions(positions))
        additive = (1.0 - attention_mask[:, None, None, :].to(x.dtype)) * -10000.0
        for block in self.blocks:
            x = block(x, additive)
        start, end = self.qa(x).split(1, dim=-1)
        return start.squeeze(-1), end.squeeze(-1)


def main():
    out = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench", NAME))
    length = int(sys.argv[2]) if len(sys.argv) > 2 else 128
    precision = sys.argv[3] if len(sys.argv) > 3 else "fp32"
    torch.manual_seed(SEED)
    model = FullQA().eval()
    for p in model.parameters():
        nn.init.normal_(p, std=0.02) if p.dim() > 1 else nn.init.zeros_(p)
    for m in model.modules():
        if isinstance(m, nn.LayerNorm):
            nn.init.ones_(m.weight)
    reference = model
    if precision in ("int8", "int8-linear"):
        model = torch.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)
    elif precision == "bf16":
        model = Float32Logits(model.to(torch.bfloat16)).eval()
    elif precision != "fp32":
        sys.exit("precision must be fp32, int8, int8-linear or bf16, not " + precision)
    ids = torch.randint(5, 8192, (1, length))
    mask = torch.ones(1, length, dtype=torch.int64)
    tmp = out + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with torch.no_grad():
        traced = torch.jit.trace(model, (ids, mask))
        if precision == "int8":
            sys.path.insert(0, os.path.join(ROOT, "models"))
            from convert import embeddings_to_uint8
            traced = embeddings_to_uint8(torch, traced)
        # the trace must accept other lengths and batch sizes: the server pads batches to their longest row
        for b, n in ((2, 64), (3, 32)):
            a = torch.randint(5, 8192, (b, n))
            m = torch.ones(b, n, dtype=torch.int64)
            expected, got = model(a, m), traced(a, m)
            # the 8-bit tables round each weight to within half a step of its row's scale
            tolerance = 0.2 if precision == "int8" else 1e-3
            assert all(torch.allclose(e, g, atol=tolerance) for e, g in zip(expected, got)), "trace differs at other shapes"
    file = NAME + ("" if precision == "fp32" else "-" + precision) + ".pt"
    traced.save(os.path.join(tmp, file))
    shutil.copy(os.path.join(ROOT, "models", "bundled", "tokenizer.json"), os.path.join(tmp, "tokenizer.json"))
    digest = hashlib.sha256(open(os.path.join(tmp, file), "rb").read()).hexdigest()
    shape = ["batch", length]
    meta = {
        "model": NAME, "processor": "cpu", "sequence_length": length, "batch_size": 1, "pipeline_cores": 1,
        "precision": precision.split("-")[0], "dynamic_length": True,
        "inputs": [{"name": "input_ids", "dtype": "int64", "shape": shape},
                   {"name": "attention_mask", "dtype": "int64", "shape": shape}],
        "outputs": [{"name": "start_logits", "dtype": "float32", "shape": shape},
                    {"name": "end_logits", "dtype": "float32", "shape": shape}],
        "source": "bench/make_full_model.py (random weights, distilbert-base-multilingual shape)",
        "file": file, "tokenizer": "tokenizer.json", "sha256": digest,
        "parameters": sum(p.numel() for p in reference.parameters()),
    }
    with open(os.path.join(tmp, "metadata.json"), "w") as f:
        json.dump(meta, f, indent=2)
    shutil.rmtree(out, ignore_errors=True)
    os.rename(tmp, out)
    print(f"{out}: {meta['parameters'] / 1e6:.1f}M parameters, {os.path.getsize(os.path.join(out, file)) / 1e6:.0f} MB")


if __name__ == "__main__":
    main()
