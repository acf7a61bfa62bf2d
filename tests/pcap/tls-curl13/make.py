#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Makes input.pcap and expected.json of this case from real software on
loopback: Debian's curl (TLS 1.3 only) fetching https://pacs.example.test/
from openssl s_server -www on 127.0.0.1:443 with an RSA self-signed
certificate made here. tcpdump captures on lo. Run as root; needs openssl,
curl and tcpdump.

TLS 1.3 encrypts the certificate, so the event has the hellos only. JA3,
JA3S and JA4 are worked out by ../tls-openssl12/ja_ref.py (Python,
hashlib) on the captured hellos, not by wardwatch.
"""
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tls-openssl12"))
import ja_ref  # noqa: E402

PORT = 443
SNI = "pacs.example.test"


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def capture(tmp, pcap):
    key, cert = os.path.join(tmp, "k.pem"), os.path.join(tmp, "c.pem")
    run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
         "-days", "30", "-subj", "/O=Example Hospital/CN=" + SNI])
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-s", "0", "-w", pcap,
                             "tcp port %d" % PORT], stderr=subprocess.DEVNULL)
    time.sleep(1.5)
    server = subprocess.Popen(["openssl", "s_server", "-accept", str(PORT), "-cert", cert,
                               "-key", key, "-tls1_3", "-www", "-naccept", "1"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1)
    run(["curl", "-sk", "--tlsv1.3", "--max-time", "5", "--resolve",
         "%s:%d:127.0.0.1" % (SNI, PORT), "https://%s/" % SNI])
    time.sleep(1)
    server.kill()
    dump.terminate()
    dump.wait()


def main():
    pcap = os.path.join(HERE, "input.pcap")
    with tempfile.TemporaryDirectory() as tmp:
        capture(tmp, pcap)
    ch, sh = [], []
    for _, p in ja_ref.pcap_payloads(pcap):
        if p[0] == 22 and p[5] in (1, 2):
            body = p[9:9 + int.from_bytes(p[6:9], "big")]
            (ch if p[5] == 1 else sh).append(ja_ref.parse_hello(body, p[5] == 2))
    assert len(ch) == 1 and len(sh) == 1, "expected one handshake"
    ja3, ja3_hash = ja_ref.ja3(ch[0])
    ja3s, ja3s_hash = ja_ref.ja3s(sh[0])
    fields = {
        "src_ip": "127.0.0.1", "dest_port": PORT, "app_proto": "tls",
        "tls.version": "TLS 1.3", "tls.sni": SNI, "tls.client_alpns": ["h2", "http/1.1"],
        "tls.ja3.string": ja3, "tls.ja3.hash": ja3_hash, "tls.ja4": ja_ref.ja4(ch[0]),
        "tls.ja3s.string": ja3s, "tls.ja3s.hash": ja3s_hash,
        "tls.server_handshake.version": "TLS 1.3",
        "tls.server_handshake.cipher": sh[0]["cipher"],
        "tls.client_handshake.version": "TLS 1.2",
        "tls.subject": {"$absent": True}, "tls.session_resumed": {"$absent": True},
    }
    expected = {
        "about": "Real traffic: Debian's curl with --tlsv1.3 against openssl s_server -www on "
                 "loopback port 443. The certificate is encrypted in TLS 1.3, so only the hellos "
                 "are reported. Made by make.py; JA3/JA3S/JA4 worked out by "
                 "../tls-openssl12/ja_ref.py, not by wardwatch.",
        "exit": 0,
        "expect": [
            {"event_type": "tls", "count": 1, "fields": fields},
            {"event_type": "anomaly", "count": 0},
            {"event_type": "stats", "count": 1, "fields": {"stats.app_layer.flow.tls": 1,
                                                          "stats.app_layer.malformed.tls": 0}},
        ],
    }
    with open(os.path.join(HERE, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump(expected, fh, indent=1)
        fh.write("\n")


if __name__ == "__main__":
    main()
