#!/usr/bin/python3
"""host_check.py: compares `synack netstat --host --json -a` with `ss -tanoH` (issue 10).

  compare SYNACK.json SS.txt      every socket ss lists is in synack's table with the same state,
                                  timer name and (within 2 s) time left, and nothing more
  rules SYNACK.json RULE...       exactly these diagnosis rules fired ("none": none)
  count SYNACK.json STATE N       at least N rows in STATE
"""
import json
import re
import sys

SS_STATE = {"ESTAB": "ESTABLISHED", "SYN-SENT": "SYN_SENT", "SYN-RECV": "SYN_RECV",
            "FIN-WAIT-1": "FIN_WAIT1", "FIN-WAIT-2": "FIN_WAIT2", "TIME-WAIT": "TIME_WAIT",
            "CLOSE-WAIT": "CLOSE_WAIT", "LAST-ACK": "LAST_ACK", "LISTEN": "LISTEN",
            "CLOSING": "CLOSING", "UNCONN": "CLOSE"}


def fail(msg):
    print("host_check: " + msg, file=sys.stderr)
    sys.exit(1)


def ep(d):
    a = d["address"]
    p = "*" if d["port"] is None else str(d["port"])
    return ("[%s]" % a if ":" in a else a) + ":" + p


def seconds(text):
    # ss (print_ms_timer): "1min2sec", "12sec", "684ms", and "2.684ms" for 2 s 684 ms
    m = re.fullmatch(r"(?:(\d+)min)?(?:(\d+)(?:sec|\.))?(?:(\d+)ms)?", text)
    if not m:
        fail("cannot read ss time '%s'" % text)
    mins, secs, ms = (int(g) if g else 0 for g in m.groups())
    return mins * 60 + secs + ms / 1000.0


def load(path):
    with open(path) as f:
        return json.load(f)


def compare(sj, ss):
    doc = load(sj)
    rows = {}
    for c in doc["connections"]:
        key = (ep(c["local"]), ep(c["remote"]).replace(":*", ":*"))
        rows.setdefault(key, []).append(c)
    seen = 0
    for line in open(ss):
        f = line.split()
        if len(f) < 5:
            continue
        state, local, peer = SS_STATE[f[0]], f[3], f[4]
        # ss writes [::ffff:198.18.0.1]:9000 and *:9010 / [::]:9010 for wildcards
        if local.startswith("*:"):
            local = "[::]:" + local[2:]
        if peer.startswith("*:") or peer == "*":
            peer = "[::]:*" if local.startswith("[") else "0.0.0.0:*"
        if peer.endswith(":*") and local.startswith("[") and peer != "[::]:*":
            peer = "[::]:*"
        cands = rows.get((local, peer), [])
        match = [c for c in cands if c["state"] == state]
        if not match:
            fail("ss shows %s %s %s; synack --host has %s" % (state, local, peer,
                                                            [c["state"] for c in cands] or "nothing"))
        c = match[0]
        m = re.search(r"timer:\((\w+),([^,]+),(\d+)\)", line)
        if m:
            name, left = m.group(1), seconds(m.group(2))
            name = {"persist": "probe"}.get(name, name)
            if c["timer"]["name"] != name:
                fail("%s %s: ss timer %s, synack %s" % (local, peer, name, c["timer"]["name"]))
            if abs(float(c["timer"]["left_s"]) - left) > 2.0:
                fail("%s %s: ss timer %s left %.1fs, synack %.1fs" % (local, peer, name, left,
                                                                   float(c["timer"]["left_s"])))
            if int(m.group(3)) != c["timer"]["retransmits"] and name == "on":
                # a retransmission may happen between the two reads: allow one step
                if abs(int(m.group(3)) - c["timer"]["retransmits"]) > 1:
                    fail("%s %s: ss retrans %s, synack %d" % (local, peer, m.group(3), c["timer"]["retransmits"]))
        elif c["timer"]["name"] != "off":
            fail("%s %s: ss shows no timer, synack %s" % (local, peer, c["timer"]["name"]))
        seen += 1
    if seen != len(doc["connections"]):
        fail("ss lists %d sockets, synack --host %d" % (seen, len(doc["connections"])))
    print("host_check: %d sockets agree with ss" % seen)


def rules(sj, want):
    got = sorted(d["rule"] for d in load(sj)["diagnosis"])
    want = sorted(w for w in want if w != "none")
    if got != want:
        fail("diagnosis fired %s, expected %s" % (got, want))
    print("host_check: diagnosis %s" % (got or "quiet"))


def count(sj, state, n):
    k = sum(1 for c in load(sj)["connections"] if c["state"] == state)
    if k < int(n):
        fail("%d rows in %s, expected at least %s" % (k, state, n))


if __name__ == "__main__":
    cmd = sys.argv[1]
    if cmd == "compare":
        compare(sys.argv[2], sys.argv[3])
    elif cmd == "rules":
        rules(sys.argv[2], sys.argv[3:])
    elif cmd == "count":
        count(*sys.argv[2:5])
