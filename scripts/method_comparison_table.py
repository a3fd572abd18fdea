#!/usr/bin/env python3
"""The equal-wall-time table of scripts/method_comparison.sh: test top-1 of each method's choice at
each budget, with its parameters, held-out top-1, evaluations and search time; phase times.
Usage: method_comparison_table.py OUT_DIR."""
import json, os, sys
out = sys.argv[1]
budgets = [300000, 500000, 700000]
times = {}
for line in open(os.path.join(out, 'times.jsonl')):
    r = json.loads(line); times[r['run']] = r['seconds']
tests = {}
for line in open(os.path.join(out, 'tests.jsonl')):
    r = json.loads(line); tests[(r['method'], r['budget'])] = r
def held_out(method, how, b):
    d = json.load(open(os.path.join(out, f'vit_{method}', f'search_{how}_{b}.json')))
    return d['best']['fitness'], len(d['history'])
rows = []
for m in ['uniform', 'ovo', 'sandwich', 'focusformer']:
    for how in (['evolution', 'specialise'] if m == 'focusformer' else ['evolution']):
        cells, search_total = [], 0
        for b in budgets:
            t = tests[(f'{m} {how}', b)]
            h, n = held_out(m, how, b)
            s = times[f'search_{m}_{how}_{b}']
            search_total += s
            cells.append(f"{100*t['test_top1']:.2f}% ({t['params']/1e3:.0f}k, {100*h:.1f}, {n} evals, {s:.0f} s)")
        train = times[f'vit_{m}']
        rows.append((f'{m} supernet, {how}', cells, train, search_total))
proxy = os.environ.get('PROXY', 'synflow')
for p in ['tvt', proxy]:
    cells, train_total, search_total, wall = [], 0, 0, 0
    for b in budgets:
        r = json.load(open(os.path.join(out, f'proxy_{p}_{b}', 'report', 'report.json')))
        wall += times[f'proxy_{p}_{b}']
        train_total += r['train_seconds']; search_total += r['search_seconds']
        cells.append(f"{100*r['test_top1']:.2f}% ({r['params']/1e3:.0f}k, {100*r['holdout_top1']:.1f}, {r['evaluations']} evals, {r['search_seconds']:.0f} s)")
    rows.append((f'{p}, trained alone with distillation', cells, train_total, search_total, wall))
print('| method | 300k | 500k | 700k | training | searches | total |')
print('|---|---|---|---|---|---|---|')
for r in rows:
    total = r[4] if len(r) > 4 else r[2] + r[3]
    print(f"| {r[0]} | {' | '.join(r[1])} | {r[2]/60:.1f} min | {r[3]/60:.1f} min | {total/60:.1f} min |")
