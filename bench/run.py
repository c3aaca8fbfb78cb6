#!/usr/bin/env python3
"""baomi's performance benchmark, side by side with ripgrep and Microsoft Presidio in one run.

    python3 bench/run.py [--mb 500] [--presidio-docs 2000] [--skip-presidio] [--big-gb 2]

Generates (once) a Traditional-Chinese corpus under bench/out/, then prints a table: baomi scan on
one core and all cores; ripgrep counting a rare literal (the speed of just reading) and running one
union regex of patterns equivalent to baomi's detectors (the naive approach); Presidio's analyzer
on a labelled subset, with both tools' precision and recall there; the peak memory of scanning one
large file. Each timing is the median of 3 runs; baomi on one core and the union regex run in
turns, five rounds, so that their ratio is not the drift between two minutes. Not run in CI.
"""
import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
BAOMI = ROOT / "target" / "release" / "baomi"
GEN = ROOT / "target" / "release" / "gen"


def sh(cmd, **kw):
    return subprocess.run(cmd, check=True, **kw)


def timed(cmd, runs=3):
    """Median wall time of `cmd` (stdout discarded) and the peak RSS of its children."""
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - t0)
        if p.returncode not in (0, 1):
            sys.exit(f"{cmd[0]} failed with {p.returncode}")
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    return statistics.median(times), rss


def paired(a, b, rounds=5):
    """Median wall times of commands `a` and `b` run in turns: the machine's drift between
    minutes falls on both alike, so their ratio is steadier than that of separate medians."""
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(timed(a, runs=1)[0])
        tb.append(timed(b, runs=1)[0])
    return statistics.median(ta), statistics.median(tb)


