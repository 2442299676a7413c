#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import copy
import types

from oslotest import base

from osmigrateclient.resources import refs
from osmigrateclient.resources import server
from osmigrateclient.workload import checked
from osmigrateclient.workload import preflight
from tests.unit.workload import fakes

ROOT_VOLUME = checked.ServerVolume(
    source_id='vol-root',
    name='root',
    size=2,
    device='/dev/vda',
    bootable=True,
    attrs={
        'name': 'root',
        'description': 'd',
        'volume_type': 'nfs',
        'availability_zone': 'nova',
    },
    image_metadata={'image_name': 'cirros'},
)


def _bfv(device='/dev/vda', **migration):
    """app-vm booted from vol-root (at ``device``), vol1 a data volume."""
    return fakes.server_entry(
        migration=migration,
        image_ref=None,
        volumes=[
            fakes.volume_entry(),
            fakes.volume_entry(
                'vol-root',
                'root',
                device,
                True,
                2,
                volume_image_metadata={'image_name': 'cirros'},
            ),
        ],
    )


class CheckerTestCase(base.BaseTestCase):
    """The source and destination of fakes, checked with a new Checker."""

    def setUp(self):
        super().setUp()
        self.src = fakes.source()
        self.dst = fakes.destination()

    def check(self, entry, stop=False):
        checker = preflight.Checker(
            refs.Lookup(self.src), refs.Lookup(self.dst), stop=stop
        )
        return checker.check(entry)

    def problems(self, entry, stop=False):
        resolved, problems = self.check(entry, stop)
        self.assertIsNone(resolved)
        return problems


