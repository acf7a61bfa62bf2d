#!/bin/sh
# SPDX-License-Identifier: MIT
# Regenerates input.pcap: Debian's dcmtk on loopback, captured by tcpdump on lo,
# the same session as the live test tests/peer/dicom_dcmtk.py runs (see it for
# the steps): echoscu and storescu (a 48x48 CT image of an invented phantom,
# proposing CT Image Storage only: storescu -R) to storescp on port 11112 with
# a 4096-byte maximum PDU, echoscu to storescp --refuse on 4242, and echoscu
# --abort. Needs root and the dcmtk and tcpdump packages.
#
#     sudo sh tests/pcap/dicom-dcmtk/make.sh
set -eu
here=$(cd "$(dirname "$0")" && pwd)
exec python3 "$here/../../peer/dicom_dcmtk.py" --required-only --write-pcap "$here/input.pcap"
