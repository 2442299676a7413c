# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Manila share types (as admins), share networks and shares (as the
tenant users): region one's Manila to region two's.  The development
cloud's Manila has dummy backends (shares without files, export locations
made up) and a ganesha one (files served over NFSv4 on this machine)."""

import hashlib
import json
import os
import re
import subprocess
import time

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datadir
from osmigrateclient.transfer import nfs
from osmigrateclient.transfer import share_tree
from tests.functional.migrate import test_compute_identity as ci

TYPES = 'share_types.yml'
NETWORKS = 'share_networks.yml'
SHARES = 'shares.yml'
SHARE = 'openstack.shared_file_system.Share'
MV = '2.65'
#: the states of an access rule being removed
GOING = ('queued_to_deny', 'denying', 'deleting', 'deleted')
FILES_NOT_COPIED = (
    'metadata only: the files of the share are not copied (import with '
    '--src-cloud to copy them over NFS)'
)
MiB = 1024 * 1024


def api(conn, method, url, **kwargs):
    response = getattr(conn.shared_file_system, method)(
        url, microversion=MV, **kwargs
    )
    sdk_exceptions.raise_from_response(response)
    return response.json() if response.content else None


def mine(conn, what, prefix):
    path = {
        'share_types': '/types?is_public=all',
        'share_networks': '/share-networks/detail',
        'shares': '/shares/detail',
    }[what]
    return {
        o['name']: o
        for o in api(conn, 'get', path)[what]
        if (o.get('name') or '').startswith(prefix)
    }


def share_state(conn, share):
    """What a share is, by names: comparable between the clouds."""
    types = {
        t['id']: t['name'] for t in api(conn, 'get', '/types')['share_types']
    }
    networks = {
        n['id']: n['name']
        for n in api(conn, 'get', '/share-networks')['share_networks']
    }
    rules = api(conn, 'get', '/share-access-rules?share_id=%s' % share['id'])
    return {
        'name': share['name'],
        'description': share['description'],
        'size': share['size'],
        'share_proto': share['share_proto'],
        'share_type': types.get(share['share_type']),
        'share_network': networks.get(share['share_network_id']),
        'availability_zone': share['availability_zone'],
        'is_public': share['is_public'],
        'metadata': share['metadata'],
        'status': share['status'],
        'rules': sorted(
            (r['access_type'], r['access_to'], r['access_level'])
            for r in rules['access_list']
            if r['state'] not in GOING
        ),
    }


def wait_gone(conn, url, timeout=180):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            api(conn, 'get', url)
        except sdk_exceptions.NotFoundException:
            return
        time.sleep(1)
    raise AssertionError('%s still there after %d s' % (url, timeout))


def delete_network(conn, net, timeout=180):
    """Delete a network once the ports of its share servers are gone
    (Manila removes them after the share network's 404)."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn.network.delete_network(net)
            return
        except sdk_exceptions.ConflictException:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)


def wait_available(conn, share_id, timeout=120):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        share = api(conn, 'get', '/shares/%s' % share_id)['share']
        if share['status'] == 'available':
            return share
        if share['status'].startswith('error'):
            raise AssertionError('share %s: %s' % (share_id, share['status']))
        time.sleep(1)
    raise AssertionError('share %s not available' % share_id)


