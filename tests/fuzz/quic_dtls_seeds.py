#!/usr/bin/env python3
"""Write libFuzzer seeds for tests/fuzz/fuzz_quic and fuzz_dtls from the corpus captures, with
tshark for the UDP flows and python3-cryptography for the QUIC Initial keys (an implementation
independent of capture/proto/quic_initial.cpp). Nothing is written into the repository:

    python3 tests/fuzz/quic_dtls_seeds.py ../shared/corpus/pcap /tmp/seeds
    build-fuzz/tests/fuzz/fuzz_quic -max_len=16384 -max_total_time=600 /tmp/quic-work /tmp/seeds/quic

quic/: per UDP flow with IETF QUIC long headers, the flow's first datagrams in fuzz_quic's raw format, and the
       decrypted frame payloads of its Initial packets in fuzz_quic's sealed format.
dtls/: per UDP flow with DTLS (or CAPWAP on 5246/5247), the flow's first datagrams in fuzz_dtls's
       format.
Both formats: a mode byte, then records [control][length, 2 bytes big-endian][bytes], control
bit 0 = sent by the flow's initiator (QUIC: by the client).
"""
import collections
import hashlib
import os
import struct
import subprocess
import sys

from cryptography.hazmat.primitives import hashes, hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand

SALTS = {
    0x00000001: ("38762cf7f55934b34d179ae6a4c80cadccbb7f0a", False),
    0x6b3343cf: ("0dede3def700a6db819381be6e269dcbf9bd2ed9", True),
    0x709a50c4: ("a707c203a59b47184a1d62ca570406ea7ae3e5d3", True),
}
for v in range(0xff00001d, 0xff000021):
    SALTS[v] = ("afbfec289993d24c9e9786f19c6111e04390a899", False)
for v in range(0xff000017, 0xff00001d):
    SALTS[v] = ("c3eef712c72ebb5a11a7d2432bb46365bef9f502", False)
for v in (0xff000021, 0xff000022):
    SALTS[v] = SALTS[1]
SEALED_INDEX = {0x00000001: 0, 0x6b3343cf: 1, 0xff00001d: 2, 0xff000017: 3}


def tshark_rows(pcap, display_filter, fields):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", display_filter, "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    for line in out.splitlines():
        yield line.split("\t")


def write(directory, data):
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def record(from_initiator, data, control_extra=0):
    return bytes([(1 if from_initiator else 0) | control_extra]) + struct.pack(">H", len(data)) + data


def flows(pcap, display_filter):
    """UDP datagrams of every flow with a packet matching the filter: [(from_initiator, payload)]."""
    wanted = {row[0] for row in tshark_rows(pcap, display_filter, ["udp.stream"]) if row[0]}
    out = collections.OrderedDict()
    initiator = {}
    for stream, src, src6, port, payload in tshark_rows(
            pcap, "udp", ["udp.stream", "ip.src", "ipv6.src", "udp.srcport", "udp.payload"]):
        if stream not in wanted or not payload:
            continue
        who = (src.split(",")[-1] or src6.split(",")[-1], port)
        initiator.setdefault(stream, who)
        out.setdefault(stream, []).append((initiator[stream] == who, bytes.fromhex(payload.split(",")[-1])))
    return out.values()


def expand_label(secret, label, length):
    full = b"tls13 " + label
    info = struct.pack(">H", length) + bytes([len(full)]) + full + b"\x00"
    return HKDFExpand(hashes.SHA256(), length, info).derive(secret)


def initial_keys(version, dcid, client):
    salt, v2 = SALTS[version]
    h = hmac.HMAC(bytes.fromhex(salt), hashes.SHA256())
    h.update(dcid)
    secret = expand_label(h.finalize(), b"client in" if client else b"server in", 32)
    prefix = b"quicv2 " if v2 else b"quic "
    return (expand_label(secret, prefix + b"key", 16), expand_label(secret, prefix + b"iv", 12),
            expand_label(secret, prefix + b"hp", 16))


def varint(buf, i):
    n = 1 << (buf[i] >> 6)
    v = buf[i] & 0x3f
    for b in buf[i + 1:i + n]:
        v = v << 8 | b
    return v, i + n


def initials(datagram):
    """(version, dcid, pn_offset, packet bytes) of each Initial in a datagram."""
    i = 0
    while i + 7 <= len(datagram) and datagram[i] & 0x80:
        version = struct.unpack(">I", datagram[i + 1:i + 5])[0]
        if version not in SALTS:
            return
        j = i + 5
        dcid = datagram[j + 1:j + 1 + datagram[j]]
        j += 1 + datagram[j]
        j += 1 + datagram[j]
        kind = (datagram[i] >> 4) & 3
        v2 = SALTS[version][1]
        if kind == (0 if v2 else 3):
            return
        if kind == (1 if v2 else 0):
            token_len, j = varint(datagram, j)
            j += token_len
        length, j = varint(datagram, j)
        if kind == (1 if v2 else 0):
            yield version, dcid, j - i, datagram[i:j + length]
        i = j + length


def decrypt(packet, pn_offset, keys):
    key, iv, hp = keys
    sample = packet[pn_offset + 4:pn_offset + 20]
    mask = Cipher(algorithms.AES(hp), modes.ECB()).encryptor().update(sample)
    first = packet[0] ^ (mask[0] & 0x0f)
    pn_len = (first & 3) + 1
    header = bytearray(packet[:pn_offset + pn_len])
    header[0] = first
    pn = 0
    for k in range(pn_len):
        header[pn_offset + k] ^= mask[1 + k]
        pn = pn << 8 | header[pn_offset + k]
    nonce = bytes(a ^ b for a, b in zip(iv, pn.to_bytes(12, "big")))
    return AESGCM(key).decrypt(nonce, bytes(packet[len(header):]), bytes(header)), pn_len


def quic_seeds(pcap, out):
    for datagrams in flows(pcap, "quic.header_form == 1"):
        # At most 32 datagrams: the Initials are at the start of the flow.
        write(os.path.join(out, "quic"), b"\x00" + b"".join(record(d, p) for d, p in datagrams[:32]))
        client_dcid = None
        sealed, version_used = [], 1
        for from_initiator, payload in datagrams:
            for version, dcid, pn_offset, packet in initials(payload):
                if client_dcid is None:
                    client_dcid = dcid
                try:
                    frames, pn_len = decrypt(packet, pn_offset, initial_keys(version, client_dcid, from_initiator))
                except Exception:
                    continue
                version_used = version
                sealed.append(record(from_initiator, frames, (pn_len - 1) << 2))
        if sealed:
            mode = 1 | SEALED_INDEX.get(version_used, 0) << 1
            write(os.path.join(out, "quic"), bytes([mode]) + b"".join(sealed))


def dtls_seeds(pcap, out):
    for datagrams in flows(pcap, "dtls or udp.port == 5246 or udp.port == 5247"):
        capwap = any(p[:1] == b"\x01" and p[4:5] in (b"\x14", b"\x15", b"\x16", b"\x17") for _, p in datagrams)
        if not capwap and not any(p[:1] == b"\x16" for _, p in datagrams):
            continue
        # At most 64 datagrams: the handshake is at the start of the flow.
        write(os.path.join(out, "dtls"), bytes([1 if capwap else 0]) +
              b"".join(record(d, p) for d, p in datagrams[:64]))


def main(pcap_dir, out):
    for name in sorted(os.listdir(pcap_dir)):
        if name.endswith(".pcap") or name.endswith(".pcapng"):
            quic_seeds(os.path.join(pcap_dir, name), out)
            dtls_seeds(os.path.join(pcap_dir, name), out)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
