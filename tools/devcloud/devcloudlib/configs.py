# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Generate every configuration file of the development cloud.

Files are rewritten on every ``start`` (they are cheap and deterministic),
so a change here takes effect at the next start.  Standard library only.
"""

import base64
import hashlib
import json
import os
import shutil

from devcloudlib import layout as L
from devcloud_drivers import ganesha as GANESHA


def ini(sections):
    """Render {section: {key: value}} as an ini file (ordered)."""
    out = []
    for section, values in sections.items():
        out.append('[%s]' % section)
        for key, value in values.items():
            if isinstance(value, bool):
                value = 'true' if value else 'false'
            out.append('%s = %s' % (key, value))
        out.append('')
    return '\n'.join(out)


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    tmp = path + '.tmp'
    with open(tmp, 'w') as f:
        f.write(text)
    os.replace(tmp, path)


def authtoken(user):
    """[keystone_authtoken] of a service: validates incoming tokens."""
    return {
        'www_authenticate_uri': L.AUTH_URL,
        'auth_url': L.AUTH_URL,
        'auth_type': 'password',
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'service',
        'username': user,
        'password': user,
        'service_token_roles_required': True,
    }


def client_auth(user, region=None, **extra):
    """Credentials a service uses to call another service."""
    conf = {
        'auth_url': L.AUTH_URL,
        'auth_type': 'password',
        'project_domain_name': 'Default',
        'user_domain_name': 'Default',
        'project_name': 'service',
        'username': user,
        'password': user,
    }
    if region:
        conf['region_name'] = region.name
    conf.update(extra)
    return conf


def privsep(lay, conf_file):
    # We run as root without sudo or rootwrap: start privsep daemons directly.
    return {
        'helper_command': '%s --config-file %s'
        % (lay.venv_bin('privsep-helper'), conf_file)
    }


def copy_from_venv(lay, relative, dest):
    """Copy a paste/policy file shipped in the venv's etc/ (data_files)."""
    src = os.path.join(lay.venv, 'etc', relative)
    os.makedirs(os.path.dirname(dest), exist_ok=True)
    shutil.copyfile(src, dest)


def mysql(lay):
    write(
        os.path.join(lay.etc, 'my.cnf'),
        ini(
            {
                'mysqld': {
                    'datadir': os.path.join(lay.data, 'mysql'),
                    'user': 'root',
                    'bind-address': L.HOST,
                    'port': L.MYSQL_PORT,
                    'socket': lay.mysql_sock,
                    'pid-file': os.path.join(lay.run, 'mysqld.pidfile'),
                    'log-error': os.path.join(lay.log, 'mysql.err'),
                    'skip-log-bin': '',
                    'innodb_buffer_pool_size': '128M',
                    'innodb_flush_log_at_trx_commit': 2,
                    'innodb_log_file_size': '32M',
                    'max_connections': 1000,
                    'performance_schema': 'OFF',
                    'character-set-server': 'utf8mb4',
                    'collation-server': 'utf8mb4_general_ci',
                    'skip-name-resolve': '',
                },
                'client': {'socket': lay.mysql_sock, 'port': L.MYSQL_PORT},
            }
        ).replace(' = \n', '\n'),
    )


def rabbit_password_hash(password, salt=b'dvcl'):
    """RabbitMQ's rabbit_password_hashing_sha256 format."""
    digest = hashlib.sha256(salt + password.encode()).digest()
    return base64.b64encode(salt + digest).decode()


