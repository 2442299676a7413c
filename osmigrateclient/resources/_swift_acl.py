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

"""The projects and users that a Swift container's ACL names by id,
written by name and resolved to the destination's ids.

An ACL (``X-Container-Read`` / ``-Write``) is a comma-separated list of
entries: ``.r:<referrer>`` and ``.rlistings`` (referrer entries), a role
name, or ``<project>:<user>`` where either side is an id, a name or
``*``.  ``read_acl`` / ``write_acl`` keep the source's text; beside each,
``read_acl_refs`` / ``write_acl_refs`` list the entries that name a
project or user by id, with their names::

    read_acl: 5f0c...:*,.r:*
    read_acl_refs:
    - entry: 5f0c...:*
      project: {name: tenant1, domain_name: Default}

Import writes each listed entry with the destination's ids of those names
(``*`` stays ``*``); the other entries pass as they are.
"""

import logging
import re
import threading
import typing as ty
import weakref

from openstack import exceptions as sdk_exceptions

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

#: the ACL params of a container
FIELDS = ('read_acl', 'write_acl')
#: the shape of ``<field>_refs``
REFS_SHAPE = [
    {'entry': datafile.STR, 'project': datafile.REF, 'user': datafile.REF}
]
#: what Keystone's ids look like (for a warning only: names may be anything)
_ID = re.compile(r'[0-9a-f]{32}\Z')
#: an entry of two ids is 65 characters: shown whole in messages
_SHOWN = 80
#: what a lookup answers when the caller may not tell
UNKNOWN = object()
#: the parts of an entry, and the kind of each
PARTS = (('project', 'project'), ('user', 'user'))


def refs_field(field: str) -> str:
    """``read_acl_refs`` for ``read_acl``."""
    return field + '_refs'


def entries(acl: str | None) -> list[str]:
    """The entries of an ACL, in order, without blanks."""
    return [e.strip() for e in (acl or '').split(',') if e.strip()]


def split(entry: str) -> tuple[str, str] | None:
    """(project, user) of an entry; None for a referrer entry or a role."""
    if entry.startswith('.') or ':' not in entry:
        return None
    project, user = entry.split(':', 1)
    return project, user


def problem(acl: ty.Any, acl_refs: ty.Any) -> tuple[str, str] | None:
    """(where in the list, problem) of ``acl_refs`` (shape checked) against
    the ``acl`` beside it, or None."""
    held = entries(acl) if isinstance(acl, str) else []
    seen: set[str] = set()
    for i, ref in enumerate(acl_refs or []):
        where = '[%d]' % i
        entry = (ref or {}).get('entry')
        if entry is None:
            return where + '.entry', 'missing'
        if entry not in held:
            return where + '.entry', 'not an entry of the ACL: %s' % (
                datafile.shown(entry, _SHOWN)
            )
        if entry in seen:
            return where + '.entry', 'a second time: %s' % datafile.shown(
                entry, _SHOWN
            )
        seen.add(entry)
        parts = split(entry)
        if parts is None:
            return where + '.entry', (
                'names no project nor user (a referrer entry or a role): %s'
                % datafile.shown(entry, _SHOWN)
            )
        if not ref.get('project') and not ref.get('user'):
            return where, 'names neither a project nor a user'
        for (key, _), part in zip(PARTS, parts, strict=True):
            named = ref.get(key)
            if named is None:
                continue
            if part == '*':
                return where + '.' + key, (
                    'the entry has * there: %s' % datafile.shown(entry, _SHOWN)
                )
            if not named.get('name'):
                return where + '.%s.name' % key, 'missing'
    return None


def rewritten(
    acl: str, acl_refs: list[dict], ids: ty.Callable[[dict], list]
) -> tuple[str, list[str]]:
    """The ACL with each entry of ``acl_refs`` written with the ids that
    ``ids(ref)`` gives (project, user; None where it cannot tell), and the
    entries kept as they are because a part could not be told."""
    by_entry = {r['entry']: r for r in acl_refs or []}
    out, kept = [], []
    for entry in entries(acl):
        ref = by_entry.get(entry)
        if ref is None:
            out.append(entry)
            continue
        parts = split(entry) or ('', '')
        found = ids(ref)
        if any(
            ref.get(key) is not None and new is None
            for (key, _), new in zip(PARTS, found, strict=True)
        ):
            out.append(entry)
            kept.append(entry)
            continue
        out.append(
            ':'.join(
                new if ref.get(key) is not None else old
                for (key, _), old, new in zip(PARTS, parts, found, strict=True)
            )
        )
    return ','.join(out), kept


# -- export ------------------------------------------------------------------

#: per Lookup: why each identity kind could not be listed
_REFUSED: 'weakref.WeakKeyDictionary[refs.Lookup, dict[str, str]]' = (
    weakref.WeakKeyDictionary()
)
_REFUSED_LOCK = threading.Lock()


def _own(lookup: refs.Lookup, kind: str) -> tuple[str, refs.Ref] | None:
    """(id, reference) of the project or user the caller is, from its
    token (no request: a tenant may not list either kind)."""
    try:
        access = lookup.conn.session.auth.get_access(lookup.conn.session)
        if kind == 'project':
            found = (
                access.project_id,
                access.project_name,
                access.project_domain_name,
            )
        else:
            found = (access.user_id, access.username, access.user_domain_name)
    except (AttributeError, sdk_exceptions.SDKException):
        return None
    if not all(found):
        return None
    return found[0], refs.make_ref(found[1], None, found[2])


