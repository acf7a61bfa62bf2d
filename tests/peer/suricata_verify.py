#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Agreement with Suricata's own regression cases (suricata-verify): for
each case of a protocol wardwatch parses, run `wardwatch analyze` on the
case's capture and check every event filter of its test.yaml whose
event_type wardwatch writes, on the fields wardwatch has. Fields that
wardwatch deliberately never writes (passwords, message payloads that may
carry patient data) and Suricata's engine bookkeeping (pcap_cnt, tx_id,
flow.alerted) are left out and counted as skipped. A filter agrees when as
many events as it names (or at least one) match all compared fields.
Prints one line per case and "N passed, N failed" last; skips with a
message when the data is absent.
"""
import argparse
import glob
import json
import os
import re
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PROTOCOLS = ["mqtt", "dhcp", "hl7", "dns", "tls", "ftp", "ssh", "http", "telnet"]
# Never written by design: secrets, payloads and free-form user data that may
# carry patient data (see README, privacy).
WITHHELD = re.compile(r"(^|\.)(password|message|authentication_data|correlation_data)$|"
                      r"\.properties\.userprop\d+$")
# Where wardwatch follows the specification and Suricata does not.
KNOWN_DIFFERENCES = {
    "mqtt.disconnect.reason_code":
        "a one-byte MQTT 5 DISCONNECT body is the reason code (MQTT 5.0 3.14.2.1); "
        "Suricata reports 0",
    "mqtt.publish.truncated": "wardwatch streams past long payloads instead of truncating",
    "mqtt.publish.skipped_length": "wardwatch reports payload_len instead",
    "ssh.client.hassh.hash": "the SSH parser stops after the identification strings (the "
        "event is written once both are seen); HASSH needs the KEXINIT that follows",
    "ssh.server.hassh.hash": "as ssh.client.hassh.hash",
}
# Cases whose protocol arrives in a transport wardwatch does not decode, by name prefix.
OUT_OF_SCOPE = {
    "dns-over-http2": "DNS over HTTP/2 (DoH): wardwatch has no HTTP/2 parser",
    "ftp/ftp-too-long-command-higher-limit":
        "raises ftp.max-line-length in a suricata.yaml not kept here; wardwatch's FTP "
        "line limit is fixed at Suricata's default, 4096 bytes",
}
# wardwatch writes Suricata 8's DNS log (version 3). Cases that configure the v2
# log (upstream, in a suricata.yaml not kept here) are read in v3 terms: the
# types were renamed, and v3 logs a response with the responder as src.
SURICATA_VERSION = (8, 0)
DNS_V2_TYPES = {"query": "request", "answer": "response"}
BOOKKEEPING = {"pcap_cnt", "tx_id", "flow.alerted", "in_iface", "timestamp", "flow_id", "pkt_src"}
sys.path.insert(0, os.path.join(HERE, "..", "lib"))
from eve import MISSING, get_path, load_events  # noqa: E402


def load_yaml_checks(path):
    """Reads the `checks:` list of a test.yaml: filter count and match
    fields. A small reader for the subset these files use (no PyYAML)."""
    checks, cur, in_match, last_key = [], None, False, None
    for raw in open(path, encoding="utf-8"):
        line = raw.rstrip("\n")
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if cur is not None and in_match and last_key and ":" not in stripped and \
                isinstance(cur["match"][last_key], str):
            cur["match"][last_key] += " " + stripped  # a plain scalar folded onto this line
            continue
        if stripped.startswith("- filter:"):
            cur = {"count": None, "match": {}}
            checks.append(cur)
            in_match = False
        elif cur is not None and stripped.startswith("count:"):
            cur["count"] = int(stripped.split(":", 1)[1])
        elif cur is not None and not in_match and re.match(r"(filename|min-version|lt-version):",
                                                           stripped):
            key, _, val = stripped.partition(":")
            cur[key] = val.strip().strip("\"'")
        elif cur is not None and stripped == "match:":
            in_match = True
        elif cur is not None and in_match and ":" in stripped and not stripped.startswith("-"):
            key, _, val = stripped.partition(":")
            last_key = key.strip()
            cur["match"][last_key] = parse_scalar(val.strip())
        elif not line.startswith(" ") and not line.startswith("-"):
            cur, in_match = None, False
    return checks


def parse_flow(text):
    """A YAML flow collection such as "[ {topic: topicX, qos: 0} ]" as JSON."""
    def value(m):
        v = m.group(2).strip()
        if re.fullmatch(r"-?\d+(\.\d+)?|true|false|null", v) or v[:1] in "\"'[{":
            return '"%s": %s' % (m.group(1), v.replace("'", '"'))
        return '"%s": "%s"' % (m.group(1), v)
    body = re.sub(r"([A-Za-z_][\w.-]*)\s*:\s*([^,{}\[\]]+)", value, text)
    # Bare words as sequence items: [ topicX, topicY ]
    body = re.sub(r"(?<=[\[,])\s*([A-Za-z_][\w./+#-]*)\s*(?=[,\]])",
                  lambda m: ' "%s"' % m.group(1), body)
    try:
        return json.loads(body)
    except ValueError:
        return text


def parse_scalar(text):
    if text[:1] in "[{":
        return parse_flow(text)
    if text in ("true", "false"):
        return text == "true"
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    try:
        return int(text)
    except ValueError:
        pass
    try:
        return float(text)
    except ValueError:
        return text


def groups(fields):
    """Fields by their message object: Suricata puts a request and its
    response (connect and connack, publish and puback) in one event where
    wardwatch writes one event per message, so each group is matched apart."""
    out = {}
    for k, v in fields.items():
        parts = re.findall(r"[^.\[\]]+", k)
        out.setdefault(parts[1] if len(parts) > 2 else "", {})[k] = v
    return out


def field(event, path):
    """get_path, and the length of a list or object for a path ending in .__len."""
    if path.endswith(".__len"):
        v = get_path(event, path[:-len(".__len")])
        return len(v) if isinstance(v, (list, dict, str)) else MISSING
    return get_path(event, path)


def version_applies(chk):
    """Whether a filter's own min-version / lt-version admit SURICATA_VERSION."""
    def ver(text):
        return tuple(int(x) for x in re.findall(r"\d+", text)[:2])
    if "min-version" in chk and SURICATA_VERSION < ver(chk["min-version"]):
        return False
    return not ("lt-version" in chk and SURICATA_VERSION >= ver(chk["lt-version"]))


