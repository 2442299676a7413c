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
from osmigrateclient.v1 import common

LOG = logging.getLogger(__name__)

LIST_COLUMNS = ('Side', 'Name', 'ID', 'Address', 'Status', 'Ready')


def _add_common(parser):
    common.add_data_dir_argument(parser)
    clouds.add_cloud_argument(parser, clouds.SOURCE)
    clouds.add_cloud_argument(parser, clouds.DESTINATION)
    parser.add_argument(
        '--side',
        choices=('src', 'dst', 'both'),
        default='both',
        help='The conversion host of the source, of the destination, or '
        'both (default)',
    )


def _sides(parsed_args):
    if parsed_args.side == 'both':
        return list(ch.SIDES)
    return [parsed_args.side]


class DeployConversionHost(common.MigrateLister):
    """Deploy the conversion hosts that copy volume bytes (idempotent).

    Per side: SSH keys in <data-dir>/conversion/ (0600), a Nova keypair, a
    security group admitting tcp/22 only from the migrator's address (and,
    on the source, from the destination host), the server, its host key
    pinned from the console log, the required tools checked, and the
    destination host linked to the source host with a dedicated key that
    the source host accepts from the destination host only, for the copy
    only. A security group of the host's name that this data directory did
    not make is refused.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_common(parser)
        parser.add_argument(
            '--name',
            metavar='<name>',
            default=None,
            help='Server name (default: %s / %s); with --side both, used '
            'as a prefix: <name>-src, <name>-dst'
            % (ch.DEFAULT_NAMES['src'], ch.DEFAULT_NAMES['dst']),
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
        hosts = ch.Hosts(data_dir)
        conns = {}
        for side in sides:
            conns[side] = self.connect(side, parsed_args)
            name = ch.DEFAULT_NAMES[side]
            if parsed_args.name:
                name = parsed_args.name
                if len(sides) > 1:
                    name = '%s-%s' % (name, side)
            hosts.deploy(
                side,
                conns[side],
                ch.Options(
                    name=name,
                    image=parsed_args.image,
                    flavor=parsed_args.flavor,
                    network=parsed_args.network,
                    allowed_cidrs=tuple(
                        host_cloud.as_cidr(c)
                        for c in parsed_args.allowed_cidrs
                    ),
                    floating_ip=parsed_args.floating_ip,
                    floating_network=parsed_args.floating_network,
                    server=parsed_args.server,
                    user=parsed_args.ssh_user,
                    install_tools=parsed_args.install_tools,
                ),
            )
        if ch.SRC in hosts.records and ch.DST in hosts.records:
            src_conn = conns.get(ch.SRC)
            if src_conn is None:
                src_conn = self.connect(ch.SRC, parsed_args)
            hosts.link(src_conn)
        rows = [tuple(hosts.status(s, conns[s])) for s in sides]
        return LIST_COLUMNS, rows


class ListConversionHost(common.MigrateLister):
    """List the conversion hosts of the data directory and their state."""

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_common(parser)
        return parser

    def take_action(self, parsed_args):
        hosts = ch.Hosts(common.data_dir(parsed_args))
        rows = []
        for side in _sides(parsed_args):
            if side not in hosts.records:
                rows.append(tuple(hosts.status(side, None)))
                continue
            conn = self.connect(side, parsed_args)
            rows.append(tuple(hosts.status(side, conn)))
        return LIST_COLUMNS, rows


class DeleteConversionHost(common.MigrateLister):
    """Delete what "conversion host deploy" made (and only that).

    The link key comes off the hosts that stay: a source host brought with
    --server, or the source host when only the destination one goes (its
    security group then admits the destination host no more).
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        _add_common(parser)
        return parser

    def take_action(self, parsed_args):
        hosts = ch.Hosts(common.data_dir(parsed_args))
        rows = []
        gone = [s for s in _sides(parsed_args) if s in hosts.records]
        for side in gone:
            conn = self.connect(side, parsed_args)
            for what in hosts.delete(side, conn):
                rows.append((side, what))
        src = hosts.records.get(ch.SRC)
        if ch.DST in gone and src and src.get('owned'):
            # The source host's group admits the destination host no
            # more.
            hosts.admit(self.connect(ch.SRC, parsed_args), ch.SRC)
        return ('Side', 'Deleted'), rows
