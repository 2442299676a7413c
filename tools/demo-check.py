"""What tools/demo shows after its commands, read from the clouds and the
data directory.

    tools/demo-check.py hosts DATA_DIR
        what "conversion host deploy" made, and whom SSH admits
    tools/demo-check.py volumes DATA_DIR REPORT
        one line per migrated volume: where it is attached in the
        destination, and whether its bytes equal the source's (the known
        chunks the seed wrote, and the whole volume by qemu-img compare of
        Cinder's backing files); exits 1 if any differs
    tools/demo-check.py summary DATA_DIR REPORT STARTED
        resources migrated, servers, bytes copied and sent, each server's
        downtime, and the time since STARTED (seconds since the epoch)

Options: --src CLOUD, --dst CLOUD (default src, dst).
"""

import argparse
import collections
import glob
import importlib.util
import json
import os
import subprocess
import sys
import time

import openstack
import yaml

from osmigrateclient import datadir
from osmigrateclient import resources
from osmigrateclient.transfer import conversion_host
from osmigrateclient.transfer import ssh

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location(
    'demo_seed', os.path.join(HERE, 'demo-seed.py')
)
seed = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(seed)

MiB, GiB = seed.MiB, 1024 * seed.MiB
#: the data file of the servers
WORKLOADS = resources.get('workload').file_name


def size(n):
    if n >= GiB:
        return '%.1f GiB' % (n / GiB)
    if n >= MiB:
        return '%.1f MiB' % (n / MiB)
    return '%.1f KiB' % (n / 1024)


def load_yaml(path):
    with open(path) as f:
        return yaml.safe_load(f) or {}


# -- hosts ------------------------------------------------------------------


def _migrator_first(rule):
    return 'the migrator' not in rule, rule


def hosts(args, conns):
    path = conversion_host.hosts_path(args.data_dir)
    records = load_yaml(path).get('hosts') or {}
    dst_link = (records.get('dst') or {}).get('link_address')
    for side in ('src', 'dst'):
        record = records.get(side) or {}
        created = record.get('created') or {}
        net = conns[side].network
        group = net.get_security_group(created.get('security_group'))
        print(
            '%s: server %s at %s, keypair %s, security group %s'
            % (
                side,
                record.get('name'),
                record.get('address'),
                created.get('keypair'),
                group.name,
            )
        )
        # (hosts.yml of older versions: allowed_cidrs, the migrator's only)
        migrator = set(
            record.get('migrator_cidrs', record.get('allowed_cidrs')) or []
        )
        whom = []
        for rule in net.security_group_rules(security_group_id=group.id):
            if rule.direction != 'ingress':
                continue
            cidr = rule.remote_ip_prefix
            if side == 'src' and dst_link and cidr == dst_link + '/32':
                who = 'the destination conversion host'
            elif cidr in migrator:
                who = 'the migrator, this machine'
            else:
                who = 'UNEXPECTED'
            ports = '%s' % rule.port_range_min
            if rule.port_range_max != rule.port_range_min:
                ports += '-%s' % rule.port_range_max
            whom.append(
                '%s/%s from %s (%s)' % (rule.protocol, ports, cidr, who)
            )
        print(
            '    admits only ' + '; '.join(sorted(whom, key=_migrator_first))
        )
    print(
        'keys in %s: %s (migrator to hosts), %s (destination host to source '
        'host); host keys pinned from the console logs in %s'
        % (
            ssh.conversion_dir(args.data_dir),
            datadir.SSH_KEY,
            datadir.LINK_SSH_KEY,
            datadir.KNOWN_HOSTS,
        )
    )


# -- volumes ----------------------------------------------------------------


def migrated_volumes(data_dir, report):
    """[(source volume id, destination volume id)] of the report."""
    entries = {
        (e.get('_info') or {}).get('id'): e
        for e in load_yaml(os.path.join(data_dir, WORKLOADS)).get('resources')
        or []
    }
    found = []
    for server in report.get('servers') or []:
        entry = entries.get(server['source_id']) or {}
        vols = (entry.get('params') or {}).get('volumes') or []
        for copied in server.get('volumes') or []:
            step = copied['step']
            if step.startswith('volume:'):
                source = step.split(':', 1)[1]
            else:  # the boot disk of a boot-from-volume server
                [source] = [
                    v['_info']['id']
                    for v in vols
                    if (v.get('params') or {}).get('bootable')
                ]
            found.append((source, copied['dest_id']))
    return found


