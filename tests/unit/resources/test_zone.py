#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at
#
#        http://www.apache.org/licenses/LICENSE-2.0
#
#   Unless required by applicable law or agreed to in writing, software
#   distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
#   WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
#   License for the specific language governing permissions and limitations
#   under the License.

"""Designate zones: record sets in the zone's entry, Designate's own left
out, checked per type, created or updated one by one."""

import copy

import fixtures

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import refs
from osmigrateclient.resources import zone as zone_type
from tests.unit import fakes

Z = 'example.org.'


def dns_cloud(project_id):
    """A fake cloud whose record set calls act like Designate's."""
    conn = fakes.FakeConnection(project_id=project_id)

    def create_recordset(zone, **attrs):
        return conn.add('recordset', zone_id=zone.id, **attrs)

    def update_recordset(target, **attrs):
        [rs] = [r for r in conn.store['recordset'] if r.id == target.id]
        rs._update(**attrs)
        return rs

    conn._api_create_recordset = create_recordset
    conn._api_update_recordset = update_recordset
    return conn


def add_zone(conn, name=Z, sets=(), **attrs):
    values = dict(
        name=name,
        email='dns@example.org',
        ttl=3600,
        description='d',
        type='PRIMARY',
        attributes={},
        masters=[],
    )
    values.update(attrs)
    zone = conn.add('zone', **values)
    # what Designate makes itself
    conn.add(
        'recordset',
        zone_id=zone.id,
        name=name,
        type='SOA',
        records=['ns1.cloud. dns.example.org. 1 3600 600 86400 3600'],
    )
    conn.add(
        'recordset', zone_id=zone.id, name=name, type='NS', records=['ns1.']
    )
    for rs in sets:
        conn.add('recordset', zone_id=zone.id, **rs)
    return zone


SETS = [
    {
        'name': 'www.' + Z,
        'type': 'A',
        'records': ['192.0.2.2', '192.0.2.1'],
        'ttl': 600,
        'description': 'web',
    },
    {'name': Z, 'type': 'MX', 'records': ['10 mail.' + Z]},
    {
        'name': '_sip._tcp.' + Z,
        'type': 'SRV',
        'records': ['1 2 5060 sip.' + Z],
    },
    {'name': '*.dev.' + Z, 'type': 'A', 'records': ['192.0.2.9']},
]


class TestExport(base.BaseTestCase):
    def test_entry(self):
        src = dns_cloud('p-src')
        zone = add_zone(src, sets=SETS)
        add_zone(src, name='other.org.', sets=[])
        e = zone_type.RESOURCE().from_sdk(refs.Lookup(src), zone)
        self.assertEqual('openstack.dns.Zone', e['type'])
        params = dict(e['params'])
        self.assertEqual(
            [
                ('*.dev.' + Z, 'A', ['192.0.2.9'], None, None),
                ('_sip._tcp.' + Z, 'SRV', ['1 2 5060 sip.' + Z], None, None),
                (Z, 'MX', ['10 mail.' + Z], None, None),
                ('www.' + Z, 'A', ['192.0.2.1', '192.0.2.2'], 600, 'web'),
            ],
            [
                (
                    r['name'],
                    r['type'],
                    r['records'],
                    r['ttl'],
                    r['description'],
                )
                for r in params.pop('recordsets')
            ],
        )
        self.assertEqual(
            {
                'name': Z,
                'email': 'dns@example.org',
                'ttl': 3600,
                'description': 'd',
                'type': 'PRIMARY',
                'attributes': {},
            },
            params,
        )

    def test_secondary_keeps_masters_not_records(self):
        src = dns_cloud('p-src')
        zone = add_zone(
            src, type='SECONDARY', masters=['192.0.2.53'], sets=SETS[:1]
        )
        e = zone_type.RESOURCE().from_sdk(refs.Lookup(src), zone)
        self.assertEqual(
            {
                'name': Z,
                'type': 'SECONDARY',
                'description': 'd',
                'attributes': {},
                'masters': ['192.0.2.53'],
            },
            e['params'],
        )

    def test_recordsets_listed_once_for_all_zones(self):
        src = dns_cloud('p-src')
        for i in range(3):
            add_zone(src, name='z%d.org.' % i, sets=SETS[:1])
        lookup = refs.Lookup(src)
        zone_type.RESOURCE().export(lookup, lambda name: True)
        self.assertEqual(
            ['dns.zones', 'dns._list'],
            [n for n in src.call_names()],
        )


