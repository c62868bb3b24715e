#!/usr/bin/env python3
"""Write tests/data/proto/certificate_facts.tsv: the facts of every certificate tshark sees in the
corpus captures (those whose truth lists x509_sha1 values), for TlsCertificateCorpus.* tests,
which must not run tshark themselves:

    python3 tests/data/proto/certificate_facts.py ../shared/corpus > tests/data/proto/certificate_facts.tsv

Each certificate's DER comes from tshark (tls.handshake.certificate, dtls.handshake.certificate,
TCP/TLS reassembly on as in the truth). Its facts are computed without our code:

  sha1, sha256    hashlib over the DER;
  serial_number   the serial as an integer (Python's cryptography), written as the minimal
                  big-endian octets of its magnitude, lowercase hex joined by ':';
                  checked against tshark's x509af.serialNumber (the DER content octets);
  not_before/after  microseconds since the epoch (cryptography), checked against tshark's
                  x509af.utcTime / x509af.generalizedTime;
  subject, issuer RFC 4514 strings from cryptography's Name.rfc4514_string() (emailAddress in
                  dotted form, as ours);
  self_signed     1 when the issuer and subject Names encode to the same DER.

Needs tshark and python3-cryptography. Rows are sorted by capture and SHA-1, one per distinct
certificate of a capture. The script fails rather than write a row on which tshark and
cryptography disagree.
"""
import calendar
import datetime
import hashlib
import json
import os
import subprocess
import sys

from cryptography import x509

COLUMNS = ["capture", "sha1", "sha256", "serial_number", "not_before_us", "not_after_us", "self_signed",
           "subject", "issuer"]


def captures_with_certificates(corpus):
    """capture -> the set of x509_sha1 values of its truth."""
    truth = os.path.join(corpus, "truth")
    found = {}
    for name in sorted(os.listdir(truth)):
        if not name.endswith(".tsv") or name == "SUMMARY.tsv":
            continue
        with open(os.path.join(truth, name), encoding="utf-8") as f:
            sha1s = {line.split("\t")[1] for line in f if line.startswith("x509_sha1\t")}
        if sha1s:
            found[name[: -len(".tsv")]] = sha1s
    return found


def as_list(v):
    return v if isinstance(v, list) else [v]


def certificates_of(pcap):
    """(DER bytes, its tshark dissection tree) for every certificate of every frame."""
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "tls.handshake.certificate or dtls.handshake.certificate",
                          "-T", "json", "--no-duplicate-keys"], capture_output=True, text=True, check=True).stdout
    found = []

    def walk(node):
        if isinstance(node, dict):
            for proto in ("tls", "dtls"):
                key = proto + ".handshake.certificate"
                if key in node:
                    ders, trees = as_list(node[key]), as_list(node.get(key + "_tree", []))
                    if len(ders) != len(trees):
                        sys.exit(f"{pcap}: {len(ders)} certificates but {len(trees)} dissections")
                    for der, tree in zip(ders, trees):
                        found.append((bytes.fromhex(der.replace(":", "")), tree))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(json.loads(out))
    return found


def tshark_values(tree, key):
    """Every value of `key` in the dissection tree, in order."""
    values = []

    def walk(node):
        if isinstance(node, dict):
            for k, v in node.items():
                if k == key:
                    values.extend(as_list(v))
                else:
                    walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return values


def serial_text(n):
    if n < 0:  # non-conforming: the two's complement octets, as encoded
        length = (n.bit_length() + 8) // 8
        octets = n.to_bytes(length, "big", signed=True)
    else:
        octets = n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")
    return ":".join(f"{b:02x}" for b in octets)


def micros(dt):
    return calendar.timegm(dt.utctimetuple()) * 1000000 + dt.microsecond


def tshark_time(text):
    """UTCTime '2015-10-10 15:55:47 (UTC)' or GeneralizedTime 'Apr 15, 2024 23:59:59.000000000 UTC'
    (tshark 4.0's two spellings) -> microseconds since the epoch."""
    if text.endswith(" (UTC)"):
        dt = datetime.datetime.strptime(text[: -len(" (UTC)")], "%Y-%m-%d %H:%M:%S")
        return calendar.timegm(dt.utctimetuple()) * 1000000
    date, fraction = text[: -len(" UTC")].rsplit(".", 1)
    dt = datetime.datetime.strptime(" ".join(date.split()), "%b %d, %Y %H:%M:%S")
    return calendar.timegm(dt.utctimetuple()) * 1000000 + int(fraction[:6].ljust(6, "0"))


def facts(capture, der, tree):
    cert = x509.load_der_x509_certificate(der)
    row = {
        "capture": capture,
        "sha1": hashlib.sha1(der).hexdigest(),
        "sha256": hashlib.sha256(der).hexdigest(),
        "serial_number": serial_text(cert.serial_number),
        "not_before_us": micros(cert.not_valid_before_utc),
        "not_after_us": micros(cert.not_valid_after_utc),
        "self_signed": int(cert.issuer.public_bytes() == cert.subject.public_bytes()),
        "subject": cert.subject.rfc4514_string(),
        "issuer": cert.issuer.rfc4514_string(),
    }
    # tshark's view of the same certificate.
    serials = tshark_values(tree, "x509af.serialNumber")
    content = bytes.fromhex(serials[0].replace(":", "")) if len(serials) == 1 else None
    if content is None or int.from_bytes(content, "big", signed=True) != cert.serial_number:
        sys.exit(f"{capture} {row['sha1']}: tshark serial {serials} != {cert.serial_number:x}")
    times = [tshark_time(t) for t in tshark_values(tree, "x509af.utcTime") + tshark_values(tree, "x509af.generalizedTime")]
    if sorted(times) != sorted([row["not_before_us"], row["not_after_us"]]):
        sys.exit(f"{capture} {row['sha1']}: tshark validity {times} != cryptography's")
    for column in ("subject", "issuer"):
        if any(c in row[column] for c in "\t\r\n"):
            sys.exit(f"{capture} {row['sha1']}: {column} holds a TAB or line break")
    return row


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: certificate_facts.py CORPUS_DIR > certificate_facts.tsv")
    corpus = sys.argv[1]
    rows = {}
    for capture, truth_sha1s in captures_with_certificates(corpus).items():
        for der, tree in certificates_of(os.path.join(corpus, "pcap", capture)):
            row = facts(capture, der, tree)
            rows[(capture, row["sha1"])] = row
        sha1s = {sha1 for (c, sha1) in rows if c == capture}
        if sha1s != truth_sha1s:
            sys.exit(f"{capture}: certificates {sorted(sha1s ^ truth_sha1s)} differ from the truth")
    print("\t".join(COLUMNS))
    for key in sorted(rows):
        print("\t".join(str(rows[key][c]) for c in COLUMNS))


if __name__ == "__main__":
    main()
