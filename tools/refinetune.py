#!/usr/bin/env python3
"""Fine-tune another model with the recipe a finished fine-tune recorded.

The random-init control of a victim: the same data, sample, split, schedule and seed as a
recorded run (its run_config.json), on a different starting model, e.g. a
`porkit init --size tiny --seed 3` folder (docs/results/reproduction.md).

Only the options that define the run are copied: the device, thread count and output
folder are this call's. A recorded option that is not in KEEP is left at its default, so
that a new finetune option is not copied by accident.

    python3 tools/refinetune.py RUN/finetune-clean MODEL OUT [finetune options]   # from the repository root
"""
import json
import subprocess
import sys

KEEP = ["preset", "data-preset", "task", "train-samples", "test-samples", "val-fraction", "split-seed", "lr",
        "epochs", "batch-size", "max-len", "warmup-fraction", "weight-decay", "seed", "log-every", "checkpoint-every"]


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__.strip().splitlines()[-1].strip())
    run, model, out, extra = argv[0], argv[1], argv[2], argv[3:]
    try:
        with open(f"{run}/run_config.json") as f:
            recipe = json.load(f)["recipe"]
    except (OSError, ValueError, KeyError) as e:
        sys.exit(f"refinetune: {run}/run_config.json: expected a porkit finetune record ({e})")
    if recipe.get("data", ""):
        sys.exit(f"refinetune: {run} fine-tuned on a data file, not a preset; only preset runs are copied")
    args = ["build/porkit", "finetune", "--model", model, "--out", out]
    for key in KEEP:
        if key in recipe:
            args += [f"--{key}", str(recipe[key])]
    args += extra
    print(" ".join(args), flush=True)
    return subprocess.run(args).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
