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

"""Cinder QoS specs (admin): their consumer and their specs; volume types
refer to them by name (``qos_specs_ref``), one QoS spec serving several
types.

A QoS spec is found in the destination by name (Cinder's names are unique);
an existing one gets the file's consumer and exactly the file's specs (the
keys it lacks are deleted).  Cinder keeps spec values as strings: they are
compared as such.
"""

import typing as ty

from osmigrateclient import datafile
from osmigrateclient.resources import base
from osmigrateclient.resources import refs


def _strings(specs: ty.Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (specs or {}).items()}


class VolumeQos(base.Resource):
    type = 'openstack.block_storage.QosSpec'
    cli_name = 'volume qos'
    plural_name = 'volume QoS specs'
    kind = 'volume_qos'
    file_name = 'volume_qos_specs.yml'
    service = 'block_storage'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    # before the volume types that use them
    rank = 7
    tag_field = None

    params_fields = ('consumer', 'name', 'specs')
    info_fields = ('id',)
    sorted_fields = ()
    param_shapes = {'specs': datafile.MapOf(datafile.SCALAR)}
    scope = 'cloud'

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return list(lookup.all(self.kind))

    def candidates(self, lookup: refs.Lookup, entry: base.Entry) -> list:
        # QoS specs have no owner.
        return list(lookup.all(self.kind))

    def from_sdk(self, lookup: refs.Lookup, obj: ty.Any) -> base.Entry:
        entry = super().from_sdk(lookup, obj)
        entry['params']['specs'] = _strings(entry['params']['specs'])
        return entry

    def diff(
        self, lookup: refs.Lookup, existing: ty.Any, entry: base.Entry
    ) -> dict[str, tuple[ty.Any, ty.Any]]:
        changes = super().diff(lookup, existing, entry)
        specs = changes.get('specs')
        if specs is not None and _strings(specs[1]) == specs[0]:
            del changes['specs']
        return changes

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        # Cinder takes the specs as keys beside the name and the consumer.
        specs = _strings(attrs.pop('specs', None))
        return self.proxy(lookup).create_qos_spec(**attrs, **specs)

    def update(
        self, lookup: refs.Lookup, existing: ty.Any, changes: dict
    ) -> ty.Any:
        proxy = self.proxy(lookup)
        have = _strings(existing.specs)
        want = _strings(changes['specs'][1]) if 'specs' in changes else have
        values = {k: v for k, v in want.items() if have.get(k) != v}
        if 'consumer' in changes:
            values['consumer'] = changes['consumer'][1]
        if values:
            proxy.update_qos_spec(existing, **values)
        gone = sorted(set(have) - set(want))
        if gone:
            proxy.delete_qos_spec_metadata(existing, gone)
        return proxy.get_qos_spec(existing.id)


RESOURCE = VolumeQos
