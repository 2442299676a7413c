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

"""``openstack migrate conversion host deploy|list|delete`` (see
:mod:`osmigrateclient.transfer.conversion_host`)."""

import logging

from osc_lib import exceptions as osc_exceptions

from osmigrateclient import clouds
from osmigrateclient.transfer import conversion_host as ch
from osmigrateclient.transfer import host_cloud
from osmigrateclient.transfer import host_pool
from osmigrateclient.v1 import common

LOG = logging.getLogger(__name__)

LIST_COLUMNS = (
    'Pair',
    'Side',
    'Name',
    'ID',
    'Address',
    'Status',
    'Copies',
    'Ready',
)
DELETE_COLUMNS = ('Side', 'Host', 'Deleted')


def _add_common(parser):
    common.add_data_dir_argument(parser)
    clouds.add_cloud_argument(parser, clouds.SOURCE)
    clouds.add_cloud_argument(parser, clouds.DESTINATION)
    parser.add_argument(
        '--side',
        choices=('src', 'dst', 'both'),
        default='both',
        help='The conversion hosts of the source, of the destination, or '
        'both (default)',
    )


def _sides(parsed_args):
    if parsed_args.side == 'both':
        return list(ch.SIDES)
    return [parsed_args.side]


class _Connections:
    """One connection per side, made when first needed."""

    def __init__(self, command, parsed_args):
        self._command, self._args, self._conns = command, parsed_args, {}

    def __getitem__(self, side):
        if side not in self._conns:
            self._conns[side] = self._command.connect(side, self._args)
        return self._conns[side]