def rabbitmq(lay, regions):
    d = os.path.join(lay.etc, 'rabbitmq')
    # one vhost per region; imported at every boot (idempotent)
    write(
        os.path.join(d, 'definitions.json'),
        json.dumps(
            {
                'users': [
                    {
                        'name': 'guest',
                        'password_hash': rabbit_password_hash('guest'),
                        'hashing_algorithm': 'rabbit_password_hashing_sha256',
                        'tags': ['administrator'],
                    }
                ],
                'vhosts': [{'name': r.tag} for r in regions],
                'permissions': [
                    {
                        'user': 'guest',
                        'vhost': r.tag,
                        'configure': '.*',
                        'write': '.*',
                        'read': '.*',
                    }
                    for r in regions
                ],
            },
            indent=2,
        )
        + '\n',
    )
    write(
        os.path.join(d, 'rabbitmq-env.conf'),
        '\n'.join(
            [
                'NODENAME=rabbit@localhost',
                'NODE_IP_ADDRESS=%s' % L.HOST,
                'NODE_PORT=%d' % L.RABBIT_PORT,
                'DIST_PORT=%d' % L.RABBIT_DIST_PORT,
                'MNESIA_BASE=%s'
                % os.path.join(lay.data, 'rabbitmq', 'mnesia'),
                'LOG_BASE=%s' % os.path.join(lay.log, 'rabbitmq'),
                'CONFIG_FILE=%s' % os.path.join(d, 'rabbitmq'),
                'ENABLED_PLUGINS_FILE=%s' % os.path.join(d, 'enabled_plugins'),
                'PID_FILE=%s' % os.path.join(lay.run, 'rabbitmq.pidfile'),
                'SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface '
                '{127,0,0,1}"',
                'CTL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}"',
                '',
            ]
        ),
    )
    write(
        os.path.join(d, 'rabbitmq.conf'),
        '\n'.join(
            [
                'listeners.tcp.default = %s:%d' % (L.HOST, L.RABBIT_PORT),
                'loopback_users = none',
                'default_user = guest',
                'default_pass = guest',
                'disk_free_limit.absolute = 50MB',
                'vm_memory_high_watermark.relative = 0.2',
                'definitions.import_backend = local_filesystem',
                'definitions.local.path = %s'
                % os.path.join(d, 'definitions.json'),
                '',
            ]
        ),
    )
    # no plugins (no management UI): faster start, fewer ports
    write(os.path.join(d, 'enabled_plugins'), '[].\n')


def rabbit_env(lay):
    """Environment for rabbitmq-server, rabbitmqctl and epmd."""
    return {
        'RABBITMQ_CONF_ENV_FILE': os.path.join(
            lay.etc, 'rabbitmq', 'rabbitmq-env.conf'
        ),
        'HOME': os.path.join(lay.data, 'rabbitmq'),  # .erlang.cookie
        'ERL_EPMD_PORT': str(L.EPMD_PORT),
        'ERL_EPMD_ADDRESS': L.HOST,
    }


def keystone(lay):
    d = lay.data
    write(
        os.path.join(lay.etc, 'keystone', 'keystone.conf'),
        ini(
            {
                'DEFAULT': {'log_file': os.path.join(lay.log, 'keystone.log')},
                'database': {
                    # MariaDB, not SQLite: parallel tests write concurrently
                    # ("database is locked" with SQLite)
                    'connection': L.db_url('keystone')
                },
                # bcrypt cost 4, not 12: each authentication ~0.2 s faster
                'identity': {'password_hash_rounds': 4},
                'token': {'provider': 'fernet', 'expiration': 86400},
                'fernet_tokens': {
                    'key_repository': os.path.join(d, 'keystone-fernet-keys')
                },
                'fernet_receipts': {
                    'key_repository': os.path.join(d, 'keystone-fernet-keys')
                },
                'credential': {
                    'key_repository': os.path.join(
                        d, 'keystone-credential-keys'
                    )
                },
            }
        ),
    )


def glance(lay, r):
    d = os.path.join(r.etc, 'glance')
    data = os.path.join(r.data, 'glance')
    write(
        os.path.join(d, 'glance-api.conf'),
        ini(
            {
                'DEFAULT': {
                    'log_file': os.path.join(r.log, 'glance-api.log'),
                    'enabled_backends': 'fs:file',
                    'enabled_import_methods': '[glance-direct,copy-image]',
                },
                'database': {'connection': r.db_url('glance')},
                'glance_store': {'default_backend': 'fs'},
                'fs': {'filesystem_store_datadir': data + '/images/'},
                'os_glance_staging_store': {
                    'filesystem_store_datadir': data + '/staging/'
                },
                'os_glance_tasks_store': {
                    'filesystem_store_datadir': data + '/tasks/'
                },
                'keystone_authtoken': authtoken('glance'),
                'paste_deploy': {'flavor': 'keystone'},
                'oslo_concurrency': {
                    'lock_path': os.path.join(r.data, 'lock')
                },
            }
        ),
    )
    copy_from_venv(
        lay,
        'glance/glance-api-paste.ini',
        os.path.join(d, 'glance-api-paste.ini'),
    )


