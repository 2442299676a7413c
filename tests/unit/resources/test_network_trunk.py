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

"""Trunks whose parent port no server owns: which are exported, how their
subports are written and compared, and the calls that make them."""

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient.resources import network_trunk
from osmigrateclient.resources import refs
from tests.unit import fakes


def vlan(port_id, seg):
    return {
        'port_id': port_id,
        'segmentation_type': 'vlan',
        'segmentation_id': seg,
    }


def ref(name):
    return refs.make_ref(name, refs.AUTH, refs.AUTH)


def vlan_ref(name, seg):
    return {
        'port_ref': ref(name),
        'segmentation_type': 'vlan',
        'segmentation_id': seg,
    }


class TestSubPortChanges(base.BaseTestCase):
    def test_nothing_to_do(self):
        have = [vlan('a', 1), vlan('b', 2)]
        self.assertEqual(
            ([], []),
            network_trunk.sub_port_changes(have, list(reversed(have))),
        )

    def test_removed_added_and_changed(self):
        gone, new = network_trunk.sub_port_changes(
            [vlan('a', 1), vlan('b', 2), vlan('c', 3)],
            [vlan('a', 1), vlan('c', 30), vlan('d', 4)],
        )
        # a changed segmentation: removed, then added again
        self.assertEqual([{'port_id': 'b'}, {'port_id': 'c'}], gone)
        self.assertEqual([vlan('c', 30), vlan('d', 4)], new)


