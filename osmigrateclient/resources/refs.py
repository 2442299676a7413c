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

"""References between resources, and the cached lookups behind them.

A reference is ``{name, project_name, domain_name}``.  ``'%auth%'`` in
``project_name`` / ``domain_name`` means "the project I am authenticated
to": the source project on export, the destination project on import.  A
project that the caller may not look up is written as ``None``, and the
reference is then resolved by name alone.

:class:`Lookup` lists each kind of resource once per cloud (with the listers
of :mod:`osmigrateclient.resources._listers`) and answers every later
question from that list, so that importing N resources does not cost N
identical API calls.  It is safe to share between threads: each list is
made once, under a lock of its kind, and replaced, never changed in place,
so that a reader always holds a whole list.
"""

import threading
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient import exceptions
from osmigrateclient.resources import _listers as listers

AUTH = '%auth%'

Ref = dict[str, ty.Any]

#: The target of a Neutron RBAC policy that shares with every project.
EVERY_PROJECT = '*'

#: Kinds that belong to no project: references to them carry no project.
UNOWNED = frozenset(
    [
        'flavor',
        'domain',
        'role',
        'network_flavor',
        'volume_type',
        'volume_qos',
        'share_type',
    ]
)

#: Identity kinds that belong to a domain: references to them carry the
#: domain's name and no project, and resolve within that domain.
DOMAIN_OWNED = frozenset(['project', 'user', 'group'])


def make_ref(
    name: str | None,
    project_name: str | None = None,
    domain_name: str | None = None,
) -> Ref:
    return {
        'name': name,
        'project_name': project_name,
        'domain_name': domain_name,
    }


def owner_of(obj: ty.Any) -> str | None:
    """The project that owns an SDK resource, whatever the service calls it."""
    for attr in ('project_id', 'owner', 'owner_id', 'tenant_id'):
        value = getattr(obj, attr, None)
        if value:
            return value
    return None


def describe(kind: str, ref: ty.Any) -> str:
    """``network 'net1' (project '%auth%')`` for messages."""
    if not isinstance(ref, dict):
        return '%s %r' % (kind.replace('_', ' '), ref)
    text = '%s %r' % (kind.replace('_', ' '), ref.get('name'))
    if ref.get('project_name'):
        text += ' (project %r)' % ref['project_name']
    return text


