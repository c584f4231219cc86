#!/usr/bin/env python3
"""The `eval --batch` benchmark's inputs: a flag repository with one flag of three rules (a
segment, tenants, conditions with a rollout) and a rollout fallthrough, and N evaluation requests
(JSON Lines) for it with varied users and attributes, some missing or mistyped.

    python3 bench/eval_gen.py DIR N [SEED]
"""
import json
import os
import random
import sys

FLAG = """\
name: checkout
version: 1.0.0
description: One-page checkout, A/B against the classic flow
owner: team-payments
kind: experiment
lifecycle: approved
type: string
variants: { classic: classic, onepage: onepage }
default: classic
requires: ">=4.2.0"
enabled: true
rules:
  - name: staff first
    segment: staff
    serve: onepage
  - name: pilot tenants
    tenants: [acme, globex]
    serve: onepage
  - name: eu mobile
    when:
      - { attribute: country, op: in, values: [de, fr, nl] }
      - { attribute: appVersion, op: semver_gte, value: "4.2.0" }
    rollout: { onepage: 50, classic: 50 }
rollout: { onepage: 10, classic: 90 }
"""

STAFF = """\
name: staff
description: Staff (work email)
when:
  - { attribute: email, op: ends_with, value: "@shopwell.io" }
"""


def main():
    out, n = sys.argv[1], int(sys.argv[2])
    rng = random.Random(int(sys.argv[3]) if len(sys.argv) > 3 else 42)
    os.makedirs(os.path.join(out, "repo", "flags", "prod"), exist_ok=True)
    os.makedirs(os.path.join(out, "repo", "segments"), exist_ok=True)
    with open(os.path.join(out, "repo", "flagctl.yaml"), "w") as f:
        f.write("environments:\n  - name: prod\n")
    with open(os.path.join(out, "repo", "flags", "prod", "checkout.yaml"), "w") as f:
        f.write(FLAG)
    with open(os.path.join(out, "repo", "segments", "staff.yaml"), "w") as f:
        f.write(STAFF)
    countries = ["de", "fr", "nl", "us", "gb", "es", "it", 7, None]
    versions = ["4.2.0", "4.3.1", "v4.2.0", "4.1.9", "4.2", "5.0.0-rc.1", "garbage", 4.2]
    tenants = ["acme", "globex", "initech", "hooli", "umbrella"]
    with open(os.path.join(out, "requests.jsonl"), "w") as f:
        for i in range(n):
            context = {"targetingKey": f"user-{rng.randrange(10_000_000)}"}
            roll = rng.random()
            if roll < 0.02:
                context["email"] = f"u{i}@shopwell.io"
            elif roll < 0.5:
                context["email"] = f"u{i}@example.com"
            if rng.random() < 0.3:
                context["tenant"] = rng.choice(tenants)
            if rng.random() < 0.8:
                context["country"] = rng.choice(countries)
            if rng.random() < 0.8:
                context["appVersion"] = rng.choice(versions)
            if rng.random() < 0.05:
                del context["targetingKey"]
            f.write(json.dumps({"flag": "checkout", "context": context}, separators=(",", ":")))
            f.write("\n")


if __name__ == "__main__":
    main()
