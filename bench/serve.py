#!/usr/bin/env python3
"""Load benchmark of `baomi serve` on SQLite, with wrk on loopback (both on this machine's cores).

    cargo build --release -p baomi-cli && python3 bench/serve.py [--seconds 10] [--connections 64]

Prints requests/s and latency percentiles for an authenticated API request (API token), an
authenticated page (session cookie) and the log's checkpoint. Not run in CI.
"""
import argparse
import re
import socket
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BAOMI = ROOT / "target" / "release" / "baomi"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def wrk(url, seconds, conns, headers):
    cmd = ["wrk", "-t2", f"-c{conns}", f"-d{seconds}s", "--latency"]
    for h in headers:
        cmd += ["-H", h]
    out = subprocess.run(cmd + [url], check=True, capture_output=True, text=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = dict(re.findall(r"^\s+(50|90|99)%\s+([\d.]+\w+)", out, re.M))
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return rps, lat, int(non2xx.group(1)) if non2xx else 0


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *a, **k):
        return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=int, default=10)
    ap.add_argument("--connections", type=int, default=64)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        port = free_port()
        srv = subprocess.Popen([BAOMI, "serve", "--data", data, "--listen", f"127.0.0.1:{port}"],
                               stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        try:
            while "baomi serve:" not in srv.stdout.readline():
                pass
            adm = lambda *args: subprocess.run([BAOMI, "admin", "--data", data, *args], check=True,
                                               capture_output=True, text=True).stdout
            adm("user", "add", "sys", "--name", "介接系統", "--role", "api")
            token = adm("token", "create", "--user", "sys", "--name", "bench", "--scope", "profile:read").split()[-1]
            pw = adm("user", "add", "wang", "--name", "王小明").split()[-1]
            base = f"http://127.0.0.1:{port}"
            opener = urllib.request.build_opener(NoRedirect)

            def post(path, form, cookie=None):
                req = urllib.request.Request(base + path, data=urllib.parse.urlencode(form).encode())
                if cookie:
                    req.add_header("Cookie", cookie)
                try:
                    return opener.open(req)
                except urllib.error.HTTPError as e:
                    return e

            r = post("/signin", {"username": "wang", "password": pw})
            cookie = r.headers["Set-Cookie"].split(";")[0]
            page = urllib.request.urlopen(urllib.request.Request(base + "/me/password", headers={"Cookie": cookie})).read().decode()
            csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
            new = "benchmark-password-2026"
            post("/me/password", {"csrf": csrf, "current": pw, "new": new, "repeat": new}, cookie)
            time.sleep(2.5)  # let the server ship the admin's audit rows
            rows = [
                ("API GET /api/v1/me (token)", base + "/api/v1/me", [f"Authorization: Bearer {token}"]),
                ("page GET / (session)", base + "/", [f"Cookie: {cookie}"]),
                ("GET /log/checkpoint", base + "/log/checkpoint", []),
            ]
            wrk(rows[0][1], 2, a.connections, rows[0][2])  # warm-up, discarded
            print(f"baomi serve on SQLite, wrk -t2 -c{a.connections} -d{a.seconds}s on loopback (same 2 cores)\n")
            print("| request | req/s | p50 | p90 | p99 | non-2xx |")
            print("|---|---:|---:|---:|---:|---:|")
            for name, url, hdr in rows:
                rps, lat, bad = wrk(url, a.seconds, a.connections, hdr)
                print(f"| {name} | {rps:,.0f} | {lat.get('50')} | {lat.get('90')} | {lat.get('99')} | {bad} |")
        finally:
            srv.terminate()
            srv.wait()


if __name__ == "__main__":
    main()