def neutron(lay, r):
    d = os.path.join(r.etc, 'neutron')
    write(
        os.path.join(d, 'neutron.conf'),
        ini(
            {
                'DEFAULT': {
                    'log_file': os.path.join(r.log, 'neutron-api.log'),
                    'core_plugin': 'ml2',
                    # trunk: devcloud_drivers.trunk serves the ML2 driver
                    'service_plugins': 'router,qos,trunk',
                    'auth_strategy': 'keystone',
                    'allow_overlapping_ips': True,
                    'api_paste_config': os.path.join(d, 'api-paste.ini'),
                    'transport_url': r.transport_url,
                    # no DHCP agent exists: don't try to notify one
                    'dhcp_agent_notification': False,
                    'notify_nova_on_port_status_changes': True,
                    'notify_nova_on_port_data_changes': True,
                },
                'database': {'connection': r.db_url('neutron')},
                'keystone_authtoken': authtoken('neutron'),
                'nova': client_auth('nova', r),
                'oslo_concurrency': {
                    'lock_path': os.path.join(r.data, 'lock')
                },
                'oslo_messaging_notifications': {'driver': 'noop'},
                'oslo_policy': {'policy_file': os.path.join(d, 'policy.yaml')},
            }
        ),
    )
    write(os.path.join(d, 'policy.yaml'), neutron_policy())
    write(
        os.path.join(d, 'plugins', 'ml2', 'ml2_conf.ini'),
        ini(
            {
                'ml2': {
                    'type_drivers': 'flat,vlan,vxlan,local',
                    'tenant_network_types': 'vxlan',
                    # devcloud_drivers.ml2: binds every port, no agent
                    'mechanism_drivers': 'devcloud_agentless',
                    'extension_drivers': 'port_security,qos',
                },
                'ml2_type_flat': {'flat_networks': 'public'},
                'ml2_type_vlan': {'network_vlan_ranges': 'public:100:200'},
                'ml2_type_vxlan': {'vni_ranges': '1:10000'},
                'securitygroup': {
                    'enable_security_group': True,
                    'firewall_driver': 'noop',
                },
            }
        ),
    )
    copy_from_venv(
        lay, 'neutron/api-paste.ini', os.path.join(d, 'api-paste.ini')
    )


#: QoS writes that Neutron leaves to a project's managers (and admins):
#: here project members may make them, as the tenant users of the
#: functional tests hold the member role only.
QOS_WRITES = [
    name % verb
    for verb in ('create', 'update', 'delete')
    for name in ('%s_policy', '%s_policy:tags', '%s_policies_tags')
]
QOS_RULE_WRITES = [
    '%s_policy_%s_rule' % (verb, rule)
    for verb in ('create', 'update', 'delete')
    for rule in (
        'bandwidth_limit',
        'dscp_marking',
        'minimum_bandwidth',
        'minimum_packet_rate',
        'packet_rate_limit',
    )
]


def neutron_policy():
    lines = ['# Generated by tools/devcloud; see configs.QOS_WRITES.']
    for name in QOS_WRITES:
        lines.append(
            '"%s": "rule:admin_only or (role:member and '
            'project_id:%%(project_id)s)"' % name
        )
    for name in QOS_RULE_WRITES:
        lines.append(
            '"%s": "rule:admin_only or (role:member and '
            'rule:ext_parent_owner)"' % name
        )
    return '\n'.join(lines) + '\n'


def placement(lay, r):
    write(
        os.path.join(r.etc, 'placement', 'placement.conf'),
        ini(
            {
                'DEFAULT': {
                    'log_file': os.path.join(r.log, 'placement-api.log')
                },
                'api': {'auth_strategy': 'keystone'},
                'placement_database': {'connection': r.db_url('placement')},
                'keystone_authtoken': authtoken('placement'),
            }
        ),
    )


def barbican(lay, r):
    """Barbican reads ~/barbican.conf (its config is parsed at import,
    without arguments): the service runs with HOME = this directory."""
    d = os.path.join(r.etc, 'barbican')
    # a Fernet key: the simple crypto plugin's key-encryption key
    kek = base64.urlsafe_b64encode(
        hashlib.sha256(('devcloud-barbican-%s' % r.tag).encode()).digest()
    ).decode()
    write(
        os.path.join(d, 'barbican.conf'),
        ini(
            {
                'DEFAULT': {
                    'log_file': os.path.join(r.log, 'barbican-api.log'),
                    'host_href': r.url('barbican'),
                },
                'database': {'connection': r.db_url('barbican')},
                'keystone_authtoken': authtoken('barbican'),
                'oslo_policy': {
                    'enforce_new_defaults': True,
                    'enforce_scope': True,
                },
                'secretstore': {'enabled_secretstore_plugins': 'store_crypto'},
                'crypto': {'enabled_crypto_plugins': 'simple_crypto'},
                'simple_crypto_plugin': {'kek': kek},
            }
        ),
    )
    copy_from_venv(
        lay,
        'barbican/barbican-api-paste.ini',
        os.path.join(d, 'barbican-api-paste.ini'),
    )


