#!/usr/bin/env python3
"""Write libFuzzer seed files for tests/fuzz/fuzz_dns, fuzz_tls and fuzz_http from the corpus
captures, using tshark (nothing is written into the repository):

    python3 tests/data/proto/make_fuzz_seeds.py ../shared/corpus/pcap /tmp/seeds
    build-fuzz/tests/fuzz/fuzz_tls -max_total_time=300 /tmp/seeds/tls-work /tmp/seeds/tls

dns/:  every UDP or TCP port-53 payload (TCP ones keep their 2-byte length prefix).
tls/:  the client and the server byte stream of every TCP connection with TLS records (segments
       concatenated in capture order), each prefixed with two control bytes (fuzz_tls format).
http/: the client byte stream of every TCP connection carrying HTTP requests, and every UDP
       datagram that is an HTTP request (SSDP).
"""
import collections
import hashlib
import os
import subprocess
import sys


def tshark_rows(pcap, display_filter, fields):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", display_filter, "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True).stdout
    for line in out.splitlines():
        yield line.split("\t")


def unhex(field):
    """tshark's hex bytes; with tunnels a field holds one value per layer: take the innermost."""
    return bytes.fromhex(field.split(",")[-1].replace(":", ""))


def write(directory, data):
    if not data:
        return
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, hashlib.sha1(data).hexdigest()), "wb") as f:
        f.write(data)


def streams(pcap, display_filter):
    """Concatenated TCP payload per (stream, source port), for streams matching the filter."""
    wanted = {row[0] for row in tshark_rows(pcap, display_filter, ["tcp.stream"]) if row[0]}
    data = collections.OrderedDict()
    for stream, sport, payload in tshark_rows(pcap, "tcp.len > 0", ["tcp.stream", "tcp.srcport", "tcp.payload"]):
        if stream in wanted and payload:
            data.setdefault((stream, sport), bytearray()).extend(unhex(payload))
    return data


def main(pcap_dir, out):
    for name in sorted(os.listdir(pcap_dir)):
        if not (name.endswith(".pcap") or name.endswith(".pcapng")):
            continue
        pcap = os.path.join(pcap_dir, name)
        for udp, tcp in tshark_rows(pcap, "dns and (udp.port == 53 or tcp.port == 53)", ["udp.payload", "tcp.payload"]):
            write(os.path.join(out, "dns"), unhex(udp or tcp))
        for i, blob in enumerate(streams(pcap, "tls.handshake").values()):
            write(os.path.join(out, "tls"), bytes([i & 0xff, 0x5a]) + bytes(blob))
        for blob in streams(pcap, "http.request").values():
            if blob[:1].isalpha():
                write(os.path.join(out, "http"), bytes(blob))
        for (payload,) in tshark_rows(pcap, "udp and http.request", ["udp.payload"]):
            write(os.path.join(out, "http"), unhex(payload))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