def same_bytes(src_id, dst_id):
    """'' if the destination volume's file holds the source's bytes."""
    done = subprocess.run(
        [
            'qemu-img',
            'compare',
            '-U',
            seed.active_file('r1', src_id),
            seed.active_file('r2', dst_id),
        ],
        capture_output=True,
        text=True,
    )
    return '' if done.returncode == 0 else done.stdout.strip() or 'differ'


def volumes(args, conns):
    with open(args.report) as f:
        report = json.load(f)
    dst = conns['dst'].block_storage
    servers = {s.id: s.name for s in conns['dst'].compute.servers()}
    bad = 0
    for src_id, dst_id in migrated_volumes(args.data_dir, report):
        dest = dst.get_volume(dst_id)
        where = ', '.join(
            'on %s %s'
            % (servers.get(a['server_id'], a['server_id']), a['device'])
            for a in dest.attachments
        )
        problems = []
        known = seed.known_chunks(dest.name) if dest.name in seed.KNOWN else {}
        with open(seed.active_file('r2', dst_id), 'rb') as f:
            for offset, data in known.items():
                f.seek(offset)
                if f.read(len(data)) != data:
                    problems.append('known chunk at %d missing' % offset)
        diff = same_bytes(src_id, dst_id)
        if diff:
            problems.append(diff)
        bad += bool(problems)
        print(
            '%-14s %d GiB  %-24s %d known MiB found; %s'
            % (
                dest.name,
                dest.size,
                where or '(not attached)',
                len(known) - sum('known' in p for p in problems),
                'all bytes equal to the source\'s: OK'
                if not problems
                else 'DIFFERS: ' + '; '.join(problems),
            )
        )
    return 1 if bad else 0


# -- summary ----------------------------------------------------------------


def minutes(seconds):
    return '%d min %02d s' % divmod(round(seconds), 60)


def summary(args, conns):
    with open(args.report) as f:
        report = json.load(f)
    counts = collections.Counter()
    for path in glob.glob(os.path.join(args.data_dir, '*.yml')):
        if os.path.basename(path) == WORKLOADS:
            continue
        # networks.yml -> networks, router_interfaces.yml -> router interfaces
        kind = os.path.basename(path)[: -len('.yml')].replace('_', ' ')
        counts[kind] += len(load_yaml(path).get('resources') or [])
    servers = report.get('servers') or []
    copied = [v for s in servers for v in s.get('volumes') or []]
    print('Summary')
    print(
        '  pre-workload resources migrated: %d (%s)'
        % (
            sum(counts.values()),
            ', '.join(
                '%d %s' % (n, k if n > 1 else k[:-1])
                for k, n in sorted(counts.items())
                if n
            ),
        )
    )
    print(
        '  servers migrated: %d (%s), %s'
        % (
            len(servers),
            ', '.join('%s: %s' % (s['name'], s['action']) for s in servers),
            '%d volumes' % len(copied),
        )
    )
    print(
        '  bytes copied: %s of volumes, of which %s sent between the '
        'conversion hosts (only the non-zero blocks, SSH included)'
        % (
            size(sum(v.get('bytes') or 0 for v in copied)),
            size(sum(v.get('bytes_sent') or 0 for v in copied)),
        )
    )
    for s in servers:
        print(
            '  downtime of %s: %.1f s, from its stop in the source to running '
            'in the destination (%.1f s of it copying bytes)'
            % (s['name'], s.get('seconds') or 0, s.get('copy_seconds') or 0)
        )
    print(
        '  workload import: %.1f s with --parallel %s; the whole demo: %s'
        % (
            report.get('seconds') or 0,
            report.get('parallel'),
            minutes(time.time() - args.started),
        )
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    sub = parser.add_subparsers(dest='what', required=True)
    p = sub.add_parser('hosts')
    p.add_argument('data_dir')
    p = sub.add_parser('volumes')
    p.add_argument('data_dir')
    p.add_argument('report')
    p = sub.add_parser('summary')
    p.add_argument('data_dir')
    p.add_argument('report')
    p.add_argument('started', type=float)
    args = parser.parse_args()
    conns = {
        'src': openstack.connect(cloud=args.src),
        'dst': openstack.connect(cloud=args.dst),
    }
    return {'hosts': hosts, 'volumes': volumes, 'summary': summary}[args.what](
        args, conns
    )


if __name__ == '__main__':
    sys.exit(main())
