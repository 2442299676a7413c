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

"""Data files for the pioneering os-migrate tool (``--os-migrate-version``).

os-migrate reads a data file only when its ``os_migrate_version``, as YAML
loads it, equals the string of its own version: no range, no
normalisation, so a file is read by exactly one os-migrate version.  An
export for os-migrate therefore writes that version string, and leaves out
or changes what os-migrate would misread:

* types it does not know (quotas, domains, roles, groups, group role
  assignments) are not written: it refuses a whole file holding one;
* entries it would turn into something wider than the source held are left
  out: a security group rule that matches an address group (os-migrate
  would open it to any address), an inherited role assignment (it would
  grant the role on the project itself), a nameless or same-named entry
  (it refuses the whole file);
* a workload whose ports each have one fixed IP is marked for Nova-made
  ports, the mode in which os-migrate keeps their security groups.

Data that os-migrate ignores stays in the file (this client still reads
it) and is reported per resource, since an os-migrate import drops it.
The facts come from os-migrate's source at the versions in
:data:`CHECKED`, whose data model is the same.
"""

import typing as ty

import yaml

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.transfer import image_blobs

Entry = datafile.Entry

#: the os-migrate versions whose reading of data files this module follows
CHECKED = ('1.0.2', '1.0.3', '1.0.4', '1.0.5')

SERVER = 'openstack.compute.Server'
ROLE_ASSIGNMENT = 'openstack.identity.UserProjectRoleAssignment'
RULE = 'openstack.network.SecurityGroupRule'
IMAGE = 'openstack.image.Image'

#: the types of data files that os-migrate imports: a file holding any
#: other is refused whole, so a type this client adds is left out until
#: os-migrate learns it
KNOWN_TYPES = frozenset(
    [
        'openstack.compute.Flavor',
        'openstack.compute.Keypair',
        SERVER,
        'openstack.identity.Project',
        ROLE_ASSIGNMENT,
        IMAGE,
        'openstack.network.Network',
        'openstack.network.Router',
        'openstack.network.RouterInterface',
        'openstack.network.SecurityGroup',
        RULE,
        'openstack.network.ServerVolume',
        'openstack.subnet.Subnet',
        'openstack.user.User',
    ]
)

#: types whose entries os-migrate requires a unique, non-empty name for
NAMED_TYPES = frozenset(
    [
        'openstack.compute.Flavor',
        'openstack.compute.Keypair',
        SERVER,
        'openstack.identity.Project',
        IMAGE,
        'openstack.network.Network',
        'openstack.network.Router',
        'openstack.network.SecurityGroup',
        'openstack.network.ServerVolume',
        'openstack.subnet.Subnet',
        'openstack.user.User',
    ]
)

#: params that os-migrate ignores, per type, with the value it behaves as
#: (None: no value is lost when the param is empty).  ``a.b`` is a key of
#: a mapping, ``a[].b`` a key of each item of a list (nested entries, such
#: as a server's ports, hold theirs under ``params``).
DROPPED: dict[str, dict[str, ty.Any]] = {
    'openstack.subnet.Subnet': {'dns_publish_fixed_ip': False},
    'openstack.network.Router': {
        'routes': None,
        'external_gateway_refinfo.external_fixed_ips': None,
        'external_gateway_refinfo.enable_snat': True,
    },
    'openstack.network.SecurityGroup': {'stateful': True, 'tags': None},
    IMAGE: {'tags': None, 'members': None},
    'openstack.compute.Flavor': {'access_project_refs': None},
    'openstack.identity.Project': {'tags': None},
    SERVER: {
        'server_group_ref': None,
        'server_group_policy': None,
        'server_group_rules': None,
        'ports[].params.allowed_address_pairs': None,
        'ports[].params.description': None,
        'ports[].params.is_port_security_enabled': True,
        # Nova makes the ports (see _for_os_migrate): a new MAC each
        'ports[].params.mac_address': None,
        # a trunk on a server's port (this client's workload import)
        'ports[].params.trunk': None,
        'volumes[].params.volume_type': None,
    },
    # os-migrate makes a detached volume from the live source volume and
    # reads nothing of its entry but the id.
    'openstack.network.ServerVolume': {
        'availability_zone': None,
        'description': None,
        'metadata': None,
        'volume_image_metadata': None,
        'volume_type': None,
    },
}

#: ``_migration_params`` that os-migrate's unreleased main branch (still
#: versioned 1.0.5) requires of a workload; released versions ignore them
NBDKIT_PARAMS = {
    'use_nbdkit_direct': False,
    'nbdkit_socket_uri': None,
    'nbdkit_export_name': None,
}


class Remark(ty.NamedTuple):
    """What an export for os-migrate says about one resource."""

    type: str
    name: str
    #: True: not written into the file
    left_out: bool
    text: str


def check_version(version: str) -> str:
    """The version to write, if this client knows how that os-migrate
    reads files.

    :raises osmigrateclient.exceptions.MigrateError: a version not checked
    """
    if version not in CHECKED:
        raise exceptions.MigrateError(
            'os-migrate %r: this client writes files for os-migrate %s '
            '(the versions whose reading of data files was checked)'
            % (version, ', '.join(CHECKED)),
            field='--os-migrate-version',
        )
    return version


