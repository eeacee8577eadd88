"""Generates the bundled synthetic question-answering model: tiny-bert-qa.pt, tokenizer.json,
model.json and SHA256SUMS in this folder.

The bundled model lets every script run offline: it has the interface of a traced Hugging Face
BertForQuestionAnswering (return_dict=False) -- forward(input_ids, attention_mask), both int64
[batch, seq], returning the tuple (start_logits, end_logits), both float32 [batch, seq] -- but it is
tiny and its knowledge is synthetic.

What it does:
  1. Vocabulary: the special tokens [PAD]=0 [UNK]=1 [CLS]=2 [SEP]=3 [MASK]=4, every printable ASCII
     letter, digit and punctuation mark and its "##" continuation form, the words of the reference
     pair, of models/questions.json and of the training templates, then lowercase words of Debian's
     wamerican list (/usr/share/dict/words), shortest first then alphabetical, up to VOCAB_SIZE.
     Uncased: the tokenizer lowercases. tokenizer.json in the Hugging Face `tokenizers` format
     (BertNormalizer, BertPreTokenizer, TemplateProcessing, WordPiece), fixed formatting.
  2. A plain-PyTorch BERT-style encoder (token + position + token-type embeddings, LayerNorm, 2
     post-LN transformer layers, GELU FFN, boolean attention mask so that `.to(torch.bfloat16)`
     works on the trace) with a QA head Linear(hidden, 2). The token type is derived inside the
     model (0 up to and including the first [SEP], 1 after): the traced interface has no
     token_type_ids input. Padding positions get logits of -10000.
  3. Weights: torch.manual_seed(SEED), then TRAINED (deterministically: one thread, a fixed number
     of steps, a few minutes of CPU) on synthetic pairs of three kinds: "what does the red fox say"
     -> the quoted phrase after "the red fox says: '"; "how many cups does the man have" -> the
     number in the context; "who wrote the long road" -> the name after "the long road by"; "?" or
     not; distractors of the other kinds in every context. It must then answer each pair of
     models/questions.json as listed there (else it exits), e.g. "i think i can" for the original's.
  4. torch.jit.trace on (input_ids, attention_mask) int64 [1, 128]; checks the trace with other
     sequence lengths (64, 384, 512) and batch 2; saves tiny-bert-qa.pt.
  5. model.json: architecture, inputs/outputs, generation facts and reference values (token ids of
     the reference pair at sequence length 128, first start/end logits, argmax, answer text) that
     the Java tests compare DJL's inference with; SHA256SUMS in `sha256sum` format.
     the Java tests compare DJL's inference with; SHA256SUMS in `sha256sum` format.

Run with Debian's torch (apt-get install -y python3-torch wamerican), from the repository root:

    /usr/bin/python3 models/bundled/generate.py

Reproducibility: with the same torch build on the same kind of CPU the output is byte-identical
(checked by running it twice). Another torch version or CPU may round differently during training,
giving slightly different weights; model.json then changes with it, and the Java tests read their
reference values from model.json.
"""
import hashlib
import json
import os
import random
import string
import sys
import threading
import time
import unicodedata

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "tiny-bert-qa"
SEED = 20240611
VOCAB_SIZE = 8192
HIDDEN = 64
LAYERS = 2
HEADS = 4
FFN = 256
MAX_POSITIONS = 512
TYPE_VOCAB = 2
TRACE_LENGTH = 128
TRAIN_LENGTH = 128
TRAIN_STEPS = 1800
TRAIN_BATCH = 32
LEARNING_RATE = 3e-3
MASK_VALUE = -10000.0

SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
PAD, UNK, CLS, SEP, MASK = range(5)

QUESTION = "What does the little engine say?"
CONTEXT = ("In the childrens story about the little engine a small locomotive is pulling a large load up a mountain. "
           "Since the load is heavy and the engine is small it is not sure whether it will be able to do the job. "
           "This is a story about how an optimistic attitude empowers everyone to achieve more. In the story the "
           "little engine says: 'I think I can' as it is pulling the heavy load all the way to the top of the "
           "mountain. On the way down it says: I thought I could.")

