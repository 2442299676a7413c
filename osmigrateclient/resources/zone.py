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

"""Designate zones with their record sets.

One entry per zone: ``name`` (absolute, with its trailing dot), ``email``,
``ttl``, ``description``, ``type`` (``PRIMARY`` or ``SECONDARY``), the
``masters`` of a secondary zone, the zone's ``attributes`` (pool
scheduling hints; Designate cannot change them) and, for a primary zone,
its ``recordsets``: each with ``name`` (absolute), ``type``, ``records``,
``ttl`` (null: the zone's) and ``description``.  The SOA and the apex NS
record sets are left out: Designate makes them itself, and they name each
cloud's own name servers.  A secondary zone's record sets come from its
masters, so none are exported.

Import finds the zone by name among the destination project's zones.  A
new zone is created, then its record sets (a record set that fails deletes
the zone, so that a re-run makes it whole).  An existing zone gets the
file's email, TTL, description (and masters), its missing record sets, and
the file's records, TTL and description on those that differ; record sets
that the destination holds and the file does not are kept, and the outcome
counts them.  A zone name that another project of the destination holds
(Designate: 409 Duplicate Zone) is a conflict; nothing is created.
A new zone's record sets wait until Designate has created the zone on its
name servers (its ``CREATE`` is done, a second or two): a record set
added while the zone is being created can be left out of what the name
servers serve, with the zone ``ACTIVE`` all the same (seen with Designate
23).  Nothing else waits: a change to an existing zone's record sets is
published by Designate on its own.
"""

import time
import typing as ty

from openstack import exceptions as sdk_exceptions
from openstack.dns.v2 import recordset as sdk_recordset

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import _recordsets as rrsets
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

STR = datafile.STR
PRIMARY, SECONDARY = 'PRIMARY', 'SECONDARY'
#: how long a new zone's record sets wait for its create on the name
#: servers, at most (seconds), and how often it is looked at
CREATE_WAIT = 300
CREATE_POLL = 1.0


