#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Live DICOM test: Debian's dcmtk talks to itself on loopback while tcpdump
captures it; wardwatch analyzes the capture and its dicom events are checked.
Prints "N passed, N failed" last.

The session (DICOM PS3.8 associations, PS3.7 DIMSE services):
  1. echoscu -> storescp (port 11112): A-ASSOCIATE-RQ/AC, C-ECHO-RQ/RSP, release
  2. storescu -> storescp: a CT image built here with dump2dcm from a text
     dump (CT Image Storage, 48x48 pixels, an invented phantom "patient"),
     sent in several P-DATA-TF PDUs (storescp offers a 4096-byte maximum PDU)
  3. echoscu -> storescp --refuse (port 4242): A-ASSOCIATE-RJ
  4. echoscu --abort -> storescp: A-ABORT

It needs root (tcpdump on lo) and the dcmtk and tcpdump packages; without
them it says why and prints "0 passed, 0 failed". With --write-pcap PATH it
only makes the capture (tests/pcap/dicom-dcmtk/make.sh uses this, with
--required-only so that storescu proposes CT Image Storage alone).

    sudo python3 tests/peer/dicom_dcmtk.py --wardwatch build/release/wardwatch
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HOST = "127.0.0.1"
STORE_PORT = 11112  # a DICOM port wardwatch listens on
REFUSE_PORT = 4242  # another
SCP_AE, REFUSE_AE, SCU_AE = "WWPACS", "WWREFUSE", "WWMODALITY"
CT_STORAGE = "1.2.840.10008.5.1.4.1.1.2"
VERIFICATION = "1.2.840.10008.1.1"
TOOLS = ["storescp", "storescu", "echoscu", "dump2dcm", "tcpdump"]
PATIENT_NAME = "XQPHANTOM^WARDWATCH"  # invented; must appear in no event
PATIENT_ID = "XQPID48151"
SIDE = 48


def ct_dump():
    """A dcmdump-style text dump of a small CT image, for dump2dcm."""
    pixels = "\\".join("%04x" % ((x * 31 + y * 17) % 4096)
                       for y in range(SIDE) for x in range(SIDE))
    uid = "2.25.1846029317755196042471838519720147"
    return "\n".join([
        "# An invented CT phantom: no real person",
        "(0008,0005) CS [ISO_IR 100]",
        "(0008,0008) CS [ORIGINAL\\PRIMARY\\AXIAL]",
        "(0008,0016) UI [%s]" % CT_STORAGE,
        "(0008,0018) UI [%s1]" % uid,
        "(0008,0020) DA [20240501]",
        "(0008,0030) TM [081500]",
        "(0008,0060) CS [CT]",
        "(0008,0070) LO [WARDWATCH TEST]",
        "(0010,0010) PN [%s]" % PATIENT_NAME,
        "(0010,0020) LO [%s]" % PATIENT_ID,
        "(0010,0030) DA [19000101]",
        "(0010,0040) CS [O]",
        "(0018,0050) DS [1.0]",
        "(0018,0060) DS [120]",
        "(0020,000d) UI [%s2]" % uid,
        "(0020,000e) UI [%s3]" % uid,
        "(0020,0013) IS [1]",
        "(0028,0002) US 1",
        "(0028,0004) CS [MONOCHROME2]",
        "(0028,0010) US %d" % SIDE,
        "(0028,0011) US %d" % SIDE,
        "(0028,0100) US 16",
        "(0028,0101) US 12",
        "(0028,0102) US 11",
        "(0028,0103) US 0",
        "(0028,1052) DS [-1024]",
        "(0028,1053) DS [1]",
        "(7fe0,0010) OW " + pixels,
        "",
    ])


def port_free(port):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # TIME_WAIT is no obstacle
    try:
        s.bind((HOST, port))
        return True
    except OSError:
        return False
    finally:
        s.close()


