"""Variants of the full-size benchmark model, for `ServingBench forward` (issue 13: what makes a
forward faster). Each is a trace folder next to the model it comes from, git-ignored like it:

    /usr/bin/python3 bench/forward_variants.py [bench_dir=build/bench]

  v-<p>-freeze    torch.jit.freeze of full-qa[-<p>] (p = fp32, bf16, int8)
  v-<p>-opt       torch.jit.optimize_for_inference of the frozen module
  v-int8-perchannel  the fp32 weights quantized dynamically with per-channel int8 weights
  v-int8-affine      ... with asymmetric per-tensor int8 weights (a zero point, as fbgemm allows)

The quantized ones start from bench/make_full_model.py's weights (same seed), as full-qa-int8 does.
Needs the full-qa folders (ServingBench makes them) and PyTorch in Python (Debian: python3-torch).
"""
import importlib.util
import json
import os
import shutil
import sys

import torch
import torch.nn as nn
from torch.ao.quantization import observer, qconfig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def folder(src, dst, module):
    """A trace folder: the module saved under src's file name, src's tokenizer and metadata."""
    meta = json.load(open(os.path.join(src, "metadata.json")))
    os.makedirs(dst, exist_ok=True)
    module.save(os.path.join(dst, meta["file"]))
    shutil.copy(os.path.join(src, "tokenizer.json"), dst)
    meta["source"] = f"bench/forward_variants.py ({os.path.basename(dst)})"
    meta.pop("sha256", None)
    with open(os.path.join(dst, "metadata.json"), "w") as f:
        json.dump(meta, f, indent=2)
    print(dst)


def check(reference, module):
    ids = torch.randint(5, 8192, (2, 64))
    mask = torch.ones(2, 64, dtype=torch.int64)
    with torch.no_grad():
        a, b = reference(ids, mask), module(ids, mask)
    assert all(torch.allclose(x, y, atol=1e-3) for x, y in zip(a, b)), "variant answers differently"


def main():
    bench = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "bench"))
    for precision in ("fp32", "bf16", "int8"):
        src = os.path.join(bench, "full-qa" + ("" if precision == "fp32" else "-" + precision))
        meta = json.load(open(os.path.join(src, "metadata.json")))
        traced = torch.jit.load(os.path.join(src, meta["file"])).eval()
        frozen = torch.jit.freeze(traced)
        check(traced, frozen)
        folder(src, os.path.join(bench, f"v-{precision}-freeze"), frozen)
        optimized = torch.jit.optimize_for_inference(torch.jit.freeze(traced))
        check(traced, optimized)
        folder(src, os.path.join(bench, f"v-{precision}-opt"), optimized)

    spec = importlib.util.spec_from_file_location("make_full_model", os.path.join(ROOT, "bench", "make_full_model.py"))
    mfm = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mfm)
    dynamic = observer.PlaceholderObserver.with_args(dtype=torch.quint8, quant_min=0, quant_max=255, is_dynamic=True)
    variants = {
        "perchannel": qconfig.per_channel_dynamic_qconfig,
        "affine": qconfig.QConfig(activation=dynamic,
                                  weight=observer.MinMaxObserver.with_args(dtype=torch.qint8, qscheme=torch.per_tensor_affine)),
    }
    default_engine = torch.backends.quantized.engine
    for name, config in variants.items():
        torch.manual_seed(mfm.SEED)
        model = mfm.FullQA().eval()
        for p in model.parameters():
            nn.init.normal_(p, std=0.02) if p.dim() > 1 else nn.init.zeros_(p)
        for m in model.modules():
            if isinstance(m, nn.LayerNorm):
                nn.init.ones_(m.weight)
        # oneDNN (Debian's default engine) takes symmetric weights only; qnnpack packs asymmetric ones
        # (the file holds plain int8 weights: the server's libtorch packs them for its own engine)
        torch.backends.quantized.engine = "qnnpack" if name == "affine" else default_engine
        quantized = torch.quantization.quantize_dynamic(model, {nn.Linear: config}, dtype=torch.qint8)
        ids = torch.randint(5, 8192, (1, 128))
        mask = torch.ones(1, 128, dtype=torch.int64)
        with torch.no_grad():
            traced = torch.jit.trace(quantized, (ids, mask))
        folder(os.path.join(bench, "full-qa-int8"), os.path.join(bench, "v-int8-" + name), traced)


if __name__ == "__main__":
    main()
