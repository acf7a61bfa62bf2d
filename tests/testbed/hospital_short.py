#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hospital_short: runs the virtual hospital for two minutes with the short
scenario (testbed/scenarios/short.conf) and checks that every labelled
device and every labelled attack shows in the capture (by addresses and
ports, testbed/lib/pcapcheck.py), that every attack kind of the scenario
was labelled, and that the run left no namespace behind.

Skips, saying why, when not root or when namespaces or the testbed's
software are missing (scripts/install-deps --testbed, make testbed).
Last line "N passed, N failed".

  tests/testbed/hospital_short.py [--minutes M] [--keep DIR]
"""
import argparse
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "testbed", "lib"))
import pcapcheck  # noqa: E402

HOSPITAL = os.path.join(ROOT, "testbed", "hospital")
SCENARIO = os.path.join(ROOT, "testbed", "scenarios", "short.conf")


def skip(why):
    print("skip: " + why)
    print("0 passed, 0 failed")
    return 0


def scenario_kinds():
    kinds = set()
    with open(SCENARIO) as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if words:
                kinds.add(words[0])
    return kinds


def leftover_namespaces(pid):
    """The namespaces of the run with this pid (wwtbPID-...): another run's are not ours."""
    out = subprocess.run(["ip", "netns", "list"], capture_output=True, text=True).stdout
    prefix = "wwtb%d-" % pid
    return [line.split()[0] for line in out.splitlines() if line.startswith(prefix)]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=2)
    ap.add_argument("--keep", help="write the run here and keep it")
    args = ap.parse_args()
    if os.geteuid() != 0:
        return skip("not root; the virtual hospital needs network namespaces")
    out = args.keep or tempfile.mkdtemp(prefix="ww-hospital-")
    proc = subprocess.Popen([HOSPITAL, "run", "--minutes", str(args.minutes), "--scenario",
                             SCENARIO, "-o", out], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)
    stdout, stderr = proc.communicate()
    sys.stdout.write(stdout)
    if proc.returncode != 0 and ("must run as root" in stderr or "missing:" in stderr
                                 or "cannot create a network namespace" in stderr):
        return skip(stderr.strip())
    passed, failed = 0, 0

    def verdict(ok, what):
        nonlocal passed, failed
        print("%s %s" % ("ok  " if ok else "FAIL", what))
        passed, failed = passed + ok, failed + (not ok)

    verdict(proc.returncode == 0, "hospital run exits 0%s" % (
        "" if proc.returncode == 0 else ": " + stderr.strip()[-500:]))
    labels = os.path.join(out, "labels.jsonl")
    pcap = os.path.join(out, "capture.pcap")
    if os.path.exists(labels) and os.path.exists(pcap):
        problems, summary = pcapcheck.check(pcap, labels)
        devices, attacks = pcapcheck.read_labels(labels)
        for line in summary:
            print("  " + line)
        for d in devices:
            verdict(not any(p.startswith("device %s " % d["name"]) for p in problems),
                    "device %s seen in the capture" % d["name"])
        for a in attacks:
            verdict(not any(p.startswith("attack %s from %s at %s" % (
                a["kind"], a["attacker"]["ip"], a["start"])) for p in problems),
                "attack %s seen in the capture" % a["kind"])
        missing = scenario_kinds() - {a["kind"] for a in attacks}
        verdict(not missing, "every attack of the scenario labelled%s" % (
            "" if not missing else " (missing: %s)" % ", ".join(sorted(missing))))
    else:
        verdict(False, "capture.pcap and labels.jsonl written")
    left = leftover_namespaces(proc.pid)
    verdict(not left, "no namespace left behind%s" % ("" if not left else ": " + " ".join(left)))
    if not args.keep and failed == 0:
        shutil.rmtree(out, ignore_errors=True)
    elif failed:
        print("the run is kept in " + out)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
