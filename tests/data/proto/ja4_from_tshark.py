#!/usr/bin/env python3
"""Derive JA4 (FoxIO technical_details/JA4.md) for every TLS-over-TCP ClientHello of a capture
from tshark's dissection (tshark 4.0 has no JA4 field). An implementation independent of
capture/proto/tls_hello.cpp, used to obtain the expected values in
tests/capture/proto/tls_hello_test.cpp:

    python3 tests/data/proto/ja4_from_tshark.py ../shared/corpus/pcap/ndpi__443-firefox.pcap

Prints: frame, SNI, JA4, and the raw JA4_r string the hash parts are computed from.
"""
import hashlib
import json
import subprocess
import sys

FIELDS = ["frame.number", "tls.handshake.type", "tls.handshake.ciphersuite",
          "tls.handshake.extension.type", "tls.handshake.sig_hash_alg",
          "tls.handshake.extensions.supported_version", "tls.handshake.extensions_alpn_str",
          "tls.handshake.extensions_server_name", "tls.handshake.version"]
VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}


def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def ints(layer, name):
    return [int(x, 0) for x in layer.get(name, [])]


def ja4(layer):
    ciphers = [c for c in ints(layer, "tls.handshake.ciphersuite") if not grease(c)]
    exts = [e for e in ints(layer, "tls.handshake.extension.type") if not grease(e)]
    sigs = [s for s in ints(layer, "tls.handshake.sig_hash_alg") if not grease(s)]
    versions = [v for v in ints(layer, "tls.handshake.extensions.supported_version") if not grease(v)]
    version = max(versions) if versions else ints(layer, "tls.handshake.version")[0]
    alpn = layer.get("tls.handshake.extensions_alpn_str", [])
    if alpn and alpn[0]:
        first = alpn[0]
        if first[0].isalnum() and first[-1].isalnum() and first.isascii():
            alpn_chars = first[0] + first[-1]
        else:
            h = first.encode().hex()
            alpn_chars = h[0] + h[-1]
    else:
        alpn_chars = "00"
    a = "t%s%s%02d%02d%s" % (VERSIONS.get(version, "00"), "d" if 0 in exts else "i",
                             min(len(ciphers), 99), min(len(exts), 99), alpn_chars)
    b_raw = ",".join("%04x" % c for c in sorted(ciphers))
    c_raw = ",".join("%04x" % e for e in sorted(exts) if e not in (0, 16))
    if sigs:
        c_raw += "_" + ",".join("%04x" % s for s in sigs)
    b = hashlib.sha256(b_raw.encode()).hexdigest()[:12] if ciphers else "0" * 12
    c = hashlib.sha256(c_raw.encode()).hexdigest()[:12] if c_raw else "0" * 12
    return a + "_" + b + "_" + c, a + "_" + b_raw + "_" + c_raw


def main(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "tcp and tls.handshake.type == 1", "-T", "json"]
    for f in FIELDS:
        cmd += ["-e", f]
    packets = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    for p in packets:
        layer = p["_source"]["layers"]
        fp, raw = ja4(layer)
        sni = layer.get("tls.handshake.extensions_server_name", [""])[0]
        print(layer["frame.number"][0], sni, fp, raw, sep="\t")


if __name__ == "__main__":
    main(sys.argv[1])
