# SPDX-License-Identifier: MIT
"""Shared by the Python test runners: reading eve.json and dotted field paths."""
import json
import re

MISSING = object()


def get_path(obj, dotted):
    """The value at a dotted path such as "flow.pkts_toserver", "vlan.0" or
    "dhcp.params[0]", or MISSING."""
    for part in re.findall(r"[^.\[\]]+", dotted):
        if isinstance(obj, dict) and part in obj:
            obj = obj[part]
        elif isinstance(obj, list) and part.isdigit() and int(part) < len(obj):
            obj = obj[int(part)]
        else:
            return MISSING
    return obj


def load_events(path):
    """Every line of an eve.json as a dict; a line that is not JSON is an error
    naming the file and line."""
    events = []
    with open(path, encoding="utf-8") as fh:
        for n, line in enumerate(fh, 1):
            try:
                events.append(json.loads(line))
            except ValueError as exc:
                raise ValueError("%s:%d: not JSON: %s" % (path, n, exc))
    return events
