#!/usr/bin/env python3
# The table of docs/notes/finalizers.md from a compare-go against-go.csv.
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
MiB = 1 << 20
def first_freed(rs, col, filled):
    # the N of the first gcN whose heap in use is under a tenth of the filled phase's
    for r in sorted(rs, key=lambda r: r['phase']):
        if r['phase'].startswith('gc') and int(r[col]) < filled / 10:
            return r['phase']
    return 'never'
print("| map model | Go | workload | lab MiB at gc1 | Go MiB at gc1 (median) | Go MiB, range of runs, at gc1 | lab MiB at gc2 | Go MiB at gc2 (median) | Go runs | freed at, lab | freed at, Go (every run) |")
print('|---|---|---|---|---|---|---|---|---|---|---|')
keys = []
for r in rows:
    k = (r['map'], r['go_version'], r['workload'])
    if k not in keys: keys.append(k)
for k in keys:
    rs = [r for r in rows if (r['map'], r['go_version'], r['workload']) == k]
    ph = {r['phase']: r for r in rs}
    f = ph['filled']
    lab = first_freed(rs, 'lab_heap_inuse_bytes', int(f['lab_heap_inuse_bytes']))
    # every Go run: its range's maximum must be freed too
    go = first_freed(rs, 'go_net_max_heap_inuse_bytes', int(f['go_net_min_heap_inuse_bytes']))
    g = lambda p, c: '%.2f' % (int(ph[p][c]) / MiB)
    print(f"| {k[0]} | {k[1]} | {k[2]} | {g('gc1','lab_heap_inuse_bytes')} | {g('gc1','go_net_heap_inuse_bytes')} | {g('gc1','go_net_min_heap_inuse_bytes')}–{g('gc1','go_net_max_heap_inuse_bytes')} | {g('gc2','lab_heap_inuse_bytes')} | {g('gc2','go_net_heap_inuse_bytes')} | {ph['gc1']['go_runs']} | {lab} | {go} |")
