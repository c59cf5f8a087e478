#!/usr/bin/env python3
"""Makes the second T5 tokenizer test case: a SentencePiece Unigram model with T5's special ids and
normaliser, and the ids Python's sentencepiece gives for texts that probe normalisation, whitespace,
unknown characters and truncation.

Run with Debian's sentencepiece (apt-get install python3-sentencepiece python3-protobuf):
    /usr/bin/python3 scripts/make-t5-tokenizer-data.py tests/FlexiDiT.Tests/TextEncoders/Data
Writes t5_spm_b.spiece.model and t5_spm_b.json (texts, token_ids, max_length) there. token_ids follow
Hugging Face's T5Tokenizer(text, max_length, padding="max_length", truncation=True) without the padding:
the pieces cut to max_length - 1, then </s> (1).
"""
import io
import json
import os
import random
import sys

import sentencepiece as spm

MAX_LENGTH = 24
VOCAB_SIZE = 300


def corpus():
    rng = random.Random(7)
    subjects = ["cat", "dog", "horse", "robot", "castle", "lighthouse", "teapot", "bicycle", "forest", "mountain",
                "city street", "sailing boat", "portrait of a woman", "old man", "bowl of fruit", "café terrace"]
    adjectives = ["tiny", "huge", "golden", "misty", "ancient", "futuristic", "watercolor", "neon", "snowy",
                  "glossy", "wooden", "naïve", "Baroque", "Cubist", "photorealistic"]
    places = ["at sunset", "under the stars", "in the rain", "on a beach", "in Paris", "at night",
              "in a garden", "by the river", "on the moon", "inside a museum"]
    styles = ["oil painting", "3D render", "pencil sketch", "pixel art", "studio photo", "anime style"]
    lines = []
    for _ in range(1500):
        n = rng.randint(1, 12)
        line = f"{rng.choice(['A', 'a', 'The', 'An image of a', 'Two'])} {rng.choice(adjectives)} {rng.choice(subjects)} " \
               f"{rng.choice(places)}, {rng.choice(styles)}; {n} items, 4K, f/{rng.choice([1.8, 2.8, 5.6])}!"
        lines.append(line)
    return lines


TEXTS = [
    "a tiny golden cat at sunset, oil painting",
    "A HUGE Misty Castle In The Rain",
    "Two robots on the moon; 3D render, 4K!",
    "12 horses and 7 dogs by the river (pixel art)",
    "  leading and   repeated   spaces  ",
    "tabs\tand\nnewlines\r\ninside",
    "ＦＵＬＬ ｗｉｄｔｈ ｃａｔ １２３",
    "ﬁne ﬂowers in a garden",
    "café terrace in Paris, naïve style",
    "cafe\u0301 with a combining accent",
    "no\u00a0break\u2003em space\u3000ideographic",
    "zero\u200bwidth joiner",
    "emoji 🙂 and symbols § ¶ ©",
    "猫 and 犬 are unknown here",
    "",
    "   ",
    "x",
    "The quick brown fox jumps over the lazy dog while a futuristic lighthouse glows under the stars in a watercolor sky",
    "an ancient teapot, photorealistic studio photo, f/2.8",
    "UPPER lower MiXeD 0123456789",
]


def main(out_dir):
    os.makedirs(out_dir, exist_ok=True)
    model = io.BytesIO()
    spm.SentencePieceTrainer.train(
        sentence_iterator=iter(corpus()), model_writer=model, model_type="unigram", vocab_size=VOCAB_SIZE,
        character_coverage=1.0, normalization_rule_name="nmt_nfkc", pad_id=0, eos_id=1, unk_id=2, bos_id=-1,
        hard_vocab_limit=False, num_threads=1, seed_sentencepiece_size=20000, minloglevel=2)
    model_path = os.path.join(out_dir, "t5_spm_b.spiece.model")
    with open(model_path, "wb") as f:
        f.write(model.getvalue())
    sp = spm.SentencePieceProcessor(model_file=model_path)
    ids = [sp.encode(t)[:MAX_LENGTH - 1] + [sp.eos_id()] for t in TEXTS]
    with open(os.path.join(out_dir, "t5_spm_b.json"), "w", encoding="utf-8") as f:
        json.dump({
            "texts": TEXTS,
            "token_ids": ids,
            "max_length": MAX_LENGTH,
            "pieces": sp.get_piece_size(),
            "made_by": "scripts/make-t5-tokenizer-data.py with Debian python3-sentencepiece " + spm.__version__,
        }, f, ensure_ascii=False, indent=1)
    print(f"{sp.get_piece_size()} pieces; ids of {len(TEXTS)} texts written to {out_dir}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "tests/FlexiDiT.Tests/TextEncoders/Data")