class TestChecker(CheckerTestCase):
    def test_image_booted(self):
        entry = fakes.server_entry()
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertEqual(fakes.resolved(entry=entry), resolved)
        self.assertIs(entry, resolved.entry)

    def test_only_reads(self):
        self.check(fakes.server_entry())
        self.assertEqual([], self.dst.write_calls())
        self.assertEqual(
            ['compute.servers', 'block_storage.volumes', 'compute.flavors'],
            self.src.call_names(),
        )

    def test_lists_are_read_once_for_all_servers(self):
        checker = preflight.Checker(
            refs.Lookup(self.src), refs.Lookup(self.dst)
        )
        for _ in range(3):
            self.assertEqual([], checker.check(fakes.server_entry())[1])
        names = self.dst.call_names()
        for call in (
            'block_storage.types',
            'block_storage.availability_zones',
            'compute.availability_zones',
            'compute.keypairs',
            'compute.flavors',
            'network.networks',
        ):
            self.assertEqual(1, names.count(call), call)
        # The source's too: one list, not one request per server.
        self.assertEqual(
            ['compute.servers', 'block_storage.volumes', 'compute.flavors'],
            self.src.call_names(),
        )

    def test_boot_from_volume(self):
        self.src = fakes.source(volumes=('vol1', 'vol-root'))
        entry = _bfv(boot_disk_copy=True)
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertEqual(ROOT_VOLUME, resolved.boot_volume)
        self.assertEqual([fakes.DATA_VOLUME], resolved.data_volumes)
        self.assertIsNone(resolved.image_id)
        self.assertFalse(resolved.copy_image_disk)
        self.assertEqual([], self.dst.calls_to('image.images'))

    def test_boot_volume_by_device_comes_before_bootable(self):
        self.src = fakes.source(volumes=('vol1', 'vol-root'))
        entry = _bfv()
        entry['params']['volumes'][0]['params']['bootable'] = True
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertEqual('vol-root', resolved.boot_volume.source_id)
        self.assertEqual(
            ['vol1'], [v.source_id for v in resolved.data_volumes]
        )

    def test_boot_volume_without_root_device_is_the_bootable_one(self):
        self.src = fakes.source(volumes=('vol1', 'vol-root'))
        resolved, problems = self.check(_bfv(device=None))
        self.assertEqual([], problems)
        self.assertEqual(
            ROOT_VOLUME._replace(device=None), resolved.boot_volume
        )
        self.assertEqual([fakes.DATA_VOLUME], resolved.data_volumes)

    def test_image_booted_server_with_a_bootable_data_volume(self):
        entry = fakes.server_entry(volumes=[fakes.volume_entry(bootable=True)])
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertIsNone(resolved.boot_volume)
        self.assertEqual('dimg1', resolved.image_id)
        self.assertEqual(
            [fakes.DATA_VOLUME._replace(bootable=True)], resolved.data_volumes
        )

    def test_boot_disk_copy(self):
        self.dst.store['image'] = []
        entry = fakes.server_entry(
            {
                'boot_disk_copy': True,
                'boot_volume_params': {
                    'availability_zone': None,
                    'name': 'app-vm-root',
                    'description': None,
                    'volume_type': 'nfs',
                },
            }
        )
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertTrue(resolved.copy_image_disk)
        self.assertIsNone(resolved.image_id)
        self.assertIsNone(resolved.boot_volume)
        self.assertEqual(
            {'name': 'app-vm-root', 'volume_type': 'nfs'},
            resolved.boot_volume_attrs,
        )
        self.assertEqual([fakes.DATA_VOLUME], resolved.data_volumes)
        self.assertEqual([], self.dst.calls_to('image.images'))

    def test_no_image_and_no_boot_volume(self):
        self.src = fakes.source(volumes=())
        self.assertEqual(
            [
                'image_ref: none, and no boot volume to copy: set '
                '_migration_params.boot_disk_copy to true'
            ],
            self.problems(fakes.server_entry(image_ref=None, volumes=[])),
        )

    def test_every_problem_listed_together(self):
        self.dst = fakes.Cloud()
        self.dst.add('network', id='dpub', name='public', project_id='adm')
        self.src.store['server'][0]._update(
            status='ACTIVE',
            attached_volumes=[{'id': 'vol1'}, {'id': 'vol9'}],
        )
        entry = fakes.server_entry(
            {'floating_ip_mode': 'everything', 'port_creation_mode': 'dhcp'}
        )
        self.assertEqual(
            [
                "flavor_ref: flavor 'm1.tiny' not found",
                "image_ref: image 'cirros' (project '%auth%') not found",
                "volumes: data: volume type 'nfs' not found in the "
                "destination",
                "key_name: keypair 'key' not found in the destination",
                "ports[0]: network: network 'net' (project '%auth%') not "
                "found",
                "ports[0]: subnet: subnet 'sub' (project '%auth%') not found",
                "ports[0]: security group: security group 'web' (project "
                "'%auth%') not found",
                "_migration_params.port_creation_mode: 'dhcp' is not one of "
                "neutron, nova",
                "_migration_params.floating_ip_mode: 'everything' is not one "
                "of auto, new, existing, skip",
                'the source server is ACTIVE, not SHUTOFF (stop it, or give '
                '--stop)',
                'volumes: the source server has vol1, vol9 attached now, the '
                'file lists vol1: export it again',
            ],
            self.problems(entry),
        )

    def test_flavor_missing_and_group_incomplete(self):
        entry = fakes.server_entry(flavor_ref=None, server_group_policy=None)
        self.assertEqual(
            [
                'flavor_ref: missing',
                'server_group_ref: needs a name and server_group_policy',
            ],
            self.problems(entry),
        )

    def test_data_copy_off_boots_from_destination_volumes(self):
        self.src = fakes.source(volumes=('vol1', 'vol-root'))
        self.dst.add('volume', id='dboot', status='available')
        self.dst.add('volume', id='ddata', status='available')
        self.dst.store['image'] = []
        entry = _bfv(
            data_copy=False,
            boot_volume={'uuid': 'dboot'},
            additional_volumes=[{'uuid': 'ddata'}, {'uuid': None}],
        )
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertEqual(
            (False, 'dboot', ['ddata'], None, [], False, None),
            (
                resolved.data_copy,
                resolved.boot_volume_id,
                resolved.existing_volume_ids,
                resolved.boot_volume,
                resolved.data_volumes,
                resolved.copy_image_disk,
                resolved.image_id,
            ),
        )
        self.assertEqual([], self.dst.calls_to('image.images'))

    def test_data_copy_off_image_booted(self):
        resolved, problems = self.check(
            fakes.server_entry({'data_copy': False, 'boot_disk_copy': True})
        )
        self.assertEqual([], problems)
        self.assertEqual(
            (None, [], None, [], False, 'dimg1'),
            (
                resolved.boot_volume_id,
                resolved.existing_volume_ids,
                resolved.boot_volume,
                resolved.data_volumes,
                resolved.copy_image_disk,
                resolved.image_id,
            ),
        )

    def test_data_copy_off_volumes_must_be_available(self):
        self.dst.add('volume', id='dused', status='in-use')
        entry = fakes.server_entry(
            {
                'data_copy': False,
                'boot_volume': {'uuid': 'dgone'},
                'additional_volumes': [{'uuid': 'dused'}],
            }
        )
        self.assertEqual(
            [
                '_migration_params.boot_volume: volume dgone not found in '
                'the destination',
                '_migration_params.additional_volumes: volume dused is '
                'in-use, not available',
            ],
            self.problems(entry),
        )

    def test_source_server_state(self):
        server_obj = self.src.store['server'][0]
        for status, stop, problems in (
            ('SHUTOFF', False, []),
            ('SHUTOFF', True, []),
            ('ACTIVE', True, []),
            (
                'ACTIVE',
                False,
                [
                    'the source server is ACTIVE, not SHUTOFF (stop it, or '
                    'give --stop)'
                ],
            ),
            ('ERROR', True, ['the source server is ERROR, not SHUTOFF']),
            (
                'PAUSED',
                False,
                [
                    'the source server is PAUSED, not SHUTOFF (stop it, or '
                    'give --stop)'
                ],
            ),
        ):
            server_obj._update(status=status)
            resolved, found = self.check(fakes.server_entry(), stop=stop)
            self.assertEqual(problems, found, (status, stop))
            if not problems:
                self.assertEqual(status, resolved.source_status)

    def test_attached_volumes_differ(self):
        self.src.store['server'][0]._update(attached_volumes=[])
        self.assertEqual(
            [
                'volumes: the source server has none attached now, the '
                'file lists vol1: export it again'
            ],
            self.problems(fakes.server_entry()),
        )
        self.src.store['server'][0]._update(attached_volumes=[{'id': 'vol1'}])
        self.assertEqual(
            [
                'volumes: the source server has vol1 attached now, the '
                'file lists none: export it again'
            ],
            self.problems(fakes.server_entry(volumes=[])),
        )

    def test_grown_volume(self):
        self.src.store['volume'][0]._update(size=3)
        self.assertEqual(
            [
                'volumes: vol1 is 3 GiB now, the file says 1 GiB: export it '
                'again'
            ],
            self.problems(fakes.server_entry()),
        )

    def test_resized_server(self):
        self.src.add('flavor', id='fl1', name='m1.tiny')
        server_obj = self.src.store['server'][0]
        server_obj._update(flavor={'original_name': 'm1.tiny'})
        self.assertEqual([], self.check(fakes.server_entry())[1])
        server_obj._update(flavor={'original_name': 'm1.large'})
        self.assertEqual(
            [
                "flavor: the source server was resized to 'm1.large' since "
                "the export (it was 'm1.tiny'): export it again"
            ],
            self.problems(fakes.server_entry()),
        )

    def test_volumes_an_unfinished_import_detached_count(self):
        # Killed mid-copy: the journal says vol1 was detached by the import.
        self.src.store['server'][0]._update(attached_volumes=[])
        checker = preflight.Checker(
            refs.Lookup(self.src), refs.Lookup(self.dst)
        )
        resolved, problems = checker.check(fakes.server_entry(), ['vol1'])
        self.assertEqual([], problems)
        self.assertEqual(
            ['vol1'], [v.source_id for v in resolved.data_volumes]
        )

    def test_attached_volumes_as_dicts(self):
        # A server whose volumes are plain dicts, not SDK objects.
        self.src._api_get_server = lambda server_id: types.SimpleNamespace(
            status='SHUTOFF', attached_volumes=[{'id': 'vol1'}]
        )
        self.assertEqual([], self.check(fakes.server_entry())[1])

    def test_source_server_gone(self):
        self.src.store['server'] = []
        self.assertEqual(
            ['the source server vm1 is gone'],
            self.problems(fakes.server_entry()),
        )

    def test_source_server_not_found_error(self):
        self.src.store['server'] = []
        self.assertEqual(
            ['the source server vm1 is gone'],
            self.problems(fakes.server_entry()),
        )

    def test_unknown_zones_are_remarks(self):
        self.dst.volume_zones = ['az-vol']
        self.dst.compute_zones = ['az-compute']
        resolved, problems = self.check(fakes.server_entry())
        self.assertEqual([], problems)
        self.assertEqual(
            [
                "volume data: zone 'nova' not in the destination: Cinder "
                "picks one",
                "availability zone 'nova' not in the destination: Nova picks "
                "one",
            ],
            resolved.remarks,
        )
        self.assertEqual(
            {'name': 'data', 'description': 'd', 'volume_type': 'nfs'},
            resolved.data_volumes[0].attrs,
        )
        attrs = dict(fakes.SERVER_ATTRS)
        del attrs['availability_zone']
        self.assertEqual(attrs, resolved.server_attrs)

    def test_entry_is_only_read(self):
        # Even where the check drops what the destination lacks (zones)
        # or finds problems, the file's entry stays as it was.
        self.dst.volume_zones = ['az-vol']
        self.dst.compute_zones = ['az-compute']
        for entry in (
            fakes.server_entry(),
            fakes.server_entry(flavor_ref=None, key_name='nokey'),
            _bfv(),
        ):
            before = copy.deepcopy(entry)
            self.check(entry)
            self.assertEqual(before, entry)

    def test_server_attrs_leave_out_empty_values(self):
        resolved, problems = self.check(
            fakes.server_entry(
                availability_zone=None,
                metadata={},
                tags=[],
                user_data='',
                description=None,
                config_drive=True,
                key_name=None,
            )
        )
        self.assertEqual([], problems)
        self.assertEqual(
            {'name': 'app-vm', 'disk_config': 'MANUAL', 'config_drive': True},
            resolved.server_attrs,
        )

    def test_server_group_rules(self):
        resolved, problems = self.check(
            fakes.server_entry(
                server_group_policy='anti-affinity',
                server_group_rules={'max_server_per_host': 2},
            )
        )
        self.assertEqual([], problems)
        self.assertEqual(
            {
                'name': 'group',
                'policy': 'anti-affinity',
                'rules': {'max_server_per_host': 2},
            },
            resolved.server_group,
        )
        resolved, problems = self.check(
            fakes.server_entry(server_group_ref=None)
        )
        self.assertIsNone(resolved.server_group)

    def test_export_then_check(self):
        """What the export writes is what the pre-flight reads."""
        src = fakes.Cloud()
        src.add('network', id='net1', name='net')
        src.add('network', id='pub', name='public', project_id='admin')
        src.add('subnet', id='sub1', name='sub', network_id='net1')
        src.add('security_group', id='sg1', name='web')
        src.add('image', id='img1', name='cirros')
        src.add('flavor', id='fl1', name='m1.tiny')
        src.add(
            'server',
            id='vm1',
            name='app-vm',
            key_name='key',
            status='SHUTOFF',
            image={'id': 'img1'},
            flavor={'original_name': 'm1.tiny'},
            addresses={
                'net': [{'addr': '10.0.0.5', 'OS-EXT-IPS-MAC:mac_addr': 'm'}]
            },
            attached_volumes=[{'id': 'vol1'}],
        )
        src.add(
            'port',
            id='p-a',
            network_id='net1',
            device_id='vm1',
            device_owner='compute:nova',
            mac_address='m',
            fixed_ips=[{'subnet_id': 'sub1', 'ip_address': '10.0.0.5'}],
            security_group_ids=['sg1'],
            is_port_security_enabled=True,
        )
        src.add(
            'floating_ip',
            id='fip1',
            floating_ip_address='172.24.4.9',
            fixed_ip_address='10.0.0.5',
            floating_network_id='pub',
            port_id='p-a',
        )
        src.add(
            'volume',
            id='vol1',
            name='data',
            size=1,
            is_bootable=False,
            volume_type='nfs',
            attachments=[{'server_id': 'vm1', 'device': '/dev/vdb'}],
        )
        self.src = src
        lookup = refs.Lookup(src, options=types.SimpleNamespace())
        (entry,) = server.Server().export(lookup, lambda name: True)
        resolved, problems = self.check(entry)
        self.assertEqual([], problems)
        self.assertEqual(
            (
                'vm1',
                'app-vm',
                'dfl1',
                'dimg1',
                {'name': 'app-vm', 'key_name': 'key'},
            ),
            (
                resolved.source_id,
                resolved.name,
                resolved.flavor_id,
                resolved.image_id,
                resolved.server_attrs,
            ),
        )
        self.assertEqual(
            [fakes.PORT._replace(mac_address='m')], resolved.ports
        )
        self.assertEqual([fakes.FLOATING_IP], resolved.floating_ips)
        self.assertEqual(
            [
                fakes.DATA_VOLUME._replace(
                    attrs={'name': 'data', 'volume_type': 'nfs'}
                )
            ],
            resolved.data_volumes,
        )

    def test_data_copy_off_does_not_need_the_volume_types(self):
        self.dst.volume_types = []
        self.dst.add('volume', id='ddata', status='available')
        resolved, problems = self.check(
            fakes.server_entry(
                {'data_copy': False, 'additional_volumes': [{'uuid': 'ddata'}]}
            )
        )
        self.assertEqual([], problems)
        self.assertEqual(['ddata'], resolved.existing_volume_ids)
