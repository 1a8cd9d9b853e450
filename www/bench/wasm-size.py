#!/usr/bin/env python3
"""Where the bytes of the .wasm go, measured on the package's own pipeline with names kept.

    cargo build --release --target wasm32-unknown-unknown --lib
    python3 www/bench/wasm-size.py target/wasm32-unknown-unknown/release/bc_spend.wasm [OUT_DIR]

runs wasm-bindgen and wasm-opt with www/scripts/build.sh's flags (plus -g, so the name section
survives; the code is the same), then prints code by crate (the crate's own module for bc_spend)
and cross-cutting groups (sorts, B-trees, serde), and the data segments that hold the embedded
data files of OUT_DIR. Each part is gzipped alone (gzip -9), so the parts' figures do not add up
to the whole file's. Needs wasm-bindgen and wasm-opt on PATH (`source www/scripts/env.sh`)."""
import collections, glob, gzip, os, re, subprocess, sys, tempfile

FLAGS = ['-Os', '--enable-bulk-memory', '--enable-nontrapping-float-to-int', '--enable-sign-ext',
         '--enable-mutable-globals']


def leb(b, i):
    r = s = 0
    while True:
        x = b[i]
        i += 1
        r |= (x & 0x7f) << s
        s += 7
        if not x & 0x80:
            return r, i


def parse(b):
    """(function bodies as (index, bytes), names by index, data segments as (offset, bytes))."""
    i, imported, bodies, names, data = 8, 0, [], {}, []
    while i < len(b):
        sid = b[i]
        n, i = leb(b, i + 1)
        s, e, i = i, i + n, i + n
        if sid == 0:
            nl, j = leb(b, s)
            if b[j:j + nl] != b'name':
                continue
            j += nl
            while j < e:
                sub = b[j]
                sz, j = leb(b, j + 1)
                if sub == 1:
                    cnt, m = leb(b, j)
                    for _ in range(cnt):
                        idx, m = leb(b, m)
                        ln, m = leb(b, m)
                        names[idx] = b[m:m + ln].decode('utf-8', 'replace')
                        m += ln
                j += sz
        elif sid == 2:
            cnt, j = leb(b, s)
            for _ in range(cnt):
                for _ in range(2):
                    ln, j = leb(b, j)
                    j += ln
                kind = b[j]
                j += 1
                if kind == 0:
                    _, j = leb(b, j)
                    imported += 1
                elif kind == 1:
                    f, j = leb(b, j + 1)
                    _, j = leb(b, j)
                    if f & 1:
                        _, j = leb(b, j)
                elif kind == 2:
                    f, j = leb(b, j)
                    _, j = leb(b, j)
                    if f & 1:
                        _, j = leb(b, j)
                else:
                    j += 2
        elif sid == 10:
            cnt, j = leb(b, s)
            for k in range(cnt):
                sz, j = leb(b, j)
                bodies.append((imported + k, b[j:j + sz]))
                j += sz
        elif sid == 11:
            cnt, j = leb(b, s)
            for _ in range(cnt):
                flags, j = leb(b, j)
                off = None
                if flags == 0:
                    off, j = leb(b, j + 1)  # i32.const (offsets here are positive)
                    j += 1  # end
                sz, j = leb(b, j)
                data.append((off, b[j:j + sz]))
                j += sz
    return bodies, names, data


def gz(parts):
    return len(gzip.compress(b''.join(parts), 9))


def group(name):
    n = re.sub(r'::h[0-9a-f]{16}$', '', name)
    if 'core::slice::sort' in n:
        return 'sorts (core::slice::sort, every instantiation)'
    if 'alloc::collections::btree' in n:
        return 'B-trees (alloc::collections::btree)'
    head = re.sub(r'^(mut |dyn |const )+', '', n.lstrip('<&')).lstrip('<&[(')
    m = re.match(r'([A-Za-z_][A-Za-z0-9_]*)(?:::([A-Za-z_][A-Za-z0-9_]*))?', head)
    crate, mod = (m.group(1), m.group(2) or '') if m else ('?', '')
    if crate == 'bc_spend':
        if re.search(r'serde|Visitor|Deserializ|Serializ', n):
            return 'bc_spend: serde derive impls'
        return 'bc_spend::' + mod
    if crate in ('serde', 'serde_core'):
        return 'serde (monomorphized for the crate\'s types)'
    if crate in ('wasm_bindgen', 'js_sys', 'serde_wasm_bindgen'):
        return 'wasm-bindgen, js-sys, serde-wasm-bindgen'
    if crate in ('regex_syntax', 'regex_automata', 'regex'):
        return 'regex (syntax + automata)'
    if '::' not in n:
        return 'exported functions (src/wasm, with what they inline)'
    return crate



def main():
    src = sys.argv[1]
    tmp = tempfile.mkdtemp()
    subprocess.run(['wasm-bindgen', '--target', 'web', '--out-dir', tmp, '--out-name', 'm', src], check=True)
    named = os.path.join(tmp, 'named.wasm')
    subprocess.run(['wasm-opt', os.path.join(tmp, 'm_bg.wasm'), '-o', named, '-g'] + FLAGS, check=True)
    b = open(named, 'rb').read()
    bodies, names, data = parse(b)
    code = [x for _, x in bodies]
    print('module %d bytes (name section kept); code %d raw / %d gzip; data %d raw / %d gzip'
          % (len(b), sum(map(len, code)), gz(code), sum(len(x) for _, x in data), gz([x for _, x in data])))
    groups = collections.defaultdict(list)
    for i, x in bodies:
        groups[group(names.get(i, '?'))].append(x)
    print('\n%-52s %9s %9s %6s' % ('code', 'raw', 'gzip', 'fns'))
    for g, xs in sorted(groups.items(), key=lambda kv: -sum(map(len, kv[1]))):
        if sum(map(len, xs)) >= 2000:
            print('%-52s %9d %9d %6d' % (g, sum(map(len, xs)), gz(xs), len(xs)))
    # Data: find the embedded files of OUT_DIR in linear memory.
    mem = bytearray(max(o + len(x) for o, x in data if o is not None))
    for o, x in data:
        if o is not None:
            mem[o:o + len(x)] = x
    out = sys.argv[2:] or sorted(
        glob.glob(os.path.join(os.path.dirname(src), 'build', 'bc-spend-*', 'out')), key=os.path.getmtime)
    print('\n%-52s %9s %9s' % ('data', 'raw', 'gzip'))
    found = 0
    for f in sorted(glob.glob(os.path.join(out[-1], '*'))) if out else []:
        blob = open(f, 'rb').read()
        if mem.find(blob[:256]) >= 0:
            found += len(blob)
            print('%-52s %9d %9d' % ('OUT_DIR/' + os.path.basename(f), len(blob), gz([blob])))
    m = re.search(rb'A\x00\x00\x00....\x01\x00\x00\x00B\x00\x00\x00', mem, re.S)
    if m:
        # regex-syntax's simple case folding table, then its Perl class tables, end a segment.
        seg = next(x for o, x in data if o is not None and o <= m.start() < o + len(x))
        start = seg.find(mem[m.start():m.start() + 64])
        print('%-52s %9d %9d' % ('regex-syntax Unicode tables (case folding, \\w \\d \\s)',
                                 len(seg) - start, gz([seg[start:]])))
        found += len(seg) - start
    print('%-52s %9d' % ('the rest (strings, panic locations, core tables ...)',
                         sum(len(x) for _, x in data) - found))


if __name__ == '__main__':
    main()
