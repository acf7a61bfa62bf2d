#!/bin/sh
# Makes input.pcap: dig (bind9-dnsutils) asking dnsmasq 2.90 (dnsmasq-base)
# on the loopback of a private network namespace, over UDP and over TCP
# (dig +tcp), for A, AAAA, CNAME, MX, TXT, SRV, PTR and a name that does
# not exist. Needs root, iproute2 and tcpdump. Run from this folder.
set -eu
NS=wwdns$$
OUT=$(pwd)/input.pcap
ip netns add "$NS"
DNSMASQ=
trap 'kill $DNSMASQ 2>/dev/null || true; wait; ip netns del "$NS"' EXIT
ip netns exec "$NS" ip link set lo up
ip netns exec "$NS" tcpdump -i lo -U -w "$OUT" port 53 2>/dev/null &
TCPDUMP=$!
sleep 1
ip netns exec "$NS" dnsmasq --no-resolv --no-hosts --no-daemon --port=53 \
    --listen-address=127.0.0.1 --bind-interfaces --local=/ward.example/ \
    --host-record=pacs.ward.example,10.20.0.5,fd00:20::5 \
    --cname=images.ward.example,pacs.ward.example \
    --mx-host=ward.example,mail.ward.example,10 \
    --host-record=mail.ward.example,10.20.0.25 \
    --txt-record=ward.example,"v=spf1 mx -all" \
    --srv-host=_dicom._tcp.ward.example,pacs.ward.example,104,0,5 \
    --ptr-record=5.0.20.10.in-addr.arpa,pacs.ward.example \
    2>/dev/null &
DNSMASQ=$!
sleep 1
D="ip netns exec $NS dig @127.0.0.1 +tries=1 +time=2"
$D pacs.ward.example A
$D pacs.ward.example AAAA
$D images.ward.example A
$D ward.example MX
$D ward.example TXT
$D _dicom._tcp.ward.example SRV
$D -x 10.20.0.5
$D nothere.ward.example A
$D +tcp pacs.ward.example A
$D +tcp ward.example MX
sleep 1
kill -INT $TCPDUMP
wait $TCPDUMP 2>/dev/null || true
