#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Peer check: wardwatch's flow events against Suricata's on the same
captures. For each conversation (protocol and both endpoints) the packet
count, byte count and Community ID must agree. Captures are this project's
regression inputs plus, when ../shared/data is present, a list of real
captures that hold none of what wardwatch documents it does differently
(IP fragments, which Suricata reassembles; tunnels; snap-length cuts).
Prints one line per capture and "N passed, N failed" last.
"""
import argparse
import collections
import ipaddress
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OWN = ["tcp-session", "vlan", "ipv6-ext", "icmp", "timeouts", "lifetime", "real-http",
       "eviction"]
SHARED = ["ndpi/pcap/" + n for n in [
    "hl7.pcap", "mqtt.pcap", "dns.pcap", "telnet.pcap", "ftp.pcap", "ssh.pcap",
    "http_ipv6.pcap", "android.pcap", "tls_alert.pcap", "bad-dns-traffic.pcap",
    "dhcp-fuzz.pcapng", "snmp.pcap", "upnp.pcap", "modbus.pcap", "NTPv4.pcap",
    "http_auth.pcap", "ssdp-m-search.pcap", "sonos.pcapng", "coap_mqtt.pcap"]]
SURICATA_ARGS = ["--runmode", "single", "-k", "none", "-S", "/dev/null",
                 "--set", "outputs.1.eve-log.community-id=true"]


def conversations(eve_path):
    conv = collections.defaultdict(lambda: [0, 0, set()])
    with open(eve_path, encoding="utf-8") as fh:
        for line in fh:
            e = json.loads(line)
            if e.get("event_type") != "flow":
                continue
            ends = sorted([(str(ipaddress.ip_address(e["src_ip"])), e.get("src_port", 0)),
                           (str(ipaddress.ip_address(e["dest_ip"])), e.get("dest_port", 0))])
            c = conv[(e["proto"], tuple(e.get("vlan", [])), tuple(ends))]
            f = e["flow"]
            c[0] += f["pkts_toserver"] + f["pkts_toclient"]
            c[1] += f["bytes_toserver"] + f["bytes_toclient"]
            c[2].add(e.get("community_id"))
    return conv


def compare(wardwatch, capture):
    with tempfile.TemporaryDirectory() as tmp:
        ww_dir = os.path.join(tmp, "ww")
        subprocess.run([wardwatch, "analyze", "-q", "-o", ww_dir, capture],
                       capture_output=True, timeout=300, check=True)
        subprocess.run(["suricata", "-r", capture, "-l", tmp] + SURICATA_ARGS,
                       capture_output=True, timeout=300, check=True)
        ours = conversations(os.path.join(ww_dir, "eve.json"))
        theirs = conversations(os.path.join(tmp, "eve.json"))
    diffs = []
    for key in sorted(set(ours) | set(theirs), key=str):
        a, b = ours.get(key), theirs.get(key)
        if a != b:
            diffs.append("%s: wardwatch %s, suricata %s" % (key, a, b))
    return len(set(ours) | set(theirs)), diffs


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    ap.add_argument("--data", default=os.environ.get(
        "WW_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data")))
    args = ap.parse_args()
    if shutil.which("suricata") is None:
        print("skip peer/suricata: suricata is not installed (scripts/install-deps)")
        print("0 passed, 0 failed")
        return 0
    captures = [os.path.join(ROOT, "tests", "pcap", c, "input.pcap") for c in OWN]
    if os.path.isdir(args.data):
        captures += [os.path.join(args.data, s) for s in SHARED
                     if os.path.exists(os.path.join(args.data, s))]
    else:
        print("note: %s is absent; comparing on the project's own captures" % args.data)
    passed = failed = 0
    for cap in captures:
        name = os.path.relpath(cap, os.path.dirname(os.path.dirname(cap)))
        try:
            n, diffs = compare(args.wardwatch, cap)
        except (subprocess.SubprocessError, OSError, ValueError) as exc:
            n, diffs = 0, ["could not run: %s" % exc]
        if diffs:
            failed += 1
            print("FAIL peer/suricata %s: %d of %d conversations differ" % (name, len(diffs), n))
            for d in diffs[:5]:
                print("     " + d)
        else:
            passed += 1
            print("ok   peer/suricata %s: %d conversations agree" % (name, n))
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
