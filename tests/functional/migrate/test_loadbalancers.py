# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Octavia load balancers with their whole tree: ``migrate export|import
loadbalancer``, ``plan`` and ``validate`` against real clouds (``src`` in
RegionOne to ``dst`` in RegionTwo; Octavia with its no-op drivers)."""

import time

from tests.functional import base
from tests.functional.migrate import test_network_resources as netres

FILE = 'loadbalancers.yml'
LB = 'openstack.loadbalancer.LoadBalancer'
CIDR = '10.93.0.0/24'
VIP = '10.93.0.50'
SRC_VM = '10.93.0.10'
DST_VM = '10.93.0.20'
OTHER = '10.93.0.99'


def purge_lbs(conn, prefix):
    """Delete (cascade) the load balancers named ``prefix...``; wait until
    they are gone."""
    lb = conn.load_balancer
    mine = [
        x for x in lb.load_balancers() if (x.name or '').startswith(prefix)
    ]
    for x in mine:
        deadline = time.monotonic() + base.WAIT
        while True:
            x = lb.get_load_balancer(x.id)
            if not x.provisioning_status.startswith('PENDING'):
                break
            if time.monotonic() > deadline:
                raise AssertionError('load balancer %s stays pending' % x.id)
            time.sleep(1)
        lb.delete_load_balancer(x, cascade=True, ignore_missing=True)
    for x in mine:
        lb.wait_for_delete(x, wait=base.WAIT)


def wait_active(conn, lb_id):
    conn.load_balancer.wait_for_load_balancer(lb_id, wait=base.WAIT)


def tree_of(conn, name):
    """A load balancer's tree as it is in ``conn``'s cloud: what the test
    compares, with the ids for the in-place checks."""
    lb = conn.load_balancer
    (x,) = [o for o in lb.load_balancers() if o.name == name]
    subnets = {s.id: s.name for s in conn.network.subnets()}
    qos = {q.id: q.name for q in conn.network.qos_policies()}
    pools = {}
    pool_names = {}
    ids = {'lb': x.id}
    for p in lb.pools(loadbalancer_id=x.id):
        pool_names[p.id] = p.name
        ids[p.name] = p.id
        hm = (
            lb.get_health_monitor(p.health_monitor_id)
            if (p.health_monitor_id)
            else None
        )
        pools[p.name] = {
            'description': p.description,
            'protocol': p.protocol,
            'lb_algorithm': p.lb_algorithm,
            'session_persistence': p.session_persistence,
            'tags': sorted(p.tags or []),
            'members': sorted(
                (
                    m.name,
                    m.address,
                    m.protocol_port,
                    subnets.get(m.subnet_id),
                    m.weight,
                    m.backup,
                    sorted(m.tags or []),
                )
                for m in lb.members(p)
            ),
            'healthmonitor': hm
            and (
                hm.name,
                hm.type,
                hm.delay,
                hm.timeout,
                hm.max_retries,
                hm.max_retries_down,
                hm.http_method,
                hm.url_path,
                hm.expected_codes,
            ),
        }
    listeners = {}
    # openstacksdk's listener filter is load_balancer_id (loadbalancer_id,
    # the pools' spelling, is dropped: every listener of the project)
    for li in lb.listeners(load_balancer_id=x.id):
        ids[li.name] = li.id
        policies = {}
        for pol in lb.l7_policies(listener_id=li.id):
            ids[pol.name] = pol.id
            policies[pol.name] = {
                'action': pol.action,
                'position': pol.position,
                'description': pol.description,
                'redirect_pool': pool_names.get(pol.redirect_pool_id),
                'redirect_url': pol.redirect_url,
                'rules': sorted(
                    (r.type, r.compare_type, r.key, r.rule_value, r.invert)
                    for r in lb.l7_rules(pol)
                ),
            }
        listeners[li.name] = {
            'description': li.description,
            'protocol': li.protocol,
            'protocol_port': li.protocol_port,
            'connection_limit': li.connection_limit,
            'default_pool': pool_names.get(li.default_pool_id),
            'timeouts': (
                li.timeout_client_data,
                li.timeout_member_connect,
                li.timeout_member_data,
                li.timeout_tcp_inspect,
            ),
            'insert_headers': li.insert_headers,
            'allowed_cidrs': sorted(li.allowed_cidrs or []),
            'tags': sorted(li.tags or []),
            'l7policies': policies,
        }
    tree = {
        'description': x.description,
        'admin_state_up': x.is_admin_state_up,
        'provider': x.provider,
        'vip_address': x.vip_address,
        'vip_subnet': subnets.get(x.vip_subnet_id),
        'vip_qos_policy': qos.get(x.vip_qos_policy_id),
        'tags': sorted(x.tags or []),
        'pools': pools,
        'listeners': listeners,
    }
    return tree, ids


class LoadBalancerTestCase(netres.MigrateTestCase):
    def setUp(self):
        super().setUp()
        for cloud in ('src', 'dst'):
            self.addCleanup(purge_lbs, self.conn(cloud), self.prefix)

    def network(self, cloud):
        """The prefix's network and subnet in ``cloud``."""
        net = self.conn(cloud).network
        network = net.find_network(self.prefix + '-net', ignore_missing=False)
        subnet = net.find_subnet(self.prefix + '-sub', ignore_missing=False)
        return network, subnet

    def server(self, cloud, address):
        """Server ``-vm`` in ``cloud`` on the prefix's network at
        ``address``."""
        conn = self.conn(cloud)
        network, _ = self.network(cloud)
        server = conn.compute.create_server(
            name=self.prefix + '-vm',
            flavor_id=conn.compute.find_flavor(
                base.FLAVOR, ignore_missing=False
            ).id,
            image_id=conn.image.find_image(
                base.IMAGE, ignore_missing=False
            ).id,
            networks=[{'uuid': network.id, 'fixed_ip': address}],
        )
        self.cleanup_resource(conn, 'server', server)
        return conn.compute.wait_for_server(server, wait=base.WAIT)

    def seed(self):
        """In ``src``: network, subnet, QoS policy, a server at
        :data:`SRC_VM` and load balancer ``-lb`` with two pools (one
        member on the server, an HTTP health monitor, session
        persistence), two listeners (timeouts, headers, CIDRs) and an L7
        policy with two rules."""
        src = self.conn('src')
        p = self.prefix
        network = src.network.create_network(name=p + '-net')
        subnet = src.network.create_subnet(
            name=p + '-sub', network_id=network.id, ip_version=4, cidr=CIDR
        )
        self.server('src', SRC_VM)
        lb = src.load_balancer
        x = lb.create_load_balancer(
            name=p + '-lb',
            description='front door',
            vip_subnet_id=subnet.id,
            vip_address=VIP,
            tags=['web', 'blue'],
        )
        wait_active(src, x.id)
        web = lb.create_pool(
            name=p + '-web',
            description='web servers',
            loadbalancer_id=x.id,
            protocol='HTTP',
            lb_algorithm='ROUND_ROBIN',
            session_persistence={'type': 'APP_COOKIE', 'cookie_name': 'sid'},
            tags=['w'],
        )
        wait_active(src, x.id)
        api = lb.create_pool(
            name=p + '-api',
            loadbalancer_id=x.id,
            protocol='HTTP',
            lb_algorithm='LEAST_CONNECTIONS',
        )
        wait_active(src, x.id)
        lb.create_member(
            web,
            name=p + '-m-vm',
            address=SRC_VM,
            protocol_port=80,
            subnet_id=subnet.id,
            weight=3,
            tags=['vm'],
        )
        wait_active(src, x.id)
        lb.create_member(
            web,
            address=OTHER,
            protocol_port=8080,
            subnet_id=subnet.id,
            backup=True,
        )
        wait_active(src, x.id)
        lb.create_member(api, address=OTHER, protocol_port=9000)
        wait_active(src, x.id)
        lb.create_health_monitor(
            pool_id=web.id,
            name=p + '-hm',
            type='HTTP',
            delay=7,
            timeout=4,
            max_retries=3,
            max_retries_down=2,
            http_method='HEAD',
            url_path='/health',
            expected_codes='200-204',
        )
        wait_active(src, x.id)
        http = lb.create_listener(
            name=p + '-http',
            description='plain',
            loadbalancer_id=x.id,
            protocol='HTTP',
            protocol_port=80,
            default_pool_id=web.id,
            connection_limit=1000,
            timeout_client_data=40000,
            timeout_member_connect=4000,
            timeout_member_data=41000,
            timeout_tcp_inspect=10,
            insert_headers={'X-Forwarded-For': 'true'},
            allowed_cidrs=['10.0.0.0/8', '192.168.0.0/16'],
            tags=['l1'],
        )
        wait_active(src, x.id)
        lb.create_listener(
            name=p + '-alt',
            loadbalancer_id=x.id,
            protocol='HTTP',
            protocol_port=8080,
            default_pool_id=api.id,
        )
        wait_active(src, x.id)
        pol = lb.create_l7_policy(
            name=p + '-to-api',
            description='api calls',
            listener_id=http.id,
            action='REDIRECT_TO_POOL',
            redirect_pool_id=api.id,
            position=1,
        )
        wait_active(src, x.id)
        lb.create_l7_rule(
            pol, type='PATH', compare_type='STARTS_WITH', rule_value='/api'
        )
        wait_active(src, x.id)
        lb.create_l7_rule(
            pol,
            type='HEADER',
            compare_type='EQUAL_TO',
            key='X-Env',
            rule_value='prod',
            invert=True,
        )
        wait_active(src, x.id)

    def export(self, *types):
        for kind in types:
            self.migrate(
                'export ' + kind,
                '-f',
                'json',
                cloud_option='--src-cloud',
                cloud='src',
            )

    def dst_lbs(self):
        return [
            x.name
            for x in self.conn('dst').load_balancer.load_balancers()
            if x.name.startswith(self.prefix)
        ]

    def import_lb(self, *args, expect_fail=False):
        rows = self.import_('loadbalancer', *args, expect_fail=expect_fail)
        if expect_fail:
            return rows
        return {r['Name']: (r['Action'], r['Detail']) for r in rows}


