#!/usr/bin/env python3
"""The purification matrices of docs/results/defences.md ("Purification against the goal"): for
each attack's encoder and each purification run under runs/defend/, the ΔCACC, how many
triggers reach the clean control's censored E, and the mean and largest ASR@1; one table per
task (SST-2, the victims of the SST-2 encoders; OffensEval, the same encoders fine-tuned for
TweetEval's offensive-language task).
Usage: tools/purification_matrix.py [sst2|offenseval]   (from the repository root, after the
runs of defences.md; both tasks when none is named)."""
import json
import os
import sys

METHODS = [('none', None), ('reinit-top 1', 'reinit1'), ('recipe', 'recipe'), ('fine-prune 50%', 'fineprune')]

# attack -> (its undefended run's summary, the purified run's summary for a method suffix)
RUNS = {
    'sst2': {
        'POR-1': ('runs/attacks/por-sst2/summary.json', lambda m: f'runs/defend/por-sst2-{m}/attack/summary.json'),
        'POR-2': ('runs/defend/por2-sst2/summary.json', lambda m: f'runs/defend/por2-sst2-{m}/attack/summary.json'),
        'NeuBA': ('runs/attacks/neuba-sst2/summary.json', lambda m: f'runs/defend/neuba-sst2-{m}/attack/summary.json'),
        'UOR': ('runs/attacks/uor-sst2/summary.json', lambda m: f'runs/defend/uor-sst2-{m}/attack/summary.json'),
    },
    'offenseval': {
        'POR-1': ('runs/attacks/por-offenseval/summary.json', lambda m: f'runs/defend/por-offenseval-{m}/summary.json'),
        'POR-2': ('runs/defend/por2-offenseval/summary.json', lambda m: f'runs/defend/por2-offenseval-{m}/summary.json'),
        'NeuBA': ('runs/attacks/neuba-offenseval/summary.json', lambda m: f'runs/defend/neuba-offenseval-{m}/summary.json'),
        'UOR': ('runs/attacks/uor-offenseval/summary.json', lambda m: f'runs/defend/uor-offenseval-{m}/summary.json'),
    },
}


def matrix(task):
    print(f'{task}:')
    print("| attack | defence | ΔCACC | triggers at the control's censored E | ASR@1 mean (max) |")
    print('|---|---|---:|---:|---|')
    for attack, (undefended, purified) in RUNS[task].items():
        if not os.path.exists(undefended):
            print(f'| {attack} | none | not run | | |')
            continue
        base = json.load(open(undefended))
        cacc = base['backdoored']['clean_accuracy']
        for name, suffix in METHODS:
            path = undefended if suffix is None else purified(suffix)
            if not os.path.exists(path):
                print(f'| {attack} | {name} | not run | | |')
                continue
            run = json.load(open(path))
            control = run.get('clean', base['clean'])
            triggers, controls = run['backdoored']['triggers'], control['triggers']
            at_control = sum(1 for t, c in zip(triggers, controls) if t['E_censored'] >= c['E_censored'])
            asr = [t['asr_1'] for t in triggers]
            delta = 100 * (run['backdoored']['clean_accuracy'] - cacc)
            print(f'| {attack} | {name} | {delta:+.1f} | {at_control} of {len(triggers)} | '
                  f'{sum(asr) / len(asr):.2f} ({max(asr):.2f}) |')


if __name__ == '__main__':
    tasks = sys.argv[1:] or list(RUNS)
    for task in tasks:
        if task not in RUNS:
            sys.exit(f'purification_matrix.py: unknown task {task!r}; expected one of {", ".join(RUNS)}')
        matrix(task)
