#!/usr/bin/env python3
"""Benchmarks of the look-up ledger on this machine (2 cores), `baomi serve` on SQLite.

    cargo build --release -p baomi-cli -p baomi-corpus && python3 bench/lookups.py [--skip-national]

Prints one table against the issue's targets:
  1. ingestion through the batch API (POST /api/v1/lookups, a generated month of a 300-person
     agency; by default 4 clients × 1,000 per request, 16 × 1,000 and 4 × 5,000), every look-up
     durable and in the tamper-evident log (checked afterwards);
  2. flag evaluation of a 1.5-million-look-up day (a generated national agency's Monday, with
     the Sunday before as history), `baomi lookups evaluate`, time and peak memory;
  3. a supervisor's day page with 5,000 look-ups (GET /lookups/review/DAY, signed in with a
     second factor), median and p99 of 20 requests.
Not run in CI.
"""
import argparse
import base64
import csv
import hashlib
import hmac
import http.client
import json
import os
import re
import resource
import socket
import sqlite3
import statistics
import struct
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAOMI = ROOT / "target" / "release" / "baomi"
GEN = ROOT / "target" / "release" / "lookups"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def run(*args, **kw):
    return subprocess.run([str(a) for a in args], check=True, capture_output=True, text=True, **kw).stdout


