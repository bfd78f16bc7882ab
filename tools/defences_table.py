#!/usr/bin/env python3
"""Markdown tables of defence results (docs/results/defences.md).

Usage: tools/defences_table.py LABEL=RUN/summary.json [LABEL=RUN/summary.json ...]
       tools/defences_table.py LABEL=strip.json [LABEL=strip.json ...]
Attack summaries (purification): the first is the reference (no defence), each later row's
ΔCACC is against it. CACC is the victim's accuracy on the task's own test pool; E, censored E,
flip rate and ASR@1 per trigger, with the clean control's E and censored E (the same victim
recipe on the clean encoder; a summary without a control, as the [defend] stage's defended/,
takes the first summary's). porkit-strip/1, porkit-monitor/1 and porkit-onion/1 files (the
filters): per trigger FAR at the threshold, AUROC, ASR@1 before and after the filter; for
ONION also its correction at both bars.
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
    if runs[0][1].get("format") in ("porkit-strip/1", "porkit-monitor/1", "porkit-onion/1"):
        strip_table(runs)
        if runs[0][1]["format"] == "porkit-onion/1":
            print()
            onion_table(runs)
        return
    base = runs[0][1]["backdoored"]["clean_accuracy"]
    print("| defence | CACC backdoored victim | ΔCACC | CACC clean control |")
    print("|---|---:|---:|---:|")
    control = runs[0][1]["clean"]
    for label, s in runs:
        b, c = s["backdoored"]["clean_accuracy"], s.get("clean", control)["clean_accuracy"]
        print(f"| {label} | {b:.3f} | {100 * (b - base):+.1f} | {c:.3f} |")
    print()
    print("| defence | trigger | E | censored E | flip rate | ASR@1 | control E | control censored E |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for label, s in runs:
        for t, u in zip(s["backdoored"]["triggers"], s.get("clean", control)["triggers"]):
            print(f"| {label} | {t['trigger']} | {t['E']:.2f} | {t['E_censored']:.2f} | {t['flip_rate']:.3f} | "
                  f"{t['asr_1']:.3f} | {u['E']:.2f} | {u['E_censored']:.2f} |")


def strip_table(runs):
    print("| victim | trigger | FAR at the threshold | AUROC | ASR@1 unfiltered | ASR@1 filtered | clean test rejected |")
    print("|---|---|---:|---:|---:|---:|---:|")
    for label, s in runs:
        for t in s["triggers"]:
            print(f"| {label} | {t['trigger']} | {t['far']:.3f} | {t['auroc']:.3f} | {t['asr_1_unfiltered']:.3f} | "
                  f"{t['asr_1_filtered']:.3f} | {s['frr_test']:.3f} |")


def onion_table(runs):
    print("| victim | bar | trigger | trigger kept | ASR@1 after | clean text to target after | clean accuracy | "
          "clean words deleted |")
    print("|---|---|---|---:|---:|---:|---|---:|")
    for label, s in runs:
        for key, name in (("correction", "0 (OpenBackdoor)"), ("correction_calibrated", "detection threshold")):
            c = s[key]
            for t in c["triggers"]:
                print(f"| {label} | {name} | {t['trigger']} | {t['trigger_kept']:.3f} | {t['asr_1_corrected']:.3f} | "
                      f"{t['clean_to_target_corrected']:.3f} | {c['clean_accuracy']:.3f} -> "
                      f"{c['clean_accuracy_corrected']:.3f} | {100 * c['clean_words_deleted']:.1f}% |")


if __name__ == "__main__":
    main()