def _listed(lookup: refs.Lookup, kind: str) -> list | None:
    """Every ``kind`` the caller sees; None when it may not list them
    (asked once per run)."""
    with _REFUSED_LOCK:
        refused = _REFUSED.setdefault(lookup, {})
        if kind in refused:
            return None
    try:
        return lookup.all(kind)
    except sdk_exceptions.SDKException as e:
        with _REFUSED_LOCK:
            refused[kind] = str(e)
        return None


def _source_ref(lookup: refs.Lookup, kind: str, text: str) -> ty.Any:
    """The reference of the ``kind`` that ``text`` names by id; None when
    ``text`` is no id the caller sees (a name); :data:`UNKNOWN` when it
    cannot tell."""
    own = _own(lookup, kind)
    if own is not None and own[0] == text:
        return own[1]
    listed = _listed(lookup, kind)
    if listed is None:
        return UNKNOWN if _ID.match(text) else None
    for obj in listed:
        if obj.id == text:
            try:
                return lookup.ref_to(kind, obj)
            except sdk_exceptions.SDKException:
                return UNKNOWN
    if _ID.match(text) and not any(o.name == text for o in listed):
        return UNKNOWN
    return None


def export_refs(
    lookup: refs.Lookup, container: str, field: str, acl: str | None
) -> list[dict]:
    """``<field>_refs`` of the source's ACL: the entries that name a
    project or user by id, with their names.  An entry whose ids the
    caller cannot look up is kept as it is, with a warning."""
    out = []
    for entry in entries(acl):
        parts = split(entry)
        if parts is None:
            continue
        ref: dict[str, ty.Any] = {'entry': entry}
        unknown = False
        for (key, kind), part in zip(PARTS, parts, strict=True):
            if part == '*':
                continue
            found = _source_ref(lookup, kind, part)
            if found is UNKNOWN:
                unknown = True
            elif found is not None:
                ref[key] = found
        if unknown:
            LOG.warning(
                'container %r: %s entry %r kept as it is: the caller cannot '
                'look up the project or user it names (export as an admin '
                'to write it by name)',
                container,
                field,
                entry,
            )
        elif len(ref) > 1:
            out.append(ref)
    return out


# -- import ------------------------------------------------------------------


def _destination_id(lookup: refs.Lookup, kind: str, ref: dict) -> str | None:
    """The destination's id of a named project or user; None when the
    caller cannot look it up.

    :raises osmigrateclient.exceptions.UnresolvedReference: there is none
    """
    own = _own(lookup, kind)
    if own is not None and (own[1]['name'], own[1]['domain_name']) == (
        ref.get('name'),
        ref.get('domain_name'),
    ):
        return own[0]
    if _listed(lookup, kind) is None:
        return None
    domain = ref.get('domain_name')
    if domain and _listed(lookup, 'domain') is None:
        return None
    return lookup.resolve(kind, ref).id


def _shown_ref(kind: str, ref: dict) -> str:
    text = '%s %r' % (kind, ref.get('name'))
    if ref.get('domain_name'):
        text += ' (domain %r)' % ref['domain_name']
    return text


def import_acl(
    lookup: refs.Lookup, container: str, field: str, params: dict
) -> str | None:
    """The ACL ``field`` of ``params`` with the destination's ids; an
    entry whose names the caller cannot look up stays as it is, with a
    warning.

    :raises osmigrateclient.exceptions.DataFileError: ``<field>_refs`` does
        not fit the ACL (its ``field`` says where)
    :raises osmigrateclient.exceptions.UnresolvedReference: a project or
        user it names is not in the destination (its ``field`` says which
        one, the message the entry)
    """
    acl = params.get(field)
    acl_refs = params.get(refs_field(field))
    found = problem(acl, acl_refs)
    if found:
        raise exceptions.DataFileError(
            found[1], field='params.%s%s' % (refs_field(field), found[0])
        )
    if not acl or not acl_refs:
        return acl
    index = {r['entry']: i for i, r in enumerate(acl_refs)}

    def ids(ref: dict) -> list:
        out = []
        for key, kind in PARTS:
            named = ref.get(key)
            if named is None:
                out.append(None)
                continue
            try:
                out.append(_destination_id(lookup, kind, named))
            except exceptions.UnresolvedReference:
                raise exceptions.UnresolvedReference(
                    '%s not found in the destination (entry %s)'
                    % (
                        _shown_ref(kind, named),
                        datafile.shown(ref['entry'], _SHOWN),
                    ),
                    field='params.%s[%d].%s'
                    % (refs_field(field), index[ref['entry']], key),
                )
        return out

    text, kept = rewritten(acl, acl_refs, ids)
    for entry in kept:
        LOG.warning(
            'container %r: %s entry %r written as the source has it: the '
            'caller cannot look up the names of params.%s in the '
            'destination',
            container,
            field,
            entry,
            refs_field(field),
        )
    return text