class ShareTestCase(ci.MigrateTestCase):
    def purge(self, conn, admin):
        """Everything of this test's prefix in one cloud, dependents
        first (a share network's share servers go with its last share,
        asynchronously: its Neutron network waits for its 404)."""
        p = self.prefix
        for share in mine(conn, 'shares', p).values():
            api(conn, 'delete', '/shares/%s' % share['id'])
        for share in mine(conn, 'shares', p).values():
            wait_gone(conn, '/shares/%s' % share['id'])
        for sn in mine(conn, 'share_networks', p).values():
            api(conn, 'delete', '/share-networks/%s' % sn['id'])
            wait_gone(conn, '/share-networks/%s' % sn['id'])
        for net in conn.network.networks():
            if net.name.startswith(p):
                delete_network(conn, net)
        for t in mine(admin, 'share_types', p).values():
            api(admin, 'delete', '/types/%s' % t['id'])

    def import_logged(self, what, cloud, *extra):
        """``import <what>`` with ``--debug``: its rows, and the (method,
        url) of the writes it made."""
        argv = [self.openstack_cli, '--debug', 'migrate', 'import']
        argv += [*what.split(), *extra, '--data-dir', self.data_dir]
        argv += ['--dst-cloud', cloud, '--name-regex', '^' + self.prefix]
        argv += ['-f', 'json']
        proc = subprocess.run(
            argv,
            env=self.cli_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=self.CLI_TIMEOUT,
        )
        self.assertEqual(0, proc.returncode, proc.stderr[-5000:])
        requests = re.findall(r'REQ: curl .*?-X (\w+) (\S+)', proc.stderr)
        writes = [
            (method, url)
            for method, url in requests
            if method != 'GET' and not url.endswith('/auth/tokens')
        ]
        return json.loads(proc.stdout), writes


