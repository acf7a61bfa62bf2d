#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Reference JA3, JA3S and JA4 values, worked out apart from wardwatch's C
code (hashlib, Python's own parsing) from the JA3 README (Salesforce) and
the JA4 specification (FoxIO, technical_details/JA4.md).

  ja_ref.py hello            prints the ClientHello that tests/unit/test_tls.c
                             uses, as a C array, with its JA3 and JA4
  ja_ref.py pcap FILE        prints JA3/JA4 of every ClientHello and JA3S of
                             every ServerHello in a capture (one record each)
"""
import hashlib
import struct
import sys


def grease(v):
    return (v & 0x0f0f) == 0x0a0a and (v >> 8) == (v & 0xff)


def u16s(b):
    return [struct.unpack(">H", b[i:i + 2])[0] for i in range(0, len(b) - 1, 2)]


def parse_hello(body, server):
    """body: a ClientHello or ServerHello message body (after the 4-byte header)."""
    h = {"version": struct.unpack(">H", body[:2])[0]}
    pos = 34
    sid = body[pos]
    pos += 1 + sid
    if server:
        h["cipher"] = struct.unpack(">H", body[pos:pos + 2])[0]
        pos += 3
    else:
        n = struct.unpack(">H", body[pos:pos + 2])[0]
        h["ciphers"] = u16s(body[pos + 2:pos + 2 + n])
        pos += 2 + n
        pos += 1 + body[pos]
    h["exts"], h["ext_data"] = [], {}
    if pos < len(body):
        end = pos + 2 + struct.unpack(">H", body[pos:pos + 2])[0]
        pos += 2
        while pos < end:
            t, n = struct.unpack(">HH", body[pos:pos + 4])
            h["exts"].append(t)
            h["ext_data"].setdefault(t, body[pos + 4:pos + 4 + n])
            pos += 4 + n
    return h


def ja3(h):
    d = h["ext_data"]
    groups = u16s(d[10][2:]) if 10 in d else []
    formats = list(d[11][1:]) if 11 in d else []
    parts = [str(h["version"]),
             "-".join(str(c) for c in h["ciphers"] if not grease(c)),
             "-".join(str(e) for e in h["exts"] if not grease(e)),
             "-".join(str(g) for g in groups if not grease(g)),
             "-".join(str(f) for f in formats)]
    s = ",".join(parts)
    return s, hashlib.md5(s.encode()).hexdigest()


def ja3s(h):
    s = "%d,%d,%s" % (h["version"], h["cipher"],
                      "-".join(str(e) for e in h["exts"] if not grease(e)))
    return s, hashlib.md5(s.encode()).hexdigest()


def ja4(h):
    d = h["ext_data"]
    vers = [v for v in u16s(d[43][1:]) if not grease(v)] if 43 in d else []
    v = max(vers) if vers else h["version"]
    vtext = {0x0304: "13", 0x0303: "12", 0x0302: "11", 0x0301: "10", 0x0300: "s3",
             0x0002: "s2", 0xfeff: "d1", 0xfefd: "d2", 0xfefc: "d3"}.get(v, "00")
    ciphers = [c for c in h["ciphers"] if not grease(c)]
    exts = [e for e in h["exts"] if not grease(e)]
    alpn = "00"
    if 16 in d and len(d[16]) > 3 and d[16][2] > 0:
        first = d[16][3:3 + d[16][2]]
        if chr(first[0]).isalnum() and chr(first[-1]).isalnum() and first[0] < 128 \
                and first[-1] < 128:
            alpn = chr(first[0]) + chr(first[-1])
        else:
            alpn = first.hex()[0] + first.hex()[-1]
    a = "t%s%s%02d%02d%s" % (vtext, "d" if 0 in d else "i", min(len(ciphers), 99),
                             min(len(exts), 99), alpn)
    b = "000000000000"
    if ciphers:
        b = hashlib.sha256(",".join("%04x" % c for c in sorted(ciphers)).encode()).hexdigest()[:12]
    kept = sorted(e for e in exts if e not in (0, 16))
    sigs = [s for s in u16s(d[13][2:]) if not grease(s)] if 13 in d else []
    c = "000000000000"
    if kept:
        text = ",".join("%04x" % e for e in kept)
        if sigs:
            text += "_" + ",".join("%04x" % s for s in sigs)
        c = hashlib.sha256(text.encode()).hexdigest()[:12]
    return "%s_%s_%s" % (a, b, c)


def ext(t, data):
    return struct.pack(">HH", t, len(data)) + data


def vec16(items):
    b = b"".join(struct.pack(">H", i) for i in items)
    return struct.pack(">H", len(b)) + b


def build_hello():
    """The JA4 specification's example lists, with GREASE values mixed in."""
    ciphers = [0x3a3a, 0x1301, 0x1302, 0x1303, 0xc02b, 0xc02f, 0xc02c, 0xc030, 0xcca9, 0xcca8,
               0xc013, 0xc014, 0x009c, 0x009d, 0x002f, 0x0035]
    sigs = [0x0403, 0x0804, 0x0401, 0x0503, 0x0805, 0x0501, 0x0806, 0x0601]
    host = b"pacs.example.test"
    alpn = b"\x02h2\x08http/1.1"
    exts = [
        ext(0x0a0a, b""),
        ext(0x001b, b"\x02\x00\x02"),
        ext(0x0000, struct.pack(">HBH", len(host) + 3, 0, len(host)) + host),
        ext(0x0033, b"\x00\x00"),
        ext(0x0010, struct.pack(">H", len(alpn)) + alpn),
        ext(0x4469, b"\x00\x03\x02h2"),
        ext(0x0017, b""),
        ext(0x002d, b"\x01\x01"),
        ext(0x000d, vec16(sigs)),
        ext(0x0005, b"\x01\x00\x00\x00\x00"),
        ext(0x0023, b""),
        ext(0x0012, b""),
        ext(0x002b, b"\x06\x5a\x5a\x03\x04\x03\x03"),
        ext(0xff01, b"\x00"),
        ext(0x000b, b"\x01\x00"),
        ext(0x000a, vec16([0x6a6a, 0x001d, 0x0017, 0x0018])),
        ext(0x0015, b"\x00" * 7),
        ext(0x1a1a, b"\x00"),
    ]
    eb = b"".join(exts)
    body = (b"\x03\x03" + bytes(range(32)) + b"\x20" + bytes(range(32, 64)) + vec16(ciphers) +
            b"\x01\x00" + struct.pack(">H", len(eb)) + eb)
    return b"\x01" + struct.pack(">I", len(body))[1:] + body


def main():
    if sys.argv[1] == "hello":
        msg = build_hello()
        h = parse_hello(msg[4:], False)
        print("/* %d bytes, made by tests/pcap/tls-openssl12/ja_ref.py hello */" % len(msg))
        for i in range(0, len(msg), 16):
            print("    " + " ".join("0x%02x," % b for b in msg[i:i + 16]))
        print("JA3", *ja3(h))
        print("JA4", ja4(h))


def pcap_payloads(path):
    """TCP payloads of a little-endian pcap of Ethernet or Linux cooked frames, in order."""
    data = open(path, "rb").read()
    link = struct.unpack("<I", data[20:24])[0]
    pos, out = 24, []
    while pos + 16 <= len(data):
        incl = struct.unpack("<I", data[pos + 8:pos + 12])[0]
        frame = data[pos + 16:pos + 16 + incl]
        pos += 16 + incl
        off = {1: 14, 113: 16, 0: 4}[link]
        ip = frame[off:]
        if ip[0] >> 4 != 4 or ip[9] != 6:
            continue
        tcp = ip[(ip[0] & 15) * 4:]
        payload = tcp[(tcp[12] >> 4) * 4:]
        if payload:
            out.append((struct.unpack(">H", tcp[0:2])[0], payload))
    return out


def pcap_main(path):
    for sport, p in pcap_payloads(path):
        if p[0] != 22 or p[5] not in (1, 2):
            continue
        body = p[9:9 + int.from_bytes(p[6:9], "big")]
        if p[5] == 1:
            h = parse_hello(body, False)
            print("client port %d JA3 %s %s" % ((sport,) + ja3(h)))
            print("client port %d JA4 %s" % (sport, ja4(h)))
        else:
            h = parse_hello(body, True)
            print("server port %d JA3S %s %s" % ((sport,) + ja3s(h)))


if __name__ == "__main__":
    if sys.argv[1] == "pcap":
        pcap_main(sys.argv[2])
    else:
        main()
