#!/usr/bin/env python3
"""Generate a synthetic flagctl flag repository for benchmarking (stdlib only).

Usage: gen.py N OUT_DIR [--seed S] [--identical P] [--unshared]

Writes, deterministically for a given (N, seed) -- same bytes on every run:
  OUT_DIR/flagctl.yaml                         environments dev -> staging -> prod
  OUT_DIR/segments/<name>.yaml                 10 + N//50 segments
  OUT_DIR/flags/<env>/<group>/<name>.yaml      N flags x 3 environments, ~100 flags per group

About 670 bytes per flag file on average (N=10,000: 30,000 flag files, ~20 MB), shaped
like SPEC section 2: every type (boolean / string / number / object), 0-3 rules using
segments, tenants and `when` conditions, `serve` or integer `rollout` fallthroughs.

Every file is valid against schemas/flag.schema.json and segment.schema.json and the
rules of SPEC section 4 (lifecycle `approved` everywhere, so prod's policy holds; no
`expires` in the past). Across environments, by default:
  ~84%  byte-identical in dev, staging and prod (a differ need not even parse them);
  ~10%  same version, different state in one environment (drift/state warnings);
   ~1%  same version, different metadata in dev (drift/metadata warnings);
   ~5%  a higher version upstream (dev, or dev and staging) with a contract change
        (a new variant, a new default, or a new `requires`): drift/behind, info.
--identical P makes P% of the flags byte-identical in all three environments and gives
every other flag three pairwise different files, as real environments have: on top of the
differences above, each copy that would equal another differs a little (a rule's segment,
a rollout percentage, `enabled`, or a patch version upstream with a reworded
description). The flags themselves (and
the random draws behind them) are the same for every P; --identical 0 is the case SPEC
section 9 is judged on (no two files byte-identical).
--unshared ends every top-level line of each copy with a comment naming its environment
(`name: x  # staging`): the copies mean what they meant, but no two share a top-level entry
byte for byte, so flagctl parses each copy whole instead of only the entries that differ
from the copy before it. With --identical 0 it is the loader's worst case.
The generated repository is not a git repository (bench/run.sh commits it).

Strings YAML 1.1 would misread (yes/no/on/off, ...) are quoted; nothing relies on
YAML 1.1 or 1.2 specific typing except plain `expires:` dates, which YAML 1.2 reads
as strings (as flagctl does).
"""
import argparse
import json
import os
import random
import re
import shutil
import sys

ENVS = ["dev", "staging", "prod"]

AREAS = ["checkout", "search", "billing", "onboarding", "mobile", "platform", "growth",
         "catalog", "account", "notifications", "payments", "shipping", "analytics",
         "admin", "support", "reviews", "inventory", "marketing", "security", "recommendations"]
WORDS = ["saved", "cards", "dark", "mode", "typo", "tolerance", "ranking", "layout", "invoice",
         "export", "csv", "banner", "limit", "routing", "checklist", "redesign", "wizard",
         "preview", "bulk", "edit", "inline", "cache", "async", "retry", "fallback", "quick",
         "reorder", "wishlist", "compare", "filters", "sorting", "badge", "tooltip", "digest",
         "email", "push", "sms", "webhook", "sso", "mfa", "audit", "log", "sidebar", "header",
         "footer", "carousel", "pricing", "coupon", "gift", "tax", "refund", "tracking", "label",
         "map", "chat", "widget", "upload", "avatar", "profile", "settings", "theme", "locale"]
KINDS = [("release", "feature", 45), ("experiment", "experiment", 25),
         ("ops", "ops", 20), ("permission", "permission", 10)]
TYPES = [("boolean", 40), ("string", 30), ("number", 15), ("object", 15)]
TAGS = ["web", "mobile", "api", "backend", "frontend", "runbook", "kill-switch", "gdpr",
        "performance", "beta", "q3-launch", "a11y", "seo", "internal"]
COUNTRIES = ["at", "be", "de", "dk", "es", "fi", "fr", "gb", "ie", "it", "nl", "no", "pl",
             "pt", "se", "us", "ca", "br", "jp", "au"]
PLANS = ["free", "starter", "pro", "team", "enterprise"]
TENANTS = ["acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "wonka",
           "cyberdyne", "soylent", "tyrell", "oscorp", "gringotts", "monarch", "vandelay"]
