#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""risk_eval: the risk ranking and attack paths on the virtual hospital sample.

wardwatch analyzes samples/hospital.pcap, learning on the 312 s before the first attack
(as tests/detect/hospital_eval.py does) so that the attacks raise alerts, then
`wardwatch risk --json --paths` ranks the stored devices. Checks:

- the device that accepted a published default password (the legacy pump) ranks first;
- every device in the top five has default credentials or a known vulnerability;
- the top five hold no device of low criticality;
- the best attack path starts at the attacker's laptop (its alerts make it an entry point)
  and reaches the legacy pump over telnet, the hop's reason naming the default password;
- every factor and hop says why in words.

Prints a line per check, then "N passed, M failed". Needs no root.

  tests/assess/risk_eval.py [--wardwatch PATH]
"""
import argparse
import json
import os
import sqlite3
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEARN_S = 312
PUMP, LAPTOP = "10.20.1.33", "10.20.1.66"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    a = ap.parse_args()
    env = dict(os.environ, WARDWATCH_DATA=os.path.join(ROOT, "data"))
    counts = [0, 0]

    def tally(ok, what):
        counts[0 if ok else 1] += 1
        print("%s %s" % ("ok  " if ok else "FAIL", what))

    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run([a.wardwatch, "analyze", "-q", "--learn", str(LEARN_S), "-o", tmp,
                        os.path.join(ROOT, "samples/hospital.pcap")], env=env, check=True,
                       stdout=subprocess.DEVNULL)
        db = os.path.join(tmp, "wardwatch.db")
        doc = json.loads(subprocess.run([a.wardwatch, "risk", "--db", db, "--json", "--paths",
                                         "--top", "1000"], env=env, check=True,
                                        capture_output=True, text=True).stdout)
        con = sqlite3.connect(db)
        kinds = {}
        for ip, kind in con.execute("SELECT d.ip, f.kind FROM findings f"
                                    " JOIN devices d ON d.id = f.device_id"):
            kinds.setdefault(ip, set()).add(kind)
        con.close()
    devices, paths = doc["devices"], doc["paths"]
    rank = [d["ip"] for d in devices]
    weak = {ip for ip, k in kinds.items() if k & {"default_credentials", "vulnerability"}}
    for d in devices[:5]:
        print("     %3d %-15s %-16s %s" % (d["score"], d["ip"], d["criticality"],
                                          d["factors"][0]["text"][:70] if d["factors"] else ""))
    tally(rank and rank[0] == PUMP and "default_credentials" in kinds.get(PUMP, ()),
          "the pump with a default password ranks first (%s)" % (rank[:1] or "none"))
    tally(all(ip in weak for ip in rank[:5]),
          "every device of the top five has default credentials or a known vulnerability")
    tally(all(d["criticality"] != "low" for d in devices[:5]),
          "no device of low criticality in the top five")
    best = paths[0]["hops"] if paths else []
    tally(len(best) == 2 and best[0]["ip"] == LAPTOP and best[1]["ip"] == PUMP
          and best[1]["service"] == "tcp/23" and "default password" in best[1]["why"],
          "the best attack path: the attacker's laptop to the pump over telnet (%s)"
          % " -> ".join("%s %s" % (h["ip"], h["service"]) for h in best))
    tally(all(f["text"] for d in devices for f in d["factors"])
          and all(h["why"] for p in paths for h in p["hops"]),
          "every factor and hop says why")
    print("%d passed, %d failed" % (counts[0], counts[1]))
    return 1 if counts[1] else 0


if __name__ == "__main__":
    sys.exit(main())