class TestLoadBalancers(LoadBalancerTestCase):
    def test_tree_members_on_servers_and_reimport(self):
        p = self.prefix
        self.seed()
        exported = {r['Type']: r['Exported'] for r in self.export_all()}
        self.assertEqual(1, exported['loadbalancer'])
        (entry,) = self.load(FILE)['resources']
        params = entry['params']
        ref = lambda n: {  # noqa: E731
            'name': p + n,
            'project_name': '%auth%',
            'domain_name': '%auth%',
        }
        self.assertEqual(LB, entry['type'])
        self.assertEqual(ref('-sub'), params['vip_subnet_ref'])
        self.assertEqual(VIP, params['vip_address'])
        (web,) = [x for x in params['pools'] if x['name'] == p + '-web']
        members = {m['name'] or m['address']: m for m in web['members']}
        # The server's member is written by reference, not by address.
        self.assertEqual(ref('-vm'), members[p + '-m-vm']['server_ref'])
        self.assertEqual(ref('-net'), members[p + '-m-vm']['network_ref'])
        self.assertIsNone(members[p + '-m-vm']['address'])
        self.assertNotIn('server_ref', members[OTHER])
        self.assertEqual([], entry['_info']['unreferenced'])

        # import all makes the network and subnet, then the load balancer;
        # the destination has no server yet: the member on it is left out,
        # and the plan says so.
        summary = {
            r['Type']: (
                r['Created'],
                r['Updated'],
                r['Unchanged'],
                r['Failed'],
            )
            for r in self.import_()
        }
        self.assertEqual((1, 0, 0, 0), summary['loadbalancer'])
        self.assertEqual((1, 0, 0, 0), summary['subnet'])
        self.assertEqual(
            [
                (
                    p + '-lb',
                    'unchanged',
                    'member %s-m-vm of pool %s-web left out: server %r '
                    "(project '%%auth%%') not found (import the load "
                    'balancers again after the workload import)'
                    % (p, p, p + '-vm'),
                )
            ],
            [
                (r['Name'], r['Action'], r['Detail'])
                for r in self.plan('loadbalancer')
            ],
        )
        have, _ = tree_of(self.conn('dst'), p + '-lb')
        self.assertEqual(
            [('', OTHER, 8080, p + '-sub', 1, True, [])],
            have['pools'][p + '-web']['members'],
        )

        # Once the server is there (the workload import), a second import
        # adds the member at the destination server's address.
        self.server('dst', DST_VM)
        rows = self.import_lb()
        self.assertEqual(
            (
                'updated',
                'create member %s-m-vm of pool %s-web' % (p, p),
            ),
            rows[p + '-lb'],
        )
        want, _ = tree_of(self.conn('src'), p + '-lb')
        have, ids = tree_of(self.conn('dst'), p + '-lb')
        # (sorted: the unnamed one first)
        want['pools'][p + '-web']['members'] = [
            ('', OTHER, 8080, p + '-sub', 1, True, []),
            (p + '-m-vm', DST_VM, 80, p + '-sub', 3, False, ['vm']),
        ]
        self.assertEqual(want, have)
        # field by field, what the source has
        self.assertEqual(
            {
                'description': 'front door',
                'admin_state_up': True,
                'provider': 'amphora',
                'vip_address': VIP,
                'vip_subnet': p + '-sub',
                'vip_qos_policy': None,
                'tags': ['blue', 'web'],
            },
            {k: v for k, v in have.items() if k not in ('pools', 'listeners')},
        )
        self.assertEqual(
            {
                'description': 'plain',
                'protocol': 'HTTP',
                'protocol_port': 80,
                'connection_limit': 1000,
                'default_pool': p + '-web',
                'timeouts': (40000, 4000, 41000, 10),
                'insert_headers': {'X-Forwarded-For': 'true'},
                'allowed_cidrs': ['10.0.0.0/8', '192.168.0.0/16'],
                'tags': ['l1'],
                'l7policies': {
                    p + '-to-api': {
                        'action': 'REDIRECT_TO_POOL',
                        'position': 1,
                        'description': 'api calls',
                        'redirect_pool': p + '-api',
                        'redirect_url': None,
                        'rules': [
                            ('HEADER', 'EQUAL_TO', 'X-Env', 'prod', True),
                            ('PATH', 'STARTS_WITH', None, '/api', False),
                        ],
                    }
                },
            },
            have['listeners'][p + '-http'],
        )
        self.assertEqual(
            p + '-api', have['listeners'][p + '-alt']['default_pool']
        )
        self.assertEqual(
            {
                'description': 'web servers',
                'protocol': 'HTTP',
                'lb_algorithm': 'ROUND_ROBIN',
                'session_persistence': {
                    'type': 'APP_COOKIE',
                    'cookie_name': 'sid',
                    'persistence_timeout': None,
                    'persistence_granularity': None,
                },
                'tags': ['w'],
                'members': want['pools'][p + '-web']['members'],
                'healthmonitor': (
                    p + '-hm',
                    'HTTP',
                    7,
                    4,
                    3,
                    2,
                    'HEAD',
                    '/health',
                    '200-204',
                ),
            },
            have['pools'][p + '-web'],
        )

        # Again: unchanged, and not one write.
        rows, requests = self.import_logged(what='loadbalancer')
        self.assertEqual(
            [(p + '-lb', 'unchanged', '')],
            [(r['Name'], r['Action'], r['Detail']) for r in rows],
        )
        self.assertEqual(
            [],
            [
                r
                for r in requests
                if r[0] != 'GET' and not r[1].endswith('/auth/tokens')
            ],
        )

        # An edited file: the changes are made in place.
        doc = self.load(FILE)
        params = doc['resources'][0]['params']
        params['description'] = 'new door'
        (http,) = [x for x in params['listeners'] if x['name'] == p + '-http']
        http['timeout_client_data'] = 45000
        http['l7policies'][0]['rules'] = [
            r for r in http['l7policies'][0]['rules'] if r['type'] == 'PATH'
        ]
        (web,) = [x for x in params['pools'] if x['name'] == p + '-web']
        web['healthmonitor']['delay'] = 9
        self.save(FILE, doc)
        self.assertEqual(
            [
                (
                    p + '-lb',
                    'update',
                    'update load balancer, update health monitor of pool '
                    '%(p)s-web, update listener %(p)s-http, delete L7 rule '
                    "HEADER EQUAL_TO 'prod' of L7 policy %(p)s-to-api of "
                    'listener %(p)s-http' % {'p': p},
                )
            ],
            [
                (r['Name'], r['Action'], r['Detail'])
                for r in self.plan('loadbalancer')
            ],
        )
        rows = self.import_lb()
        self.assertEqual('updated', rows[p + '-lb'][0])
        edited, same_ids = tree_of(self.conn('dst'), p + '-lb')
        self.assertEqual(ids, same_ids)
        self.assertEqual('new door', edited['description'])
        self.assertEqual(
            45000, edited['listeners'][p + '-http']['timeouts'][0]
        )
        self.assertEqual(
            [('PATH', 'STARTS_WITH', None, '/api', False)],
            edited['listeners'][p + '-http']['l7policies'][p + '-to-api'][
                'rules'
            ],
        )
        self.assertEqual(9, edited['pools'][p + '-web']['healthmonitor'][2])

    def test_missing_subnet_blocks_and_bad_tree_leaves_nothing(self):
        p = self.prefix
        self.seed()
        self.export('network', 'subnet', 'loadbalancer')
        self.import_('network')
        self.import_('subnet')
        doc = self.load(FILE)
        params = doc['resources'][0]['params']

        # A subnet that neither the data directory nor the destination
        # holds: validate names it, import blocks the load balancer and
        # makes nothing.
        params['vip_subnet_ref']['name'] = p + '-nosuch'
        self.save(FILE, doc)
        self.assertIn(
            (
                'params.vip_subnet_ref',
                "subnet %r (project '%%auth%%') is not in the data directory"
                % (p + '-nosuch'),
            ),
            [
                (field, problem)
                for _, field, problem in self.validate_problems(file_name=FILE)
            ],
        )
        result = self.import_lb(expect_fail=True)
        self.assertIn(
            "%s: %s %r: blocked: vip_subnet_ref: subnet %r (project "
            "'%%auth%%') not found\n" % (FILE, LB, p + '-lb', p + '-nosuch'),
            result.stderr,
        )
        self.assertEqual([], self.dst_lbs())

        # A tree that Octavia refuses half-way (a rule's compare type):
        # the new load balancer is deleted with what was made of it.
        params['vip_subnet_ref']['name'] = p + '-sub'
        (http,) = [x for x in params['listeners'] if x['name'] == p + '-http']
        (path,) = [
            r for r in http['l7policies'][0]['rules'] if r['type'] == 'PATH'
        ]
        path['compare_type'] = 'SOUNDS_LIKE'
        self.save(FILE, doc)
        result = self.import_lb(expect_fail=True)
        head = (
            "%(f)s: %(t)s '%(p)s-lb': failed: create L7 rule PATH "
            "SOUNDS_LIKE '/api' of L7 policy %(p)s-to-api of listener "
            "%(p)s-http: Invalid input for field/attribute compare_type. "
            "Value: 'SOUNDS_LIKE'. Value should be one of: "
            % {'f': FILE, 't': LB, 'p': p}
        )
        (line,) = [x for x in result.stderr.splitlines() if x.startswith(head)]
        # (Octavia lists the choices in no fixed order)
        self.assertEqual(
            ['CONTAINS', 'ENDS_WITH', 'EQUAL_TO', 'REGEX', 'STARTS_WITH'],
            sorted(line[len(head) :].split(', ')),
        )
        self.assertEqual([], self.dst_lbs())

        # In an existing load balancer, a change that fails half-way takes
        # away what the run made (the new pool) and names what failed.
        path['compare_type'] = 'STARTS_WITH'
        self.save(FILE, doc)
        self.assertEqual('created', self.import_lb()[p + '-lb'][0])
        before, ids = tree_of(self.conn('dst'), p + '-lb')
        params['pools'].append(
            {
                'name': p + '-extra',
                'protocol': 'HTTP',
                'lb_algorithm': 'SOURCE_IP',
            }
        )
        path['value'] = '/v2'
        path['compare_type'] = 'SOUNDS_LIKE'
        self.save(FILE, doc)
        result = self.import_lb(expect_fail=True)
        self.assertIn(
            "%(f)s: %(t)s '%(p)s-lb': failed: create L7 rule PATH "
            "SOUNDS_LIKE '/v2' of L7 policy %(p)s-to-api of listener "
            '%(p)s-http: Invalid input for field/attribute compare_type. '
            % {'f': FILE, 't': LB, 'p': p},
            result.stderr,
        )
        after, after_ids = tree_of(self.conn('dst'), p + '-lb')
        self.assertNotIn(p + '-extra', after['pools'])
        self.assertEqual(sorted(before['pools']), sorted(after['pools']))
        self.assertEqual(ids['lb'], after_ids['lb'])


