#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""replay_eval: real attack captures replayed into the virtual hospital, and whether wardwatch's
per-device baselines notice them.

For each capture in REPLAYS (nDPI's test captures under DATA/ndpi/pcap) this keeps the IPv4
packets of one original inside host and rewrites them onto the testbed:

- the inside host becomes a testbed device (ip and mac from the sample's labels);
- every other address becomes a free address in 203.0.113.0/24 (the sample's "internet"),
  in order of first appearance, with the router's MAC on the wire (the outside is behind it);
- the Ethernet header is rebuilt (VLAN tags and Linux cooked headers go), then the IPv4
  header checksum is recomputed and the TCP/UDP checksum too (in full when the segment was
  captured whole, else adjusted for the new addresses as RFC 1624 does it);
- the timestamps are shifted to a start in the sample's detection part: the first replay
  REPLAY_OFFSET_S after learning ends, the next ones REPLAY_SPACING_S apart. Gaps longer
  than MAX_GAP_S shrink to MAX_GAP_S, and a replay stops after MAX_REPLAY_S, after
  MAX_REPLAY_PACKETS or END_MARGIN_S before the sample's last packet.

The packets are merged in time order into a copy of samples/hospital.pcap; the labels are
the sample's plus one "attack" line per replay (kind "replay:<capture>"; attacker and victims
as the sample's own lines have them). wardwatch analyzes the merged capture with the
learning period hospital_eval.py uses (up to LEAD_S before the sample's first attack).

A replay is detected when a behaviour anomaly in its window (as hospital_eval counts it)
names both its testbed device and one of its outside addresses, as the anomaly's device,
peer or flow ends. The sample's own attacks are then matched by hospital_eval.match() on the
anomalies no replay took; what neither explains is a false alert.

Prints a row per replay, the sample's attacks and false alerts as hospital_eval.py does,
then "N passed, M failed": one check per replay (detected). Needs no root.

  tests/detect/replay_eval.py [--wardwatch PATH] [--data DIR] [--keep DIR]
                              [--dns-via-resolver] [--json]

--data is the evaluation data folder (default $WARDWATCH_SHARED_DATA, else ../shared/data
beside the repository); without it there is nothing to replay: "0 passed, 0 failed", status 0.
--keep DIR writes merged.pcap and merged.labels.jsonl there, which hospital_eval.py
--pcap/--labels also reads. --dns-via-resolver sends the replays' DNS (an outside port 53)
to the hospital's resolver, the router, as a tunnel through a site's own resolver goes.
"""
import argparse
import datetime
import ipaddress
import json
import os
import struct
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import hospital_eval as he  # noqa: E402

ROOT = he.ROOT
SAMPLE_PCAP = os.path.join(ROOT, "samples", "hospital.pcap")
SAMPLE_LABELS = os.path.join(ROOT, "samples", "hospital.labels.jsonl")

REPLAY_OFFSET_S = 10        # the first replay starts this long after learning ends
REPLAY_SPACING_S = 25       # ... and each next one this much later
MAX_GAP_S = 5.0             # a longer pause in a capture shrinks to this
MAX_REPLAY_S = 60.0         # a replay is cut after this long
MAX_REPLAY_PACKETS = 1000   # ... or this many packets
END_MARGIN_S = 5.0          # ... or this long before the sample's last packet
OUTSIDE_NET = ipaddress.ip_network("203.0.113.0/24")
FIRST_OUTSIDE_HOST = 100    # outside addresses are handed out from 203.0.113.100 up
RESOLVER = "10.20.2.1"      # the sample's DNS resolver (the router), for --dns-via-resolver
DNS_PORT = 53

# capture, its inside host, the testbed device it becomes, who opened the attack's flows:
# "out" the device (infected client, tunnel, exfiltration), "in" the outside (web attack).
REPLAYS = [
    ("dns2tcp_tunnel.pcap", "192.168.20.211", "ws-ward3", "out"),
    ("dns_exfiltration.pcap", "192.168.220.56", "reg-desk", "out"),
    ("dns-exf.pcap", "192.168.2.225", "printer-3", "out"),
    ("malware.pcap", "192.168.0.20", "mon-bed-16", "out"),
    ("exe_download.pcap", "10.9.25.101", "ct-scanner", "out"),
    ("portable_executable.pcap", "172.16.99.201", "pacs", "out"),
    ("WebattackSQLinj.pcap", "192.168.10.50", "billing", "in"),
    ("sql_injection.pcap", "192.168.3.107", "ehr", "in"),
]

LINKTYPE_ETHERNET = 1
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276
ETHERTYPE_IPV4 = 0x0800
ETHERTYPE_VLAN = (0x8100, 0x88A8)
PCAP_MAGIC_US = 0xA1B2C3D4
PCAP_MAGIC_NS = 0xA1B23C4D
PCAPNG_SHB = 0x0A0D0D0A
PCAPNG_IDB = 1
PCAPNG_EPB = 6
PCAPNG_OPT_TSRESOL = 9


# --- reading and writing captures -------------------------------------------------------

def read_capture(path):
    """The packets of a classic pcap or pcapng file: (time in µs, link type, frame, orig_len)."""
    with open(path, "rb") as f:
        data = f.read()
    if struct.unpack_from("<I", data)[0] == PCAPNG_SHB:
        return read_pcapng(data)
    return read_pcap(data)


def read_pcap(data):
    for endian in "<>":
        magic = struct.unpack_from(endian + "I", data)[0]
        if magic in (PCAP_MAGIC_US, PCAP_MAGIC_NS):
            break
    else:
        raise ValueError("neither pcap nor pcapng")
    per_us = 1000 if magic == PCAP_MAGIC_NS else 1
    linktype = struct.unpack_from(endian + "I", data, 20)[0] & 0xFFFF
    packets, pos = [], 24
    while pos + 16 <= len(data):
        sec, frac, cap_len, orig_len = struct.unpack_from(endian + "IIII", data, pos)
        frame = data[pos + 16:pos + 16 + cap_len]
        if len(frame) < cap_len:
            break               # a record cut short by the end of the file
        packets.append((sec * 1000000 + frac // per_us, linktype, frame, orig_len))
        pos += 16 + cap_len
    return packets


def read_pcapng(data):
    """Enhanced packet blocks only (the captures here have no simple or obsolete ones)."""
    endian, ifaces, packets, pos = "<", [], [], 0
    while pos + 12 <= len(data):
        if data[pos:pos + 4] == b"\x0a\x0d\x0d\x0a":
            endian = "<" if data[pos + 8:pos + 12] == b"\x4d\x3c\x2b\x1a" else ">"
            ifaces = []
        btype, blen = struct.unpack_from(endian + "II", data, pos)
        if blen < 12 or pos + blen > len(data):
            break
        body = data[pos + 8:pos + blen - 4]
        if btype == PCAPNG_IDB:
            ifaces.append(pcapng_interface(body, endian))
        elif btype == PCAPNG_EPB and len(body) >= 20:
            iface, ts_hi, ts_lo, cap_len, orig_len = struct.unpack_from(endian + "IIIII", body)
            linktype, per_s = ifaces[iface]
            ts_us = ((ts_hi << 32) | ts_lo) * 1000000 // per_s
            packets.append((ts_us, linktype, body[20:20 + cap_len], orig_len))
        pos += blen
    return packets


def pcapng_interface(body, endian):
    """(link type, timestamp units per second) of an interface description block."""
    linktype = struct.unpack_from(endian + "H", body)[0]
    per_s, pos = 1000000, 8
    while pos + 4 <= len(body):
        code, olen = struct.unpack_from(endian + "HH", body, pos)
        if code == 0:
            break
        if code == PCAPNG_OPT_TSRESOL and olen >= 1:
            v = body[pos + 4]
            per_s = 2 ** (v & 0x7F) if v & 0x80 else 10 ** v
        pos += 4 + (olen + 3) // 4 * 4
    return linktype, per_s


def write_pcap(path, packets, snap_len=262144):
    """A classic little-endian microsecond pcap of Ethernet frames (ts µs, _, frame, orig_len)."""
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", PCAP_MAGIC_US, 2, 4, 0, 0, snap_len, LINKTYPE_ETHERNET))
        for ts, _, frame, orig_len in packets:
            f.write(struct.pack("<IIII", ts // 1000000, ts % 1000000, len(frame), orig_len))
            f.write(frame)


# --- rewriting packets ------------------------------------------------------------------

def ipv4_of(linktype, frame):
    """The bytes from the IPv4 header on, or None when the frame carries no IPv4."""
    if linktype == LINKTYPE_ETHERNET:
        pos = 12
        while len(frame) >= pos + 2 and struct.unpack_from("!H", frame, pos)[0] in ETHERTYPE_VLAN:
            pos += 4
    elif linktype == LINKTYPE_LINUX_SLL:
        pos = 14
    elif linktype == LINKTYPE_LINUX_SLL2:
        pos = 0
    else:
        return None
    if len(frame) < pos + 2 + 20 or struct.unpack_from("!H", frame, pos)[0] != ETHERTYPE_IPV4:
        return None
    start = pos + 2 if linktype != LINKTYPE_LINUX_SLL2 else 20
    ip = frame[start:]
    return ip if len(ip) >= 20 and ip[0] >> 4 == 4 else None


def ones_sum(data):
    """The 16-bit ones' complement sum of data (RFC 1071), padded to even length."""
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s


def rewrite_ipv4(ip, src, dst):
    """ip (IPv4 header on) with new 4-byte src and dst and its checksums made right again."""
    ip = bytearray(ip)
    old_addrs = bytes(ip[12:20])
    ip[12:16], ip[16:20] = src, dst
    ihl = (ip[0] & 0x0F) * 4
    ip[10:12] = b"\0\0"
    ip[10:12] = struct.pack("!H", ~ones_sum(bytes(ip[:ihl])) & 0xFFFF)
    fix_transport_checksum(ip, ihl, old_addrs)
    return bytes(ip)


def fix_transport_checksum(ip, ihl, old_addrs):
    proto, frag = ip[9], struct.unpack_from("!H", ip, 6)[0]
    at = {6: ihl + 16, 17: ihl + 6}.get(proto)
    if at is None or frag & 0x1FFF or len(ip) < at + 2:
        return              # no TCP/UDP header here (ICMP's checksum has no addresses)
    old = struct.unpack_from("!H", ip, at)[0]
    if proto == 17 and old == 0:
        return              # UDP sent without a checksum
    total = struct.unpack_from("!H", ip, 2)[0]
    if len(ip) >= total and not frag & 0x2000:
        seg = bytearray(ip[ihl:total])
        seg[at - ihl:at - ihl + 2] = b"\0\0"
        pseudo = bytes(ip[12:20]) + struct.pack("!BBH", 0, proto, len(seg))
        new = ~ones_sum(pseudo + bytes(seg)) & 0xFFFF
    else:
        # RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m') over the changed address words
        s = (~old & 0xFFFF) + (~ones_sum(old_addrs) & 0xFFFF) + ones_sum(bytes(ip[12:20]))
        new = ~ones_sum(struct.pack("!I", s)) & 0xFFFF
    if proto == 17 and new == 0:
        new = 0xFFFF
    ip[at:at + 2] = struct.pack("!H", new)


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(":"))


def ports_of(ip):
    """(source port, destination port) of a TCP/UDP first fragment, else (None, None)."""
    ihl = (ip[0] & 0x0F) * 4
    frag = struct.unpack_from("!H", ip, 6)[0] & 0x1FFF
    if ip[9] not in (6, 17) or frag or len(ip) < ihl + 4:
        return None, None
    return struct.unpack_from("!HH", ip, ihl)


# --- building a replay ------------------------------------------------------------------

def outside_addresses(used):
    """Free outside addresses, one at a time, from FIRST_OUTSIDE_HOST up."""
    for host in list(OUTSIDE_NET.hosts())[FIRST_OUTSIDE_HOST - 1:]:
        if str(host) not in used:
            yield str(host)


def inside_packets(packets, inside):
    """(time µs, IPv4 bytes, bytes the frame lost to the snap length) to or from inside."""
    kept = []
    for ts, linktype, frame, orig_len in packets:
        ip = ipv4_of(linktype, frame)
        if ip is not None and inside in (ip[12:16], ip[16:20]):
            kept.append((ts, ip, orig_len - len(frame)))
    return kept


def retime(kept, start_us, limit_us):
    """kept moved to start at start_us: long pauses shortened, cut at the replay's limits."""
    out, t, prev = [], start_us, kept[0][0]
    for ts, ip, lost in kept:
        t += min(ts - prev, int(MAX_GAP_S * 1e6))
        prev = ts
        if t - start_us > MAX_REPLAY_S * 1e6 or t > limit_us or len(out) == MAX_REPLAY_PACKETS:
            break
        out.append((t, ip, lost))
    return out


def build_replay(spec, packets, devices, router_mac, free, start_us, limit_us, via_resolver):
    """The rewritten Ethernet packets of one capture and its label line; via_resolver sends
    what went to an outside port 53 to the hospital's resolver instead."""
    name, inside_ip, device_name, opener = spec
    device = next(d for d in devices if d["name"] == device_name)
    inside = ipaddress.ip_address(inside_ip).packed
    kept = inside_packets(packets, inside)
    if not kept:
        return [], None
    kept = retime(kept, start_us, limit_us)
    remotes, server_ports, out = {}, {}, []
    for ts, ip, lost in kept:
        outbound = ip[12:16] == inside
        sport, dport = ports_of(ip)
        far, far_port = (ip[16:20], dport) if outbound else (ip[12:16], sport)
        if far not in remotes:
            remotes[far] = RESOLVER if via_resolver and far_port == DNS_PORT else next(free)
        remote = ipaddress.ip_address(remotes[far]).packed
        dev = ipaddress.ip_address(device["ip"]).packed
        src, dst = (dev, remote) if outbound else (remote, dev)
        macs = (mac_bytes(router_mac), mac_bytes(device["mac"]))
        eth = (macs if outbound else macs[::-1]) + (struct.pack("!H", ETHERTYPE_IPV4),)
        frame = b"".join(eth) + rewrite_ipv4(ip, src, dst)
        out.append((ts, LINKTYPE_ETHERNET, frame, len(frame) + lost))
        if dport is not None and outbound == (opener == "out"):
            server_ports.setdefault(remotes[far] if outbound else device["ip"], set()).add(dport)
    label = replay_label(name, device, opener, list(remotes.values()), server_ports, router_mac,
                         out)
    return out, label


def iso(ts):
    return datetime.datetime.fromtimestamp(ts, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%f%z")


def replay_label(name, device, opener, remotes, server_ports, router_mac, out):
    """An "attack" label line in the sample's own fields, plus the capture and packet count."""
    start, end = out[0][0] / 1e6, out[-1][0] / 1e6
    dev = {"name": device["name"], "ip": device["ip"], "mac": device["mac"]}
    if opener == "out":
        attacker = dev
        victims = [{"ip": r, "ports": sorted(server_ports.get(r, ()))} for r in remotes]
    else:
        attacker = {"ip": remotes[0], "mac": router_mac}
        victims = [dict(dev, ports=sorted(server_ports.get(device["ip"], ())))]
    return {"type": "attack", "kind": "replay:" + name, "start": iso(start), "end": iso(end),
            "start_ts": start, "end_ts": end, "attacker": attacker, "victims": victims,
            "capture": "ndpi/pcap/" + name, "packets": len(out),
            "opened_by": "device" if opener == "out" else "outside",
            "device": dev, "remotes": remotes}


# --- evaluating -------------------------------------------------------------------------

def match_replays(labels, anomalies):
    """Per replay, the anomalies naming its device and one of its remote addresses."""
    found = []
    for lab in labels:
        hits = [ev for ev in anomalies
                if lab["start_ts"] - he.SLACK_S <= ev["t"] <= lab["end_ts"] + he.AFTER_S
                and lab["device"]["ip"] in he.involved(ev)
                and he.involved(ev) & set(lab["remotes"])]
        found.append(hits)
    return found


def replay_rows(labels, found):
    rows = []
    for lab, hits in zip(labels, found):
        first = min(hits, key=lambda ev: ev["t"]) if hits else None
        rows.append({"replay": lab["kind"][len("replay:"):], "device": lab["device"]["name"],
                     "device_ip": lab["device"]["ip"], "remotes": lab["remotes"],
                     "opened_by": lab["opened_by"],
                     "start": lab["start"], "duration_s": round(lab["end_ts"] - lab["start_ts"], 3),
                     "packets": lab["packets"], "detected": bool(hits),
                     "delay_s": round(first["t"] - lab["start_ts"], 3) if hits else None,
                     "first_anomaly": first["anomaly"]["kind"] if hits else None,
                     "kinds": sorted({ev["anomaly"]["kind"] for ev in hits}),
                     "anomalies": len(hits)})
    return rows


def print_replay_rows(rows):
    fmt = "%-25s %-11s %-8s %5s %6s  %-8s %7s  %s"
    print(fmt % ("replay", "device", "opened", "pkts", "dur s", "detected", "delay s",
                 "anomaly kinds (n)"))
    for r in rows:
        print(fmt % (r["replay"], r["device"], "by " + ("dev" if r["opened_by"] == "device"
                                                         else "out"),
                     r["packets"], "%.1f" % r["duration_s"], "yes" if r["detected"] else "NO",
                     "%.2f" % r["delay_s"] if r["detected"] else "-",
                     "%s (%d)" % (",".join(r["kinds"]), r["anomalies"]) if r["detected"]
                     else "-"))


def used_outside(packets):
    """The 203.0.113.0/24 addresses a capture already uses."""
    used = set()
    for _, linktype, frame, _ in packets:
        ip = ipv4_of(linktype, frame)
        for raw in (ip[12:16], ip[16:20]) if ip is not None else ():
            if raw[:3] == OUTSIDE_NET.network_address.packed[:3]:
                used.add(str(ipaddress.ip_address(raw)))
    return used


def build_all(pcap_dir, sample, devices, attacks, via_resolver=False):
    """The merged packets, the replays' labels, the skipped captures and the learning period."""
    router_mac = next(d["mac"] for d in devices if d["name"] == "router")
    first, last = sample[0][0], sample[-1][0]
    learn = he.default_learn(first / 1e6, attacks)
    free = outside_addresses(used_outside(sample))
    merged, labels, skipped = list(sample), [], []
    for i, spec in enumerate(REPLAYS):
        path = os.path.join(pcap_dir, spec[0])
        if not os.path.exists(path):
            skipped.append({"capture": spec[0], "why": "absent"})
            continue
        start = first + (learn + REPLAY_OFFSET_S + i * REPLAY_SPACING_S) * 1000000
        pkts, label = build_replay(spec, read_capture(path), devices, router_mac, free, start,
                                   last - int(END_MARGIN_S * 1e6), via_resolver)
        if not pkts:
            skipped.append({"capture": spec[0], "why": "no IPv4 packet of " + spec[1]})
            continue
        merged.extend(pkts)
        labels.append(label)
    merged.sort(key=lambda p: p[0])
    return merged, labels, skipped, learn


def evaluate(wardwatch, merged_pcap, learn, devices, sample_attacks, labels):
    """Runs wardwatch and returns the result document."""
    out = os.path.join(os.path.dirname(merged_pcap), "out")
    os.makedirs(out, exist_ok=True)
    summary, anomalies = he.run_wardwatch(wardwatch, merged_pcap, learn, out)
    found = match_replays(labels, anomalies)
    taken = {id(ev) for hits in found for ev in hits}
    rest = [ev for ev in anomalies if id(ev) not in taken]
    sample_found, false = he.match(sample_attacks, rest)
    first, last = he.epoch(summary["capture"]["first"]), he.epoch(summary["capture"]["last"])
    detect_h = max(0.0, last - first - learn) / 3600
    device_hours = len(devices) * detect_h
    false_devices, rate = he.false_alert_rate(false, device_hours)
    return {"learn_s": learn, "detect_hours": round(detect_h, 4), "devices": len(devices),
            "device_hours": round(device_hours, 3), "replays": replay_rows(labels, found),
            "sample_attacks": he.attack_rows(sample_attacks, sample_found),
            "false_alerts": len(false), "false_devices": false_devices,
            "false_devices_per_100_device_hours": round(rate, 2),
            "false_alert_reasons": [ev["timestamp"] + " " + ev["anomaly"]["reason"]
                                    for ev in false]}


def print_result(res):
    print("learned %d s; detection on %.1f min of %d devices (%.2f device-hours)"
          % (res["learn_s"], res["detect_hours"] * 60, res["devices"], res["device_hours"]))
    for s in res["skipped"]:
        print("skipped %s: %s" % (s["capture"], s["why"]))
    print_replay_rows(res["replays"])
    print("the sample's own attacks, on the anomalies no replay took:")
    he.print_attack_rows(res["sample_attacks"])
    for reason in res["false_alert_reasons"]:
        print("false alert: " + reason)
    print("false alerts %d, falsely alerted devices %d: %.2f per 100 device-hours (target <= %.0f)"
          % (res["false_alerts"], len(res["false_devices"]),
             res["false_devices_per_100_device_hours"], he.FALSE_PER_100H))


def write_labels(path, sample_labels, labels):
    with open(sample_labels) as f, open(path, "w") as out:
        out.write(f.read())
        for lab in labels:
            out.write(json.dumps(lab) + "\n")


def main():
    default_data = os.environ.get("WARDWATCH_SHARED_DATA") or os.path.join(
        os.path.dirname(ROOT), "shared", "data")
    ap = argparse.ArgumentParser(description="replay attack captures into the hospital sample")
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    ap.add_argument("--data", default=default_data, help="evaluation data folder")
    ap.add_argument("--keep", help="keep the merged capture and labels in this folder")
    ap.add_argument("--dns-via-resolver", action="store_true",
                    help="DNS to an outside server goes to the hospital's resolver instead")
    ap.add_argument("--json", action="store_true", help="print the results as one JSON document")
    args = ap.parse_args()
    pcap_dir = os.path.join(args.data, "ndpi", "pcap")
    if not os.path.isdir(pcap_dir):
        print("replay_eval: %s is absent; nothing to replay" % pcap_dir)
        print("0 passed, 0 failed")
        return 0
    if not os.access(args.wardwatch, os.X_OK):
        sys.exit("replay_eval: no %s; build it with make wardwatch" % args.wardwatch)

    started = time.monotonic()
    devices, attacks = he.read_labels(SAMPLE_LABELS)
    attacks.sort(key=lambda a: a["start_ts"])
    merged, labels, skipped, learn = build_all(pcap_dir, read_capture(SAMPLE_PCAP), devices,
                                               attacks, args.dns_via_resolver)
    with tempfile.TemporaryDirectory() as tmp:
        where = args.keep or tmp
        os.makedirs(where, exist_ok=True)
        merged_pcap = os.path.join(where, "merged.pcap")
        write_pcap(merged_pcap, merged)
        write_labels(os.path.join(where, "merged.labels.jsonl"), SAMPLE_LABELS, labels)
        res = evaluate(args.wardwatch, merged_pcap, learn, devices, attacks, labels)
    res["skipped"] = skipped
    res["run_s"] = round(time.monotonic() - started, 2)

    if args.json:
        print(json.dumps(res, indent=2))
    else:
        print_result(res)
    passed = sum(r["detected"] for r in res["replays"])
    failed = len(res["replays"]) - passed
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
