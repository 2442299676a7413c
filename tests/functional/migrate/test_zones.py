# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Designate zones with their record sets: ``migrate export|import zone``,
``plan`` and ``validate`` against real clouds (``src`` in RegionOne to
``dst`` in RegionTwo, each with its own bind9 answering for its zones).
"""

import json
import os
import subprocess
import time

from tests.functional import base
from tests.functional.migrate import test_network_resources as netres

FILE = 'zones.yml'
#: the destination's bind9 (RegionTwo's pool)
DST_DNS = ('127.0.0.1', '15454')
#: dnspython is the development cloud's (its venv), not the tests'
DIG = '''
import json, sys
import dns.message, dns.query, dns.rcode
name, rdtype, host, port = sys.argv[1:]
answer = dns.query.udp(
    dns.message.make_query(name, rdtype), host, port=int(port), timeout=5
)
print(json.dumps(sorted(r.to_text() for rrs in answer.answer for r in rrs)))
print(dns.rcode.to_text(answer.rcode()), file=sys.stderr)
'''


def devcloud_python():
    home = os.environ.get('DEVCLOUD_HOME') or os.path.join(
        base.REPO, '.devcloud'
    )
    return os.path.join(home, 'venv', 'bin', 'python')


def _purge_zones(conn, suffix):
    """Delete the zones named ``*<suffix>`` of ``conn``'s project, and
    wait until Designate has removed them."""
    mine = lambda z: (z.name or '').endswith(suffix)  # noqa: E731
    for zone in [z for z in conn.dns.zones() if mine(z)]:
        conn.dns.delete_zone(zone, ignore_missing=True)
    deadline = time.monotonic() + base.WAIT
    while any(mine(z) for z in conn.dns.zones()):
        if time.monotonic() > deadline:
            raise AssertionError('zones *%s still there' % suffix)
        time.sleep(1)


def recordsets(conn, zone):
    """(name, type) -> (sorted records, ttl, description) of a zone's
    record sets, Designate's own SOA and NS included."""
    return {
        (r.name, r.type): (sorted(r.records), r.ttl, r.description)
        for r in conn.dns.recordsets(zone)
    }


def no_soa(sets):
    return {k: v for k, v in sets.items() if k[1] != 'SOA'}


def zone_state(conn, name):
    """The zone of ``conn``'s project named ``name``, and its record
    sets."""
    [zone] = [z for z in conn.dns.zones() if z.name == name]
    return zone, recordsets(conn, zone)


