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

"""The base class of every migrated resource type.

A resource module declares what to copy and the base class does the rest::

    class Network(base.Resource):
        type = 'openstack.network.Network'
        cli_name = 'network'
        kind = 'network'
        file_name = 'networks.yml'
        params_fields = ('name', 'description', 'mtu', ...)
        info_fields = ('id', 'project_id', 'status', ...)
        references = {
            'qos_policy_ref': base.RefField('qos_policy', 'qos_policy_id'),
        }

Export turns an SDK object into a data-file entry (``params`` to create it
again, ``_info`` for the record).  Import resolves the references of an
entry in the destination, finds the destination twin by name in the
destination project, and creates it, updates the editable fields that
differ, or leaves it unchanged.  Comparison re-exports the destination twin
and compares ``params`` only, so ``_info`` and ``_migration_params`` never
cause an update.

This module is the declaration that resource modules import; the defaults
that take more than a few lines live beside it: ``_export.py`` (an SDK
object as an entry), ``_shapes.py`` (the shape check of entries),
``_compare.py`` (an entry against its twin: diff and decision),
``_import.py`` (an entry into the destination: its SDK arguments, the
create, update and outcome of ``apply``), ``_bulk.py`` (Neutron's bulk
create) and ``_values.py`` (the value helpers).
"""

import argparse
import logging
import re
import typing as ty

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _bulk
from osmigrateclient.resources import _compare
from osmigrateclient.resources import _export
from osmigrateclient.resources import _import
from osmigrateclient.resources import _shapes
from osmigrateclient.resources import refs

# The value helpers that resource modules use with the base class: part of
# its API, kept in _values.py beside it.
from osmigrateclient.resources._values import is_empty  # noqa: F401
from osmigrateclient.resources._values import plain  # noqa: F401
from osmigrateclient.resources._values import reported  # noqa: F401
from osmigrateclient.resources._values import same  # noqa: F401
from osmigrateclient.resources._values import sort_list  # noqa: F401

LOG = logging.getLogger(__name__)

Entry = datafile.Entry

# Actions of a decision, and what import reports once it has done them.
CREATE, UPDATE, UNCHANGED, BLOCKED, CONFLICT = (
    'create',
    'update',
    'unchanged',
    'blocked',
    'conflict',
)
DONE = {CREATE: 'created', UPDATE: 'updated', UNCHANGED: 'unchanged'}
FAILED = 'failed'


