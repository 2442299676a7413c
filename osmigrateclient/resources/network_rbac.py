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

"""Neutron RBAC policies: the project's networks, QoS policies, security
groups, address groups, address scopes and subnet pools shared with other
projects.

One entry per policy that the project owns: ``object_type`` (Neutron's
name: ``network``, ``qos_policy``, ``security_group``, ``address_group``,
``address_scope``, ``subnetpool``), the object by reference in the
parameter of its kind (``network_ref``, ``qos_policy_ref``, ...; the one
that ``object_type`` says), ``action`` (``access_as_shared`` or
``access_as_external``) and ``target_project_ref``, the project it is
shared with by name and domain, or ``'*'`` for every project.

A policy is what it grants: it is found in the destination by its object,
action and target, and there is nothing else to update.  A file whose
target is edited grants the new target: import creates that policy and
leaves the old one (an import never takes access away).

The target is another project: its name comes from Keystone, which lets
only admins list projects.  When the user of the command may not, the
names are read with ``--src-admin-cloud`` (export) or ``--dst-admin-cloud``
(import; ``plan`` takes ``OS_MIGRATE_DST_ADMIN_CLOUD``), a clouds.yaml
entry of a user who may.  Without one, export writes
``target_project_ref: null`` and keeps the id in ``_info``, and import
reports such an entry as blocked until the file names the project.

``--name`` / ``--name-regex`` match ``<object name> -> <target project
name>`` (``*`` for every project, ``(project <id>)`` for a target known by
its id only).
"""

import logging
import os
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: Neutron's ``object_type`` -> the kind (``_listers.LISTERS``) of the object
OBJECT_KINDS = {
    'address_group': 'address_group',
    'address_scope': 'address_scope',
    'network': 'network',
    'qos_policy': 'qos_policy',
    'security_group': 'security_group',
    'subnetpool': 'subnet_pool',
}
ACTIONS = ('access_as_external', 'access_as_shared')
TARGET = 'target_project_ref'
#: the target of a policy that shares with every project
EVERY_PROJECT = refs.EVERY_PROJECT

_SIDES = {'export': 'src', 'import': 'dst'}


def object_param(object_type: ty.Any) -> str | None:
    """The parameter that holds the object of ``object_type``."""
    kind = OBJECT_KINDS.get(object_type)
    return kind + '_ref' if kind else None


def unnamed(project_id: ty.Any) -> str:
    """How names show a target project known by its id only."""
    if not isinstance(project_id, str) or not project_id:
        return ''
    return '(project %s)' % project_id