TEMPLATE_WORDS = ("what does did the say says said saying it a an in on of to and is was how many have has had do are "
                  "were there number count total answer who wrote made painted composed author writer maker by").split()

# the question set of the accuracy check (models/questions.json): the model must answer each as listed
with open(os.path.join(HERE, "..", "questions.json"), encoding="utf-8") as _f:
    QUESTIONS = json.load(_f)["questions"]
REFERENCE_TEXT = " ".join([QUESTION, CONTEXT] + [q["question"] + " " + q["context"] for q in QUESTIONS])


# ---------------------------------------------------------------------------------------------
# vocabulary and tokenizer


def is_punctuation(ch):
    cp = ord(ch)
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def basic_tokenize(text):
    """BertNormalizer(lowercase, strip accents) + BertPreTokenizer, for the ASCII text used here."""
    text = unicodedata.normalize("NFD", text.lower())
    text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    words = []
    for chunk in text.split():
        current = ""
        for ch in chunk:
            if is_punctuation(ch):
                if current:
                    words.append(current)
                    current = ""
                words.append(ch)
            else:
                current += ch
        if current:
            words.append(current)
    return words


def wordpiece(word, vocab):
    if len(word) > 100:
        return [UNK]
    ids, start = [], 0
    while start < len(word):
        end, found = len(word), None
        while start < end:
            piece = word[start:end] if start == 0 else "##" + word[start:end]
            if piece in vocab:
                found = vocab[piece]
                break
            end -= 1
        if found is None:
            return [UNK]
        ids.append(found)
        start = end
    return ids


def tokenize(text, vocab):
    return [i for w in basic_tokenize(text) for i in wordpiece(w, vocab)]


def build_vocab():
    chars = string.ascii_lowercase + string.digits + string.punctuation
    tokens = list(SPECIALS) + list(chars) + ["##" + c for c in chars]
    required = set(w for w in basic_tokenize(REFERENCE_TEXT) if w.isalpha()) | set(TEMPLATE_WORDS)
    with open("/usr/share/dict/words", encoding="utf-8") as f:
        words = sorted({w for w in (line.strip() for line in f) if w.isascii() and w.isalpha() and w.islower()
                        and len(w) > 1}, key=lambda w: (len(w), w))
    chosen = set(w for w in required if len(w) > 1)
    for w in words:
        if len(tokens) + len(chosen) >= VOCAB_SIZE:
            break
        chosen.add(w)
    tokens += sorted(chosen, key=lambda w: (len(w), w))
    assert len(tokens) == VOCAB_SIZE, len(tokens)
    assert len(set(tokens)) == len(tokens)
    return tokens


def tokenizer_json(tokens):
    vocab = {t: i for i, t in enumerate(tokens)}

    def special(token, type_id):
        return {"SpecialToken": {"id": token, "type_id": type_id}}

    def sequence(seq, type_id):
        return {"Sequence": {"id": seq, "type_id": type_id}}

    return {
        "version": "1.0",
        "truncation": None,
        "padding": None,
        "added_tokens": [{"id": i, "content": t, "single_word": False, "lstrip": False, "rstrip": False,
                          "normalized": False, "special": True} for i, t in enumerate(SPECIALS)],
        "normalizer": {"type": "BertNormalizer", "clean_text": True, "handle_chinese_chars": True,
                       "strip_accents": None, "lowercase": True},
        "pre_tokenizer": {"type": "BertPreTokenizer"},
        "post_processor": {
            "type": "TemplateProcessing",
            "single": [special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0)],
            "pair": [special("[CLS]", 0), sequence("A", 0), special("[SEP]", 0), sequence("B", 1),
                     special("[SEP]", 1)],
            "special_tokens": {t: {"id": t, "ids": [vocab[t]], "tokens": [t]} for t in ("[CLS]", "[SEP]")},
        },
        "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": True},
        "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##",
                  "max_input_chars_per_word": 100, "vocab": vocab},
    }


