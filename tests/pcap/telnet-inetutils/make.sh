#!/bin/sh
# Makes input.pcap: Debian 12's inetutils telnetd 2.4 (with /bin/login and
# PAM) on 127.0.0.1:23 and inetutils telnet as the client, driven by
# pexpect, captured by tcpdump on lo. Run as root. Needs: inetutils-telnetd
# inetutils-telnet python3-pexpect tcpdump. A local user wwnurse with the
# password Not-a-real-pw7 (made up for this capture) is created if absent.
# telnetd normally runs from inetd; a few lines of Python stand in for
# inetd here (accept, put the socket on fds 0-2, exec telnetd).
# Session 1: a wrong password ("Login incorrect"), then the right one, a
# shell command, exit. Session 2: three wrong passwords (a brute force).
set -eu
cd "$(dirname "$0")"
id wwnurse >/dev/null 2>&1 || useradd -m -s /bin/bash wwnurse
echo 'wwnurse:Not-a-real-pw7' | chpasswd
python3 - <<'PY' &
import os, socket
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 23))
s.listen(4)
for _ in range(2):
    c, _ = s.accept()
    if os.fork() == 0:
        for fd in (0, 1, 2):
            os.dup2(c.fileno(), fd)
        os.execv("/usr/sbin/telnetd", ["telnetd"])
    c.close()
PY
lpid=$!
tcpdump -i lo -s 0 -U -w input.pcap 'tcp port 23' 2>/dev/null &
tpid=$!
sleep 1
python3 - <<'PY'
import pexpect

def attempt(t, password):
    t.expect("login: ")
    t.sendline("wwnurse")
    t.expect("Password:")
    t.sendline(password)

t = pexpect.spawn("telnet 127.0.0.1", timeout=20, encoding="utf-8")
attempt(t, "wrong-guess-1")
t.expect("Login incorrect")
attempt(t, "Not-a-real-pw7")
t.expect(r"\$ ")
t.sendline("uname -s")
t.expect(r"\$ ")
t.sendline("exit")
t.expect(pexpect.EOF)

t = pexpect.spawn("telnet 127.0.0.1", timeout=20, encoding="utf-8")
for guess in ("admin", "123456", "password"):
    attempt(t, guess)
    t.expect("Login incorrect")
t.expect("login: ")
t.close()
PY
sleep 1
kill $tpid
wait $tpid 2>/dev/null || true
wait $lpid 2>/dev/null || true