SEGMENT_BASES = ["staff", "beta_testers", "eu_users", "enterprise_customers", "mobile_users",
                 "internal_tenants", "new_signups", "power_users", "ios_latest", "android_latest",
                 "trial_accounts", "nordic_users", "high_value", "support_agents", "qa_team"]
VERBS = ["Enable", "Roll out", "Show", "Use", "Serve", "Switch to", "Try", "Gate", "Expose",
         "Route traffic to"]
NOUNS = ["the new", "the redesigned", "an experimental", "the faster", "the classic",
         "a simplified", "the async", "the v2", "the mobile-first", "the accessible"]
TAILS = ["for logged-in users", "on the product page", "in the EU first",
         "behind the payment audit", "while the migration runs", "for enterprise tenants",
         "during the holiday season", "until the old path is removed",
         "(see the design doc)", "for the café and restaurant vertical",
         "with a kill switch for incidents", "to measure conversion"]
CLAUSES = ["; the old path stays as the default", ", measured against the control group",
           "; rollback is turning it off", ", agreed with legal and the DPO",
           "; expect a small latency increase", ", tracked on the team dashboard"]
COMMENTS = ["Owned by {owner}; ask in #{area} before changing prod.",
            "Toggle with: flagctl toggle {name} --env prod on",
            "Part of the {area} roadmap, see {jira}.",
            "Remove once {jira} ships everywhere.",
            "Changes here need a Flagctl-Reason trailer in prod."]

RESERVED = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
PLAIN = re.compile(r"^[A-Za-z_][A-Za-z0-9_./-]*$")


def s(v):
    """A string scalar: plain when unambiguous in YAML 1.1 and 1.2, else double-quoted."""
    if PLAIN.match(v) and v.lower() not in RESERVED:
        return v
    return json.dumps(v, ensure_ascii=False)


def text(v):
    """Free text (descriptions): plain unless it could be misread."""
    if (v and v[0].isalpha() and ": " not in v and " #" not in v and not v.endswith(":")
            and v.lower() not in RESERVED):
        return v
    return json.dumps(v, ensure_ascii=False)


