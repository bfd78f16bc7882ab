#!/usr/bin/env python3
"""Markdown tables of defence results (docs/results/defences.md).

Usage: tools/defences_table.py LABEL=RUN/summary.json [LABEL=RUN/summary.json ...]
       tools/defences_table.py LABEL=strip.json [LABEL=strip.json ...]
Attack summaries (purification): the first is the reference (no defence), each later row's
ΔCACC is against it. CACC is the victim's accuracy on the task's own test pool; E, censored E,
flip rate and ASR@1 per trigger, with the clean control's E and censored E (the same victim
recipe on the clean encoder). porkit-strip/1 and porkit-monitor/1 files (the filters): per
trigger FAR at the threshold, AUROC, ASR@1 before and after the filter.
"""
import json
import sys


def main():
    runs = []
    for arg in sys.argv[1:]:
        label, _, path = arg.partition("=")
        if not path:
            sys.exit(__doc__)
        with open(path) as f:
            runs.append((label, json.load(f)))
    if not runs:
        sys.exit(__doc__)
    if runs[0][1].get("format") in ("porkit-strip/1", "porkit-monitor/1"):
        strip_table(runs)
        return
    base = runs[0][1]["backdoored"]["clean_accuracy"]
    print("| defence | CACC backdoored victim | ΔCACC | CACC clean control |")
    print("|---|---:|---:|---:|")
    for label, s in runs:
        b, c = s["backdoored"]["clean_accuracy"], s["clean"]["clean_accuracy"]
        print(f"| {label} | {b:.3f} | {100 * (b - base):+.1f} | {c:.3f} |")
    print()
    print("| defence | trigger | E | censored E | flip rate | ASR@1 | control E | control censored E |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, s in runs:
        for t, u in zip(s["backdoored"]["triggers"], s["clean"]["triggers"]):
            print(f"| {label} | {t['trigger']} | {t['E']:.2f} | {t['E_censored']:.2f} | {t['flip_rate']:.3f} | "
                  f"{t['asr_1']:.3f} | {u['E']:.2f} | {u['E_censored']:.2f} |")


def strip_table(runs):
    print("| victim | trigger | FAR at the threshold | AUROC | ASR@1 unfiltered | ASR@1 filtered | clean test rejected |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, s in runs:
        for t in s["triggers"]:
            print(f"| {label} | {t['trigger']} | {t['far']:.3f} | {t['auroc']:.3f} | {t['asr_1_unfiltered']:.3f} | "
                  f"{t['asr_1_filtered']:.3f} | {s['frr_test']:.3f} |")


if __name__ == "__main__":
    main()