class DeployConversionHost(common.MigrateLister):
    """Deploy the conversion hosts that copy volume bytes (idempotent).

    A pool of --count pairs, one host per side in each (one pair by
    default). Per host: SSH keys in <data-dir>/conversion/ (0600), a Nova
    keypair, a security group admitting tcp/22 only from the migrator's
    address (and, on a source host, from its pair's destination host), the
    server, its host key pinned from the console log, the required tools
    checked; then each pair's destination host is linked to its source
    host with a key of the pair's own that the source host accepts from
    that destination host only, for the copy only. A security group of the
    host's name that this data directory did not make is refused.

    Deploying again changes nothing; a larger --count adds pairs; a
    smaller one is refused ("conversion host delete --host" removes
    hosts).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_common(parser)
        parser.add_argument(
            '--name',
            metavar='<name>',
            default=None,
            help='Server name (default: %s / %s); with --side both, used '
            'as a prefix: <name>-src, <name>-dst; with --count above 1, '
            'the pair\'s number follows: <name>-src-1, <name>-src-2, ... '
            '(a host deployed earlier keeps its name)'
            % (ch.DEFAULT_NAMES['src'], ch.DEFAULT_NAMES['dst']),
        )
        parser.add_argument(
            '--count',
            metavar='<count>',
            type=int,
            default=1,
            help='Pairs of hosts in the pool, one host per side in each '
            '(default: 1; at most %d). Volume copies spread over the '
            'pairs, at most two at once on each; each host is a server of '
            '--flavor with its keypair and security group'
            % host_pool.MAX_COUNT,
        )
        parser.add_argument(
            '--availability-zone',
            metavar='<zone>',
            dest='zones',
            action='append',
            default=[],
            help='Place the hosts in this availability zone (repeat for '
            'several: pair 1 in the first, pair 2 in the second, and so '
            'round; default: where Nova puts them). Hosts already '
            'deployed stay where they are',
        )
        parser.add_argument(
            '--image',
            metavar='<image>',
            default=ch.DEFAULT_IMAGE,
            help='Image of the servers (default: %s)' % ch.DEFAULT_IMAGE,
        )
        parser.add_argument('--flavor', metavar='<flavor>', help='Flavor')
        parser.add_argument(
            '--network',
            metavar='<network>',
            help='Existing network (name or ID) of the servers',
        )
        fip = parser.add_mutually_exclusive_group()
        fip.add_argument(
            '--floating-ip',
            dest='floating_ip',
            action='store_true',
            default=False,
            help='Give each server a floating IP and reach it through it',
        )
        fip.add_argument(
            '--no-floating-ip',
            dest='floating_ip',
            action='store_false',
            help='Reach the servers at their fixed address (default)',
        )
        parser.add_argument(
            '--floating-network',
            metavar='<network>',
            default='public',
            help='External network of the floating IPs (default: public)',
        )
        parser.add_argument(
            '--allowed-cidr',
            metavar='<cidr>',
            dest='allowed_cidrs',
            action='append',
            default=[],
            help='Admit SSH from this CIDR (repeat for several; default: '
            'the local address that reaches the host, /32)',
        )
        parser.add_argument(
            '--server',
            metavar='<server>',
            help='Use this existing server (name or ID) instead of deploying '
            'one; needs --side src or dst; it must accept '
            '<data-dir>/conversion/ssh.key.pub',
        )
        parser.add_argument(
            '--ssh-user',
            metavar='<user>',
            default='root',
            help='User the migrator logs in as (default: root)',
        )
        parser.add_argument(
            '--install-tools',
            action='store_true',
            help='Install missing tools with dnf or apt-get',
        )
        return parser

    def take_action(self, parsed_args):
        data_dir = common.data_dir(parsed_args)
        sides = _sides(parsed_args)
        if parsed_args.server and len(sides) != 1:
            raise osc_exceptions.CommandError('--server needs --side src|dst')
        if parsed_args.server and parsed_args.count != 1:
            raise osc_exceptions.CommandError(
                '--server brings one host: it needs --count 1'
            )
        hosts = ch.Hosts(data_dir)
        # Refused before anything is made.
        pairs = hosts.pair_numbers(parsed_args.count)
        conns = _Connections(self, parsed_args)
        for pair in pairs:
            for side in sides:
                key = host_pool.key(side, pair)
                hosts.deploy(
                    key,
                    conns[side],
                    _options(parsed_args, hosts, key, len(sides) > 1),
                )
        for pair in pairs:
            if all(host_pool.key(s, pair) in hosts.records for s in ch.SIDES):
                hosts.link(conns[ch.SRC], pair)
        rows = [
            tuple(hosts.status(host_pool.key(side, pair), conns[side]))
            for pair in pairs
            for side in sides
        ]
        return LIST_COLUMNS, rows


def _options(parsed_args, hosts, key, both):
    side, pair = host_pool.side_of(key), host_pool.pair_of(key)
    base = ch.DEFAULT_NAMES[side]
    if parsed_args.name:
        base = parsed_args.name
        if both:
            base = '%s-%s' % (base, side)
    return ch.Options(
        name=host_pool.host_name(hosts.records, key, base, parsed_args.count),
        image=parsed_args.image,
        flavor=parsed_args.flavor,
        network=parsed_args.network,
        allowed_cidrs=tuple(
            host_cloud.as_cidr(c) for c in parsed_args.allowed_cidrs
        ),
        floating_ip=parsed_args.floating_ip,
        floating_network=parsed_args.floating_network,
        server=parsed_args.server,
        user=parsed_args.ssh_user,
        install_tools=parsed_args.install_tools,
        availability_zone=host_pool.zone(pair, parsed_args.zones),
    )


class ListConversionHost(common.MigrateLister):
    """List the conversion hosts of the data directory and their state.

    One row per host, by pair, the source host first. Copies: the volumes
    attached to the host's server now, its own boot volume aside (during a
    run, its active copies; '-' when the server is not there).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_common(parser)
        return parser

    def take_action(self, parsed_args):
        hosts = ch.Hosts(common.data_dir(parsed_args))
        conns = _Connections(self, parsed_args)
        rows = []
        for pair in host_pool.pairs(hosts.records) or [1]:
            for side in _sides(parsed_args):
                key = host_pool.key(side, pair)
                conn = conns[side] if key in hosts.records else None
                rows.append(tuple(hosts.status(key, conn)))
        return LIST_COLUMNS, rows


class DeleteConversionHost(common.MigrateLister):
    """Delete what "conversion host deploy" made (and only that).

    All the hosts of the chosen sides, or those named with --host. The
    link key comes off the hosts that stay: a source host brought with
    --server, or the source host of a pair whose destination host alone
    goes (its security group then admits that host no more).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_common(parser)
        parser.add_argument(
            '--host',
            metavar='<name>',
            dest='hosts',
            action='append',
            default=[],
            help='Delete only this host (name or server ID; repeat for '
            'several); with --side, only those of that side. Shrinks a '
            'pool: "deploy" never deletes hosts',
        )
        return parser

    def take_action(self, parsed_args):
        hosts = ch.Hosts(common.data_dir(parsed_args))
        sides = _sides(parsed_args)
        keys = (
            hosts.named(parsed_args.hosts)
            if parsed_args.hosts
            else hosts.keys()
        )
        conns = _Connections(self, parsed_args)
        rows = []
        gone = [k for k in keys if host_pool.side_of(k) in sides]
        for key in gone:
            side = host_pool.side_of(key)
            name = hosts.records[key].get('name') or key
            for what in hosts.delete(key, conns[side]):
                rows.append((side, name, what))
        for key in gone:
            src_key = host_pool.partner(key)
            src = hosts.records.get(src_key)
            if host_pool.side_of(key) == ch.DST and src and src.get('owned'):
                # The source host's group admits the destination host no
                # more.
                hosts.admit(conns[ch.SRC], src_key)
        return DELETE_COLUMNS, rows
