#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates input.pcap: Debian's OpenSSH 9.2p1 client against Debian's
# openssh-server (sshd run by hand with a throw-away host key and config) on
# 127.0.0.1:22, captured by tcpdump on lo. The client has no key and
# BatchMode forbids passwords, so authentication fails after the key
# exchange: the identification strings of both sides are in the capture,
# then encrypted packets. Needs root and port 22 free.
#
#     sudo sh tests/pcap/ssh-openssh/make.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'kill $SRV $DUMP 2>/dev/null || true; rm -rf "$WORK"' EXIT
mkdir -p /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$WORK/host_key"
cat > "$WORK/sshd_config" <<CONF
ListenAddress 127.0.0.1:22
HostKey $WORK/host_key
PasswordAuthentication no
KbdInteractiveAuthentication no
PidFile $WORK/sshd.pid
CONF
/usr/sbin/sshd -D -f "$WORK/sshd_config" &
SRV=$!
sleep 1
tcpdump -i lo -s 0 -U -w "$HERE/input.pcap" 'tcp port 22' 2>/dev/null &
DUMP=$!
sleep 1
ssh -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
    -o LogLevel=ERROR \
    nurse1@127.0.0.1 true || true
sleep 1
kill $DUMP
wait $DUMP 2>/dev/null || true