def val(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        return repr(v)
    return s(v)


def flow_map(d):
    return "{ " + ", ".join(f"{s(k)}: {val(v)}" for k, v in d.items()) + " }"


def flow_list(xs):
    return "[" + ", ".join(val(x) for x in xs) + "]"


def weighted(rnd, pairs):
    total = sum(w for _, w in pairs)
    x = rnd.randrange(total)
    for item, w in pairs:
        if x < w:
            return item
        x -= w
    raise AssertionError


def split100(rnd, k):
    """k non-negative integer weights (multiples of 5 mostly) summing to 100."""
    if k == 2:
        a = rnd.choice([50, 50, 10, 90, 20, 80, 5, 95, 1, 99, 25, 75, 0, 100, 33])
        return [a, 100 - a]
    cuts = sorted(rnd.randrange(0, 21) * 5 for _ in range(k - 1))
    out, prev = [], 0
    for c in cuts + [100]:
        out.append(c - prev)
        prev = c
    return out


def condition(rnd):
    kind = rnd.randrange(11)
    if kind == 0:
        return {"attribute": "country", "op": rnd.choice(["in", "not_in"]),
                "values": rnd.sample(COUNTRIES, rnd.randint(2, 6))}
    if kind == 1:
        return {"attribute": "plan", "op": rnd.choice(["eq", "neq"]), "value": rnd.choice(PLANS)}
    if kind == 2:
        return {"attribute": "plan", "op": "in", "values": rnd.sample(PLANS, 2)}
    if kind == 3:
        return {"attribute": "email", "op": "ends_with",
                "value": "@" + rnd.choice(TENANTS) + rnd.choice([".com", ".io", ".co.uk"])}
    if kind == 4:
        return {"attribute": "tenant", "op": "starts_with", "value": rnd.choice(TENANTS) + "-"}
    if kind == 5:
        return {"attribute": "appVersion",
                "op": rnd.choice(["semver_gte", "semver_gte", "semver_lt", "semver_eq", "semver_gt"]),
                "value": f"{rnd.randint(3, 5)}.{rnd.randint(0, 9)}.{rnd.randint(0, 3)}"}
    if kind == 6:
        return {"attribute": "platform", "op": "in",
                "values": rnd.sample(["ios", "android", "web", "desktop"], 2)}
    if kind == 7:
        return {"attribute": "userAgent", "op": "matches",
                "value": rnd.choice([r"^Mozilla/5\.0 .*Mobile", r"(iPhone|iPad); CPU OS 1[7-9]",
                                     r"Edg/1[2-3][0-9]\."])}
    if kind == 8:
        return {"attribute": "age", "op": rnd.choice(["gte", "lt"]), "value": rnd.choice([16, 18, 21, 65])}
    if kind == 9:
        return {"attribute": "riskScore", "op": rnd.choice(["gt", "lte"]),
                "value": rnd.choice([0.25, 0.5, 0.75, 0.9])}
    return {"attribute": "beta", "op": "eq", "value": True}


def render_condition(c, indent, flow):
    pad = " " * indent
    vkey = "values" if "values" in c else "value"
    vtxt = flow_list(c[vkey]) if vkey == "values" else (
        c[vkey] if c["op"].startswith("semver") else val(c[vkey]))
    if flow:
        return f"{pad}- {{ attribute: {s(c['attribute'])}, op: {c['op']}, {vkey}: {vtxt} }}\n"
    return (f"{pad}- attribute: {s(c['attribute'])}\n{pad}  op: {c['op']}\n"
            f"{pad}  {vkey}: {vtxt}\n")


# ---------------------------------------------------------------------------------------
# flags


def make_variants(rnd, ftype, area):
    """(variants dict or None, default name or None)."""
    if ftype == "boolean":
        style = rnd.randrange(4)
        if style <= 1:
            return None, None                       # implicit on/off
        if style == 2:
            return {"on": True, "off": False}, "off"  # quoted keys: YAML 1.1 pitfall
        return ({"live": False, "killed": True}, "live") if rnd.random() < 0.5 else \
               ({"enabled": True, "disabled": False}, "disabled")
    if ftype == "string":
        names = rnd.choice([["control", "treatment"], ["classic", "onepage"],
                            ["control", "variant_a", "variant_b"], ["off", "beta", "ga"],
                            ["blue", "green", "red"], ["v1", "v2"]])
        vals = {}
        for n in names:
            r = rnd.random()
            vals[n] = n if r < 0.6 else (f"{area}-{n}" if r < 0.85 else f"{n.title()} {area} experience")
        return vals, names[0]
    if ftype == "number":
        style = rnd.randrange(3)
        if style == 0:
            vals = {"strict": 120, "standard": 600, "relaxed": 6000}
            return vals, "standard"
        if style == 1:
            vals = {"small": 10, "standard": 25, "large": 50}
            return vals, "standard"
        vals = {"low": 0.1, "medium": 0.25, "high": 0.5}
        return vals, "low"
    # object
    style = rnd.randrange(3)
    if style == 0:
        vals = {"hidden": {"show": False},
                "scheduled": {"show": True, "severity": "info",
                              "message": f"Scheduled {area} maintenance on Sunday, 02:00-04:00 UTC."},
                "incident": {"show": True, "severity": "critical",
                             "message": "We are investigating degraded performance."}}
        return vals, "hidden"
    if style == 1:
        vals = {"compact": {"columns": 2, "images": False, "theme": "light"},
                "rich": {"columns": 4, "images": True, "theme": "light"},
                "dark": {"columns": 4, "images": True, "theme": "dark"}}
        return vals, "compact"
    vals = {"conservative": {"timeout_ms": 500, "retries": 1, "endpoint": f"https://{area}.internal/v1"},
            "aggressive": {"timeout_ms": 2000, "retries": 3, "endpoint": f"https://{area}.internal/v2"}}
    return vals, "conservative"


def variant_names(flag):
    return list(flag["variants"]) if flag["variants"] else ["on", "off"]


def make_serve(rnd, names, default):
    """{'serve': v} or {'rollout': {...}}."""
    if rnd.random() < 0.55 or len(names) < 2:
        return {"serve": rnd.choice(names) if rnd.random() < 0.6 else (default or names[0])}
    k = min(len(names), rnd.choice([2, 2, 3]))
    picked = rnd.sample(names, k)
    return {"rollout": dict(zip(picked, split100(rnd, k)))}


def make_rules(rnd, names, default, segments):
    rules = []
    for i in range(weighted(rnd, [(0, 30), (1, 30), (2, 25), (3, 15)])):
        rule = {}
        kind = rnd.randrange(20)
        if kind < 8:
            seg = rnd.choice(segments)
            if rnd.random() < 0.7:
                rule["name"] = seg.replace("_", " ")
            rule["segment"] = seg
        elif kind < 13:
            if rnd.random() < 0.7:
                rule["name"] = "pilot tenants"
            rule["tenants"] = rnd.sample(TENANTS, rnd.randint(1, 4))
        else:
            if rnd.random() < 0.7:
                rule["name"] = rnd.choice(["eu mobile", "new app versions", "power users",
                                           "risky sessions", "beta opt-in", f"rule {i + 1}"])
            rule["when"] = [condition(rnd) for _ in range(rnd.randint(1, 2))]
        rule.update(make_serve(rnd, names, default))
        rules.append(rule)
    return rules


def make_flag(rnd, i, area, segments):
    kind, prefix = weighted(rnd, [((k, p), w) for k, p, w in KINDS])
    ftype = weighted(rnd, TYPES)
    words = rnd.sample(WORDS, rnd.randint(1, 3))
    name = "_".join([prefix, area] + words + [str(i)])
    variants, default = make_variants(rnd, ftype, area)
    owner = f"team-{area}"
    jira = f"{area[:3].upper()}-{rnd.randint(100, 9999)}"
    flag = {
        "comment": rnd.choice(COMMENTS).format(owner=owner, area=area, name=name, jira=jira)
        if rnd.random() < 0.6 else None,
        "name": name,
        "version": f"{rnd.randint(1, 3)}.{rnd.randint(0, 12)}.{rnd.randint(0, 5)}",
        "description": f"{rnd.choice(VERBS)} {rnd.choice(NOUNS)} {' '.join(words)} {rnd.choice(TAILS)}"
        + (rnd.choice(CLAUSES) if rnd.random() < 0.6 else ""),
        "owner": owner,
        "kind": kind,
        "lifecycle": "approved",
        "type": ftype,
        "variants": variants,
        "default": default,
        "requires": f">={rnd.randint(3, 4)}.{rnd.randint(0, 9)}.0" if rnd.random() < 0.2 else None,
        "expires": f"{rnd.randint(2031, 2036)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}"
        if kind in ("release", "experiment") and rnd.random() < 0.3 else None,
        "tags": [area] + [t for t in rnd.sample(TAGS, rnd.randint(0, 3)) if t != area],
        "annotations": {"jira": jira} if rnd.random() < 0.3 else
        ({"jira": jira, "slack": f"#{area}-flags", "created": f"202{rnd.randint(3, 5)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
          "dashboard": f"https://grafana.example.com/d/{area}-{i}"} if rnd.random() < 0.6 else
         {"runbook": f"https://wiki.example.com/runbooks/{area}/{name}", "pagerduty": f"{area}-oncall",
          "slack": f"#{area}-oncall"}),
        "enabled": rnd.random() < 0.75,
        "state_comment": rnd.random() < 0.5,
    }
    names = variant_names(flag)
    flag["rules"] = make_rules(rnd, names, default, segments)
    # Non-boolean flags always write a fallthrough (an enabled one must; a disabled one keeps
    # it for when it is turned on). Implicit booleans sometimes rely on "enabled serves on".
    if ftype != "boolean" or variants or rnd.random() < 0.6:
        flag["fallthrough"] = make_serve(rnd, names, default)
    else:
        flag["fallthrough"] = {}
    return flag


def render_flag(f):
    out = []
    if f["comment"]:
        out.append(f"# {f['comment']}\n")
    out.append(f"name: {f['name']}\nversion: {f['version']}\n"
               f"description: {text(f['description'])}\nowner: {f['owner']}\n"
               f"kind: {f['kind']}\nlifecycle: {f['lifecycle']}\ntype: {f['type']}\n")
    if f["variants"]:
        out.append("variants:\n")
        for k, v in f["variants"].items():
            if isinstance(v, dict):
                if len(v) <= 2:
                    out.append(f"  {s(k)}: {flow_map(v)}\n")
                else:
                    out.append(f"  {s(k)}:\n")
                    out.extend(f"    {s(kk)}: {val(vv)}\n" for kk, vv in v.items())
            else:
                out.append(f"  {s(k)}: {val(v)}\n")
    if f["default"]:
        out.append(f"default: {s(f['default'])}\n")
    if f["requires"]:
        out.append(f"requires: {s(f['requires'])}\n")
    if f["expires"]:
        out.append(f"expires: {f['expires']}\n")
    out.append(f"tags: {flow_list(f['tags'])}\n")
    ann = f["annotations"]
    if len(ann) == 1:
        out.append(f"annotations: {flow_map(ann)}\n")
    else:
        out.append("annotations:\n")
        out.extend(f"  {s(k)}: {val(v)}\n" for k, v in ann.items())
    out.append("\n# state: what this environment serves\n" if f["state_comment"] else "\n")
    out.append(f"enabled: {val(f['enabled'])}\n")
    if f["rules"]:
        out.append("rules:\n")
        for r in f["rules"]:
            first = True
            for key in ("name", "segment", "tenants", "when", "serve", "rollout"):
                if key not in r:
                    continue
                lead = "  - " if first else "    "
                first = False
                v = r[key]
                if key == "name":
                    out.append(f"{lead}name: {text(v)}\n")
                elif key in ("segment", "serve"):
                    out.append(f"{lead}{key}: {s(v)}\n")
                elif key == "tenants":
                    out.append(f"{lead}tenants: {flow_list(v)}\n")
                elif key == "rollout":
                    out.append(f"{lead}rollout: {flow_map(v)}\n")
                else:
                    out.append(f"{lead}when:\n")
                    flow = len(v) > 1 or "values" in v[0]
                    out.extend(render_condition(c, 6, flow) for c in v)
    ft = f["fallthrough"]
    if "serve" in ft:
        out.append(f"serve: {s(ft['serve'])}\n")
    elif "rollout" in ft:
        out.append(f"rollout: {flow_map(ft['rollout'])}\n")
    return "".join(out)


# ---------------------------------------------------------------------------------------
# environment differences


def bump(version, part):
    ma, mi, pa = (int(x) for x in version.split("."))
    return f"{ma + 1}.0.0" if part == "major" else f"{ma}.{mi + 1}.0"


def contract_change(rnd, f):
    """A newer upstream definition: a new contract and a higher version."""
    g = dict(f)
    options = ["requires"]
    if f["variants"] and f["type"] != "boolean":
        options += ["add_variant", "add_variant", "default"]
    elif f["variants"]:
        options += ["default"]
    choice = rnd.choice(options)
    if choice == "requires":
        g["requires"] = f">={rnd.randint(5, 6)}.{rnd.randint(0, 9)}.0"
        g["version"] = bump(f["version"], "minor")
    elif choice == "default":
        others = [n for n in f["variants"] if n != f["default"]]
        g["default"] = rnd.choice(others)
        g["version"] = bump(f["version"], "major")
    else:
        variants = dict(f["variants"])
        first = next(iter(variants.values()))
        new = "next"
        if f["type"] == "string":
            variants[new] = "next"
        elif f["type"] == "number":
            variants[new] = first * 2
        else:
            variants[new] = dict(first)
        g["variants"] = variants
        g["version"] = bump(f["version"], "minor")
        if g["enabled"] and rnd.random() < 0.7:   # the new variant gets some traffic upstream
            g["fallthrough"] = {"rollout": {f["default"]: 80, new: 20}}
    return g


def state_change(rnd, f):
    g = dict(f)
    ft = f["fallthrough"]
    r = rnd.random()
    if "rollout" in ft and r < 0.6:
        keys = list(ft["rollout"])
        weights = split100(rnd, len(keys))
        if weights == list(ft["rollout"].values()):
            weights = weights[::-1] if weights != weights[::-1] else [100] + [0] * (len(keys) - 1)
        g["fallthrough"] = {"rollout": dict(zip(keys, weights))}
    elif f["rules"] and r < 0.8:
        g["rules"] = f["rules"][:-1]
    else:
        g["enabled"] = not f["enabled"]
    return g


def metadata_change(rnd, f):
    g = dict(f)
    g["description"] = f["description"] + ", reworded"
    g["tags"] = f["tags"] + (["beta"] if "beta" not in f["tags"] else ["web2"])
    return g


def env_variants(rnd, f):
    """The flag's definition in dev, staging, prod (the same object where identical)."""
    r = rnd.random()
    if r < 0.05:                                   # newer version upstream
        up = contract_change(rnd, f)
        return [up, up, f] if rnd.random() < 0.6 else [up, f, f]
    if r < 0.15:                                   # state differs in one environment
        which = weighted(rnd, [(2, 60), (1, 20), (0, 20)])
        envs = [f, f, f]
        envs[which] = state_change(rnd, f)
        return envs
    if r < 0.16:                                   # metadata changed in dev only
        return [metadata_change(rnd, f), f, f]
    return [f, f, f]


def nudge_rollout(rnd, weights):
    """The same rollout with a few percent moved between two variants (None if it cannot)."""
    keys = [k for k in weights]
    if len(keys) < 2:
        return None
    order = keys[:]
    rnd.shuffle(order)
    for give in order:
        for take in keys:
            if take != give and weights[give] > 0:
                step = min(weights[give], rnd.choice([1, 5, 10]))
                out = dict(weights)
                out[give] -= step
                out[take] += step
                return out
    return None


def patch_bump(version):
    ma, mi, pa = (int(x) for x in version.split("."))
    return f"{ma}.{mi}.{pa + 1}"


def small_difference(rnd, f, segments):
    """A copy of `f` that differs a little, as one environment's copy does: a rule's segment,
    a rollout percentage, `enabled`, or a patch version with reworded metadata (returned as
    "patch": the caller bumps it upstream, so versions never rise downstream)."""
    options = ["enabled", "patch", "patch"]
    if "rollout" in f["fallthrough"] and nudge_rollout(rnd, f["fallthrough"]["rollout"]):
        options += ["rollout", "rollout"]
    if any("segment" in r for r in f["rules"]) and len(segments) > 1:
        options += ["segment", "segment"]
    if any("rollout" in r and nudge_rollout(rnd, r["rollout"]) for r in f["rules"]):
        options += ["rule_rollout"]
    choice = rnd.choice(options)
    if choice == "patch":
        return "patch"
    g = dict(f)
    if choice == "enabled":
        g["enabled"] = not f["enabled"]
    elif choice == "rollout":
        g["fallthrough"] = {"rollout": nudge_rollout(rnd, f["fallthrough"]["rollout"])}
    else:
        rules = [dict(r) for r in f["rules"]]
        if choice == "segment":
            rule = rnd.choice([r for r in rules if "segment" in r])
            rule["segment"] = rnd.choice([x for x in segments if x != rule["segment"]])
        else:
            rule = rnd.choice([r for r in rules if "rollout" in r and nudge_rollout(rnd, r["rollout"])])
            rule["rollout"] = nudge_rollout(rnd, rule["rollout"])
        g["rules"] = rules
    return g


def all_different(rnd, per_env, segments):
    """The environments' copies made pairwise different, each differing a little. A patch
    bump goes to dev (the top of the chain), which then differs from every copy below."""
    out = list(per_env)
    for i in range(1, len(out)):
        for _ in range(50):
            if all(render_flag(out[i]) != render_flag(out[j]) for j in range(i)):
                break
            changed = small_difference(rnd, out[i], segments)
            if changed == "patch":
                out[0] = dict(out[0], version=patch_bump(out[0]["version"]),
                              description=out[0]["description"] + " (reworded)")
            else:
                out[i] = changed
        else:
            raise AssertionError(f"cannot make {out[i]['name']} differ in {ENVS[i]}")
    return out


# ---------------------------------------------------------------------------------------


CONFIG = """\
# flagctl.yaml -- generated benchmark repository ({n} flags x 3 environments, seed {seed}).
flags_dir: flags
environments:
  - name: dev
  - name: staging
    allowed_lifecycle: [pending, approved, deprecated]
  - name: prod
    allowed_lifecycle: [approved, deprecated]
naming: '^[a-z][a-z0-9]*(_[a-z0-9]+)*$'
kinds:
  release: 40d
  experiment: 40d
  ops: permanent
  permission: permanent
app_versions: [4.0.0, 4.1.0, 4.2.0, 5.0.0]
"""


def tag_top_level(text, env):
    """`text` with a comment naming `env` at the end of each top-level `key:` line."""
    return "".join(
        f"{line}  # {env}\n" if line[:1] not in ("", " ", "#", "-") else f"{line}\n"
        for line in text.split("\n")[:-1]
    ) + text.split("\n")[-1]


def make_segment(rnd, name):
    conds = [condition(rnd) for _ in range(rnd.randint(1, 3))]
    out = [f"name: {name}\n",
           f"description: {text('Audience ' + name.replace('_', ' ') + ', maintained by the growth team')}\n",
           "when:\n"]
    out.extend(render_condition(c, 2, rnd.random() < 0.5) for c in conds)
    return "".join(out)


def write(path, data):
    with open(path, "wb") as fh:
        fh.write(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("n", type=int, help="number of flags (each in 3 environments)")
    ap.add_argument("out", help="output directory (replaced if it exists)")
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--identical", type=float, default=None, metavar="P",
                    help="share of flags byte-identical in all environments, 0..100 "
                         "(default: the mix above, ~84%%)")
    ap.add_argument("--unshared", action="store_true",
                    help="end each copy's top-level lines with a comment naming its environment")
    a = ap.parse_args()
    if a.identical is not None and not 0 <= a.identical <= 100:
        ap.error("--identical takes a share from 0 to 100")
    n = a.n
    rnd = random.Random(a.seed)
    # Differences are drawn from their own stream, so every share yields the same flags.
    drnd = random.Random(a.seed * 7919 + 1)

    if os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(os.path.join(a.out, "segments"))
    total_bytes = 0
    data = CONFIG.format(n=n, seed=a.seed).encode()
    write(os.path.join(a.out, "flagctl.yaml"), data)
    total_bytes += len(data)

    segments = [f"{SEGMENT_BASES[i % len(SEGMENT_BASES)]}_{i}" for i in range(10 + n // 50)]
    for name in segments:
        data = make_segment(rnd, name).encode()
        write(os.path.join(a.out, "segments", f"{name}.yaml"), data)
        total_bytes += len(data)

    # groups of ~100 flags (80-120), each in its own folder, named after its area
    groups, i = [], 0
    while i < n:
        size = min(rnd.randint(80, 120), n - i)
        g = len(groups)
        area = AREAS[g % len(AREAS)]
        groups.append((f"{area}-{g // len(AREAS) + 1:02d}", area, i, i + size))
        i += size

    flag_files = 0
    stats = {"identical": 0, "differing": 0}
    for gdir, area, lo, hi in groups:
        dirs = [os.path.join(a.out, "flags", env, gdir) for env in ENVS]
        for d in dirs:
            os.makedirs(d)
        for i in range(lo, hi):
            f = make_flag(rnd, i, area, segments)
            per_env = env_variants(rnd, f)
            if a.identical is not None:
                if drnd.random() * 100 < a.identical:
                    per_env = [f, f, f]
                else:
                    per_env = all_different(drnd, per_env, segments)
            cache = {}
            for env, d, fe in zip(ENVS, dirs, per_env):
                key = (env, id(fe)) if a.unshared else id(fe)
                blob = cache.get(key)
                if blob is None:
                    text = render_flag(fe)
                    if a.unshared:
                        text = tag_top_level(text, env)
                    blob = cache[key] = text.encode()
                write(os.path.join(d, f"{f['name']}.yaml"), blob)
                total_bytes += len(blob)
                flag_files += 1
            stats["identical" if len(set(cache.values())) == 1 else "differing"] += 1

    print(json.dumps({"flags": n, "segments": len(segments), "groups": len(groups),
                      "flag_files": flag_files, "files": flag_files + len(segments) + 1,
                      "bytes": total_bytes, **stats, "seed": a.seed, "out": a.out}))


if __name__ == "__main__":
    sys.exit(main())