class Zone(base.Resource):
    type = 'openstack.dns.Zone'
    cli_name = 'zone'
    kind = 'zone'
    file_name = 'zones.yml'
    service = 'dns'
    catalog_service = 'dns'
    # no references to other types: after the network types
    rank = 75
    parallel_import = True
    tag_field = None
    sorted_fields = ()
    export_what = "the source project's DNS zones with their record sets"

    params_fields = (
        'attributes',
        'description',
        'email',
        'masters',
        'name',
        'recordsets',
        'ttl',
        'type',
    )
    info_fields = (
        'created_at',
        'id',
        'is_shared',
        'pool_id',
        'project_id',
        'serial',
        'status',
        'updated_at',
    )
    param_shapes = {
        'attributes': datafile.MapOf(STR),
        'description': STR,
        'email': STR,
        'masters': [STR],
        'recordsets': [rrsets.RECORDSET_SHAPE],
        'ttl': (int,),
        'type': STR,
    }
    required_params = ('name',)
    create_only = ('attributes', 'type')

    # -- checks of a file's entry ---------------------------------------------

    def check(self, entry: base.Entry, path: str, index: int) -> None:
        """Besides the shapes: an absolute zone name of a known type, and
        record sets inside the zone, each once, with records of their type.

        :raises osmigrateclient.exceptions.DataFileError: naming the file,
            the zone, the record set and the field
        """
        super().check(entry, path, index)
        where = datafile.label(entry, index)
        params = entry['params']

        def fail(field: str, problem: str) -> ty.NoReturn:
            raise exceptions.DataFileError(problem, path, where, field)

        zone = rrsets.zone_fqdn(params['name'])
        if zone == '.' or zone.startswith('.') or ' ' in zone:
            fail('params.name', 'not a zone name: %s' % datafile.shown(zone))
        recordsets = params.get('recordsets') or []
        if params.get('type') == SECONDARY:
            if not params.get('masters'):
                fail('params.masters', 'a secondary zone needs its masters')
            if recordsets:
                fail(
                    'params.recordsets',
                    'a secondary zone takes its record sets from its '
                    'masters: leave them out',
                )
        seen: dict[rrsets.Key, int] = {}
        for i, rs in enumerate(recordsets):
            self._check_recordset(zone, rs, 'params.recordsets[%d]' % i, fail)
            key = rrsets.key_of(rrsets.absolute(zone, rs['name']), rs['type'])
            if key in seen:
                fail(
                    'params.recordsets[%d]' % i,
                    'record set %r (%s) is also params.recordsets[%d]: '
                    'one entry per name and type'
                    % (rrsets.absolute(zone, rs['name']), key[1], seen[key]),
                )
            seen[key] = i

    def _check_recordset(
        self,
        zone: str,
        rs: ty.Any,
        field: str,
        fail: ty.Callable[[str, str], ty.NoReturn],
    ) -> None:
        if not isinstance(rs, dict):
            fail(field, 'must be a mapping, not %s' % datafile.type_name(rs))
        for key in ('name', 'type', 'records'):
            if not rs.get(key):
                fail('%s.%s' % (field, key), 'missing')
        name, type_ = rrsets.absolute(zone, rs['name']), rs['type'].upper()
        what = 'record set %s (%s)' % (datafile.shown(name, 200), type_)
        if ' ' in name or '..' in name or name.startswith('.'):
            fail(field + '.name', '%s: not a DNS name' % what)
        if not rrsets.inside(zone, name):
            fail(
                field + '.name',
                '%s is not inside the zone %r' % (what, zone),
            )
        if not type_.isalnum():
            fail(field + '.type', '%s: not a record type' % what)
        if rrsets.is_apex_ns_or_soa(zone, name, type_):
            fail(
                field + '.type',
                '%s: Designate makes the SOA and the apex NS record sets '
                'itself: leave them out' % what,
            )
        if type_ == 'CNAME' and len(rs['records']) > 1:
            fail(field + '.records', '%s: a CNAME has one record' % what)
        for j, record in enumerate(rs['records']):
            problem = rrsets.record_problem(type_, record or '')
            if problem:
                fail('%s.records[%d]' % (field, j), '%s: %s' % (what, problem))

    # -- export ---------------------------------------------------------------

    def _recordsets_of(
        self, lookup: refs.Lookup, zone: ty.Any
    ) -> list[ty.Any]:
        """The zone's record sets but those Designate makes itself."""
        return [
            rs
            for rs in lookup.all('recordset')
            if rs.zone_id == zone.id
            and not rrsets.is_apex_ns_or_soa(zone.name, rs.name, rs.type)
        ]

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        secondary = (obj.type or PRIMARY) == SECONDARY
        params: dict[str, ty.Any] = {
            'name': obj.name,
            'type': obj.type or PRIMARY,
            'description': obj.description,
            'attributes': base.plain(obj.attributes or {}),
        }
        if secondary:
            params['masters'] = base.plain(obj.masters or [])
        else:
            params['email'] = obj.email
            params['ttl'] = obj.ttl
            params['recordsets'] = sorted(
                (
                    rrsets.recordset_params(rs)
                    for rs in self._recordsets_of(lookup, obj)
                ),
                key=lambda r: rrsets.key_of(r['name'], r['type']),
            )
        info = {f: base.plain(getattr(obj, f, None)) for f in self.info_fields}
        return {
            'type': self.type,
            'params': params,
            '_info': info,
            '_migration_params': {},
        }

    # -- import ---------------------------------------------------------------

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        name = rrsets.zone_fqdn(self.name_of(entry)).lower()
        for zone in lookup.owned(self.kind):
            if (zone.name or '').lower() == name:
                return zone
        return None

    def wanted(self, entry: base.Entry) -> list[dict[str, ty.Any]]:
        """The file's record sets, names absolute and types in capitals
        (an entry that passed :meth:`check`)."""
        zone = self.name_of(entry)
        found = []
        for rs in entry['params'].get('recordsets') or []:
            rs = dict(rs)
            rs['name'] = rrsets.absolute(zone, rs['name'])
            rs['type'] = rs['type'].upper()
            found.append(rs)
        return found

    def _recordset_changes(
        self, lookup: refs.Lookup, existing: ty.Any, wanted: list[dict]
    ) -> tuple[list[tuple[dict, ty.Any, list[str]]], list[ty.Any]]:
        """(the record sets of ``wanted`` to create or update, each with
        the destination's and the fields that differ ([] to create)), and
        the destination's record sets that ``wanted`` does not have."""
        have = {
            rrsets.key_of(rs.name, rs.type): rs
            for rs in self._recordsets_of(lookup, existing)
        }
        todo = []
        keys = set()
        for rs in wanted:
            key = rrsets.key_of(rs['name'], rs['type'])
            keys.add(key)
            current = have.get(key)
            if current is None:
                todo.append((rs, None, []))
                continue
            now = rrsets.recordset_params(current)
            fields = [
                f
                for f in rrsets.RECORDSET_UPDATABLE
                if f in rs
                and not base.same(
                    now[f], sorted(rs[f]) if f == 'records' else rs[f]
                )
            ]
            if fields:
                todo.append((rs, current, fields))
        kept = [rs for key, rs in sorted(have.items()) if key not in keys]
        return todo, kept

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        params = entry['params']
        current = self.from_sdk(lookup, existing)['params']
        changes = {}
        for key in ('attributes', 'description', 'email', 'masters', 'ttl'):
            if key not in params or key not in current:
                continue
            if params[key] is None and key in ('email', 'ttl'):
                continue  # not given: the destination's own stays
            if not base.same(current[key], params[key]):
                changes[key] = (current[key], params[key])
        kind = params.get('type') or PRIMARY
        if kind != current['type']:
            changes['type'] = (current['type'], kind)
        if current['type'] == PRIMARY:
            wanted = self.wanted(entry)
            todo, _ = self._recordset_changes(lookup, existing, wanted)
            if todo:
                changes['recordsets'] = (current.get('recordsets'), wanted)
        return changes

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        kind = entry['params'].get('type') or PRIMARY
        if kind not in (PRIMARY, SECONDARY):
            return base.Decision(
                base.BLOCKED,
                'type: must be %s or %s, not %s'
                % (PRIMARY, SECONDARY, datafile.shown(kind)),
            )
        decision = super().decide(lookup, entry)
        if decision.existing is None or decision.action == base.CONFLICT:
            return decision
        todo, kept = self._recordset_changes(
            lookup, decision.existing, self.wanted(entry)
        )
        said = [
            d for d in decision.detail.split(', ') if d and d != 'recordsets'
        ]
        for rs, current, fields in todo:
            said.append(
                '%s record set %s %s%s'
                % (
                    base.UPDATE if current is not None else base.CREATE,
                    rs['name'],
                    rs['type'],
                    ' (%s)' % ', '.join(fields) if fields else '',
                )
            )
        if kept:
            said.append(
                'kept %d record set%s the file does not have: %s'
                % (
                    len(kept),
                    '' if len(kept) == 1 else 's',
                    ', '.join('%s %s' % (rs.name, rs.type) for rs in kept),
                )
            )
        return decision._replace(detail='; '.join(said))

    def create_attrs(self, lookup: refs.Lookup, entry: base.Entry) -> dict:
        params = entry['params']
        attrs = {
            k: params[k]
            for k in ('email', 'ttl', 'description', 'masters')
            if params.get(k) is not None
        }
        attrs['name'] = rrsets.zone_fqdn(params['name'])
        attrs['type'] = params.get('type') or PRIMARY
        if params.get('attributes'):
            attrs['attributes'] = params['attributes']
        return attrs

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        try:
            return self.proxy(lookup).create_zone(**attrs)
        except sdk_exceptions.ConflictException as e:
            raise ZoneTaken(
                'zone %r exists in another project of the destination '
                '(Designate: %s): nothing created'
                % (attrs['name'], base._api_message(e))
            )

    def after_create(
        self, lookup: refs.Lookup, obj: ty.Any, entry: base.Entry
    ) -> ty.Any:
        wanted = self.wanted(entry)
        if wanted:
            obj = self._created(lookup, obj)
        for rs in wanted:
            self._create_recordset(lookup, obj, rs)
        return obj

    def _created(self, lookup: refs.Lookup, zone: ty.Any) -> ty.Any:
        """``zone`` once Designate has created it on its name servers.

        :raises osmigrateclient.exceptions.MigrateError: it went into
            ERROR, or is still being created after :data:`CREATE_WAIT`
        """
        deadline = time.monotonic() + CREATE_WAIT
        proxy = self.proxy(lookup)
        while True:
            if zone.status == 'ERROR':
                raise exceptions.MigrateError(
                    'zone %r: Designate could not create it on its name '
                    'servers (status ERROR): its record sets were not made'
                    % zone.name
                )
            if not (zone.status == 'PENDING' and zone.action == 'CREATE'):
                return zone
            if time.monotonic() > deadline:
                raise exceptions.MigrateError(
                    'zone %r: still being created on the name servers after '
                    '%d s (status %s): its record sets were not made; run '
                    'the import again' % (zone.name, CREATE_WAIT, zone.status)
                )
            time.sleep(CREATE_POLL)
            zone = proxy.get_zone(zone.id)

    def _create_recordset(
        self, lookup: refs.Lookup, zone: ty.Any, rs: dict
    ) -> None:
        attrs = {
            k: rs.get(k)
            for k in rrsets.RECORDSET_FIELDS
            if rs.get(k) is not None or k in ('name', 'type', 'records')
        }
        made = self.proxy(lookup).create_recordset(zone, **attrs)
        lookup.remember('recordset', made)

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        changes = dict(changes)
        wanted = changes.pop('recordsets', (None, None))[1]
        attrs = {k: new for k, (_, new) in changes.items()}
        obj = existing
        proxy = self.proxy(lookup)
        if attrs:
            obj = proxy.update_zone(existing, **attrs)
        todo, _ = self._recordset_changes(lookup, existing, wanted or [])
        if todo:
            # (a zone that an earlier run made a moment ago)
            self._created(lookup, existing)
        for rs, current, fields in todo:
            if current is None:
                self._create_recordset(lookup, existing, rs)
                continue
            target = sdk_recordset.Recordset.existing(
                id=current.id, zone_id=existing.id
            )
            made = proxy.update_recordset(
                target, **{f: rs.get(f) for f in fields}
            )
            lookup.remember('recordset', made)
        return obj

    def apply(
        self, lookup: refs.Lookup, entry: base.Entry, dry_run: bool = False
    ) -> base.Outcome:
        try:
            return super().apply(lookup, entry, dry_run)
        except ZoneTaken as e:
            return base.Outcome(
                self.type, self.label_of(entry), base.CONFLICT, str(e)
            )


class ZoneTaken(Exception):
    """Designate refused the zone's name: another project holds it."""


RESOURCE = Zone
