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


"""The writes to a load balancer's tree in the destination: each op of a
:class:`._octavia_diff.TreeDiff` in turn, each waited for until the load
balancer is ``ACTIVE`` again (at most ``--loadbalancer-wait`` seconds;
``ERROR`` fails it), and the undo of what a failed run made."""

import logging
import time
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_diff as octavia_diff
from osmigrateclient.resources import _octavia_tree as octavia_tree
from osmigrateclient.resources import base

LOG = logging.getLogger(__name__)

#: provisioning statuses
ACTIVE, ERROR = 'ACTIVE', 'ERROR'

#: seconds between two looks at a load balancer's status
POLL = 1.0


class Writer:
    """The writes of one run to one load balancer's tree: ``proxy`` the
    destination's load balancer proxy, ``name`` the load balancer's (for
    messages), ``wait`` the seconds each write may take."""

    def __init__(self, proxy: ty.Any, name: str, wait: int) -> None:
        self.proxy = proxy
        self.name = name
        self.wait_seconds = wait

    def wait(self, lb: ty.Any) -> ty.Any:
        """The load balancer once ACTIVE.

        :raises osmigrateclient.exceptions.MigrateError: it went to ERROR,
            or is not ACTIVE in time
        """
        proxy = self.proxy
        wait = self.wait_seconds
        name = self.name
        deadline = time.monotonic() + wait
        while True:
            lb = proxy.get_load_balancer(lb.id)
            status = lb.provisioning_status
            if status == ACTIVE:
                return lb
            if status == ERROR:
                raise exceptions.MigrateError(
                    'load balancer %r (%s) went to provisioning status ERROR'
                    % (name, lb.id)
                )
            if time.monotonic() >= deadline:
                raise exceptions.MigrateError(
                    'load balancer %r (%s) is still %s after %d s (see '
                    '--loadbalancer-wait)' % (name, lb.id, status, wait)
                )
            time.sleep(POLL)

    def run(
        self,
        lb: ty.Any,
        have: dict,
        ops: list[octavia_diff.Op],
        made: list,
    ) -> None:
        """Apply ``ops`` to the load balancer's tree ``have`` (resolved),
        one write at a time, each waited for; ``made`` collects what is
        created."""
        proxy = self.proxy
        name = self.name
        #: key path -> destination id, of the pools, listeners, policies
        ids_of: dict[tuple, str] = {}
        for pool in have['pools']:
            ids_of[('pool', pool['key'])] = pool['id']
        for x in have['listeners']:
            ids_of[('listener', x['key'])] = x['id']
            for pol in x['l7policies']:
                ids_of[('l7policy', x['key'], pol['key'])] = pol['id']
        for op in ops:
            attrs = _sdk_attrs(op, ids_of)
            cls = octavia_tree.SDK.get(op.kind)
            uri = {}
            if op.kind in ('member', 'healthmonitor'):
                pool_id = ids_of[('pool',) + op.parent]
                if op.kind == 'member':
                    uri = {'pool_id': pool_id}
                elif op.verb == 'create':
                    attrs['pool_id'] = pool_id
            if op.kind == 'l7rule':
                uri = {'l7policy_id': ids_of[('l7policy',) + op.parent]}
            if op.kind == 'l7policy' and op.verb == 'create':
                attrs['listener_id'] = ids_of[('listener',) + op.parent]
            if op.kind in ('pool', 'listener') and op.verb == 'create':
                attrs['loadbalancer_id'] = lb.id
            LOG.debug('load balancer %s: %s %s', name, op.verb, op.label)
            try:
                if op.kind == 'lb':
                    proxy.update_load_balancer(lb.id, **attrs)
                    obj = None
                elif op.verb == 'create':
                    obj = proxy._create(cls, **uri, **attrs)
                    made.append((op, obj, uri))
                elif op.verb == 'update':
                    obj = proxy._update(cls, op.target, **uri, **attrs)
                else:
                    proxy._delete(cls, op.target, ignore_missing=True, **uri)
                    obj = None
            except sdk_exceptions.SDKException as e:
                raise exceptions.MigrateError(
                    '%s %s: %s' % (op.verb, op.label, base._api_message(e))
                )
            self.wait(lb)
            if obj is not None:
                status = proxy._get(cls, obj.id, **uri).provisioning_status
                if status == ERROR:
                    raise exceptions.MigrateError(
                        '%s %s: its provisioning status is ERROR'
                        % (op.verb, op.label)
                    )
            if op.verb == 'create' and op.key is not None:
                ids_of[(op.kind,) + op.parent + (op.key,)] = obj.id

    def undo(self, lb: ty.Any, made: list) -> None:
        """Delete what this run made in an existing load balancer's tree,
        the last made first (best effort: the error is the import's)."""
        proxy = self.proxy
        name = self.name
        for op, obj, uri in reversed(made):
            try:
                self.wait(lb)
                proxy._delete(
                    octavia_tree.SDK[op.kind],
                    obj.id,
                    ignore_missing=True,
                    **uri,
                )
            except (sdk_exceptions.SDKException, exceptions.MigrateError):
                LOG.warning(
                    'load balancer %s: could not delete the %s it made',
                    name,
                    op.label,
                    exc_info=True,
                )
        try:
            self.wait(lb)
        except exceptions.MigrateError:
            pass


def _sdk_attrs(op: octavia_diff.Op, ids_of: dict) -> dict:
    """The API fields of an op: pool keys made ids, nulls left out
    (Octavia's defaults), and empty values on create."""
    attrs = {}
    for field, value in op.attrs.items():
        if field in ('default_pool', 'redirect_pool'):
            field = field + '_id'
            value = ids_of.get(('pool', value)) if value else None
            if value is None and op.verb == 'create':
                continue
        elif value is None or (op.verb == 'create' and base.is_empty(value)):
            continue
        attrs[field] = octavia_tree.wanted_value(field, value)
    return attrs
