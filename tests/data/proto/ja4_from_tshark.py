#!/usr/bin/env python3
"""Derive JA4 (FoxIO technical_details/JA4.md) for every TLS ClientHello over TCP or QUIC in a
capture from tshark's dissection (tshark 4.0 has no JA4 field). An implementation independent of
capture/proto/tls_hello.cpp, used to obtain the expected values in
tests/capture/proto/tls_handshake_test.cpp and quic_initial_test.cpp:

    python3 tests/data/proto/ja4_from_tshark.py ../shared/corpus/pcap/ndpi__443-firefox.pcap

Prints: frame, SNI, JA4, and the raw JA4_r string the hash parts are computed from.

The dissection tree is read (not flat -e fields) because tshark names the lists of the
signature_algorithms (13), signature_algorithms_cert (50) and delegated_credentials (34)
extensions with one field, tls.handshake.sig_hash_alg; JA4's third part takes the list of
signature_algorithms only.
"""
import hashlib
import json
import subprocess
import sys

VERSIONS = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
            0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}
SIGNATURE_ALGORITHMS = 13


def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def as_list(value):
    """tshark's JSON with --no-duplicate-keys: a repeated field is a list, a single one is not."""
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def client_hellos(node):
    """Every ClientHello handshake node of a packet's tree, in order."""
    if isinstance(node, dict):
        if "1" in as_list(node.get("tls.handshake.type")) and "tls.handshake.ciphersuites" in node:
            yield node
        for value in node.values():
            yield from client_hellos(value)
    elif isinstance(node, list):
        for value in node:
            yield from client_hellos(value)


def extensions(hello):
    """(type, node) of every extension of a ClientHello."""
    for key, value in hello.items():
        if key.startswith("Extension: "):
            for ext in as_list(value):
                yield int(ext["tls.handshake.extension.type"], 0), ext


def ints(values):
    return [int(v, 0) for v in as_list(values)]


def ja4(hello, transport):
    ciphers = [c for c in ints(hello["tls.handshake.ciphersuites"].get("tls.handshake.ciphersuite"))
               if not grease(c)]
    exts, sigs, versions, alpn, sni = [], [], [], [], ""
    for ext_type, ext in extensions(hello):
        if grease(ext_type):
            continue
        exts.append(ext_type)
        if ext_type == SIGNATURE_ALGORITHMS:
            sigs = [s for s in ints(ext.get("tls.handshake.sig_hash_algs", {}).get("tls.handshake.sig_hash_alg"))
                    if not grease(s)]
        elif ext_type == 43:
            versions = [v for v in ints(ext.get("tls.handshake.extensions.supported_version")) if not grease(v)]
        elif ext_type == 16:
            alpn = as_list(ext.get("tls.handshake.extensions_alpn_list", {}).get("tls.handshake.extensions_alpn_str"))
        elif ext_type == 0:
            names = as_list(ext.get("Server Name Indication extension", {}).get("tls.handshake.extensions_server_name"))
            sni = names[0] if names else ""
    version = max(versions) if versions else int(hello["tls.handshake.version"], 0)
    if alpn and alpn[0]:
        first = alpn[0]
        if first[0].isalnum() and first[-1].isalnum() and first.isascii():
            alpn_chars = first[0] + first[-1]
        else:
            h = first.encode().hex()
            alpn_chars = h[0] + h[-1]
    else:
        alpn_chars = "00"
    a = "%s%s%s%02d%02d%s" % (transport, VERSIONS.get(version, "00"), "d" if 0 in exts else "i",
                              min(len(ciphers), 99), min(len(exts), 99), alpn_chars)
    b_raw = ",".join("%04x" % c for c in sorted(ciphers))
    c_raw = ",".join("%04x" % e for e in sorted(exts) if e not in (0, 16))
    if sigs:
        c_raw += "_" + ",".join("%04x" % s for s in sigs)
    b = hashlib.sha256(b_raw.encode()).hexdigest()[:12] if ciphers else "0" * 12
    c = hashlib.sha256(c_raw.encode()).hexdigest()[:12] if c_raw else "0" * 12
    return sni, a + "_" + b + "_" + c, a + "_" + b_raw + "_" + c_raw


def main(path):
    cmd = ["tshark", "-n", "-r", path, "-Y", "(tcp or quic) and tls.handshake.type == 1",
           "-T", "json", "--no-duplicate-keys"]
    packets = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    for p in packets:
        layers = p["_source"]["layers"]
        frame = layers["frame"]["frame.number"]
        transport = "q" if "quic" in layers else "t"
        for hello in client_hellos(layers):
            sni, fp, raw = ja4(hello, transport)
            print(frame, sni, fp, raw, sep="\t")


if __name__ == "__main__":
    main(sys.argv[1])