class TestZones(netres.MigrateTestCase):
    def setUp(self):
        super().setUp()
        # a zone below no one's zone: <prefix>.example.
        self.zone = self.prefix + '.example.'
        for cloud in ('src', 'dst', 'dst-admin'):
            self.addCleanup(_purge_zones, self.conn(cloud), self.zone)

    def n(self, label):
        """The absolute name of ``label`` in the test's zone."""
        return '%s.%s' % (label, self.zone) if label else self.zone

    def seed(self):
        dns_ = self.conn('src').dns
        z = dns_.create_zone(
            name=self.zone,
            email='hostmaster@example.org',
            ttl=3000,
            description='the zone',
        )
        n = self.n
        sets = [
            (n('www'), 'A', ['192.0.2.11', '192.0.2.10'], 600, 'web'),
            (n('www'), 'AAAA', ['2001:db8::10'], None, None),
            (n('ftp'), 'CNAME', [n('www')], 900, None),
            (n(''), 'MX', ['10 ' + n('mail'), '20 ' + n('mx2')], None, 'mx'),
            (n(''), 'TXT', ['"v=spf1 -all"', 'plain'], 1200, None),
            (n('_sip._tcp'), 'SRV', ['10 60 5060 ' + n('sip')], None, None),
            (n('*.dev'), 'A', ['192.0.2.50'], None, 'wildcard'),
            (n('mail'), 'A', ['192.0.2.25'], None, None),
        ]
        for name, type_, records, ttl, description in sets:
            attrs = {'name': name, 'type': type_, 'records': records}
            if ttl:
                attrs['ttl'] = ttl
            if description:
                attrs['description'] = description
            dns_.create_recordset(z, **attrs)
        return {
            (name, type_): (sorted(records), ttl, description)
            for name, type_, records, ttl, description in sets
        }

    def export(self):
        return self.migrate(
            'export zone',
            '-f',
            'json',
            cloud_option='--src-cloud',
            cloud='src',
        )

    def ask_dst(self, name, rdtype):
        """The records bind9 of the destination answers for ``name``
        (sorted text), waiting for the zone to get there."""
        deadline = time.monotonic() + base.WAIT
        while True:
            proc = subprocess.run(
                [devcloud_python(), '-c', DIG, name, rdtype, *DST_DNS],
                check=True,
                capture_output=True,
                text=True,
                timeout=60,
            )
            found = json.loads(proc.stdout)
            if found:
                return found
            if time.monotonic() > deadline:
                soa = subprocess.run(
                    [devcloud_python(), '-c', DIG, self.zone, 'SOA', *DST_DNS],
                    capture_output=True,
                    text=True,
                    timeout=60,
                ).stdout
                self.fail(
                    'the destination bind9 has no %s %s (%s; SOA %s); the '
                    'zone: %s'
                    % (
                        name,
                        rdtype,
                        proc.stderr.strip(),
                        soa.strip(),
                        [
                            (z.status, z.action, z.serial)
                            for z in self.conn('dst').dns.zones()
                            if z.name == self.zone
                        ],
                    )
                )
            time.sleep(1)

    def test_export_import_edit(self):
        wanted = self.seed()
        dst = self.conn('dst')
        # export all / import all carry zones
        exported = {r['Type']: r['Exported'] for r in self.export_all()}
        self.assertEqual(1, exported['zone'])
        [entry] = self.load(FILE)['resources']
        self.assertEqual('openstack.dns.Zone', entry['type'])
        params = dict(entry['params'])
        got = params.pop('recordsets')
        self.assertEqual(
            {
                'name': self.zone,
                'type': 'PRIMARY',
                'email': 'hostmaster@example.org',
                'ttl': 3000,
                'description': 'the zone',
                'attributes': {},
            },
            params,
        )
        # Designate's own SOA and apex NS are not in the file.
        self.assertEqual(
            sorted(wanted),
            [(r['name'], r['type']) for r in got],
        )

        plan = self.plan('zone')
        self.assertEqual(
            [(self.zone, 'create')],
            [(r['Name'], r['Action']) for r in plan],
        )
        rows = {r['Type']: r for r in self.import_()}
        self.assertEqual(
            (1, 0, 0, 0),
            tuple(
                rows['zone'][k]
                for k in ('Created', 'Updated', 'Unchanged', 'Failed')
            ),
        )
        zone, sets = zone_state(dst, self.zone)
        self.assertEqual(
            ('hostmaster@example.org', 3000, 'the zone', 'PRIMARY'),
            (zone.email, zone.ttl, zone.description, zone.type),
        )
        self.assertEqual(dst.current_project_id, zone.project_id)
        # Field by field; the destination's own SOA and NS besides.
        self.assertEqual(
            wanted,
            {k: v for k, v in sets.items() if k[1] not in ('SOA', 'NS')},
        )
        self.assertEqual(
            ['NS', 'SOA'], sorted(t for (_, t) in sets if t in ('SOA', 'NS'))
        )
        # bind9 of the destination answers for them.
        self.assertEqual(
            ['192.0.2.10', '192.0.2.11'], self.ask_dst(self.n('www'), 'A')
        )
        self.assertEqual(['192.0.2.50'], self.ask_dst(self.n('x.dev'), 'A'))
        self.assertEqual(
            ['10 60 5060 ' + self.n('sip')],
            self.ask_dst(self.n('_sip._tcp'), 'SRV'),
        )

        # Twice: not one write.
        rows, requests = self.import_logged(what='zone')
        self.assertEqual(
            [(self.zone, 'unchanged')],
            [(r['Name'], r['Action']) for r in rows],
        )
        writes = [
            (method, url)
            for method, url in requests
            if method != 'GET' and not url.endswith('/auth/tokens')
        ]
        self.assertEqual([], writes)
        # (the SOA's serial is Designate's to move as it publishes)
        again, again_sets = zone_state(dst, self.zone)
        self.assertEqual(
            (zone.id, no_soa(sets)), (again.id, no_soa(again_sets))
        )
        ids = {(r.name, r.type): r.id for r in dst.dns.recordsets(zone)}

        # An edited file: www A gets other records and TTL, a new record
        # set, the zone a new TTL; a record set only the destination has
        # is kept and said.
        dst.dns.create_recordset(
            zone, name=self.n('extra'), type='A', records=['192.0.2.99']
        )
        doc = self.load(FILE)
        [e] = doc['resources']
        e['params']['ttl'] = 3600
        for rs in e['params']['recordsets']:
            if (rs['name'], rs['type']) == (self.n('www'), 'A'):
                rs['records'] = ['192.0.2.12']
                rs['ttl'] = 700
        e['params']['recordsets'].append(
            {
                'name': self.n('new'),
                'type': 'TXT',
                'records': ['"hello world"'],
                'ttl': None,
                'description': 'added',
            }
        )
        self.save(FILE, doc)
        [row] = self.plan('zone')
        detail = (
            'ttl; update record set %s A (records, ttl); create record set '
            '%s TXT; kept 1 record set the file does not have: %s A'
            % (self.n('www'), self.n('new'), self.n('extra'))
        )
        self.assertEqual(('update', detail), (row['Action'], row['Detail']))
        [row] = self.import_('zone')
        self.assertEqual(('updated', detail), (row['Action'], row['Detail']))
        after_zone, after = zone_state(dst, self.zone)
        self.assertEqual(zone.id, after_zone.id)
        self.assertEqual(3600, after_zone.ttl)
        self.assertEqual(
            (['192.0.2.12'], 700, 'web'), after[(self.n('www'), 'A')]
        )
        self.assertEqual(
            (['"hello world"'], None, 'added'), after[(self.n('new'), 'TXT')]
        )
        self.assertEqual(
            (['192.0.2.99'], None, None), after[(self.n('extra'), 'A')]
        )
        # Updated in place: every record set keeps its id.
        now = {(r.name, r.type): r.id for r in dst.dns.recordsets(zone)}
        self.assertEqual(ids, {k: now[k] for k in ids})

    def test_secondary_zone_keeps_its_masters(self):
        self.conn('src').dns.create_zone(
            name=self.zone,
            type='SECONDARY',
            masters=['192.0.2.53'],
            description='copy',
        )
        [row] = self.export()
        self.assertEqual(1, row['Exported'])
        [entry] = self.load(FILE)['resources']
        self.assertEqual(
            {
                'name': self.zone,
                'type': 'SECONDARY',
                'masters': ['192.0.2.53'],
                'description': 'copy',
                'attributes': {},
            },
            entry['params'],
        )
        [row] = self.import_('zone')
        self.assertEqual('created', row['Action'])
        dst = self.conn('dst')

        def dst_zone():
            [zone] = [z for z in dst.dns.zones() if z.name == self.zone]
            return (zone.type, zone.masters, zone.description)

        self.assertEqual(('SECONDARY', ['192.0.2.53'], 'copy'), dst_zone())

        rows, requests = self.import_logged(what='zone')
        self.assertEqual(['unchanged'], [r['Action'] for r in rows])
        self.assertEqual(
            [],
            [
                (m, u)
                for m, u in requests
                if m != 'GET' and not u.endswith('/auth/tokens')
            ],
        )

        doc = self.load(FILE)
        doc['resources'][0]['params']['masters'] = ['192.0.2.54:5353']
        self.save(FILE, doc)
        [row] = self.import_('zone')
        self.assertEqual(
            ('updated', 'masters'), (row['Action'], row['Detail'])
        )
        self.assertEqual(
            ('SECONDARY', ['192.0.2.54:5353'], 'copy'), dst_zone()
        )

    def test_name_taken_by_another_project(self):
        self.seed()
        self.export()
        admin = self.conn('dst-admin')
        admin.dns.create_zone(name=self.zone, email='admin@example.org')
        rows = self.import_('zone', expect_fail=True)
        self.assertIn(
            "zone '%s' exists in another project of the destination "
            '(Designate: Zone already exists, owned by a different tenant): '
            'nothing created' % self.zone,
            rows.stdout,
        )
        dst = self.conn('dst')
        self.assertEqual(
            [], [z.name for z in dst.dns.zones() if z.name == self.zone]
        )
        theirs = admin.dns.find_zone(self.zone, ignore_missing=False)
        self.assertEqual(
            ['NS', 'SOA'],
            sorted(r.type for r in admin.dns.recordsets(theirs)),
        )

    def test_record_set_outside_its_zone_refused(self):
        self.seed()
        self.export()
        doc = self.load(FILE)
        [e] = doc['resources']
        e['params']['recordsets'][1]['name'] = 'www.elsewhere.example.'
        kind = e['params']['recordsets'][1]['type']
        self.save(FILE, doc)
        problem = (
            "record set 'www.elsewhere.example.' (%s) is not inside the "
            "zone '%s'" % (kind, self.zone)
        )
        result = self.import_('zone', expect_fail=True)
        self.assertIn(
            "%s: resource 0 (openstack.dns.Zone '%s'): field "
            'params.recordsets[1].name: %s'
            % (self.path(FILE), self.zone, problem),
            result.stderr,
        )
        self.assertEqual(
            [(self.path(FILE), 'params.recordsets[1].name', problem)],
            self.validate_problems(file_name=FILE),
        )
        self.assertEqual(
            [],
            [z for z in self.conn('dst').dns.zones() if z.name == self.zone],
        )


