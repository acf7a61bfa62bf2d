#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates input.pcap: Debian's curl 7.88 against Python 3.11's
# `python3 -m http.server --protocol HTTP/1.1` on 127.0.0.1:8000, captured
# by tcpdump on lo. Needs root (or capture rights).
#
# 1. one curl run, one keep-alive connection: GET with Basic credentials
#    (user nurse1, password not-a-real-secret), HEAD, GET of a missing page
#    (these two without credentials);
# 2. a POST with a chunked request body (the server answers 501);
# 3. an HTTP/1.0 GET of the directory listing.
#
#     sudo sh tests/pcap/http-curl/make.sh
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
WORK=$(mktemp -d)
trap 'kill $SRV $DUMP 2>/dev/null || true; rm -rf "$WORK"' EXIT
printf '{"bed":12,"state":"idle"}\n' > "$WORK/status.json"
printf 'ward 3 readings\n' > "$WORK/readings.txt"
cd "$WORK"
/usr/bin/python3 -m http.server --bind 127.0.0.1 --protocol HTTP/1.1 8000 >/dev/null 2>&1 &
SRV=$!
sleep 1
tcpdump -i lo -s 0 -U -w "$HERE/input.pcap" 'tcp port 8000' 2>/dev/null &
DUMP=$!
sleep 1
curl -s -o /dev/null -u nurse1:not-a-real-secret -A 'WardPump/2.1 (ward3)' \
    http://127.0.0.1:8000/status.json \
    --next -s -o /dev/null -I -A 'WardPump/2.1 (ward3)' http://127.0.0.1:8000/readings.txt \
    --next -s -o /dev/null -A 'WardPump/2.1 (ward3)' http://127.0.0.1:8000/missing.html
curl -s -o /dev/null -H 'Transfer-Encoding: chunked' --data-binary @readings.txt \
    http://127.0.0.1:8000/upload
curl -s -o /dev/null --http1.0 http://127.0.0.1:8000/
sleep 1
kill $DUMP
wait $DUMP 2>/dev/null || true
