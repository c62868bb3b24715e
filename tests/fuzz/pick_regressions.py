#!/usr/bin/env python3
"""Pick a small, diverse regression set for tests/data/fuzz/<name>/ from a fuzzing corpus.

    tests/fuzz/pick_regressions.py FUZZER CORPUS_DIR OUT_DIR [--count N] [--max-bytes B]

Runs `FUZZER -merge=1` over CORPUS_DIR (into a scratch folder, keeping libFuzzer's merge
control file, which lists the coverage features of every input), then greedily takes the input
that adds the most features not yet covered, per kilobyte, among inputs of at most B bytes,
until N are taken or nothing new is added. The picks are copied to OUT_DIR named by the SHA-1
of their content (existing files there are kept). Standard library only.
"""

import argparse
import hashlib
import os
import shutil
import subprocess
import tempfile


def read_control(path):
    """{file path: set of features} from a libFuzzer merge control file."""
    with open(path) as f:
        lines = f.read().splitlines()
    count = int(lines[0])
    files = lines[2:2 + count]
    features = {}
    for line in lines[2 + count:]:
        parts = line.split()
        if len(parts) >= 2 and parts[0] == "FT":
            features[files[int(parts[1])]] = set(parts[2:])
    return features


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("fuzzer")
    ap.add_argument("corpus")
    ap.add_argument("out")
    ap.add_argument("--count", type=int, default=24)
    ap.add_argument("--max-bytes", type=int, default=8192)
    ap.add_argument("--extra", action="append", default=[], help="extra libFuzzer flag")
    args = ap.parse_args()

    scratch = tempfile.mkdtemp(prefix="pick-regressions-")
    try:
        control = os.path.join(scratch, "control")
        merged = os.path.join(scratch, "merged")
        os.mkdir(merged)
        subprocess.run([args.fuzzer, "-merge=1", f"-merge_control_file={control}", *args.extra,
                        merged, args.corpus], check=True, stdout=subprocess.DEVNULL,
                       stderr=subprocess.DEVNULL)
        features = read_control(control)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)

    candidates = {p: ft for p, ft in features.items() if 0 < os.path.getsize(p) <= args.max_bytes}
    covered, picks = set(), []
    while len(picks) < args.count and candidates:
        def gain(p):
            return len(candidates[p] - covered) / (1 + os.path.getsize(p) / 1024)
        best = max(sorted(candidates), key=gain)
        if not candidates[best] - covered:
            break
        covered |= candidates.pop(best)
        picks.append(best)

    os.makedirs(args.out, exist_ok=True)
    total = 0
    for p in picks:
        with open(p, "rb") as f:
            data = f.read()
        with open(os.path.join(args.out, hashlib.sha1(data).hexdigest()), "wb") as f:
            f.write(data)
        total += len(data)
    all_features = set().union(*features.values()) if features else set()
    print(f"{len(picks)} inputs, {total} bytes, {len(covered)} of {len(all_features)} features")


if __name__ == "__main__":
    main()
