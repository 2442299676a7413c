"""Benchmark: Swift objects, ours against `swift download` + `swift upload`.

Seeds the source (unless it holds them already) with two containers:
``bench-objs-small`` (2,000 objects of 4-64 KiB, random bytes) and
``bench-objs-big`` (two 256 MiB objects).  Then, in one run, each from an
empty destination:

- ours, by blobs: ``migrate export container --keep-blobs`` +
  ``migrate import container`` (from the blobs);
- ours, direct: ``migrate export container`` + ``migrate import container
  --src-cloud`` (source Swift straight to the destination Swift);
- ours, metadata at copy: ``migrate export container --metadata-at-copy``
  (no HEAD per plain object) + ``migrate import container --src-cloud``
  (the GET that copies an object gives its metadata);
- the baseline: ``swift download`` of both containers into a directory +
  ``swift upload`` of it into the destination (python-swiftclient, with a
  token and storage URL from the same clouds.yaml).

All four with 10 transfers at once (``--parallel 10``; swift's own default
``--object-threads 10``), as subprocesses with ``--debug``, whose request
lines are counted (Swift requests only: Keystone's are left out).  Then a
re-run of ours over the full destination: requests and time of a no-op.

Each way also gets the CPU seconds it cost, read from ``/proc``: of its
own processes (the client) and of each Swift server of the development
cloud (``rN proxy``, ``rN object``, ...), so that a run shows whether the
clouds' servers or the client bound it: on a two-core machine the
servers' share is a floor that no client can go under.

    .venv/bin/python tools/bench/objects.py [--src src] [--dst dst] [--keep]

Needs the ``swift`` command (``pip install python-swiftclient``).  Prints
figures and ratios; asserts nothing.
"""

import argparse
import concurrent.futures
import os
import random
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import openstack

from osmigrateclient.transfer.swift import records
from osmigrateclient.transfer.swift import stream
from osmigrateclient.transfer.swift import wire

SMALL, BIG = 'bench-objs-small', 'bench-objs-big'
KiB, MiB = 1024, 1024 * 1024
SMALL_COUNT = 2000
BIG_COUNT, BIG_SIZE = 2, 256 * MiB
PARALLEL = '10'
BIN = os.path.dirname(sys.executable)
OPENSTACK = os.path.join(BIN, 'openstack')
SWIFT = shutil.which('swift', path=BIN) or shutil.which('swift')


def small_sizes():
    rng = random.Random(19)  # noqa: S311 -- sizes, not secrets
    return {
        'd%d/o%04d' % (i % 10, i): rng.randint(4 * KiB, 64 * KiB)
        for i in range(SMALL_COUNT)
    }


def listing(conn, container):
    try:
        return {i['name']: i for i in records.list_objects(conn, container)}
    except Exception:  # noqa: BLE001 -- no container yet
        return {}


