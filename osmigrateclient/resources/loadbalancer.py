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

"""Octavia load balancers, each with its whole tree.

One entry per load balancer.  Its ``params`` hold the load balancer's own
fields (as Octavia's API names them: ``admin_state_up``), the VIP by
reference (``vip_subnet_ref``, ``vip_network_ref``, ``vip_qos_policy_ref``)
with the address asked for (``vip_address``), its additional VIPs (each
one's ``subnet_ref`` and address asked for) and security groups
(``vip_sg_refs``), the provider by name and the flavor by name
(``flavor``); then ``pools`` (each with its ``members`` and
its ``healthmonitor``) and ``listeners`` (each with its ``l7policies``,
each with its ``rules``).  A listener's ``default_pool`` and a policy's
``redirect_pool`` name a pool of the same load balancer; a pool without a
name cannot be referenced (the reference is null, a warning says so, and
import reports the load balancer as blocked until the file names it).

A member whose address is a fixed IP of a source server's port is written
by reference: ``server_ref`` and ``network_ref`` (the port's network), its
``address`` null.  Import gives it the destination server's address on
that network; a server that the destination does not hold yet leaves the
member out, with a remark: import the load balancers again after the
workload import.  Other members keep their ``address`` and ``subnet_ref``.
TLS listeners refer to Barbican certificate containers by reference
(``default_tls_container_ref``, ``sni_container_refs``), and to the CA and
revocation list of their client authentication as secrets by reference;
a re-encrypting pool likewise (``tls_container_ref``: a container;
``ca_tls_container_ref``, ``crl_container_ref``: secrets).  A certificate
held as one PKCS12 secret instead of a container is a reference with
``secret: true``.  Additional
VIPs and VIP security groups go only to a destination whose Octavia API
has them (2.26, 2.29); an older one gets the load balancer without them,
and the outcome says so.

Import finds the destination twin by name (an unnamed load balancer, by
its VIP address), and the children of its tree by name (unnamed ones by
their natural key: a listener by protocol and port, a member by address
and port, an L7 policy by position; rules are compared whole).  What
differs is updated, what is missing made, what the file does not hold
deleted; fields that cannot change (a listener's protocol or port, a
pool's protocol, the provider, the VIP's subnet, the additional VIPs'
subnets) are a conflict, except a
member's address and a health monitor's type: those are made again.  A
null field in the file is not compared (the destination keeps its value).
The VIP address is asked for; when Octavia refuses it (taken, or outside
the subnet), the load balancer gets the address Octavia gives, and the
outcome says so.

Each write waits until the load balancer is ``ACTIVE`` again (at most
``--loadbalancer-wait`` seconds); ``ERROR`` fails it.  A load balancer that
fails leaves nothing of this run behind: a new one is deleted with its
tree (cascade), an existing one loses the children this run made.
"""

import logging
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_diff as octavia_diff
from osmigrateclient.resources import _octavia_file as octavia_file
from osmigrateclient.resources import _octavia_shapes as octavia_shapes
from osmigrateclient.resources import _octavia_tree as octavia_tree
from osmigrateclient.resources import _octavia_writes as octavia_writes
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

STR = datafile.STR
BOOL = (bool,)
REF = datafile.REF

#: ``--loadbalancer-wait`` when not given
DEFAULT_WAIT = 600


# -- the type -----------------------------------------------------------------