def swift(lay, r):
    """Proxy and storage servers of one Swift, one replica on one
    directory; the rings are built once by ``devcloud start``."""
    d = os.path.join(r.etc, 'swift')
    write(
        os.path.join(d, 'swift.conf'),
        ini(
            {
                'swift-hash': {
                    'swift_hash_path_suffix': 'devcloud-%s' % r.tag,
                    'swift_hash_path_prefix': 'devcloud',
                },
                'storage-policy:0': {'name': 'Policy-0', 'default': 'yes'},
                'swift-constraints': {},
            }
        ),
    )
    common = {
        'bind_ip': L.HOST,
        'workers': 0,  # one process, no forks
        'swift_dir': d,
        'devices': r.swift_devices,
        'mount_check': False,
        'log_name': 'swift-%s' % r.tag,
    }
    for server in L.SWIFT_SERVERS:
        write(
            os.path.join(d, '%s-server.conf' % server),
            ini(
                {
                    'DEFAULT': dict(
                        common, bind_port=r.port('swift-' + server)
                    ),
                    'pipeline:main': {'pipeline': '%s-server' % server},
                    'app:%s-server' % server: {'use': 'egg:swift#%s' % server},
                    # no replicators, auditors or updaters run
                    '%s-replicator' % server: {},
                    '%s-auditor' % server: {},
                    '%s-updater' % server: {},
                }
            ),
        )
    auth = authtoken('swift')
    auth.update(
        {
            'paste.filter_factory': 'keystonemiddleware.auth_token:'
            'filter_factory',
            'delay_auth_decision': True,
        }
    )
    write(
        os.path.join(d, 'proxy-server.conf'),
        ini(
            {
                'DEFAULT': {
                    'bind_ip': L.HOST,
                    'bind_port': r.port('swift-proxy'),
                    'workers': 0,
                    'swift_dir': d,
                    'log_name': 'swift-proxy-%s' % r.tag,
                },
                'pipeline:main': {
                    'pipeline': 'catch_errors gatekeeper healthcheck '
                    'proxy-logging cache listing_formats bulk authtoken '
                    'keystoneauth copy slo dlo versioned_writes symlink '
                    'proxy-logging proxy-server'
                },
                'app:proxy-server': {
                    'use': 'egg:swift#proxy',
                    'account_autocreate': True,
                },
                # one memcached per region: the regions share keystone, so
                # their account names (and cache keys) are the same
                'filter:cache': {
                    'use': 'egg:swift#memcache',
                    'memcache_servers': '%s:%d'
                    % (L.HOST, r.port('swift-memcached')),
                },
                'filter:authtoken': auth,
                'filter:keystoneauth': {
                    'use': 'egg:swift#keystoneauth',
                    'operator_roles': 'admin, member',
                },
                'filter:catch_errors': {'use': 'egg:swift#catch_errors'},
                'filter:gatekeeper': {'use': 'egg:swift#gatekeeper'},
                'filter:healthcheck': {'use': 'egg:swift#healthcheck'},
                'filter:proxy-logging': {'use': 'egg:swift#proxy_logging'},
                'filter:listing_formats': {'use': 'egg:swift#listing_formats'},
                'filter:bulk': {'use': 'egg:swift#bulk'},
                'filter:copy': {'use': 'egg:swift#copy'},
                'filter:slo': {'use': 'egg:swift#slo'},
                'filter:dlo': {'use': 'egg:swift#dlo'},
                'filter:versioned_writes': {
                    'use': 'egg:swift#versioned_writes',
                    'allow_versioned_writes': True,
                    'allow_object_versioning': True,
                },
                'filter:symlink': {'use': 'egg:swift#symlink'},
            }
        ),
    )


