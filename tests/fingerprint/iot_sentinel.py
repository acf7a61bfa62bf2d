#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""iot_sentinel: device-type identification on the IoT Sentinel captures.

Split (fixed, stated): within each folder of ../shared/data/iot-sentinel,
captures sorted by name; the first 70% (rounded up, at least one) train,
the rest test. A folder with one capture trains only. Labels are the 27
types of the IoT Sentinel paper: the two devices of EdimaxCam, EdnetCam,
WeMoInsightSwitch and WeMoSwitch share their type, so their folders'
trailing "1"/"2" is dropped. The MAC of each capture's device comes from
the folder's _iotdevice-mac.txt.

Runs `wardwatch fingerprint train` on the training rows and `wardwatch
fingerprint identify --json` on the test captures, reads the line of each
capture's labelled MAC, and prints accuracy per type and overall. An
"unknown" verdict counts as wrong. It says whether the issue's target
(0.90) is met; as a test it guards against regression: last line "1
passed, 0 failed" when overall accuracy is at least FLOOR (0.85, below the
0.872 measured when the test was written), "0 passed, 1 failed" otherwise,
and "0 passed, 0 failed" when the data is absent. iKettle2 and
SmarterCoffee send byte-identical traffic but for their MAC-derived DHCP
host names, which the model deliberately does not learn (it would be
recognising the unit, not the type): they are answered "unknown".

  tests/fingerprint/iot_sentinel.py [--wardwatch PATH] [--data DIR] [--keep DIR]
"""
import argparse
import collections
import json
import math
import os
import subprocess
import sys
import tempfile

TARGET = 0.90
FLOOR = 0.85
TRAIN_FRACTION = 0.7
# Folders holding the second device of a type, as the IoT Sentinel paper counts types.
SAME_TYPE = {
    "EdimaxCam1": "EdimaxCam", "EdimaxCam2": "EdimaxCam",
    "EdnetCam1": "EdnetCam", "EdnetCam2": "EdnetCam",
    "WeMoInsightSwitch2": "WeMoInsightSwitch", "WeMoSwitch2": "WeMoSwitch",
}


def read_mac(folder):
    with open(os.path.join(folder, "_iotdevice-mac.txt")) as f:
        return f.read().strip().lower()


def build_split(data):
    """Returns (train, test): lists of (path, mac, label, folder)."""
    train, test = [], []
    for name in sorted(os.listdir(data)):
        folder = os.path.join(data, name)
        if not os.path.isfile(os.path.join(folder, "_iotdevice-mac.txt")):
            continue
        mac = read_mac(folder)
        caps = sorted(c for c in os.listdir(folder) if c.endswith(".pcap"))
        n_train = max(1, math.ceil(len(caps) * TRAIN_FRACTION))
        label = SAME_TYPE.get(name, name)
        for i, cap in enumerate(caps):
            row = (os.path.abspath(os.path.join(folder, cap)), mac, label, name)
            (train if i < n_train else test).append(row)
    return train, test


def main():
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap = argparse.ArgumentParser()
    ap.add_argument("--wardwatch", default=os.path.join(root, "wardwatch"))
    ap.add_argument("--data", default=os.path.join(root, "..", "shared", "data", "iot-sentinel"))
    ap.add_argument("--keep", help="write the labels, model and verdicts here")
    args = ap.parse_args()

    if not os.path.isdir(args.data):
        print(f"skip: {args.data} is absent; nothing to measure")
        print("0 passed, 0 failed")
        return 0
    train, test = build_split(args.data)
    work = args.keep or tempfile.mkdtemp(prefix="ww-fp-")
    os.makedirs(work, exist_ok=True)
    labels = os.path.join(work, "train.csv")
    model = os.path.join(work, "model.txt")
    with open(labels, "w") as f:
        f.write("path,mac,label\n")
        for path, mac, label, _ in train:
            f.write(f"{path},{mac},{label}\n")

    r = subprocess.run([args.wardwatch, "fingerprint", "train", "-o", model, labels],
                       capture_output=True, text=True)
    sys.stdout.write(r.stdout)
    sys.stderr.write(r.stderr)
    if r.returncode != 0:
        print(f"train failed with status {r.returncode}")
        print("0 passed, 1 failed")
        return 1
    r = subprocess.run([args.wardwatch, "fingerprint", "identify", "--model", model, "--json"]
                       + [t[0] for t in test], capture_output=True, text=True)
    sys.stderr.write(r.stderr)
    if args.keep:
        with open(os.path.join(work, "verdicts.jsonl"), "w") as f:
            f.write(r.stdout)
    verdict = {}
    for line in r.stdout.splitlines():
        v = json.loads(line)
        verdict[(v["file"], v["mac"])] = v

    per = collections.defaultdict(lambda: [0, 0, 0])  # right, unknown, total
    top1 = 0  # the most likely type right, threshold ignored
    confusion = collections.Counter()
    for path, mac, label, _ in test:
        v = verdict.get((path, mac), {"label": "unknown", "best": "(no packets)"})
        per[label][2] += 1
        top1 += v.get("best") == label
        if v["label"] == label:
            per[label][0] += 1
        elif v["label"] == "unknown":
            per[label][1] += 1
            confusion[(label, "unknown/" + v.get("best", "?"))] += 1
        else:
            confusion[(label, v["label"])] += 1

    print(f"split: per folder, captures sorted by name, first {TRAIN_FRACTION:.0%} train; "
          f"{len(train)} train, {len(test)} test captures, {len(per)} types")
    print(f"{'type':22} {'right':>5} {'unknown':>7} {'test':>4}  accuracy")
    for label in sorted(per):
        right, unk, total = per[label]
        print(f"{label:22} {right:5d} {unk:7d} {total:4d}  {right / total:.3f}")
    right = sum(v[0] for v in per.values())
    unknown = sum(v[1] for v in per.values())
    total = sum(v[2] for v in per.values())
    overall = right / total if total else 0.0
    macro = sum(v[0] / v[2] for v in per.values()) / len(per) if per else 0.0
    for (truth, said), n in sorted(confusion.items()):
        print(f"  wrong: {truth} -> {said} x{n}")
    print(f"overall accuracy {overall:.3f} ({right}/{total}; {unknown} unknown, counted wrong); "
          f"mean per type {macro:.3f}; target {TARGET:.2f}")
    if total:
        print(f"most likely type right, threshold ignored: {top1 / total:.3f} ({top1}/{total})")
    print("target %.2f %s" % (TARGET, "met" if overall >= TARGET else "NOT met"))
    ok = overall >= FLOOR
    print("1 passed, 0 failed" if ok else "0 passed, 1 failed")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
