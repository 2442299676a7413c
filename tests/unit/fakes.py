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

"""Shared fakes: an openstacksdk connection that records every call.

SDK objects are REAL openstacksdk resources built without a cloud
(``sdk('network', name='net1', project_id=...)``), as the pioneering
tool's tests did, so attribute names and defaults are the SDK's own.

Usage::

    conn = fakes.FakeConnection(project_id=fakes.PROJECT)
    conn.add('network', name='net1')            # owned by conn's project
    conn.add('qos_policy', name='q', project_id='other')
    lookup = refs.Lookup(conn)
    ...
    conn.calls_to('network.create_network')     # [(args, kwargs), ...]
    conn.fail('network.set_tags', exc)          # make a call raise

Calls are recorded as ``('<service>.<method>', args, kwargs)``.  Every
lister of :data:`osmigrateclient.resources._listers.LISTERS` is answered from
``conn.store[kind]`` of the kinds listed by that proxy method, filtered by
its keyword arguments (``ports(device_owner=...)``); ``create_<kind>``,
``update_<kind>``, ``delete_<kind>``, ``set_tags`` and the identity
project/domain calls behave like a tiny cloud.  Any other call raises
AssertionError.
"""

import importlib
import itertools
import typing as ty

from openstack import exceptions as sdk_exceptions

from osmigrateclient.resources import _listers as listers
from osmigrateclient.resources import refs

PROJECT = 'proj-auth'
USER = 'user-auth'

#: kind -> openstacksdk resource class ("module:Class")
SDK_CLASSES = {
    'address_group': 'openstack.network.v2.address_group:AddressGroup',
    'address_scope': 'openstack.network.v2.address_scope:AddressScope',
    'network': 'openstack.network.v2.network:Network',
    'qos_policy': 'openstack.network.v2.qos_policy:QoSPolicy',
    'rbac_policy': 'openstack.network.v2.rbac_policy:RBACPolicy',
    'router': 'openstack.network.v2.router:Router',
    'security_group': 'openstack.network.v2.security_group:SecurityGroup',
    'security_group_rule': (
        'openstack.network.v2.security_group_rule:SecurityGroupRule'
    ),
    'segment': 'openstack.network.v2.segment:Segment',
    'subnet': 'openstack.network.v2.subnet:Subnet',
    'subnet_pool': 'openstack.network.v2.subnet_pool:SubnetPool',
    'trunk': 'openstack.network.v2.trunk:Trunk',
    'port': 'openstack.network.v2.port:Port',
    'router_interface': 'openstack.network.v2.port:Port',
    'network_flavor': 'openstack.network.v2.flavor:Flavor',
    'flavor': 'openstack.compute.v2.flavor:Flavor',
    'image': 'openstack.image.v2.image:Image',
    'keypair': 'openstack.compute.v2.keypair:Keypair',
    'domain': 'openstack.identity.v3.domain:Domain',
    'project': 'openstack.identity.v3.project:Project',
    'role': 'openstack.identity.v3.role:Role',
    'user': 'openstack.identity.v3.user:User',
    'server': 'openstack.compute.v2.server:Server',
    'server_group': 'openstack.compute.v2.server_group:ServerGroup',
    'floating_ip': 'openstack.network.v2.floating_ip:FloatingIP',
    'extension': 'openstack.network.v2.extension:Extension',
    'volume': 'openstack.block_storage.v3.volume:Volume',
    'volume_type': 'osmigrateclient.resources._sdk_classes:VolumeType',
    'volume_qos': 'openstack.block_storage.v3.qos_spec:QoSSpec',
    'container': 'openstack.object_store.v1.container:Container',
    'secret': 'osmigrateclient.resources._sdk_classes:Secret',
    'secret_container': (
        'osmigrateclient.resources._sdk_classes:SecretContainer'
    ),
    'zone': 'openstack.dns.v2.zone:Zone',
    'recordset': 'osmigrateclient.resources._sdk_classes:ZoneRecordset',
    'ptr_record': 'openstack.dns.v2.floating_ip:FloatingIP',
    'share_type': 'osmigrateclient.resources._sdk_classes:ShareType',
    'share_network': 'osmigrateclient.resources._sdk_classes:ShareNetwork',
    'share': 'osmigrateclient.resources._sdk_classes:Share',
    'load_balancer': 'openstack.load_balancer.v2.load_balancer:LoadBalancer',
    'lb_listener': 'osmigrateclient.resources._sdk_classes:LbListener',
    'lb_pool': 'osmigrateclient.resources._sdk_classes:LbPool',
    'lb_health_monitor': (
        'openstack.load_balancer.v2.health_monitor:HealthMonitor'
    ),
    'lb_l7_policy': 'openstack.load_balancer.v2.l7_policy:L7Policy',
    'lb_flavor': 'openstack.load_balancer.v2.flavor:Flavor',
    'lb_provider': 'openstack.load_balancer.v2.provider:Provider',
}

