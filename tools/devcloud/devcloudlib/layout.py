# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Where everything lives: paths, ports, regions and the service table.

Standard library only: this module is imported by the ``devcloud`` script,
which runs under the system python3 before any venv exists.
"""

import hashlib
import os
import re

HOST = '127.0.0.1'
KEYSTONE_PORT = 15000
MYSQL_PORT = 15306
RABBIT_PORT = 15672
RABBIT_DIST_PORT = 15673
EPMD_PORT = 15369
AUTH_URL = 'http://%s:%d/v3' % (HOST, KEYSTONE_PORT)

# Per-region API ports: RegionOne uses 152xx..157xx, RegionTwo adds 100.
REGION_PORTS = {
    'glance': 15292,
    'neutron': 15696,
    'nova': 15774,
    'cinder': 15776,
    'placement': 15778,
    'barbican': 15311,
    'octavia': 15586,
    'designate': 15001,
    'manila': 15786,
    'designate-mdns': 15353,  # DNS, UDP and TCP
    'dns': 15354,  # bind9, the pool's DNS server
    'rndc': 15953,  # bind9's control channel
    'swift-proxy': 15808,  # the storage servers behind it are internal
    'swift-object': 15800,
    'swift-container': 15801,
    'swift-account': 15802,
    'swift-memcached': 15805,  # the proxy's cache, as every Swift has
}

#: the Swift storage servers: ring and service name -> REGION_PORTS key
SWIFT_SERVERS = ('object', 'container', 'account')

# Service users created in keystone (password = name, project service).
SERVICE_USERS = (
    'glance',
    'neutron',
    'nova',
    'placement',
    'cinder',
    'barbican',
    'swift',
    'octavia',
    'designate',
    'manila',
)

#: the services ``devcloud start --services`` may leave out: group ->
#: (how the names of its processes and tasks start after ``rN-``, the
#: names of its services in the keystone catalog)
OPTIONAL = {
    'barbican': (('barbican',), ('barbican',)),
    'swift': (('swift',), ('swift',)),
    'octavia': (('octavia',), ('octavia',)),
    'designate': (('designate', 'named'), ('designate',)),
    'manila': (('manila',), ('manila', 'manilav2')),
}


def left_out(name, groups):
    """Whether the service or start task ``name`` (``rN-swift-proxy``,
    ``start-rN-manila-api``, ``octavia-ca``) is of an optional group that
    is not in ``groups``."""
    base = name[len('start-') :] if name.startswith('start-') else name
    if re.match(r'r\d-', base):
        base = base[3:]
    return any(
        group not in groups and base.startswith(prefixes)
        for group, (prefixes, _) in OPTIONAL.items()
    )


def catalog_left_out(groups):
    """The catalog service names of the optional groups not in
    ``groups``."""
    return {
        name
        for group, (_, names) in OPTIONAL.items()
        if group not in groups
        for name in names
    }


DB_USER = 'os'
DB_PASSWORD = 'os'  # noqa: S105 - a throwaway loopback test cloud


def db_url(database):
    return 'mysql+pymysql://%s:%s@%s:%d/%s?charset=utf8' % (
        DB_USER,
        DB_PASSWORD,
        HOST,
        MYSQL_PORT,
        database,
    )


class Region:
    """One region: RegionOne (index 1, source) or RegionTwo (2, dest)."""

    NAMES = {1: 'RegionOne', 2: 'RegionTwo'}

    def __init__(self, home, index):
        self.index = index
        self.name = self.NAMES[index]
        self.tag = 'r%d' % index  # directory, vhost and DB suffix
        self.etc = os.path.join(home, 'etc', self.tag)
        self.data = os.path.join(home, 'data', self.tag)
        self.log = os.path.join(home, 'log', self.tag)
        # fixed, documentation-free private ranges; never routed anywhere
        self.public_cidr = '172.24.%d.0/24' % (3 + index)
        self.compute_host = 'devcloud-compute-%s' % self.tag
        self.volume_host = 'devcloud-volume-%s' % self.tag
        self.share_host = 'devcloud-share-%s' % self.tag
        # Manila's NFS server (devcloud_drivers.ganesha): the shares'
        # directories, its address, configuration and pid file
        self.ganesha_address = '127.0.0.%d' % (10 + index)
        self.manila_shares = os.path.join(self.data, 'manila', 'shares')
        self.ganesha_conf = os.path.join(self.etc, 'ganesha', 'ganesha.conf')
        self.ganesha_exports = os.path.join(
            self.etc, 'ganesha', 'exports.conf'
        )
        self.ganesha_pid = os.path.join(self.data, 'ganesha', 'ganesha.pid')
        self.nfs_share = '127.0.0.1:/devcloud-cinder-%s' % self.tag
        self.nfs_export = os.path.join(self.data, 'cinder', 'nfs-export')
        # Swift's one device (a directory: mount_check is off)
        self.swift_devices = os.path.join(self.data, 'swift')
        self.swift_device = 'd1'
        # os-brick mounts a share at <base>/<md5 of the share string>
        self.nfs_mount = os.path.join(
            self.data,
            'cinder',
            'mnt',
            hashlib.md5(
                self.nfs_share.encode(), usedforsecurity=False
            ).hexdigest(),
        )

    def port(self, service):
        return REGION_PORTS[service] + 100 * (self.index - 1)

    def url(self, service):
        return 'http://%s:%d' % (HOST, self.port(service))

    def db(self, name):
        return '%s_%s' % (name, self.tag)

    def db_url(self, name):
        return db_url(self.db(name))

    @property
    def transport_url(self):
        return 'rabbit://guest:guest@%s:%d/%s' % (HOST, RABBIT_PORT, self.tag)

    def endpoints(self, groups=tuple(OPTIONAL)):
        """(service name, type, url) for the keystone catalog, without the
        optional services not in ``groups``."""
        gone = catalog_left_out(groups)
        return [e for e in self._endpoints() if e[0] not in gone]

    def _endpoints(self):
        return [
            ('glance', 'image', self.url('glance')),
            ('neutron', 'network', self.url('neutron')),
            ('nova', 'compute', self.url('nova') + '/v2.1'),
            ('placement', 'placement', self.url('placement')),
            (
                'cinderv3',
                'volumev3',
                self.url('cinder') + '/v3/%(project_id)s',
            ),
            (
                'cinder',
                'block-storage',
                self.url('cinder') + '/v3/%(project_id)s',
            ),
            ('barbican', 'key-manager', self.url('barbican')),
            ('octavia', 'load-balancer', self.url('octavia')),
            ('designate', 'dns', self.url('designate')),
            # openstacksdk looks for shared-file-system, the manila client
            # for sharev2: both, one URL (API >= 2.60: no project in paths)
            ('manilav2', 'sharev2', self.url('manila') + '/v2'),
            ('manila', 'shared-file-system', self.url('manila') + '/v2'),
            (
                'swift',
                'object-store',
                self.url('swift-proxy') + '/v1/AUTH_%(project_id)s',
            ),
        ]


class Layout:
    """Paths of one devcloud instance, rooted at DEVCLOUD_HOME."""

    def __init__(self, home, tools_dir):
        self.home = os.path.abspath(home)
        self.tools = tools_dir
        self.venv = os.path.join(self.home, 'venv')
        self.bin = os.path.join(self.venv, 'bin')
        self.etc = os.path.join(self.home, 'etc')
        self.data = os.path.join(self.home, 'data')
        self.log = os.path.join(self.home, 'log')
        self.run = os.path.join(self.home, 'run')
        self.clouds_yaml = os.path.join(self.home, 'clouds.yaml')
        self.octavia_ca = os.path.join(self.data, 'octavia-ca')
        self.mysql_sock = os.path.join(self.run, 'mysql.sock')
        self.image_file = os.path.join(self.data, 'devcloud-image.qcow2')
        self.loopback_image_file = os.path.join(
            self.data, 'devcloud-loopback.qcow2'
        )

    def regions(self, count):
        return [Region(self.home, i) for i in range(1, count + 1)]

    def venv_bin(self, name):
        return os.path.join(self.bin, name)

    def stamp(self, name):
        """A file recording that a one-time init step completed."""
        return os.path.join(self.data, '.done-' + name)


class Service:
    """A long-running process that devcloud starts and stops.

    ``port`` is None for RPC-only workers (conductor, scheduler, ...).
    ``ports`` lists every port the process must own (for conflict checks).
    """

    def __init__(
        self,
        name,
        argv,
        env=None,
        port=None,
        ports=None,
        region=None,
        http=True,
    ):
        self.name = name
        self.argv = argv
        self.env = env or {}
        self.port = port
        self.ports = ports if ports is not None else ([port] if port else [])
        self.region = region
        self.http = http  # readiness = any HTTP answer (else TCP connect)
        self.watch_logs = []  # logs whose size is noted at start (wait_log)