class Server:
    def __init__(self, data):
        self.data = data
        self.port = free_port()
        self.proc = subprocess.Popen([BAOMI, "serve", "--data", data, "--listen", f"127.0.0.1:{self.port}"],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        while "baomi serve:" not in self.proc.stdout.readline():
            pass

    def adm(self, *args):
        return run(BAOMI, "admin", "--data", self.data, *args)

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def totp(secret_b32, t=None):
    key = base64.b32decode(secret_b32 + "=" * (-len(secret_b32) % 8))
    counter = int((t or time.time()) // 30)
    h = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    o = h[-1] & 15
    return "%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7FFFFFFF) % 1_000_000)


class Client:
    """A browser-like client on one keep-alive connection, with the session cookie."""

    def __init__(self, port):
        self.c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
        self.cookie = None

    def req(self, method, path, body=None, headers=None):
        h = dict(headers or {})
        if self.cookie:
            h["Cookie"] = self.cookie
        if isinstance(body, dict):
            body = urllib.parse.urlencode(body)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        self.c.request(method, path, body=body, headers=h)
        r = self.c.getresponse()
        data = r.read()
        sc = r.getheader("Set-Cookie")
        if sc and "session" in sc:
            self.cookie = sc.split(";")[0]
        return r.status, data.decode("utf-8", "replace")

    def sign_in_first_time(self, server, user):
        otp = server.adm("user", "reset-password", user).split("one-time password ")[1].strip()
        self.req("POST", "/signin", {"username": user, "password": otp})
        _, page = self.req("GET", "/me/password")
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        new = "benchmark-密碼-夠長-2026"
        self.req("POST", "/me/password", {"csrf": csrf, "current": otp, "new": new, "repeat": new})
        _, page = self.req("GET", "/me/2fa")
        secret = "".join(re.search(r"<code>([^<]+)</code>", page).group(1).split())
        csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
        st, page = self.req("POST", "/me/2fa", {"csrf": csrf, "code": totp(secret)})
        assert "兩步驟驗證已啟用" in page, page[:500]


def ingestion(tmp, threads, per_request=1000):
    out = Path(tmp) / "month"
    run(GEN, "--staff", "300", "--days", "30", "--out", out, "--no-eval")
    with open(out / "lookups.csv", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    bodies = []
    for i in range(0, len(rows), per_request):
        batch = [{"event_id": r["event_id"], "time": r["time"], "system": r["system"], "operator": r["operator"],
                  "subject_id": r["subject_id"], "action": r["action"], "reason_code": r["reason_code"],
                  "reason_text": r["reason_text"], "case_no": r["case_no"], "terminal": r["terminal"]}
                 for r in rows[i:i + per_request]]
        bodies.append(json.dumps({"lookups": batch}, ensure_ascii=False).encode())
    data = Path(tmp) / f"ingest-data-{threads}x{per_request}"
    srv = Server(data)
    try:
        srv.adm("import-org", out / "org.csv", "--apply")
        srv.adm("user", "add", "hh", "--name", "戶役政系統", "--role", "api")
        token = srv.adm("token", "create", "--user", "hh", "--name", "bench", "--scope", "lookups:write").split()[-1]
        lat = []
        lock = threading.Lock()
        next_i = [0]

        def worker():
            c = http.client.HTTPConnection("127.0.0.1", srv.port, timeout=600)
            while True:
                with lock:
                    i = next_i[0]
                    next_i[0] += 1
                if i >= len(bodies):
                    return
                t = time.perf_counter()
                c.request("POST", "/api/v1/lookups", body=bodies[i],
                          headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
                r = c.getresponse()
                body = r.read()
                assert r.status == 200, body[:300]
                with lock:
                    lat.append(time.perf_counter() - t)

        t0 = time.perf_counter()
        ts = [threading.Thread(target=worker) for _ in range(threads)]
        for t in ts:
            t.start()
        for t in ts:
            t.join()
        elapsed = time.perf_counter() - t0
    finally:
        srv.stop()
    db = sqlite3.connect(f"file:{data / 'baomi.db'}?mode=ro", uri=True)
    stored = db.execute("SELECT COUNT(*) FROM lookups").fetchone()[0]
    logged = db.execute("SELECT COALESCE(SUM(last_id - first_id + 1), 0) FROM lookup_log").fetchone()[0]
    lat.sort()
    return len(rows), elapsed, stored, logged, statistics.median(lat), lat[int(len(lat) * 0.99)]


def split_cases(path, most):
    """Writes the case registry as files of at most `most` rows, never splitting a case."""
    parts, lines, prev = [], [], None
    with open(path, encoding="utf-8") as f:
        header = f.readline()
        for line in f:
            case = line.split(",", 1)[0]
            if len(lines) >= most and case != prev:
                parts.append(lines)
                lines = []
            lines.append(line)
            prev = case
    parts.append(lines)
    names = []
    for i, p in enumerate(parts):
        name = path.with_name(f"cases-{i}.csv")
        name.write_text(header + "".join(p), encoding="utf-8")
        names.append(name)
    return names


def national_day(tmp, staff):
    out = Path(tmp) / "national"
    run(GEN, "--staff", str(staff), "--history-days", "1", "--days", "1", "--out", out, "--no-eval")
    data = Path(tmp) / "national-data"
    srv = Server(data)
    srv.stop()  # created; the command line works on the folder alone from here
    run(BAOMI, "admin", "--data", data, "import-org", out / "org.csv", "--apply")
    t = time.perf_counter()
    # A national registry passes the 5-million-row limit of one file: split at case boundaries
    # (an import replaces the cases it names).
    parts = split_cases(out / "cases.csv", 2_500_000)
    for part in parts:
        run(BAOMI, "lookups", "--data", data, "import", "--cases", part)
    run(BAOMI, "lookups", "--data", data, "import", "--csv", out / "lookups.csv", "--duty", out / "duty.csv",
        "--protected", out / "protected.csv")
    imported = time.perf_counter() - t
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run([BAOMI, "lookups", "--data", data, "evaluate"], check=True, capture_output=True, text=True)
    rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    days = [re.match(r"(\S+): (\d+) look-up\(s\), (\d+) flagged \(([\d.]+) s\)", l).groups()
            for l in p.stdout.splitlines() if "look-up(s)" in l]
    biggest = max(days, key=lambda d: int(d[1]))
    return biggest, imported, max(rss, before) / 1024


def day_page(tmp):
    data = Path(tmp) / "page-data"
    srv = Server(data)
    try:
        org = ["employee_no,username,name,unit_code,unit_name,parent_unit_code,title,supervisor,roles,status",
               "S0,sup,陳股長,U1,第一股,,股長,,supervisor,active"]
        for i in range(250):
            org.append(f"E{i},op{i:03},人員{i},U1,第一股,,稅務員,S0,,active")
        (Path(tmp) / "org.csv").write_text("\n".join(org) + "\n", encoding="utf-8")
        srv.adm("import-org", Path(tmp) / "org.csv", "--apply")
        lines = ["event_id,time,system,operator,subject_id,action,reason_code,reason_text,case_no,terminal"]
        for i in range(5000):
            op = i % 250
            reason = "欠稅清理" if i % 40 == 0 else "民眾臨櫃申辦"  # 1 in 40 without its case number: flagged
            lines.append(f"p{i},2026-11-02 {8 + i // 600:02}:{(i // 10) % 60:02}:{i % 60:02},戶役政,op{op:03},"
                         f"A1{i:08},query,{reason},,,T{op}")
        (Path(tmp) / "day.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        run(BAOMI, "lookups", "--data", data, "import", "--csv", Path(tmp) / "day.csv")
        run(BAOMI, "lookups", "--data", data, "evaluate")
        c = Client(srv.port)
        c.sign_in_first_time(srv, "sup")
        times = []
        for _ in range(21):
            t = time.perf_counter()
            st, page = c.req("GET", "/lookups/review/2026-11-02")
            times.append(time.perf_counter() - t)
            assert st == 200 and page.count('name="id"') == 5000, (st, page.count('name="id"'))
        times = sorted(times[1:])
        return statistics.median(times), times[-1], len(page)
    finally:
        srv.stop()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--ingest", type=lambda v: tuple(int(x) for x in v.split("x")), nargs="+",
                    default=[(4, 1000), (16, 1000), (4, 5000)],
                    help="ingestion runs as CLIENTSxPER_REQUEST (default: 4x1000 16x1000 4x5000)")
    ap.add_argument("--national-staff", type=int, default=97_000)
    ap.add_argument("--skip-national", action="store_true")
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        runs = []
        for clients, per in a.ingest:
            n, secs, stored, logged, p50, p99 = ingestion(tmp, clients, per)
            runs.append((clients, per, n, secs, stored, logged, p50, p99))
            print(f"ingestion {clients}x{per}: {n} look-ups in {secs:.1f} s = {n / secs:,.0f}/s; "
                  f"stored {stored}, in the log {logged}", file=sys.stderr)
        med, worst, size = day_page(tmp)
        print(f"day page: median {med * 1000:.0f} ms, max {worst * 1000:.0f} ms, {size / 1e6:.1f} MB", file=sys.stderr)
        nat = None if a.skip_national else national_day(tmp, a.national_staff)
        print()
        print("| measure | result | target |")
        print("|---|---:|---:|")
        for clients, per, n, secs, stored, logged, p50, p99 in runs:
            print(f"| batch API ingestion, {clients} clients × {per:,} per request, {n:,} look-ups | "
                  f"{n / secs:,.0f} look-ups/s (request p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms; "
                  f"stored {stored:,}, logged {logged:,}) | >= 20,000/s |")
        if nat:
            (day, count, flagged, s), imported, rss = nat
            print(f"| flag evaluation of one day ({day}, {int(count):,} look-ups, {int(flagged):,} flagged) | {float(s):.1f} s, "
                  f"peak RSS {rss:,.0f} MiB | < 60 s |")
            print(f"| (import of that day and its history by `baomi lookups import`) | {imported:.0f} s | |")
        print(f"| supervisor's day page, 5,000 look-ups ({size / 1e6:.1f} MB HTML) | median {med * 1000:.0f} ms, "
              f"max {worst * 1000:.0f} ms of 20 | < 300 ms |")


if __name__ == "__main__":
    main()