_ids = itertools.count(1)

#: lister arguments that page, not filter
_PAGING = frozenset(['limit', 'marker', 'details', 'paginated', 'base_path'])


def sdk_class(kind: str) -> type:
    module, cls = SDK_CLASSES[kind].split(':')
    return getattr(importlib.import_module(module), cls)


def sdk(kind: str, **attrs: ty.Any) -> ty.Any:
    """A real openstacksdk resource object of ``kind``, made offline."""
    attrs.setdefault('id', '%s-%d' % (kind, next(_ids)))
    return sdk_class(kind)(**attrs)


class _ListerRecorder:
    """Finds out which proxy method a lister of _listers.LISTERS calls."""

    def __init__(self) -> None:
        self.found: tuple[str, str] | None = None

    def __getattr__(self, service: str) -> ty.Any:
        recorder = self

        class _Proxy:
            def __getattr__(self, method: str) -> ty.Any:
                def call(*args: ty.Any, **kwargs: ty.Any) -> list:
                    recorder.found = (service, method)
                    return []

                return call

        return _Proxy()


def _lister_methods() -> dict[str, list[str]]:
    """'<service>.<method>' -> kinds, for every lister of _listers.LISTERS."""
    methods: dict[str, list[str]] = {}
    for kind, lister in listers.LISTERS.items():
        rec = _ListerRecorder()
        lister(rec)
        if rec.found:
            methods.setdefault('%s.%s' % rec.found, []).append(kind)
    return methods


class FakeProxy:
    """One service proxy (``conn.network``); every call goes to the conn."""

    def __init__(self, conn: 'FakeConnection', service: str) -> None:
        self._conn = conn
        self._service = service

    def __getattr__(self, method: str) -> ty.Any:
        if method.startswith('_'):
            raise AttributeError(method)

        def call(*args: ty.Any, **kwargs: ty.Any) -> ty.Any:
            return self._conn._call(self._service, method, args, kwargs)

        return call

    def _list(self, resource_type: type, **query: ty.Any) -> ty.Any:
        """openstacksdk's own lister, which a few listers call with a
        class of their own."""
        return self._conn._call(
            self._service, '_list', (resource_type,), query
        )

    def _kind_of(self, resource_type: type) -> str:
        path = '%s:%s' % (resource_type.__module__, resource_type.__name__)
        return next(k for k, c in SDK_CLASSES.items() if c == path)

    def _create(self, resource_type: type, **attrs: ty.Any) -> ty.Any:
        """openstacksdk's own create, with a class of the caller's
        (sdk_classes.Share): recorded as ``create_<kind>``."""
        kind = self._kind_of(resource_type)
        return self._conn._call(self._service, 'create_' + kind, (), attrs)

    def _update(
        self, resource_type: type, value: ty.Any, **attrs: ty.Any
    ) -> ty.Any:
        kind = self._kind_of(resource_type)
        return self._conn._call(
            self._service, 'update_' + kind, (value,), attrs
        )

    def _get(self, resource_type: type, value: ty.Any) -> ty.Any:
        """The stored object of that id (recorded as ``get_<kind>``)."""
        kind = self._kind_of(resource_type)
        self._conn.calls.append(
            ('%s.get_%s' % (self._service, kind), (value,), {})
        )
        id_ = getattr(value, 'id', value)
        return next(o for o in self._conn.store.get(kind, []) if o.id == id_)

    def _bulk_create(self, resource_type: type, data: list[dict]) -> list:
        """openstacksdk's bulk create: one call, all made or none."""
        path = '%s:%s' % (resource_type.__module__, resource_type.__name__)
        kind = next(k for k, c in SDK_CLASSES.items() if c == path)
        return self._conn._call(
            self._service, 'bulk_create_' + kind, (data,), {}
        )


