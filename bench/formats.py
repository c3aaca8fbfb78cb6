#!/usr/bin/env python3
"""Extraction speed and memory per document format, `baomi scan` on one thread.

Generates (once) a corpus of the same texts written as every format (`gen_formats`), then scans
each format's folder with the real binary, `-j 1`, three runs, and prints the median MB/s of file
size and the peak RSS. Plain text is the reference row.

    python3 bench/formats.py [--mb 100] [--file-kb 512] [--dir /tmp/baomi-formats] [--runs 3]
                             [--resaved MB] [--only docx,odt]

These files are nothing but text: the worst case for MB/s of file size. `--resaved MB` adds rows
for documents as an office suite packages them: MB of Word, Writer and Excel files with 32 KB of
text each, re-saved by LibreOffice (`soffice --headless --convert-to`, Debian's packages), which
writes its styles, settings, font tables and run properties around the same text.
"""
import argparse, os, subprocess, statistics, time, pathlib

ap = argparse.ArgumentParser()
ap.add_argument("--mb", type=int, default=100)
ap.add_argument("--file-kb", type=int, default=512)
ap.add_argument("--dir", default="/tmp/baomi-formats")
ap.add_argument("--runs", type=int, default=3)
ap.add_argument("--resaved", type=int, default=0)
ap.add_argument("--only", default="")
a = ap.parse_args()

root = pathlib.Path(__file__).resolve().parent.parent
subprocess.run(["cargo", "build", "--release", "-q", "-p", "baomi-cli", "-p", "baomi-corpus"],
               cwd=root, check=True)
target = root / "target" / "release"
corpus = pathlib.Path(a.dir)
if not (corpus / "txt").exists():
    subprocess.run([target / "gen_formats", "--out", corpus, "--mb", str(a.mb),
                    "--file-kb", str(a.file_kb)], check=True)

def resaved(mb):
    """Word, Writer and Excel files re-saved by LibreOffice, generated once."""
    out = pathlib.Path(a.dir + "-resaved")
    if (out / "xlsx-lo").exists():
        return out
    src = out / "src"
    if not (src / "docx").exists():
        subprocess.run([target / "gen_formats", "--out", src, "--mb", str(mb), "--file-kb", "32",
                        "--only", "docx,xlsx"], check=True)
    for fmt, source, filt in [("docx", "docx", "docx:MS Word 2007 XML"), ("odt", "docx", "odt"),
                              ("xlsx", "xlsx", "xlsx:Calc MS Excel 2007 XML")]:
        dest = out / f"{fmt}-lo"
        dest.mkdir(parents=True, exist_ok=True)
        files = sorted(str(f) for f in (src / source).iterdir())
        # One office process converts a batch: starting it costs more than a conversion.
        for i in range(0, len(files), 200):
            subprocess.run(["soffice", "--headless", "--norestore", "--convert-to", filt,
                            "--outdir", dest, *files[i:i + 200]],
                           check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return out


def run(folder):
    t0 = time.perf_counter()
    p = subprocess.Popen([target / "baomi", "scan", "-j", "1", "--no-progress", "-c", folder],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(p.pid, 0)
    return time.perf_counter() - t0, usage.ru_maxrss / 1024, os.waitstatus_to_exitcode(status)

print(f"| format | files | MB | median s | MB/s (1 thread) | peak RSS MiB | exit |")
print("|---|---:|---:|---:|---:|---:|---:|")
folders = [corpus / f for f in sorted(os.listdir(corpus), key=lambda f: (f != "txt", f))]
if a.resaved:
    r = resaved(a.resaved)
    folders += [r / f for f in ["docx-lo", "odt-lo", "xlsx-lo"]]
if a.only:
    keep = a.only.split(",")
    folders = [f for f in folders if f.name in keep]
for folder in folders:
    fmt = folder.name
    files = list(folder.iterdir())
    size = sum(f.stat().st_size for f in files) / 1e6
    runs = [run(folder) for _ in range(a.runs)]
    secs = statistics.median(r[0] for r in runs)
    rss = max(r[1] for r in runs)
    print(f"| {fmt} | {len(files)} | {size:.0f} | {secs:.2f} | {size / secs:.0f} | {rss:.0f} | {runs[0][2]} |")