def encode_pair(question, context, vocab, length):
    """Like encode_plus(question, context, max_length=length, padding="max_length", truncation=True)."""
    a, b = tokenize(question, vocab), tokenize(context, vocab)
    while len(a) + len(b) + 3 > length:  # longest_first
        if len(a) > len(b):
            a.pop()
        else:
            b.pop()
    ids = [CLS] + a + [SEP] + b + [SEP]
    mask = [1] * len(ids) + [0] * (length - len(ids))
    return ids + [PAD] * (length - len(ids)), mask


# ---------------------------------------------------------------------------------------------
# model


class Layer(nn.Module):
    def __init__(self):
        super().__init__()
        self.qkv = nn.Linear(HIDDEN, 3 * HIDDEN)
        self.out = nn.Linear(HIDDEN, HIDDEN)
        self.ln1 = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.ff1 = nn.Linear(HIDDEN, FFN)
        self.ff2 = nn.Linear(FFN, HIDDEN)
        self.ln2 = nn.LayerNorm(HIDDEN, eps=1e-12)

    def forward(self, x, padding):
        b, s, _ = x.shape
        q, k, v = self.qkv(x).view(b, s, 3, HEADS, HIDDEN // HEADS).permute(2, 0, 3, 1, 4).unbind(0)
        scores = torch.matmul(q, k.transpose(-1, -2)) * (1.0 / (HIDDEN // HEADS) ** 0.5)
        scores = scores.masked_fill(padding, MASK_VALUE)
        context = torch.matmul(torch.softmax(scores, dim=-1), v).transpose(1, 2).reshape(b, s, HIDDEN)
        x = self.ln1(x + self.out(context))
        return self.ln2(x + self.ff2(F.gelu(self.ff1(x))))


class TinyBertQA(nn.Module):
    def __init__(self):
        super().__init__()
        self.word = nn.Embedding(VOCAB_SIZE, HIDDEN)
        self.position = nn.Embedding(MAX_POSITIONS, HIDDEN)
        self.token_type = nn.Embedding(TYPE_VOCAB, HIDDEN)
        self.ln = nn.LayerNorm(HIDDEN, eps=1e-12)
        self.layers = nn.ModuleList([Layer() for _ in range(LAYERS)])
        self.qa = nn.Linear(HIDDEN, 2)
        # sliced to the input's length, so the traced graph keeps the sequence length dynamic
        self.register_buffer("position_ids", torch.arange(MAX_POSITIONS).unsqueeze(0), persistent=False)
        for module in self.modules():
            if isinstance(module, (nn.Linear, nn.Embedding)):
                nn.init.normal_(module.weight, std=0.02)
            if isinstance(module, nn.Linear):
                nn.init.zeros_(module.bias)
        # sinusoidal start for the learned positions: relative offsets ("the token after ': '") are
        # then easy to attend to, which makes the short training converge
        with torch.no_grad():
            position = torch.arange(MAX_POSITIONS, dtype=torch.float32).unsqueeze(1)
            rate = torch.exp(torch.arange(0, HIDDEN, 2, dtype=torch.float32) * (-torch.log(torch.tensor(10000.0)) / HIDDEN))
            self.position.weight[:, 0::2] = torch.sin(position * rate)
            self.position.weight[:, 1::2] = torch.cos(position * rate)

    def forward(self, input_ids, attention_mask):
        positions = self.position_ids[:, : input_ids.size(1)]
        # segment B starts after the first [SEP]
        types = ((input_ids == SEP).long().cumsum(1) - (input_ids == SEP).long() > 0).long()
        x = self.ln(self.word(input_ids) + self.position(positions) + self.token_type(types))
        # masks as booleans, never as float tensors: the traced graph then holds no float32 constant
        # and runs in whatever floating type its weights have (bf16 after `.to(torch.bfloat16)`)
        padding = attention_mask == 0
        for layer in self.layers:
            x = layer(x, padding[:, None, None, :])
        logits = self.qa(x).masked_fill(padding.unsqueeze(-1), MASK_VALUE)
        start, end = logits.split(1, dim=-1)
        return start.squeeze(-1), end.squeeze(-1)


# ---------------------------------------------------------------------------------------------
# synthetic training data: three kinds of questions, each answered by a span of the context
#   says:     "what does the red fox say[?]" -> the quoted phrase after "... says: '"
#   how many: "how many chapters does the book have[?]" -> the number in the context
#   who:      "who wrote the long road[?]" -> the name after "by"
# The question's kind decides which pattern counts: every context also holds sentences of the other
# kinds (a quote after "says:", a number, a "by"), and "it says: ..." without quotes.


def pieces(words, vocab):
    return [i for w in words for i in wordpiece(w, vocab)]


def number(rng):
    return str(rng.randint(0, 10 ** rng.randint(1, 4) - 1))


def mark(rng):
    return ["?"] if rng.random() < 0.6 else []


def says_sentence(rng, words, subject, phrase):
    quote = "'" if rng.random() < 0.75 else '"'
    head = words(0, 6) + (["the"] if rng.random() < 0.7 else []) + subject + [rng.choice(["says", "said"]), ":", quote]
    return head + phrase + [quote] + words(0, 8) + ["."], len(head)


def number_sentence(rng, words, noun, value):
    if rng.random() < 0.35:
        # like "The number 42 is, in The Hitchhiker's Guide to the Galaxy by Douglas Adams."
        head = words(0, 3) + [rng.choice(["the", "a"]), rng.choice(["number", "count", "total", "answer"])]
        return head + [value, rng.choice(["is", "was"])] + ([","] if rng.random() < 0.5 else []) + words(1, 10) + ["."], len(head)
    head = words(0, 6)
    return head + [value] + noun + words(0, 6) + ["."], len(head)


def by_sentence(rng, words, title, name):
    head = words(0, 5) + (["the"] if rng.random() < 0.5 else []) + title + ["by"]
    return head + name + ([","] + words(1, 6) if rng.random() < 0.4 else []) + ["."], len(head)


def says_question(rng, words, subject):
    the = ["the"] if rng.random() < 0.8 else []
    form = rng.random()
    if form < 0.55:
        question = ["what", rng.choice(["does", "did"])] + the + subject + ["say"]
    elif form < 0.8:
        question = ["what", "is"] + the + subject + ["saying"]
    else:
        question = ["what", "did"] + the + subject + ["say"] + words(0, 3)
    return question + mark(rng)


def says_task(rng, words):
    subject, phrase = words(1, 2), words(1, 6)
    key, at = says_sentence(rng, words, subject, phrase)
    return says_question(rng, words, subject), key, at, len(phrase)


def count_task(rng, words):
    noun, owner = words(1, 1), words(1, 2)
    form = rng.random()
    if form < 0.4:
        question = ["how", "many"] + noun + [rng.choice(["does", "do", "did"]), "the"] + owner + ["have"]
    elif form < 0.7:
        question = ["how", "many"] + noun + ["the"] + owner + [rng.choice(["has", "have", "had"])]
    else:
        question = ["how", "many"] + noun + [rng.choice(["are", "were"]), "there"] + words(0, 3)
    key, at = number_sentence(rng, words, noun, number(rng))
    return question + mark(rng), key, at, 1


def who_task(rng, words):
    title, name = words(1, 4), words(1, 4)
    the = ["the"] if rng.random() < 0.5 else []
    if rng.random() < 0.6:
        question = ["who", rng.choice(["wrote", "made", "painted", "composed"])] + the + title
    else:
        question = ["who", "is", "the", rng.choice(["author", "writer", "maker"]), "of"] + the + title
    key, at = by_sentence(rng, words, title, name)
    return question + mark(rng), key, at, len(name)


def original_task(rng, words):
    """The original's context with another quoted phrase, and its question in several forms."""
    text = basic_tokenize(CONTEXT)
    at = text.index("'")
    phrase = words(1, 5)
    key = text[:at + 1] + phrase + text[text.index("'", at + 1):]
    subject = ["little", "engine"] if rng.random() < 0.8 else ["engine"]
    return says_question(rng, words, subject), key, at + 1, len(phrase)


TASKS = ((0.45, says_task), (0.25, count_task), (0.2, who_task), (0.1, original_task))


def distractors(rng, words, task):
    out = []
    if task is original_task:
        return out
    for _ in range(rng.randint(0, 5)):
        kind = rng.random()
        if kind < 0.15:
            out.append(words(0, 5) + ["it", "says", ":"] + words(1, 6) + ["."])
        elif kind < 0.25:
            out.append(words(1, 5) + ["'"] + words(1, 4) + ["'"] + words(0, 5) + ["."])
        elif kind < 0.4 and task is not count_task:
            out.append(number_sentence(rng, words, words(1, 1), number(rng))[0])
        elif kind < 0.5 and task is not who_task:
            out.append(by_sentence(rng, words, words(1, 3), words(1, 2))[0])
        elif kind < 0.6 and task is not says_task:
            out.append(says_sentence(rng, words, words(1, 2), words(1, 5))[0])
        else:
            out.append(words(3, 14) + ["."])
    return out


def make_example(rng, vocab, pool, length):
    words = lambda lo, hi: [rng.choice(pool) for _ in range(rng.randint(lo, hi))]
    pick = rng.random()
    for weight, task in TASKS:
        if pick < weight:
            break
        pick -= weight
    question, key, at, span = task(rng, words)
    sentences = [key] + distractors(rng, words, task)
    rng.shuffle(sentences)
    q = pieces(question, vocab)
    budget = length - len(q) - 3
    context, start, end = [], -1, -1
    for sentence in sentences:
        ids = pieces(sentence, vocab)
        if len(context) + len(ids) > budget:
            if sentence is key:
                continue
            break
        if sentence is key:
            before = len(pieces(sentence[:at], vocab))
            start = 1 + len(q) + 1 + len(context) + before
            end = start + len(pieces(sentence[at:at + span], vocab)) - 1
        context += ids
    if start < 0:
        return None
    seq = [CLS] + q + [SEP] + context + [SEP]
    return seq + [PAD] * (length - len(seq)), [1] * len(seq) + [0] * (length - len(seq)), start, end


def train(model, vocab, tokens):
    rng = random.Random(SEED)
    reference = [w for w in basic_tokenize(REFERENCE_TEXT) if w in vocab and w.isalpha()]
    common = [t for t in tokens[5 + 2 * 68:] if t.isalpha()][:3000]
    # words that mark answers ("says", "by") never appear at random
    pool = [w for w in sorted(set(reference)) * 20 + common if w not in ("says", "said", "by", "many")]
    optimizer = torch.optim.Adam(model.parameters(), lr=LEARNING_RATE)
    schedule = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: min(1.0, (step + 1) / 100)
                                                 * max(0.05, 1 - step / TRAIN_STEPS))
    model.train()
    began = time.time()
    for step in range(TRAIN_STEPS):
        batch = []
        while len(batch) < TRAIN_BATCH:
            example = make_example(rng, vocab, pool, TRAIN_LENGTH)
            if example is not None:
                batch.append(example)
        input_ids = torch.tensor([e[0] for e in batch])
        mask = torch.tensor([e[1] for e in batch])
        starts = torch.tensor([e[2] for e in batch])
        ends = torch.tensor([e[3] for e in batch])
        start_logits, end_logits = model(input_ids, mask)
        loss = (F.cross_entropy(start_logits, starts) + F.cross_entropy(end_logits, ends)) / 2
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 100 == 0 or step == TRAIN_STEPS - 1:
            hit = ((start_logits.argmax(1) == starts) & (end_logits.argmax(1) == ends)).float().mean().item()
            print(f"step {step:5d} loss {loss.item():.4f} exact {hit:.2f} ({time.time() - began:.0f}s)", flush=True)
    model.eval()
    return time.time() - began


# ---------------------------------------------------------------------------------------------


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def decode(ids, tokens):
    """WordPiece decoder with cleanup, skipping special tokens."""
    out = ""
    for i in ids:
        if i < len(SPECIALS):
            continue
        t = tokens[i]
        out += t[2:] if t.startswith("##") else (" " + t if out else t)
    for a, b in ((" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"),
                 (" 'm", "'m"), (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re")):
        out = out.replace(a, b)
    return out


def answer_with_margins(model, tokens, vocab, question, context):
    """The model's answer to a pair at TRACE_LENGTH, and how far the best start and end logits lead the next best."""
    ids, mask = encode_pair(question, context, vocab, TRACE_LENGTH)
    with torch.no_grad():
        start_logits, end_logits = (t[0] for t in model(torch.tensor([ids]), torch.tensor([mask])))
    start, end = int(start_logits.argmax()), int(end_logits.argmax()) + 1
    text = decode(ids[start:end] if end > start else ids[start:sum(mask)], tokens)
    margin = lambda logits: float(logits.topk(2).values[0] - logits.topk(2).values[1])
    return text, round(margin(start_logits), 2), round(margin(end_logits), 2)


def main():
    torch.set_num_threads(1)
    torch.manual_seed(SEED)
    tokens = build_vocab()
    vocab = {t: i for i, t in enumerate(tokens)}
    with open(os.path.join(HERE, "tokenizer.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(tokenizer_json(tokens), f, indent=1, ensure_ascii=True)
        f.write("\n")

    unknown = [w for w in basic_tokenize(REFERENCE_TEXT) if w.isalpha() and w not in vocab]
    assert not unknown, unknown

    model = TinyBertQA()
    seconds = train(model, vocab, tokens)
    checked = []
    for q in QUESTIONS:
        text, start_margin, end_margin = answer_with_margins(model, tokens, vocab, q["question"], q["context"])
        print(f"{q['question']!r} -> {text!r} (margins: start {start_margin}, end {end_margin})")
        checked.append({"question": q["question"], "answer": text, "start_margin": start_margin, "end_margin": end_margin})
    wrong = [(c["question"], c["answer"], q["answer"]) for c, q in zip(checked, QUESTIONS) if c["answer"] != q["answer"]]
    if wrong and not os.environ.get("GENERATE_ANYWAY"):
        sys.exit(f"models/questions.json: the trained model answers {len(wrong)} question(s) otherwise: {wrong}")

    ids, mask = encode_pair(QUESTION, CONTEXT, vocab, TRACE_LENGTH)
    example = (torch.tensor([ids]), torch.tensor([mask]))
    with torch.no_grad():
        traced = torch.jit.trace(model, example)
        eager = model(*example)
        for length in (64, 128, 384, 512):
            i, m = encode_pair(QUESTION, CONTEXT, vocab, length)
            x = (torch.tensor([i, i]), torch.tensor([m, m]))
            got, want = traced(*x), model(*x)
            assert got[0].shape == (2, length), got[0].shape
            assert all(torch.allclose(g, w, atol=1e-5) for g, w in zip(got, want)), length
    pt = os.path.join(HERE, NAME + ".pt")
    traced.save(pt)

    loaded = torch.jit.load(pt)
    with torch.no_grad():
        start_logits, end_logits = loaded(*example)
    assert torch.allclose(start_logits, eager[0], atol=1e-5)
    start = int(start_logits[0].argmax())
    end = int(end_logits[0].argmax()) + 1
    used = sum(mask)
    answer_ids = ids[start:end] if end > start else ids[start:used]
    answer = decode(answer_ids, tokens)
    print(f"answer: {answer!r} (tokens {start}..{end})")

    parameters = sum(p.numel() for p in model.parameters())
    info = {
        "name": NAME,
        "file": NAME + ".pt",
        "tokenizer": "tokenizer.json",
        "description": "Synthetic BERT-style extractive question-answering model with the interface of a traced "
                       "Hugging Face BertForQuestionAnswering (return_dict=False); trained to answer what someone "
                       "says (the quoted phrase), how many (the number) and who made something (the name after 'by').",
        "architecture": {
            "type": "BERT-style encoder, post-LayerNorm, GELU, QA head Linear(hidden, 2)",
            "vocab_size": VOCAB_SIZE,
            "hidden_size": HIDDEN,
            "num_layers": LAYERS,
            "num_heads": HEADS,
            "intermediate_size": FFN,
            "max_position_embeddings": MAX_POSITIONS,
            "type_vocab_size": TYPE_VOCAB,
            "token_types": "derived inside the model: 0 up to the first [SEP], 1 after",
            "parameters": parameters,
            "uncased": True,
            "padding_logit": MASK_VALUE,
        },
        "inputs": [{"name": "input_ids", "dtype": "int64", "shape": ["batch", "sequence"]},
                   {"name": "attention_mask", "dtype": "int64", "shape": ["batch", "sequence"]}],
        "outputs": [{"name": "start_logits", "dtype": "float32", "shape": ["batch", "sequence"]},
                    {"name": "end_logits", "dtype": "float32", "shape": ["batch", "sequence"]}],
        "sequence_lengths": "any from 1 to 512 (traced at 128, checked at 64, 128, 384 and 512 with batch 2)",
        "generation": {
            "command": "/usr/bin/python3 models/bundled/generate.py",
            "seed": SEED,
            "weights": "trained on synthetic data",
            "train_steps": TRAIN_STEPS,
            "train_batch": TRAIN_BATCH,
            "train_sequence_length": TRAIN_LENGTH,
            "vocabulary": "specials, ASCII characters and ## forms, reference words, then /usr/share/dict/words "
                          "(Debian wamerican) lowercase alphabetic words, shortest first",
            "torch_version": torch.__version__,
            "python_version": sys.version.split()[0],
        },
        "reference": {
            "question": QUESTION,
            "context": CONTEXT,
            "sequence_length": TRACE_LENGTH,
            "tokens_used": used,
            "input_ids": ids[:used],
            "start_logits_first5": [round(float(v), 4) for v in start_logits[0][:5]],
            "end_logits_first5": [round(float(v), 4) for v in end_logits[0][:5]],
            "start_logit_max": round(float(start_logits[0].max()), 4),
            "end_logit_max": round(float(end_logits[0].max()), 4),
            "start_argmax": start,
            "end_argmax": end - 1,
            "answer": answer,
        },
    }
    with open(os.path.join(HERE, "model.json"), "w", encoding="utf-8", newline="\n") as f:
        json.dump(info, f, indent=2, ensure_ascii=True)
        f.write("\n")
    with open(os.path.join(HERE, "SHA256SUMS"), "w", encoding="utf-8", newline="\n") as f:
        for name in (NAME + ".pt", "tokenizer.json"):
            f.write(f"{sha256(os.path.join(HERE, name))}  {name}\n")
    print(f"wrote {pt} ({os.path.getsize(pt)} bytes, {parameters} parameters; trained in {seconds:.0f}s)")


def run_in_thread():
    # the trace's debug info records the Python call stack: a thread's stack starts in the standard
    # library instead of at this file's absolute path, so the .pt does not depend on the checkout's place
    failures = []

    def target():
        try:
            main()
        except BaseException as e:  # noqa: B036  reported below, exit code 1
            failures.append(e)
            raise

    worker = threading.Thread(target=target, name="generate")
    worker.start()
    worker.join()
    if failures:
        sys.exit(1)


if __name__ == "__main__":
    if "_SOURCE_NAME" in globals():
        run_in_thread()
    else:
        # ... and the functions defined here are recorded under this fixed, relative file name
        with open(__file__, encoding="utf-8") as f:
            code = compile(f.read(), "models/bundled/generate.py", "exec")
        exec(code, {"__name__": "__main__", "__file__": __file__, "_SOURCE_NAME": True})