def self_signed(name):
    """(certificate, private key) in PEM, self-signed for ``name``."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return (
        cert.public_bytes(serialization.Encoding.PEM).decode(),
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption(),
        ).decode(),
    )


def uuid_of(href):
    return href.rstrip('/').rsplit('/', 1)[-1]


class BarbicanTestCase(LoadBalancerTestCase):
    """Load balancers that refer to Barbican's secrets and containers."""

    def setUp(self):
        super().setUp()
        for cloud in ('src', 'dst'):
            self.addCleanup(self.purge_barbican, self.conn(cloud))
            # (load balancers first: they use the containers)
            self.addCleanup(purge_lbs, self.conn(cloud), self.prefix)

    def grant_octavia(self, cloud, hrefs):
        """Let Octavia's service user read these secrets and containers
        (a Barbican ACL), as an operator does for TLS listeners."""
        octavia = self.conn('src-admin').identity.find_user(
            'octavia', ignore_missing=False
        )
        km = self.conn(cloud).key_manager
        for collection, href in hrefs:
            response = km.put(
                '/%s/%s/acl' % (collection, uuid_of(href)),
                json={'read': {'users': [octavia.id], 'project-access': True}},
            )
            response.raise_for_status()

    def purge_barbican(self, conn):
        km = conn.key_manager
        for c in km.containers():
            if (c.name or '').startswith(self.prefix):
                km.delete_container(uuid_of(c.container_ref))
        for s in km.secrets():
            if (s.name or '').startswith(self.prefix):
                km.delete_secret(uuid_of(s.secret_ref))

    def tls_container(self, cloud):
        """A certificate container ``-cert`` in ``cloud`` that Octavia may
        read."""
        km = self.conn(cloud).key_manager
        p = self.prefix
        cert_pem, key_pem = self_signed('www.example.com')
        cert = km.create_secret(
            name=p + '-crt',
            secret_type='certificate',
            payload=cert_pem,
            payload_content_type='text/plain',
        )
        key = km.create_secret(
            name=p + '-key',
            secret_type='private',
            payload=key_pem,
            payload_content_type='text/plain',
        )
        container = km.create_container(
            name=p + '-cert',
            type='certificate',
            secret_refs=[
                {'name': 'certificate', 'secret_ref': cert.secret_ref},
                {'name': 'private_key', 'secret_ref': key.secret_ref},
            ],
        )
        self.grant_octavia(
            cloud,
            [
                ('secrets', cert.secret_ref),
                ('secrets', key.secret_ref),
                ('containers', container.container_ref),
            ],
        )
        return container


