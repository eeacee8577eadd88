"""Converts a TorchScript question-answering model to reduced precision, for ./trace.java's `precision`.

    /usr/bin/python3 models/convert.py --model IN.pt --out OUT.pt --precision int8|bf16|fp16 [--processor cpu]

Input and output keep the traced interface: forward(input_ids, attention_mask), both int64
[batch, seq], returning (start_logits, end_logits) as float32 [batch, seq], so servers feed and read
the same tensors whatever the precision.

  int8  dynamic quantization of every Linear layer (torch's graph-mode quantize_dynamic_jit, the
        TorchScript counterpart of torch.quantization.quantize_dynamic): int8 weights, activations
        quantized per batch at run time, int8 matrix products through the platform's quantized
        engine (fbgemm on x86, qnnpack on arm). Every embedding table is stored in 8 bits too
        (embeddings_to_uint8): uint8 rows with a float32 scale and offset per row, looked up and
        dequantized to float32 by plain TorchScript operators, so it runs wherever the model runs.
        LayerNorm, softmax and the attention products stay float32.
  bf16  every floating-point weight and buffer (embeddings included) in bfloat16, so activations
        are bfloat16 too; the logits are cast back to float32 at the end. Fast on CPUs with
        AVX512_BF16 or AMX, on Graviton 3 and newer, and on GPUs; elsewhere it runs, slowly.
  fp16  the same in float16, for GPUs only (slow on CPUs; this PyTorch may lack float16 LayerNorm on
        the CPU); without CUDA here the model is converted but not run.

A model whose graph fixes float32 somewhere (a trace records dtypes as constants) may not run in
bf16: then this script fails with one line; trace it from its Hugging Face checkpoint instead
(model_source=hf), where the tracer converts before tracing. Needs PyTorch (Debian: python3-torch).
"""
import argparse
import platform
import sys


def quantized_engine(torch):
    engines = torch.backends.quantized.supported_engines
    machine = platform.machine().lower()
    wanted = "qnnpack" if machine in ("aarch64", "arm64") else "fbgemm"
    if wanted not in engines:
        wanted = next((e for e in ("fbgemm", "x86", "onednn", "qnnpack") if e in engines), None)
    if wanted is None:
        raise SystemExit(f"convert.py: this PyTorch has no quantized engine ({engines}); int8 needs fbgemm or qnnpack")
    return wanted


def to_int8(torch, model):
    from torch.ao.quantization import default_dynamic_qconfig, quantize_dynamic_jit
    torch.backends.quantized.engine = quantized_engine(torch)
    # the tables first: the quantization inlines the modules and freezes their weights into constants
    return quantize_dynamic_jit(embeddings_to_uint8(torch, model), {"": default_dynamic_qconfig})


# A lookup in a float table, as traces record nn.Embedding, and its 8-bit replacement: the uint8 rows
# (`weight_codes`) scaled and shifted by their row's float32 scale and offset. The codes are a plain
# attribute, not a parameter (integer tensors cannot require gradients: loaders that set that on
# every parameter would fail); `weight` stays, emptied.
EMBEDDING = """
graph(%self, %ids, %padding_idx, %scale_grad, %sparse):
    %weight = prim::GetAttr[name="weight"](%self)
    %rows = aten::embedding(%weight, %ids, %padding_idx, %scale_grad, %sparse)
    return (%rows)"""
EMBEDDING_UINT8 = """
graph(%self, %ids, %padding_idx, %scale_grad, %sparse):
    %weight = prim::GetAttr[name="weight_codes"](%self)
    %scale = prim::GetAttr[name="weight_scale"](%self)
    %offset = prim::GetAttr[name="weight_offset"](%self)
    %codes = aten::embedding(%weight, %ids, %padding_idx, %scale_grad, %sparse)
    %row_scale = aten::embedding(%scale, %ids, %padding_idx, %scale_grad, %sparse)
    %row_offset = aten::embedding(%offset, %ids, %padding_idx, %scale_grad, %sparse)
    %one : int = prim::Constant[value=1]()
    %values = aten::type_as(%codes, %row_scale)
    %scaled = aten::mul(%values, %row_scale)
    %rows = aten::add(%scaled, %row_offset, %one)
    return (%rows)"""


def quantize_rows(torch, table):
    """uint8 codes, scale and offset (float32 [rows, 1]) with table ~ codes * scale + offset, per row."""
    table = table.detach().float()
    low = table.min(1, keepdim=True).values
    scale = ((table.max(1, keepdim=True).values - low) / 255).clamp(min=1e-12)
    codes = ((table - low) / scale).round().clamp(0, 255).to(torch.uint8)
    return codes, scale.contiguous(), low.contiguous()


