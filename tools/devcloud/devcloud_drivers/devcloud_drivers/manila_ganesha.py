# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""A Manila share driver that keeps each share's files in a directory and
serves them over NFSv4 with the region's NFS-Ganesha
(:mod:`devcloud_drivers.ganesha`).

driver_handles_share_servers is False: the server is the region's one,
started by devcloud.  A share is ``<shares dir>/<share instance id>``,
exported as ``<address>:/<share instance id>``; sizes are not enforced
(extend and shrink only record).  Access rules of type ``ip`` are
enforced by ganesha; other types are refused.  Snapshots, replication
and migration are not supported.
"""

import os
import shutil
import threading

from oslo_config import cfg
from oslo_log import log as logging

from manila.common import constants
from manila import exception
from manila.share import driver

from devcloud_drivers import ganesha

LOG = logging.getLogger(__name__)

OPTS = [
    cfg.StrOpt('ganesha_shares_dir', help='Where the shares live.'),
    cfg.StrOpt('ganesha_exports_file', help="ganesha's included exports."),
    cfg.StrOpt('ganesha_pid_file', help="ganesha's pid file."),
    cfg.StrOpt('ganesha_address', help='The address ganesha listens on.'),
]


class GaneshaDriver(driver.ShareDriver):
    def __init__(self, *args, **kwargs):
        super().__init__(False, *args, config_opts=[OPTS], **kwargs)
        conf = self.configuration
        self.backend_name = conf.safe_get('share_backend_name') or 'GANESHA'
        self.shares_dir = conf.safe_get('ganesha_shares_dir')
        self.exports_file = conf.safe_get('ganesha_exports_file')
        self.pid_file = conf.safe_get('ganesha_pid_file')
        self.address = conf.safe_get('ganesha_address')
        # the share manager runs driver calls in green threads
        self._lock = threading.Lock()

    # -- the exports --------------------------------------------------------

    def _publish(self, change):
        """Apply ``change(state)`` to the state, rewrite the exports and
        make ganesha re-read them."""
        with self._lock:
            state = ganesha.read_state(self.shares_dir)
            change(state)
            ganesha.write_state(self.shares_dir, state)
            ganesha.write_exports(self.shares_dir, self.exports_file)
            if not ganesha.reload(self.pid_file):
                LOG.warning('ganesha (%s) is not running', self.pid_file)

    def _locations(self, share):
        return [
            {
                'path': '%s:/%s' % (self.address, share['id']),
                'is_admin_only': False,
                'metadata': {'preferred': True},
            }
        ]

    def do_setup(self, context):
        os.makedirs(self.shares_dir, exist_ok=True)
        self._publish(lambda state: None)

    def check_for_setup_error(self):
        pass

    # -- shares -------------------------------------------------------------

    def _check_proto(self, share):
        if share['share_proto'].upper() != 'NFS':
            raise exception.InvalidShare(
                reason='only NFS shares, not %s' % share['share_proto']
            )

    def create_share(self, context, share, share_server=None):
        self._check_proto(share)
        path = ganesha.share_path(self.shares_dir, share['id'])
        os.makedirs(path, exist_ok=True)

        def add(state):
            if share['id'] not in state:
                used = {s['export_id'] for s in state.values()}
                state[share['id']] = {
                    'export_id': next(
                        n for n in range(2, len(used) + 3) if n not in used
                    ),
                    'rules': [],
                }

        self._publish(add)
        return self._locations(share)

    def delete_share(self, context, share, share_server=None):
        self._publish(lambda state: state.pop(share['id'], None))
        shutil.rmtree(
            ganesha.share_path(self.shares_dir, share['id']),
            ignore_errors=True,
        )

    def ensure_share(self, context, share, share_server=None):
        return self._locations(share)

    def ensure_shares(self, context, shares):
        state = ganesha.read_state(self.shares_dir)
        return {
            s['id']: {
                'export_locations': self._locations(s),
                'status': (
                    constants.STATUS_AVAILABLE
                    if s['id'] in state
                    else constants.STATUS_ERROR
                ),
                'reapply_access_rules': s['id'] in state,
            }
            for s in shares
        }

    def extend_share(self, share, new_size, share_server=None):
        pass

    def shrink_share(self, share, new_size, share_server=None):
        pass

    def update_access(
        self,
        context,
        share,
        access_rules,
        add_rules,
        delete_rules,
        update_rules,
        share_server=None,
    ):
        """Ganesha lets in exactly the ``ip`` rules of ``access_rules``."""
        rules = []
        for rule in access_rules:
            if rule['access_type'].lower() != 'ip':
                raise exception.InvalidShareAccess(
                    reason='only ip rules, not %s' % rule['access_type']
                )
            try:
                to = ganesha.check_client(rule['access_to'])
            except ValueError:
                raise exception.InvalidShareAccess(
                    reason='not an address: %s' % rule['access_to']
                ) from None
            rules.append(
                {'access_to': to, 'access_level': rule['access_level']}
            )

        def set_rules(state):
            if share['id'] in state:
                state[share['id']]['rules'] = rules

        self._publish(set_rules)

    def get_network_allocations_number(self):
        return 0

    def _update_share_stats(self, data=None):
        st = os.statvfs(self.shares_dir)
        gib = 1024**3
        super()._update_share_stats(
            {
                'share_backend_name': self.backend_name,
                'storage_protocol': 'NFS',
                'vendor_name': 'devcloud',
                'driver_name': 'devcloud ganesha',
                'snapshot_support': False,
                'create_share_from_snapshot_support': False,
                'pools': [
                    {
                        'pool_name': 'shares',
                        'total_capacity_gb': st.f_blocks * st.f_frsize // gib,
                        'free_capacity_gb': st.f_bavail * st.f_frsize // gib,
                        'reserved_percentage': 0,
                        'reserved_snapshot_percentage': 0,
                        'reserved_share_extend_percentage': 0,
                    }
                ],
            }
        )
