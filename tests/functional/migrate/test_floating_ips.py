# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Floating IPs that no server carries: ``migrate export floating ip`` /
``import floating ip`` against real clouds (RegionOne to RegionTwo).

Neutron lets only admins and project managers ask for a floating IP's
address.  The test runs as a user of its own project with the member and
manager roles (in a clouds.yaml of its own: ``fsrc`` in RegionOne,
``fdst`` in RegionTwo), and on an external network of its own in each
region with the same subnet: addresses outside the subnet's allocation
pool are chosen by hand only, so a router's gateway never takes one of
them.
"""

import os
import uuid

import yaml

from tests.functional import base
from tests.functional.migrate import test_network_resources as netres

FILE = 'floating_ips.yml'
FIP = 'openstack.network.FloatingIP'
CIDR = '198.51.100.0/24'
#: addresses of the external subnet outside its allocation pool
FREE, ON_PORT, TAKEN, OF_SERVER = (
    '198.51.100.201',
    '198.51.100.202',
    '198.51.100.203',
    '198.51.100.204',
)
VIP = '10.61.0.50'


def _purge_fips(conn):
    for fip in conn.network.ips(project_id=conn.current_project_id):
        conn.network.delete_ip(fip, ignore_missing=True)


class TestFloatingIPs(netres.MigrateTestCase):
    def setUp(self):
        self.user_clouds = {}
        super().setUp()
        p = self.prefix
        admin = self.conn('src-admin')
        ident = admin.identity
        self.project = ident.create_project(name=p, domain_id='default')
        self.add_cleanup_delete(ident.delete_project, self.project.id)
        password = uuid.uuid4().hex
        user = ident.create_user(
            name=p + '-u',
            password=password,
            domain_id='default',
            default_project_id=self.project.id,
        )
        self.add_cleanup_delete(ident.delete_user, user.id)
        for role in ('member', 'manager'):
            ident.assign_project_role_to_user(
                self.project, user, ident.find_role(role, ignore_missing=False)
            )

        # The external networks, made by the admins.
        self.ext = {}
        for cloud, admin_cloud in (
            ('fsrc', 'src-admin'),
            ('fdst', 'dst-admin'),
        ):
            net = self.conn(admin_cloud).network
            ext = net.create_network(name=p + '-ext', is_router_external=True)
            self.addCleanup(self._delete_ext, net, ext)
            net.create_subnet(
                name=p + '-ext-sub',
                network_id=ext.id,
                ip_version=4,
                cidr=CIDR,
                gateway_ip='198.51.100.1',
                is_dhcp_enabled=False,
                allocation_pools=[
                    {'start': '198.51.100.10', 'end': '198.51.100.100'}
                ],
            )
            self.ext[cloud] = ext

        # The user's own clouds.yaml, with the shared clouds too.
        with open(self.clouds_yaml) as f:
            clouds = yaml.safe_load(f)
        auth = clouds['clouds']['src']['auth']
        for cloud, region in (('fsrc', 'RegionOne'), ('fdst', 'RegionTwo')):
            clouds['clouds'][cloud] = {
                'auth': {
                    'auth_url': auth['auth_url'],
                    'username': user.name,
                    'password': password,
                    'project_name': self.project.name,
                    'user_domain_name': 'Default',
                    'project_domain_name': 'Default',
                },
                'region_name': region,
                'identity_api_version': 3,
                'interface': 'public',
            }
        self.user_clouds = {c: clouds['clouds'][c] for c in ('fsrc', 'fdst')}
        self._user_conns = {}
        self.clouds_yaml = os.path.join(self.data_dir, 'clouds.yaml')
        fd = os.open(self.clouds_yaml, os.O_WRONLY | os.O_CREAT, 0o600)
        with os.fdopen(fd, 'w') as f:
            yaml.safe_dump(clouds, f)
        for cloud in ('fsrc', 'fdst'):
            self.addCleanup(netres._purge, self.conn(cloud), p)
            self.addCleanup(_purge_fips, self.conn(cloud))

    def conn(self, cloud_name):
        """The test user's clouds are in its own clouds.yaml, which
        openstacksdk reads after $OS_CLIENT_CONFIG_FILE: connect by hand."""
        if cloud_name not in self.user_clouds:
            return super().conn(cloud_name)
        if cloud_name not in self._user_conns:
            import openstack

            self._user_conns[cloud_name] = openstack.connection.Connection(
                **self.user_clouds[cloud_name]
            )
        return self._user_conns[cloud_name]

    def _delete_ext(self, net, ext):
        for port in net.ports(network_id=ext.id):
            if port.device_owner == 'network:floatingip':
                net.delete_ip(port.device_id, ignore_missing=True)
        net.delete_network(ext, ignore_missing=True)

    # -- helpers --------------------------------------------------------------

    def tenant(self, cloud):
        """A network, its subnet and a router to the external network."""
        net = self.conn(cloud).network
        p = self.prefix
        network = net.create_network(name=p + '-net')
        subnet = net.create_subnet(
            name=p + '-sub',
            network_id=network.id,
            ip_version=4,
            cidr='10.61.0.0/24',
        )
        router = net.create_router(
            name=p + '-router',
            external_gateway_info={'network_id': self.ext[cloud].id},
        )
        net.add_interface_to_router(router, subnet_id=subnet.id)
        return network, subnet

    def run_types(self, verb, *types, args=(), expect_fail=False):
        """``migrate <verb> <type>`` of each type, as the test's user."""
        results = []
        side = '--src-cloud' if verb == 'export' else '--dst-cloud'
        cloud = 'fsrc' if verb == 'export' else 'fdst'
        for kind in types:
            filters = (
                ['--name', FREE, '--name', ON_PORT, '--name', TAKEN]
                + ['--name', OF_SERVER]
                if kind == 'floating ip'
                else ['--name-regex', '^' + self.prefix]
            )
            results.append(
                self.openstack(
                    'migrate',
                    verb,
                    *kind.split(),
                    '--data-dir',
                    self.data_dir,
                    side,
                    cloud,
                    *filters,
                    *args,
                    '-f',
                    'json',
                    expect_fail=expect_fail,
                )
            )
        return results

    def dst_fips(self):
        """address -> (description, port name, fixed IP) in ``fdst``."""
        conn = self.conn('fdst')
        ports = {
            p.id: p.name
            for p in conn.network.ports(project_id=conn.current_project_id)
        }
        return {
            f.floating_ip_address: (
                f.description,
                ports.get(f.port_id),
                f.fixed_ip_address,
            )
            for f in conn.network.ips(project_id=conn.current_project_id)
        }

    def import_fips_logged(self):
        """``import floating ip`` with ``--debug``: its rows and the
        (method, url) of its requests."""
        return self.import_logged(cloud='fdst', what='floating ip', every=True)

    # -- the tests ------------------------------------------------------------

    def test_export_import(self):
        p = self.prefix
        src = self.conn('fsrc')
        net = src.network
        ext = self.ext['fsrc']
        network, subnet = self.tenant('fsrc')
        net.create_ip(
            floating_network_id=ext.id,
            floating_ip_address=FREE,
            description='spare',
        )
        vip = net.create_port(
            name=p + '-vip',
            network_id=network.id,
            device_owner='',
            fixed_ips=[{'subnet_id': subnet.id, 'ip_address': VIP}],
        )
        net.create_ip(
            floating_network_id=ext.id,
            floating_ip_address=ON_PORT,
            port_id=vip.id,
            fixed_ip_address=VIP,
            description='vip',
        )
        net.create_ip(floating_network_id=ext.id, floating_ip_address=TAKEN)
        server = src.compute.create_server(
            name=p + '-vm',
            flavor_id=src.compute.find_flavor(
                base.FLAVOR, ignore_missing=False
            ).id,
            image_id=src.image.find_image(base.IMAGE, ignore_missing=False).id,
            networks=[{'uuid': network.id}],
        )
        self.cleanup_resource(src, 'server', server)
        server = src.compute.wait_for_server(server, wait=base.WAIT)
        (server_port,) = net.ports(device_id=server.id)
        self.assertTrue(server_port.device_owner.startswith('compute:'))
        net.create_ip(
            floating_network_id=ext.id,
            floating_ip_address=OF_SERVER,
            port_id=server_port.id,
        )

        types = ('network', 'subnet', 'router', 'router interface')
        self.run_types('export', *types, 'floating ip')
        entries = {
            e['params']['floating_ip_address']: e
            for e in self.load(FILE)['resources']
        }
        # The server's floating IP goes with the server.
        self.assertEqual([FREE, ON_PORT, TAKEN], sorted(entries))
        ext_ref = {
            'name': p + '-ext',
            'project_name': None,
            'domain_name': None,
        }
        own = {'project_name': '%auth%', 'domain_name': '%auth%'}
        self.assertEqual(
            {
                'description': 'vip',
                # no dns-integration in the development cloud
                'dns_domain': None,
                'dns_name': None,
                'fixed_ip_address': VIP,
                'floating_ip_address': ON_PORT,
                'floating_network_ref': ext_ref,
                'port_ref': dict(own, name=p + '-vip'),
                'qos_policy_ref': None,
                'tags': [],
            },
            entries[ON_PORT]['params'],
        )
        self.assertEqual(FIP, entries[ON_PORT]['type'])
        self.assertEqual(
            (None, None, 'spare'),
            tuple(
                entries[FREE]['params'][k]
                for k in ('port_ref', 'fixed_ip_address', 'description')
            ),
        )

        # The destination: the tenant's network, the same-named port, an
        # address taken by another project.
        self.run_types('import', *types)
        dst = self.conn('fdst').network
        dnet = dst.find_network(p + '-net', ignore_missing=False)
        dsub = dst.find_subnet(p + '-sub', ignore_missing=False)
        dst.create_port(
            name=p + '-vip',
            network_id=dnet.id,
            device_owner='',
            fixed_ips=[{'subnet_id': dsub.id, 'ip_address': VIP}],
        )
        admin = self.conn('dst-admin').network
        taker = admin.create_ip(
            floating_network_id=self.ext['fdst'].id, floating_ip_address=TAKEN
        )
        self.add_cleanup_delete(admin.delete_ip, taker.id)

        plan = self.openstack(
            'migrate',
            'plan',
            'floating ip',
            '--data-dir',
            self.data_dir,
            '--dst-cloud',
            'fdst',
            '-f',
            'json',
        )
        self.assertEqual(
            {(FIP, a, 'create', '') for a in (FREE, ON_PORT, TAKEN)},
            {(r['Type'], r['Name'], r['Action'], r['Detail']) for r in plan},
        )

        (rows,) = self.run_types('import', 'floating ip')
        got = self.dst_fips()
        self.assertEqual(3, len(got))
        new = (set(got) - {FREE, ON_PORT}).pop()
        self.assertNotEqual(TAKEN, new)
        self.assertEqual(
            {
                FREE: ('spare', None, None),
                ON_PORT: ('vip', p + '-vip', VIP),
                new: ('', None, None),
            },
            got,
        )
        moved = '%s was not free in the destination: the floating IP has %s'
        self.assertEqual(
            {
                (FREE, 'created', ''),
                (ON_PORT, 'created', ''),
                (TAKEN, 'created', moved % (TAKEN, new)),
            },
            {(r['Name'], r['Action'], r['Detail']) for r in rows},
        )

        # Twice: found again (the moved one by the journal), nothing
        # written.
        before = {
            f.id: f.revision_number
            for f in dst.ips(project_id=self.conn('fdst').current_project_id)
        }
        rows, requests = self.import_fips_logged()
        self.assertEqual(
            {
                (FREE, 'unchanged', ''),
                (ON_PORT, 'unchanged', ''),
                (TAKEN, 'unchanged', moved % (TAKEN, new)),
            },
            {(r['Name'], r['Action'], r['Detail']) for r in rows},
        )
        writes = [
            (method, url)
            for method, url in requests
            if method != 'GET' and not url.endswith('/auth/tokens')
        ]
        self.assertEqual([], writes)
        self.assertIn(
            ('GET', 'floatingips'),
            {
                (m, u.strip('"').split('?')[0].rsplit('/', 1)[-1])
                for m, u in requests
            },
        )
        self.assertEqual(
            before,
            {
                f.id: f.revision_number
                for f in dst.ips(
                    project_id=self.conn('fdst').current_project_id
                )
            },
        )

        # Edited: a description and the port association.
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['floating_ip_address'] == FREE:
                e['params']['description'] = 'spare, edited'
            if e['params']['floating_ip_address'] == ON_PORT:
                e['params']['port_ref'] = None
        self.save(FILE, doc)
        (rows,) = self.run_types('import', 'floating ip')
        self.assertEqual(
            {
                (FREE, 'updated', 'description'),
                (ON_PORT, 'updated', 'port_ref'),
                (TAKEN, 'unchanged', moved % (TAKEN, new)),
            },
            {(r['Name'], r['Action'], r['Detail']) for r in rows},
        )
        self.assertEqual(
            {
                FREE: ('spare, edited', None, None),
                ON_PORT: ('vip', None, None),
                new: ('', None, None),
            },
            self.dst_fips(),
        )

    def test_bad_shape_refused(self):
        self.tenant('fsrc')
        self.conn('fsrc').network.create_ip(
            floating_network_id=self.ext['fsrc'].id, floating_ip_address=FREE
        )
        self.run_types('export', 'floating ip')
        doc = self.load(FILE)
        doc['resources'][0]['params']['port_ref'] = 'vip'
        self.save(FILE, doc)
        (result,) = self.run_types('import', 'floating ip', expect_fail=True)
        self.assertEqual(
            '%s: resource 0 (%s): field params.port_ref: must be a '
            'mapping, not a string' % (self.path(FILE), FIP),
            result.stderr.strip(),
        )
        self.assertEqual({}, self.dst_fips())

    def test_all_with_ports_and_validate(self):
        p = self.prefix
        net = self.conn('fsrc').network
        ext = self.ext['fsrc']
        network, subnet = self.tenant('fsrc')
        vip = net.create_port(
            name=p + '-vip',
            network_id=network.id,
            fixed_ips=[{'subnet_id': subnet.id, 'ip_address': VIP}],
        )
        net.create_ip(
            floating_network_id=ext.id,
            floating_ip_address=ON_PORT,
            port_id=vip.id,
            fixed_ip_address=VIP,
        )
        net.create_ip(floating_network_id=ext.id, floating_ip_address=FREE)
        filters = ('--name-regex', '^' + p, '--name', FREE, '--name', ON_PORT)
        rows = self.openstack(
            'migrate',
            'export',
            'all',
            '--data-dir',
            self.data_dir,
            '--src-cloud',
            'fsrc',
            *filters,
            '-f',
            'json',
        )
        exported = {r['Type']: r['Exported'] for r in rows}
        self.assertEqual((1, 2), (exported['port'], exported['floating ip']))

        # The port and the floating IPs after the routers' interfaces.
        rows = self.openstack(
            'migrate',
            'import',
            'all',
            '--data-dir',
            self.data_dir,
            '--dst-cloud',
            'fdst',
            *filters,
            '-f',
            'json',
        )
        order = [r['Type'] for r in rows]
        for before in ('router', 'router interface', 'port'):
            self.assertLess(order.index(before), order.index('floating ip'))
        self.assertEqual(
            (2, 0),
            next(
                (r['Created'], r['Failed'])
                for r in rows
                if r['Type'] == 'floating ip'
            ),
        )
        self.assertEqual(
            {FREE: ('', None, None), ON_PORT: ('', p + '-vip', VIP)},
            self.dst_fips(),
        )

        # A port that neither the data directory nor the destination has.
        doc = self.load(FILE)
        for e in doc['resources']:
            if e['params']['port_ref']:
                e['params']['port_ref']['name'] = p + '-nope'
        self.save(FILE, doc)
        self.assertEqual(
            [
                (
                    self.path(FILE),
                    'params.port_ref',
                    "port '%s-nope' (project '%%auth%%') is not in the data "
                    'directory' % p,
                )
            ],
            self.validate_problems(file_name=FILE),
        )