class _Access:
    def __init__(self, roles: list[str]) -> None:
        self.role_names = roles


class _Auth:
    def __init__(self, roles: list[str]) -> None:
        self._roles = roles

    def get_access(self, session: ty.Any) -> _Access:
        return _Access(self._roles)


class _Session:
    def __init__(self, roles: list[str]) -> None:
        self.auth = _Auth(roles)


class FakeConnection:
    """A cloud in memory that records every proxy call."""

    def __init__(
        self,
        project_id: str = PROJECT,
        user_id: str = USER,
        roles: ty.Iterable[str] = ('member',),
        identity_forbidden: bool = False,
    ) -> None:
        self.current_project_id = project_id
        self.current_user_id = user_id
        self.session = _Session(list(roles))
        #: get/find_project and get/find_domain raise ForbiddenException
        self.identity_forbidden = identity_forbidden
        self.store: dict[str, list[ty.Any]] = {}
        self.calls: list[tuple[str, tuple, dict]] = []
        self._failures: dict[str, BaseException] = {}
        self._listers = _lister_methods()
        for service in (
            'network',
            'compute',
            'identity',
            'image',
            'block_storage',
            'object_store',
            'key_manager',
            'dns',
            'load_balancer',
            'shared_file_system',
        ):
            setattr(self, service, FakeProxy(self, service))

    # -- setting up ---------------------------------------------------------

    def add(self, kind: str, **attrs: ty.Any) -> ty.Any:
        """Put a new SDK object of ``kind`` into the cloud; return it.

        It belongs to the connection's project unless ``project_id`` is
        given (None for no owner); unowned kinds get no project.
        """
        cls = sdk_class(kind)
        owner_attr = next(
            (a for a in ('project_id', 'owner_id') if hasattr(cls, a)), None
        )
        if owner_attr and kind not in refs.UNOWNED:
            if owner_attr != 'project_id' and 'project_id' in attrs:
                attrs[owner_attr] = attrs.pop('project_id')
            attrs.setdefault(owner_attr, self.current_project_id)
        obj = sdk(kind, **attrs)
        self.store.setdefault(kind, []).append(obj)
        return obj

    def fail(self, call: str, exc: BaseException) -> None:
        """Make ``'<service>.<method>'`` raise ``exc``."""
        self._failures[call] = exc

    # -- inspecting ---------------------------------------------------------

    def calls_to(self, call: str) -> list[tuple[tuple, dict]]:
        return [(a, k) for name, a, k in self.calls if name == call]

    def call_names(self) -> list[str]:
        return [name for name, _, _ in self.calls]

    def write_calls(self) -> list[str]:
        """The calls that would change the cloud."""
        return [
            name
            for name in self.call_names()
            if name.split('.', 1)[1].startswith(
                (
                    'create_',
                    'update_',
                    'delete_',
                    'set_',
                    'add_',
                    'remove_',
                    'associate_',
                    'disassociate_',
                )
            )
        ]

    # -- the fake API -------------------------------------------------------

    def _call(
        self, service: str, method: str, args: tuple, kwargs: dict
    ) -> ty.Any:
        name = '%s.%s' % (service, method)
        self.calls.append((name, args, kwargs))
        if name in self._failures:
            raise self._failures[name]
        if name in self._listers:
            kinds = self._listers[name]
            if args and isinstance(args[0], type):
                # A proxy's own lister (_list) of the kind of that class.
                kinds = [k for k in kinds if sdk_class(k) is args[0]]
            return self._list(kinds, kwargs)
        handler = getattr(self, '_api_' + method, None)
        if handler is not None:
            return handler(*args, **kwargs)
        if method.startswith('bulk_create_'):
            kind = method[len('bulk_create_') :]
            return [self._create(kind, **attrs) for attrs in args[0]]
        for verb in ('create', 'update', 'delete'):
            prefix = verb + '_'
            if method.startswith(prefix) and method[len(prefix) :] in (
                SDK_CLASSES
            ):
                return getattr(self, '_' + verb)(
                    method[len(prefix) :], *args, **kwargs
                )
        raise AssertionError(
            'unexpected call %s(%r, %r)' % (name, args, kwargs)
        )

    def _list(self, kinds: list[str], filters: dict) -> list[ty.Any]:
        """The objects of ``kinds`` whose attributes match the filters
        (None-valued filters, like ``is_public=None``, Cinder's
        ``is_public='None'`` and Manila's ``is_public='all'`` match
        anything; a list matches any of its values, as Neutron's
        repeated query parameters do)."""
        found: list[ty.Any] = []
        for kind in kinds:
            for obj in self.store.get(kind, []):
                if any(obj is o for o in found):
                    continue
                if all(
                    v is None
                    or v in ('None', 'all')
                    or getattr(obj, k, None) == v
                    or (isinstance(v, list) and getattr(obj, k, None) in v)
                    for k, v in filters.items()
                    if k not in _PAGING
                ):
                    found.append(obj)
        return found

    def _create(self, kind: str, **attrs: ty.Any) -> ty.Any:
        attrs.setdefault('id', 'new-%s-%d' % (kind, next(_ids)))
        return self.add(kind, **attrs)

    def _update(self, kind: str, obj: ty.Any, **attrs: ty.Any) -> ty.Any:
        obj._update(**attrs)
        return obj

    def _delete(
        self, kind: str, obj: ty.Any, ignore_missing: bool = True
    ) -> None:
        id_ = getattr(obj, 'id', obj)
        self.store[kind] = [o for o in self.store.get(kind, []) if o.id != id_]

    def _api_set_tags(self, obj: ty.Any, tags: list[str]) -> ty.Any:
        obj._update(tags=list(tags))
        return obj

    def _identity_check(self) -> None:
        if self.identity_forbidden:
            raise sdk_exceptions.ForbiddenException(
                'You are not authorized to perform the requested action'
            )

    def _api_get_project(self, project_id: str) -> ty.Any:
        self._identity_check()
        for p in self.store.get('project', []):
            if p.id == project_id:
                return p
        raise sdk_exceptions.NotFoundException('project %s' % project_id)

    def _api_get_domain(self, domain_id: str) -> ty.Any:
        self._identity_check()
        for d in self.store.get('domain', []):
            if d.id == domain_id:
                return d
        raise sdk_exceptions.NotFoundException('domain %s' % domain_id)

    def _api_find_project(
        self, name: str, ignore_missing: bool = True, **filters: ty.Any
    ) -> ty.Any:
        self._identity_check()
        for p in self.store.get('project', []):
            if p.name == name and all(
                getattr(p, k) == v for k, v in filters.items()
            ):
                return p
        return None

    def _api_find_domain(
        self, name: str, ignore_missing: bool = True
    ) -> ty.Any:
        self._identity_check()
        for d in self.store.get('domain', []):
            if d.name == name:
                return d
        return None