def reads(text: str, version: str) -> bool:
    """Whether os-migrate ``version`` accepts a data file of this text:
    its own rule, string equality of the loaded value."""
    doc = yaml.safe_load(text)
    return isinstance(doc, dict) and doc.get(datafile.VERSION_KEY) == version


def knows(resource_type: str) -> bool:
    return resource_type in KNOWN_TYPES


def _values(value: ty.Any, path: list[str]) -> ty.Iterator[ty.Any]:
    """The values at ``path`` (see :data:`DROPPED`) under ``value``."""
    if not path:
        yield value
        return
    key, rest = path[0], path[1:]
    if key.endswith('[]'):
        items = value.get(key[:-2]) if isinstance(value, dict) else None
        for item in items if isinstance(items, list) else []:
            yield from _values(item, rest)
    elif isinstance(value, dict) and key in value:
        yield from _values(value[key], rest)


def dropped(entry: Entry) -> list[str]:
    """The params of ``entry`` that hold data os-migrate ignores."""
    lost = []
    for path, harmless in DROPPED.get(entry['type'], {}).items():
        values = _values(entry['params'], path.split('.'))
        if any(v not in (None, '', [], {}) and v != harmless for v in values):
            lost.append(path.replace('[]', '').replace('.params', ''))
    return lost


def _misread(entry: Entry) -> str | None:
    """Why os-migrate would make something wider of ``entry``, if so."""
    params = entry['params']
    if entry['type'] == RULE and params.get('remote_address_group_ref'):
        return (
            'os-migrate ignores remote_address_group_ref and would open '
            'the rule to any address'
        )
    if entry['type'] == ROLE_ASSIGNMENT and params.get('inherited'):
        return (
            'os-migrate ignores inherited and would assign the role on '
            'the project itself'
        )
    if entry['type'] == SERVER:
        ports = params.get('ports') or []
        if any(
            len(p['params'].get('fixed_ips_refs') or []) != 1 for p in ports
        ):
            # Nova makes a port of one fixed IP; os-migrate makes the
            # others through Neutron without their security groups.
            return (
                'a port without exactly one fixed IP: os-migrate would '
                'make it without its security groups'
            )
    return None


def _for_os_migrate(entry: Entry) -> Entry:
    """``entry`` as os-migrate must find it (a copy where it changes)."""
    if entry['type'] != SERVER:
        return entry
    migration = dict(entry.get('_migration_params') or {})
    # In Neutron mode os-migrate makes the ports without security groups;
    # Nova makes them with the server's.
    migration['port_creation_mode'] = 'nova'
    for key, value in NBDKIT_PARAMS.items():
        migration.setdefault(key, value)
    return dict(entry, _migration_params=migration)


def convert(entries: list[Entry]) -> tuple[list[Entry], list[Remark]]:
    """The entries of one data file as written for os-migrate, and what to
    tell about them."""
    remarks = []
    kept = []
    for entry in entries:
        name = str(entry['params'].get('name') or '')
        if not knows(entry['type']):
            remarks.append(
                Remark(
                    entry['type'],
                    name,
                    True,
                    'os-migrate has no type %s' % entry['type'],
                )
            )
            continue
        why = _misread(entry)
        if why:
            remarks.append(Remark(entry['type'], name, True, why))
            continue
        kept.append(_for_os_migrate(entry))

    # os-migrate refuses a whole file with a nameless or same-named entry.
    names: dict[tuple, list[Entry]] = {}
    for entry in kept:
        if entry['type'] in NAMED_TYPES:
            names.setdefault(_identity(entry), []).append(entry)
    written = []
    for entry in kept:
        name = str(entry['params'].get('name') or '')
        if entry['type'] in NAMED_TYPES and not name:
            why = 'no name: os-migrate refuses a file with a nameless entry'
        elif entry['type'] in NAMED_TYPES and len(names[_identity(entry)]) > 1:
            why = (
                'a name used %d times: os-migrate refuses a file with '
                'same-named entries' % len(names[_identity(entry)])
            )
        else:
            written.append(entry)
            lost = dropped(entry)
            if lost:
                remarks.append(
                    Remark(
                        entry['type'],
                        name,
                        False,
                        'os-migrate drops %s' % ', '.join(lost),
                    )
                )
            if entry['type'] == IMAGE and image_blobs.safe_name(name) != name:
                remarks.append(
                    Remark(
                        IMAGE,
                        name,
                        False,
                        'os-migrate looks for its bytes under the image '
                        'name, which this client changes in the file name',
                    )
                )
            continue
        remarks.append(Remark(entry['type'], name, True, why))
    return written, remarks


def _identity(entry: Entry) -> tuple:
    """What os-migrate requires to be unique within a file."""
    identity: tuple = (entry['type'], entry['params'].get('name'))
    user = entry['params'].get('user_ref')
    if entry['type'] == 'openstack.compute.Keypair' and isinstance(user, dict):
        identity += (user.get('name'), user.get('domain_name'))
    return identity