class TestNetworkTrunk(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = fakes.FakeConnection(project_id='p-src')
        self.dst = fakes.FakeConnection(project_id='p-dst')
        self.res = network_trunk.RESOURCE()
        for conn, prefix in ((self.src, 's'), (self.dst, 'd')):
            for name in ('parent', 'sub1', 'sub2', 'sub3'):
                conn.add('port', id=prefix + name, name=name, device_owner='')
        self.src.add('port', id='svm', name='vm', device_owner='compute:nova')
        self.src.add('port', id='sanon', name='', device_owner='')

    def source_trunk(self, **attrs):
        values = dict(
            id='t1',
            name='trunk',
            description='two vlans',
            is_admin_state_up=True,
            port_id='sparent',
            sub_ports=[vlan('ssub2', 102), vlan('ssub1', 101)],
            tags=['b', 'a'],
        )
        values.update(attrs)
        return self.src.add('trunk', **values)

    def entry(self, **attrs):
        obj = self.source_trunk(**attrs)
        return self.res.from_sdk(refs.Lookup(self.src), obj)

    def dst_trunk(self, **attrs):
        values = dict(
            name='trunk',
            description='two vlans',
            is_admin_state_up=True,
            port_id='dparent',
            sub_ports=[vlan('dsub1', 101), vlan('dsub2', 102)],
            tags=['a', 'b'],
        )
        values.update(attrs)
        return self.dst.add('trunk', **values)

    def test_export_leaves_out_server_trunks(self):
        self.source_trunk(id='a', name='a')
        self.source_trunk(id='b', name='b', port_id='svm', sub_ports=[])
        self.source_trunk(id='c', name='c', project_id='other')
        entries = self.res.export(refs.Lookup(self.src), lambda name: True)
        self.assertEqual(['a'], [e['params']['name'] for e in entries])

    def test_entry(self):
        self.assertEqual(
            {
                'name': 'trunk',
                'description': 'two vlans',
                'is_admin_state_up': True,
                'tags': ['a', 'b'],
                'port_ref': ref('parent'),
                'sub_ports': [vlan_ref('sub1', 101), vlan_ref('sub2', 102)],
            },
            self.entry()['params'],
        )

    def test_unnamed_trunk_goes_by_its_parent_port(self):
        self.source_trunk(name='')
        lookup = refs.Lookup(self.src)
        [entry] = self.res.export(lookup, lambda name: name == 'parent')
        self.assertEqual('parent', self.res.name_of(entry))
        self.assertEqual('(trunk of port parent)', self.res.label_of(entry))

    def test_unnamed_port_is_a_null_reference_and_blocks(self):
        self.source_trunk(sub_ports=[vlan('sanon', 7)])
        with self.assertLogs(network_trunk.LOG, 'WARNING') as logs:
            [entry] = self.res.export(refs.Lookup(self.src), lambda n: True)
        self.assertEqual(
            [
                {
                    'port_ref': None,
                    'segmentation_type': 'vlan',
                    'segmentation_id': 7,
                }
            ],
            entry['params']['sub_ports'],
        )
        self.assertEqual(
            [
                'WARNING:osmigrateclient.resources.network_trunk:trunk '
                'trunk: port sanon has no name and cannot be referenced: '
                'its reference is null and the trunk will not import until '
                'the file names the port'
            ],
            logs.output,
        )
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'blocked',
                'sub_ports[0].port_ref: a port without a name cannot be '
                'referenced: name the port in the source and export the '
                'ports and trunks again',
            ),
            outcome[2:],
        )

    def test_missing_port_blocks(self):
        entry = self.entry()
        entry['params']['sub_ports'][1]['port_ref'] = ref('nope')
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'blocked',
                "sub_ports[1].port_ref: port 'nope' (project '%auth%') not "
                'found',
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.write_calls())

    def test_create_with_subports_and_tags(self):
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(('created', ''), outcome[2:])
        [(_, kwargs)] = self.dst.calls_to('network.create_trunk')
        self.assertEqual(
            {
                'name': 'trunk',
                'description': 'two vlans',
                'is_admin_state_up': True,
                'port_id': 'dparent',
                'sub_ports': [vlan('dsub1', 101), vlan('dsub2', 102)],
            },
            kwargs,
        )
        self.assertEqual(
            ['network.create_trunk', 'network.set_tags'],
            self.dst.write_calls(),
        )

    def test_same_trunk_unchanged(self):
        self.dst_trunk(sub_ports=[vlan('dsub2', 102), vlan('dsub1', 101)])
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual(('unchanged', ''), outcome[2:])
        self.assertEqual([], self.dst.write_calls())

    def test_unnamed_trunk_found_by_its_parent_port(self):
        self.dst_trunk(name='', port_id='dsub3', sub_ports=[])
        existing = self.dst_trunk(name='')
        entry = self.entry(name='')
        self.assertIs(
            existing, self.res.find_existing(refs.Lookup(self.dst), entry)
        )

    def test_other_parent_port_is_a_conflict(self):
        self.dst_trunk(port_id='dsub3', sub_ports=[])
        outcome = self.res.apply(refs.Lookup(self.dst), self.entry())
        self.assertEqual('conflict', outcome.action)
        self.assertTrue(
            outcome.detail.startswith(
                'cannot change port_ref of an existing resource: port_ref is '
                "{'name': 'sub3'"
            ),
            outcome.detail,
        )

    def fake_subport_calls(self):
        def add(trunk, subports):
            trunk._update(sub_ports=list(trunk.sub_ports) + subports)
            return trunk

        def remove(trunk, subports):
            ids = {s['port_id'] for s in subports}
            trunk._update(
                sub_ports=[
                    s for s in trunk.sub_ports if s['port_id'] not in ids
                ]
            )
            return trunk

        self.dst._api_add_trunk_subports = add
        self.dst._api_delete_trunk_subports = remove

    def test_subports_updated(self):
        self.fake_subport_calls()
        trunk = self.dst_trunk()
        entry = self.entry(
            sub_ports=[vlan('ssub1', 111), vlan('ssub3', 103)],
            description='moved',
        )
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('updated', 'description, sub_ports'), outcome[2:])
        self.assertEqual(
            [
                (
                    'network.delete_trunk_subports',
                    ([{'port_id': 'dsub1'}, {'port_id': 'dsub2'}],),
                ),
                (
                    'network.add_trunk_subports',
                    # (in the file's order: by segmentation)
                    ([vlan('dsub3', 103), vlan('dsub1', 111)],),
                ),
                ('network.update_trunk', ()),
            ],
            [
                (n, a[1:])
                for n, a, _ in self.dst.calls
                if n in self.dst.write_calls()
            ],
        )
        self.assertEqual(
            {'description': 'moved'},
            self.dst.calls_to('network.update_trunk')[0][1],
        )
        self.assertEqual(
            sorted(
                [vlan('dsub1', 111), vlan('dsub3', 103)],
                key=lambda s: s['port_id'],
            ),
            sorted(trunk.sub_ports, key=lambda s: s['port_id']),
        )

    def test_disabled_trunk_enabled_for_its_subports(self):
        self.fake_subport_calls()
        trunk = self.dst_trunk(is_admin_state_up=False)
        entry = self.entry(
            is_admin_state_up=False, sub_ports=[vlan('ssub1', 101)]
        )
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('updated', 'sub_ports'), outcome[2:])
        self.assertEqual(
            [
                'network.update_trunk',
                'network.delete_trunk_subports',
                'network.update_trunk',
            ],
            self.dst.write_calls(),
        )
        self.assertEqual(
            [{'is_admin_state_up': True}, {'is_admin_state_up': False}],
            [k for _, k in self.dst.calls_to('network.update_trunk')],
        )
        self.assertFalse(trunk.is_admin_state_up)

    def test_disabled_trunk_that_the_file_enables(self):
        self.fake_subport_calls()
        trunk = self.dst_trunk(is_admin_state_up=False)
        entry = self.entry(sub_ports=[vlan('ssub1', 101)])
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            ('updated', 'is_admin_state_up, sub_ports'), outcome[2:]
        )
        self.assertEqual(
            [{'is_admin_state_up': True}],
            [k for _, k in self.dst.calls_to('network.update_trunk')],
        )
        self.assertTrue(trunk.is_admin_state_up)

    def test_failed_subport_change_disables_again(self):
        self.fake_subport_calls()
        self.dst.fail(
            'network.add_trunk_subports',
            sdk_exceptions.ConflictException('Conflict', details='taken'),
        )
        trunk = self.dst_trunk(is_admin_state_up=False)
        entry = self.entry(
            is_admin_state_up=False, sub_ports=[vlan('ssub3', 101)]
        )
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('failed', 'taken'), outcome[2:])
        self.assertFalse(trunk.is_admin_state_up)

    def test_failed_tags_delete_the_disabled_new_trunk(self):
        self.dst.fail(
            'network.set_tags',
            sdk_exceptions.BadRequestException('Bad', details='no tags'),
        )
        entry = self.entry(is_admin_state_up=False)
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(('failed', 'no tags'), outcome[2:])
        self.assertEqual(
            [
                'network.create_trunk',
                'network.set_tags',
                'network.update_trunk',
                'network.delete_trunk',
            ],
            self.dst.write_calls(),
        )
        self.assertEqual([], self.dst.store.get('trunk'))
