"""Traces a Hugging Face question-answering model to TorchScript for one processor.

Runs inside the base image (./trace.java runs it through the container CLI when model_source=hf and
no pre-traced model is available), like the original's 2-trace/model-tracer.py: torch.jit.trace on
cpu/gpu/graviton, torch_neuron on inf1 and torch_neuronx on inf2. Writes <out>/<file> and
<out>/tokenizer.json. Needs `transformers` and access to the hub.

    python3 tracer.py --model ID --processor cpu --sequence-length 128 --batch-size 1 \
        --pipeline-cores 1 --tokenizer-class BertTokenizer --model-class BertForQuestionAnswering \
        --out /trace --file NAME.pt [--precision fp32|bf16|int8|fp16]

With --precision bf16, fp16 or int8 the model is converted before tracing (bf16/fp16: weights and
activations bfloat16/float16, logits cast back to float32; fp16 on gpu only; int8:
torch.quantization.quantize_dynamic on the Linear layers, then every embedding table in 8 bits by
convert.py's embeddings_to_uint8 after tracing), and the fp32
trace is written too, as <out>/fp32-reference.pt, for trace.java's accuracy check.
"""
import argparse
import copy
import importlib
import os
import sys

QUESTION = "What does the little engine say?"
CONTEXT = ("In the childrens story about the little engine a small locomotive is pulling a large load up a mountain. "
           "Since the load is heavy and the engine is small it is not sure whether it will be able to do the job. "
           "This is a story about how an optimistic attitude empowers everyone to achieve more. In the story the "
           "little engine says: 'I think I can' as it is pulling the heavy load all the way to the top of the "
           "mountain. On the way down it says: I thought I could.")


def reduce_precision(torch, model, precision, processor):
    """A copy of the model in bf16, fp16 or int8 (see the module's comment)."""
    if precision in ("bf16", "fp16"):
        class Float32Logits(torch.nn.Module):
            """The bf16 model with its logits cast back to float32, as servers read them."""

            def __init__(self, inner):
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask):
                start, end = self.inner(input_ids, attention_mask)[:2]
                return start.float(), end.float()

        return Float32Logits(copy.deepcopy(model).to(torch.bfloat16 if precision == "bf16" else torch.float16))
    engines = torch.backends.quantized.supported_engines
    for engine in ("qnnpack",) if processor == "graviton" else ("fbgemm", "x86", "onednn", "qnnpack"):
        if engine in engines:
            torch.backends.quantized.engine = engine
            break
    return torch.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)


def small_embeddings(torch, traced):
    """The int8 trace with its embedding tables in 8 bits: convert.py's embeddings_to_uint8 (convert.py
    lies beside this script, in models/ and in the base image)."""
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from convert import embeddings_to_uint8
    return embeddings_to_uint8(torch, traced)


def main():
    p = argparse.ArgumentParser()
    for name in ("model", "processor", "tokenizer-class", "model-class", "out", "file"):
        p.add_argument("--" + name, required=True)
    for name in ("sequence-length", "batch-size", "pipeline-cores"):
        p.add_argument("--" + name, type=int, required=True)
    p.add_argument("--precision", default="fp32", choices=["fp32", "bf16", "int8", "fp16"])
    a = p.parse_args()
    if a.precision != "fp32" and a.processor.startswith("inf"):
        sys.exit(f"tracer.py: precision={a.precision} is not available for processor={a.processor}; use fp32")
    if a.precision == "int8" and a.processor == "gpu":
        sys.exit("tracer.py: precision=int8 runs on CPUs (cpu, graviton); on gpu use bf16 or fp16")
    if a.precision == "fp16" and a.processor != "gpu":
        sys.exit(f"tracer.py: precision=fp16 runs on GPUs (processor gpu); on {a.processor} use bf16 or int8")

    import torch
    if a.precision == "fp16" and not torch.cuda.is_available():
        sys.exit("tracer.py: precision=fp16 traces on the GPU, and CUDA is not available")
    transformers = importlib.import_module("transformers")
    tokenizer = getattr(transformers, a.tokenizer_class).from_pretrained(a.model)
    model = getattr(transformers, a.model_class).from_pretrained(a.model, return_dict=False)
    model.eval()
    # calling the tokenizer works on transformers 4.x and 5.x (5 removed the older per-pair method)
    inputs = tokenizer(QUESTION, CONTEXT, return_tensors="pt", max_length=a.sequence_length,
                       padding="max_length", truncation=True)
    example = (torch.cat([inputs["input_ids"]] * a.batch_size, 0),
               torch.cat([inputs["attention_mask"]] * a.batch_size, 0))

    if a.processor == "inf1":
        import torch_neuron  # noqa: F401  registers torch.neuron
        traced = torch.neuron.trace(model, example, compiler_args=["--neuroncore-pipeline-cores", str(a.pipeline_cores)])
    elif a.processor == "inf2":
        import torch_neuronx
        traced = torch_neuronx.trace(model, example)
    else:
        if a.processor == "gpu":
            if not torch.cuda.is_available():
                print(f"[WARN] processor=gpu but CUDA is not available; tracing on cpu", file=sys.stderr)
            else:
                model.to("cuda")
                example = tuple(t.to("cuda") for t in example)
        if a.precision != "fp32":
            # the fp32 trace, for trace.java's accuracy check
            os.makedirs(a.out, exist_ok=True)
            torch.jit.trace(model, example).save(os.path.join(a.out, "fp32-reference.pt"))
            model = reduce_precision(torch, model, a.precision, a.processor)
        traced = torch.jit.trace(model, example)
        if a.precision == "int8":
            traced = small_embeddings(torch, traced)

    os.makedirs(a.out, exist_ok=True)
    traced.save(os.path.join(a.out, a.file))
    # the Java side tokenizes with the Hugging Face tokenizers library, which reads tokenizer.json
    fast = tokenizer if getattr(tokenizer, "is_fast", False) else transformers.AutoTokenizer.from_pretrained(a.model, use_fast=True)
    fast.backend_tokenizer.save(os.path.join(a.out, "tokenizer.json"))
    print(f"Done. Model saved as: {os.path.join(a.out, a.file)}")


if __name__ == "__main__":
    main()
