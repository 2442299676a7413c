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

"""Checks of a whole data directory, before anything is imported."""

import collections
import os
import typing as ty

from osmigrateclient import datadir
from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient import resources
from osmigrateclient.resources import domain
from osmigrateclient.resources import refs
from osmigrateclient.resources import role
from osmigrateclient.resources import security_group


class Problem(ty.NamedTuple):
    file: str
    resource: str
    field: str
    problem: str


#: YAML files that may sit in a data directory without being data files:
#: the pioneering tool rendered the clouds.yaml of its runs there; the
#: journal of ``migrate access grant`` is ours.
NOT_DATA_FILES = frozenset(
    [
        'clouds.yaml',
        'clouds.yml',
        'secure.yaml',
        'secure.yml',
        datadir.ACCESS_JOURNAL,
    ]
)


def data_files(data_dir: str) -> list[str]:
    """The data files of ``data_dir``: its ``*.yml`` and ``*.yaml``.

    Listed, not globbed: the directory's own name may hold ``[``, ``*``
    or ``?``.

    :raises osmigrateclient.exceptions.DataFileError: it cannot be read
    """
    try:
        names = os.listdir(data_dir)
    except OSError as e:
        raise exceptions.DataFileError(
            'cannot read the directory: %s' % (e.strerror or e), path=data_dir
        )
    return sorted(
        os.path.join(data_dir, name)
        for name in names
        if name.endswith(('.yml', '.yaml'))
        and not name.startswith('.')
        and name not in NOT_DATA_FILES
    )


def validate(
    data_dir: str, lookup: refs.Lookup | None = None
) -> tuple[list[Problem], int, int]:
    """Check every data file of ``data_dir``.

    References are checked against the data directory; those it cannot
    answer (resources of other projects, types that are not migrated) are
    checked against the destination when ``lookup`` is given.

    :returns: (problems, number of files, number of resources)
    """
    if not os.path.exists(data_dir):
        raise exceptions.DataFileError('no such directory', path=data_dir)
    if not os.path.isdir(data_dir):
        raise exceptions.DataFileError('not a directory', path=data_dir)
    paths = data_files(data_dir)
    if not paths:
        raise exceptions.DataFileError(
            'no data files (*.yml or *.yaml) in the directory', path=data_dir
        )
    types = resources.by_type()
    problems: list[Problem] = []
    loaded = []
    for path in paths:
        try:
            loaded.append(datafile.load(path))
        except exceptions.DataFileError as e:
            problems.append(
                Problem(path, e.resource or '', e.field or '', e.problem)
            )

    # What the data dir holds, for duplicates and references.
    identities = collections.defaultdict(list)
    held = collections.defaultdict(set)
    #: entries of the wrong shape: reported once, not looked into further
    bad: set[int] = set()
    count = 0
    for df in loaded:
        for index, entry in enumerate(df.resources):
            count += 1
            resource = types.get(entry['type'])
            if resource is None:
                problems.append(
                    Problem(
                        df.path,
                        datafile.label(entry, index),
                        'type',
                        'unknown type %r' % entry['type'],
                    )
                )
                continue
            try:
                resource.check(entry, df.path, index)
            except exceptions.DataFileError as e:
                problems.append(
                    Problem(
                        df.path, e.resource or '', e.field or '', e.problem
                    )
                )
                bad.add(id(entry))
                continue
            identities[resource.import_identity(entry)].append(
                (df.path, index, entry)
            )
            held[resource.kind].add(entry['params'].get('name'))

    for identity, places in sorted(identities.items()):
        if len(places) > 1:
            for path, index, entry in places:
                problems.append(
                    Problem(
                        path,
                        datafile.label(entry, index),
                        'params.name',
                        'duplicate: %d resources would import as %r'
                        % (len(places), identity),
                    )
                )

    for df in loaded:
        for index, entry in enumerate(df.resources):
            resource = types.get(entry['type'])
            if resource is None or id(entry) in bad:
                continue
            for field, kind, ref in resource.references_in(entry['params']):
                if ref is None or (
                    kind == 'project' and ref == refs.EVERY_PROJECT
                ):
                    continue
                problem = _check_ref(kind, ref, held, lookup)
                if problem:
                    problems.append(
                        Problem(
                            df.path,
                            datafile.label(entry, index),
                            field,
                            problem,
                        )
                    )
    return problems, len(paths), count


def _check_ref(
    kind: str, ref: ty.Any, held: dict, lookup: refs.Lookup | None
) -> str | None:
    """Why a reference does not resolve, or None if it does."""
    if not isinstance(ref, dict) or not ref.get('name'):
        return 'not a reference (a mapping with a name): %r' % (ref,)
    own = ref.get('project_name') == refs.AUTH or kind in refs.UNOWNED
    if own and ref['name'] in held.get(kind, ()):
        return None
    if lookup is None:
        if own and kind in _migrated_kinds() and _expected(kind, ref, held):
            return '%s is not in the data directory' % refs.describe(kind, ref)
        return None
    try:
        lookup.resolve(kind, ref)
    except exceptions.UnresolvedReference as e:
        return '%s, neither in the data directory nor in the destination' % (
            e.problem
        )
    return None


def _expected(kind: str, ref: dict, held: dict) -> bool:
    """Whether the data directory should hold what ``ref`` names.

    Unowned resources (flavors, domains, roles) are often the
    destination's own: public flavors, and the Default domain and built-in
    roles, which are never exported.  A reference to one is looked for in
    the data directory only when it holds resources of that kind, and one
    to a built-in domain or role never; nor one to a project's default
    security group, which Neutron makes in every project.
    """
    built_in = _BUILT_IN.get(kind)
    if built_in is not None and built_in(ref.get('name')):
        return False
    if kind not in refs.UNOWNED:
        return True
    return bool(held.get(kind))


#: kind -> whether a name is one of the resources that every cloud (or
#: every project: its default security group) has
_BUILT_IN = {
    'domain': domain.is_built_in,
    'role': role.is_built_in,
    'security_group': security_group.is_built_in,
}


def _migrated_kinds() -> set[str]:
    return {r.kind for r in resources.by_cli_name().values()}