def embeddings_to_uint8(torch, model):
    """The TorchScript model with every embedding table (a module whose float `weight` only feeds
    aten::embedding) stored as uint8 codes (`weight_codes`) with a float32 scale and offset per row, dequantized
    after the lookup. A table shared with another module (tied weights) stays float. Returns the
    model saved and loaded again, so that no method runs a plan made before the rewrite."""
    import io
    shared = {}
    for _, p in model.named_parameters():
        shared[p.data_ptr()] = shared.get(p.data_ptr(), 0) + 1
    for _, module in model.named_modules():
        if not module._c._has_method("forward") or not module._c.hasattr("weight"):
            continue
        weight = module._c.getattr("weight")
        graph = module.graph
        reads = [n for n in graph.nodes() if n.kind() == "prim::GetAttr" and n.s("name") == "weight"]
        lookups = [u.user for n in reads for u in n.output().uses()]
        if (not isinstance(weight, torch.Tensor) or not weight.is_floating_point() or weight.dim() != 2
                or shared.get(weight.data_ptr(), 0) > 1 or not lookups
                or any(u.kind() != "aten::embedding" or u.inputsAt(0).node().kind() != "prim::GetAttr" for u in lookups)):
            continue
        codes, scale, offset = quantize_rows(torch, weight)
        for name, value in (("weight_codes", codes), ("weight_scale", scale), ("weight_offset", offset)):
            module._c._register_attribute(name, torch._C.TensorType.get(), value)
        torch._C._jit_pass_custom_pattern_based_rewrite_graph(EMBEDDING, EMBEDDING_UINT8, graph)
        if any(n.kind() == "prim::GetAttr" and n.s("name") == "weight" for n in graph.nodes()):
            raise RuntimeError("an embedding lookup was not rewritten to its 8-bit table")
        module._c.setattr("weight", torch.nn.Parameter(torch.empty(0), requires_grad=False))
    buffer = io.BytesIO()
    torch.jit.save(model, buffer)
    buffer.seek(0)
    return torch.jit.load(buffer)


def to_bf16(torch, model):
    return to_float(torch, model, torch.bfloat16)


def to_float(torch, model, dtype):
    from typing import Tuple

    class Float32Logits(torch.nn.Module):
        """The bfloat16 (float16) model with its logits cast back to float32."""

        def __init__(self, inner):
            super().__init__()
            self.inner = inner

        def forward(self, input_ids: torch.Tensor, attention_mask: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor]:
            out = self.inner(input_ids, attention_mask)
            return out[0].float(), out[1].float()

    return torch.jit.script(Float32Logits(model.to(dtype)))


def check(torch, model, device):
    """One forward at two lengths and batch 2: the interface must be unchanged."""
    for length in (16, 40):
        ids = torch.arange(1, length + 1, dtype=torch.long).remainder(90).add(5).repeat(2, 1)
        ids[:, 0] = 2
        mask = torch.ones_like(ids)
        mask[1, length // 2:] = 0
        with torch.no_grad():
            out = model(ids.to(device), mask.to(device))
        if not isinstance(out, tuple) or len(out) < 2:
            raise RuntimeError("the model does not return (start_logits, end_logits)")
        for t in out[:2]:
            if t.dtype != torch.float32 or tuple(t.shape) != (2, length):
                raise RuntimeError(f"logits are {t.dtype} {tuple(t.shape)}, expected float32 (2, {length})")
            if not torch.isfinite(t[0]).all():
                raise RuntimeError("logits are not finite")


def main():
    p = argparse.ArgumentParser(description="Converts a TorchScript QA model to int8 or bf16.")
    p.add_argument("--model", required=True, help="TorchScript file (fp32)")
    p.add_argument("--out", required=True, help="file to write")
    p.add_argument("--precision", required=True, choices=["int8", "bf16", "fp16"])
    p.add_argument("--processor", default="cpu", choices=["cpu", "graviton", "gpu"])
    a = p.parse_args()
    try:
        import torch
    except ImportError:
        sys.exit("convert.py: no PyTorch for " + sys.executable + "; install it (Debian: apt-get install -y python3-torch)")
    torch.manual_seed(0)
    device = "cpu"
    if a.processor == "gpu":
        if a.precision == "int8":
            sys.exit("convert.py: precision=int8 is for CPUs (cpu, graviton); on gpu use bf16 or fp16")
        if torch.cuda.is_available():
            device = "cuda"
        else:
            print("[WARN] processor=gpu but CUDA is not available; converting on the CPU"
                  + (" without running it (float16 runs on the GPU)" if a.precision == "fp16" else ""), file=sys.stderr)
    elif a.precision == "fp16":
        sys.exit(f"convert.py: precision=fp16 is for GPUs (processor gpu); on {a.processor} use bf16 or int8")
    try:
        model = torch.jit.load(a.model, map_location="cpu").eval()
    except Exception as e:  # noqa: BLE001  one line, exit 1
        sys.exit(f"convert.py: cannot load {a.model} as TorchScript: {str(e).splitlines()[0]}")
    try:
        with torch.no_grad():
            if a.precision == "int8":
                converted = to_int8(torch, model)
            else:
                converted = to_float(torch, model, torch.bfloat16 if a.precision == "bf16" else torch.float16)
            converted = converted.to(device) if device != "cpu" else converted
            if a.precision != "fp16" or device != "cpu":
                check(torch, converted, device)
    except Exception as e:  # noqa: BLE001  one line, exit 1
        # TorchScript errors end with the failing operation's own message
        lines = [line.strip() for line in str(e).splitlines() if line.strip()]
        first = lines[-1] if lines else type(e).__name__
        sys.exit(f"convert.py: {a.model} does not run in {a.precision} ({first}); "
                 + ("trace it from its Hugging Face checkpoint (model_source=hf) or use int8" if a.precision != "int8"
                    else "trace it from its Hugging Face checkpoint (model_source=hf)"))
    torch.jit.save(converted, a.out)
    engine = f", quantized engine {torch.backends.quantized.engine}" if a.precision == "int8" else ""
    print(f"converted {a.model} to {a.precision}{engine}: {a.out}")


if __name__ == "__main__":
    main()
