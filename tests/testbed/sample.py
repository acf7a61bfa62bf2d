#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""sample: the committed virtual-hospital sample agrees with its labels.

samples/hospital.pcap and samples/hospital.labels.jsonl were made by
testbed/hospital. Every labelled device must have sent frames from its MAC
and IP, and every labelled attack must have packets from its attacker to
its victims inside its time window (testbed/lib/pcapcheck.py); the attacks
must lie in the capture's second half, as the sample promises. Then
wardwatch analyzes the sample: it must exit 0 and find a device for every
labelled MAC. Needs no root. Last line "N passed, N failed".

  tests/testbed/sample.py [--wardwatch PATH]
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "testbed", "lib"))
import pcapcheck  # noqa: E402

PCAP = os.path.join(ROOT, "samples", "hospital.pcap")
LABELS = os.path.join(ROOT, "samples", "hospital.labels.jsonl")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    args = ap.parse_args()
    passed, failed = 0, 0

    def verdict(ok, what):
        nonlocal passed, failed
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        passed, failed = passed + ok, failed + (not ok)

    problems, summary = pcapcheck.check(PCAP, LABELS)
    devices, attacks = pcapcheck.read_labels(LABELS)
    for line in summary:
        print("  " + line)
    for p in problems:
        print("  problem: " + p)
    verdict(not problems, "%d devices and %d attacks of the labels seen in the capture"
            % (len(devices), len(attacks)))
    times = [pkt[0] for pkt in pcapcheck.packets(PCAP)]
    middle = (times[0] + times[-1]) / 2
    early = [a["kind"] for a in attacks if a["start_ts"] < middle]
    verdict(not early, "every attack in the second half%s" % (
        "" if not early else " (not: %s)" % ", ".join(early)))

    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([args.wardwatch, "analyze", "-q", "-o", out, PCAP],
                              capture_output=True, text=True)
        verdict(proc.returncode == 0, "wardwatch analyze exits 0 " + proc.stderr.strip())
        listed = subprocess.run([args.wardwatch, "devices", "--db",
                                 os.path.join(out, "wardwatch.db"), "--json"],
                                capture_output=True, text=True)
        try:
            macs = {d.get("mac") for d in json.loads(listed.stdout)["devices"]}
        except (ValueError, KeyError):
            macs = set()
        unseen = [d["name"] for d in devices if d["mac"] not in macs]
        verdict(not unseen, "wardwatch lists a device for every labelled MAC%s" % (
            "" if not unseen else " (not: %s)" % ", ".join(unseen)))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
