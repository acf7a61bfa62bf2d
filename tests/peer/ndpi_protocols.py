#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Agreement with nDPI on its own test captures (../shared/data/ndpi):
for each capture in which nDPI's recorded verdicts (result/*.out) name a
protocol wardwatch parses, run `wardwatch analyze` and check that

  - wardwatch's parser for it counted no malformed message, unless the
    capture is damaged on purpose (DAMAGED below: then only that wardwatch
    ran to the end is checked), and
  - wardwatch gave at least one of those flows the same protocol, counting
    only flows nDPI recognised by their content (not "Match by port") on a
    port wardwatch's parser for the protocol listens on (PORTS below:
    wardwatch picks a parser by port, then checks the first bytes).

Per capture it prints the flows nDPI labelled, how many of them wardwatch
labelled alike, and the malformed counts. Prints "N passed, N failed" last;
skips with a message when the data is absent.
"""
import argparse
import glob
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from eve import load_events  # noqa: E402

# nDPI's protocol names -> wardwatch's app_proto.
NDPI_NAMES = {
    "HL7": "hl7", "MQTT": "mqtt", "DHCP": "dhcp", "DNS": "dns", "MDNS": "mdns",
    "SSDP": "ssdp", "HTTP": "http", "TLS": "tls", "FTP_CONTROL": "ftp", "Telnet": "telnet",
    "SSH": "ssh",
}
# Captures made broken on purpose (fuzzed or hand-damaged messages).
DAMAGED = {"dhcp-fuzz.pcapng", "malformed_dns.pcap", "bad-dns-traffic.pcap",
           "dns-invalid-chars.pcap", "http-manipulated.pcap", "http_invalid_server.pcap",
           "badpackets.pcap", "ip_fragmented_garbage.pcap"}
# The ports each parser listens on (src/proto/*.c).
PORTS = {
    "hl7": {2575, 6660, 6661, 6662}, "mqtt": {1883}, "dhcp": {67, 68}, "dns": {53},
    "mdns": {5353}, "ssdp": {1900}, "http": {80, 8080, 8000, 8008}, "ftp": {21},
    "telnet": {23}, "ssh": {22},
    "tls": {443, 8443, 8883, 993, 995, 465, 636, 2762, 5061},
}
FLOW_LINE = re.compile(r"^\s+\d+\s+(TCP|UDP) (\S+) <?->? (\S+) \[proto: [\d.]+/([\w.]+)\]")


def split_endpoint(text):
    """'10.0.0.1:80' or '[fe80::1]:5353' -> (address, port)."""
    addr, _, port = text.rpartition(":")
    return addr.strip("[]"), int(port)


def ndpi_flows(out_path):
    """(transport, {endpoint a, endpoint b}, our protocol) of nDPI's flows we parse."""
    flows = []
    for line in open(out_path, encoding="utf-8", errors="replace"):
        m = FLOW_LINE.match(line)
        if not m:
            continue
        ours = None
        for part in m.group(4).split("."):
            ours = ours or NDPI_NAMES.get(part)
        if ours:
            ends = frozenset([split_endpoint(m.group(2)), split_endpoint(m.group(3))])
            by_content = "[Confidence: DPI" in line
            on_port = any(port in PORTS[ours] for _, port in ends)
            flows.append((m.group(1), ends, ours, by_content and on_port))
    return flows


def our_flows(events):
    """{(transport, endpoints): app_proto} from wardwatch's flow events."""
    out = {}
    for e in events:
        if e.get("event_type") != "flow":
            continue
        ends = frozenset([(e.get("src_ip"), e.get("src_port")),
                          (e.get("dest_ip"), e.get("dest_port"))])
        out[(e.get("proto"), ends)] = e.get("app_proto", "")
    return out


def malformed_counts(events):
    stats = [e for e in events if e.get("event_type") == "stats"]
    if not stats:
        return None
    return stats[-1].get("stats", {}).get("app_layer", {}).get("malformed", {})


def check_capture(wardwatch, cap, flows):
    name = os.path.basename(cap)
    with tempfile.TemporaryDirectory() as out:
        run = subprocess.run([wardwatch, "analyze", "-q", "-o", out, cap], capture_output=True,
                             timeout=300)
        events = load_events(os.path.join(out, "eve.json"))
    malformed = malformed_counts(events)
    if run.returncode not in (0, 1) or malformed is None:
        return False, "%s: wardwatch exited %d: %s" % (name, run.returncode,
                                                       run.stderr.decode()[-200:])
    ours = our_flows(events)
    problems, parts = [], []
    for proto in sorted({f[2] for f in flows}):
        theirs = [f for f in flows if f[2] == proto]
        alike = sum(1 for t, ends, _, _ in theirs if ours.get((t, ends)) == proto)
        checked = [f for f in theirs if f[3]]
        bad = malformed.get(proto, 0)
        parts.append("%s %d/%d flows alike, %d malformed" % (proto, alike, len(theirs), bad))
        if name in DAMAGED:
            continue
        if bad:
            problems.append("%s: %d malformed" % (proto, bad))
        if checked and not any(ours.get((t, ends)) == proto for t, ends, _, _ in checked):
            problems.append("%s: none of the %d flows nDPI found by content on a %s port "
                            "recognised" % (proto, len(checked), proto))
    line = "%s: %s%s" % (name, "; ".join(parts), " (damaged on purpose)" if name in DAMAGED else "")
    return not problems, line + ("".join("\n     " + p for p in problems))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    ap.add_argument("--data", default=os.environ.get(
        "WW_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--only", action="append", default=[],
                    help="check only these protocols (wardwatch's names; repeatable)")
    args = ap.parse_args()
    base = os.path.join(args.data, "ndpi")
    if not os.path.isdir(base):
        print("skip nDPI captures: %s is absent" % base)
        print("0 passed, 0 failed")
        return 0
    passed = failed = 0
    for cap in sorted(glob.glob(os.path.join(base, "pcap", "*"))):
        out_path = os.path.join(base, "result", os.path.basename(cap) + ".out")
        if not os.path.exists(out_path):
            continue
        flows = [f for f in ndpi_flows(out_path) if not args.only or f[2] in args.only]
        if not flows:
            continue
        ok, line = check_capture(args.wardwatch, cap, flows)
        print(("ok   ndpi/" if ok else "FAIL ndpi/") + line)
        passed += ok
        failed += not ok
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
