#!/usr/bin/env python3
"""Minimal Prometheus text-format (0.0.4) checker for tests/api/test-api.sh.

Reads the exposition on stdin; checks every line is a comment, blank, or
`name{labels} value`; every sample belongs to a family declared once with
# TYPE before it; histograms have monotonic cumulative buckets ending in
+Inf equal to _count.  Then checks the metrics named on the command line
(`name` or `name{label="v",...}>=N`) are present.  Exit 1 on any problem.
"""
import re
import sys

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')
LABEL = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"(,|$)')


def parse_labels(s):
    out, pos = {}, 0
    while pos < len(s):
        m = LABEL.match(s, pos)
        if not m:
            raise ValueError('bad labels: %r' % s)
        out[m.group(1)] = m.group(2)
        pos = m.end()
    return out


def main():
    types, samples, errors = {}, [], []
    for n, line in enumerate(sys.stdin.read().split('\n'), 1):
        if not line:
            continue
        if line.startswith('# TYPE '):
            parts = line.split(' ')
            if len(parts) != 4 or parts[3] not in ('gauge', 'counter', 'histogram', 'summary', 'untyped'):
                errors.append('line %d: bad TYPE' % n)
            elif parts[2] in types:
                errors.append('line %d: TYPE of %s twice' % (n, parts[2]))
            else:
                types[parts[2]] = parts[3]
            continue
        if line.startswith('#'):
            continue
        m = SAMPLE.match(line)
        if not m:
            errors.append('line %d: not a sample: %r' % (n, line))
            continue
        name, labels, value = m.group(1), m.group(3) or '', m.group(4)
        try:
            labels = parse_labels(labels)
            value = float(value)
        except ValueError as e:
            errors.append('line %d: %s' % (n, e))
            continue
        base = re.sub(r'_(bucket|sum|count)$', '', name)
        fam = name if name in types else base
        if fam not in types:
            errors.append('line %d: %s has no TYPE' % (n, name))
        elif types[fam] == 'counter' and value < 0:
            errors.append('line %d: negative counter' % n)
        samples.append((name, labels, value))
    # histograms
    for fam, t in types.items():
        if t != 'histogram':
            continue
        series = {}
        for name, labels, value in samples:
            if name == fam + '_bucket':
                key = tuple(sorted((k, v) for k, v in labels.items() if k != 'le'))
                series.setdefault(key, []).append((labels['le'], value))
        for key, buckets in series.items():
            vals = [v for _, v in buckets]
            if vals != sorted(vals):
                errors.append('%s%s: buckets not cumulative' % (fam, key))
            if buckets[-1][0] != '+Inf':
                errors.append('%s%s: last bucket not +Inf' % (fam, key))
            count = [v for name, labels, v in samples if name == fam + '_count' and
                     tuple(sorted(labels.items())) == key]
            if count != [buckets[-1][1]]:
                errors.append('%s%s: _count != +Inf bucket' % (fam, key))
    # wanted
    for want in sys.argv[1:]:
        m = re.match(r'^([a-zA-Z0-9_:]+)(\{(.*)\})?(>=(\S+))?$', want)
        name, wl, minv = m.group(1), parse_labels(m.group(3) or ''), m.group(5)
        ok = [v for n, l, v in samples if n == name and all(l.get(k) == v2 for k, v2 in wl.items())]
        if not ok:
            errors.append('missing %s' % want)
        elif minv is not None and max(ok) < float(minv):
            errors.append('%s: %s < %s' % (want, max(ok), minv))
    for e in errors:
        print('promcheck:', e)
    print('promcheck: %d samples, %d families' % (len(samples), len(types)))
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