class LoadBalancer(base.Resource):
    type = 'openstack.loadbalancer.LoadBalancer'
    cli_name = 'loadbalancer'
    kind = octavia_tree.LB
    file_name = 'loadbalancers.yml'
    service = 'load_balancer'
    catalog_service = 'load-balancer'
    plural_name = 'load balancers'
    # after the networks, subnets and certificate containers they use
    rank = 80
    depends_on = (
        'network',
        'subnet',
        'network qos policy',
        'security group',
        'secret',
        'secret container',
    )
    export_what = "the source project's load balancers, each with its tree,"

    params_fields = octavia_tree.LB_FIELDS
    info_fields = (
        'created_at',
        'flavor_id',
        'id',
        'operating_status',
        'project_id',
        'provisioning_status',
        'updated_at',
        'vip_port_id',
        'vip_sg_ids',
        'additional_vips',
    )
    references = {
        'vip_subnet_ref': base.RefField('subnet', 'vip_subnet_id'),
        'vip_network_ref': base.RefField('network', 'vip_network_id'),
        'vip_qos_policy_ref': base.RefField('qos_policy', 'vip_qos_policy_id'),
    }
    info_shapes = {
        'unreferenced': [STR],
        'vip_sg_ids': [STR],
        'additional_vips': [datafile.MapOf(STR)],
    }
    param_shapes = {
        'admin_state_up': BOOL,
        'additional_vips': [{'subnet_ref': REF, 'ip_address': STR}],
        'vip_sg_refs': [REF],
        'listeners': [octavia_shapes.LISTENER_SHAPE],
        'pools': [octavia_shapes.POOL_SHAPE],
    }
    tag_field = None

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'import':
            return
        parser.add_argument(
            '--loadbalancer-wait',
            metavar='<seconds>',
            type=int,
            default=DEFAULT_WAIT,
            help='How long to wait for a load balancer to become ACTIVE '
            'after each change of its tree (default: %d)' % DEFAULT_WAIT,
        )

    def wait_seconds(self, lookup: refs.Lookup) -> int:
        return getattr(lookup.options, 'loadbalancer_wait', DEFAULT_WAIT)

    def writer(self, lookup: refs.Lookup, name: str) -> octavia_writes.Writer:
        """This run's writes to the tree of the load balancer ``name``."""
        return octavia_writes.Writer(
            self.proxy(lookup), name, self.wait_seconds(lookup)
        )

    # -- names ----------------------------------------------------------------

    def name_of(self, entry: base.Entry) -> str:
        return entry['params'].get('name') or ''

    def label_of(self, entry: base.Entry) -> str:
        params = entry['params']
        if params.get('name'):
            return params['name']
        return '(load balancer at %s)' % params.get('vip_address')

    def import_identity(self, entry: base.Entry) -> str:
        return '%s:%s' % (self.type, self.label_of(entry))

    # -- export ---------------------------------------------------------------

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        tree = octavia_tree.read_tree(lookup, obj)
        params = octavia_tree.pick(tree, octavia_tree.LB_FIELDS)
        params['tags'] = sorted(params['tags'] or [])
        params['flavor'] = None
        if tree.get('flavor_id'):
            flavors = octavia_file.list_or_none(lookup, octavia_tree.FLAVOR)
            if flavors is None:
                LOG.warning(
                    'load balancer %s: its flavor %s is written as null: the '
                    'source does not let the caller list flavors',
                    obj.name or obj.id,
                    tree['flavor_id'],
                )
            found = [f for f in flavors or [] if f.id == tree['flavor_id']]
            params['flavor'] = found[0].name if found else None
        info = octavia_tree.pick(tree, self.info_fields)
        for param, ref in self.references.items():
            info[ref.id_attr] = tree.get(ref.id_attr)
            params[param] = lookup.ref(ref.kind, tree.get(ref.id_attr))
        params.update(octavia_file.vip_params(lookup, tree))
        names = {p['id']: p.get('name') or None for p in tree['pools']}
        params['pools'] = [
            octavia_file.pool_params(lookup, p) for p in tree['pools']
        ]
        params['listeners'] = [
            octavia_file.listener_params(lookup, x, names)
            for x in tree['listeners']
        ]
        info['unreferenced'] = octavia_file.unreferenced_fields(tree, params)
        return {
            'type': self.type,
            'params': params,
            '_info': info,
            '_migration_params': {},
        }

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[base.Entry]:
        entries = super().export(lookup, match)
        for entry in entries:
            for field in entry['_info'].get('unreferenced') or []:
                LOG.warning(
                    'load balancer %s: params.%s: the export cannot write '
                    'it by reference (%s): it is null, and the load '
                    'balancer will not import until the file names it',
                    self.label_of(entry),
                    field,
                    octavia_file.EXPORT_WHY[octavia_file.kind_named_by(field)],
                )
        return entries

    # -- the file -------------------------------------------------------------

    def check(self, entry: base.Entry, path: str, index: int) -> None:
        super().check(entry, path, index)
        found = octavia_file.secret_key_problem(entry['params'])
        if found:
            raise exceptions.DataFileError(
                found[1],
                path=path,
                resource=datafile.label(entry, index),
                field='params.' + found[0],
            )

    # -- import: plan and apply -----------------------------------------------

    def references_in(self, params: dict) -> list[tuple[str, str, ty.Any]]:
        found = super().references_in(params)
        for i, v in enumerate(params.get('additional_vips') or []):
            if v.get('subnet_ref') is not None:
                found.append(
                    (
                        'params.additional_vips[%d].subnet_ref' % i,
                        'subnet',
                        v['subnet_ref'],
                    )
                )
        for i, group in enumerate(params.get('vip_sg_refs') or []):
            if group is not None:
                found.append(
                    ('params.vip_sg_refs[%d]' % i, 'security_group', group)
                )
        found += [
            ('params.' + field, octavia_tree.named_kind(kind, ref), ref)
            for field, kind, ref in octavia_file.barbican_refs(params)
        ]
        for i, pool in enumerate(params.get('pools') or []):
            for j, m in enumerate(pool.get('members') or []):
                where = 'params.pools[%d].members[%d]' % (i, j)
                for key, kind in (
                    ('subnet_ref', 'subnet'),
                    ('server_ref', 'server'),
                    ('network_ref', 'network'),
                ):
                    if m.get(key) is not None:
                        found.append(('%s.%s' % (where, key), kind, m[key]))
        return found

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        if entry['params'].get('name'):
            return super().find_existing(lookup, entry)
        address = entry['params'].get('vip_address')
        found = [
            o
            for o in lookup.owned(self.kind)
            if not o.name and o.vip_address == address
        ]
        return found[0] if found else None

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        try:
            want, remarks = octavia_file.resolve_tree(
                lookup,
                entry['params'],
                self.references,
                entry['_info'].get('unreferenced'),
            )
        except exceptions.UnresolvedReference as e:
            return base.Decision(base.BLOCKED, '%s: %s' % (e.field, e.problem))
        try:
            existing = self.find_existing(lookup, entry)
        except exceptions.Conflict as e:
            return base.Decision(base.CONFLICT, e.problem)
        note = '; '.join(remarks)
        if existing is None:
            return base.Decision(base.CREATE, note, None, {'want': want})
        have = octavia_tree.resolved_from_cloud(
            octavia_tree.read_tree(lookup, existing)
        )
        found = octavia_diff.diff_tree(have, want)
        if found.conflicts:
            return base.Decision(
                base.CONFLICT,
                '; '.join('%s: %s' % c for c in found.conflicts),
                existing,
            )
        if not found.ops:
            return base.Decision(base.UNCHANGED, note, existing)
        detail = '; '.join(
            d
            for d in (
                ', '.join('%s %s' % (o.verb, o.label) for o in found.ops),
                note,
            )
            if d
        )
        return base.Decision(
            base.UPDATE, detail, existing, {'want': want, 'have': have}
        )

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        want, _ = octavia_file.resolve_tree(
            lookup, entry['params'], self.references
        )
        proxy = self.proxy(lookup)
        attrs = {
            k: v
            for k, v in want['attrs'].items()
            if not base.is_empty(v)
            and k not in ('vip_address', 'additional_vips')
        }
        address = want['attrs'].get('vip_address')
        vips = want['attrs'].get('additional_vips') or []
        lb = None
        tries = _address_tries(address, vips)
        for i, (asked, asked_vips) in enumerate(tries):
            if asked_vips:
                attrs['additional_vips'] = asked_vips
            try:
                lb = proxy.create_load_balancer(**asked, **attrs)
                break
            except (
                sdk_exceptions.BadRequestException,
                sdk_exceptions.ConflictException,
            ) as e:
                if i == len(tries) - 1:
                    raise
                LOG.debug('VIP addresses %s refused: %s', asked, e)
        name = self.label_of(entry)
        writer = self.writer(lookup, name)
        try:
            lb = writer.wait(lb)
            empty = {'attrs': {}, 'id': lb.id, 'pools': [], 'listeners': []}
            want['attrs'] = {}
            ops = octavia_diff.diff_tree(empty, want).ops
            writer.run(lb, empty, ops, [])
        except Exception:
            LOG.debug('Deleting the half-made load balancer %s', lb.id)
            try:
                proxy.delete_load_balancer(lb, cascade=True)
                proxy.wait_for_delete(lb, wait=self.wait_seconds(lookup))
            except sdk_exceptions.SDKException:
                LOG.warning(
                    'load balancer %s (%s): could not delete it after its '
                    'import failed',
                    name,
                    lb.id,
                    exc_info=True,
                )
            octavia_tree.forget_children(lookup)
            raise
        octavia_tree.forget_children(lookup)
        return proxy.get_load_balancer(lb.id)

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        have = changes['have']
        ops = octavia_diff.diff_tree(have, changes['want']).ops
        made: list[tuple[octavia_diff.Op, ty.Any, dict]] = []
        name = existing.name or existing.vip_address
        writer = self.writer(lookup, name)
        # (one that is still busy, or in ERROR, takes no write)
        writer.wait(existing)
        try:
            writer.run(existing, have, ops, made)
        except Exception:
            writer.undo(existing, made)
            octavia_tree.forget_children(lookup)
            raise
        octavia_tree.forget_children(lookup)
        return self.proxy(lookup).get_load_balancer(existing.id)

    def apply(
        self, lookup: refs.Lookup, entry: base.Entry, dry_run: bool = False
    ) -> base.Outcome:
        outcome = super().apply(lookup, entry, dry_run)
        if not dry_run and outcome.action in base.DONE.values():
            # (``import all`` shows counts only: say what was left out)
            try:
                _, left = octavia_file.resolve_tree(
                    lookup, entry['params'], self.references
                )
            except exceptions.MigrateError:
                left = []
            for remark in left:
                LOG.warning('load balancer %s: %s', outcome.name, remark)
        return outcome

    def remarks(self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry):
        found = []
        wanted = entry['params'].get('vip_address')
        if wanted and obj.vip_address != wanted:
            found.append(
                'VIP address %s not free: the load balancer has %s'
                % (wanted, obj.vip_address)
            )
        have = {
            v.get('subnet_id'): v.get('ip_address')
            for v in obj.additional_vips or []
        }
        try:
            want, _ = octavia_file.resolve_tree(
                lookup, entry['params'], self.references
            )
        except exceptions.MigrateError:
            return '; '.join(found)
        for v in want['attrs'].get('additional_vips') or []:
            given = have.get(v['subnet_id'])
            if v['ip_address'] and given != v['ip_address']:
                found.append(
                    'additional VIP address %s not free: the load balancer '
                    'has %s' % (v['ip_address'], given)
                )
        return '; '.join(found)


def _address_tries(address: ty.Any, vips: list[dict]) -> list[tuple]:
    """The VIP addresses to ask for, in turn, while Octavia refuses them
    (taken, or outside the subnet): all of them, the primary one, the
    additional ones, none; as (``vip_address`` argument, additional
    VIPs)."""
    bare = [{'subnet_id': v['subnet_id']} for v in vips]
    full = [{k: v for k, v in vip.items() if v is not None} for vip in vips]
    tries: list[tuple] = []
    for primary, extra in (
        (address, full),
        (address, bare),
        (None, full),
        (None, bare),
    ):
        asked = {'vip_address': primary} if primary else {}
        if (asked, extra) not in tries:
            tries.append((asked, extra))
    return tries


RESOURCE = LoadBalancer
