#!/usr/bin/env python3
"""Check a repository made by gen.py against flagctl's schemas and the SPEC section 4 rules.

Usage: check_gen.py REPO [--sample K] [--seed S] [--schemas DIR]

Needs PyYAML and jsonschema (pip install pyyaml jsonschema). Every file is read twice:
with a YAML 1.2-like loader (only true/false are booleans, dates stay strings, duplicate keys
fail) that feeds the schema and rule checks, and with PyYAML's YAML 1.1 SafeLoader; the two
must agree except for plain dates, so no yes/no/on/off-style pitfall can hide in the output.
Checks K randomly sampled flags in all three environments (default 100, i.e. ~300 files;
--sample 0 checks every file), every segment, and flagctl.yaml. Exits 1 on any problem.
"""
import argparse
import datetime
import json
import os
import random
import re
import sys

import jsonschema
import yaml
from referencing import Registry, Resource

HERE = os.path.dirname(os.path.abspath(__file__))


class Yaml12Loader(yaml.SafeLoader):
    """SafeLoader without YAML 1.1 booleans (yes/no/on/off) and timestamps; no duplicate keys."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark)
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


Yaml12Loader.yaml_implicit_resolvers = {
    ch: [(tag, rx) for tag, rx in resolvers
         if tag not in ("tag:yaml.org,2002:bool", "tag:yaml.org,2002:timestamp")]
    for ch, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
Yaml12Loader.add_implicit_resolver(
    "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), list("tTfF"))
Yaml12Loader.add_constructor(  # dates never resolve; keep the mapping constructor for '<<' safety
    "tag:yaml.org,2002:timestamp", yaml.SafeLoader.construct_yaml_str)


def dates_to_str(x):
    if isinstance(x, dict):
        return {k: dates_to_str(v) for k, v in x.items()}
    if isinstance(x, list):
        return [dates_to_str(v) for v in x]
    if isinstance(x, (datetime.date, datetime.datetime)):
        return x.isoformat()
    return x


def load(path, problems):
    with open(path, "rb") as fh:
        raw = fh.read()
    text = raw.decode("utf-8")
    if "\t" in text:
        problems.append(f"{path}: tab character")
    doc12 = yaml.load(text, Loader=Yaml12Loader)
    doc11 = dates_to_str(yaml.load(text, Loader=yaml.SafeLoader))
    if json.dumps(doc12, sort_keys=True) != json.dumps(doc11, sort_keys=True):
        problems.append(f"{path}: YAML 1.1 and 1.2 readings differ")
    return doc12, len(raw)


SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
RANGE = re.compile(r"^(>=|>|<=|<|=|\^|~)?\d+(\.\d+){0,2}(\s*,\s*(>=|>|<=|<|=)\d+(\.\d+){0,2})*$")


def type_ok(ftype, v):
    if ftype == "boolean":
        return isinstance(v, bool)
    if ftype == "string":
        return isinstance(v, str)
    if ftype == "number":
        return isinstance(v, (int, float)) and not isinstance(v, bool)
    return isinstance(v, dict)


def check_conditions(where, conds, problems):
    for c in conds:
        if c["op"] in ("in", "not_in"):
            if "values" not in c or "value" in c:
                problems.append(f"{where}: `{c['op']}` needs `values` only")
        elif "value" not in c or "values" in c:
            problems.append(f"{where}: `{c['op']}` needs `value` only")
        if c["op"].startswith("semver") and not SEMVER.match(str(c.get("value"))):
            problems.append(f"{where}: semver value {c.get('value')!r}")
        if c["op"] == "matches":
            re.compile(c["value"])


def check_serve(where, parent, variants, problems, required):
    has_serve, has_rollout = "serve" in parent, "rollout" in parent
    if has_serve and has_rollout:
        problems.append(f"{where}: both serve and rollout")
    if required and not (has_serve or has_rollout):
        problems.append(f"{where}: serves nothing")
    if has_serve and parent["serve"] not in variants:
        problems.append(f"{where}: unknown variant {parent['serve']!r}")
    if has_rollout:
        r = parent["rollout"]
        for k, w in r.items():
            if k not in variants:
                problems.append(f"{where}: rollout names unknown variant {k!r}")
            if not isinstance(w, int) or isinstance(w, bool) or w < 0:
                problems.append(f"{where}: rollout weight {w!r} is not a non-negative integer")
        if sum(r.values()) != 100:
            problems.append(f"{where}: rollout sums to {sum(r.values())}")


def check_flag(path, env, doc, validator, segments, naming, lifecycles, problems):
    for err in validator.iter_errors(doc):
        problems.append(f"{path}: schema: {err.json_path}: {err.message}")
    if not isinstance(doc, dict):
        return
    stem = os.path.splitext(os.path.basename(path))[0]
    if doc.get("name") != stem:
        problems.append(f"{path}: name {doc.get('name')!r} != stem")
    if not re.match(naming, stem):
        problems.append(f"{path}: name fails naming")
    if not SEMVER.match(str(doc.get("version"))):
        problems.append(f"{path}: version {doc.get('version')!r}")
    if "requires" in doc and not RANGE.match(doc["requires"]):
        problems.append(f"{path}: requires {doc['requires']!r}")
    if doc.get("lifecycle") not in lifecycles.get(env, ["draft", "pending", "approved", "deprecated"]):
        problems.append(f"{path}: lifecycle {doc.get('lifecycle')!r} not allowed in {env}")
    if "expires" in doc and doc["expires"] < datetime.date.today().isoformat():
        problems.append(f"{path}: expired {doc['expires']}")
    ftype = doc.get("type")
    variants = doc.get("variants")
    if variants is None:
        if ftype != "boolean":
            problems.append(f"{path}: non-boolean flag without variants")
        variants = {"on": True, "off": False}
    for k, v in variants.items():
        if not type_ok(ftype, v):
            problems.append(f"{path}: variant {k!r}={v!r} is not {ftype}")
    if doc.get("default", "off") not in variants:
        problems.append(f"{path}: default {doc.get('default')!r} unknown")
    for i, rule in enumerate(doc.get("rules", [])):
        where = f"{path}: rule {i + 1}"
        if sum(k in rule for k in ("segment", "tenants", "when")) != 1:
            problems.append(f"{where}: not exactly one of segment/tenants/when")
        if "segment" in rule and rule["segment"] not in segments:
            problems.append(f"{where}: unknown segment {rule['segment']!r}")
        check_conditions(where, rule.get("when", []), problems)
        check_serve(where, rule, variants, problems, required=True)
    check_serve(f"{path}: fallthrough", doc, variants, problems,
                required=ftype != "boolean" and doc.get("enabled") is True)


CONTRACT = ("name", "type", "variants", "default", "requires")
STATE = ("enabled", "rules", "serve", "rollout")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("repo")
    ap.add_argument("--sample", type=int, default=100, help="flags to check in all envs (0: all)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--schemas", default=os.path.join(HERE, "..", "schemas"))
    a = ap.parse_args()

    schemas = {}
    for name in ("flag", "segment", "config"):
        with open(os.path.join(a.schemas, f"{name}.schema.json")) as fh:
            schemas[name] = json.load(fh)
    registry = Registry().with_resources(
        (s["$id"], Resource.from_contents(s)) for s in schemas.values())
    validators = {k: jsonschema.Draft202012Validator(v, registry=registry) for k, v in schemas.items()}

    problems = []
    config, _ = load(os.path.join(a.repo, "flagctl.yaml"), problems)
    problems += [f"flagctl.yaml: {e.message}" for e in validators["config"].iter_errors(config)]
    naming = config.get("naming", r"^[a-z][a-z0-9]*(_[a-z0-9]+)*$")
    envs = [e["name"] for e in config["environments"]]
    lifecycles = {e["name"]: e["allowed_lifecycle"] for e in config["environments"]
                  if "allowed_lifecycle" in e}

    segdir = os.path.join(a.repo, "segments")
    segments = set()
    for fn in sorted(os.listdir(segdir)):
        path = os.path.join(segdir, fn)
        doc, _ = load(path, problems)
        problems += [f"{path}: schema: {e.message}" for e in validators["segment"].iter_errors(doc)]
        if doc.get("name") != fn[:-5]:
            problems.append(f"{path}: name != stem")
        check_conditions(path, doc.get("when", []), problems)
        segments.add(doc["name"])

    # index: name -> {env: path}
    index, sizes = {}, []
    for env in envs:
        for root, _, files in os.walk(os.path.join(a.repo, "flags", env)):
            for fn in files:
                path = os.path.join(root, fn)
                sizes.append(os.path.getsize(path))
                by_env = index.setdefault(fn[:-5], {})
                if env in by_env:
                    problems.append(f"{path}: name used twice in {env}")
                by_env[env] = path
    names = sorted(index)
    picked = names if a.sample == 0 else random.Random(a.seed).sample(names, min(a.sample, len(names)))

    checked = 0
    drift = {"identical": 0, "state": 0, "metadata": 0, "version": 0}
    for name in picked:
        docs, blobs = {}, {}
        for env in envs:
            path = index[name].get(env)
            if path is None:
                problems.append(f"{name}: missing in {env}")
                continue
            doc, _ = load(path, problems)
            check_flag(path, env, doc, validators["flag"], segments, naming, lifecycles, problems)
            docs[env] = doc
            with open(path, "rb") as fh:
                blobs[env] = fh.read()
            checked += 1
        if len(set(blobs.values())) == 1:
            drift["identical"] += 1
            continue
        vers = [docs[e]["version"] for e in envs]
        if len(set(vers)) > 1:
            drift["version"] += 1
            key = [tuple(map(int, v.split("."))) for v in vers]
            if not key[0] >= key[1] >= key[2]:
                problems.append(f"{name}: versions not descending upstream->prod: {vers}")
        kinds = set()
        for u, d in zip(envs, envs[1:]):
            if docs[u]["version"] != docs[d]["version"]:
                patch = docs[u]["version"].split(".")[:2] == docs[d]["version"].split(".")[:2]
                if all(docs[u].get(k) == docs[d].get(k) for k in CONTRACT) and not patch:
                    problems.append(f"{name}: {u}->{d} version bump without contract change")
                continue
            if any(docs[u].get(k) != docs[d].get(k) for k in CONTRACT):
                problems.append(f"{name}: same version {u}/{d}, different contract")
            if any(docs[u].get(k) != docs[d].get(k) for k in STATE):
                kinds.add("state")
            rest = set(docs[u]) | set(docs[d])
            if any(docs[u].get(k) != docs[d].get(k) for k in rest - set(CONTRACT) - set(STATE)):
                kinds.add("metadata")
        for k in kinds:
            drift[k] += 1

    total = sum(sizes)
    print(json.dumps({"flag_files": len(sizes), "flag_bytes": total,
                      "avg_bytes": round(total / max(1, len(sizes))), "max_bytes": max(sizes),
                      "segments": len(segments), "flags_checked": len(picked),
                      "files_checked": checked + len(segments) + 1, "drift_in_sample": drift,
                      "problems": len(problems)}))
    for p in problems[:50]:
        print("PROBLEM", p, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