def entry(recordsets=None, **params):
    p = {
        'name': Z,
        'email': 'dns@example.org',
        'ttl': 3600,
        'description': 'd',
        'type': 'PRIMARY',
        'attributes': {},
        'recordsets': copy.deepcopy(
            SETS if recordsets is None else recordsets
        ),
    }
    p.update(params)
    return {
        'type': 'openstack.dns.Zone',
        'params': p,
        '_info': {'id': 'z-src'},
    }


class TestCheck(base.BaseTestCase):
    def problem(self, e):
        try:
            zone_type.RESOURCE().check(e, 'zones.yml', 0)
        except exceptions.DataFileError as err:
            return str(err)
        return None

    def with_set(self, **rs):
        base = {'name': 'x.' + Z, 'type': 'A', 'records': ['192.0.2.1']}
        base.update(rs)
        return entry([base])

    def test_good_and_relative_names(self):
        self.assertIsNone(self.problem(entry()))
        self.assertIsNone(self.problem(self.with_set(name='www')))
        self.assertIsNone(self.problem(self.with_set(name='@', type='TXT')))

    def test_outside_the_zone(self):
        self.assertEqual(
            "zones.yml: resource 0 (openstack.dns.Zone 'example.org.'): "
            'field params.recordsets[0].name: record set '
            "'www.example.com.' (A) is not inside the zone 'example.org.'",
            self.problem(self.with_set(name='www.example.com.')),
        )
        # a name that merely ends with the zone's is not inside it
        self.assertIn(
            'is not inside the zone',
            self.problem(self.with_set(name='badexample.org.')),
        )

    def test_designate_own_record_sets_refused(self):
        for rs in (
            {'name': Z, 'type': 'NS', 'records': ['ns1.example.net.']},
            {'name': Z, 'type': 'SOA', 'records': ['a. b. 1 2 3 4 5']},
        ):
            self.assertIn(
                'field params.recordsets[0].type: record set '
                "'example.org.' (%s): Designate makes the SOA and the apex "
                'NS record sets itself: leave them out' % rs['type'],
                self.problem(entry([rs])),
            )
        # NS below the apex: a delegation, fine
        self.assertIsNone(
            self.problem(
                self.with_set(name='sub', type='NS', records=['ns.x.net.'])
            )
        )

    def test_record_values_per_type(self):
        for type_, record, said in (
            ('A', '2001:db8::1', "not an IPv4 address: '2001:db8::1'"),
            ('AAAA', '192.0.2.1', "not an IPv6 address: '192.0.2.1'"),
            (
                'CNAME',
                'www.example.org',
                'not an absolute host name (ending with "."): '
                "'www.example.org'",
            ),
            (
                'MX',
                'mail.example.org.',
                'not <priority> <host ending with ".">: \'mail.example.org.\'',
            ),
            (
                'SRV',
                '10 60 sip.example.org.',
                'not <priority> <weight> <port> <host ending with ".">: '
                "'10 60 sip.example.org.'",
            ),
            ('TXT', 'two\nlines', 'a record must be one non-empty line'),
        ):
            self.assertIn(
                "field params.recordsets[0].records[0]: record set 'x.%s' "
                '(%s): %s' % (Z, type_, said),
                self.problem(self.with_set(type=type_, records=[record])),
            )

    def test_cname_has_one_record(self):
        self.assertIn(
            'field params.recordsets[0].records: record set',
            self.problem(
                self.with_set(type='CNAME', records=['a.' + Z, 'b.' + Z])
            ),
        )

    def test_duplicates(self):
        e = entry(
            [
                {'name': 'www', 'type': 'A', 'records': ['192.0.2.1']},
                {'name': 'WWW.' + Z, 'type': 'a', 'records': ['192.0.2.2']},
            ]
        )
        self.assertIn(
            "field params.recordsets[1]: record set 'WWW.example.org.' (A) "
            'is also params.recordsets[0]: one entry per name and type',
            self.problem(e),
        )

    def test_shapes(self):
        e = self.with_set(ttl='600')
        self.assertIn(
            'field params.recordsets[0].ttl: must be int, not a string',
            self.problem(e),
        )
        self.assertIn(
            'field params.recordsets[0].records: missing',
            self.problem(self.with_set(records=[])),
        )

    def test_secondary(self):
        self.assertIn(
            'field params.masters: a secondary zone needs its masters',
            self.problem(entry([], type='SECONDARY')),
        )
        self.assertIn(
            'field params.recordsets: a secondary zone takes its record '
            'sets from its masters',
            self.problem(entry(type='SECONDARY', masters=['192.0.2.53'])),
        )