class TestTlsListener(BarbicanTestCase):
    def test_tls_listener_refers_to_the_migrated_container(self):
        p = self.prefix
        src = self.conn('src')
        network = src.network.create_network(name=p + '-net')
        subnet = src.network.create_subnet(
            name=p + '-sub', network_id=network.id, ip_version=4, cidr=CIDR
        )
        container = self.tls_container('src')
        x = src.load_balancer.create_load_balancer(
            name=p + '-lb', vip_subnet_id=subnet.id
        )
        wait_active(src, x.id)
        src.load_balancer.create_listener(
            name=p + '-https',
            loadbalancer_id=x.id,
            protocol='TERMINATED_HTTPS',
            protocol_port=443,
            default_tls_container_ref=container.container_ref,
        )
        wait_active(src, x.id)

        self.export('network', 'subnet', 'secret', 'secret container')
        self.export('loadbalancer')
        (entry,) = self.load(FILE)['resources']
        (listener,) = entry['params']['listeners']
        self.assertEqual(
            {
                'name': p + '-cert',
                'project_name': '%auth%',
                'domain_name': '%auth%',
            },
            listener['default_tls_container_ref'],
        )

        self.import_('network')
        self.import_('subnet')
        self.import_('secret', '--src-cloud', 'src')
        self.import_('secret container')
        # A tenant's export cannot name the users of an ACL: the operator
        # lets Octavia read the destination's copies, as in the source.
        km = self.conn('dst').key_manager
        (dst_container,) = [
            c for c in km.containers() if c.name == p + '-cert'
        ]
        self.grant_octavia(
            'dst',
            [('containers', dst_container.container_ref)]
            + [
                ('secrets', s['secret_ref']) for s in dst_container.secret_refs
            ],
        )
        rows = self.import_lb()
        self.assertEqual(('created', ''), rows[p + '-lb'])
        dst = self.conn('dst').load_balancer
        (made,) = [x for x in dst.load_balancers() if x.name == p + '-lb']
        (https,) = dst.listeners(load_balancer_id=made.id)
        self.assertEqual(
            ('TERMINATED_HTTPS', 443, dst_container.container_ref),
            (
                https.protocol,
                https.protocol_port,
                https.default_tls_container_ref,
            ),
        )
        self.assertNotEqual(
            container.container_ref, https.default_tls_container_ref
        )
        rows, requests = self.import_logged(what='loadbalancer')
        self.assertEqual('unchanged', rows[0]['Action'])
        self.assertEqual(
            [],
            [
                r
                for r in requests
                if r[0] != 'GET' and not r[1].endswith('/auth/tokens')
            ],
        )


