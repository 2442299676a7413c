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

"""Reverse DNS of floating IPs: the PTR records that Designate keeps for
the project's floating IPs (``/v2/reverse/floatingips``).

One entry per floating IP whose PTR is set: ``address`` (the floating
IP's, which ``--name`` / ``--name-regex`` match), ``ptrdname`` (absolute),
``ttl`` and ``description``.  Import sets the PTR of the destination
project's floating IP with the same address (the ``floating ip`` type
keeps addresses where they are free); where the destination has no such
floating IP, nothing is set and the outcome says so (edit the file's
``address`` to the destination's floating IP to set it there).
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

STR = datafile.STR
#: the fields that a PTR has, as Designate names them
FIELDS = ('ptrdname', 'ttl', 'description')


class PtrRecord(base.Resource):
    type = 'openstack.dns.FloatingIPPTR'
    cli_name = 'ptr record'
    plural_name = 'PTR records'
    kind = 'ptr_record'
    file_name = 'ptr_records.yml'
    service = 'dns'
    catalog_service = 'dns'
    # after the floating IPs whose PTRs they are
    rank = 76
    depends_on = ('floating ip',)
    tag_field = None
    sorted_fields = ()
    export_what = (
        "the reverse DNS (PTR records) of the source project's floating IPs"
    )
    import_where = (
        "the destination project's floating IPs with the same addresses"
    )

    params_fields = ('address', 'description', 'ptrdname', 'ttl')
    info_fields = ('id', 'status')
    param_shapes = {
        'address': STR,
        'description': STR,
        'ptrdname': STR,
        'ttl': (int,),
    }
    info_shapes = {'id': STR, 'status': STR}
    required_params = ('address', 'ptrdname')

    # -- names ----------------------------------------------------------------

    def name_of(self, entry: base.Entry) -> str:
        address = entry['params'].get('address')
        return address if isinstance(address, str) else ''

    def source_name(self, lookup: refs.Lookup, obj: ty.Any) -> str:
        return obj.address or ''

    # -- export ---------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        # Designate lists the caller's project's floating IPs only, with
        # no project field: every one is the project's.
        return [f for f in lookup.all(self.kind) if f.ptrdname]

    # -- import ---------------------------------------------------------------

    def find_existing(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        address = self.name_of(entry)
        for fip in lookup.all(self.kind):
            if fip.address == address:
                return fip
        return None

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        params = entry['params']
        changes = {}
        for key in FIELDS:
            if key not in params:
                continue
            if key == 'ttl' and params[key] is None:
                continue  # Designate's default
            have = getattr(existing, key, None)
            if not base.same(have, params[key]):
                changes[key] = (have, params[key])
        return changes

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        existing = self.find_existing(lookup, entry)
        if existing is None:
            return base.Decision(
                base.UNCHANGED,
                'no floating IP %s in the destination project: PTR not set'
                % self.name_of(entry),
            )
        changes = self.diff(lookup, existing, entry)
        if not changes:
            return base.Decision(base.UNCHANGED, '', existing)
        action = base.CREATE if not existing.ptrdname else base.UPDATE
        detail = ', '.join(sorted(changes)) if action == base.UPDATE else ''
        return base.Decision(action, detail, existing, changes)

    def create(self, lookup: refs.Lookup, entry: base.Entry) -> ty.Any:
        existing = self.find_existing(lookup, entry)
        return self.update(
            lookup, existing, self.diff(lookup, existing, entry)
        )

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        # Designate replaces the PTR with what a PATCH holds (a field
        # left out falls back to its default): send every field.
        attrs = {
            k: getattr(existing, k, None)
            for k in FIELDS
            if getattr(existing, k, None) is not None
        }
        attrs.update((k, new) for k, (_, new) in changes.items())
        made = self.proxy(lookup).update_floating_ip(existing.id, **attrs)
        # Designate answers with the PTR as it will be: keep the id and
        # address of the listed one.
        made._update(id=existing.id, address=existing.address)
        return made


RESOURCE = PtrRecord
