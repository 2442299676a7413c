"""Seed a small application tenant for tools/demo (idempotent).

In the source project: networks demo-app and demo-db with their subnets,
router demo-router (gateway on public, interface on demo-app), security
group demo-web (https in), keypair demo-key and two running servers:

- demo-web, booted from the image devcloud-image, fixed IP 10.61.1.50 on
  demo-app, a floating IP, security group demo-web, keypair demo-key and
  the 1 GiB data volume demo-web-data;
- demo-db, booted from the 1 GiB volume demo-db-boot, on demo-db.

Both volumes hold known bytes (see ``known_chunks``), written into their
backing files.  Each side also gets a network for the conversion hosts,
osmigrate-conv-demo, which the demo does not migrate.

With ``--clean-dst``, first deletes what an earlier demo made in the
destination (demo-* servers, floating IPs, ports, volumes, routers,
networks, security groups, keypairs) and conversion hosts an interrupted
demo left in either cloud, so that every run migrates into a clean
destination.

    tools/demo-seed.py [--src src] [--dst dst] [--clean-dst]
"""

import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile

import openstack

from osmigrateclient import datadir

sys.path.insert(0, os.path.join(os.path.dirname(__file__), 'bench'))
from blockcopy import backing_file  # noqa: E402

MiB = 1024 * 1024
PREFIX = 'demo-'
#: --name of "conversion host deploy" (servers <name>-src, <name>-dst);
#: the conversion hosts' prefix keeps them out of the workload export
CONV = datadir.CONVERSION_HOST_PREFIX + 'demo'
#: the conversion hosts are real (loopback hosts on one flat bridge), so
#: their ranges must differ between the regions and from the tests'
CONV_CIDRS = {'src': '10.61.91.0/24', 'dst': '10.61.92.0/24'}
WEB_IP = '10.61.1.50'
IMAGE, FLAVOR, VOLUME_TYPE, PUBLIC = (
    'devcloud-image',
    'm1.tiny',
    'nfs',
    'public',
)
WAIT = 600
#: volume -> offsets of its known 1 MiB chunks
KNOWN = {
    'demo-web-data': (0, 100 * MiB, 600 * MiB, 1023 * MiB),
    'demo-db-boot': (200 * MiB, 700 * MiB),
}


def say(text):
    print(text, flush=True)


def known_chunks(volume_name):
    """{offset: bytes} the seed writes into ``volume_name``, the same on
    every run (so that the check can recompute them)."""
    return {
        o: hashlib.shake_256(b'%s@%d' % (volume_name.encode(), o)).digest(MiB)
        for o in KNOWN[volume_name]
    }


def active_file(region, volume_id):
    """The file holding a volume's bytes now: cinder's NFS driver moves
    them into a qcow2 chain when an attached volume is snapshotted."""
    path = backing_file(region, volume_id)
    try:
        with open(path + '.info') as f:
            active = json.load(f).get('active')
    except FileNotFoundError:
        return path
    return os.path.join(os.path.dirname(path), active) if active else path


def write_known(volume):
    """Write the known chunks into the volume's raw file, where missing."""
    path = backing_file('r1', volume.id)
    if active_file('r1', volume.id) != path:
        return  # qcow2 since an earlier migration snapshotted it: kept
    with open(path, 'r+b') as f:
        for offset, data in known_chunks(volume.name).items():
            f.seek(offset)
            if f.read(len(data)) != data:
                f.seek(offset)
                f.write(data)
        os.fsync(f.fileno())


def ensure(find, create, name, **attrs):
    found = find(name, ignore_missing=True)
    return found if found is not None else create(name=name, **attrs)


def wait_volume(conn, volume, status):
    return conn.block_storage.wait_for_status(
        volume, status, failures=['error'], wait=WAIT
    )


def ensure_volume(conn, name, **attrs):
    block = conn.block_storage
    volume = block.find_volume(name, ignore_missing=True)
    if volume is None:
        volume = block.create_volume(
            name=name, size=1, volume_type=VOLUME_TYPE, **attrs
        )
    if volume.status not in ('available', 'in-use'):
        volume = wait_volume(conn, volume, 'available')
    write_known(volume)
    return volume


