#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""hospital_eval: wardwatch's anomalies against a virtual-hospital capture's labels.

wardwatch learns on the benign first part of the capture (--learn: from
the first packet to LEAD seconds before the first labelled attack, unless
given) and detects on the rest. Then, from eve.json's behaviour anomalies:

- an attack is detected when an anomaly between its start (less SLACK_S)
  and its end (plus AFTER_S) involves its attacker: the attacker's address
  is the anomaly's device, its peer, or an end of its flow. The delay is
  the first such anomaly's time less the attack's start.
- an anomaly in the same span that involves one of the attack's victims
  (the broker relaying a flood to its subscribers, say) is explained by
  the attack: neither a detection nor a false alert.
- every other anomaly is a false alert. A device is falsely alerted when
  a false alert names it as the device. The rate is such devices per 100
  device-hours: labelled devices times the hours of detection.

Prints a row per attack, then the false alerts, then "N passed, N failed":
one check per attack (detected), one for the false-alert target (at most
1 falsely alerted device per 100 device-hours). Needs no root.

  tests/detect/hospital_eval.py [--wardwatch PATH] [--pcap FILE --labels FILE]
                                [--learn S] [--ensemble] [--model FILE] [--only KIND]
                                [--json]

--ensemble adds layer two (wardwatch analyze --ensemble); its anomalies
count as the others do. --model scores with a saved ensemble model.
--only counts only the anomalies of one kind (e.g. ensemble).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
LEAD_S = 5          # learning stops this long before the first attack
SLACK_S = 1.0       # an anomaly this early still counts (clock rounding)
AFTER_S = 60.0      # ... and this late after the attack's end
FALSE_PER_100H = 1.0


def read_labels(path):
    devices, attacks = [], []
    with open(path) as f:
        for line in f:
            rec = json.loads(line)
            if rec.get("type") == "device":
                devices.append(rec)
            elif rec.get("type") == "attack":
                attacks.append(rec)
    return devices, attacks


def epoch(ts):
    """Seconds since the epoch of an EVE timestamp (2026-12-04T12:33:18.311323+0000)."""
    import datetime
    return datetime.datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def involved(ev):
    a = ev["anomaly"]
    ips = {ev.get("src_ip"), ev.get("dest_ip")}
    for key in ("device", "peer"):
        if key in a and "ip" in a[key]:
            ips.add(a[key]["ip"])
    return ips - {None}