def octavia(lay, r):
    """Octavia's API and worker with the no-op amphora, compute, network,
    volume and image drivers: the real API, database and flows, and no
    amphora (a VIP keeps the address asked for, else 198.51.100.1)."""
    write(
        os.path.join(r.etc, 'octavia', 'octavia.conf'),
        ini(
            {
                'DEFAULT': {
                    'transport_url': r.transport_url,
                    'log_file': os.path.join(r.log, 'octavia.log'),
                },
                'api_settings': {
                    'auth_strategy': 'keystone',
                    'enabled_provider_drivers': 'amphora:The Octavia '
                    'Amphora driver (no-op drivers behind it)',
                    'default_provider_driver': 'amphora',
                },
                'database': {'connection': r.db_url('octavia')},
                'keystone_authtoken': authtoken('octavia'),
                'service_auth': client_auth('octavia', r),
                'oslo_policy': {
                    'enforce_new_defaults': True,
                    'enforce_scope': True,
                },
                'controller_worker': {
                    'workers': 1,
                    'amphora_driver': 'amphora_noop_driver',
                    'compute_driver': 'compute_noop_driver',
                    'network_driver': 'network_noop_driver',
                    'volume_driver': 'volume_noop_driver',
                    'image_driver': 'image_noop_driver',
                    'loadbalancer_topology': 'SINGLE',
                    'client_ca': os.path.join(lay.octavia_ca, 'ca.pem'),
                },
                'task_flow': {'jobboard_enabled': False},
                # the worker signs (no-op) amphorae's certificates: a CA
                # made once by devcloud start (Starter.octavia_ca)
                'certificates': {
                    'region_name': r.name,
                    'ca_certificate': os.path.join(lay.octavia_ca, 'ca.pem'),
                    'ca_private_key': os.path.join(lay.octavia_ca, 'ca.key'),
                },
                'oslo_concurrency': {
                    'lock_path': os.path.join(r.data, 'lock')
                },
            }
        ),
    )


def bind(r):
    """bind9 of one region: the DNS server of Designate's pool.  Zones
    come and go by rndc (addzone/delzone) and are transferred from mdns."""
    d = os.path.join(r.etc, 'bind')
    data = os.path.join(r.data, 'bind')
    secret = base64.b64encode(
        hashlib.sha256(('devcloud-rndc-%s' % r.tag).encode()).digest()
    ).decode()
    key = (
        'key "devcloud" {\n'
        '    algorithm hmac-sha256;\n'
        '    secret "%s";\n'
        '};\n' % secret
    )
    values = {
        'host': L.HOST,
        'rndc': r.port('rndc'),
        'dns': r.port('dns'),
        'data': data,
    }
    write(
        os.path.join(d, 'named.conf'),
        key + 'controls {\n'
        '    inet %(host)s port %(rndc)d allow { %(host)s; } '
        'keys { "devcloud"; };\n'
        '};\n'
        'options {\n'
        '    directory "%(data)s";\n'
        '    pid-file "%(data)s/named.pid";\n'
        '    session-keyfile "%(data)s/session.key";\n'
        '    listen-on port %(dns)d { %(host)s; };\n'
        '    listen-on-v6 { none; };\n'
        '    allow-new-zones yes;\n'
        '    allow-query { any; };\n'
        '    recursion no;\n'
        '    dnssec-validation no;\n'
        '    notify no;\n'
        '};\n' % values,
    )
    write(
        os.path.join(d, 'rndc.conf'),
        key + 'options {\n'
        '    default-key "devcloud";\n'
        '    default-server %(host)s;\n'
        '    default-port %(rndc)d;\n'
        '};\n' % values,
    )