def pkcs12_bundle(name):
    """A self-signed certificate for ``name`` with its key, as one PKCS12
    bundle (no password), base64-encoded."""
    import base64

    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs12

    cert_pem, key_pem = self_signed(name)
    bundle = pkcs12.serialize_key_and_certificates(
        name.encode(),
        serialization.load_pem_private_key(key_pem.encode(), None),
        x509.load_pem_x509_certificate(cert_pem.encode()),
        None,
        serialization.NoEncryption(),
    )
    return base64.b64encode(bundle).decode()


class TestPkcs12Listener(BarbicanTestCase):
    def pkcs12_secret(self, suffix, host):
        """Secret ``-p12<suffix>`` in ``src``: a certificate for ``host``
        and its key as one PKCS12 bundle, that Octavia may read."""
        made = self.conn('src').key_manager.create_secret(
            name=self.prefix + '-p12' + suffix,
            secret_type='opaque',
            payload=pkcs12_bundle(host),
            payload_content_type='application/octet-stream',
            payload_content_encoding='base64',
        )
        self.grant_octavia('src', [('secrets', made.secret_ref)])
        return made

    def test_certificates_held_as_pkcs12_secrets(self):
        from osmigrateclient.resources import _sdk_classes

        p = self.prefix
        src = self.conn('src')
        network = src.network.create_network(name=p + '-net')
        subnet = src.network.create_subnet(
            name=p + '-sub', network_id=network.id, ip_version=4, cidr=CIDR
        )
        www = self.pkcs12_secret('', 'www.example.com')
        api = self.pkcs12_secret('-api', 'api.example.com')
        lb = src.load_balancer
        x = lb.create_load_balancer(name=p + '-lb', vip_subnet_id=subnet.id)
        wait_active(src, x.id)
        pool = lb._create(
            _sdk_classes.LbPool,
            name=p + '-backend',
            loadbalancer_id=x.id,
            protocol='HTTP',
            lb_algorithm='ROUND_ROBIN',
            tls_enabled=True,
            tls_container_ref=api.secret_ref,
        )
        wait_active(src, x.id)
        lb.create_listener(
            name=p + '-https',
            loadbalancer_id=x.id,
            protocol='TERMINATED_HTTPS',
            protocol_port=443,
            default_pool_id=pool.id,
            default_tls_container_ref=www.secret_ref,
            sni_container_refs=[api.secret_ref],
        )
        wait_active(src, x.id)

        self.export('network', 'subnet', 'secret', 'loadbalancer')
        (entry,) = self.load(FILE)['resources']
        secret = lambda n: {  # noqa: E731
            'name': p + n,
            'project_name': '%auth%',
            'domain_name': '%auth%',
            'secret': True,
        }
        (listener,) = entry['params']['listeners']
        (backend,) = entry['params']['pools']
        self.assertEqual(
            (secret('-p12'), [secret('-p12-api')], secret('-p12-api'), []),
            (
                listener['default_tls_container_ref'],
                listener['sni_container_refs'],
                backend['tls_container_ref'],
                entry['_info']['unreferenced'],
            ),
        )

        self.import_('network')
        self.import_('subnet')
        # The destination lacks the secrets: blocked, naming the field.
        result = self.import_lb(expect_fail=True)
        self.assertIn(
            "%s: %s %r: blocked: pools[0].tls_container_ref: "
            "secret %r (project '%%auth%%') not found\n"
            % (FILE, LB, p + '-lb', p + '-p12-api'),
            result.stderr,
        )
        self.assertEqual([], self.dst_lbs())

        self.import_('secret', '--src-cloud', 'src')
        km = self.conn('dst').key_manager
        dst_secrets = {
            s.name: s.secret_ref
            for s in km.secrets()
            if s.name in (p + '-p12', p + '-p12-api')
        }
        self.grant_octavia(
            'dst', [('secrets', href) for href in dst_secrets.values()]
        )
        rows = self.import_lb()
        self.assertEqual(('created', ''), rows[p + '-lb'])
        dst = self.conn('dst').load_balancer
        (made,) = [o for o in dst.load_balancers() if o.name == p + '-lb']
        (https,) = dst.listeners(load_balancer_id=made.id)
        (dst_pool,) = [
            o
            for o in dst._list(_sdk_classes.LbPool)
            if made.id in [i['id'] for i in o.loadbalancers]
        ]
        self.assertEqual(
            (
                dst_secrets[p + '-p12'],
                [dst_secrets[p + '-p12-api']],
                dst_secrets[p + '-p12-api'],
            ),
            (
                https.default_tls_container_ref,
                https.sni_container_refs,
                dst_pool.tls_container_ref,
            ),
        )
        self.assertNotIn(
            https.default_tls_container_ref, (www.secret_ref, api.secret_ref)
        )

        # Again: unchanged, and not one write.
        rows, requests = self.import_logged(what='loadbalancer')
        self.assertEqual(
            [(p + '-lb', 'unchanged', '')],
            [(r['Name'], r['Action'], r['Detail']) for r in rows],
        )
        self.assertEqual(
            [],
            [
                r
                for r in requests
                if r[0] != 'GET' and not r[1].endswith('/auth/tokens')
            ],
        )


