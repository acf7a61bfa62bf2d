#!/bin/sh
# Makes input.pcap: Debian 12's vsftpd 3.0.3 on 127.0.0.1:21 and Python's
# ftplib as the client, captured by tcpdump on lo (control channel only).
# Run as root. Needs: vsftpd tcpdump python3. A local user wwnurse with the
# password Not-a-real-pw7 (made up for this capture) is created if absent.
# Session 1: USER/PASS with a wrong password (530), then the right one
# (230), PWD, a multi-line FEAT, TYPE, PASV, EPSV, PORT, NLST (150/226), QUIT.
# Session 2: three wrong passwords in a row (a brute force); vsftpd then
# closes the connection, so the client's QUIT is never answered.
set -eu
cd "$(dirname "$0")"
id wwnurse >/dev/null 2>&1 || useradd -m -s /bin/bash wwnurse
echo 'wwnurse:Not-a-real-pw7' | chpasswd
conf=$(mktemp)
cat > "$conf" <<CONF
listen=YES
listen_ipv6=NO
listen_address=127.0.0.1
anonymous_enable=NO
local_enable=YES
write_enable=NO
pam_service_name=vsftpd
seccomp_sandbox=NO
secure_chroot_dir=/var/run/vsftpd/empty
ftpd_banner=Ward 3 imaging archive FTP
pasv_min_port=40000
pasv_max_port=40010
delay_failed_login=0
CONF
mkdir -p /var/run/vsftpd/empty
vsftpd "$conf" &
vpid=$!
tcpdump -i lo -s 0 -U -w input.pcap 'tcp port 21' 2>/dev/null &
tpid=$!
sleep 1
python3 - <<'PY'
import ftplib
f = ftplib.FTP()
f.connect("127.0.0.1", 21)
try:
    f.login("wwnurse", "wrong-guess-1")
except ftplib.error_perm:
    pass
f.login("wwnurse", "Not-a-real-pw7")
f.pwd()
f.sendcmd("FEAT")
f.voidcmd("TYPE I")
f.sendcmd("PASV")
f.sendcmd("EPSV")
f.sendcmd("PORT 127,0,0,1,156,64")
f.nlst()
f.quit()
g = ftplib.FTP()
g.connect("127.0.0.1", 21)
for guess in ("admin", "123456", "password"):
    try:
        g.login("wwnurse", guess)
    except ftplib.error_perm:
        pass
try:
    g.quit()  # vsftpd closes after max_login_fails (3): QUIT gets no reply
except EOFError:
    pass
PY
sleep 1
kill $tpid $vpid
wait $tpid 2>/dev/null || true
rm -f "$conf"
