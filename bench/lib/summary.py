"""The tables of bench/run.sh from its results.tsv (mode, round, workload, peer, figure, value).

  summary.py RESULTS.tsv [MODE=DESCRIPTION]...

Per mode, one row per figure and peer: the median over the rounds, the spread, the number of rounds, the ratio of
medians to direct, and the median of the per-round ratios to HAProxy, and for Weir to nginx (each round runs every
peer back to back, so a per-round ratio shares the machine's mood; haproxy-control's is the run's resolution). Then the control's
ratio on each workload's headline figure (the first it records) round by round, a round off by more than 3%
marked `!`.
"""
import collections
import statistics
import sys

FLAG = 0.03


def num(d):
    a = abs(d)
    return f'{d:.0f}' if a >= 1000 else f'{d:.1f}' if a >= 10 else f'{d:.3f}'


def main(path, descs):
    rows = []
    for line in open(path):
        f = line.rstrip('\n').split('\t')
        if len(f) == 6 and f[5] not in ('', 'NA'):
            rows.append((f[0], f[1], f[2], f[3], f[4], float(f[5])))
    flagged_total = 0
    for mode in dict.fromkeys(r[0] for r in rows):
        mine = [r for r in rows if r[0] == mode]
        print(f'\n### {mode}: {descs.get(mode, "")}\n')
        val = {(r[2], r[4], r[3], r[1]): r[5] for r in mine}   # (workload, figure, peer, round) -> value
        figs = list(dict.fromkeys((r[2], r[4]) for r in mine))
        print('| figure | peer | median | spread (min-max) | n | ÷ direct | ÷ HAProxy (per round) | ÷ nginx |')
        print('|---|---|---:|---|---:|---:|---:|---:|')
        for w, fig in figs:
            peers = list(dict.fromkeys(r[3] for r in mine if (r[2], r[4]) == (w, fig)))
            vals = {p: sorted(v for (w2, f2, p2, _), v in val.items() if (w2, f2, p2) == (w, fig, p)) for p in peers}
            med = {p: statistics.median(v) for p, v in vals.items()}
            if 'errors' in fig and not any(v for vs in vals.values() for v in vs):
                continue   # error counts are shown where there were some
            for p in peers:
                d = f"{med[p] / med['direct']:.2f}" if 'direct' in med and p != 'direct' and med['direct'] else ''
                def per_round(ref):
                    ratios = [v / val[(w, fig, ref, rd)] for (w2, f2, p2, rd), v in val.items()
                              if (w2, f2, p2) == (w, fig, p) and val.get((w, fig, ref, rd))]
                    return f'{statistics.median(ratios):.3f}' if ratios and p not in (ref, 'direct') else ''
                n = per_round('nginx') if p.startswith('weir') else ''
                print(f'| {fig} | {p} | {num(med[p])} | {num(vals[p][0])} - {num(vals[p][-1])} | {len(vals[p])} '
                      f'| {d} | {per_round("haproxy")} | {n} |')
        heads = {}
        for r in mine:
            heads.setdefault(r[2], r[4])
        lines = []
        for w, fig in heads.items():
            rounds = sorted({r[1] for r in mine if r[2] == w}, key=int)
            cells, bad = [], 0
            for rd in rounds:
                c, h = val.get((w, fig, 'haproxy-control', rd)), val.get((w, fig, 'haproxy', rd))
                if c is None or not h:
                    continue
                ratio = c / h
                off = abs(ratio - 1) > FLAG
                bad += off
                cells.append(f'{ratio:.3f}' + (' !' if off else ''))
            if cells:
                flagged_total += bad
                lines.append(f'| {w} | {fig} | {" ".join(cells)} | {bad} of {len(cells)} |')
        if lines:
            print(f'\nControl (haproxy-control ÷ haproxy) on each workload\'s headline figure, round by round; '
                  f'`!`: off by more than {FLAG:.0%}, that round\'s ratios are noise:\n')
            print('| workload | figure | per round | flagged |')
            print('|---|---|---|---|')
            print('\n'.join(lines))
    if flagged_total:
        print(f'\n{flagged_total} round(s) flagged: the control moved by more than {FLAG:.0%} there.')


if __name__ == '__main__':
    main(sys.argv[1], dict(a.split('=', 1) for a in sys.argv[2:]))