def union_regex():
    """One regex of patterns equivalent to baomi's detectors, built from the same data."""
    districts = []
    cities = []
    for line in (ROOT / "crates/inspect/data/districts.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith("#") or not line.strip():
            continue
        parts = line.split()
        cities.append(parts[0].replace("台", "[台臺]"))
        districts += parts[1:]
    num = r"(?:[0-9]+|[一二三四五六七八九十百〇○零]+)"
    address = (
        rf"(?:{'|'.join(cities)})?(?:{'|'.join(sorted(set(districts), key=len, reverse=True))})?"
        rf"(?:\p{{Han}}{{1,3}}[村里])?(?:{num}鄰)?\p{{Han}}{{1,5}}(?:路|街|大道)(?:{num}段)?"
        rf"(?:{num}巷)?(?:{num}弄)?{num}(?:[-之]{num})?號(?:之{num})?(?:{num}樓)?"
    )
    roles = "陳情|檢舉|申訴|告發|告訴|舉發|申請|當事|承辦|聯絡|負責|被害|嫌疑|關係|代理|承租|出租|證|借款|債務|債權|義務|收件|寄件|受款|經辦|填表|立書"
    words = "姓名|委員|主席|紀錄|記錄|出席|列席|聯絡窗口|受訪者|房東|房客|科長|課長|主任|局長|處長|組長|隊長|所長|專員|科員|技士|秘書|員警|警員|巡佐"
    titles = "先生|女士|小姐|君|議員|老師|醫師|律師|同學"
    surname = "[陳林黃張李王吳劉蔡楊許鄭謝郭洪曾邱廖賴周徐蘇葉莊呂江何蕭羅高潘簡朱鍾彭游詹胡施沈余盧梁趙顏柯翁魏孫戴范方宋鄧杜傅侯曹薛丁卓馬阮董唐溫温藍蔣石古紀姚連馮歐程湯田康姜汪白鄒尤巫鐘黎涂凃龔嚴韓袁金童陸夏柳邵錢伍倪譚于駱熊任甘秦顧毛章史官萬俞雷粘饒辜]"
    name = rf"(?:(?:{roles})人|{words})[：: ]?(?:張簡|范姜|歐陽|司馬|諸葛|上官|司徒)?{surname}\p{{Han}}{{1,2}}|{surname}\p{{Han}}{{1,2}}(?:{titles})"
    pats = [
        r"[A-Za-zＡ-Ｚ][ ]?[1289A-D１２８９](?:[ ]?[0-9０-９]){8}",
        r"(?:\+886|886)[- ]?\(?0?[2-9][0-9]{0,2}\)?[- ]?[0-9]{2,4}[- ]?[0-9]{3,4}",
        r"\(0[2-9][0-9]{0,2}\)[ ]?[0-9]{2,4}[- ]?[0-9]{3,4}",
        r"09[0-9]{2}[- ]?[0-9]{3}[- ]?[0-9]{3}",
        r"0[2-8][0-9]{0,2}[- ][0-9]{2,4}[- ]?[0-9]{3,4}",
        r"[A-Za-z0-9._%+-]+[@＠][A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}",
        r"[0-9]{4}(?:[ -]?[0-9]{2,6}){2,4}",
        r"(?:統一編號|統編|營利事業)[^0-9\n]{0,12}[0-9]{8}",
        r"(?:車牌|車號|牌照|機車|汽車)[^A-Z\n]{0,12}(?:[A-Z]{2,3}-?[0-9]{3,4}|[0-9]{3,4}-?[A-Z]{2,3})",
        address,
        name,
        r"密\s*等[^\n]{0,20}[:：]\s*(?:絕對機密|極機密|機密|密)",
        r"^[\s【〔\[(（]*(?:絕對機密|極機密|機密|密)\s*(?:件|文件)?[】〕\])）]*\s*(?:[(（][^)）\n]{0,40}[)）])?\s*$",
        r"雷霆專案|曙光計畫|海鷗行動|[台臺]東小組|北極星演習",
    ]
    return "|".join(f"(?:{p})" for p in pats)


def baomi_quality(labelled, kinds):
    """baomi's precision/recall on the labelled subset, for `kinds`."""
    docs = [json.loads(line) for line in open(labelled, encoding="utf-8")]
    joined = OUT / "labelled.txt"
    offsets = []
    with open(joined, "wb") as f:
        pos = 0
        for d in docs:
            b = d["text"].encode("utf-8") + b"\n\n"
            offsets.append(pos)
            f.write(b)
            pos += len(b)
    out = subprocess.run([BAOMI, "scan", "--format", "json", "-j1", joined], capture_output=True, text=True).stdout
    found = [json.loads(l) for l in out.splitlines() if '"kind"' in l]
    # Time baomi on the same documents repeated 100 times, so that its start-up (~8 ms to compile
    # its detectors) does not pass for scanning speed; Presidio's start-up is excluded too.
    rep = OUT / "labelled-x100.txt"
    data = joined.read_bytes()
    rep.write_bytes(data * 100)
    secs, _ = timed([BAOMI, "scan", "--format", "json", "-j1", rep])
    secs /= 100
    labels = [(l["kind"], off + l["start"], off + l["end"]) for d, off in zip(docs, offsets) for l in d["labels"]]
    tally = {}
    for k in kinds:
        ls = [(s, e) for kk, s, e in labels if kk == k]
        fs = [(f["start"], f["end"]) for f in found if f["kind"] == k]
        tally[k] = {
            "labels": len(ls), "found": len(fs),
            "tp_labels": sum(1 for s, e in ls if any(fs_ < e and s < fe for fs_, fe in fs)),
            "tp_found": sum(1 for fs_, fe in fs if any(fs_ < e and s < fe for s, e in ls)),
        }
    return tally, joined.stat().st_size, secs


def pr(t):
    p = t["tp_found"] / t["found"] if t["found"] else 1.0
    r = t["tp_labels"] / t["labels"] if t["labels"] else 1.0
    return p, r


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=int, default=500)
    ap.add_argument("--presidio-docs", type=int, default=2000)
    ap.add_argument("--skip-presidio", action="store_true")
    ap.add_argument("--big-gb", type=float, default=2.0)
    a = ap.parse_args()

    sh(["cargo", "build", "--release", "-q", "-p", "baomi-cli", "-p", "baomi-corpus"], cwd=ROOT)
    corpus = OUT / f"corpus-{a.mb}mb"
    labelled = OUT / "labelled.jsonl"
    if not corpus.exists():
        sh([GEN, "--out", corpus, "--mb", str(a.mb), "--labelled", labelled, "--labelled-docs", str(a.presidio_docs)])
    size = sum(p.stat().st_size for p in corpus.iterdir())
    mb = size / 1e6
    subprocess.run(f"cat {corpus}/* > /dev/null", shell=True)
    cores = os.cpu_count()

    rows = []
    t1, tu1 = paired([BAOMI, "scan", "-j1", "--format", "json", "--no-progress", corpus],
                     ["rg", "-j1", "-c", "--multiline-dotall", "-e", union_regex(), corpus])
    rows.append(("baomi scan, 1 thread (JSON out)", mb / t1))
    tn, _ = timed([BAOMI, "scan", "--format", "json", "--no-progress", corpus])
    rows.append((f"baomi scan, {cores} threads (JSON out)", mb / tn))
    tl1, _ = timed(["rg", "-j1", "-c", "-F", "絕對機密甲乙丙", corpus])
    rows.append(("ripgrep rare literal, 1 thread", mb / tl1))
    tln, _ = timed(["rg", "-c", "-F", "絕對機密甲乙丙", corpus])
    rows.append((f"ripgrep rare literal, {cores} threads", mb / tln))
    rows.append(("ripgrep union regex, 1 thread", mb / tu1))

    print(f"\ncorpus: {mb:.0f} MB of generated Traditional-Chinese official text in {len(list(corpus.iterdir()))} files\n")
    print("| run | MB/s |")
    print("|---|---:|")
    for name, v in rows:
        print(f"| {name} | {v:.0f} |")
    print()
    print(f"baomi 1 thread / ripgrep union regex 1 thread: {tu1 / t1:.2f}x (target >= 2)")
    print(f"baomi 1 thread / ripgrep rare literal 1 thread: {tl1 / t1:.2f} (aim 0.33)")

    kinds = ["tw_national_id", "tw_resident_id", "phone", "email", "payment_card"]
    bt, bbytes, bsecs = baomi_quality(labelled, kinds)
    if not a.skip_presidio:
        venv = OUT / "venv"
        model = OUT / "zh_blank"
        py = venv / "bin" / "python"
        if not py.exists():
            sh([sys.executable, "-m", "venv", venv])
            sh([py, "-m", "pip", "install", "-q", "presidio-analyzer", "spacy"])
        if not model.exists():
            sh([py, "-c", f"import spacy; spacy.blank('zh').to_disk('{model}')"])
        res = json.loads(subprocess.run([py, ROOT / "bench" / "presidio_run.py", labelled, model], capture_output=True, text=True, check=True).stdout)
        pmbs = res["bytes"] / 1e6 / res["seconds"]
        bmbs = bbytes / 1e6 / bsecs
        print(f"\nlabelled subset: {a.presidio_docs} documents, {res['bytes'] / 1e6:.2f} MB")
        print(f"| tool | MB/s | " + " | ".join(f"{k} P / R" for k in kinds) + " |")
        print("|---|---:|" + "---|" * len(kinds))
        print(f"| baomi (1 thread) | {bmbs:.1f} | " + " | ".join("%.3f / %.3f" % pr(bt[k]) for k in kinds) + " |")
        print(f"| Presidio analyzer | {pmbs:.3f} | " + " | ".join("%.3f / %.3f" % pr(res["tally"][k]) for k in kinds) + " |")
        print(f"\nbaomi / Presidio on the labelled forms (dense: a finding every ~35 bytes): {bmbs / pmbs:.0f}x (target >= 100)")
        # Speed on a subset of the corpus itself (official prose), as the issue allows.
        subset = OUT / "prose-subset.txt"
        files = sorted(corpus.iterdir())[:2]
        subset.write_bytes(b"".join(p.read_bytes() for p in files))
        res2 = json.loads(subprocess.run([py, ROOT / "bench" / "presidio_run.py", subset, model], capture_output=True, text=True, check=True).stdout)
        rep = OUT / "prose-subset-x50.txt"
        rep.write_bytes(subset.read_bytes() * 50)
        bsecs2, _ = timed([BAOMI, "scan", "--format", "json", "-j1", rep])
        b2 = rep.stat().st_size / 1e6 / bsecs2
        p2 = res2["bytes"] / 1e6 / res2["seconds"]
        print(f"on {res2['bytes'] / 1e6:.1f} MB of the corpus (prose): baomi {b2:.0f} MB/s, Presidio {p2:.2f} MB/s: {b2 / p2:.0f}x (target >= 100)")

    if a.big_gb > 0:
        big = OUT / "big.txt"
        want = int(a.big_gb * (1 << 30))
        if not big.exists() or big.stat().st_size < want:
            with open(big, "wb") as f:
                written = 0
                files = sorted(corpus.iterdir())
                while written < want:
                    for p in files:
                        b = p.read_bytes()
                        f.write(b)
                        written += len(b)
                        if written >= want:
                            break
        p = subprocess.run(["/usr/bin/time", "-f", "%M %e", BAOMI, "scan", "-j1", "--format", "json", big], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        kb, secs = p.stderr.strip().splitlines()[-1].split()
        print(f"\none {big.stat().st_size / 2**30:.1f} GiB file: peak RSS {int(kb) / 1024:.0f} MiB (target < 100), {big.stat().st_size / 1e6 / float(secs):.0f} MB/s")


if __name__ == "__main__":
    main()