class NetworkRbac(base.Resource):
    type = 'openstack.network.RBACPolicy'
    cli_name = 'network rbac'
    plural_name = 'network RBAC policies'
    export_what = (
        "the RBAC policies of the source project's networks, QoS policies, "
        'security groups, address groups, address scopes and subnet pools'
    )
    kind = 'rbac_policy'
    extension = 'rbac-policies'
    file_name = 'network_rbac_policies.yml'
    rank = 45
    depends_on = (
        'project',
        'network',
        'network qos policy',
        'security group',
        'address group',
        'address scope',
        'subnet pool',
    )
    tag_field = None

    params_fields = ('action', 'object_type')
    info_fields = ('id', 'object_id', 'project_id', 'target_project_id')
    references = {
        k + '_ref': base.RefField(k, 'object_id')
        for k in sorted(OBJECT_KINDS.values())
    }
    references[TARGET] = base.RefField('project', 'target_project_id')
    # '*' or a reference: check() checks a reference, problem() the rest
    param_shapes = {TARGET: datafile.ANY}
    info_shapes = {
        'object_id': datafile.STR,
        'project_id': datafile.STR,
        'target_project_id': datafile.STR,
    }
    sorted_fields = ()
    required_params = ('action', 'object_type')

    # -- the file -------------------------------------------------------------

    def check(self, entry: base.Entry, path: str, index: int) -> None:
        super().check(entry, path, index)
        target = entry['params'].get(TARGET)
        if isinstance(target, dict):
            datafile.check_shape(
                target,
                datafile.REF,
                'params.' + TARGET,
                path,
                datafile.label(entry, index),
            )

    def problem(self, params: dict) -> tuple[str, str] | None:
        """(field, problem) of an entry that names no policy Neutron
        knows, or None."""
        kind = params.get('object_type')
        if kind not in OBJECT_KINDS:
            return 'object_type', 'unknown object type %r (known: %s)' % (
                kind,
                ', '.join(sorted(OBJECT_KINDS)),
            )
        if params.get('action') not in ACTIONS:
            return 'action', 'unknown action %r (known: %s)' % (
                params.get('action'),
                ', '.join(ACTIONS),
            )
        others = sorted(
            p
            for p in self.references
            if p not in (TARGET, object_param(kind))
            and params.get(p) is not None
        )
        if others:
            return others[0], 'a %s policy names its object in %s only' % (
                kind,
                object_param(kind),
            )
        target = params.get(TARGET)
        if target is not None and not (
            target == EVERY_PROJECT or isinstance(target, dict)
        ):
            return TARGET, "neither '%s' nor a reference: %r" % (
                EVERY_PROJECT,
                target,
            )
        return None

    # -- names and identities -------------------------------------------------

    def _object_name(self, params: dict) -> str:
        ref = params.get(object_param(params.get('object_type')) or '')
        return (ref or {}).get('name') or '' if isinstance(ref, dict) else ''

    def _target_name(self, entry: base.Entry) -> str:
        target = entry['params'].get(TARGET)
        if target == EVERY_PROJECT:
            return EVERY_PROJECT
        if isinstance(target, dict):
            return target.get('name') or ''
        if target is None:
            # A target whose name the export could not read: its id.
            return unnamed(entry['_info'].get('target_project_id'))
        return ''

    def name_of(self, entry: base.Entry) -> str:
        return '%s -> %s' % (
            self._object_name(entry['params']),
            self._target_name(entry),
        )

    def label_of(self, entry: base.Entry) -> str:
        params = entry['params']
        return '%s %s (%s)' % (
            params.get('object_type'),
            self.name_of(entry),
            params.get('action'),
        )

    def import_identity(self, entry: base.Entry) -> str:
        params = entry['params']
        target = params.get(TARGET)
        if isinstance(target, dict):
            target = (target.get('name'), target.get('domain_name'))
        elif target is None:
            target = self._target_name(entry)
        return '%s:%r' % (
            self.type,
            (
                params.get('object_type'),
                self._object_name(params),
                params.get('action'),
                target,
            ),
        )

    # -- project names --------------------------------------------------------

    def _admin_cloud(self, lookup: refs.Lookup, side: str) -> str | None:
        name = getattr(lookup.options, '%s_admin_cloud' % side, None)
        return name or os.environ.get(
            'OS_MIGRATE_%s_ADMIN_CLOUD' % side.upper()
        )

    def _identity(self, lookup: refs.Lookup, side: str) -> refs.Lookup:
        """The lookups that know project names: the admin cloud's, when
        given."""
        cloud = self._admin_cloud(lookup, side)
        return lookup.beside(side, cloud) if cloud else lookup

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        side = _SIDES.get(verb)
        if side is None:
            return
        what = 'source' if side == 'src' else 'destination'
        env = 'OS_MIGRATE_%s_ADMIN_CLOUD' % side.upper()
        parser.add_argument(
            '--%s-admin-cloud' % side,
            metavar='<cloud>',
            default=None,
            help='Network RBAC policies: the clouds.yaml entry of a user '
            'who may list the %s\'s projects (an admin), to read the '
            'names of the projects that the policies share with when the '
            '--%s-cloud user may not (Env: %s)' % (what, side, env),
        )

    # -- export ---------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return [
            p for p in lookup.owned(self.kind) if p.object_type in OBJECT_KINDS
        ]

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        kind = OBJECT_KINDS[obj.object_type]
        thing = lookup.get(kind, obj.object_id)
        target = obj.target_project_id
        if target != EVERY_PROJECT:
            try:
                project = self._identity(lookup, 'src').get('project', target)
            except sdk_exceptions.ForbiddenException:
                project = None
            target = project.name if project is not None else unnamed(target)
        return '%s -> %s' % (thing.name if thing is not None else '', target)

    def _target_ref(
        self, lookup: refs.Lookup, project_id: str | None
    ) -> ty.Any:
        if project_id == EVERY_PROJECT:
            return EVERY_PROJECT
        identity = self._identity(lookup, 'src')
        try:
            return identity.ref('project', project_id)
        except sdk_exceptions.ForbiddenException:
            LOG.warning(
                'Network RBAC: the source user may not list projects: the '
                'target project %s is written by id only (_info.'
                'target_project_id) and its policies will not import until '
                'the file names it; give --src-admin-cloud to write names',
                project_id,
            )
            return None

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        params: dict[str, ty.Any] = {
            'object_type': obj.object_type,
            'action': obj.action,
        }
        kind = OBJECT_KINDS.get(obj.object_type)
        if kind is not None:
            params[kind + '_ref'] = lookup.ref(kind, obj.object_id)
        params[TARGET] = self._target_ref(lookup, obj.target_project_id)
        info = {f: base.plain(getattr(obj, f, None)) for f in self.info_fields}
        return {
            'type': self.type,
            'params': params,
            '_info': info,
            '_migration_params': {},
        }

    # -- import ---------------------------------------------------------------

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        found = self.problem(entry['params'])
        if found:
            return base.Decision(base.BLOCKED, '%s: %s' % found)
        return super().decide(lookup, entry)

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        found = self.problem(params)
        if found:
            raise exceptions.UnresolvedReference(found[1], field=found[0])
        object_type = params['object_type']
        param = ty.cast(str, object_param(object_type))
        attrs = {
            'object_type': object_type,
            'action': params.get('action'),
        }
        if params.get(param) is None:
            raise exceptions.UnresolvedReference(
                'the policy names no %s' % object_type.replace('_', ' '),
                field=param,
            )
        try:
            attrs['object_id'] = lookup.resolve(
                OBJECT_KINDS[object_type], params[param]
            ).id
        except exceptions.UnresolvedReference as e:
            e.field = param
            raise
        target = params.get(TARGET)
        if target == EVERY_PROJECT:
            attrs['target_project_id'] = EVERY_PROJECT
        elif target is None:
            raise exceptions.UnresolvedReference(
                'the target project is not named (the export could not read '
                'its name; write its name and domain here)',
                field=TARGET,
            )
        else:
            identity = self._identity(lookup, 'dst')
            try:
                identity.all('project')
            except sdk_exceptions.ForbiddenException:
                raise exceptions.UnresolvedReference(
                    'cannot look %s up: the user may not list projects '
                    '(give --dst-admin-cloud or OS_MIGRATE_DST_ADMIN_CLOUD: a '
                    'user who may)' % refs.describe('project', target),
                    field=TARGET,
                )
            try:
                attrs['target_project_id'] = identity.resolve(
                    'project', target
                ).id
            except exceptions.UnresolvedReference as e:
                e.field = TARGET
                raise
        return attrs

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        attrs = self.sdk_attrs(lookup, entry['params'])
        wanted = tuple(
            attrs[k]
            for k in (
                'object_type',
                'object_id',
                'action',
                'target_project_id',
            )
        )
        for policy in lookup.owned(self.kind):
            have = (
                policy.object_type,
                policy.object_id,
                policy.action,
                policy.target_project_id,
            )
            if have == wanted:
                return policy
        return None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        # The twin grants the same access: nothing else could differ.
        return {}

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        return self.sdk_attrs(lookup, entry['params'])


RESOURCE = NetworkRbac
