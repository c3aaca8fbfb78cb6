"""Microsoft Presidio on the labelled subset: pattern recognizers equivalent to baomi's for
national IDs, phones, e-mail and cards, on a blank spaCy pipeline saved to a folder (no model can
be downloaded here). Prints one JSON object: bytes, seconds, and per-kind precision/recall.

Usage: presidio_run.py LABELLED.jsonl MODEL_DIR
"""
import json
import sys
import time

import spacy
from presidio_analyzer import AnalyzerEngine, Pattern, PatternRecognizer, RecognizerRegistry
from presidio_analyzer.nlp_engine import SpacyNlpEngine

LETTER = dict(zip("ABCDEFGHIJKLMNOPQRSTUVWXYZ", [10, 11, 12, 13, 14, 15, 16, 17, 34, 18, 19, 20, 21, 22, 35, 23, 24, 25, 26, 27, 28, 29, 32, 30, 31, 33]))


class TwIdRecognizer(PatternRecognizer):
    def validate_result(self, text):
        t = text.upper()
        if len(t) != 10 or t[0] not in LETTER or not t[2:].isdigit():
            return False
        c = LETTER[t[0]]
        d1 = LETTER[t[1]] % 10 if t[1].isalpha() else int(t[1])
        vals = [d1] + [int(x) for x in t[2:]]
        s = c // 10 + (c % 10) * 9 + sum(v * w for v, w in zip(vals, [8, 7, 6, 5, 4, 3, 2, 1, 1]))
        return s % 10 == 0


class CardRecognizer(PatternRecognizer):
    def validate_result(self, text):
        d = [int(c) for c in text if c.isdigit()]
        if not 13 <= len(d) <= 19:
            return False
        s = 0
        for i, v in enumerate(reversed(d)):
            if i % 2:
                v *= 2
                v -= 9 if v > 9 else 0
            s += v
        return s % 10 == 0


def recognizers():
    b = r"(?<![A-Za-z0-9])"
    e = r"(?![A-Za-z0-9])"
    return [
        TwIdRecognizer(supported_entity="tw_national_id", supported_language="zh",
                       patterns=[Pattern("id", b + r"[A-Za-z][12][0-9]{8}" + e, 0.9)]),
        TwIdRecognizer(supported_entity="tw_resident_id", supported_language="zh",
                       patterns=[Pattern("rid", b + r"[A-Za-z][89A-Da-d][0-9]{8}" + e, 0.9)]),
        PatternRecognizer(supported_entity="phone", supported_language="zh", patterns=[
            Pattern("mobile", r"(?<![0-9])(?:\+886[- ]?9[0-9]{2}|09[0-9]{2})[- ]?[0-9]{3}[- ]?[0-9]{3}(?![0-9])", 0.8),
            Pattern("landline", r"(?<![0-9])(?:\(0[2-8][0-9]{0,2}\)|0[2-8][0-9]{0,2}-|\+886[- ]?[2-8][0-9]{0,2}[- ])[0-9]{2,4}[- ]?[0-9]{3,4}(?![0-9])", 0.7),
        ]),
        PatternRecognizer(supported_entity="email", supported_language="zh",
                          patterns=[Pattern("email", r"[A-Za-z0-9._%+-]+[@＠][A-Za-z0-9.-]+\.[A-Za-z]{2,}", 0.9)]),
        CardRecognizer(supported_entity="payment_card", supported_language="zh",
                       patterns=[Pattern("card", r"(?<![0-9])(?:[0-9]{4}[- ]?){2,3}[0-9]{3,7}(?![0-9])", 0.5)]),
    ]


def main():
    labelled, model_dir = sys.argv[1], sys.argv[2]
    if labelled.endswith(".txt"):
        # Speed only, on plain text: one analyze() call per line (a paragraph or a form line).
        docs = [{"text": line, "labels": []} for line in open(labelled, encoding="utf-8").read().split("\n") if line]
    else:
        docs = [json.loads(line) for line in open(labelled, encoding="utf-8")]
    nlp = SpacyNlpEngine(models=[{"lang_code": "zh", "model_name": model_dir}])
    nlp.nlp = {"zh": spacy.load(model_dir)}
    registry = RecognizerRegistry(supported_languages=["zh"])
    for r in recognizers():
        registry.add_recognizer(r)
    engine = AnalyzerEngine(nlp_engine=nlp, registry=registry, supported_languages=["zh"])
    kinds = ["tw_national_id", "tw_resident_id", "phone", "email", "payment_card"]
    tally = {k: {"labels": 0, "found": 0, "tp_found": 0, "tp_labels": 0} for k in kinds}
    total_bytes = sum(len(d["text"].encode("utf-8")) for d in docs)
    t0 = time.perf_counter()
    results = [engine.analyze(text=d["text"], language="zh", entities=kinds) for d in docs]
    secs = time.perf_counter() - t0
    for d, res in zip(docs, results):
        text = d["text"]
        # Presidio reports char offsets; labels are byte offsets: convert labels to chars.
        b2c = {}
        pos = 0
        for i, ch in enumerate(text):
            b2c[pos] = i
            pos += len(ch.encode("utf-8"))
        b2c[pos] = len(text)
        labels = [(l["kind"], b2c[l["start"]], b2c[l["end"]]) for l in d["labels"] if l["kind"] in kinds]
        for k, s, e in labels:
            tally[k]["labels"] += 1
            if any(r.entity_type == k and r.start < e and s < r.end for r in res):
                tally[k]["tp_labels"] += 1
        for r in res:
            tally[r.entity_type]["found"] += 1
            if any(k == r.entity_type and r.start < e and s < r.end for k, s, e in labels):
                tally[r.entity_type]["tp_found"] += 1
    print(json.dumps({"bytes": total_bytes, "seconds": secs, "tally": tally}))


if __name__ == "__main__":
    main()