class TestImport(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.dst = dns_cloud('p-dst')
        self.res = zone_type.RESOURCE()

    def apply(self, e):
        return self.res.apply(refs.Lookup(self.dst), e)

    def test_create_then_record_sets(self):
        outcome = self.apply(entry())
        self.assertEqual(('created', ''), (outcome.action, outcome.detail))
        self.assertEqual(
            ['dns.create_zone'] + ['dns.create_recordset'] * 4,
            self.dst.write_calls(),
        )
        [(_, zone_attrs)] = self.dst.calls_to('dns.create_zone')
        self.assertEqual(
            {
                'name': Z,
                'email': 'dns@example.org',
                'ttl': 3600,
                'description': 'd',
                'type': 'PRIMARY',
            },
            zone_attrs,
        )
        self.assertEqual(
            [
                {
                    'name': 'www.' + Z,
                    'type': 'A',
                    'records': ['192.0.2.2', '192.0.2.1'],
                    'ttl': 600,
                    'description': 'web',
                },
                {'name': Z, 'type': 'MX', 'records': ['10 mail.' + Z]},
            ],
            [kw for _, kw in self.dst.calls_to('dns.create_recordset')][:2],
        )

    def test_relative_names_made_absolute(self):
        self.apply(
            entry(
                [
                    {'name': 'www', 'type': 'a', 'records': ['192.0.2.1']},
                    {'name': '@', 'type': 'TXT', 'records': ['hi']},
                ]
            )
        )
        self.assertEqual(
            [('www.' + Z, 'A'), (Z, 'TXT')],
            [
                (kw['name'], kw['type'])
                for _, kw in self.dst.calls_to('dns.create_recordset')
            ],
        )

    def test_failed_record_set_deletes_the_zone(self):
        self.dst.fail(
            'dns.create_recordset',
            sdk_exceptions.BadRequestException('Invalid recordset'),
        )
        outcome = self.apply(entry())
        self.assertEqual('failed', outcome.action)
        self.assertEqual([], self.dst.store['zone'])
        self.assertEqual(
            ['dns.create_zone', 'dns.create_recordset', 'dns.delete_zone'],
            self.dst.write_calls(),
        )

    def test_name_taken_is_a_conflict(self):
        self.dst.fail(
            'dns.create_zone',
            sdk_exceptions.ConflictException(
                'Zone already exists, owned by a different tenant'
            ),
        )
        outcome = self.apply(entry())
        self.assertEqual(
            (
                'conflict',
                "zone 'example.org.' exists in another project of the "
                'destination (Designate: Zone already exists, owned by a '
                'different tenant): nothing created',
            ),
            (outcome.action, outcome.detail),
        )
        self.assertEqual(['dns.create_zone'], self.dst.write_calls())

    def test_same_zone_unchanged_without_writes(self):
        add_zone(self.dst, sets=SETS)
        # another order of records, DNS names in other cases
        e = entry()
        e['params']['recordsets'][0]['records'].reverse()
        e['params']['recordsets'][1]['name'] = 'EXAMPLE.org.'
        outcome = self.apply(e)
        self.assertEqual(('unchanged', ''), (outcome.action, outcome.detail))
        self.assertEqual([], self.dst.write_calls())

    def test_null_email_and_ttl_leave_the_destination_alone(self):
        add_zone(self.dst, sets=SETS)
        outcome = self.apply(entry(email=None, ttl=None))
        self.assertEqual(('unchanged', ''), (outcome.action, outcome.detail))

    def test_other_project_zone_is_not_the_twin(self):
        add_zone(self.dst, sets=SETS, project_id='someone-else')
        decision = self.res.decide(refs.Lookup(self.dst), entry())
        self.assertEqual('create', decision.action)

    def test_update_in_place_and_keep_others(self):
        zone = add_zone(
            self.dst,
            sets=SETS
            + [{'name': 'old.' + Z, 'type': 'A', 'records': ['192.0.2.7']}],
            ttl=300,
        )
        www = [
            r
            for r in self.dst.store['recordset']
            if r.name == 'www.' + Z and r.type == 'A'
        ][0]
        e = entry(ttl=3600)
        e['params']['recordsets'][0]['records'] = ['192.0.2.3']
        e['params']['recordsets'].append(
            {'name': 'new', 'type': 'TXT', 'records': ['"a b"']}
        )
        outcome = self.apply(e)
        self.assertEqual(
            (
                'updated',
                'ttl; update record set www.example.org. A (records); '
                'create record set new.example.org. TXT; kept 1 record set '
                'the file does not have: old.example.org. A',
            ),
            (outcome.action, outcome.detail),
        )
        self.assertEqual(
            [
                'dns.update_zone',
                'dns.update_recordset',
                'dns.create_recordset',
            ],
            self.dst.write_calls(),
        )
        [((target,), attrs)] = self.dst.calls_to('dns.update_recordset')
        self.assertEqual(
            (www.id, zone.id, {'records': ['192.0.2.3']}),
            (target.id, target.zone_id, attrs),
        )
        # Once more with the same lookup: nothing left to do.
        lookup = refs.Lookup(self.dst)
        self.assertEqual('unchanged', self.res.apply(lookup, e).action)

    def test_attributes_and_type_cannot_change(self):
        add_zone(self.dst, sets=SETS)
        decision = self.res.decide(
            refs.Lookup(self.dst), entry(attributes={'tier': 'gold'})
        )
        self.assertEqual('conflict', decision.action)
        self.assertIn('cannot change attributes', decision.detail)

    def test_unknown_zone_type_blocked(self):
        decision = self.res.decide(
            refs.Lookup(self.dst), entry(type='FORWARD')
        )
        self.assertEqual(
            ('blocked', "type: must be PRIMARY or SECONDARY, not 'FORWARD'"),
            (decision.action, decision.detail),
        )


class TestWaitForCreate(base.BaseTestCase):
    """A new zone's record sets wait for its create on the name servers."""

    def setUp(self):
        super().setUp()
        self.useFixture(fixtures.MockPatchObject(zone_type, 'CREATE_POLL', 0))
        self.dst = dns_cloud('p-dst')
        self.states = []

        def create_zone(**attrs):
            return self.dst.add(
                'zone', status='PENDING', action='CREATE', **attrs
            )

        def get_zone(zone_id):
            [zone] = [z for z in self.dst.store['zone'] if z.id == zone_id]
            status, action = self.states.pop(0)
            zone._update(status=status, action=action)
            return zone

        self.dst._api_create_zone = create_zone
        self.dst._api_get_zone = get_zone

    def apply(self, e):
        return zone_type.RESOURCE().apply(refs.Lookup(self.dst), e)

    def test_record_sets_after_the_create(self):
        self.states = [('PENDING', 'CREATE'), ('ACTIVE', 'NONE')]
        outcome = self.apply(entry(SETS[:1]))
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            [
                'dns.zones',
                'dns.create_zone',
                'dns.get_zone',
                'dns.get_zone',
                'dns.create_recordset',
            ],
            self.dst.call_names(),
        )

    def test_no_wait_without_record_sets(self):
        self.assertEqual('created', self.apply(entry([])).action)
        self.assertEqual(
            ['dns.zones', 'dns.create_zone'], self.dst.call_names()
        )

    def test_error_leaves_no_zone(self):
        self.states = [('ERROR', 'CREATE')]
        outcome = self.apply(entry(SETS[:1]))
        self.assertEqual(
            (
                'failed',
                "zone 'example.org.': Designate could not create it on its "
                'name servers (status ERROR): its record sets were not made',
            ),
            (outcome.action, outcome.detail),
        )
        self.assertEqual([], self.dst.store['zone'])

    def test_timeout(self):
        self.useFixture(fixtures.MockPatchObject(zone_type, 'CREATE_WAIT', 0))
        self.states = [('PENDING', 'CREATE')]
        outcome = self.apply(entry(SETS[:1]))
        self.assertEqual(
            (
                'failed',
                "zone 'example.org.': still being created on the name "
                'servers after 0 s (status PENDING): its record sets were '
                'not made; run the import again',
            ),
            (outcome.action, outcome.detail),
        )
        self.assertEqual(
            ['dns.create_zone', 'dns.delete_zone'], self.dst.write_calls()
        )
        self.assertEqual([], self.dst.store['zone'])
