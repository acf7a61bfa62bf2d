#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Regenerates input.pcap: an HL7 v2 sender and an MLLP receiver on
127.0.0.1:2575, captured by tcpdump on lo. Needs root (or capture rights).

The sender sends four invented messages (ADT^A01, two ORU^R01 from bedside
monitors, ADT^A08) over one connection, waiting for each acknowledgement as
MLLP requires; the receiver answers each with an ACK whose MSA-1 is AA, or
AE for the last one, as an interface engine would. The second message goes
out in two writes so that it spans TCP segments. Every patient is made up.

    sudo python3 tests/pcap/hl7-mllp/make.py
"""
import os
import signal
import socket
import subprocess
import sys
import threading
import time

HOST, PORT = "127.0.0.1", 2575
VT, FS, CR = b"\x0b", b"\x1c", b"\r"
HERE = os.path.dirname(os.path.abspath(__file__))


def hl7(*segments):
    return "\r".join(segments).encode("ascii") + CR


MESSAGES = [
    hl7("MSH|^~\\&|REGADT|MERCY-GEN|LABSYS|MERCY-GEN|20240501081500||ADT^A01^ADT_A01|"
        "WWADT0001|P|2.5.1",
        "EVN|A01|20240501081500",
        "PID|1||WWMRN100231^^^MERCY^MR||DOE^JANE^Q||19710312|F|||12 ELM ST^^SPRINGFIELD^IL",
        "NK1|1|DOE^JOHN|SPO",
        "PV1|1|I|ICU^04^A|||||CARTER^AMY"),
    hl7("MSH|^~\\&|PCD-GW^1.3.6.1.4.1.99999.1^ISO|ICU-EAST|EMR|MERCY-GEN|20240501081600||"
        "ORU^R01^ORU_R01|WWORU0001|P|2.6",
        "PID|1||WWMRN100231^^^MERCY^MR||DOE^JANE^Q||19710312|F",
        "PV1|1|I|ICU^04^A",
        "OBR|1|||182777000^monitoring of patient^SCT|||20240501081600",
        "OBX|1|NM|150456^MDC_PULS_OXIM_SAT_O2^MDC|1.1.1.1|96|262688^MDC_DIM_PERCENT^MDC|||||F"
        "|||20240501081600||||MON-ICU04^^0012A3FFFE45B6C7^EUI-64",
        "OBX|2|NM|147842^MDC_ECG_HEART_RATE^MDC|1.1.2.1|88|264864^MDC_DIM_BEAT_PER_MIN^MDC|||||F"
        "|||20240501081600||||MON-ICU04^^0012A3FFFE45B6C7^EUI-64"),
    hl7("MSH|^~\\&|PCD-GW^1.3.6.1.4.1.99999.1^ISO|ICU-EAST|EMR|MERCY-GEN|20240501081700||"
        "ORU^R01^ORU_R01|WWORU0002|P|2.6",
        "PID|1||WWMRN100877^^^MERCY^MR||ROE^RICHARD||19550704|M",
        "OBR|1|||182777000^monitoring of patient^SCT|||20240501081700",
        "OBX|1|NM|150021^MDC_PRESS_BLD_NONINV_SYS^MDC|1.1.3.1|141|266016^MDC_DIM_MMHG^MDC"
        "|||||F|||20240501081700||||NIBP-ICU07^^0012A3FFFE99C001^EUI-64",
        "OBX|2|NM|150022^MDC_PRESS_BLD_NONINV_DIA^MDC|1.1.3.2|92|266016^MDC_DIM_MMHG^MDC"
        "|||||F|||20240501081700||||NIBP-ICU07^^0012A3FFFE99C001^EUI-64"),
    hl7("MSH|^~\\&|REGADT|MERCY-GEN|LABSYS|MERCY-GEN|20240501081800||ADT^A08^ADT_A01|"
        "WWADT0002|P|2.5.1",
        "EVN|A08|20240501081800",
        "PID|1||WWMRN100877^^^MERCY^MR||ROE^RICHARD||19550704|M",
        "PV1|1|I|ICU^07^B"),
]


def field(msg, seg, n):
    for line in msg.split(CR):
        parts = line.decode("ascii").split("|")
        if parts[0] == seg:
            return parts[n - 1] if seg == "MSH" else parts[n]
    return ""


def ack_for(msg, i):
    code = "AE" if i == len(MESSAGES) - 1 else "AA"
    text = "|unknown visit" if code == "AE" else ""
    return hl7("MSH|^~\\&|%s|%s|%s|%s|2024050108%02d00||ACK^%s^ACK|WWACK%04d|P|%s"
               % (field(msg, "MSH", 5), field(msg, "MSH", 6), field(msg, "MSH", 3),
                  field(msg, "MSH", 4), 15 + i, field(msg, "MSH", 9).split("^")[1], i + 1,
                  field(msg, "MSH", 12)),
               "MSA|%s|%s%s" % (code, field(msg, "MSH", 10), text))


def read_frame(conn, buf):
    while FS + CR not in buf:
        data = conn.recv(4096)
        if not data:
            return None, buf
        buf += data
    end = buf.index(FS + CR)
    if not buf.startswith(VT):
        raise ValueError("frame does not start with VT")
    return buf[1:end], buf[end + 2:]


def receiver(srv):
    conn, _ = srv.accept()
    buf = b""
    for i in range(len(MESSAGES)):
        msg, buf = read_frame(conn, buf)
        if msg is None:
            break
        conn.sendall(VT + ack_for(msg, i) + FS + CR)
    conn.close()


def sender():
    sock = socket.create_connection((HOST, PORT))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    buf = b""
    for i, msg in enumerate(MESSAGES):
        frame = VT + msg + FS + CR
        if i == 1:
            sock.sendall(frame[:150])
            time.sleep(0.05)
            sock.sendall(frame[150:])
        else:
            sock.sendall(frame)
        ack, buf = read_frame(sock, buf)
        print("sent %s, got %s" % (field(msg, "MSH", 10), field(ack, "MSA", 1)))
    sock.close()


def main():
    out = os.path.join(HERE, "input.pcap")
    dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", out, "tcp port %d" % PORT],
                            stderr=subprocess.PIPE)
    dump.stderr.readline()  # "listening on lo ..." once it captures
    time.sleep(0.5)
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((HOST, PORT))
    srv.listen(1)
    thread = threading.Thread(target=receiver, args=(srv,))
    thread.start()
    sender()
    thread.join()
    srv.close()
    time.sleep(0.5)
    dump.send_signal(signal.SIGINT)
    dump.wait()
    print("wrote", out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