class TestShares(ShareTestCase):
    def src_content(self):
        """Share types, a network, a share network and two shares in
        region one."""
        p = self.prefix
        src, admin1 = self.conn('src'), self.conn('src-admin')
        project = admin1.identity.find_project('dst', domain_id='default')
        for name, backend, dhss, public in (
            ('type', 'DUMMY1', False, True),
            ('dhss', 'DUMMY2', True, True),
            ('priv', 'DUMMY1', False, False),
        ):
            t = api(
                admin1,
                'post',
                '/types',
                json={
                    'share_type': {
                        'name': '%s-%s' % (p, name),
                        'description': 'the %s type' % name,
                        'share_type_access:is_public': public,
                        'extra_specs': {
                            'driver_handles_share_servers': dhss,
                            'share_backend_name': backend,
                            'x:tier': 'gold',
                        },
                    }
                },
            )['share_type']
            if not public:
                api(
                    admin1,
                    'post',
                    '/types/%s/action' % t['id'],
                    json={'addProjectAccess': {'project': project.id}},
                )
        net = src.network.create_network(name=p + '-net')
        sub = src.network.create_subnet(
            name=p + '-sub',
            network_id=net.id,
            ip_version=4,
            cidr='10.81.0.0/24',
        )
        sn = api(
            src,
            'post',
            '/share-networks',
            json={
                'share_network': {
                    'name': p + '-sn',
                    'description': 'for share servers',
                    'neutron_net_id': net.id,
                    'neutron_subnet_id': sub.id,
                }
            },
        )['share_network']
        shares = {}
        for name, extra in (
            ('share', {'share_type': p + '-type'}),
            (
                'served',
                {'share_type': p + '-dhss', 'share_network_id': sn['id']},
            ),
        ):
            body = {
                'name': '%s-%s' % (p, name),
                'description': 'the %s share' % name,
                'size': 1,
                'share_proto': 'NFS',
                'metadata': {'team': 'storage', 'tier': name},
            }
            body.update(extra)
            share = api(src, 'post', '/shares', json={'share': body})['share']
            shares[name] = wait_available(src, share['id'])
        for name, to, level in (
            ('share', '10.0.0.0/24', 'rw'),
            ('share', '10.9.9.9', 'ro'),
            ('served', '10.81.0.0/24', 'rw'),
        ):
            api(
                src,
                'post',
                '/shares/%s/action' % shares[name]['id'],
                json={
                    'allow_access': {
                        'access_type': 'ip',
                        'access_to': to,
                        'access_level': level,
                    }
                },
            )
        return shares

    def test_shares(self):
        p = self.prefix
        src, dst = self.conn('src'), self.conn('dst')
        admin1, admin2 = self.conn('src-admin'), self.conn('dst-admin')
        self.addCleanup(self.purge, dst, admin2)
        self.addCleanup(self.purge, src, admin1)
        shares = self.src_content()

        # -- export ----------------------------------------------------------
        rows = self.export('share type', 'src-admin')
        self.assertEqual(3, rows[0]['Exported'])
        for what in ('network', 'subnet', 'share network', 'share'):
            self.export(what, 'src')
        types = {e['params']['name']: e for e in self.load(TYPES)['resources']}
        self.assertEqual(
            {
                'name': p + '-priv',
                'description': 'the priv type',
                'is_public': False,
                'extra_specs': {
                    'driver_handles_share_servers': 'False',
                    'share_backend_name': 'DUMMY1',
                    'x:tier': 'gold',
                },
                'access_project_refs': [
                    {
                        'name': 'dst',
                        'project_name': None,
                        'domain_name': 'Default',
                    }
                ],
            },
            types[p + '-priv']['params'],
        )
        [sn_entry] = self.load(NETWORKS)['resources']
        self.assertEqual(
            {
                'name': p + '-sn',
                'description': 'for share servers',
                'network_ref': {
                    'name': p + '-net',
                    'project_name': '%auth%',
                    'domain_name': '%auth%',
                },
                'subnet_ref': {
                    'name': p + '-sub',
                    'project_name': '%auth%',
                    'domain_name': '%auth%',
                },
            },
            sn_entry['params'],
        )
        entries = {
            e['params']['name']: e for e in self.load(SHARES)['resources']
        }
        self.assertEqual(
            {
                'name': p + '-share',
                'description': 'the share share',
                'size': 1,
                'share_protocol': 'NFS',
                'share_type_ref': {
                    'name': p + '-type',
                    'project_name': None,
                    'domain_name': None,
                },
                'share_network_ref': None,
                'availability_zone': 'nova',
                'is_public': False,
                'metadata': {'team': 'storage', 'tier': 'share'},
                'access_rules': [
                    {
                        'access_type': 'ip',
                        'access_to': '10.9.9.9',
                        'access_level': 'ro',
                    },
                    {
                        'access_type': 'ip',
                        'access_to': '10.0.0.0/24',
                        'access_level': 'rw',
                    },
                ],
            },
            entries[p + '-share']['params'],
        )
        src_paths = sorted(
            e['path']
            for e in api(
                src,
                'get',
                '/shares/%s/export_locations' % shares['share']['id'],
            )['export_locations']
        )
        self.assertEqual(
            (shares['share']['id'], src_paths),
            (
                entries[p + '-share']['_info']['id'],
                entries[p + '-share']['_info']['export_locations'],
            ),
        )

        # -- a missing share type: blocked, nothing made ---------------------
        doc = self.load(SHARES)
        for e in doc['resources']:
            if e['params']['name'] == p + '-share':
                e['params']['share_type_ref']['name'] = p + '-gone'
        self.save(SHARES, doc)
        result = self.openstack(
            'migrate',
            'validate',
            '--data-dir',
            self.data_dir,
            '-f',
            'json',
            expect_fail=True,
        )
        self.assertEqual(
            [
                {
                    'File': self.path(SHARES),
                    'Resource': "resource 1 (%s '%s-share')" % (SHARE, p),
                    'Field': 'params.share_type_ref',
                    'Problem': "share type '%s-gone' is not in the data "
                    'directory' % p,
                }
            ],
            [
                r
                for r in json.loads(result.stdout)
                if r['File'] == self.path(SHARES)
            ],
        )
        for what in ('network', 'subnet'):
            self.import_(what, 'dst')
        self.import_('share network', 'dst')
        result = self.import_('share', 'dst', expect_fail=True)
        self.assertIn(
            "shares.yml: %s '%s-share': blocked: share_type_ref: share type "
            "'%s-gone' not found" % (SHARE, p, p),
            result.stderr,
        )
        self.assertEqual({}, mine(dst, 'shares', p))
        doc = self.load(SHARES)
        for e in doc['resources']:
            if e['params']['name'] == p + '-share':
                e['params']['share_type_ref']['name'] = p + '-type'
        self.save(SHARES, doc)

        # -- import ----------------------------------------------------------
        # plan: blocked until the share types are there
        result = self.migrate(
            'plan', 'share', '--name-regex', p, cloud='dst', expect_fail=True
        )
        self.assertEqual(
            [
                (
                    p + '-served',
                    'blocked',
                    "share_type_ref: share type '%s-dhss' not found" % p,
                ),
                (
                    p + '-share',
                    'blocked',
                    "share_type_ref: share type '%s-type' not found" % p,
                ),
            ],
            sorted(
                (r['Name'], r['Action'], r['Detail'])
                for r in json.loads(result.stdout)
            ),
        )
        rows = self.import_('share type', 'dst-admin')
        self.assertEqual(
            [
                (p + '-dhss', 'created'),
                (p + '-priv', 'created'),
                (p + '-type', 'created'),
            ],
            self.actions(rows),
        )
        src_types = mine(admin1, 'share_types', p)
        dst_types = mine(admin2, 'share_types', p)
        for name, t in src_types.items():
            self.assertEqual(
                (
                    t['description'],
                    t['share_type_access:is_public'],
                    t['extra_specs'],
                ),
                (
                    dst_types[name]['description'],
                    dst_types[name]['share_type_access:is_public'],
                    dst_types[name]['extra_specs'],
                ),
            )
        access = api(
            admin2,
            'get',
            '/types/%s/share_type_access' % dst_types[p + '-priv']['id'],
        )['share_type_access']
        self.assertEqual(
            [admin1.identity.find_project('dst', domain_id='default').id],
            [a['project_id'] for a in access],
        )
        sn_src = mine(src, 'share_networks', p)[p + '-sn']
        sn_dst = mine(dst, 'share_networks', p)[p + '-sn']
        dst_net = dst.network.find_network(p + '-net')
        dst_sub = dst.network.find_subnet(p + '-sub')
        self.assertEqual(
            (sn_src['description'], dst_net.id, dst_sub.id),
            (
                sn_dst['description'],
                sn_dst['share_network_subnets'][0]['neutron_net_id'],
                sn_dst['share_network_subnets'][0]['neutron_subnet_id'],
            ),
        )

        rows = self.import_('share', 'dst')
        self.assertEqual(
            [(p + '-served', 'created'), (p + '-share', 'created')],
            self.actions(rows),
        )
        dst_shares = mine(dst, 'shares', p)
        for name in ('share', 'served'):
            full = '%s-%s' % (p, name)
            self.assertEqual(
                share_state(src, mine(src, 'shares', full)[full]),
                share_state(dst, dst_shares[full]),
            )
            paths = sorted(
                e['path']
                for e in api(
                    dst,
                    'get',
                    '/shares/%s/export_locations' % dst_shares[full]['id'],
                )['export_locations']
            )
            self.assertEqual(
                'export locations: %s; %s'
                % (', '.join(paths), FILES_NOT_COPIED),
                next(r['Detail'] for r in rows if r['Name'] == full),
            )
        self.assertEqual(
            sn_dst['id'], dst_shares[p + '-served']['share_network_id']
        )

        # -- twice: nothing written ------------------------------------------
        for what, cloud, count in (
            ('share type', 'dst-admin', 3),
            ('share network', 'dst', 1),
            ('share', 'dst', 2),
        ):
            rows, writes = self.import_logged(what, cloud)
            self.assertEqual(
                ['unchanged'] * count, [r['Action'] for r in rows], what
            )
            self.assertEqual([], writes, what)

        # -- an edited file: metadata, a rule dropped, a description --------
        doc = self.load(SHARES)
        for e in doc['resources']:
            if e['params']['name'] == p + '-share':
                e['params']['metadata'] = {'team': 'files'}
                e['params']['description'] = 'edited'
                e['params']['access_rules'] = e['params']['access_rules'][:1]
        self.save(SHARES, doc)
        rows = self.import_('share', 'dst')
        self.assertEqual(
            [(p + '-served', 'unchanged'), (p + '-share', 'updated')],
            self.actions(rows),
        )
        state = share_state(dst, mine(dst, 'shares', p)[p + '-share'])
        self.assertEqual(
            ('edited', {'team': 'files'}, [('ip', '10.9.9.9', 'ro')]),
            (state['description'], state['metadata'], state['rules']),
        )
        self.assertEqual(
            [(p + '-served', 'unchanged'), (p + '-share', 'unchanged')],
            self.actions(self.import_('share', 'dst')),
        )


