#!/usr/bin/env python3
"""Generate a flag repository with a long git history, for the history benchmarks.

usage: history.py OUT_DIR [--commits 20000] [--flags 300] [--seed 7]

Writes OUT_DIR as a git repository built with `git fast-import` (so it has no
commit-graph file and git's changed-path filters do not apply, as SPEC §9 asks):
a flagctl.yaml (dev -> staging -> prod), FLAGS flags in each environment, and then
COMMITS commits, each changing one flag file in one environment the way flagctl's
own commands do (a toggle, a rollout change or a version bump, with Flagctl-Reason
and Flagctl-Command trailers). Deterministic for the same arguments.
"""
import argparse
import os
import random
import subprocess
import sys

ENVS = ["dev", "staging", "prod"]
CONFIG = """environments:
  - name: dev
  - name: staging
  - name: prod
    allowed_lifecycle: [approved, deprecated]
"""


def flag_text(name, version, enabled, on):
    return (
        f"# {name}: generated for the history benchmark\n"
        f"name: {name}\n"
        f"version: {version}\n"
        f"description: Flag {name} of the history benchmark\n"
        f"owner: team-{name[-1]}\n"
        f"kind: release\n"
        f"lifecycle: approved\n"
        f"type: boolean\n"
        f"enabled: {'true' if enabled else 'false'}\n"
        f"rules:\n"
        f"  - name: staff first\n"
        f"    when:\n"
        f"      - {{ attribute: email, op: ends_with, value: \"@example.com\" }}\n"
        f"    serve: \"on\"\n"
        f"rollout: {{ \"on\": {on}, \"off\": {100 - on} }}\n"
    )


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("out")
    ap.add_argument("--commits", type=int, default=20000)
    ap.add_argument("--flags", type=int, default=300)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args()
    rng = random.Random(args.seed)
    os.makedirs(args.out, exist_ok=True)
    subprocess.run(["git", "init", "-q", "-b", "main", args.out], check=True)
    out = []
    mark = 0

    def blob(text):
        nonlocal mark
        mark += 1
        data = text.encode()
        out.append(b"blob\nmark :%d\ndata %d\n%s\n" % (mark, len(data), data))
        return mark

    def commit(ts, author, message, files, parent):
        nonlocal mark
        mark += 1
        msg = message.encode()
        head = b"commit refs/heads/main\nmark :%d\n" % mark
        who = ("%s <%s@example.com> %d +0000" % (author, author, ts)).encode()
        head += b"author " + who + b"\ncommitter " + who + b"\n"
        head += b"data %d\n%s\n" % (len(msg), msg)
        if parent:
            head += b"from :%d\n" % parent
        for path, blob_mark in files:
            head += b"M 100644 :%d %s\n" % (blob_mark, path.encode())
        out.append(head + b"\n")
        return mark

    names = [f"feature_bench_{i:04d}" for i in range(args.flags)]
    state = {(env, n): ["1.0.0", True, 50] for env in ENVS for n in names}
    ts = 1_700_000_000
    files = [("flagctl.yaml", blob(CONFIG))]
    for env in ENVS:
        for n in names:
            v, e, on = state[(env, n)]
            files.append((f"flags/{env}/g{int(n[-4:]) % 10}/{n}.yaml", blob(flag_text(n, v, e, on))))
    parent = commit(ts, "alice", "initial flags\n", files, None)
    authors = ["alice", "bob", "carol", "dave"]
    for i in range(args.commits):
        ts += 600
        env = rng.choice(ENVS)
        n = rng.choice(names)
        s = state[(env, n)]
        what = rng.random()
        if what < 0.4:
            s[1] = not s[1]
            cmd = f"toggle {n} --env {env} {'on' if s[1] else 'off'}"
        elif what < 0.8:
            s[2] = rng.randrange(0, 101)
            cmd = f"set {n} --env {env} rollout.on={s[2]} rollout.off={100 - s[2]}"
        else:
            major, minor, patch = map(int, s[0].split("."))
            s[0] = f"{major}.{minor}.{patch + 1}"
            cmd = f"bump {n} --env {env} patch"
        path = f"flags/{env}/g{int(n[-4:]) % 10}/{n}.yaml"
        msg = f"{cmd.split()[0]} {n} in {env}\n\nFlagctl-Reason: change {i}\nFlagctl-Command: {cmd}\n"
        parent = commit(ts, rng.choice(authors), msg, [(path, blob(flag_text(n, *s)))], parent)
    subprocess.run(["git", "-C", args.out, "fast-import", "--quiet"], input=b"".join(out), check=True)
    subprocess.run(["git", "-C", args.out, "checkout", "-q", "-f", "main"], check=True)
    print(f"{args.out}: {args.commits + 1} commits, {args.flags} flags x 3 environments", file=sys.stderr)


if __name__ == "__main__":
    main()
