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

"""A conversion host's pieces in its cloud: the keypair, the security
group (tcp/22 from the migrator and the other host only) and the server,
with its addresses.  Never one of the same name that the data directory
did not make: its rules may admit anyone."""

import ipaddress
import typing as ty

from osmigrateclient import exceptions


def as_cidr(address: str) -> str:
    """An address or network as a CIDR (``192.0.2.1/32``)."""
    net = ipaddress.ip_network(address, strict=False)
    return str(net)


def ssh_from(rule: ty.Any) -> str | None:
    """The CIDR a security group rule admits to tcp/22, if that is all it
    admits."""
    if (
        rule.protocol == 'tcp'
        and rule.port_range_min == 22
        and rule.port_range_max == 22
        and rule.remote_ip_prefix
        and not getattr(rule, 'remote_group_id', None)
    ):
        return as_cidr(rule.remote_ip_prefix)
    return None


def admit_ssh(conn: ty.Any, group_id: str, want: set[str]) -> list[str]:
    """Make the security group admit exactly tcp/22 from the CIDRs of
    ``want``: other ingress rules are deleted.  What it then admits."""
    kept = set()
    for rule in conn.network.security_group_rules(security_group_id=group_id):
        if rule.direction != 'ingress':
            continue
        cidr = ssh_from(rule)
        if cidr in want and cidr not in kept:
            kept.add(cidr)
        else:
            conn.network.delete_security_group_rule(
                rule.id, ignore_missing=True
            )
    for cidr in sorted(want - kept):
        conn.network.create_security_group_rule(
            security_group_id=group_id,
            direction='ingress',
            ethertype='IPv6' if ':' in cidr else 'IPv4',
            protocol='tcp',
            port_range_min=22,
            port_range_max=22,
            remote_ip_prefix=cidr,
        )
    return sorted(
        cidr
        for rule in conn.network.security_group_rules(
            security_group_id=group_id
        )
        if rule.direction == 'ingress'
        for cidr in [ssh_from(rule)]
        if cidr
    )


def make_server(
    conn: ty.Any,
    opts: ty.Any,
    record: dict,
    public: str,
    key_file: str,
    save: ty.Callable[[], None],
) -> ty.Any:
    """Make (or find) the keypair, the security group and the server of
    a host deployed with ``opts`` (:class:`~osmigrateclient.transfer.
    conversion_host.Options`); each is recorded in ``record`` and saved
    (``save``) as soon as made, so that ``delete`` finds it after a
    failure.

    :param public: the migrator's public key, of ``key_file``
    """
    created = record['created']
    compute, network = conn.compute, conn.network
    keypair = compute.find_keypair(opts.name, ignore_missing=True)
    if keypair is None:
        compute.create_keypair(name=opts.name, public_key=public)
        created['keypair'] = opts.name
        save()
    elif ' '.join(keypair.public_key.split()[:2]) != public:
        raise exceptions.MigrateError(
            'keypair %s exists with another key than %s'
            % (opts.name, key_file + '.pub')
        )
    group = network.find_security_group(
        opts.name,
        ignore_missing=True,
        project_id=conn.current_project_id,
    )
    if group is None:
        group = network.create_security_group(
            name=opts.name,
            description='os-migrate conversion host: SSH from the '
            'migrator only',
        )
        created['security_group'] = group.id
        save()
    elif group.id != created.get('security_group'):
        # Its rules may admit anyone: never put a host behind it.
        raise exceptions.MigrateError(
            'a security group named %s exists that this data directory '
            'did not deploy: delete it, or use another --name' % opts.name
        )
    server = compute.find_server(opts.name, ignore_missing=True)
    if server is not None:
        if server.id != created.get('server'):
            raise exceptions.MigrateError(
                'a server named %s exists that this data directory did '
                'not deploy: use --server %s to use it, or another '
                '--name' % (opts.name, server.id)
            )
        record['server_id'] = server.id
        return server
    if not opts.flavor or not opts.network:
        raise exceptions.MigrateError(
            'deploying a conversion host needs --flavor and --network'
        )
    image = conn.image.find_image(opts.image, ignore_missing=False)
    flavor = compute.find_flavor(opts.flavor, ignore_missing=False)
    net = network.find_network(opts.network, ignore_missing=False)
    where = (
        {'availability_zone': opts.availability_zone}
        if opts.availability_zone
        else {}
    )
    server = compute.create_server(
        name=opts.name,
        image_id=image.id,
        flavor_id=flavor.id,
        networks=[{'uuid': net.id}],
        key_name=opts.name,
        security_groups=[{'name': group.id}],
        **where,
    )
    created['server'] = server.id
    record['server_id'] = server.id
    save()
    return server


def active(conn: ty.Any, server_id: str) -> ty.Any:
    """The server once ACTIVE, else None.

    :raises osmigrateclient.exceptions.MigrateError: it is in ERROR
    """
    server = conn.compute.get_server(server_id)
    if server.status == 'ERROR':
        raise exceptions.MigrateError(
            'server %s is in ERROR: %s'
            % (server_id, (server.fault or {}).get('message', ''))
        )
    return server if server.status == 'ACTIVE' else None


def fixed_address(
    conn: ty.Any, server: ty.Any, network_name: str | None
) -> str:
    """The server's IPv4 address on the network it was deployed on."""
    network = (
        conn.network.find_network(network_name, ignore_missing=True)
        if network_name
        else None
    )
    ports = list(
        conn.network.ports(
            device_id=server.id,
            **({'network_id': network.id} if network else {}),
        )
    )
    for port in ports:
        for fixed in port.fixed_ips or []:
            address = fixed.get('ip_address', '')
            if ':' not in address:
                return address
    raise exceptions.MigrateError('server %s has no IPv4 address' % server.id)


def floating_ip(
    conn: ty.Any,
    server: ty.Any,
    opts: ty.Any,
    record: dict,
    save: ty.Callable[[], None],
) -> str:
    """The address of the host's floating IP, made (and recorded) if
    missing."""
    created = record['created']
    if created.get('floating_ip'):
        fip = conn.network.get_ip(created['floating_ip'])
        return fip.floating_ip_address
    public = conn.network.find_network(
        opts.floating_network, ignore_missing=False
    )
    (port,) = list(conn.network.ports(device_id=server.id))[:1]
    fip = conn.network.create_ip(
        floating_network_id=public.id, port_id=port.id
    )
    created['floating_ip'] = fip.id
    save()
    return fip.floating_ip_address
