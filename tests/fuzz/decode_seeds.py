#!/usr/bin/env python3
"""Seeds for fuzz_decode: one file per frame of the corpus captures (pcap and pcapng), in the
target's input format: link-type index byte, time byte, frame bytes.

Usage: tests/fuzz/decode_seeds.py OUT_DIR [CAPTURE...]
Without captures it reads every ../shared/corpus/pcap/*.pcap* beside the repository. At most
MAX_FRAMES frames are taken from each capture (the first ones, where handshakes and fragments
are), frames longer than MAX_BYTES are cut. Standard library only.
"""

import hashlib
import os
import struct
import sys

# Keep in step with kLinkTypes in tests/fuzz/fuzz_decode.cpp.
LINK_TYPES = [1, 0, 108, 12, 14, 101, 228, 229, 9, 50, 104, 113, 276, 239, 192, 105, 127, 147]
MAX_FRAMES = 60
MAX_BYTES = 4096


def pcap_frames(data):
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        endian = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = ">"
    else:
        return None
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        incl = struct.unpack(endian + "I", data[off + 8:off + 12])[0]
        off += 16
        if off + incl > len(data):
            break  # a record cut short ends the file
        yield linktype, data[off:off + incl]
        off += incl


def pcapng_frames(data):
    off = 0
    endian = "<"
    interfaces = []
    while off + 12 <= len(data):
        btype = struct.unpack(endian + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            interfaces = []
        blen = struct.unpack(endian + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1:  # Interface Description Block
            interfaces.append(struct.unpack(endian + "H", body[0:2])[0])
        elif btype == 6:  # Enhanced Packet Block
            iface, _, _, caplen, _ = struct.unpack(endian + "IIIII", body[0:20])
            if iface < len(interfaces):
                yield interfaces[iface], body[20:20 + caplen]
        elif btype == 3 and interfaces:  # Simple Packet Block
            origlen = struct.unpack(endian + "I", body[0:4])[0]
            yield interfaces[0], body[4:4 + min(origlen, len(body) - 4)]
        elif btype == 2:  # Packet Block (obsolete)
            iface = struct.unpack(endian + "H", body[0:2])[0]
            caplen = struct.unpack(endian + "I", body[12:16])[0]
            if iface < len(interfaces):
                yield interfaces[iface], body[20:20 + caplen]
        off += blen


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return pcapng_frames(data)
    return pcap_frames(data) or iter(())


def main():
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    captures = sys.argv[2:]
    if not captures:
        corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus", "pcap")
        captures = sorted(os.path.join(corpus, n) for n in os.listdir(corpus) if ".pcap" in n)
    os.makedirs(out, exist_ok=True)
    written = 0
    for path in captures:
        for n, (linktype, frame) in enumerate(frames(path)):
            if n >= MAX_FRAMES:
                break
            if linktype not in LINK_TYPES:
                continue
            seed = bytes([LINK_TYPES.index(linktype), 0]) + frame[:MAX_BYTES]
            name = hashlib.sha1(seed).hexdigest()
            with open(os.path.join(out, name), "wb") as f:
                f.write(seed)
            written += 1
    print(f"{written} seeds in {out}")


if __name__ == "__main__":
    main()
