#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes input.pcap and expected.json of this case from real software on
loopback: Debian's openssl s_server (TLS 1.2 only, an RSA self-signed
certificate made here, ALPN http/1.1) on 127.0.0.1:8443, and openssl
s_client connecting twice: a full handshake that saves its session, then
one that resumes it. tcpdump captures on lo. Run as root; needs openssl
and tcpdump.

The expected values are worked out apart from wardwatch: the certificate
fields by `openssl x509`, JA3/JA3S/JA4 by ja_ref.py (Python, hashlib) on
the captured hellos.
"""
import datetime
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import ja_ref  # noqa: E402

PORT = 8443
SNI = "pacs.example.test"
SUBJ = "/C=US/ST=Ward 3/O=Example Hospital/CN=" + SNI
SERIAL = "0x1f2e3d4c5b6a"  # bit 7 of the first byte clear: no DER sign byte to show


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def make_cert(tmp):
    key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "3650", "-subj", SUBJ, "-set_serial", SERIAL,
         "-addext", "subjectAltName=DNS:%s,DNS:pacs2.example.test" % SNI])
    return key, cert


def capture(tmp, key, cert, pcap):
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", pcap,
                             "tcp port %d" % PORT], stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    server = subprocess.Popen(["openssl", "s_server", "-accept", str(PORT), "-cert", cert,
                               "-key", key, "-tls1_2", "-alpn", "http/1.1", "-naccept", "2",
                               "-quiet"], stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL)
    time.sleep(1)
    sess = os.path.join(tmp, "sess.pem")
    client = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % PORT, "-tls1_2",
              "-servername", SNI, "-alpn", "http/1.1"]
    run(client + ["-sess_out", sess], input="ward round\n")
    time.sleep(0.5)
    run(client + ["-sess_in", sess], input="ward round\n")
    time.sleep(1)
    server.kill()
    dump.terminate()
    dump.wait()


def cert_fields(cert):
    out = run(["openssl", "x509", "-in", cert, "-noout", "-subject", "-issuer", "-serial",
               "-dates", "-fingerprint", "-sha1", "-nameopt", "sep_comma_plus_space,sname,utf8"])
    kv = dict(line.split("=", 1) for line in out.splitlines())

    def when(s):
        return datetime.datetime.strptime(s, "%b %d %H:%M:%S %Y GMT").strftime("%Y-%m-%dT%H:%M:%S")
    serial = kv["serial"]
    return {
        "tls.subject": kv["subject"], "tls.issuerdn": kv["issuer"],
        "tls.serial": ":".join(serial[i:i + 2] for i in range(0, len(serial), 2)),
        "tls.notbefore": when(kv["notBefore"]), "tls.notafter": when(kv["notAfter"]),
        "tls.fingerprint": kv["sha1 Fingerprint"].lower(),
        "tls.issuer_equals_subject": kv["subject"] == kv["issuer"],
        "tls.subjectaltname": [SNI, "pacs2.example.test"],
    }


def hellos(pcap):
    ch, sh = [], []
    for _, p in ja_ref.pcap_payloads(pcap):
        if p[0] == 22 and p[5] in (1, 2):
            body = p[9:9 + int.from_bytes(p[6:9], "big")]
            (ch if p[5] == 1 else sh).append(ja_ref.parse_hello(body, p[5] == 2))
    return ch, sh


def main():
    pcap = os.path.join(HERE, "input.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        key, cert = make_cert(tmp)
        capture(tmp, key, cert, pcap)
        fields = cert_fields(cert)
    ch, sh = hellos(pcap)
    assert len(ch) == 2 and len(sh) == 2, "expected two handshakes"
    ja3s, ja3s_hash = ja_ref.ja3s(sh[0])
    full = dict(fields)
    full.update({"src_ip": "127.0.0.1", "dest_port": PORT, "app_proto": "tls",
                 "tls.version": "TLS 1.2", "tls.sni": SNI,
                 "tls.client_alpns": ["http/1.1"], "tls.server_alpns": ["http/1.1"],
                 "tls.ja3.string": ja_ref.ja3(ch[0])[0], "tls.ja3.hash": ja_ref.ja3(ch[0])[1],
                 "tls.ja4": ja_ref.ja4(ch[0]), "tls.ja3s.string": ja3s, "tls.ja3s.hash": ja3s_hash,
                 "tls.server_handshake.version": "TLS 1.2",
                 "tls.server_handshake.cipher": sh[0]["cipher"],
                 "tls.session_resumed": {"$absent": True}})
    resumed = {"tls.version": "TLS 1.2", "tls.sni": SNI, "tls.subject": {"$absent": True},
               "tls.ja3.hash": ja_ref.ja3(ch[1])[1], "tls.ja4": ja_ref.ja4(ch[1])}
    expected = {
        "about": "Real traffic: Debian's openssl s_server (TLS 1.2, RSA self-signed certificate, "
                 "ALPN) and two openssl s_client runs on loopback, the second resuming the "
                 "first's session. Made by make.py; JA3/JA4 and certificate fields worked out "
                 "by ja_ref.py and openssl x509, not by wardwatch.",
        "exit": 0,
        "expect": [
            {"event_type": "tls", "count": 2},
            {"event_type": "anomaly", "count": 0},
            {"event_type": "flow", "match": {"app_proto": "tls"}, "count": 2},
            {"event_type": "tls", "match": {"tls.issuer_equals_subject": True}, "count": 1,
             "fields": full},
            {"event_type": "tls", "match": {"tls.session_resumed": True}, "count": 1,
             "fields": resumed},
            {"event_type": "stats", "count": 1, "fields": {"stats.app_layer.flow.tls": 2,
                                                          "stats.app_layer.malformed.tls": 0}},
        ],
    }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump(expected, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