def wait_rule(conn, share_id, to, present=True, timeout=60):
    """Wait until the ``ip`` rule for ``to`` is active (or gone)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        rules = api(conn, 'get', '/share-access-rules?share_id=%s' % share_id)[
            'access_list'
        ]
        states = [r['state'] for r in rules if r['access_to'] == to]
        if (present and 'active' in states) or (not present and not states):
            return
        time.sleep(0.5)
    raise AssertionError('rule for %s on %s: %s' % (to, share_id, states))


def allow(conn, share_id, to, level):
    api(
        conn,
        'post',
        '/shares/%s/action' % share_id,
        json={
            'allow_access': {
                'access_type': 'ip',
                'access_to': to,
                'access_level': level,
            }
        },
    )
    wait_rule(conn, share_id, to)


def writable(conn, share_id):
    """The test's read-only rule for 127.0.0.1 made a read-write one."""
    for rule in api(conn, 'get', '/share-access-rules?share_id=%s' % share_id)[
        'access_list'
    ]:
        api(
            conn,
            'post',
            '/shares/%s/action' % share_id,
            json={'deny_access': {'access_id': rule['id']}},
        )
    wait_rule(conn, share_id, '127.0.0.1', present=False)
    allow(conn, share_id, '127.0.0.1', 'rw')