def designate(lay, r):
    """Designate's API, central, worker and mdns, with one pool: bind9
    (see bind) as its DNS server and target, mdns as its primary."""
    d = os.path.join(r.etc, 'designate')
    mdns = r.port('designate-mdns')
    one = {'workers': 1}
    write(
        os.path.join(d, 'designate.conf'),
        ini(
            {
                'DEFAULT': {
                    'transport_url': r.transport_url,
                    'log_file': os.path.join(r.log, 'designate-api.log'),
                },
                'storage:sqlalchemy': {'connection': r.db_url('designate')},
                'keystone_authtoken': authtoken('designate'),
                'oslo_policy': {
                    'enforce_new_defaults': True,
                    'enforce_scope': True,
                },
                'service:api': {
                    'auth_strategy': 'keystone',
                    'api_base_uri': r.url('designate'),
                    'enable_api_v2': True,
                    'enable_api_admin': True,
                },
                'service:central': one,
                'service:mdns': dict(one, listen='%s:%d' % (L.HOST, mdns)),
                # bind9 answers at once: polls of a few seconds in all, so
                # that a zone left PENDING is stale (and recovered) soon
                'service:worker': dict(
                    one,
                    poll_delay=0,
                    poll_timeout=2,
                    poll_retry_interval=1,
                    poll_max_retries=5,
                ),
                'service:producer': one,
                # A record set change bumps the zone's serial in the
                # producer's next run, which then asks the worker to update
                # the zone with the serial of before (designate 23), so the
                # zone stays PENDING until the recovery task sends it again
                'producer_task:increment_serial': {'interval': 1},
                'producer_task:delayed_notify': {'interval': 1},
                'producer_task:worker_periodic_recovery': {'interval': 2},
                'oslo_concurrency': {
                    'lock_path': os.path.join(r.data, 'lock')
                },
            }
        ),
    )
    copy_from_venv(
        lay, 'designate/api-paste.ini', os.path.join(d, 'api-paste.ini')
    )
    values = {
        'tag': r.tag,
        'host': L.HOST,
        'mdns': mdns,
        'dns': r.port('dns'),
        'rndc': r.port('rndc'),
        'rndc_conf': os.path.join(r.etc, 'bind', 'rndc.conf'),
    }
    write(
        os.path.join(d, 'pools.yaml'),
        '- name: default\n'
        '  description: devcloud %(tag)s (bind9 on port %(dns)d)\n'
        '  attributes: {}\n'
        '  ns_records:\n'
        '    - hostname: ns1.devcloud-%(tag)s.test.\n'
        '      priority: 1\n'
        '  nameservers:\n'
        '    - host: %(host)s\n'
        '      port: %(dns)d\n'
        '  targets:\n'
        '    - type: bind9\n'
        '      description: bind9 of devcloud %(tag)s\n'
        '      masters:\n'
        '        - host: %(host)s\n'
        '          port: %(mdns)d\n'
        '      options:\n'
        '        host: %(host)s\n'
        '        port: %(dns)d\n'
        '        rndc_host: %(host)s\n'
        '        rndc_port: %(rndc)d\n'
        '        rndc_config_file: %(rndc_conf)s\n'
        '        clean_zonefile: true\n' % values,
    )


#: Manila's backends: the dummy driver of manila's tests, which makes
#: shares "available" without storage and invents their export locations,
#: and ``ganesha``, whose shares are directories served over NFSv4 by the
#: region's NFS-Ganesha (devcloud_drivers.manila_ganesha).
#: dhss: driver_handles_share_servers (a share network is then required,
#: and its share servers get their ports from neutron).
MANILA_BACKENDS = {'dummy1': False, 'dummy2': True, 'ganesha': False}


def ganesha(r):
    """The region's NFS-Ganesha: its configuration, and an empty list of
    exports until Manila's share service writes it."""
    write(
        r.ganesha_conf,
        GANESHA.server_conf(r.ganesha_address, r.ganesha_exports),
    )
    if not os.path.exists(r.ganesha_exports):
        write(r.ganesha_exports, '')
    os.makedirs(os.path.dirname(r.ganesha_pid), exist_ok=True)
    os.makedirs(r.manila_shares, exist_ok=True)


def ganesha_backend(r):
    """The manila.conf section of the ganesha backend."""
    return {
        'share_backend_name': 'GANESHA',
        'share_driver': 'devcloud_drivers.manila_ganesha.GaneshaDriver',
        'driver_handles_share_servers': False,
        'ganesha_shares_dir': r.manila_shares,
        'ganesha_exports_file': r.ganesha_exports,
        'ganesha_pid_file': r.ganesha_pid,
        'ganesha_address': r.ganesha_address,
    }