def dns_v2_to_v3(fields):
    """A filter on a v2 DNS log in v3 terms (see DNS_V2_TYPES)."""
    if fields.get("dns.type") not in DNS_V2_TYPES:
        return fields
    out = dict(fields, **{"dns.type": DNS_V2_TYPES[fields["dns.type"]]})
    if out["dns.type"] == "response":
        for a, b in (("src_ip", "dest_ip"), ("src_port", "dest_port")):
            if a in fields or b in fields:
                out.pop(a, None)
                out.pop(b, None)
                if b in fields:
                    out[a] = fields[b]
                if a in fields:
                    out[b] = fields[a]
    return out


def filter_agrees(events, et, fields, count):
    same_type = [e for e in events if e.get("event_type") == et]
    if count == 0:
        return not any(all(field(e, k) == v for k, v in fields.items()) for e in same_type)
    parts = groups(fields)
    if not parts:
        return bool(same_type)  # every field skipped: the event must still be there
    for part in parts.values():
        sel = [e for e in same_type if all(field(e, k) == v for k, v in part.items())]
        if not sel or (count is not None and len(parts) == 1 and len(sel) != count):
            return False
    return True


def describe_miss(events, et, fields, count):
    same_type = [e for e in events if e.get("event_type") == et]
    near = max(same_type, default={}, key=lambda e: sum(
        field(e, k) == v for k, v in fields.items()))
    diff = ["%s=%s (suricata %s)" % (k, json.dumps(field(near, k)) if
            field(near, k) is not MISSING else "absent", json.dumps(v))
            for k, v in fields.items() if field(near, k) != v][:4]
    return "%s filter (count %s): nearest %s event differs: %s" % (
        et, count, et, "; ".join(diff) or "(none written)")


def check_case(wardwatch, case):
    caps = sorted(glob.glob(os.path.join(case, "*.pcap")) + glob.glob(os.path.join(case, "*.pcapng")))
    with tempfile.TemporaryDirectory() as out:
        subprocess.run([wardwatch, "analyze", "-q", "-o", out] + caps, capture_output=True,
                       timeout=120)
        events = load_events(os.path.join(out, "eve.json"))
    ours = {e.get("event_type") for e in events}
    compared = agreed = skipped = 0
    problems = []
    for chk in load_yaml_checks(os.path.join(case, "test.yaml")):
        et = chk["match"].get("event_type")
        if et not in PROTOCOLS or not version_applies(chk):
            continue
        if chk.get("filename", "eve.json") != "eve.json":
            skipped += 1  # an output the case configures for itself
            continue
        fields = {}
        count = chk["count"]
        for k, v in chk["match"].items():
            if k == "event_type":
                continue
            if WITHHELD.search(k) or k in BOOKKEEPING or k in KNOWN_DIFFERENCES:
                skipped += 1
                count = None  # fewer fields select more events: only "some" is checked
            else:
                fields[k] = v
        if et == "dns":
            fields = dns_v2_to_v3(fields)
        compared += 1
        if filter_agrees(events, et, fields, count):
            agreed += 1
        else:
            problems.append(describe_miss(events, et, fields, count))
    return compared, agreed, skipped, problems, et in ours if compared else False


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--wardwatch", default=os.path.join(ROOT, "wardwatch"))
    ap.add_argument("--data", default=os.environ.get(
        "WW_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data")))
    ap.add_argument("--only", action="append", default=[],
                    help="check only cases whose name starts with this (repeatable)")
    args = ap.parse_args()
    wanted = args.only or PROTOCOLS
    base = os.path.join(args.data, "suricata-verify")
    if not os.path.isdir(base):
        print("skip suricata-verify: %s is absent" % base)
        print("0 passed, 0 failed")
        return 0
    passed = failed = 0
    # Cases sit at the top (mqtt-*) or one level down in a folder per protocol (tls/tls-*).
    cases = glob.glob(os.path.join(base, "*")) + glob.glob(os.path.join(base, "*", "*"))
    for case in sorted(cases):
        name = os.path.relpath(case, base)
        if not os.path.exists(os.path.join(case, "test.yaml")):
            continue
        if not any(name.startswith(p) for p in wanted):
            continue
        if any(name.startswith(p) for p in OUT_OF_SCOPE):
            continue
        compared, agreed, skipped, problems, _ = check_case(args.wardwatch, case)
        if compared == 0:
            continue
        line = "%s: %d of %d filters agree, %d withheld or known-different fields skipped" % (
            name, agreed, compared, skipped)
        if problems:
            failed += 1
            print("FAIL suricata-verify/" + line)
            for p in problems[:4]:
                print("     " + p)
        else:
            passed += 1
            print("ok   suricata-verify/" + line)
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
