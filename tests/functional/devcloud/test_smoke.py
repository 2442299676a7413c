# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Smoke test of the development cloud: both regions really work."""

from tests.functional import base


class TestDevcloudSmoke(base.FunctionalTestCase):
    def test_token_issue_in_both_regions(self):
        for cloud in ('src', 'dst', 'dst-local'):
            token = self.openstack('token', 'issue', '-f', 'json', cloud=cloud)
            self.assertTrue(token['id'])
            self.assertTrue(token['project_id'])

    def _boot_attach(self, cloud):
        """Network, subnet, server, volume, attach, detach; all cleaned up."""
        conn = self.conn(cloud)
        net = conn.network.create_network(name=self.unique_name('smoke'))
        self.cleanup_resource(conn, 'network', net)
        subnet = conn.network.create_subnet(
            name=self.unique_name('smoke'),
            network_id=net.id,
            ip_version=4,
            cidr='10.99.0.0/24',
        )
        self.cleanup_resource(conn, 'subnet', subnet)

        image = conn.image.find_image(base.IMAGE, ignore_missing=False)
        flavor = conn.compute.find_flavor(base.FLAVOR, ignore_missing=False)
        server = conn.compute.create_server(
            name=self.unique_name('smoke'),
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'uuid': net.id}],
        )
        self.cleanup_resource(conn, 'server', server)
        server = conn.compute.wait_for_server(
            server, status='ACTIVE', wait=base.WAIT
        )
        self.assertEqual('ACTIVE', server.status)

        volume = conn.block_storage.create_volume(
            name=self.unique_name('smoke'), size=1
        )
        self.cleanup_resource(conn, 'volume', volume)
        volume = conn.block_storage.wait_for_status(
            volume, status='available', failures=['error'], wait=base.WAIT
        )
        self.assertEqual(base.VOLUME_TYPE, volume.volume_type)

        attachment = conn.compute.create_volume_attachment(
            server, volume_id=volume.id
        )
        volume = conn.block_storage.wait_for_status(
            volume, status='in-use', failures=['error'], wait=base.WAIT
        )
        self.assertEqual(server.id, volume.attachments[0]['server_id'])

        conn.compute.delete_volume_attachment(attachment, server)
        volume = conn.block_storage.wait_for_status(
            volume, status='available', failures=['error'], wait=base.WAIT
        )
        self.assertEqual([], volume.attachments)

        # the CLI sees the same server
        shown = self.openstack(
            'server', 'show', server.id, '-f', 'json', cloud=cloud
        )
        self.assertEqual('ACTIVE', shown['status'])

    def test_boot_and_attach_in_source_region(self):
        self._boot_attach('src')

    def test_boot_and_attach_in_destination_region(self):
        self._boot_attach('dst')

    def test_destination_project_in_source_region(self):
        nets = self.openstack(
            'network', 'list', '--external', '-f', 'json', cloud='dst-local'
        )
        self.assertIn(base.PUBLIC_NETWORK, [n['Name'] for n in nets])
        images = self.openstack(
            'image', 'list', '-f', 'json', cloud='dst-local'
        )
        self.assertIn(base.IMAGE, [i['Name'] for i in images])
        net = self.openstack(
            'network',
            'create',
            self.unique_name('smoke'),
            '-f',
            'json',
            cloud='dst-local',
        )
        self.addCleanup(
            self.openstack, 'network', 'delete', net['id'], cloud='dst-local'
        )
        project = self.openstack(
            'token', 'issue', '-f', 'json', cloud='dst-local'
        )['project_id']
        self.assertEqual(project, net['project_id'])
