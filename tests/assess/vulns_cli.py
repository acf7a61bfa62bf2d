#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""vulns_cli: continuous vulnerability management with `wardwatch vulns`.

After `wardwatch analyze` has stored the hospital sample's devices:

- matching again with an unchanged catalog adds no finding;
- importing a CISA KEV file that names a product one of the stored devices shows (the
  sample's Nihon Kohden monitor, under a CVE id reserved for this test) adds exactly that
  finding, for that device, without a new capture, and keeps the file in the database;
- matching again adds nothing new;
- a malformed file is refused whole: exit status 1, the reason named, nothing stored;
- a later `analyze` into the same directory applies the stored import by itself.

Prints a line per check, then "N passed, M failed". Needs no root.

  tests/assess/vulns_cli.py [--wardwatch PATH]
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TEST_CVE = "CVE-2099-0001"  # not a real CVE: the test's own entry
KEV = {"title": "test", "catalogVersion": "2099.01.01", "count": 1, "vulnerabilities": [
    {"cveID": TEST_CVE, "vendorProject": "Nihon Kohden", "product": "BSM-3500",
     "vulnerabilityName": "test", "shortDescription": "a test entry"}]}
BAD = {"catalogVersion": "2099.01.02", "vulnerabilities": [{"cveID": "CVE-2099-0002"},
                                                           {"cveID": "not-a-cve"}]}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    a = ap.parse_args()
    env = dict(os.environ, WARDWATCH_DATA=os.path.join(ROOT, "data"))
    counts = [0, 0]

    def tally(ok, what):
        counts[0 if ok else 1] += 1
        print("%s %s" % ("ok  " if ok else "FAIL", what))

    def vulns(db, *args):
        p = subprocess.run([a.wardwatch, "vulns", "--db", db, "--json", *args], env=env,
                           capture_output=True, text=True)
        return p.returncode, (json.loads(p.stdout) if p.returncode == 0 else None), p.stderr

    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "out")
        db = os.path.join(out, "wardwatch.db")
        subprocess.run([a.wardwatch, "analyze", "-q", "-o", out,
                        os.path.join(ROOT, "samples/hospital.pcap")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        rc, doc, _ = vulns(db)
        tally(rc == 0 and doc["new"] == [], "the same catalog again: no new finding")
        kev = os.path.join(tmp, "kev.json")
        with open(kev, "w") as f:
            json.dump(KEV, f)
        rc, doc, err = vulns(db, "--import", kev)
        new = doc["new"] if doc else []
        tally(rc == 0 and [(n["ip"], n["cve"]) for n in new] == [("10.20.1.22", TEST_CVE)],
              "a KEV import naming the monitor's product: one new finding on it (%s)"
              % ([(n["ip"], n["cve"]) for n in new] or err.strip()))
        tally(bool(new) and "known exploited" in new[0]["evidence"]
              and "confidence medium" in new[0]["evidence"],
              "the finding says it is known exploited, version unknown")
        rc, doc, _ = vulns(db)
        tally(rc == 0 and doc["new"] == [], "again: nothing new")
        bad = os.path.join(tmp, "bad.json")
        with open(bad, "w") as f:
            json.dump(BAD, f)
        rc, _, err = vulns(db, "--import", bad)
        con = sqlite3.connect(db)
        stored = con.execute("SELECT count(*) FROM vuln_imports").fetchone()[0]
        con.close()
        tally(rc == 1 and "not-a-cve" in err and "nothing imported" in err and stored == 1,
              "a malformed file refused whole, its reason named (%s)" % err.strip())
        subprocess.run([a.wardwatch, "analyze", "-q", "-o", out,
                        os.path.join(ROOT, "samples/hospital.pcap")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        with open(os.path.join(out, "eve.json")) as f:
            raised = [e for e in map(json.loads, f) if e["event_type"] == "finding"
                      and e["finding"].get("detail") == TEST_CVE]
        tally(len(raised) == 1, "a later analyze applies the stored import (its own event)")
    print("%d passed, %d failed" % (counts[0], counts[1]))
    return 1 if counts[1] else 0


if __name__ == "__main__":
    sys.exit(main())