def listening(port):
    """Whether a socket listens on the port (read from /proc: no connection made,
    so nothing but the session enters the capture)."""
    try:
        with open("/proc/net/tcp", encoding="ascii") as fh:
            rows = [line.split() for line in fh.readlines()[1:]]
    except OSError:
        return False
    return any(r[1].endswith(":%04X" % port) and r[3] == "0A" for r in rows)


def wait_listening(port, timeout=10.0):
    end = time.time() + timeout
    while time.time() < end:
        if listening(port):
            return True
        time.sleep(0.1)
    return False


def run(cmd, log):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=60)
    log.append("$ %s -> %d\n%s%s" % (" ".join(cmd), proc.returncode, proc.stdout, proc.stderr))
    return proc.returncode


def make_capture(pcap, work, required_only, log):
    """Runs the dcmtk session under tcpdump. Returns an error message or None."""
    dump = os.path.join(work, "ct.dump")
    image = os.path.join(work, "ct.dcm")
    stored = os.path.join(work, "stored")
    os.makedirs(stored, exist_ok=True)
    with open(dump, "w", encoding="ascii") as fh:
        fh.write(ct_dump())
    # The pixel data line is long; dump2dcm reads lines up to +l bytes.
    if run(["dump2dcm", "+l", "65536", "+te", dump, image], log) != 0 or \
            not os.path.exists(image):
        return "dump2dcm failed"
    for port in (STORE_PORT, REFUSE_PORT):
        if not port_free(port):
            return "port %d is in use" % port
    procs = []
    try:
        # --immediate-mode: packets still in the kernel's buffer when tcpdump stops are kept.
        tcpdump = subprocess.Popen(["tcpdump", "-i", "lo", "--immediate-mode", "-U", "-Z", "root",
                                    "-w", pcap, "tcp port %d or tcp port %d"
                                    % (STORE_PORT, REFUSE_PORT)],
                                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        procs.append(tcpdump)
        tcpdump.stderr.readline()  # "listening on lo ..." once it captures
        time.sleep(0.5)
        procs.append(subprocess.Popen(["storescp", "-aet", SCP_AE, "-pdu", "4096", "-od", stored,
                                       str(STORE_PORT)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        procs.append(subprocess.Popen(["storescp", "-aet", REFUSE_AE, "--refuse", "-od", stored,
                                       str(REFUSE_PORT)], stdout=subprocess.DEVNULL,
                                      stderr=subprocess.DEVNULL))
        if not (wait_listening(STORE_PORT) and wait_listening(REFUSE_PORT)):
            return "storescp did not start"
        scu = ["-aet", SCU_AE, "-aec", SCP_AE, HOST, str(STORE_PORT)]
        if run(["echoscu"] + scu, log) != 0:
            return "echoscu failed"
        if run(["storescu"] + (["-R"] if required_only else []) + scu + [image], log) != 0:
            return "storescu failed"
        run(["echoscu", "-aet", SCU_AE, "-aec", REFUSE_AE, HOST, str(REFUSE_PORT)], log)
        run(["echoscu", "--abort"] + scu, log)
        time.sleep(1.0)
    finally:
        for p in reversed(procs):
            p.send_signal(signal.SIGINT if p is procs[0] else signal.SIGTERM)
            try:
                p.wait(timeout=5)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    if not any(f.startswith("CT.") for f in os.listdir(stored)):
        return "storescp stored no CT image"
    return None


class Checks:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what, detail=""):
        if ok:
            self.passed += 1
            print("ok   dicom-dcmtk: " + what)
        else:
            self.failed += 1
            print("FAIL dicom-dcmtk: " + what + (": " + detail if detail else ""))


def dicom_events(events, **match):
    out = []
    for e in events:
        d = e.get("dicom")
        if e.get("event_type") == "dicom" and all(d.get(k) == v for k, v in match.items()):
            out.append(e)
    return out


def contexts_named(ev, name):
    return [pc for pc in ev["dicom"].get("presentation_contexts", [])
            if pc.get("abstract_syntax_name") == name]


def check_associations(c, events):
    rqs = dicom_events(events, pdu_type="A-ASSOCIATE-RQ", called_ae_title=SCP_AE)
    acs = dicom_events(events, pdu_type="A-ASSOCIATE-AC")
    c.check(len(rqs) >= 3, "an A-ASSOCIATE-RQ per association to %s" % SCP_AE,
            "%d" % len(rqs))
    c.check(all(e["dicom"].get("calling_ae_title") == SCU_AE for e in rqs),
            "calling AE title %s" % SCU_AE)
    c.check(all(e["dicom"].get("implementation_version", "").startswith("OFFIS_DCMTK_")
                for e in rqs + acs) and len(acs) >= 3,
            "implementation version OFFIS_DCMTK_... in every RQ and AC")
    c.check(all(e["dicom"].get("application_context_name") == "DICOM Application Context Name"
                for e in rqs + acs), "application context named")
    store_rq = [e for e in rqs if contexts_named(e, "CT Image Storage")]
    c.check(len(store_rq) == 1 and contexts_named(store_rq[0], "CT Image Storage")[0]
            .get("abstract_syntax") == CT_STORAGE, "CT Image Storage proposed by UID and name")
    flow = store_rq[0]["flow_id"] if store_rq else None
    store_ac = [e for e in acs if e["flow_id"] == flow]
    accepted = [pc for e in store_ac for pc in contexts_named(e, "CT Image Storage")
                if pc.get("result_name") == "acceptance" and pc.get("transfer_syntax")]
    c.check(len(accepted) >= 1, "CT Image Storage accepted with a transfer syntax")
    echo_rq = [e for e in rqs if contexts_named(e, "Verification SOP Class")]
    c.check(len(echo_rq) >= 2, "Verification SOP Class proposed by echoscu")
    c.check(all(e["dicom"].get("max_pdu_length", 0) > 0 for e in rqs + acs),
            "maximum PDU length in each")
    rj = dicom_events(events, pdu_type="A-ASSOCIATE-RJ")
    c.check(len(rj) == 1 and rj[0]["src_port"] == REFUSE_PORT and
            rj[0]["dicom"].get("result_name", "").startswith("rejected-") and
            "source_name" in rj[0]["dicom"], "A-ASSOCIATE-RJ from storescp --refuse",
            json.dumps([e["dicom"] for e in rj]))
    refused = dicom_events(events, pdu_type="A-ASSOCIATE-RQ", called_ae_title=REFUSE_AE)
    c.check(len(refused) == 1 and refused[0]["dest_port"] == REFUSE_PORT,
            "the refused RQ on port %d" % REFUSE_PORT)


def check_commands(c, events):
    def one(command):
        return dicom_events(events, command=command)

    # echoscu and echoscu --abort each send one C-ECHO-RQ before they release or abort.
    echo_rq, echo_rsp = one("C-ECHO-RQ"), one("C-ECHO-RSP")
    c.check(len(echo_rq) == 2 and all(e["dicom"].get("affected_sop_class") == VERIFICATION and
                                      e["dest_port"] == STORE_PORT for e in echo_rq),
            "C-ECHO-RQ of the Verification SOP class", json.dumps([e["dicom"] for e in echo_rq]))
    answered = [r for r in echo_rsp for q in echo_rq if r["flow_id"] == q["flow_id"] and
                r["dicom"].get("message_id_responded_to") == q["dicom"].get("message_id")]
    c.check(len(echo_rsp) == 2 and len(answered) == 2 and
            all(r["dicom"].get("status") == 0 and r["dicom"].get("status_name") == "success"
                for r in echo_rsp), "C-ECHO-RSP success to each request",
            json.dumps([e["dicom"] for e in echo_rsp]))
    store_rq, store_rsp = one("C-STORE-RQ"), one("C-STORE-RSP")
    c.check(len(store_rq) == 1 and store_rq[0]["dicom"].get("affected_sop_class_name") ==
            "CT Image Storage" and store_rq[0]["dicom"].get("data_set") is True,
            "C-STORE-RQ of CT Image Storage with a data set",
            json.dumps([e["dicom"] for e in store_rq]))
    c.check(len(store_rsp) == 1 and store_rsp[0]["dicom"].get("status") == 0 and
            store_rsp[0]["dicom"].get("status_name") == "success" and
            store_rsp[0]["dicom"].get("affected_sop_class") == CT_STORAGE and
            store_rsp[0]["dicom"].get("message_id_responded_to") ==
            store_rq[0]["dicom"].get("message_id") if store_rq else False,
            "C-STORE-RSP success to its request", json.dumps([e["dicom"] for e in store_rsp]))
    rel_rq = dicom_events(events, pdu_type="A-RELEASE-RQ")
    rel_rp = dicom_events(events, pdu_type="A-RELEASE-RP")
    c.check(len(rel_rq) == 2 and len(rel_rp) == 2, "A-RELEASE-RQ and -RP for echo and store")
    aborts = dicom_events(events, pdu_type="A-ABORT")
    c.check(len(aborts) == 1 and aborts[0]["dest_port"] == STORE_PORT and
            aborts[0]["dicom"].get("source_name") == "service-user", "A-ABORT by echoscu --abort")


def check_events(c, events, pcap, eve_text):
    check_associations(c, events)
    check_commands(c, events)
    anomalies = [e for e in events if e.get("event_type") == "anomaly"]
    c.check(not anomalies, "no anomaly", json.dumps(anomalies[:2]))
    stats = [e for e in events if e.get("event_type") == "stats"]
    app = stats[-1].get("stats", {}).get("app_layer", {}) if stats else {}
    c.check(app.get("malformed", {}).get("dicom") == 0 and app.get("flow", {}).get("dicom", 0) >= 4,
            "dicom flows counted, none malformed", json.dumps(app))
    with open(pcap, "rb") as fh:
        raw = fh.read()
    c.check(PATIENT_NAME.encode() in raw and PATIENT_NAME not in eve_text and
            "XQPHANTOM" not in eve_text and PATIENT_ID not in eve_text,
            "the patient name and id are in the capture and in no event")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default="./wardwatch")
    ap.add_argument("--write-pcap", metavar="PATH", help="only make the capture, into PATH")
    ap.add_argument("--required-only", action="store_true",
                    help="storescu proposes only the SOP classes it needs (storescu -R)")
    args = ap.parse_args()
    if os.geteuid() != 0:
        print("skip dicom-dcmtk: needs root for tcpdump on lo")
        print("0 passed, 0 failed")
        return 0
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        print("skip dicom-dcmtk: missing %s (apt-get install dcmtk tcpdump)" % ", ".join(missing))
        print("0 passed, 0 failed")
        return 0
    c = Checks()
    log = []
    with tempfile.TemporaryDirectory(prefix="ww_dicom.") as work:
        pcap = args.write_pcap or os.path.join(work, "dicom.pcap")
        err = make_capture(pcap, work, args.required_only, log)
        if err is not None and any(word in err for word in ("in use",)):
            print("skip dicom-dcmtk: " + err)
            print("0 passed, 0 failed")
            return 0
        c.check(err is None, "dcmtk session captured", (err or "") + "\n" + "\n".join(log))
        if err is None and args.write_pcap:
            print("wrote", pcap)
        elif err is None:
            out = os.path.join(work, "out")
            proc = subprocess.run([args.wardwatch, "analyze", "-q", "-o", out, pcap],
                                  capture_output=True, text=True, timeout=120)
            c.check(proc.returncode == 0, "wardwatch analyze", proc.stderr.strip())
            eve = os.path.join(out, "eve.json")
            if proc.returncode == 0 and os.path.exists(eve):
                with open(eve, encoding="utf-8") as fh:
                    text = fh.read()
                check_events(c, [json.loads(l) for l in text.splitlines() if l], pcap, text)
            if c.failed:
                print("the dcmtk session:\n" + "\n".join(log))
    print("%d passed, %d failed" % (c.passed, c.failed))
    return 1 if c.failed else 0


if __name__ == "__main__":
    sys.exit(main())
