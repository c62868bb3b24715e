#!/usr/bin/env python3
"""Seeds for fuzz_traffic (and fuzz_ndpi) from capture files (pcap and pcapng), standard
library only. Nothing is written into the repository unless you ask for it.

    tests/fuzz/traffic_seeds.py OUT_DIR [CAPTURE...]          # fuzz_traffic format
    tests/fuzz/traffic_seeds.py --ndpi OUT_DIR [CAPTURE...]   # fuzz_ndpi format

Without captures every ../shared/corpus/pcap/*.pcap* beside the repository is read.

fuzz_traffic format (see tests/fuzz/fuzz_traffic.cpp): one byte picking the link type, then per
frame [flags+length: 2 bytes big-endian][time step: 1 byte][frame]. Each capture gives up to
SEEDS_PER_CAPTURE seeds of FRAMES_PER_SEED consecutive frames: the first run starts at the
capture's first frame (handshakes, DNS queries), the others are spread over the capture.
Frames longer than MAX_FRAME are cut and flagged as cut (so are frames the capture itself cut).
The time step is the gap to the previous frame, rounded down to what the format can say.

fuzz_ndpi format (see tests/fuzz/fuzz_ndpi.cpp): records [control][length: 2 bytes][IP packet],
the control byte naming one of 8 flow slots and the direction (bit 3: from the responder). The
IP packet is found under Ethernet (VLAN, QinQ, PPPoE, MPLS), Linux SLL/SLL2, BSD null/loop, PPP
and raw-IP links; frames of other links, and other flows once 8 are taken, are skipped. Each
seed holds up to NDPI_RECORDS records, at most NDPI_PER_FLOW per flow.
"""

import hashlib
import os
import struct
import sys

# Keep in step with kLinkTypes in tests/fuzz/fuzz_traffic.cpp.
LINK_TYPES = [1, 0, 108, 12, 14, 101, 228, 229, 9, 50, 104, 113, 276, 239, 192, 105, 127]
SEEDS_PER_CAPTURE = 4
FRAMES_PER_SEED = 24
MAX_FRAME = 2048
# Time step units of the format (top 2 bits of the step byte), in microseconds.
STEP_UNITS = [1_000, 1_000_000, 60_000_000, 600_000_000]

NDPI_RECORDS = 24
NDPI_PER_FLOW = 12
NDPI_SLOTS = 8