class Lookup:
    """Cached name and id lookups in one cloud."""

    def __init__(
        self,
        conn,
        data_dir: str | None = None,
        options: ty.Any = None,
        connect: ty.Callable[[str], ty.Any] | None = None,
        movers: ty.Any = None,
    ) -> None:
        self.conn = conn
        #: the data directory and the command's parsed options, for the
        #: types whose work goes beyond one cloud (image blobs, say)
        self.data_dir = data_dir
        self.options = options
        #: what moves the bytes of a type in this run, by attribute
        #: (:mod:`osmigrateclient.movers`): given, never imported, so that
        #: the resource layer stays below transfer/ and workload/
        self.movers = movers
        self._connect = connect
        self._others: dict[str, ty.Any] = {}
        self._lists: dict[str, list[ty.Any]] = {}
        self._projects: dict[str, tuple[str | None, str | None]] = {}
        self._project_ids: dict[tuple[str, str | None], str | None] = {}
        self._services: dict[str, bool] = {}
        self._notes: dict[tuple[str, str], list[str]] = {}
        #: guards the dicts above but ``_lists``, and ``_kind_locks``
        self._lock = threading.RLock()
        #: one per kind: a list is made, and changed, under its lock
        self._kind_locks: dict[str, threading.Lock] = {}

    def option(self, name: str, default: ty.Any = None) -> ty.Any:
        """The command's option ``name``; ``default`` if not given."""
        value = getattr(self.options, name, None)
        return default if value is None else value

    def mover(self, cli_name: str) -> ty.Any:
        """What moves the bytes of the type ``cli_name`` in this run.

        :raises osmigrateclient.exceptions.MigrateError: the command gave
            this Lookup no such mover
        """
        mover = getattr(self.movers, cli_name.replace(' ', '_'), None)
        if mover is None:
            raise exceptions.MigrateError(
                'this command cannot move the bytes of a %s' % cli_name
            )
        return mover

    @property
    def project_id(self) -> str:
        return self.conn.current_project_id

    @property
    def user_id(self) -> str:
        return self.conn.current_user_id

    def other_side(self, side: str, cloud: str | None = None) -> ty.Any:
        """A connection to the other cloud of the command (``'src'`` for
        an import), as its options name it; or, with ``cloud``, to that
        entry of clouds.yaml for the ``side``; made once."""
        key = side if cloud is None else '%s:%s' % (side, cloud)
        with self._lock:
            if key not in self._others:
                if self._connect is None:
                    raise exceptions.MigrateError(
                        'this command has no %s cloud' % side
                    )
                self._others[key] = (
                    self._connect(side)
                    if cloud is None
                    else self._connect(side, cloud)
                )
            return self._others[key]

    def beside(self, side: str, cloud: str) -> 'Lookup':
        """The lookups of another user of the ``side`` (the clouds.yaml
        entry ``cloud``: an admin who may list what this user may not);
        made once."""
        key = 'lookup:%s:%s' % (side, cloud)
        with self._lock:
            if key not in self._others:
                self._others[key] = Lookup(
                    self.other_side(side, cloud), movers=self.movers
                )
            return self._others[key]

    @property
    def is_admin(self) -> bool:
        access = self.conn.session.auth.get_access(self.conn.session)
        return 'admin' in access.role_names

    def has_extension(self, alias: str) -> bool:
        """Whether the cloud's Neutron has the extension ``alias``; True
        when the cloud does not say (an empty or refused list)."""
        try:
            found = self.all('extension')
        except sdk_exceptions.SDKException:
            return True
        return not found or any(
            getattr(e, 'alias', None) == alias for e in found
        )

    def has_service(self, service_type: str) -> bool:
        """Whether the cloud's catalog has an endpoint of
        ``service_type`` (read from the token: no request)."""
        with self._lock:
            if service_type not in self._services:
                try:
                    found = self.conn.endpoint_for(service_type)
                except sdk_exceptions.SDKException:
                    found = None
                self._services[service_type] = bool(found)
            return self._services[service_type]

    # -- notes for outcomes -------------------------------------------------

    def note(self, kind: str, id_: str, text: str) -> None:
        """Keep ``text`` (what a create or update could not do) for the
        outcome of the resource of ``kind`` with this id; once."""
        with self._lock:
            notes = self._notes.setdefault((kind, id_), [])
            if text not in notes:
                notes.append(text)

    def notes(self, kind: str, id_: str) -> list[str]:
        """The notes kept for a resource, forgotten once read."""
        with self._lock:
            return self._notes.pop((kind, id_), [])

    # -- the cached lists ---------------------------------------------------

    def _kind_lock(self, kind: str) -> threading.Lock:
        with self._lock:
            return self._kind_locks.setdefault(kind, threading.Lock())

    def all(self, kind: str) -> list[ty.Any]:
        """Every visible resource of ``kind``, listed once.

        The list is the caller's to read, not to change.
        """
        listed = self._lists.get(kind)
        if listed is not None:
            return listed
        # Threads that ask at once wait for one listing, not one each.
        with self._kind_lock(kind):
            if kind not in self._lists:
                self._lists[kind] = listers.listed(self.conn, kind)
            return self._lists[kind]

    def get(self, kind: str, id_: str | None) -> ty.Any:
        """The resource of ``kind`` with this id, or None."""
        if not id_:
            return None
        for obj in self.all(kind):
            if obj.id == id_:
                return obj
        return None

    def remember(self, kind: str, obj: ty.Any) -> None:
        """Record a resource created or updated since the list was made.

        A list being made meanwhile is waited for: it may have been asked
        for before the resource existed.
        """
        with self._kind_lock(kind):
            listed = self._lists.get(kind)
            if listed is not None:
                self._lists[kind] = [o for o in listed if o.id != obj.id] + [
                    obj
                ]

    def forget(self, kind: str, id_: str) -> None:
        with self._kind_lock(kind):
            listed = self._lists.get(kind)
            if listed is not None:
                self._lists[kind] = [o for o in listed if o.id != id_]

    def relist(self, kind: str) -> None:
        """Forget the list of ``kind``: the next use lists it again (after
        a write whose answer is unknown)."""
        with self._kind_lock(kind):
            self._lists.pop(kind, None)

    def owned(self, kind: str) -> list[ty.Any]:
        """The resources of ``kind`` owned by the authenticated project."""
        return [o for o in self.all(kind) if owner_of(o) == self.project_id]

    # -- projects -----------------------------------------------------------

    def project_names(self, project_id: str) -> tuple[str | None, str | None]:
        """(project name, domain name), or (None, None) if not visible."""
        with self._lock:
            if project_id not in self._projects:
                try:
                    project = self.conn.identity.get_project(project_id)
                    domain = self.conn.identity.get_domain(project.domain_id)
                    self._projects[project_id] = (project.name, domain.name)
                except (
                    sdk_exceptions.ForbiddenException,
                    sdk_exceptions.NotFoundException,
                ):
                    self._projects[project_id] = (None, None)
            return self._projects[project_id]

    def project_id_for(self, name: str, domain_name: str | None) -> str | None:
        """The id of a named project, or None if it cannot be looked up."""
        key = (name, domain_name)
        with self._lock:
            if key not in self._project_ids:
                try:
                    kwargs = {}
                    if domain_name:
                        domain = self.conn.identity.find_domain(domain_name)
                        if domain is not None:
                            kwargs['domain_id'] = domain.id
                    project = self.conn.identity.find_project(name, **kwargs)
                    self._project_ids[key] = project.id if project else None
                except (
                    sdk_exceptions.ForbiddenException,
                    sdk_exceptions.NotFoundException,
                ):
                    self._project_ids[key] = None
            return self._project_ids[key]

    # -- references ---------------------------------------------------------

    def ref(self, kind: str, id_: str | None) -> Ref | None:
        """The reference to the resource of ``kind`` with this id.

        A resource that is not visible keeps its id as its only trace in
        ``_info``; its reference is None.
        """
        obj = self.get(kind, id_)
        if obj is None:
            return None
        return self.ref_to(kind, obj)

    def ref_to(self, kind: str, obj: ty.Any) -> Ref:
        if kind in UNOWNED:
            return make_ref(obj.name)
        if kind in DOMAIN_OWNED:
            domain = self.get('domain', obj.domain_id)
            return make_ref(obj.name, None, domain.name if domain else None)
        owner = owner_of(obj)
        if owner is None or owner == self.project_id:
            return make_ref(obj.name, AUTH, AUTH)
        return make_ref(obj.name, *self.project_names(owner))

    def resolve(self, kind: str, ref: Ref) -> ty.Any:
        """The one resource a reference names.

        :raises osmigrateclient.exceptions.UnresolvedReference: none or
            several resources match
        """
        if not isinstance(ref, dict) or not ref.get('name'):
            raise exceptions.UnresolvedReference(
                'not a reference (a mapping with a name): %r' % (ref,)
            )
        try:
            listed = self.all(kind)
        except sdk_exceptions.ForbiddenException:
            raise exceptions.UnresolvedReference(
                'cannot look %s up: the user may not list %s resources'
                % (describe(kind, ref), kind.replace('_', ' '))
            )
        matches = [o for o in listed if o.name == ref['name']]
        project = ref.get('project_name')
        domain_name = ref.get('domain_name')
        if kind in DOMAIN_OWNED:
            if domain_name and domain_name != AUTH:
                domains = {
                    d.id for d in self.all('domain') if d.name == domain_name
                }
                if not domains:
                    raise exceptions.UnresolvedReference(
                        'domain %r not found' % domain_name
                    )
                matches = [o for o in matches if o.domain_id in domains]
        elif kind not in UNOWNED and project:
            if project == AUTH:
                project_id = self.project_id
            else:
                project_id = self.project_id_for(
                    project, ref.get('domain_name')
                )
            if project_id is not None:
                matches = [o for o in matches if owner_of(o) == project_id]
        if not matches:
            raise exceptions.UnresolvedReference(
                '%s not found' % describe(kind, ref)
            )
        if len(matches) > 1:
            raise exceptions.UnresolvedReference(
                '%s is ambiguous: %d match (%s)'
                % (
                    describe(kind, ref),
                    len(matches),
                    ', '.join(sorted(o.id for o in matches)),
                )
            )
        return matches[0]
