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

"""Project quotas (admin): compute, network and volume.

One entry per project: ``project_ref`` (name and domain) and one mapping
per service, ``compute`` (Nova), ``network`` (Neutron) and ``volume``
(Cinder, volume-type quotas such as ``volumes_<type>`` included), each
holding the project's quota limits by their openstacksdk names (-1 is
unlimited).  The pioneering tool migrates no quota; the type string is
this client's own.

Export writes the quotas of the projects of the data directory's
``projects.yml`` (so ``migrate export all`` as admin moves the quotas of
the projects it moves), or, when there is no such file, those of the
project the source cloud is authenticated to.  ``--name`` /
``--name-regex`` match the project's name.

Import sets, in the destination project of the same name and domain, only
the limits that differ; the others, and limits the destination does not
know (a volume type it lacks, a service it does not run), are left alone,
and the outcome names the unknown ones.
"""

import logging
import os
import typing as ty

from keystoneauth1 import exceptions as ksa_exceptions
from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import base
from osmigrateclient.resources import project as project_type
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: what is not a limit in the services' answers
NOT_LIMITS = frozenset(
    [
        'check_limit',
        'force',
        'id',
        'location',
        'name',
        'project_id',
        'reservation',
        'tenant_id',
        'usage',
    ]
)


def _limits(obj: ty.Any) -> dict[str, int]:
    return {
        k: v
        for k, v in obj.to_dict(computed=False).items()
        if k not in NOT_LIMITS
        and isinstance(v, int)
        and not isinstance(v, bool)
    }


#: service -> (how to read a project's quotas, how to set some of them)
SERVICES: dict[str, tuple[ty.Callable, ty.Callable]] = {
    'compute': (
        lambda c, pid: c.compute.get_quota_set(pid),
        lambda c, pid, values: c.compute.update_quota_set(pid, **values),
    ),
    'network': (
        lambda c, pid: c.network.get_quota(pid),
        lambda c, pid, values: c.network.update_quota(pid, **values),
    ),
    'volume': (
        lambda c, pid: c.block_storage.get_quota_set(pid),
        lambda c, pid, values: c.block_storage.update_quota_set(pid, **values),
    ),
}

_MISSING_SERVICE = (
    ksa_exceptions.EndpointNotFound,
    ksa_exceptions.CatalogException,
    sdk_exceptions.ServiceDisabledException,
)


class Quota(base.Resource):
    type = 'openstack.ProjectQuota'
    cli_name = 'quota'
    export_what = (
        'the quotas of the projects of projects.yml in the data directory '
        '(else of the source project)'
    )
    import_where = 'the same-named destination projects'
    #: a project's quotas are listed by listing the projects
    kind = 'project'
    file_name = 'quotas.yml'
    service = 'identity'
    admin_only = True
    rank = 4
    depends_on = ('project',)
    tag_field = None

    params_fields = ()
    info_fields = ('id',)
    references = {'project_ref': base.RefField('project', 'id')}
    sorted_fields = ()
    required_params = ('project_ref',)
    param_shapes = dict.fromkeys(SERVICES, datafile.MapOf(datafile.NUMBER))

    # -- names and identities -----------------------------------------------

    def name_of(self, entry: base.Entry) -> str:
        return (entry['params'].get('project_ref') or {}).get('name') or ''

    def import_identity(self, entry: base.Entry) -> str:
        ref = entry['params'].get('project_ref') or {}
        return '%s:%s:%s' % (
            self.type,
            ref.get('name'),
            ref.get('domain_name'),
        )

    # -- reading quotas -----------------------------------------------------

    def read(self, lookup: refs.Lookup, project_id: str) -> dict[str, dict]:
        """The limits of a project, by service; services the cloud does
        not run are left out."""
        found = {}
        for service, (get, _) in SERVICES.items():
            try:
                found[service] = _limits(get(lookup.conn, project_id))
            except _MISSING_SERVICE as e:
                LOG.warning('No %s quotas: %s', service, e)
        return found

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        path = os.path.join(
            lookup.data_dir or '', project_type.RESOURCE.file_name
        )
        if not lookup.data_dir or not os.path.exists(path):
            own = lookup.get('project', lookup.project_id)
            return [own] if own is not None else []
        found = []
        projects = datafile.load(path).resources
        checker = project_type.RESOURCE()
        for index, entry in enumerate(projects):
            checker.check(entry, path, index)
        for entry in projects:
            project = lookup.get('project', entry['_info'].get('id'))
            if project is None:
                ref = {
                    'name': entry['params'].get('name'),
                    'domain_name': (
                        entry['params'].get('domain_ref') or {}
                    ).get('name'),
                }
                try:
                    project = lookup.resolve('project', ref)
                except exceptions.UnresolvedReference:
                    LOG.warning(
                        '%s: project %r is not in the source: no quotas',
                        path,
                        ref['name'],
                    )
                    continue
            if all(project.id != p.id for p in found):
                found.append(project)
        return found

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        params: dict[str, ty.Any] = {
            'project_ref': lookup.ref_to('project', obj)
        }
        params.update(self.read(lookup, obj.id))
        return {
            'type': self.type,
            'params': params,
            '_info': {'id': obj.id},
            '_migration_params': {},
        }

    # -- import -------------------------------------------------------------

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        return lookup.resolve('project', entry['params']['project_ref'])

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        """``{'<service>.<limit>': (destination, file)}``"""
        current = self.read(lookup, existing.id)
        changes = {}
        unknown = []
        for service in SERVICES:
            wanted = entry['params'].get(service) or {}
            have = current.get(service)
            for key, value in sorted(wanted.items()):
                name = '%s.%s' % (service, key)
                if have is None or key not in have:
                    unknown.append(name)
                elif have[key] != value:
                    changes[name] = (have[key], value)
        # for the decision's detail: the limits the destination does not know
        for name in unknown:
            lookup.note(self.cli_name, existing.id, name)
        return changes

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        try:
            project = lookup.resolve('project', entry['params']['project_ref'])
        except exceptions.UnresolvedReference:
            project = None
        if project is not None and project.domain_id is None:
            # A dry run's stand-in for a project that it would create.
            return base.Decision(base.UPDATE, 'every limit (new project)')
        decision = super().decide(lookup, entry)
        if decision.existing is None:
            return decision
        unknown = lookup.notes(self.cli_name, decision.existing.id)
        if unknown:
            note = 'not in the destination, left out: %s' % ', '.join(unknown)
            decision = decision._replace(
                detail='; '.join(d for d in (decision.detail, note) if d)
            )
        return decision

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        by_service: dict[str, dict[str, int]] = {}
        for name, (_, value) in changes.items():
            service, key = name.split('.', 1)
            by_service.setdefault(service, {})[key] = value
        for service, values in sorted(by_service.items()):
            SERVICES[service][1](lookup.conn, existing.id, values)
        return existing


RESOURCE = Quota
