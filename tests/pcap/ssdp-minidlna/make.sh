#!/bin/sh
# Makes input.pcap: minidlnad 1.3.0 (Debian 12 minidlna) announcing its
# UPnP MediaServer with SSDP NOTIFY (alive at start, byebye at stop) on a
# veth pair between two network namespaces, and answering an M-SEARCH that
# socat sends from the other side. tcpdump captures on the searcher's side.
# Needs root, iproute2, tcpdump, minidlna and socat. Run from this folder.
set -eu
A=wwssdpa$$
B=wwssdpb$$
OUT=$(pwd)/input.pcap
TMP=$(mktemp -d)
DLNA=
TCPDUMP=
cleanup() {
    kill $DLNA 2>/dev/null || true
    [ -n "$TCPDUMP" ] && kill -INT $TCPDUMP 2>/dev/null || true
    wait
    rm -rf "$TMP"
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$A"
ip netns add "$B"
ip link add wwa1 netns "$A" type veth peer name wwb1 netns "$B"
ip -n "$A" addr add 10.77.1.10/24 dev wwa1
ip -n "$B" addr add 10.77.1.20/24 dev wwb1
ip -n "$A" link set wwa1 up
ip -n "$B" link set wwb1 up
ip -n "$A" route add 224.0.0.0/4 dev wwa1
ip -n "$B" route add 224.0.0.0/4 dev wwb1

mkdir -p "$TMP/media" "$TMP/db" "$TMP/log"
cat > "$TMP/minidlna.conf" <<CONF
network_interface=wwa1
port=8200
media_dir=$TMP/media
db_dir=$TMP/db
log_dir=$TMP/log
friendly_name=Ward 3 Media
serial=WW0042
model_number=1
inotify=no
CONF

ip netns exec "$B" tcpdump -i wwb1 -U -w "$OUT" udp port 1900 2>/dev/null &
TCPDUMP=$!
sleep 1
ip netns exec "$A" minidlnad -f "$TMP/minidlna.conf" -P "$TMP/minidlna.pid" -S \
    >"$TMP/minidlna.out" 2>&1 &
DLNA=$!
sleep 3
printf 'M-SEARCH * HTTP/1.1\r\nHOST: 239.255.255.250:1900\r\nMAN: "ssdp:discover"\r\nMX: 1\r\nST: urn:schemas-upnp-org:device:MediaServer:1\r\nUSER-AGENT: Linux/6.1 UPnP/1.1 socat/1.7.4\r\n\r\n' |
    ip netns exec "$B" socat -T3 - \
        UDP4-DATAGRAM:239.255.255.250:1900,bind=10.77.1.20:50000,ip-multicast-ttl=2 >/dev/null
kill $DLNA
wait $DLNA 2>/dev/null || true
DLNA=
sleep 1