def public_key():
    """A fresh ed25519 public key (the demo never logs into its servers,
    so the private half is thrown away)."""
    with tempfile.TemporaryDirectory() as tmp:
        key = os.path.join(tmp, 'key')
        subprocess.run(
            ['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', key],
            check=True,
        )
        with open(key + '.pub') as f:
            return f.read().strip()


def seed_networks(conn):
    net = conn.network
    app = ensure(net.find_network, net.create_network, 'demo-app', mtu=1400)
    db = ensure(net.find_network, net.create_network, 'demo-db')
    app_sub = ensure(
        net.find_subnet,
        net.create_subnet,
        'demo-app-v4',
        network_id=app.id,
        ip_version=4,
        cidr='10.61.1.0/24',
        dns_nameservers=['10.61.1.2'],
    )
    ensure(
        net.find_subnet,
        net.create_subnet,
        'demo-db-v4',
        network_id=db.id,
        ip_version=4,
        cidr='10.61.2.0/24',
        gateway_ip=None,
    )
    web = ensure(
        net.find_security_group,
        net.create_security_group,
        'demo-web',
        description='web servers',
    )
    if not list(
        net.security_group_rules(security_group_id=web.id, port_range_min=443)
    ):
        net.create_security_group_rule(
            security_group_id=web.id,
            direction='ingress',
            ethertype='IPv4',
            protocol='tcp',
            port_range_min=443,
            port_range_max=443,
            remote_ip_prefix='0.0.0.0/0',
        )
    public = net.find_network(PUBLIC, ignore_missing=False)
    router = net.find_router('demo-router', ignore_missing=True)
    if router is None:
        router = net.create_router(
            name='demo-router',
            external_gateway_info={'network_id': public.id},
        )
        net.add_interface_to_router(router, subnet_id=app_sub.id)
    return app, app_sub, db, web, public


def conversion_network(conn, side):
    net = conn.network
    found = ensure(net.find_network, net.create_network, CONV)
    ensure(
        net.find_subnet,
        net.create_subnet,
        CONV,
        network_id=found.id,
        ip_version=4,
        cidr=CONV_CIDRS[side],
    )


def seed_servers(conn):
    app, app_sub, db, web_group, public = seed_networks(conn)
    compute, net = conn.compute, conn.network
    if compute.find_keypair('demo-key', ignore_missing=True) is None:
        compute.create_keypair(name='demo-key', public_key=public_key())
    image = conn.image.find_image(IMAGE, ignore_missing=False)
    flavor = compute.find_flavor(FLAVOR, ignore_missing=False)
    data = ensure_volume(conn, 'demo-web-data')
    boot = ensure_volume(conn, 'demo-db-boot', image_id=image.id)

    port = ensure(
        net.find_port,
        net.create_port,
        'demo-web-eth0',
        network_id=app.id,
        fixed_ips=[{'subnet_id': app_sub.id, 'ip_address': WEB_IP}],
        security_group_ids=[web_group.id],
    )
    servers = {}
    web = compute.find_server('demo-web', ignore_missing=True)
    if web is None:
        web = compute.create_server(
            name='demo-web',
            image_id=image.id,
            flavor_id=flavor.id,
            networks=[{'port': port.id}],
            key_name='demo-key',
            metadata={'role': 'web'},
        )
    servers['demo-web'] = web
    dbs = compute.find_server('demo-db', ignore_missing=True)
    if dbs is None:
        boot = wait_volume(conn, boot, 'available')
        dbs = compute.create_server(
            name='demo-db',
            flavor_id=flavor.id,
            networks=[{'uuid': db.id}],
            metadata={'role': 'db'},
            block_device_mapping=[
                {
                    'boot_index': 0,
                    'uuid': boot.id,
                    'source_type': 'volume',
                    'destination_type': 'volume',
                    'delete_on_termination': False,
                }
            ],
        )
    servers['demo-db'] = dbs
    for name, server in servers.items():
        server = compute.get_server(server.id)
        if server.status == 'SHUTOFF':
            # an earlier demo migrated it (--stop): the app runs again
            compute.start_server(server)
        servers[name] = compute.wait_for_server(
            server, status='ACTIVE', failures=['ERROR'], wait=WAIT
        )
    web = servers['demo-web']
    attached = [a.volume_id for a in compute.volume_attachments(web)]
    if data.id not in attached:
        compute.create_volume_attachment(
            web, volume_id=wait_volume(conn, data, 'available').id
        )
        wait_volume(conn, data, 'in-use')
    if not list(net.ips(port_id=port.id)):
        net.create_ip(floating_network_id=public.id, port_id=port.id)
    return servers