def positive_int(text: str) -> int:
    """An option's whole number of at least 1 (a count), for argparse."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(
            'a whole number of at least 1, not %r' % text
        )
    return value


class RefField(ty.NamedTuple):
    """A reference in ``params`` and the raw id it stands for in ``_info``."""

    kind: str
    id_attr: str
    #: the id is a list of ids (``security_group_ids``)
    many: bool = False


class Outcome(ty.NamedTuple):
    """What import did (or plan would do) with one resource."""

    type: str
    name: str
    action: str
    detail: str = ''


class Decision(ty.NamedTuple):
    """What :meth:`Resource.decide` found an import must do with one entry:
    an action, why, and the destination's twin with the fields that differ.
    (``migrate plan`` prints these; import then acts on them.)"""

    action: str
    detail: str
    existing: ty.Any = None
    changes: dict[str, ty.Any] | None = None


class Resource:
    """One migrated resource type; subclasses declare, this class acts."""

    #: the type string of data-file entries (the pioneering tool's)
    type: ty.ClassVar[str]
    #: the name on the command line: ``migrate export <cli_name>``
    cli_name: ty.ClassVar[str]
    #: the data file, in the data directory
    file_name: ty.ClassVar[str]
    #: the key of :data:`_listers.LISTERS` that lists these resources
    kind: ty.ClassVar[str]
    #: ``cli_name`` of the types whose resources these ones reference
    depends_on: ty.ClassVar[tuple[str, ...]] = ()
    #: where the type comes in ``export all`` when dependencies allow
    rank: ty.ClassVar[int] = 100
    #: openstacksdk proxy holding ``create_<kind>`` and ``update_<kind>``
    service: ty.ClassVar[str] = 'network'
    #: the Neutron extension (its alias) without which the cloud has no
    #: API for this type: ``export all`` / ``import all`` leave it out
    extension: ty.ClassVar[str | None] = None
    #: the catalog's service type (``key-manager``, ``object-store``) of a
    #: service that not every cloud has: without an endpoint for it,
    #: ``export all`` / ``import all`` leave the type out
    catalog_service: ty.ClassVar[str | None] = None
    #: only an admin can export or import this type
    admin_only: ty.ClassVar[bool] = False
    #: part of ``migrate export all`` / ``migrate import all``
    pre_workload: ty.ClassVar[bool] = True
    #: the type's name in the plural, for help texts (None: ``cli_name``
    #: with the English ending)
    plural_name: ty.ClassVar[str | None] = None
    #: what ``migrate export <type>`` takes, for its help
    export_what: ty.ClassVar[str] = "the source project's {plural}"
    #: where ``migrate import <type>`` puts them, for its help
    import_where: ty.ClassVar[str] = 'the destination project'

    #: SDK attributes copied into ``params``: what to create
    params_fields: ty.ClassVar[tuple[str, ...]] = ('name',)
    #: SDK attributes copied into ``_info``: facts for the record
    info_fields: ty.ClassVar[tuple[str, ...]] = ('id',)
    #: references in ``params``, by param name
    references: ty.ClassVar[dict[str, RefField]] = {}
    #: references inside the mappings of a list param, by list param and
    #: key: ``{'sub_ports': {'port_ref': 'port'}}`` (a trunk's subports);
    #: ``migrate validate`` checks them with the others
    #: (:meth:`references_in`)
    item_references: ty.ClassVar[dict[str, dict[str, str]]] = {}
    #: list fields whose order means nothing (sorted for stable files)
    sorted_fields: ty.ClassVar[tuple[str, ...]] = ('tags',)
    #: params that cannot change once the resource exists
    create_only: ty.ClassVar[tuple[str, ...]] = ()
    #: params not sent on create when empty ('' or []): Neutron refuses
    #: them where the extension behind them is missing
    skip_empty: ty.ClassVar[tuple[str, ...]] = ()
    #: params whose null in a file means "not known", not a value: an
    #: attribute the exporter could not see (a tenant does not see provider
    #: attributes) or the pioneering tool left unset (``is_vlan_transparent:
    #: null``).  Create does not send them (no null is sent), and diff does
    #: not compare them, so that a re-run leaves the destination's own value
    #: alone instead of trying to null it (a conflict or a refused update).
    none_is_unknown: ty.ClassVar[tuple[str, ...]] = ()
    #: params set by their own API call after create / update
    tag_field: ty.ClassVar[str | None] = 'tags'
    #: ``cli_name`` of types whose import lets this type's resources be
    #: finished (a router's static routes need its interfaces): an import
    #: of both applies this type's entries once more after them
    finish_after: ty.ClassVar[tuple[str, ...]] = ()

    #: the shapes (:func:`datafile.check_shape`) of params beyond the
    #: default ones: a string, number or boolean for each of
    #: :attr:`params_fields`, a list for :attr:`sorted_fields`, a reference
    #: (or a list of them) for :attr:`references`
    param_shapes: ty.ClassVar[dict[str, ty.Any]] = {}
    #: the shapes of the ``_info`` fields that import reads
    info_shapes: ty.ClassVar[dict[str, ty.Any]] = {}
    #: the shape of ``_migration_params``
    migration_shape: ty.ClassVar[ty.Any] = datafile.ANY
    #: params without which an entry means nothing (null or absent)
    required_params: ty.ClassVar[tuple[str, ...]] = ()
    #: ``_info`` fields that become part of a file name in the data
    #: directory (a volume's log): they must be plain ids
    path_ids: ty.ClassVar[tuple[str, ...]] = ()

    @property
    def plural(self) -> str:
        """The name in the plural: ``network qos policies``."""
        if self.plural_name:
            return self.plural_name
        name = self.cli_name
        if re.search('[^aeiou]y$', name):
            return name[:-1] + 'ies'
        if re.search('(s|x|ch|sh)$', name):
            return name + 'es'
        return name + 's'

    def shape(self) -> dict[str, ty.Any]:
        """The shape of this type's entries, for :meth:`check`."""
        return _shapes.shape_of(self)

    def check(self, entry: Entry, path: str, index: int) -> None:
        """Refuse an entry whose fields do not have the shape that import
        reads: one clear error instead of a crash half-way through.

        :raises osmigrateclient.exceptions.DataFileError: naming the file,
            the resource and the field
        """
        _shapes.check(self, entry, path, index)

    def references_in(self, params: dict) -> list[tuple[str, str, ty.Any]]:
        """(field, kind, reference) of each reference that ``params`` hold
        (:attr:`references`, then :attr:`item_references`), the field as
        ``check`` names it (``params.sub_ports[0].port_ref``); null ones
        too.  ``params`` must have passed :meth:`check`."""
        return _shapes.references_in(self, params)

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        """Add this type's own options to its ``export`` / ``import``
        command (``verb``); the values reach the type as
        ``lookup.options``.  Option names must differ between types, as
        ``export all`` / ``import all`` take every type's options.
        """

    #: :meth:`apply` may run in several threads at once, for entries of
    #: this type and of the other such types of its dependency level
    #: (``--parallel``): it changes nothing but the cloud and the lookup.
    #: Such a type cannot also have :meth:`import_workers` of its own.
    parallel_import: ty.ClassVar[bool] = False
    #: the type moves bytes in a pool of its own, ``--parallel`` transfers
    #: at once (a container's objects): the import takes ``--parallel``
    #: even when no other type of the command does
    parallel_transfers: ty.ClassVar[bool] = False
    #: the openstacksdk resource class, when the API creates a list of
    #: them in one request (Neutron's bulk create): with ``--parallel``,
    #: the new entries of such a type are made
    #: :data:`~osmigrateclient.resources._bulk.BULK_SIZE` at a time
    #: (:meth:`apply_bulk`)
    bulk_class: ty.ClassVar[type | None] = None

    def import_workers(self, lookup: refs.Lookup) -> int:
        """How many entries of this type an import applies at once; asked
        once, before the first.  1 (the default): one after the other.  A
        type that says more must be safe to :meth:`apply` from several
        threads at once.
        """
        return 1

    def reachable(self, lookup: refs.Lookup) -> bool:
        """Whether the caller's role may migrate this type, and the cloud
        has the API for it (a warning says when it has not)."""
        if self.admin_only and not lookup.is_admin:
            return False
        if self.extension and not lookup.has_extension(self.extension):
            LOG.warning(
                '%s left out: the Neutron of %s has no %r extension',
                self.plural,
                getattr(lookup.conn, 'name', None) or 'the cloud',
                self.extension,
            )
            return False
        if self.catalog_service and not lookup.has_service(
            self.catalog_service
        ):
            LOG.warning(
                '%s left out: %s has no %r service in its catalog',
                self.plural,
                getattr(lookup.conn, 'name', None) or 'the cloud',
                self.catalog_service,
            )
            return False
        return True

    # -- names and identities -----------------------------------------------

    def name_of(self, entry: Entry) -> str:
        """The name that ``--name`` / ``--name-regex`` match on import."""
        return entry['params'].get('name') or ''

    def label_of(self, entry: Entry) -> str:
        """How outcomes name the resource (nameless types say more)."""
        return self.name_of(entry)

    def import_identity(self, entry: Entry) -> str:
        """Two entries with the same identity would import as one."""
        return '%s:%s' % (self.type, self.name_of(entry))

    def export_key(self, entry: Entry) -> ty.Hashable:
        """Re-exporting replaces the entry with the same key."""
        return datafile.identity(entry)

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        """The SDK objects to export: those of the authenticated project."""
        return lookup.owned(self.kind)

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        """The name that ``--name`` / ``--name-regex`` match on export."""
        return obj.name or ''

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> Entry:
        """The data-file entry of an SDK object: the declared fields, the
        references as names (their ids in ``_info``), lists sorted."""
        return _export.entry_of(self, lookup, obj)

    def export(
        self, lookup: refs.Lookup, match: ty.Callable[[str], bool]
    ) -> list[Entry]:
        """Entries for the matching source resources, in a stable order."""
        entries = [
            self.from_sdk(lookup, obj)
            for obj in self.list_source(lookup)
            if match(self.source_name(lookup, obj))
        ]
        return sorted(
            entries,
            key=lambda e: (self.name_of(e), str(e['_info'].get('id'))),
        )

    def after_export(self, lookup: refs.Lookup, entries: list[Entry]) -> None:
        """Export what lies beside the data file (image bytes, say), once
        the file holds ``entries``.

        :raises osmigrateclient.exceptions.MigrateError: some of it failed
        """

    # -- import -------------------------------------------------------------

    def proxy(self, lookup: refs.Lookup) -> ty.Any:
        return getattr(lookup.conn, self.service)

    def sdk_attrs(self, lookup: refs.Lookup, params: dict) -> dict:
        """The SDK keyword arguments for ``params``, references resolved.

        :raises osmigrateclient.exceptions.UnresolvedReference: with the
            ``field`` set to the reference that does not resolve
        """
        return _import.sdk_attrs(self, lookup, params)

    def find_existing(self, lookup: refs.Lookup, entry: Entry) -> ty.Any:
        """The destination twin of ``entry``, or None.

        :raises osmigrateclient.exceptions.Conflict: several candidates
        """
        name = self.name_of(entry)
        matches = [o for o in self.candidates(lookup, entry) if o.name == name]
        if len(matches) > 1:
            raise exceptions.Conflict(
                '%d %s resources named %r in the destination %s: '
                'cannot tell which one to update'
                % (len(matches), self.cli_name, name, self.scope)
            )
        return matches[0] if matches else None

    #: where ``find_existing`` looks, for its messages
    scope: ty.ClassVar[str] = 'project'

    def candidates(self, lookup: refs.Lookup, entry: Entry) -> list[ty.Any]:
        """The destination resources among which the twin has its name."""
        return lookup.owned(self.kind)

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        """The params that differ: ``{field: (destination, file)}``.

        Only fields present in the file count, so files that lack fields
        this client knows (older exports) never cause updates; nor do the
        :attr:`none_is_unknown` fields that the file leaves null.
        """
        return _compare.diff(self, lookup, existing, entry)

    def decide(self, lookup: refs.Lookup, entry: Entry) -> Decision:
        """What importing ``entry`` would do; makes no write call: blocked
        by a reference that does not resolve, a conflict, a create, an
        update of the params that differ, or nothing."""
        return _compare.decide(self, lookup, entry)

    def create_attrs(self, lookup: refs.Lookup, entry: Entry) -> dict:
        """The SDK keyword arguments that create ``entry``'s resource."""
        return _import.create_attrs(self, lookup, entry)

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        """Create the resource from its SDK arguments; return it."""
        return getattr(self.proxy(lookup), 'create_' + self.kind)(**attrs)

    def bulk_group(self, entry: Entry) -> ty.Hashable:
        """Entries of one bulk request must have the same of this."""
        return None

    def create_many_sdk(
        self, lookup: refs.Lookup, attrs: list[dict]
    ) -> list[ty.Any]:
        """Create resources from their SDK arguments in one request."""
        # The proxy's own bulk create (public only for a few types), which
        # any Neutron resource takes.
        return list(self.proxy(lookup)._bulk_create(self.bulk_class, attrs))

    def create(self, lookup: refs.Lookup, entry: Entry) -> ty.Any:
        """Create the destination resource of ``entry``; return it.  One
        that :meth:`after_create` fails to finish is deleted again."""
        obj = self.create_sdk(lookup, self.create_attrs(lookup, entry))
        return _import.finished(self, lookup, obj, entry)

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: Entry
    ) -> ty.Any:
        """Finish a new resource with what its create call cannot set."""
        tags = entry['params'].get(self.tag_field) if self.tag_field else None
        if tags:
            obj = self.proxy(lookup).set_tags(obj, sorted(tags))
        return obj

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        """Apply the changed params to the destination resource."""
        return _import.update(self, lookup, existing, changes)

    def remarks(self, lookup: refs.Lookup, obj: ty.Any, entry: Entry) -> str:
        """What a create or update could not apply, for the outcome."""
        return ''

    def apply(
        self, lookup: refs.Lookup, entry: Entry, dry_run: bool = False
    ) -> Outcome:
        """Import one entry: create, update or leave it.

        Errors are reported in the outcome, never raised, so that a
        multi-resource import goes on with the other resources.
        """
        return _import.apply(self, lookup, entry, dry_run)

    def apply_bulk(
        self, lookup: refs.Lookup, entries: list[Entry]
    ) -> list[Outcome]:
        """Import ``entries`` as :meth:`apply` would, the new ones in
        Neutron bulk create requests; outcomes in their order."""
        return _bulk.apply_bulk(self, lookup, entries)


def _api_message(e: Exception) -> str:
    """The useful part of an SDK error, without request ids and tracebacks."""
    details = getattr(e, 'details', None)
    message = str(details or e).strip()
    return message.splitlines()[0] if message else e.__class__.__name__
