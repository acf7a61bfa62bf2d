#!/bin/sh
# Makes input.pcap: avahi-daemon 0.8 (Debian 12) announcing a printer
# ("Ward 3 Printer", _ipp._tcp and _http._tcp, Bonjour printing TXT keys)
# and its host name on a veth pair between two network namespaces, then
# answering an mDNS PTR query for _ipp._tcp.local sent from the other side
# by a few lines of Python. tcpdump captures on the querier's side. Needs
# root, iproute2, tcpdump, avahi-daemon and python3. Writes (and removes)
# one static service file in /etc/avahi/services. Run from this folder.
set -eu
A=wwmdnsa$$
B=wwmdnsb$$
OUT=$(pwd)/input.pcap
TMP=$(mktemp -d)
SVC=/etc/avahi/services/wardwatch-test-$$.service
AVAHI=
TCPDUMP=
cleanup() {
    kill $AVAHI 2>/dev/null || true
    [ -n "$TCPDUMP" ] && kill -INT $TCPDUMP 2>/dev/null || true
    wait
    rm -rf "$TMP" "$SVC"
    ip netns del "$A" 2>/dev/null || true
    ip netns del "$B" 2>/dev/null || true
}
trap cleanup EXIT
ip netns add "$A"
ip netns add "$B"
ip link add wwa0 netns "$A" type veth peer name wwb0 netns "$B"
ip -n "$A" addr add 10.77.0.10/24 dev wwa0
ip -n "$B" addr add 10.77.0.20/24 dev wwb0
ip -n "$A" link set wwa0 up
ip -n "$B" link set wwb0 up
ip -n "$A" route add 224.0.0.0/4 dev wwa0
ip -n "$B" route add 224.0.0.0/4 dev wwb0

cat > "$TMP/avahi.conf" <<CONF
[server]
host-name=ward3-printer
domain-name=local
use-ipv4=yes
use-ipv6=no
allow-interfaces=wwa0
enable-dbus=no
[wide-area]
enable-wide-area=no
[publish]
publish-hinfo=no
publish-workstation=no
CONF
mkdir -p /etc/avahi/services /run/avahi-daemon
cat > "$SVC" <<XML
<?xml version="1.0" standalone='no'?>
<!DOCTYPE service-group SYSTEM "avahi-service.dtd">
<service-group>
  <name>Ward 3 Printer</name>
  <service>
    <type>_ipp._tcp</type>
    <port>631</port>
    <txt-record>txtvers=1</txt-record>
    <txt-record>ty=HP LaserJet 400 M401dne</txt-record>
    <txt-record>usb_MFG=Hewlett-Packard</txt-record>
    <txt-record>usb_MDL=LaserJet 400 M401dne</txt-record>
    <txt-record>pdl=application/pdf,image/urf</txt-record>
  </service>
  <service>
    <type>_http._tcp</type>
    <port>80</port>
  </service>
</service-group>
XML

ip netns exec "$B" tcpdump -i wwb0 -U -w "$OUT" udp port 5353 2>/dev/null &
TCPDUMP=$!
sleep 1
ip netns exec "$A" avahi-daemon -f "$TMP/avahi.conf" --no-drop-root --no-chroot \
    --no-rlimits 2>"$TMP/avahi.log" &
AVAHI=$!
sleep 4
ip netns exec "$B" python3 - <<'PY'
import socket, struct, time
q = struct.pack(">6H", 0, 0, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l for l in (b"_ipp", b"_tcp", b"local")) + b"\0"
q += struct.pack(">HH", 12, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("10.77.0.20", 5353))
s.setsockopt(socket.IPPROTO_IP, socket.IP_MULTICAST_TTL, 255)
s.sendto(q, ("224.0.0.251", 5353))
time.sleep(2)
PY
