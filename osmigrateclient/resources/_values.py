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

"""The values of data-file entries: plain copies of openstacksdk values,
lists in a stable order, and what counts as the same.

Resource modules use them through :mod:`osmigrateclient.resources.base`.
"""

import json
import typing as ty

try:
    from openstack.fields import Body as _SdkBody
except ImportError:  # openstacksdk before fields.py: the class was here
    from openstack.resource import Body as _SdkBody


def is_empty(value: ty.Any) -> bool:
    return value is None or value == '' or value == [] or value == {}


def plain(value: ty.Any) -> ty.Any:
    """A copy of an SDK value made of YAML-safe builtin types only."""
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set)):
        return [plain(v) for v in value]
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def reported(obj: ty.Any, attr: str) -> ty.Any:
    """``obj.<attr>``, or None when the cloud did not send the field:
    openstacksdk fills in a default then (``port_security_enabled`` reads
    False on a cloud without the port-security extension, which an import
    would turn into ports without security groups)."""
    field = getattr(type(obj), attr, None)
    body = getattr(obj, '_body', None)
    if isinstance(field, _SdkBody) and body is not None:
        if field.name not in body.attributes:
            return None
    return getattr(obj, attr, None)


def sort_list(value: ty.Any) -> ty.Any:
    """Sort a list whose order means nothing, so exports are stable."""
    if not isinstance(value, list):
        return value
    return sorted(value, key=lambda v: json.dumps(v, sort_keys=True))


def same(a: ty.Any, b: ty.Any) -> bool:
    """Equal, counting every kind of emptiness as the same."""
    if is_empty(a) and is_empty(b):
        return True
    return a == b
