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

"""The record sets of a Designate zone as a data file holds them: their
names (absolute, as a zone file reads them), their identity in the zone,
the ones Designate makes itself, and what a record of a type must look
like.  No API call here: :mod:`osmigrateclient.resources.zone` makes them.
"""

import ipaddress
import typing as ty

from osmigrateclient import datafile
from osmigrateclient.resources import base

STR = datafile.STR
#: the fields of a record set in a file
RECORDSET_FIELDS = ('name', 'type', 'records', 'ttl', 'description')
#: what an import may change on an existing record set
RECORDSET_UPDATABLE = ('records', 'ttl', 'description')
RECORDSET_SHAPE = {
    'name': STR,
    'type': STR,
    'records': [STR],
    'ttl': (int,),
    'description': STR,
}
#: the record types whose records are one domain name
NAME_TYPES = ('CNAME', 'NS', 'PTR')
#: the records of these types: their parts, ``int`` or ``name``
PARTS = {
    'MX': ('int', 'name'),
    'SRV': ('int', 'int', 'int', 'name'),
}
#: how a record of a type with PARTS is written, for messages
PARTS_SHOWN = {
    'MX': '<priority> <host ending with ".">',
    'SRV': '<priority> <weight> <port> <host ending with ".">',
}
#: a record set's identity in its zone: (name in lower case, type)
Key = tuple[str, str]


def zone_fqdn(name: str) -> str:
    """A zone's name with its trailing dot (a zone name is absolute)."""
    return name if name.endswith('.') else name + '.'


def absolute(zone: str, name: str) -> str:
    """A record set's name in the zone ``zone`` (absolute), as a zone
    file reads it: ``@`` is the zone's own name, a name without the
    trailing dot is relative to the zone."""
    zone = zone_fqdn(zone)
    if name == '@':
        return zone
    return name if name.endswith('.') else '%s.%s' % (name, zone)


def key_of(name: ty.Any, type_: ty.Any) -> Key:
    """A record set's identity in its zone: DNS names know no case."""
    return (str(name or '').lower(), str(type_ or '').upper())


def is_apex_ns_or_soa(zone_name: str, name: str, type_: str) -> bool:
    """Whether Designate makes this record set itself."""
    type_ = (type_ or '').upper()
    return type_ == 'SOA' or (
        type_ == 'NS' and (name or '').lower() == (zone_name or '').lower()
    )


def inside(zone_name: str, name: str) -> bool:
    """Whether the absolute ``name`` is the zone's or below it."""
    zone, name = zone_name.lower(), name.lower()
    return name == zone or name.endswith('.' + zone)


def recordset_params(obj: ty.Any) -> dict[str, ty.Any]:
    """A record set of the API as in a file: records sorted (their order
    means nothing)."""
    return {
        'name': obj.name,
        'type': obj.type,
        'records': sorted(base.plain(obj.records or [])),
        'ttl': obj.ttl,
        'description': obj.description,
    }


def record_problem(type_: str, record: str) -> str | None:
    """Why ``record`` is no record of ``type_``, or None (the API checks
    the rest)."""
    if not record.strip() or '\n' in record:
        return 'a record must be one non-empty line, not %s' % (
            datafile.shown(record)
        )
    if type_ in ('A', 'AAAA'):
        cls = ipaddress.IPv4Address if type_ == 'A' else ipaddress.IPv6Address
        try:
            cls(record)
        except ValueError:
            return 'not an IPv%s address: %s' % (
                4 if type_ == 'A' else 6,
                datafile.shown(record),
            )
    elif type_ in NAME_TYPES:
        if ' ' in record or not record.endswith('.'):
            return 'not an absolute host name (ending with "."): %s' % (
                datafile.shown(record)
            )
    elif type_ in PARTS:
        parts = record.split(' ')
        if len(parts) != len(PARTS[type_]) or not all(
            (p.isdigit() and int(p) <= 65535)
            if kind == 'int'
            else (p.endswith('.') and len(p) > 1)
            for kind, p in zip(PARTS[type_], parts, strict=True)
        ):
            return 'not %s: %s' % (PARTS_SHOWN[type_], datafile.shown(record))
    return None