def run_wardwatch(wardwatch, pcap, learn, out, extra=()):
    proc = subprocess.run([wardwatch, "analyze", "-q", "--json", "--learn", str(learn), "-o",
                           out, *extra, pcap], capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit("hospital_eval: wardwatch analyze failed: " + proc.stderr.strip())
    summary = json.loads(proc.stdout)
    anomalies = []
    with open(os.path.join(out, "eve.json")) as f:
        for line in f:
            ev = json.loads(line)
            if ev.get("event_type") == "anomaly" and ev["anomaly"].get("type") == "behaviour":
                ev["t"] = epoch(ev["timestamp"])
                anomalies.append(ev)
    return summary, anomalies


def match(attacks, anomalies):
    """Per attack, the anomalies that count for it; and the anomalies no attack explains."""
    used = set()
    found = []
    for at in attacks:
        during = [ev for ev in anomalies
                  if at["start_ts"] - SLACK_S <= ev["t"] <= at["end_ts"] + AFTER_S]
        hits = [ev for ev in during if at["attacker"]["ip"] in involved(ev)]
        victims = {v["ip"] for v in at.get("victims", [])}
        used.update(id(ev) for ev in during if involved(ev) & victims)
        used.update(id(ev) for ev in hits)
        found.append(hits)
    false = [ev for ev in anomalies if id(ev) not in used]
    return found, false


def default_learn(first, attacks):
    """Learning period in whole seconds: from first (epoch s) to LEAD_S before the first attack."""
    return max(1, int(attacks[0]["start_ts"] - first) - LEAD_S)


def attack_rows(attacks, found):
    """One result row per attack from match()'s anomalies."""
    rows = []
    for at, hits in zip(attacks, found):
        first_hit = min(hits, key=lambda ev: ev["t"]) if hits else None
        rows.append({"kind": at["kind"], "attacker": at["attacker"]["ip"],
                     "detected": bool(hits),
                     "delay_s": round(first_hit["t"] - at["start_ts"], 3) if hits else None,
                     "first_anomaly": first_hit["anomaly"]["kind"] if hits else None,
                     "anomalies": len(hits)})
    return rows


def false_alert_rate(false, device_hours):
    """The falsely alerted devices' addresses, and how many per 100 device-hours."""
    false_devices = sorted({ev["anomaly"]["device"].get("ip", "?") for ev in false
                            if "device" in ev["anomaly"]})
    rate = 100 * len(false_devices) / device_hours if device_hours > 0 else 0.0
    return false_devices, rate


def print_attack_rows(rows):
    print("%-20s %-14s %-9s %8s  %s" % ("attack", "attacker", "detected", "delay s",
                                       "first anomaly (of n)"))
    for r in rows:
        print("%-20s %-14s %-9s %8s  %s" % (
            r["kind"], r["attacker"], "yes" if r["detected"] else "NO",
            "%.2f" % r["delay_s"] if r["detected"] else "-",
            "%s (of %d)" % (r["first_anomaly"], r["anomalies"]) if r["detected"] else "-"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    ap.add_argument("--pcap", default=os.path.join(ROOT, "samples", "hospital.pcap"))
    ap.add_argument("--labels", default=os.path.join(ROOT, "samples", "hospital.labels.jsonl"))
    ap.add_argument("--learn", type=int)
    ap.add_argument("--ensemble", action="store_true", help="layer two as well")
    ap.add_argument("--model", help="layer two with this saved model")
    ap.add_argument("--only", help="count only anomalies of this kind")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON document")
    args = ap.parse_args()

    devices, attacks = read_labels(args.labels)
    attacks.sort(key=lambda a: a["start_ts"])
    with tempfile.TemporaryDirectory() as out:
        learn = args.learn
        if learn is None:
            summary, _ = run_wardwatch(args.wardwatch, args.pcap, 0, out)
            first = epoch(summary["capture"]["first"])
            learn = default_learn(first, attacks)
        extra = ["--model", args.model] if args.model else ["--ensemble"] if args.ensemble else []
        summary, anomalies = run_wardwatch(args.wardwatch, args.pcap, learn, out, extra)
    if args.only:
        anomalies = [ev for ev in anomalies if ev["anomaly"]["kind"] == args.only]
    first, last = epoch(summary["capture"]["first"]), epoch(summary["capture"]["last"])
    detect_h = max(0.0, last - first - learn) / 3600
    device_hours = len(devices) * detect_h
    found, false = match(attacks, anomalies)
    false_devices, rate = false_alert_rate(false, device_hours)
    rows = attack_rows(attacks, found)
    result = {"learn_s": learn, "detect_hours": round(detect_h, 4), "devices": len(devices),
              "device_hours": round(device_hours, 3), "attacks": rows,
              "false_alerts": len(false), "false_devices": false_devices,
              "false_devices_per_100_device_hours": round(rate, 2)}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        print("learned %d s; detection on %.1f min of %d devices (%.2f device-hours)"
              % (learn, detect_h * 60, len(devices), device_hours))
        print_attack_rows(rows)
        for ev in false:
            print("false alert: %s %s" % (ev["timestamp"], ev["anomaly"]["reason"]))
        print("false alerts %d, falsely alerted devices %d: %.2f per 100 device-hours "
              "(target <= %.0f)" % (len(false), len(false_devices), rate, FALSE_PER_100H))
    passed = sum(r["detected"] for r in rows) + (rate <= FALSE_PER_100H)
    failed = len(rows) + 1 - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