def manila(lay, r):
    """Manila's API, scheduler and share service (dummy and ganesha
    backends)."""
    d = os.path.join(r.etc, 'manila')
    conf = {
        'DEFAULT': {
            'transport_url': r.transport_url,
            'log_file': os.path.join(r.log, 'manila-api.log'),
            'auth_strategy': 'keystone',
            'api_paste_config': os.path.join(d, 'api-paste.ini'),
            'state_path': os.path.join(r.data, 'manila'),
            'host': r.share_host,
            'my_ip': L.HOST,
            'enabled_share_protocols': 'NFS,CIFS',
            'enabled_share_backends': ','.join(MANILA_BACKENDS),
            'default_share_type': 'default',
        },
        'database': {'connection': r.db_url('manila')},
        'keystone_authtoken': authtoken('manila'),
        'oslo_policy': {'enforce_new_defaults': True, 'enforce_scope': True},
        'oslo_concurrency': {'lock_path': os.path.join(r.data, 'lock')},
        'oslo_messaging_notifications': {'driver': 'noop'},
        # share servers' ports (dhss backends) and network checks
        'neutron': client_auth('manila', r),
        'nova': client_auth('manila', r),
        'cinder': client_auth('manila', r),
        'glance': client_auth('manila', r),
    }
    for name, dhss in MANILA_BACKENDS.items():
        if name == 'ganesha':
            conf[name] = ganesha_backend(r)
            continue
        conf[name] = {
            'share_backend_name': name.upper(),
            'share_driver': 'manila.tests.share.drivers.dummy.DummyDriver',
            'driver_handles_share_servers': dhss,
            # no artificial delays (seconds per driver call by default)
            'dummy_driver_default_driver_method_delay': 0,
            'dummy_driver_driver_methods_delays': '',
        }
        if dhss:
            # a share server has ports on the share network's subnet
            # (neutron) and one on an "admin network", here addresses of
            # a range that exists nowhere (the standalone plugin)
            conf[name]['admin_network_config_group'] = name + '_admin'
            # the share server (and its ports) goes with its last share
            conf[name]['delete_share_server_with_last_share'] = True
            conf[name + '_admin'] = {
                'network_api_class': 'manila.network.'
                'standalone_network_plugin.StandaloneNetworkPlugin',
                'standalone_network_plugin_gateway': '198.18.%d.1' % r.index,
                'standalone_network_plugin_mask': 24,
                'standalone_network_plugin_allowed_ip_ranges': (
                    '198.18.%d.10-198.18.%d.250' % (r.index, r.index)
                ),
                'network_plugin_ipv4_enabled': True,
            }
    write(os.path.join(d, 'manila.conf'), ini(conf))
    copy_from_venv(
        lay, 'manila/api-paste.ini', os.path.join(d, 'api-paste.ini')
    )


def nova(lay, r):
    d = os.path.join(r.etc, 'nova')
    conf_file = os.path.join(d, 'nova.conf')
    state = os.path.join(r.data, 'nova')
    write(
        conf_file,
        ini(
            {
                'DEFAULT': {
                    'transport_url': r.transport_url,
                    # devcloud_drivers.nova_fake via devcloud-nova-compute
                    'compute_driver': 'devcloud_fake.DevcloudFakeDriver',
                    'host': r.compute_host,
                    'my_ip': L.HOST,
                    'state_path': state,
                    'instances_path': os.path.join(state, 'instances'),
                },
                'api': {'auth_strategy': 'keystone'},
                'wsgi': {'api_paste_config': os.path.join(d, 'api-paste.ini')},
                'api_database': {'connection': r.db_url('nova_api')},
                'database': {'connection': r.db_url('nova')},
                'keystone_authtoken': authtoken('nova'),
                'service_user': client_auth(
                    'nova', send_service_user_token=True
                ),
                'placement': client_auth('placement', r),
                'neutron': client_auth('neutron', r),
                'glance': {'region_name': r.name},
                'cinder': client_auth('cinder', os_region_name=r.name),
                'scheduler': {
                    'discover_hosts_in_cells_interval': 10,
                    'workers': 1,
                },
                'conductor': {'workers': 1},
                'vnc': {'enabled': False},
                'oslo_concurrency': {
                    'lock_path': os.path.join(r.data, 'lock')
                },
                'oslo_messaging_notifications': {'driver': 'noop'},
                'nova_sys_admin': privsep(lay, conf_file),
                'privsep_osbrick': privsep(lay, conf_file),
            }
        ),
    )
    write(
        os.path.join(d, 'nova-api.conf'),
        ini({'DEFAULT': {'log_file': os.path.join(r.log, 'nova-api.log')}}),
    )
    copy_from_venv(lay, 'nova/api-paste.ini', os.path.join(d, 'api-paste.ini'))


