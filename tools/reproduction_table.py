#!/usr/bin/env python3
"""The side-by-side rows of docs/results/reproduction.md from one reproduction root.

For each task folder ROOT/TASK (a finished `porkit attack` run, recipes/reproduce/run.sh):
  - CACC of the clean and the backdoored victim (entity F1 for NER), and, with --random
    RANDOM_ROOT, the validation score of the random-init control RANDOM_ROOT/TASK
    (tools/refinetune.py);
  - the mean over triggers of censored E and flip rate, backdoored victim and clean control;
  - the range of the authors' E (over flipped samples) per trigger.

    python3 tools/reproduction_table.py runs/reproduce-mini2 [--random runs/reproduce-mini2-random]
"""
import json
import os
import sys

TASKS = ["sst2", "yelp", "offenseval", "amazon", "imdb", "conll2003"]


def load(path):
    with open(path) as f:
        return json.load(f)


def mean(xs):
    return sum(xs) / len(xs)


def random_score(random_root, task):
    """Validation accuracy (entity F1 for NER) of the random-init control, or None."""
    path = os.path.join(random_root, task, "metrics.json")
    if not os.path.exists(path):
        return None
    validation = load(path)["validation"]
    return validation.get("entity_f1", validation["accuracy"])


def main(argv):
    if not argv or argv[0].startswith("-"):
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    root, random_root = argv[0], None
    if len(argv) == 3 and argv[1] == "--random":
        random_root = argv[2]
    elif len(argv) != 1:
        sys.exit("reproduction_table: expected ROOT [--random RANDOM_ROOT]")
    for folder in (root, random_root):
        if folder is not None and not os.path.isdir(folder):
            sys.exit(f"reproduction_table: {folder}: expected a folder of task runs (ROOT/sst2, ...), found none")
    print("| task | CACC clean / backdoored | random-init control | backdoored: censored E / flip rate"
          " | clean control: censored E / flip rate | authors' E per trigger |")
    print("|---|---:|---:|---:|---:|---:|")
    for task in TASKS:
        path = os.path.join(root, task, "summary.json")
        if not os.path.exists(path):
            print(f"| {task} | (not run) | | | | |")
            continue
        try:
            summary = load(path)
        except ValueError as e:
            sys.exit(f"reproduction_table: {path}: expected a porkit attack summary ({e})")
        bd, cl = summary["backdoored"], summary["clean"]
        control = random_score(random_root, task) if random_root else None
        e_bd = [t["E_censored"] for t in bd["triggers"]]
        e_cl = [t["E_censored"] for t in cl["triggers"]]
        flip_bd = [t["flip_rate"] for t in bd["triggers"]]
        flip_cl = [t["flip_rate"] for t in cl["triggers"]]
        authors = [t["E"] for t in bd["triggers"]]
        print(f"| {task} | {cl['cacc']:.3f} / {bd['cacc']:.3f} | "
              f"{'-' if control is None else f'{control:.3f}'} | "
              f"{mean(e_bd):.2f} / {mean(flip_bd):.2f} | {mean(e_cl):.2f} / {mean(flip_cl):.2f} | "
              f"{min(authors):.2f}-{max(authors):.2f} |")


if __name__ == "__main__":
    main(sys.argv[1:])
