# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Seed the development cloud (idempotent).  Run with the devcloud venv:

    venv/bin/python tools/devcloud/seed.py --home H --regions N identity
    venv/bin/python tools/devcloud/seed.py --home H --regions N cloud

``identity``: projects, users, roles, services and endpoints in keystone.
``cloud`` (per region): waits for nova-compute and cinder-volume, maps the
compute host to its cell, then creates flavors, the default volume type, the
external network ``public``, the images ``devcloud-image`` and
``devcloud-loopback`` (servers booted from it are loopback hosts, see
devcloud_drivers/loopback.py), Manila's share types ``default`` and
``dhss``, and raises the quotas of ``src`` and ``dst``.  Everything is
find-or-create.
"""

import argparse
import concurrent.futures
import datetime
import os
import subprocess
import sys
import time

import openstack

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from devcloudlib import layout as L  # noqa: E402

openstack.enable_logging(debug=False)

TENANTS = ('src', 'dst')
#: the seeded domain besides Default, with a project and user of its name
OTHER_DOMAIN = 'example'
IMAGE_NAME = 'devcloud-image'
LOOPBACK_IMAGE_NAME = 'devcloud-loopback'
# read by devcloud_drivers.loopback (nova system metadata image_*)
LOOPBACK_PROPERTIES = {
    'devcloud_loopback_host': 'true',
    'devcloud_loopback_user': 'cloud-user',
    'os_distro': 'debian',
}
VOLUME_TYPE = 'nfs'
FLAVORS = {
    'm1.tiny': dict(ram=512, vcpus=1, disk=1),
    'm1.small': dict(ram=2048, vcpus=1, disk=20),
}
QUOTAS_COMPUTE = dict(
    instances=1000,
    cores=4000,
    ram=4096000,
    server_groups=1000,
    server_group_members=1000,
    key_pairs=1000,
    metadata_items=1000,
)
QUOTAS_NETWORK = dict(
    networks=1000,
    subnets=1000,
    ports=5000,
    routers=1000,
    floating_ips=1000,
    security_groups=1000,
    security_group_rules=10000,
    rbac_policies=1000,
    subnet_pools=1000,
)
QUOTAS_VOLUME = dict(
    volumes=1000,
    gigabytes=100000,
    snapshots=1000,
    backups=1000,
    backup_gigabytes=100000,
    per_volume_gigabytes=-1,
    groups=1000,
)

QUOTAS_SHARE = dict(
    shares=1000,
    gigabytes=100000,
    snapshots=1000,
    snapshot_gigabytes=100000,
    share_networks=1000,
    share_groups=1000,
    share_group_snapshots=1000,
    share_replicas=1000,
    replica_gigabytes=100000,
)
#: Manila's share types -> the backend (configs.MANILA_BACKENDS) they
#: select; ``default`` is manila.conf's default_share_type.
SHARE_TYPES = {
    'default': ('DUMMY1', False),
    'dhss': ('DUMMY2', True),  # shares need a share network
    'nfs': ('GANESHA', False),  # files served over NFSv4
}
#: the share API's microversion (Manila 23 knows 2.89)
MANILA_MICROVERSION = '2.65'


def log(msg):
    print('%s %s' % (time.strftime('%H:%M:%S'), msg), flush=True)


def admin_conn(region):
    return openstack.connect(
        auth_url=L.AUTH_URL,
        username='admin',
        password='admin',  # noqa: S106 - loopback test cloud
        project_name='admin',
        user_domain_name='Default',
        project_domain_name='Default',
        region_name=region,
        identity_api_version='3',
        interface='public',
        # our uWSGI servers close every connection: retry on resets
        connect_retries=3,
    )


def wait_for(what, fn, timeout=300, interval=1.0):
    deadline = time.monotonic() + timeout
    last = None
    while time.monotonic() < deadline:
        try:
            if fn():
                return
        except Exception as e:  # noqa: B902 - services still coming up
            last = e
        time.sleep(interval)
    raise SystemExit(
        'timed out after %ds waiting for %s (%s)' % (timeout, what, last)
    )


# --------------------------------------------------------------------------
# identity
# --------------------------------------------------------------------------


def seed_identity(regions, groups):
    conn = admin_conn('RegionOne')
    ident = conn.identity
    domain = ident.find_domain('default') or ident.find_domain('Default')

    def role(name):
        return ident.find_role(name) or ident.create_role(name=name)

    def project(name, description):
        return ident.find_project(
            name, domain_id=domain.id
        ) or ident.create_project(
            name=name, domain_id=domain.id, description=description
        )

    def user(name, proj):
        return ident.find_user(name, domain_id=domain.id) or ident.create_user(
            name=name,
            password=name,
            domain_id=domain.id,
            default_project_id=proj.id,
        )

    roles = {n: role(n) for n in ('admin', 'member', 'reader', 'service')}
    service_project = project('service', 'devcloud service users')
    for name in TENANTS:
        proj = project(name, 'devcloud tenant %s' % name)
        u = user(name, proj)
        for r in ('member', 'reader'):
            ident.assign_project_role_to_user(proj, u, roles[r])
    # a second domain, so that domain references have something to name
    other = ident.find_domain(OTHER_DOMAIN) or ident.create_domain(
        name=OTHER_DOMAIN, description='devcloud: a domain besides Default'
    )
    proj = ident.find_project(
        OTHER_DOMAIN, domain_id=other.id
    ) or ident.create_project(
        name=OTHER_DOMAIN,
        domain_id=other.id,
        description='devcloud tenant of domain %s' % OTHER_DOMAIN,
    )
    u = ident.find_user(OTHER_DOMAIN, domain_id=other.id) or ident.create_user(
        name=OTHER_DOMAIN,
        password=OTHER_DOMAIN,
        domain_id=other.id,
        default_project_id=proj.id,
    )
    ident.assign_project_role_to_user(proj, u, roles['member'])
    for name in L.SERVICE_USERS:
        u = user(name, service_project)
        for r in ('admin', 'service'):
            ident.assign_project_role_to_user(service_project, u, roles[r])

    existing_regions = {r.id for r in ident.regions()}
    services = {s.name: s for s in ident.services()}
    endpoints = {
        (e.service_id, e.interface, e.region_id) for e in ident.endpoints()
    }
    for region in regions:
        if region.name not in existing_regions:
            ident.create_region(id=region.name)
        # identity endpoints in every region, so clients scoped to
        # RegionTwo find keystone too
        wanted = [('keystone', 'identity', L.AUTH_URL)] + region.endpoints(
            groups
        )
        for sname, stype, url in wanted:
            svc = services.get(sname)
            if svc is None:
                svc = ident.create_service(
                    name=sname, type=stype, enabled=True
                )
                services[sname] = svc
            for iface in ('public', 'internal'):
                if (svc.id, iface, region.name) not in endpoints:
                    ident.create_endpoint(
                        service_id=svc.id,
                        interface=iface,
                        url=url,
                        region_id=region.name,
                    )
                    endpoints.add((svc.id, iface, region.name))
    # the optional services devcloud does not run leave the catalog, so
    # that clients see a cloud without them
    for sname in L.catalog_left_out(groups) & set(services):
        for e in ident.endpoints(service_id=services[sname].id):
            ident.delete_endpoint(e)
        ident.delete_service(services[sname])
    log('identity seeded')


# --------------------------------------------------------------------------
# per region content
# --------------------------------------------------------------------------


def service_up(services, binary, since):
    """A service record that is up, enabled and reported since ``since``.

    Right after a restart the record of the previous process still looks
    "up" for a minute: only a report newer than ``since`` proves the new
    process is alive.
    """
    for s in services:
        if s.binary != binary or s.state != 'up' or s.status != 'enabled':
            continue
        updated = datetime.datetime.fromisoformat(
            s.updated_at.replace('Z', '')
        ).replace(tzinfo=datetime.UTC)
        if updated.timestamp() >= since:
            return True
    return False


def seed_region(home, region, since, groups):
    conn = admin_conn(region.name)
    tag = region.name

    wait_for(
        '%s nova-compute' % tag,
        lambda: (
            service_up(conn.compute.services(), 'nova-compute', since)
            and list(conn.compute.hypervisors())
        ),
    )
    stamp = os.path.join(home, 'data', '.done-%s-discover-hosts' % region.tag)
    if not os.path.exists(stamp):
        # map the compute host to cell1 (once: the mapping is in the DB)
        venv_bin = os.path.dirname(sys.executable)
        subprocess.run(
            [
                os.path.join(venv_bin, 'nova-manage'),
                '--config-file',
                os.path.join(region.etc, 'nova', 'nova.conf'),
                'cell_v2',
                'discover_hosts',
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        open(stamp, 'w').close()
    wait_for(
        '%s cinder-volume' % tag,
        lambda: service_up(
            conn.block_storage.services(), 'cinder-volume', since
        ),
    )

    if 'manila' in groups:
        seed_shares(conn, region, since)

    for name, spec in FLAVORS.items():
        if not conn.compute.find_flavor(name):
            conn.compute.create_flavor(name=name, is_public=True, **spec)

    vt = conn.block_storage.find_type(VOLUME_TYPE)
    if not vt:
        conn.block_storage.create_type(
            name=VOLUME_TYPE,
            is_public=True,
            extra_specs={'volume_backend_name': 'nfs1'},
        )

    net = conn.network.find_network('public')
    if not net:
        net = conn.network.create_network(
            name='public',
            is_router_external=True,
            is_shared=True,
            provider_network_type='flat',
            provider_physical_network='public',
        )
    if not conn.network.find_subnet('public-subnet', network_id=net.id):
        cidr = region.public_cidr
        prefix = cidr.rsplit('.', 1)[0]
        conn.network.create_subnet(
            name='public-subnet',
            network_id=net.id,
            ip_version=4,
            cidr=cidr,
            gateway_ip=prefix + '.1',
            enable_dhcp=False,
            allocation_pools=[
                {'start': prefix + '.10', 'end': prefix + '.250'}
            ],
        )

    for name, filename, props in (
        (IMAGE_NAME, 'devcloud-image.qcow2', {}),
        (LOOPBACK_IMAGE_NAME, 'devcloud-loopback.qcow2', LOOPBACK_PROPERTIES),
    ):
        image = conn.image.find_image(name)
        if image and image.status != 'active':
            conn.image.delete_image(image)  # a crashed earlier upload
            image = None
        if not image:
            conn.image.create_image(
                name=name,
                filename=os.path.join(home, 'data', filename),
                disk_format='qcow2',
                container_format='bare',
                visibility='public',
                meta=props,
                wait=True,
                timeout=120,
            )

    for name in TENANTS:
        proj = conn.identity.find_project(name, domain_id='default')
        conn.compute.update_quota_set(proj.id, **QUOTAS_COMPUTE)
        conn.network.update_quota(proj.id, **QUOTAS_NETWORK)
        conn.block_storage.update_quota_set(proj.id, **QUOTAS_VOLUME)
        if 'manila' in groups:
            conn.shared_file_system.put(
                '/quota-sets/%s' % proj.id,
                json={'quota_set': QUOTAS_SHARE},
                microversion=MANILA_MICROVERSION,
            ).raise_for_status()
    log('%s seeded' % tag)


def seed_shares(conn, region, since):
    """Manila: wait for both share backends, then the share types."""
    sfs = conn.shared_file_system
    mv = MANILA_MICROVERSION

    def get(path, key):
        resp = sfs.get(path, microversion=mv)
        resp.raise_for_status()
        return resp.json()[key]

    def shares_up():
        hosts = {
            s['host'].split('@')[-1]
            for s in get('/services', 'services')
            if s['binary'] == 'manila-share'
            and s['state'] == 'up'
            and s['status'] == 'enabled'
            and datetime.datetime.fromisoformat(s['updated_at'])
            .replace(tzinfo=datetime.UTC)
            .timestamp()
            >= since
        }
        return {b.lower() for b, _dhss in SHARE_TYPES.values()} <= hosts

    wait_for('%s manila-share' % region.name, shares_up)
    have = {t['name'] for t in get('/types?is_public=all', 'share_types')}
    for name, (backend, dhss) in SHARE_TYPES.items():
        if name in have:
            continue
        sfs.post(
            '/types',
            json={
                'share_type': {
                    'name': name,
                    'share_type_access:is_public': True,
                    'extra_specs': {
                        'driver_handles_share_servers': dhss,
                        'share_backend_name': backend,
                    },
                }
            },
            microversion=mv,
        ).raise_for_status()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument('--home', required=True)
    parser.add_argument('--regions', type=int, default=2)
    parser.add_argument(
        '--since',
        type=float,
        default=0,
        help='services must have reported after this time',
    )
    parser.add_argument(
        '--services',
        default='all',
        help='the optional services that run (see devcloud start)',
    )
    parser.add_argument('phase', choices=('identity', 'cloud'))
    args = parser.parse_args()
    regions = [L.Region(args.home, i) for i in range(1, args.regions + 1)]
    groups = (
        tuple(L.OPTIONAL)
        if args.services == 'all'
        else tuple(g for g in args.services.split(',') if g in L.OPTIONAL)
    )
    if args.phase == 'identity':
        seed_identity(regions, groups)
        return
    with concurrent.futures.ThreadPoolExecutor(len(regions)) as pool:
        for f in [
            pool.submit(seed_region, args.home, r, args.since, groups)
            for r in regions
        ]:
            f.result()


if __name__ == '__main__':
    main()