def location(conn, share_id):
    [loc] = api(conn, 'get', '/shares/%s/export_locations' % share_id)[
        'export_locations'
    ]
    return loc['path']


def comparable(tree):
    """A tree as a copy keeps it: the mtimes and sizes of files only
    (a directory's change as entries are added)."""
    return {
        path: (
            n.kind,
            n.mode,
            n.size if n.kind == 'file' else None,
            n.mtime_us if n.kind == 'file' else None,
            n.target,
        )
        for path, n in tree.items()
    }


#: the owners the source's entries of another owner keep (NOBODY: root's,
#: that the server names instead of numbering)
OWNED = {
    'pub/home': (2001, 2002),
    'pub/home/link': (2001, 2002),
    'pub/home/own.txt': (2001, 2002),
    'pub/hard': (2001, 2002),
}


def owners(tree):
    """The known owners of a tree's entries."""
    return {
        path: (n.uid, n.gid)
        for path, n in tree.items()
        if (n.uid, n.gid) != (nfs.NOBODY, nfs.NOBODY)
    }


def put(export, path, data, mode, mtime_ns):
    fh = export.create(path, 0o600)
    export.pwrite(fh, 0, data, path)
    export.close_file(fh, path)
    export.chmod(path, mode)
    export.utimes(path, mtime_ns)


