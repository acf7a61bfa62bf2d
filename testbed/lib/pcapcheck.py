# SPDX-License-Identifier: MIT
"""pcapcheck: whether a testbed capture shows what its labels say.

Reads a classic pcap file of Ethernet frames (what tcpdump -w writes) with
nothing but the standard library. A labelled device is seen when frames
come from its MAC and packets from its IP address. A labelled attack is
seen when, within its time window (a second of slack before, two after),
its attacker sent packets to one of its victims (to one of the victim's
ports where the label names ports); for ARP spoofing, when the attacker's
MAC sent ARP claiming an address that is not its own.
"""
import json
import struct

SLACK_BEFORE, SLACK_AFTER = 1.0, 2.0


def mac_str(b):
    return ":".join("%02x" % x for x in b)


def ip_str(b):
    return "%d.%d.%d.%d" % tuple(b)


def packets(path):
    """Yields (ts, src_mac, src_ip, dst_ip, dport, arp_sender_ip) per frame; absent fields None."""
    with open(path, "rb") as f:
        head = f.read(24)
        if len(head) < 24:
            raise ValueError("%s: not a pcap file (too short)" % path)
        magic = struct.unpack("<I", head[:4])[0]
        endian = {0xa1b2c3d4: "<", 0xa1b23c4d: "<", 0xd4c3b2a1: ">", 0x4d3cb2a1: ">"}.get(magic)
        if endian is None:
            raise ValueError("%s: not a classic pcap file" % path)
        frac = 1e-9 if magic in (0xa1b23c4d, 0x4d3cb2a1) else 1e-6
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, sub, caplen, _ = struct.unpack(endian + "IIII", rec)
            frame = f.read(caplen)
            if len(frame) < caplen:
                return
            yield (sec + sub * frac,) + decode(frame)


def decode(frame):
    if len(frame) < 14:
        return (None, None, None, None, None)
    src_mac = mac_str(frame[6:12])
    etype, off = struct.unpack("!H", frame[12:14])[0], 14
    while etype in (0x8100, 0x88a8) and len(frame) >= off + 4:
        etype, off = struct.unpack("!H", frame[off + 2:off + 4])[0], off + 4
    if etype == 0x0806 and len(frame) >= off + 28:
        return (src_mac, None, None, None, ip_str(frame[off + 14:off + 18]))
    if etype != 0x0800 or len(frame) < off + 20:
        return (src_mac, None, None, None, None)
    ihl = (frame[off] & 0x0f) * 4
    proto = frame[off + 9]
    src, dst = ip_str(frame[off + 12:off + 16]), ip_str(frame[off + 16:off + 20])
    dport = None
    l4 = off + ihl
    if proto in (6, 17) and len(frame) >= l4 + 4:
        dport = struct.unpack("!H", frame[l4 + 2:l4 + 4])[0]
    return (src_mac, src, dst, dport, None)


def read_labels(path):
    devices, attacks = [], []
    with open(path) as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            item = json.loads(line)
            (devices if item.get("type") == "device" else attacks).append(item)
    return devices, attacks


def attack_hits(attack, pkt):
    ts, src_mac, src_ip, dst_ip, dport, arp_ip = pkt
    if not attack["start_ts"] - SLACK_BEFORE <= ts <= attack["end_ts"] + SLACK_AFTER:
        return False
    who = attack["attacker"]
    if attack["kind"] == "arp_spoof":
        return src_mac == who["mac"] and arp_ip is not None and arp_ip != who["ip"]
    if src_ip != who["ip"]:
        return False
    for v in attack["victims"]:
        if dst_ip == v["ip"] and (not v.get("ports") or dport in v["ports"]):
            return True
    return False


def check(pcap, labels):
    """Returns (problems, summary lines)."""
    devices, attacks = read_labels(labels)
    from_mac, from_ip = {}, {}
    hits = [0] * len(attacks)
    total = 0
    for pkt in packets(pcap):
        total += 1
        from_mac[pkt[1]] = from_mac.get(pkt[1], 0) + 1
        if pkt[2]:
            from_ip[pkt[2]] = from_ip.get(pkt[2], 0) + 1
        for i, a in enumerate(attacks):
            if attack_hits(a, pkt):
                hits[i] += 1
    problems, summary = [], ["%d frames in %s" % (total, pcap)]
    for d in devices:
        ips = d["ip"] if isinstance(d["ip"], list) else [d["ip"]]
        n_mac = from_mac.get(d["mac"], 0)
        n_ip = sum(from_ip.get(ip, 0) for ip in ips)
        summary.append("device %-14s %-22s %6d frames from its MAC, %6d from its IP"
                       % (d["name"], d["class"], n_mac, n_ip))
        if n_mac == 0 or n_ip == 0:
            problems.append("device %s (%s, %s): no traffic from its %s"
                            % (d["name"], d["mac"], ", ".join(ips), "MAC" if n_mac == 0 else "IP"))
    for a, n in zip(attacks, hits):
        summary.append("attack %-19s %s .. %s from %-12s %6d packets"
                       % (a["kind"], a["start"][11:19], a["end"][11:19], a["attacker"]["name"], n))
        if n == 0:
            problems.append("attack %s from %s at %s: no packets to its victims in its window"
                            % (a["kind"], a["attacker"]["ip"], a["start"]))
    return problems, summary
