#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Live SMB test: Debian's Samba (smbd, configured to still allow SMB1) answers smbclient on
loopback while tcpdump captures it; wardwatch analyzes the capture. Checks:

  1. smbclient limited to SMB1 (-m NT1): an smb event of version 1 with an SMB1 dialect;
  2. smbclient as it comes: an smb event of version 3, dialect 3.1.1;
  3. exactly one finding, legacy_service "smbv1", on the server.

It needs root (smbd on port 445, tcpdump on lo) and the samba, smbclient and tcpdump
packages; without them it says why and prints "0 passed, 0 failed".

    sudo python3 tests/peer/smb_samba.py --wardwatch build/release/wardwatch
"""
import argparse
import json
import os
import shutil
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
TOOLS = ["smbd", "smbclient", "tcpdump"]

CONF = """[global]
  server min protocol = NT1
  smb ports = 445
  interfaces = lo
  bind interfaces only = yes
  disable netbios = yes
  server role = standalone server
  map to guest = Bad User
  pid directory = {d}
  lock directory = {d}
  state directory = {d}
  cache directory = {d}
  private dir = {d}
  ncalrpc dir = {d}/ncalrpc
  log file = {d}/log.smbd
[share]
  path = {d}/share
  guest ok = yes
"""


def wait_port(port, seconds):
    end = time.time() + seconds
    while time.time() < end:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return True
        time.sleep(0.1)
    return False


def capture(tmp):
    """Runs the two smbclient sessions against smbd under tcpdump; returns the capture path."""
    state = os.path.join(tmp, "state")
    os.makedirs(os.path.join(state, "share"))
    conf = os.path.join(tmp, "smb.conf")
    with open(conf, "w") as f:
        f.write(CONF.format(d=state))
    pcap = os.path.join(tmp, "smb.pcap")
    # its own session: smbd signals its whole process group when it stops
    smbd = subprocess.Popen(["smbd", "--foreground", "--no-process-group", "--configfile", conf],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    dump = None
    try:
        if not wait_port(445, 15):
            raise RuntimeError("smbd did not listen on 127.0.0.1:445")
        dump = subprocess.Popen(["tcpdump", "-i", "lo", "-U", "-w", pcap, "tcp port 445"],
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(1)
        for extra in (["--option=client min protocol=NT1", "-m", "NT1"], []):
            subprocess.run(["smbclient", "-N", "-L", "//127.0.0.1", "--configfile=/dev/null",
                            *extra], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           timeout=30)
        time.sleep(1)
    finally:
        if dump is not None:
            dump.terminate()
            dump.wait()
        smbd.terminate()
        smbd.wait()
    return pcap


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    a = ap.parse_args()
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if os.geteuid() != 0 or missing:
        print("skip: needs root and %s" % (", ".join(missing) or "nothing else"))
        print("0 passed, 0 failed")
        return 0
    counts = [0, 0]

    def tally(ok, what):
        counts[0 if ok else 1] += 1
        print("%s %s" % ("ok  " if ok else "FAIL", what))

    with tempfile.TemporaryDirectory() as tmp:
        pcap = capture(tmp)
        out = os.path.join(tmp, "out")
        subprocess.run([a.wardwatch, "analyze", "-q", "-o", out, pcap], check=True,
                       stdout=subprocess.DEVNULL,
                       env=dict(os.environ, WARDWATCH_DATA=os.path.join(ROOT, "data")))
        with open(os.path.join(out, "eve.json")) as f:
            smb = [e["smb"] for e in map(json.loads, f) if e["event_type"] == "smb"]
        con = sqlite3.connect(os.path.join(out, "wardwatch.db"))
        found = con.execute("SELECT f.kind, f.detail, d.ip FROM findings f"
                            " JOIN devices d ON d.id = f.device_id").fetchall()
        con.close()
    v1 = [s for s in smb if s["version"] == 1]
    v3 = [s for s in smb if s["version"] == 3]
    tally(len(v1) == 1 and v1[0]["dialect"] in ("NT LANMAN 1.0", "NT LM 0.12"),
          "SMB1 client: one negotiation answered in an SMB1 dialect (%s)" % v1)
    tally(len(v3) == 1 and v3[0]["dialect"] == "3.1.1",
          "default client: one negotiation answered in SMB 3.1.1 (%s)" % v3)
    tally(found == [("legacy_service", "smbv1", "127.0.0.1")],
          "exactly one finding: SMBv1 offered by the server (%s)" % found)
    print("%d passed, %d failed" % (counts[0], counts[1]))
    return 1 if counts[1] else 0


if __name__ == "__main__":
    sys.exit(main())