def revocation_list(ca_pem, ca_key_pem):
    """An empty certificate revocation list in PEM, signed by the CA."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives import serialization

    ca = x509.load_pem_x509_certificate(ca_pem.encode())
    key = serialization.load_pem_private_key(ca_key_pem.encode(), None)
    now = datetime.datetime.now(datetime.UTC)
    crl = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(ca.subject)
        .last_update(now - datetime.timedelta(days=1))
        .next_update(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    return crl.public_bytes(serialization.Encoding.PEM).decode()


#: what the tests compare of a listener and a pool with TLS, besides
#: their Barbican references (compared by name)
TLS_LISTENER = (
    'client_authentication',
    'tls_ciphers',
    'tls_versions',
    'alpn_protocols',
    'hsts_max_age',
    'hsts_include_subdomains',
    'hsts_preload',
    'timeout_client_data',
    'insert_headers',
)
TLS_POOL = (
    'tls_enabled',
    'tls_ciphers',
    'tls_versions',
    'alpn_protocols',
    'session_persistence',
)
SUB2_CIDR = '10.93.1.0/24'
VIP2 = '10.93.1.60'


class TestTlsEverywhere(BarbicanTestCase):
    def names_of(self, conn):
        """Barbican hrefs -> names, security group and subnet ids ->
        names, in ``conn``'s project."""
        km = conn.key_manager
        names = {s.secret_ref: s.name for s in km.secrets()}
        names.update({c.container_ref: c.name for c in km.containers()})
        names.update({g.id: g.name for g in conn.network.security_groups()})
        names.update({s.id: s.name for s in conn.network.subnets()})
        return names

    def tls_tree(self, conn):
        """The load balancer ``-lb`` of ``conn``'s cloud: its VIPs, its
        listener and its pool, each field that this test sets, with the
        resources they name by name."""
        from osmigrateclient.resources import _sdk_classes

        lb = conn.load_balancer
        names = self.names_of(conn)
        (x,) = [
            o for o in lb.load_balancers() if o.name == self.prefix + '-lb'
        ]
        (li,) = [
            o.to_dict(computed=False, original_names=True)
            for o in lb._list(_sdk_classes.LbListener)
            if x.id in [i['id'] for i in o.load_balancers]
        ]
        (pool,) = [
            o.to_dict(computed=False, original_names=True)
            for o in lb._list(_sdk_classes.LbPool)
            if x.id in [i['id'] for i in o.loadbalancers]
        ]
        return {
            'vip': (x.vip_address, names.get(x.vip_subnet_id)),
            'additional_vips': [
                (v['ip_address'], names.get(v['subnet_id']))
                for v in x.additional_vips
            ],
            'vip_sgs': sorted(names.get(g) for g in x.vip_sg_ids or []),
            'listener': dict(
                {f: li[f] for f in TLS_LISTENER},
                certificates=[
                    names.get(li[f])
                    for f in (
                        'default_tls_container_ref',
                        'client_ca_tls_container_ref',
                        'client_crl_container_ref',
                    )
                ],
            ),
            'pool': dict(
                {f: pool[f] for f in TLS_POOL},
                certificates=[
                    names.get(pool[f])
                    for f in (
                        'tls_container_ref',
                        'ca_tls_container_ref',
                        'crl_container_ref',
                    )
                ],
            ),
        }

    def ca_secrets(self, cloud):
        """Secrets ``-ca`` (a CA certificate) and ``-crl`` (its revocation
        list) in ``cloud``, that Octavia may read."""
        km = self.conn(cloud).key_manager
        ca_pem, ca_key = self_signed('client-ca.example.com')
        made = [
            km.create_secret(
                name=self.prefix + name,
                secret_type='opaque',
                payload=payload,
                payload_content_type='text/plain',
            )
            for name, payload in (
                ('-ca', ca_pem),
                ('-crl', revocation_list(ca_pem, ca_key)),
            )
        ]
        self.grant_octavia(cloud, [('secrets', s.secret_ref) for s in made])
        return made

    def test_vips_client_authentication_and_reencryption(self):
        from osmigrateclient.resources import _sdk_classes

        p = self.prefix
        src = self.conn('src')
        network = src.network.create_network(name=p + '-net')
        subnet = src.network.create_subnet(
            name=p + '-sub', network_id=network.id, ip_version=4, cidr=CIDR
        )
        sub2 = src.network.create_subnet(
            name=p + '-sub2',
            network_id=network.id,
            ip_version=4,
            cidr=SUB2_CIDR,
        )
        group = src.network.create_security_group(name=p + '-sg')
        container = self.tls_container('src')
        ca, crl = self.ca_secrets('src')
        lb = src.load_balancer
        x = lb.create_load_balancer(
            name=p + '-lb',
            vip_subnet_id=subnet.id,
            vip_address=VIP,
            additional_vips=[{'subnet_id': sub2.id, 'ip_address': VIP2}],
            vip_sg_ids=[group.id],
        )
        wait_active(src, x.id)
        pool = lb._create(
            _sdk_classes.LbPool,
            name=p + '-backend',
            loadbalancer_id=x.id,
            protocol='HTTP',
            lb_algorithm='ROUND_ROBIN',
            session_persistence={'type': 'HTTP_COOKIE'},
            tls_enabled=True,
            tls_container_ref=container.container_ref,
            ca_tls_container_ref=ca.secret_ref,
            crl_container_ref=crl.secret_ref,
            tls_ciphers='ECDHE-RSA-AES256-GCM-SHA384',
            tls_versions=['TLSv1.2', 'TLSv1.3'],
            alpn_protocols=['http/1.1'],
        )
        wait_active(src, x.id)
        lb._create(
            _sdk_classes.LbListener,
            name=p + '-https',
            loadbalancer_id=x.id,
            protocol='TERMINATED_HTTPS',
            protocol_port=443,
            default_pool_id=pool.id,
            default_tls_container_ref=container.container_ref,
            client_authentication='MANDATORY',
            client_ca_tls_container_ref=ca.secret_ref,
            client_crl_container_ref=crl.secret_ref,
            tls_ciphers='ECDHE-RSA-AES128-GCM-SHA256',
            tls_versions=['TLSv1.3'],
            alpn_protocols=['h2', 'http/1.1'],
            hsts_max_age=31536000,
            hsts_include_subdomains=True,
            hsts_preload=True,
            timeout_client_data=30000,
            insert_headers={'X-Forwarded-Proto': 'true'},
        )
        wait_active(src, x.id)
        want = self.tls_tree(src)
        # (what the source holds: the test made it so)
        self.assertEqual(
            {
                'vip': (VIP, p + '-sub'),
                'additional_vips': [(VIP2, p + '-sub2')],
                'vip_sgs': [p + '-sg'],
            },
            {k: want[k] for k in ('vip', 'additional_vips', 'vip_sgs')},
        )

        self.export(
            'network',
            'subnet',
            'security group',
            'secret',
            'secret container',
            'loadbalancer',
        )
        (entry,) = self.load(FILE)['resources']
        params = entry['params']
        ref = lambda n: {  # noqa: E731
            'name': p + n,
            'project_name': '%auth%',
            'domain_name': '%auth%',
        }
        self.assertEqual(
            (
                [{'subnet_ref': ref('-sub2'), 'ip_address': VIP2}],
                [ref('-sg')],
                [],
            ),
            (
                params['additional_vips'],
                params['vip_sg_refs'],
                entry['_info']['unreferenced'],
            ),
        )
        (listener,) = params['listeners']
        self.assertEqual(
            ('MANDATORY', ref('-cert'), ref('-ca'), ref('-crl')),
            (
                listener['client_authentication'],
                listener['default_tls_container_ref'],
                listener['client_ca_tls_container_ref'],
                listener['client_crl_container_ref'],
            ),
        )
        (backend,) = params['pools']
        self.assertEqual(
            (True, ref('-cert'), ref('-ca'), ref('-crl')),
            (
                backend['tls_enabled'],
                backend['tls_container_ref'],
                backend['ca_tls_container_ref'],
                backend['crl_container_ref'],
            ),
        )

        for kind in ('network', 'subnet', 'security group'):
            self.import_(kind)
        self.import_('secret', '--src-cloud', 'src')
        self.import_('secret container')
        # The CRL is not in the destination's Barbican: the load balancer
        # is blocked on the field that names it.
        km = self.conn('dst').key_manager
        (dst_crl,) = [s for s in km.secrets() if s.name == p + '-crl']
        km.delete_secret(uuid_of(dst_crl.secret_ref))
        result = self.import_lb(expect_fail=True)
        self.assertIn(
            "%s: %s %r: blocked: pools[0].crl_container_ref: "
            "secret %r (project '%%auth%%') not found\n"
            % (FILE, LB, p + '-lb', p + '-crl'),
            result.stderr,
        )
        self.assertEqual([], self.dst_lbs())
        self.import_('secret', '--src-cloud', 'src')

        # The operator lets Octavia read the destination's copies.
        (dst_container,) = [
            c for c in km.containers() if c.name == p + '-cert'
        ]
        self.grant_octavia(
            'dst',
            [('containers', dst_container.container_ref)]
            + [('secrets', s['secret_ref']) for s in dst_container.secret_refs]
            + [
                ('secrets', s.secret_ref)
                for s in km.secrets()
                if s.name in (p + '-ca', p + '-crl')
            ],
        )
        rows = self.import_lb()
        self.assertEqual(('created', ''), rows[p + '-lb'])
        # field by field, what the source has, by name
        self.assertEqual(want, self.tls_tree(self.conn('dst')))

        # Again: unchanged, and not one write.
        rows, requests = self.import_logged(what='loadbalancer')
        self.assertEqual(
            [(p + '-lb', 'unchanged', '')],
            [(r['Name'], r['Action'], r['Detail']) for r in rows],
        )
        self.assertEqual(
            [],
            [
                r
                for r in requests
                if r[0] != 'GET' and not r[1].endswith('/auth/tokens')
            ],
        )
