"""Seed a small tenant for tools/demo (idempotent: finds before creating)."""

import sys

import openstack


def ensure(find, create, name, **attrs):
    found = find(name, ignore_missing=True)
    return found if found is not None else create(name=name, **attrs)


def main(cloud: str) -> None:
    conn = openstack.connect(cloud=cloud)
    net = conn.network
    pid = conn.current_project_id
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
    public = net.find_network('public', ignore_missing=False)
    router = net.find_router('demo-router', ignore_missing=True)
    if router is None:
        router = net.create_router(
            name='demo-router',
            external_gateway_info={'network_id': public.id},
        )
        net.add_interface_to_router(router, subnet_id=app_sub.id)
    print(
        'project %s holds networks demo-app, demo-db, router demo-router '
        'and security group demo-web' % pid
    )


if __name__ == '__main__':
    main(sys.argv[1] if len(sys.argv) > 1 else 'src')
