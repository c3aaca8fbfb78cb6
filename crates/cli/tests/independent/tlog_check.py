#!/usr/bin/env python3
"""An independent checker of baomi logs, written from the public specs only (RFC 6962,
C2SP signed-note, tlog-checkpoint, tlog-tiles, tlog-proof, tlog-cosignature). It shares no
code with the Rust implementation: the tree is recomputed with the recursive RFC 6962
definition over all leaves, not from the tiles' structure.

usage: tlog_check.py log DIR VKEY
       tlog_check.py proof PROOF_FILE ENTRY_FILE VKEY
       tlog_check.py cosigned NOTE_FILE VKEY WITNESS_VKEY
Prints 'ok ...' and exits 0, or prints the reason and exits 1."""
import base64, hashlib, os, struct, sys
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.exceptions import InvalidSignature


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def sha(b):
    return hashlib.sha256(b).digest()


def leaf(e):
    return sha(b"\x00" + e)


def node(l, r):
    return sha(b"\x01" + l + r)


def mth(hs):
    if not hs:
        return sha(b"")
    if len(hs) == 1:
        return hs[0]
    k = 1
    while k * 2 < len(hs):
        k *= 2
    return node(mth(hs[:k]), mth(hs[k:]))


def parse_vkey(v):
    name, kid, key = v.strip().split("+", 2)
    raw = base64.b64decode(key)
    if len(raw) != 33:
        fail("vkey length")
    if sha(name.encode() + b"\n" + raw)[:4] != bytes.fromhex(kid):
        fail("vkey id does not match")
    return name, bytes.fromhex(kid), raw[0], Ed25519PublicKey.from_public_bytes(raw[1:])


def open_note(text, vkey):
    name, kid, alg, pub = parse_vkey(vkey)
    i = text.rindex("\n\n")
    body, sigs = text[: i + 1], text[i + 2 :]
    found = None
    for line in sigs.splitlines():
        if not line.startswith("\u2014 "):
            fail("bad signature line")
        n, b64 = line[2:].split(" ")
        sig = base64.b64decode(b64)
        if n != name or sig[:4] != kid:
            continue
        if alg == 1:
            msg, s = body.encode(), sig[4:]
        elif alg == 4:
            ts = struct.unpack(">Q", sig[4:12])[0]
            msg, s = f"cosignature/v1\ntime {ts}\n{body}".encode(), sig[12:]
        else:
            fail("unknown key type")
        try:
            pub.verify(s, msg)
        except InvalidSignature:
            fail(f"signature of {n} does not verify")
        found = True
    if not found:
        fail(f"no signature by {name}")
    return body


def checkpoint(body):
    lines = body.split("\n")
    return lines[0], int(lines[1]), base64.b64decode(lines[2])


def tile_path(kind, n, width):
    s = f"{n % 1000:03d}"
    n //= 1000
    while n > 0:
        s = f"x{n % 1000:03d}/" + s
        n //= 1000
    p = f"tile/{kind}/{s}"
    return p if width == 256 else p + f".p/{width}"


def read(d, kind, n, width):
    p = os.path.join(d, tile_path(kind, n, width))
    if not os.path.exists(p) and width != 256:
        p = os.path.join(d, tile_path(kind, n, 256))
    with open(p, "rb") as f:
        return f.read()


def check_log(d, vkey):
    with open(os.path.join(d, "checkpoint")) as f:
        origin, size, root = checkpoint(open_note(f.read(), vkey))
    leaves = []
    for b in range((size + 255) // 256):
        w = min(256, size - b * 256)
        data = read(d, "entries", b, w)
        i = 0
        while i < len(data) and len(leaves) < b * 256 + w:
            (n,) = struct.unpack(">H", data[i : i + 2])
            leaves.append(leaf(data[i + 2 : i + 2 + n]))
            i += 2 + n
    if len(leaves) != size:
        fail(f"{len(leaves)} entries, checkpoint says {size}")
    # Every tile hash is the MTH of its span of leaves (tlog-tiles, formal definition).
    level = 0
    while size >> (8 * level):
        count = size >> (8 * level)
        span = 256**level
        for t in range((count + 255) // 256):
            w = min(256, count - t * 256)
            data = read(d, level, t, w)[: 32 * w]
            for i in range(w):
                k = t * 256 + i
                if data[32 * i : 32 * i + 32] != mth(leaves[k * span : (k + 1) * span]):
                    fail(f"tile level {level} index {t} hash {i}")
        level += 1
    if mth(leaves) != root:
        fail("root hash does not match the entries")
    print(f"ok {origin} {size} entries")


def check_proof(proof_file, entry_file, vkey):
    with open(proof_file) as f:
        text = f.read()
    lines = text.split("\n")
    if lines[0] != "c2sp.org/tlog-proof@v1":
        fail("not a tlog-proof")
    i = 1
    if lines[i].startswith("extra "):
        i += 1
    index = int(lines[i].split(" ")[1])
    i += 1
    path = []
    while lines[i]:
        path.append(base64.b64decode(lines[i]))
        i += 1
    origin, size, root = checkpoint(open_note("\n".join(lines[i + 1 :]), vkey))
    with open(entry_file, "rb") as f:
        r = leaf(f.read())
    # RFC 9162 2.1.3.2
    fn, sn = index, size - 1
    for p in path:
        if sn == 0:
            fail("proof too long")
        if fn & 1 or fn == sn:
            r = node(p, r)
            while not fn & 1 and fn != 0:
                fn >>= 1
                sn >>= 1
        else:
            r = node(r, p)
        fn >>= 1
        sn >>= 1
    if sn != 0 or r != root:
        fail("inclusion proof does not verify")
    print(f"ok entry {index} of {size}")


def check_cosigned(note_file, vkey, wkey):
    with open(note_file) as f:
        text = f.read()
    open_note(text, vkey)
    open_note(text, wkey)
    print("ok cosigned")


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "log":
        check_log(sys.argv[2], open(sys.argv[3]).read())
    elif cmd == "proof":
        check_proof(sys.argv[2], sys.argv[3], open(sys.argv[4]).read())
    elif cmd == "cosigned":
        check_cosigned(sys.argv[2], open(sys.argv[3]).read(), open(sys.argv[4]).read())
    else:
        fail("unknown command")