PTR_FILE = 'ptr_records.yml'


def _unset_ptr(conn, fip):
    """Unset the PTR of ``fip`` if it has one (openstacksdk fails to
    read Designate's answer to an unset it made)."""
    key = '%s:%s' % (conn.config.region_name, fip.id)
    if not any(f.id == key and f.ptrdname for f in conn.dns.floating_ips()):
        return
    try:
        conn.dns.unset_floating_ip(key)
    except AttributeError:
        pass
    [ptr] = [f.ptrdname for f in conn.dns.floating_ips() if f.id == key]
    assert ptr is None, ptr


class TestPtrRecords(netres.MigrateTestCase):
    """Reverse DNS of floating IPs: set on the destination floating IP
    with the file's address.  The regions' external networks differ
    (172.24.4.0/24, 172.24.5.0/24): a source address is never the
    destination's, so the file is edited as an operator would."""

    def fip(self, cloud, ptr=None):
        conn = self.conn(cloud)
        public = conn.network.find_network(
            base.PUBLIC_NETWORK, ignore_missing=False
        )
        fip = conn.network.create_ip(floating_network_id=public.id)
        self.addCleanup(conn.network.delete_ip, fip, ignore_missing=True)
        self.addCleanup(_unset_ptr, conn, fip)
        if ptr:
            conn.dns.update_floating_ip(
                '%s:%s' % (conn.config.region_name, fip.id), **ptr
            )
        return fip

    def ptr(self, verb, address, cloud_option, cloud, *args):
        # (plan takes the type as one argument)
        what = ['ptr record'] if verb == 'plan' else ['ptr', 'record']
        return self.openstack(
            'migrate',
            verb,
            *what,
            '--data-dir',
            self.data_dir,
            cloud_option,
            cloud,
            '--name',
            address,
            '-f',
            'json',
            *args,
        )

    def dst_ptr(self, fip):
        [found] = [
            (f.ptrdname, f.ttl, f.description)
            for f in self.conn('dst').dns.floating_ips()
            if f.address == fip.floating_ip_address
        ]
        return found

    def test_export_import(self):
        name = '%s.example.org.' % self.prefix
        src_fip = self.fip(
            'src', {'ptrdname': name, 'ttl': 900, 'description': 'web'}
        )
        self.fip('src')  # without a PTR: not exported
        dst_fip = self.fip('dst')
        address = src_fip.floating_ip_address

        [row] = self.ptr('export', address, '--src-cloud', 'src')
        self.assertEqual(1, row['Exported'])
        [entry] = self.load(PTR_FILE)['resources']
        self.assertEqual(
            (
                'openstack.dns.FloatingIPPTR',
                {
                    'address': address,
                    'ptrdname': name,
                    'ttl': 900,
                    'description': 'web',
                },
            ),
            (entry['type'], entry['params']),
        )

        # No floating IP of that address in the destination: said, not
        # an error.
        absent = (
            'no floating IP %s in the destination project: PTR not set'
            % address
        )
        [row] = self.ptr('import', address, '--dst-cloud', 'dst')
        self.assertEqual(('unchanged', absent), (row['Action'], row['Detail']))
        self.assertEqual((None, None, None), self.dst_ptr(dst_fip))

        # The operator points the entry at the destination's floating IP.
        doc = self.load(PTR_FILE)
        doc['resources'][0]['params']['address'] = dst_fip.floating_ip_address
        self.save(PTR_FILE, doc)
        new = dst_fip.floating_ip_address
        [row] = self.ptr('plan', new, '--dst-cloud', 'dst')
        self.assertEqual('create', row['Action'])
        [row] = self.ptr('import', new, '--dst-cloud', 'dst')
        self.assertEqual('created', row['Action'])
        self.assertEqual((name, 900, 'web'), self.dst_ptr(dst_fip))

        # Twice: not one write.
        rows, requests = self.import_logged(
            '--name', new, what='ptr record', every=True
        )
        self.assertEqual(['unchanged'], [r['Action'] for r in rows])
        self.assertEqual(
            [],
            [
                (m, u)
                for m, u in requests
                if m != 'GET' and not u.endswith('/auth/tokens')
            ],
        )

        # An edited name is updated.
        doc['resources'][0]['params']['ptrdname'] = 'mail.' + name
        self.save(PTR_FILE, doc)
        [row] = self.ptr('import', new, '--dst-cloud', 'dst')
        self.assertEqual(
            ('updated', 'ptrdname'), (row['Action'], row['Detail'])
        )
        self.assertEqual(('mail.' + name, 900, 'web'), self.dst_ptr(dst_fip))
