"""Benchmark: image transfer throughput and metadata export cost.

1. Seeds a 1 GiB image (``bench-img-1g``, half random, half zeros) in the
   source unless it is there, then in one run times:

   - ours: ``openstack migrate export image`` + ``migrate import image``
     (and ``import image --direct``, source Glance straight to destination);
   - the baseline: ``openstack image save`` + ``openstack image create
     --file`` of the same image.

   Every command runs as a subprocess (CLI start-up included on both
   sides); destination copies are deleted afterwards.

2. Seeds 50 small private images (``bench-meta-NN``) and counts, in
   process, the HTTP requests of ``migrate export image --no-blobs`` of
   them (keystoneauth ``Session.request`` calls, as network_resources.py).

    .venv/bin/python tools/bench/images.py [--src src] [--dst dst] [--keep]

Prints figures; asserts nothing.
"""

import argparse
import collections
import contextlib
import io
import os
import subprocess
import sys
import tempfile
import time
import urllib.parse

from keystoneauth1 import session as ks_session
import openstack
from openstack.image.v2 import image as sdk_image
from openstackclient import shell

BIG = 'bench-img-1g'
META = 'bench-meta-'
MiB = 1024 * 1024
SIZE = 1024 * MiB
OPENSTACK = os.path.join(os.path.dirname(sys.executable), 'openstack')


class RequestCounter:
    """Counts the requests keystoneauth sends, by method and path."""

    def __init__(self):
        self.counts = collections.Counter()
        self._orig = ks_session.Session.request

    def __enter__(self):
        counter = self

        def request(sess, url, method, *args, **kwargs):
            path = urllib.parse.urlparse(url).path
            counter.counts[(method.upper(), path)] += 1
            return counter._orig(sess, url, method, *args, **kwargs)

        ks_session.Session.request = request
        return self

    def __exit__(self, *exc):
        ks_session.Session.request = self._orig


def seed_big(conn, work):
    for image in conn.image.images(owner=conn.current_project_id):
        if image.name == BIG and image.status == 'active':
            return image
        if image.name == BIG:
            conn.image.delete_image(image)
    path = os.path.join(work, 'seed.img')
    with open(path, 'wb') as f:
        for i in range(SIZE // MiB):
            f.write(os.urandom(MiB) if i % 2 == 0 else bytes(MiB))
    image = sdk_image.Image.new(
        name=BIG, disk_format='raw', container_format='bare'
    ).create(conn.image)
    with open(path, 'rb') as f:
        image.upload(conn.image, data=f, size=SIZE)
    os.unlink(path)
    return conn.image.get_image(image.id)


def seed_meta(conn, n=50):
    have = {
        i.name
        for i in conn.image.images(owner=conn.current_project_id)
        if i.name.startswith(META)
    }
    for i in range(n):
        name = '%s%02d' % (META, i)
        if name not in have:
            sdk_image.Image.new(
                name=name,
                disk_format='raw',
                container_format='bare',
                visibility='private',
                os_distro='bench',
            ).create(conn.image)


def purge(conn, names):
    for image in list(conn.image.images(owner=conn.current_project_id)):
        if image.name in names:
            conn.image.delete_image(image)


def timed(argv, env):
    start = time.monotonic()
    subprocess.run(
        argv, env=env, check=True, stdout=subprocess.DEVNULL, stdin=None
    )
    return time.monotonic() - start


def run_in_process(argv):
    out = io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(io.StringIO()),
    ):
        rc = shell.main(argv)
    return rc, out.getvalue()


def rate(seconds):
    return SIZE / MiB / seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--keep', action='store_true')
    parser.add_argument(
        '--metadata-only',
        action='store_true',
        help='Skip the 1 GiB transfer; count the metadata export only',
    )
    args = parser.parse_args()
    src = openstack.connect(cloud=args.src)
    dst = openstack.connect(cloud=args.dst)
    if not args.metadata_only:
        transfer(src, dst, args)
    metadata(src, args)


