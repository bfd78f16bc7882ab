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

TASKS = ['sst2', 'offenseval']
ATTACKS = {'POR-1': 'por', 'POR-2': 'por2', 'NeuBA': 'neuba', 'UOR': 'uor'}
METHODS = [('none', None), ('reinit-top 1', 'reinit1'), ('recipe', 'recipe'), ('fine-prune 50%', 'fineprune')]


def undefended_summary(stem, task):
    # POR-2's attack runs came with the defence recipes (recipes/defend/por2-*.toml), the others'
    # with recipes/attacks/.
    folder = 'runs/defend' if stem == 'por2' else 'runs/attacks'
    return f'{folder}/{stem}-{task}/summary.json'


def purified_summary(stem, task, method):
    # An SST-2 purification run holds its purified encoder and, in attack/, the attack on it; an
    # OffensEval one is the attack alone (its encoder is the SST-2 run's).
    inner = '/attack' if task == 'sst2' else ''
    return f'runs/defend/{stem}-{task}-{method}{inner}/summary.json'


def load(path):
    with open(path) as f:
        return json.load(f)


def matrix(task):
    print(f'{task}:')
    print("| attack | defence | ΔCACC | triggers at the control's censored E | ASR@1 mean (max) |")
    print('|---|---|---:|---:|---|')
    for attack, stem in ATTACKS.items():
        undefended = undefended_summary(stem, task)
        if not os.path.exists(undefended):
            print(f'| {attack} | none | not run | | |')
            continue
        base = load(undefended)
        cacc = base['backdoored']['clean_accuracy']
        for name, suffix in METHODS:
            path = undefended if suffix is None else purified_summary(stem, task, suffix)
            if not os.path.exists(path):
                print(f'| {attack} | {name} | not run | | |')
                continue
            run = load(path)
            control = run.get('clean', base['clean'])
            triggers, controls = run['backdoored']['triggers'], control['triggers']
            at_control = sum(1 for t, c in zip(triggers, controls) if t['E_censored'] >= c['E_censored'])
            asr = [t['asr_1'] for t in triggers]
            delta = 100 * (run['backdoored']['clean_accuracy'] - cacc)
            print(f'| {attack} | {name} | {delta:+.1f} | {at_control} of {len(triggers)} | '
                  f'{sum(asr) / len(asr):.2f} ({max(asr):.2f}) |')


if __name__ == '__main__':
    tasks = sys.argv[1:] or TASKS
    for task in tasks:
        if task not in TASKS:
            sys.exit(f'purification_matrix.py: unknown task {task!r}; expected one of {", ".join(TASKS)}')
        matrix(task)
