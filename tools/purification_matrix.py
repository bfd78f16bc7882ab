#!/usr/bin/env python3
"""The purification matrix of docs/results/defences.md ("Purification against the goal"): for
each attack's SST-2 encoder and each purification run under runs/defend/, the ΔCACC, how many
triggers reach the clean control's censored E, and the mean and largest ASR@1.
Usage: tools/purification_matrix.py (from the repository root, after the runs of defences.md)."""
import json
import os

atk = {'POR-1':('runs/attacks/por-sst2/summary.json','por-sst2'), 'POR-2':('runs/defend/por2-sst2/summary.json','por2-sst2'),
       'NeuBA':('runs/attacks/neuba-sst2/summary.json','neuba-sst2'), 'UOR':('runs/attacks/uor-sst2/summary.json','uor-sst2')}
meth = [('none',None),('reinit-top 1','reinit1'),('recipe','recipe'),('fine-prune 50%','fineprune')]
print('| attack | defence | ΔCACC | triggers at the control\'s censored E | ASR@1 mean (max) |')
print('|---|---|---:|---:|---|')
for a,(base,stem) in atk.items():
    b=json.load(open(base)); cacc=b['backdoored']['clean_accuracy']
    for m,suf in meth:
        f = base if suf is None else f'runs/defend/{stem}-{suf}/attack/summary.json'
        if not os.path.exists(f): print(f'| {a} | {m} | not run | | |'); continue
        s=json.load(open(f)); ctl=s.get('clean', b['clean'])
        tr=s['backdoored']['triggers']; ct=ctl['triggers']
        ok=sum(1 for t,u in zip(tr,ct) if t['E_censored']>=u['E_censored'])
        asr=[t['asr_1'] for t in tr]
        print(f"| {a} | {m} | {100*(s['backdoored']['clean_accuracy']-cacc):+.1f} | {ok} of {len(tr)} | {sum(asr)/len(asr):.2f} ({max(asr):.2f}) |")