def transfer(src, dst, args):
    env = dict(os.environ)
    with tempfile.TemporaryDirectory(dir=os.environ.get('TMPDIR')) as work:
        image = seed_big(src, work)
        purge(dst, {BIG, BIG + '-baseline', BIG + '-direct'})
        data_dir = os.path.join(work, 'data')
        common = ['--data-dir', data_dir, '--name', BIG]

        ours_export = timed(
            [OPENSTACK, 'migrate', 'export', 'image', '--src-cloud', args.src]
            + common,
            env,
        )
        ours_import = timed(
            [OPENSTACK, 'migrate', 'import', 'image', '--dst-cloud', args.dst]
            + common,
            env,
        )
        purge(dst, {BIG})
        direct_dir = os.path.join(work, 'direct')
        timed(
            [
                OPENSTACK,
                'migrate',
                'export',
                'image',
                '--no-blobs',
                '--src-cloud',
                args.src,
                '--data-dir',
                direct_dir,
                '--name',
                BIG,
            ],
            env,
        )
        ours_direct = timed(
            [
                OPENSTACK,
                'migrate',
                'import',
                'image',
                '--direct',
                '--src-cloud',
                args.src,
                '--dst-cloud',
                args.dst,
                '--data-dir',
                direct_dir,
                '--name',
                BIG,
            ],
            env,
        )
        purge(dst, {BIG})

        saved = os.path.join(work, 'saved.img')
        base_save = timed(
            [
                OPENSTACK,
                '--os-cloud',
                args.src,
                'image',
                'save',
                '--file',
                saved,
                image.id,
            ],
            env,
        )
        base_create = timed(
            [
                OPENSTACK,
                '--os-cloud',
                args.dst,
                'image',
                'create',
                '--file',
                saved,
                '--disk-format',
                'raw',
                '--container-format',
                'bare',
                BIG + '-baseline',
            ],
            env,
        )
        purge(dst, {BIG + '-baseline'})

    ours = ours_export + ours_import
    base = base_save + base_create
    print('1 GiB image (%s), src -> dst, CLI start-up included:' % image.id)
    rows = [
        ('migrate export image', ours_export),
        ('migrate import image', ours_import),
        ('  ours, export + import', ours),
        ('migrate import image --direct', ours_direct),
        ('openstack image save', base_save),
        ('openstack image create --file', base_create),
        ('  baseline, save + create', base),
    ]
    for label, seconds in rows:
        print('  %-32s %7.2f s  %7.1f MiB/s' % (label, seconds, rate(seconds)))
    print(
        '  ratio ours / baseline throughput: %.2f (>= 1 is as fast)'
        % (base / ours)
    )
    print(
        '  ratio --direct / baseline throughput: %.2f' % (base / ours_direct)
    )


def metadata(src, args):
    seed_meta(src)
    with tempfile.TemporaryDirectory() as data_dir:
        with RequestCounter() as counter:
            rc, _ = run_in_process(
                [
                    'migrate',
                    'export',
                    'image',
                    '--no-blobs',
                    '--src-cloud',
                    args.src,
                    '--data-dir',
                    data_dir,
                    '--name-regex',
                    '^' + META,
                ]
            )
        import yaml

        with open(os.path.join(data_dir, 'images.yml')) as f:
            exported = len(yaml.safe_load(f)['resources'])
    image_calls = {
        k: v for k, v in counter.counts.items() if '/images' in k[1]
    }
    print(
        'Metadata export of %d images (--no-blobs), rc %d: %d requests'
        % (exported, rc, sum(counter.counts.values()))
    )
    for (method, path), n in sorted(counter.counts.items()):
        print('  %3d  %-6s %s' % (n, method, path))
    print(
        '  image API calls: %d (list: %d)'
        % (
            sum(image_calls.values()),
            sum(
                n
                for (m, p), n in image_calls.items()
                if m == 'GET' and p.rstrip('/').endswith('/images')
            ),
        )
    )
    if not args.keep:
        purge(src, {'%s%02d' % (META, i) for i in range(50)})


if __name__ == '__main__':
    main()
