#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Capture regression runner: runs `wardwatch analyze` on each case in
tests/pcap/<case>/ and compares the events it writes with the case's
expected.json, field by field. Prints "N passed, N failed" last.

A case folder holds:
  input.pcap (or input*.pcap*, several read as one timeline)
  options        optional: extra analyze arguments, one per line
  expected.json  {"exit": 0, "expect": [CHECK, ...]}

A CHECK selects events: "event_type" and "match" (dotted field -> value);
then "count" (exact number selected, or {"min": a, "max": b}) and "fields"
(dotted field -> value that at least one selected event must have; a value
may be {"$gt": n}, {"$lt": n}, {"$ne": v} or {"$absent": true}).
Timestamps are compared only where a case names them.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from eve import MISSING, get_path, load_events  # noqa: E402


def value_ok(actual, want):
    if isinstance(want, dict) and len(want) == 1 and next(iter(want)).startswith("$"):
        op, arg = next(iter(want.items()))
        if op == "$absent":
            return (actual is MISSING) == bool(arg)
        if actual is MISSING:
            return False
        if op == "$gt":
            return actual > arg
        if op == "$lt":
            return actual < arg
        if op == "$ne":
            return actual != arg
        raise ValueError("unknown operator " + op)
    return actual is not MISSING and actual == want


def count_ok(n, want):
    if isinstance(want, int):
        return n == want
    return want.get("min", 0) <= n <= want.get("max", n)


def check(events, spec):
    """Returns a list of problems, empty when the check holds."""
    sel = [e for e in events if e.get("event_type") == spec["event_type"]
           and all(value_ok(get_path(e, k), v) for k, v in spec.get("match", {}).items())]
    problems = []
    label = "%s %s" % (spec["event_type"], json.dumps(spec.get("match", {}), sort_keys=True))
    if "count" in spec and not count_ok(len(sel), spec["count"]):
        problems.append("%s: %d events, expected %s" % (label, len(sel), spec["count"]))
    fields = spec.get("fields", {})
    if fields and not any(all(value_ok(get_path(e, k), v) for k, v in fields.items())
                          for e in sel):
        near = sel[0] if sel else None
        diffs = []
        for k, v in fields.items():
            got = get_path(near, k) if near is not None else MISSING
            if not value_ok(got, v):
                diffs.append("%s=%s (expected %s)" % (k, "absent" if got is MISSING
                                                       else json.dumps(got), json.dumps(v)))
        problems.append("%s: no event has all fields; first differs in %s"
                        % (label, ", ".join(diffs) if diffs else "nothing (no event)"))
    return problems


def run_case(wardwatch, case_dir):
    with open(os.path.join(case_dir, "expected.json"), encoding="utf-8") as fh:
        expected = json.load(fh)
    opts_path = os.path.join(case_dir, "options")
    opts = []
    if os.path.exists(opts_path):
        with open(opts_path, encoding="utf-8") as fh:
            opts = [l.strip() for l in fh if l.strip() and not l.startswith("#")]
    inputs = sorted(glob.glob(os.path.join(case_dir, "input*.pcap*")))
    with tempfile.TemporaryDirectory() as out:
        proc = subprocess.run([wardwatch, "analyze", "-q", "-o", out] + opts + inputs,
                              capture_output=True, text=True, timeout=300)
        problems = []
        if proc.returncode != expected.get("exit", 0):
            problems.append("exit %d, expected %d; stderr: %s"
                            % (proc.returncode, expected.get("exit", 0), proc.stderr.strip()))
        for needle in expected.get("stderr", []):
            if needle not in proc.stderr:
                problems.append("stderr lacks %r" % needle)
        events = load_events(os.path.join(out, "eve.json"))
        for spec in expected.get("expect", []):
            problems.extend(check(events, spec))
    return problems


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default="./wardwatch")
    ap.add_argument("cases", nargs="*", help="case folders (default: all)")
    args = ap.parse_args()
    here = os.path.dirname(os.path.abspath(__file__))
    cases = args.cases or sorted(d for d in glob.glob(os.path.join(here, "*"))
                                 if os.path.exists(os.path.join(d, "expected.json")))
    passed = failed = 0
    for case in cases:
        name = os.path.basename(case.rstrip("/"))
        try:
            problems = run_case(args.wardwatch, case)
        except (OSError, ValueError, subprocess.SubprocessError) as exc:
            problems = ["could not run: %s" % exc]
        if problems:
            failed += 1
            print("FAIL pcap/%s" % name)
            for p in problems:
                print("     " + p)
        else:
            passed += 1
            print("ok   pcap/%s" % name)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