def seed(conn):
    """Make the source containers, with the objects they lack."""
    store = conn.object_store
    for name in (SMALL, BIG):
        store.put(wire.container_path(name))
    have = listing(conn, SMALL)
    todo = [
        (n, s)
        for n, s in small_sizes().items()
        if have.get(n, {}).get('bytes') != s
    ]

    def put_small(item):
        name, size = item
        store.put(
            wire.object_path(SMALL, name),
            data=os.urandom(size),
            headers={
                'Content-Type': 'application/octet-stream',
                'X-Object-Meta-Bench': 'small',
            },
        )

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        list(pool.map(put_small, todo))
    have = listing(conn, BIG)
    for i in range(BIG_COUNT):
        name = 'big-%d' % i
        if have.get(name, {}).get('bytes') == BIG_SIZE:
            continue

        def chunks():
            for _ in range(BIG_SIZE // MiB):
                yield os.urandom(MiB)

        body = stream.Body(chunks(), BIG_SIZE, lambda n: None)
        store.put(wire.object_path(BIG, name), data=body)
    if todo:
        print('seeded %d small objects' % len(todo))


def purge(conn):
    store = conn.object_store
    for container in (SMALL, BIG):
        names = list(listing(conn, container))

        def delete(name, container=container):
            store.delete(wire.object_path(container, name))

        with concurrent.futures.ThreadPoolExecutor(8) as pool:
            list(pool.map(delete, names))
        store.delete(wire.container_path(container))


TICKS = os.sysconf('SC_CLK_TCK')
SERVER = re.compile(r'swift-(\w+)-server\b.*/(r\d+)/swift/')


def cpu_now():
    """CPU seconds so far: of this process's waited-for children
    (``client``) and of each Swift server process on the machine."""
    use = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {'client': use.ru_utime + use.ru_stime}
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open('/proc/%s/cmdline' % pid, 'rb') as f:
                cmd = f.read().replace(b'\0', b' ').decode(errors='replace')
            with open('/proc/%s/stat' % pid) as f:
                fields = f.read().rsplit(')', 1)[1].split()
        except OSError:
            continue
        m = SERVER.search(cmd)
        if m:
            key = '%s %s' % (m.group(2), m.group(1))
            ticks = int(fields[11]) + int(fields[12])  # utime + stime
            out[key] = out.get(key, 0) + ticks / TICKS
    return out


def cpu_since(before):
    now = cpu_now()
    return {k: v - before.get(k, 0) for k, v in now.items()}


def run(argv, env=None, cwd=None):
    """(seconds, Swift requests by method, CPU seconds by process) of a
    command run with --debug."""
    start, cpu = time.monotonic(), cpu_now()
    proc = subprocess.run(
        argv,
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    seconds = time.monotonic() - start
    if proc.returncode:
        sys.exit('%s failed:\n%s' % (' '.join(argv), proc.stderr[-3000:]))
    return seconds, count_lines(proc.stderr), cpu_since(cpu)


#: the fourth way's label
LAZY = 'ours: export --metadata-at-copy + import --src-cloud'


def total_bytes():
    return sum(small_sizes().values()) + BIG_COUNT * BIG_SIZE


def ours(args, work, keep_blobs, at_copy=False):
    data_dir = tempfile.mkdtemp(dir=work)
    common = ['--data-dir', data_dir, '--name-regex', '^bench-objs-']
    export = [
        OPENSTACK,
        '--debug',
        'migrate',
        'export',
        'container',
        '--src-cloud',
        args.src,
        '--parallel',
        PARALLEL,
    ] + common
    if keep_blobs:
        export.append('--keep-blobs')
    if at_copy:
        export.append('--metadata-at-copy')
    imp = [
        OPENSTACK,
        '--debug',
        'migrate',
        'import',
        'container',
        '--dst-cloud',
        args.dst,
        '--parallel',
        PARALLEL,
    ] + common
    if not keep_blobs:
        imp += ['--src-cloud', args.src]
    s1, c1, u1 = run(export)
    s2, c2, u2 = run(imp)
    return s1 + s2, merge(c1, c2), merge(u1, u2), imp


def baseline(args, src, dst, work):
    down = tempfile.mkdtemp(dir=work)
    seconds, counts, cpu = 0.0, {}, {}
    for conn, verb in ((src, 'download'), (dst, 'upload')):
        auth = [
            '--os-auth-token',
            conn.auth_token,
            '--os-storage-url',
            conn.object_store.get_endpoint(),
        ]
        for container in (SMALL, BIG):
            where = os.path.join(down, container)
            if verb == 'download':
                argv = [
                    SWIFT,
                    '--debug',
                    *auth,
                    'download',
                    container,
                    '-D',
                    where,
                    '--object-threads',
                    PARALLEL,
                ]
                cwd = None
            else:
                names = sorted(
                    os.path.relpath(os.path.join(top, f), where)
                    for top, _, files in os.walk(where)
                    for f in files
                )
                argv = [
                    SWIFT,
                    '--debug',
                    *auth,
                    'upload',
                    container,
                    '--object-threads',
                    PARALLEL,
                    *names,
                ]
                cwd = where
            s, c, u = run(argv, cwd=cwd)
            seconds, counts, cpu = seconds + s, merge(counts, c), merge(cpu, u)
    return seconds, counts, cpu


def count_lines(stderr):
    """Swift requests by method, from the REQ lines of keystoneauth or
    swiftclient (and ours for the object GETs it does not log)."""
    counts = {}
    for text in stderr.splitlines():
        if 'object bytes: not logged' in text:
            method = 'GET'
        elif 'REQ: curl' in text and re.search(r':15[89]08/', text):
            m = re.search(r' -X (\w+)', text)
            method = m.group(1) if m else 'HEAD' if ' -I' in text else '?'
        else:
            continue
        counts[method] = counts.get(method, 0) + 1
    return counts


def merge(a, b):
    out = dict(a)
    for k, v in b.items():
        out[k] = out.get(k, 0) + v
    return out


def line(label, seconds, counts):
    objects = SMALL_COUNT + BIG_COUNT
    requests = sum(counts.values())
    print(
        '%-52s %7.1f s %7.1f MB/s %6d requests (%.2f per object: %s)'
        % (
            label,
            seconds,
            total_bytes() / 1e6 / seconds,
            requests,
            requests / objects,
            ', '.join('%s %d' % kv for kv in sorted(counts.items())),
        )
    )


def cpu_line(label, seconds, cpu):
    servers = sum(v for k, v in cpu.items() if k != 'client')
    print(
        '%-52s CPU %5.1f s client + %5.1f s Swift servers = %.2f cores '
        'busy (%s)'
        % (
            label,
            cpu['client'],
            servers,
            (cpu['client'] + servers) / seconds,
            ', '.join(
                '%s %.1f' % kv
                for kv in sorted(cpu.items())
                if kv[0] != 'client' and kv[1] >= 0.05
            ),
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument(
        '--keep', action='store_true', help='Leave the source containers'
    )
    args = parser.parse_args()
    if not SWIFT:
        sys.exit('no swift command: pip install python-swiftclient')
    src = openstack.connect(cloud=args.src)
    dst = openstack.connect(cloud=args.dst)
    seed(src)
    print(
        '%d objects, %.1f MB: %d of 4-64 KiB, %d of 256 MiB; %s at once'
        % (
            SMALL_COUNT + BIG_COUNT,
            total_bytes() / 1e6,
            SMALL_COUNT,
            BIG_COUNT,
            PARALLEL,
        )
    )
    work = tempfile.mkdtemp(dir=os.environ.get('TMPDIR'))
    try:
        purge(dst)
        base_s, base_c, base_u = baseline(args, src, dst, work)
        purge(dst)
        blob_s, blob_c, blob_u, _ = ours(args, work, keep_blobs=True)
        purge(dst)
        direct_s, direct_c, direct_u, again = ours(
            args, work, keep_blobs=False
        )
        noop_s, noop_c, _ = run(again)
        purge(dst)
        lazy_s, lazy_c, lazy_u, _ = ours(
            args, work, keep_blobs=False, at_copy=True
        )
    finally:
        shutil.rmtree(work, ignore_errors=True)
        purge(dst)
        if not args.keep:
            purge(src)
    line('swift download + upload', base_s, base_c)
    line('ours: export --keep-blobs + import', blob_s, blob_c)
    line('ours: export + import --src-cloud', direct_s, direct_c)
    line(LAZY, lazy_s, lazy_c)
    cpu_line('swift download + upload', base_s, base_u)
    cpu_line('ours: export --keep-blobs + import', blob_s, blob_u)
    cpu_line('ours: export + import --src-cloud', direct_s, direct_u)
    cpu_line(LAZY, lazy_s, lazy_u)
    print(
        'ours, again (nothing to do): %.1f s, %d requests (%s)'
        % (
            noop_s,
            sum(noop_c.values()),
            ', '.join('%s %d' % kv for kv in sorted(noop_c.items())),
        )
    )
    print(
        'speed-up against swift: %.2fx (blobs), %.2fx (direct), %.2fx '
        '(metadata at copy); requests per object: %.2f / %.2f / %.2f '
        'against %.2f'
        % (
            base_s / blob_s,
            base_s / direct_s,
            base_s / lazy_s,
            sum(blob_c.values()) / (SMALL_COUNT + BIG_COUNT),
            sum(direct_c.values()) / (SMALL_COUNT + BIG_COUNT),
            sum(lazy_c.values()) / (SMALL_COUNT + BIG_COUNT),
            sum(base_c.values()) / (SMALL_COUNT + BIG_COUNT),
        )
    )
    # the Swift servers' work alone, on every core of the machine at once,
    # with a client that costs nothing: what no client can beat here; and
    # with the CPU that our client took too
    cores = os.cpu_count() or 1
    servers, client = min(
        (sum(v for k, v in cpu.items() if k != 'client'), cpu['client'])
        for cpu in (blob_u, direct_u, lazy_u)
    )
    print(
        'bound on this machine (%d cores busy all the time): the Swift '
        'servers alone need %.1f s for ours, %.1f s with its client: at '
        "most %.2fx, %.2fx against swift's %.1f s"
        % (
            cores,
            servers / cores,
            (servers + client) / cores,
            base_s * cores / servers,
            base_s * cores / (servers + client),
            base_s,
        )
    )


if __name__ == '__main__':
    main()
