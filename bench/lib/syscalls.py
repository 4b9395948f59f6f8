"""System calls per proxied connection from strace output (bench/lib/syscalls.sh).

  syscalls.py count TRACE THREADS PEER SHAPE CONNS   TSV rows: peer shape conns scope name calls errors
  syscalls.py table TSV                             a markdown table per shape, per connection

TRACE is `strace -f -o` output (each line begins with the thread id); THREADS has "tid comm" lines. Scope
`loop` is the threads that relay connections (Weir's weir-loop-* threads; every thread of HAProxy and nginx),
`other` the rest of Weir's JVM (GC, JIT, timers).
"""
import collections
import re
import sys

CALL = re.compile(r'^(\d+)\s+([a-z0-9_]+)\(')
RESUMED = re.compile(r'^(\d+)\s+<\.\.\. ([a-z0-9_]+) resumed>')
ERROR = re.compile(r'= -1 ([A-Z0-9]+)')


def count(trace, threads, peer, shape, conns):
    comm = {}
    for line in open(threads):
        tid, _, name = line.rstrip('\n').partition(' ')
        comm[tid] = name
    calls = collections.Counter()
    errors = collections.defaultdict(collections.Counter)
    for line in open(trace, errors='replace'):
        m = CALL.match(line) or RESUMED.match(line)
        if not m:
            continue
        tid, name = m.groups()
        scope = 'other' if peer.startswith('weir') and not comm.get(tid, '').startswith('weir-loop') else 'loop'
        if CALL.match(line):
            calls[(scope, name)] += 1
        if not line.rstrip().endswith('<unfinished ...>'):
            e = ERROR.search(line)
            if e:
                errors[(scope, name)][e.group(1)] += 1
    for (scope, name), n in sorted(calls.items()):
        errs = ';'.join(f'{k}:{v}' for k, v in errors[(scope, name)].most_common())
        print(f'{peer}\t{shape}\t{conns}\t{scope}\t{name}\t{n}\t{errs}')


def table(tsv):
    rows = [line.rstrip('\n').split('\t') for line in open(tsv) if line.strip()]
    shapes = list(dict.fromkeys(r[1] for r in rows))
    titles = {'client-first': 'client closes first (LoadGen short, echo, 100 bytes each way)',
              'server-first': 'server closes first (wrk, HTTP/1.1 Connection: close, nginx backend closes)'}
    for shape in shapes:
        mine = [r for r in rows if r[1] == shape]
        peers = list(dict.fromkeys(r[0] for r in mine))
        conns = {r[0]: int(r[2]) for r in mine}
        per = collections.defaultdict(float)
        errs = collections.defaultdict(collections.Counter)
        for peer, _, n, scope, name, calls, e in mine:
            if int(n) == 0:
                continue
            per[(peer, scope, name)] += int(calls) / int(n)
            for kv in filter(None, e.split(';')):
                k, v = kv.split(':')
                errs[(peer, scope, name)][k] += int(v) / int(n)
        names = sorted({name for (_, scope, name) in per if scope == 'loop'},
                       key=lambda nm: -max(per.get((p, 'loop', nm), 0) for p in peers))
        top = [nm for nm in names if max(per.get((p, 'loop', nm), 0) for p in peers) >= 0.05]
        print(f'\n**{titles.get(shape, shape)}**; connections traced: '
              + ', '.join(f'{p} {conns[p]}' for p in peers) + '\n')
        print('| per connection | ' + ' | '.join(peers) + ' |')
        print('|---' + '|---:' * len(peers) + '|')

        def cell(p, nm):
            v = per.get((p, 'loop', nm), 0)
            fails = errs.get((p, 'loop', nm))
            s = f'{v:.2f}' if v else '0'
            if fails and sum(fails.values()) >= 0.005:
                s += ' (' + ', '.join(f'{c:.2f} {k}' for k, c in fails.most_common(2)) + ')'
            return s
        for nm in top:
            print(f'| {nm} | ' + ' | '.join(cell(p, nm) for p in peers) + ' |')
        rest = [nm for nm in names if nm not in top]
        if rest:
            print('| others (' + ', '.join(rest[:6]) + ('…' if len(rest) > 6 else '') + ') | '
                  + ' | '.join(f"{sum(per.get((p, 'loop', nm), 0) for nm in rest):.2f}" for p in peers) + ' |')
        tot = {p: sum(v for (q, s, _), v in per.items() if q == p and s == 'loop') for p in peers}
        print('| **total (relaying threads)** | ' + ' | '.join(f'**{tot[p]:.1f}**' for p in peers) + ' |')
        other = {p: sum(v for (q, s, _), v in per.items() if q == p and s == 'other') for p in peers}
        if any(other.values()):
            print("| Weir's other JVM threads (GC, JIT, timers) | " + ' | '.join(
                f'{other[p]:.2f}' if p.startswith('weir') else '' for p in peers) + ' |')


if __name__ == '__main__':
    if sys.argv[1] == 'count':
        count(*sys.argv[2:7])
    elif sys.argv[1] == 'table':
        table(sys.argv[2])
    else:
        sys.exit('usage: syscalls.py count TRACE THREADS PEER SHAPE CONNS | table TSV')