# -- a clean destination ----------------------------------------------------


def mine(name, prefix=PREFIX):
    return (name or '').startswith(prefix)


def delete_servers(conn, prefix, said):
    compute = conn.compute
    doomed = [s for s in compute.servers() if mine(s.name, prefix)]
    for server in doomed:
        said('server %s' % server.name)
        compute.delete_server(server)
    for server in doomed:
        compute.wait_for_delete(server, wait=WAIT)


def clean_destination(conn, said):
    """Delete the demo-* resources of ``conn``'s project."""
    net, block = conn.network, conn.block_storage
    delete_servers(conn, PREFIX, said)
    nets = [n for n in net.networks() if mine(n.name)]
    ports = [
        p
        for n in nets
        for p in net.ports(network_id=n.id)
        if not (p.device_owner or '').startswith('network:')
    ]
    port_ids = {p.id for p in ports}
    for fip in list(net.ips()):
        if fip.port_id in port_ids:
            said('floating IP %s' % fip.floating_ip_address)
            net.delete_ip(fip)
    for port in ports:
        net.delete_port(port, ignore_missing=True)
    for volume in list(block.volumes()):
        if not mine(volume.name):
            continue
        said('volume %s' % volume.name)
        if volume.status not in ('available', 'error'):
            volume = wait_volume(conn, volume, 'available')
        block.delete_volume(volume)
        block.wait_for_delete(volume, wait=WAIT)
    for router in list(net.routers()):
        if not mine(router.name):
            continue
        said('router %s' % router.name)
        for port in net.ports(device_id=router.id):
            if port.device_owner.startswith('network:router_interface'):
                net.remove_interface_from_router(router, port_id=port.id)
        net.delete_router(router, ignore_missing=True)
    for network in nets:
        said('network %s' % network.name)
        net.delete_network(network, ignore_missing=True)
    for group in list(net.security_groups()):
        if mine(group.name):
            said('security group %s' % group.name)
            net.delete_security_group(group, ignore_missing=True)
    for key in list(conn.compute.keypairs()):
        if mine(key.name):
            said('keypair %s' % key.name)
            conn.compute.delete_keypair(key, ignore_missing=True)


def clean_conversion_hosts(conn, said):
    """What an interrupted demo's "conversion host deploy" left (the demo
    deletes its hosts at the end; a new data dir would not know these)."""
    delete_servers(conn, CONV + '-', said)
    for group in list(conn.network.security_groups()):
        if mine(group.name, CONV + '-'):
            said('security group %s' % group.name)
            conn.network.delete_security_group(group, ignore_missing=True)
    for key in list(conn.compute.keypairs()):
        if mine(key.name, CONV + '-'):
            said('keypair %s' % key.name)
            conn.compute.delete_keypair(key, ignore_missing=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--src', default='src')
    parser.add_argument('--dst', default='dst')
    parser.add_argument('--clean-dst', action='store_true')
    args = parser.parse_args()
    src = openstack.connect(cloud=args.src)
    dst = openstack.connect(cloud=args.dst)
    if args.clean_dst:
        say('Removing what an earlier demo left:')
        deleted = []
        for cloud, conn in ((args.src, src), (args.dst, dst)):

            def said(what, cloud=cloud):
                say('  %s: deleting %s' % (cloud, what))
                deleted.append(what)

            if conn is dst:
                clean_destination(conn, said)
            clean_conversion_hosts(conn, said)
        if not deleted:
            say('  nothing')
    servers = seed_servers(src)
    conversion_network(src, 'src')
    conversion_network(dst, 'dst')
    say(
        'project %s (%s) holds networks demo-app and demo-db, router '
        'demo-router, security group demo-web, keypair demo-key, servers %s '
        '(running) and volumes %s with known bytes'
        % (
            args.src,
            src.current_project_id,
            ', '.join(sorted(servers)),
            ', '.join(sorted(KNOWN)),
        )
    )


if __name__ == '__main__':
    main()
