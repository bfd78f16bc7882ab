#!/usr/bin/env python3
"""Nest the porkit_pretrain.json records of a chain of continued pre-training runs, as
`porkit pretrain` has done itself since 2026-12-02 (continued_from, tokens_seen_total).

Runs made before then recorded their own leg only. This puts the real records of the legs,
oldest first, into the format a continued run now writes, so that the shipped folder says
every leg it came from. Nothing is computed but the sum of the legs' tokens.

    python3 tools/nest_pretrain_records.py OUT.json LEG1/porkit_pretrain.json LEG2/... LAST/...
"""
import json
import sys


def main(argv):
    if len(argv) < 3:
        sys.exit("usage: nest_pretrain_records.py OUT.json OLDEST.json ... NEWEST.json")
    out, legs = argv[1], argv[2:]
    record = None
    for path in legs:
        with open(path) as f:
            leg = json.load(f)
        if "continued_from" in leg:
            sys.exit(f"{path} already nests its earlier legs; give the legs after it only")
        total = leg["tokens_seen"]
        if record is not None:
            leg["continued_from"] = record
            total += record["tokens_seen_total"]
        leg["tokens_seen_total"] = total
        record = leg
    with open(out, "w") as f:
        json.dump(record, f, indent=2, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv)