class TestShareFiles(ShareTestCase):
    """The files of an NFS share on the ganesha backends, copied."""

    def content(self, where):
        """The tree of an export, and the SHA-256 of each file's bytes."""
        with nfs.Export(nfs.url_of(where), 'test') as e:
            tree = share_tree.walk(e, 'test')
            sums = {
                path: hashlib.sha256(b''.join(e.chunks(path))).hexdigest()
                for path, node in tree.items()
                if node.kind == 'file'
            }
        return tree, sums

    def test_files(self):
        p = self.prefix
        src, dst = self.conn('src'), self.conn('dst')
        admin1, admin2 = self.conn('src-admin'), self.conn('dst-admin')
        self.addCleanup(self.purge, dst, admin2)
        self.addCleanup(self.purge, src, admin1)
        for admin in (admin1, admin2):
            api(
                admin,
                'post',
                '/types',
                json={
                    'share_type': {
                        'name': p + '-nfs',
                        'share_type_access:is_public': True,
                        'extra_specs': {
                            'driver_handles_share_servers': False,
                            'share_backend_name': 'GANESHA',
                        },
                    }
                },
            )
        share = api(
            src,
            'post',
            '/shares',
            json={
                'share': {
                    'name': p + '-files',
                    'size': 1,
                    'share_proto': 'NFS',
                    'share_type': p + '-nfs',
                }
            },
        )['share']
        wait_available(src, share['id'])
        allow(src, share['id'], '127.0.0.1', 'rw')
        src_where = location(src, share['id'])
        big = os.urandom(MiB)
        with nfs.Export(nfs.url_of(src_where), 'test') as e:
            e.mkdir('dir', 0o750)
            e.mkdir('dir/nested', 0o755)
            put(e, 'top.txt', b'hello\n', 0o640, 1_600_000_000_123_456_000)
            put(e, 'empty', b'', 0o600, 1_600_000_001_000_000_000)
            put(e, 'dir/nested/big.bin', big, 0o644, 1_600_000_002_000_000_000)
            e.symlink('../top.txt', 'dir/link')
            # Entries of another owner (made with its credentials in a
            # directory open to all: libnfs 4.0 chowns files only), and a
            # file of two names.
            e.mkdir('pub', 0o1777)
            with e.as_user(2001, 2002):
                e.mkdir('pub/home', 0o750)
                e.symlink('../../top.txt', 'pub/home/link')
            put(e, 'pub/home/own.txt', b'mine\n', 0o640, 1_600_000_004 * 10**9)
            e.chown('pub/home/own.txt', 2001, 2002)
            e.link('pub/home/own.txt', 'pub/hard')
        self.export('share', 'src')
        # The destination share lets the migrator read only: the import
        # adds a read-write rule while it copies.
        doc = self.load(SHARES)
        doc['resources'][0]['params']['access_rules'] = [
            {
                'access_type': 'ip',
                'access_to': '127.0.0.1',
                'access_level': 'ro',
            }
        ]
        self.save(SHARES, doc)

        rows = self.import_('share', 'dst', '--src-cloud', 'src')
        [dst_share] = mine(dst, 'shares', p).values()
        dst_where = location(dst, dst_share['id'])
        self.assertEqual(
            [
                (
                    p + '-files',
                    'created',
                    'export locations: %s; files: 4 copied (1.0 MiB) and '
                    'verified, 0 unchanged, 1 hard link(s) made' % dst_where,
                )
            ],
            [(r['Name'], r['Action'], r['Detail']) for r in rows],
        )
        self.assertEqual(
            [('ip', '127.0.0.1', 'ro')],
            share_state(dst, dst_share)['rules'],
        )
        src_tree, src_sums = self.content(src_where)
        dst_tree, dst_sums = self.content(dst_where)
        self.assertEqual(comparable(src_tree), comparable(dst_tree))
        self.assertEqual(src_sums, dst_sums)
        self.assertEqual(
            {
                'top.txt': hashlib.sha256(b'hello\n').hexdigest(),
                'empty': hashlib.sha256(b'').hexdigest(),
                'dir/nested/big.bin': hashlib.sha256(big).hexdigest(),
                'pub/hard': hashlib.sha256(b'mine\n').hexdigest(),
                'pub/home/own.txt': hashlib.sha256(b'mine\n').hexdigest(),
            },
            dst_sums,
        )
        self.assertEqual(
            {
                'dir': ('dir', 0o750, None, None, ''),
                'dir/nested': ('dir', 0o755, None, None, ''),
                'dir/link': ('link', 0o777, None, None, '../top.txt'),
                'top.txt': ('file', 0o640, 6, 1_600_000_000_123_456, ''),
                'empty': ('file', 0o600, 0, 1_600_000_001_000_000, ''),
                'dir/nested/big.bin': (
                    'file',
                    0o644,
                    MiB,
                    1_600_000_002_000_000,
                    '',
                ),
                'pub': ('dir', 0o1777, None, None, ''),
                'pub/home': ('dir', 0o750, None, None, ''),
                'pub/home/link': ('link', 0o777, None, None, '../../top.txt'),
                'pub/home/own.txt': (
                    'file',
                    0o640,
                    5,
                    1_600_000_004_000_000,
                    '',
                ),
                'pub/hard': ('file', 0o640, 5, 1_600_000_004_000_000, ''),
            },
            comparable(dst_tree),
        )
        self.assertEqual(OWNED, owners(dst_tree))
        self.assertEqual(owners(src_tree), owners(dst_tree))
        self.assertEqual(
            (2, 2, dst_tree['pub/hard'].ino),
            (
                dst_tree['pub/hard'].nlink,
                dst_tree['pub/home/own.txt'].nlink,
                dst_tree['pub/home/own.txt'].ino,
            ),
        )

        # -- again: nothing read from the destination, nothing written ----
        rows, writes = self.import_logged('share', 'dst', '--src-cloud', 'src')
        self.assertEqual(['unchanged'], [r['Action'] for r in rows])
        self.assertEqual([], writes)

        # -- a copy cut short in the big file: what a kill leaves --------
        # (the file half written with a new mtime, its record and the
        # tree's never journalled), and a new file of the source that
        # meets a directory in the destination: that import fails for it
        # alone, the next one sends it alone.
        journal = os.path.join(
            self.data_dir, datadir.SHARE_FILES, dst_share['id'] + '.yml'
        )
        doc = self.load(journal)
        del doc['files']['dir/nested/big.bin']
        doc['tree'] = ''
        self.save(journal, doc)
        with nfs.Export(nfs.url_of(src_where), 'test') as e:
            put(e, 'later', b'later\n', 0o644, 1_600_000_003_000_000_000)
        writable(dst, dst_share['id'])
        # The hard link undone and a file of the wrong owner: fixed by
        # that import, without sending them.
        with nfs.Export(nfs.url_of(dst_where), 'test') as e:
            e.truncate('dir/nested/big.bin', MiB // 2)
            e.mkdir('later', 0o755)
            e.unlink('pub/home/own.txt')
            put(e, 'pub/home/own.txt', b'mine\n', 0o640, 1_600_000_004 * 10**9)
            e.chown('pub/hard', 3003, 3004)
        result = self.import_(
            'share', 'dst', '--src-cloud', 'src', expect_fail=True
        )
        self.assertEqual(
            [
                (
                    p + '-files',
                    'failed',
                    "1 path(s) not copied: share '%s-files': 'later': a file "
                    'in the source, a dir here' % p,
                )
            ],
            [
                (r['Name'], r['Action'], r['Detail'])
                for r in json.loads(result.stdout)
            ],
        )
        writable(dst, dst_share['id'])
        with nfs.Export(nfs.url_of(dst_where), 'test') as e:
            e.rmdir('later')
        rows = self.import_('share', 'dst', '--src-cloud', 'src')
        self.assertEqual(
            [
                (
                    p + '-files',
                    'updated',
                    '(files), access_rules; export locations: %s; files: 1 '
                    'copied (6 B) and verified, 5 unchanged' % dst_where,
                )
            ],
            [(r['Name'], r['Action'], r['Detail']) for r in rows],
        )
        src_tree, src_sums = self.content(src_where)
        dst_tree, dst_sums = self.content(dst_where)
        self.assertEqual(
            (comparable(src_tree), src_sums), (comparable(dst_tree), dst_sums)
        )
        self.assertEqual(6, len(dst_sums))
        self.assertEqual(OWNED, owners(dst_tree))
        self.assertEqual(
            (2, dst_tree['pub/hard'].ino),
            (dst_tree['pub/hard'].nlink, dst_tree['pub/home/own.txt'].ino),
        )
        self.assertEqual(
            [('ip', '127.0.0.1', 'ro')],
            share_state(dst, dst_share)['rules'],
        )