def cinder(lay, r):
    d = os.path.join(r.etc, 'cinder')
    conf_file = os.path.join(d, 'cinder.conf')
    base = os.path.join(r.data, 'cinder')
    write(
        conf_file,
        ini(
            {
                'DEFAULT': {
                    'transport_url': r.transport_url,
                    'auth_strategy': 'keystone',
                    'api_paste_config': os.path.join(d, 'api-paste.ini'),
                    'resource_query_filters_file': os.path.join(
                        d, 'resource_filters.json'
                    ),
                    'state_path': os.path.join(base, 'state'),
                    'image_conversion_dir': os.path.join(base, 'conversion'),
                    'host': r.volume_host,
                    'my_ip': L.HOST,
                    'enabled_backends': 'nfs1',
                    'default_volume_type': 'nfs',
                    'glance_api_servers': r.url('glance'),
                },
                'database': {'connection': r.db_url('cinder')},
                'keystone_authtoken': authtoken('cinder'),
                'service_user': client_auth(
                    'cinder', send_service_user_token=True
                ),
                'nova': client_auth('nova', r, interface='public'),
                'oslo_concurrency': {
                    'lock_path': os.path.join(r.data, 'lock')
                },
                'oslo_messaging_notifications': {'driver': 'noop'},
                'cinder_sys_admin': privsep(lay, conf_file),
                'privsep_osbrick': privsep(lay, conf_file),
                'nfs1': {
                    'volume_backend_name': 'nfs1',
                    'volume_driver': 'devcloud_drivers.cinder_nfs.NfsDriver',
                    # The "NFS share" is a bind mount of
                    # data/rN/cinder/nfs-export on the mount point os-brick
                    # expects (see devcloud start): volumes are plain sparse
                    # files that tests can read and write.
                    'nfs_shares_config': os.path.join(d, 'nfs_shares'),
                    'nfs_mount_point_base': os.path.join(base, 'mnt'),
                    'nfs_sparsed_volumes': True,
                    'nfs_qcow2_volumes': False,
                    'nfs_snapshot_support': True,
                    'nas_secure_file_operations': False,
                    'nas_secure_file_permissions': False,
                    'target_helper': 'fake',
                },
            }
        ),
    )
    write(
        os.path.join(d, 'cinder-api.conf'),
        ini({'DEFAULT': {'log_file': os.path.join(r.log, 'cinder-api.log')}}),
    )
    write(os.path.join(d, 'nfs_shares'), r.nfs_share + '\n')
    copy_from_venv(
        lay, 'cinder/api-paste.ini', os.path.join(d, 'api-paste.ini')
    )
    copy_from_venv(
        lay,
        'cinder/resource_filters.json',
        os.path.join(d, 'resource_filters.json'),
    )


def clouds_yaml(lay):
    def cloud(user, project, region):
        return '\n'.join(
            [
                '    auth:',
                '      auth_url: %s' % L.AUTH_URL,
                '      username: %s' % user,
                '      password: %s' % user,
                '      project_name: %s' % project,
                '      user_domain_name: Default',
                '      project_domain_name: Default',
                '    region_name: %s' % region,
                '    identity_api_version: 3',
                '    interface: public',
            ]
        )

    entries = [
        ('src', 'src', 'src', 'RegionOne'),
        ('dst', 'dst', 'dst', 'RegionTwo'),
        ('dst-local', 'dst', 'dst', 'RegionOne'),
        ('src-admin', 'admin', 'admin', 'RegionOne'),
        ('dst-admin', 'admin', 'admin', 'RegionTwo'),
    ]
    text = [
        '# Generated by tools/devcloud/devcloud start; do not edit.',
        'clouds:',
    ]
    for name, user, project, region in entries:
        text.append('  %s:' % name)
        text.append(cloud(user, project, region))
    write(lay.clouds_yaml, '\n'.join(text) + '\n')


def generate(lay, regions):
    for sub in ('etc', 'data', 'log', 'run'):
        os.makedirs(os.path.join(lay.home, sub), exist_ok=True)
    mysql(lay)
    rabbitmq(lay, lay.regions(2))
    keystone(lay)
    for r in regions:
        for sub in (
            'glance/images',
            'glance/staging',
            'glance/tasks',
            'nova/instances',
            'cinder/state',
            'cinder/conversion',
            'cinder/nfs-export',
            'manila',
            'lock',
        ):
            os.makedirs(os.path.join(r.data, sub), exist_ok=True)
        os.makedirs(r.nfs_mount, exist_ok=True)
        os.makedirs(r.log, exist_ok=True)
        glance(lay, r)
        neutron(lay, r)
        placement(lay, r)
        nova(lay, r)
        cinder(lay, r)
        barbican(lay, r)
        swift(lay, r)
        octavia(lay, r)
        bind(r)
        designate(lay, r)
        ganesha(r)
        manila(lay, r)
    clouds_yaml(lay)