def pcap_frames(data):
    """(linktype, ts_us, frame, wire_len) of a classic pcap file."""
    magic = data[:4]
    formats = {
        b"\xd4\xc3\xb2\xa1": ("<", 1), b"\xa1\xb2\xc3\xd4": (">", 1),
        b"\x4d\x3c\xb2\xa1": ("<", 1000), b"\xa1\xb2\x3c\x4d": (">", 1000),
    }
    if magic not in formats:
        return
    endian, ns_per_tick = formats[magic]
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xFFFF
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(endian + "IIII", data[off:off + 16])
        off += 16
        if off + incl > len(data):
            break  # a record cut short ends the file
        ts = sec * 1_000_000 + (frac // 1000 if ns_per_tick == 1000 else frac)
        yield linktype, ts, data[off:off + incl], orig
        off += incl


def pcapng_resolution(options, endian):
    """Ticks per second from an Interface Description Block's if_tsresol option."""
    off = 0
    while off + 4 <= len(options):
        code, length = struct.unpack(endian + "HH", options[off:off + 4])
        if code == 0:
            break
        if code == 9 and length >= 1:
            v = options[off + 4]
            return 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
        off += 4 + (length + 3) // 4 * 4
    return 1_000_000


def pcapng_frames(data):
    """(linktype, ts_us, frame, wire_len) per packet of a pcapng file, per interface."""
    off = 0
    endian = "<"
    interfaces = []  # (linktype, ticks per second)
    while off + 12 <= len(data):
        btype = struct.unpack(endian + "I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            endian = "<" if data[off + 8:off + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            interfaces = []
        blen = struct.unpack(endian + "I", data[off + 4:off + 8])[0]
        if blen < 12 or off + blen > len(data):
            break
        body = data[off + 8:off + blen - 4]
        if btype == 1 and len(body) >= 8:  # Interface Description Block
            interfaces.append((struct.unpack(endian + "H", body[0:2])[0], pcapng_resolution(body[8:], endian)))
        elif btype == 6 and len(body) >= 20:  # Enhanced Packet Block
            iface, hi, lo, caplen, orig = struct.unpack(endian + "IIIII", body[0:20])
            if iface < len(interfaces):
                linktype, res = interfaces[iface]
                ts = ((hi << 32) | lo) * 1_000_000 // res
                yield linktype, ts, body[20:20 + caplen], orig
        elif btype == 3 and interfaces and len(body) >= 4:  # Simple Packet Block
            orig = struct.unpack(endian + "I", body[0:4])[0]
            yield interfaces[0][0], 0, body[4:4 + min(orig, len(body) - 4)], orig
        off += blen


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x0a\x0d\x0d\x0a":
        return list(pcapng_frames(data))
    return list(pcap_frames(data))


def step_byte(gap_us):
    if gap_us <= 0:
        return 0
    for unit_index, unit in enumerate(STEP_UNITS):
        if gap_us // unit < 64:
            return unit_index << 6 | gap_us // unit
    return 3 << 6 | 63


def traffic_seed(linktype, run):
    out = bytearray([LINK_TYPES.index(linktype)])
    prev = run[0][1]
    for _, ts, frame, orig in run:
        body = frame[:MAX_FRAME]
        flags = 0x8000 if len(body) < max(orig, len(frame)) else 0
        out += struct.pack(">HB", flags | len(body), step_byte(ts - prev))
        out += body
        prev = max(prev, ts)
    return bytes(out)


def run_starts(count):
    if count <= FRAMES_PER_SEED:
        return [0]
    last = count - FRAMES_PER_SEED
    starts = {0}
    for i in range(1, SEEDS_PER_CAPTURE):
        starts.add(last * i // (SEEDS_PER_CAPTURE - 1))
    return sorted(starts)


def traffic_seeds(records):
    by_link = {}
    for rec in records:
        if rec[0] in LINK_TYPES:
            by_link.setdefault(rec[0], []).append(rec)
    for linktype, recs in by_link.items():
        for start in run_starts(len(recs)):
            yield traffic_seed(linktype, recs[start:start + FRAMES_PER_SEED])


def ip_of_ethertype(ethertype, p):
    """The IP packet under an ethertype, following VLAN, PPPoE and MPLS; None if not IP."""
    for _ in range(8):
        if ethertype in (0x0800, 0x86DD):
            return p
        if ethertype in (0x8100, 0x88A8, 0x9100) and len(p) >= 4:
            ethertype, p = struct.unpack(">H", p[2:4])[0], p[4:]
        elif ethertype == 0x8864 and len(p) >= 8:  # PPPoE session, then PPP protocol
            proto = struct.unpack(">H", p[6:8])[0]
            return p[8:] if proto in (0x0021, 0x0057) else None
        elif ethertype == 0x8847:  # MPLS: labels until bottom of stack, then IP by version
            while len(p) >= 4 and not p[2] & 1:
                p = p[4:]
            p = p[4:]
            return p if p and p[0] >> 4 in (4, 6) else None
        else:
            return None
    return None


def ip_packet(linktype, frame):
    if linktype == 1 and len(frame) >= 14:
        return ip_of_ethertype(struct.unpack(">H", frame[12:14])[0], frame[14:])
    if linktype in (12, 14, 101, 228, 229):
        return frame
    if linktype in (0, 108) and len(frame) >= 4:
        return frame[4:]
    if linktype == 113 and len(frame) >= 16:
        return ip_of_ethertype(struct.unpack(">H", frame[14:16])[0], frame[16:])
    if linktype == 276 and len(frame) >= 20:
        return ip_of_ethertype(struct.unpack(">H", frame[0:2])[0], frame[20:])
    if linktype in (9, 50) and len(frame) >= 4:
        proto = struct.unpack(">H", frame[2:4])[0]
        return frame[4:] if proto in (0x0021, 0x0057) else None
    return None


def endpoints(ip):
    """((src, sport), (dst, dport), proto) of an IPv4/IPv6 packet, or None."""
    if len(ip) >= 20 and ip[0] >> 4 == 4:
        hl = (ip[0] & 15) * 4
        proto, src, dst = ip[9], ip[12:16], ip[16:20]
        l4 = ip[hl:]
    elif len(ip) >= 40 and ip[0] >> 4 == 6:
        proto, src, dst = ip[6], ip[8:24], ip[24:40]
        l4 = ip[40:]
    else:
        return None
    sport = dport = 0
    if proto in (6, 17) and len(l4) >= 4:
        sport, dport = struct.unpack(">HH", l4[0:4])
    return (src, sport), (dst, dport), proto


def ndpi_seeds(records):
    seed, slots, per_flow = bytearray(), {}, {}
    count = 0
    for linktype, _, frame, _ in records:
        ip = ip_packet(linktype, frame)
        ends = endpoints(ip) if ip else None
        if ends is None:
            continue
        a, b, proto = ends
        key = (min(a, b), max(a, b), proto)
        if key not in slots:
            if len(slots) == NDPI_SLOTS:
                continue
            slots[key] = (len(slots), a)
        slot, initiator = slots[key]
        if per_flow.get(key, 0) == NDPI_PER_FLOW:
            continue
        per_flow[key] = per_flow.get(key, 0) + 1
        control = slot | (0 if a == initiator else 8)
        body = ip[:MAX_FRAME]
        seed += struct.pack(">BH", control, len(body)) + body
        count += 1
        if count == NDPI_RECORDS:
            yield bytes(seed)
            seed, slots, per_flow, count = bytearray(), {}, {}, 0
    if count:
        yield bytes(seed)


def main():
    args = sys.argv[1:]
    ndpi = bool(args) and args[0] == "--ndpi"
    if ndpi:
        args = args[1:]
    if not args:
        sys.exit(__doc__)
    out, captures = args[0], args[1:]
    if not captures:
        corpus = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "shared", "corpus", "pcap")
        captures = sorted(os.path.join(corpus, n) for n in os.listdir(corpus) if ".pcap" in n)
    os.makedirs(out, exist_ok=True)
    written = 0
    for path in captures:
        records = frames(path)
        made = ndpi_seeds(records) if ndpi else traffic_seeds(records)
        for n, seed in enumerate(made):
            if ndpi and n >= 2 * SEEDS_PER_CAPTURE:
                break
            with open(os.path.join(out, hashlib.sha1(seed).hexdigest()), "wb") as f:
                f.write(seed)
            written += 1
    print(f"{written} seeds in {out}")


if __name__ == "__main__":
    main()
