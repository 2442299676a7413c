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


"""Quotas: per migrated project, three services, only what differs."""

import os
import tempfile

from openstack.block_storage.v3 import quota_set as volume_quota
from openstack.compute.v2 import quota_set as compute_quota
from openstack.network.v2 import quota as network_quota
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import exceptions
from osmigrateclient.resources import quota
from osmigrateclient.resources import refs
from tests.unit import fakes

GETS = {
    'compute.get_quota_set': ('compute', compute_quota.QuotaSet),
    'network.get_quota': ('network', network_quota.Quota),
    'block_storage.get_quota_set': ('volume', volume_quota.QuotaSet),
}


def cloud(limits):
    """A cloud whose project 'p1' (or any) has ``limits`` by service."""
    conn = fakes.FakeConnection(project_id='p-admin', roles=['admin'])
    conn.block_storage = fakes.FakeProxy(conn, 'block_storage')
    conn.add('domain', id='default', name='Default')
    conn.add('project', id='p-admin', name='admin', domain_id='default')
    conn.add('project', id='p1', name='proj', domain_id='default')
    conn.limits = limits

    def getter(service, cls):
        def get(project_id):
            return cls.existing(id=project_id, **conn.limits[service])

        return get

    def setter(service):
        def update(project_id, **values):
            conn.limits[service].update(values)

        return update

    conn._api_get_quota = getter('network', network_quota.Quota)
    conn._api_update_quota = setter('network')
    # compute and block_storage share method names: route by service.
    original = conn._call

    def call(service, method, args, kwargs):
        if method == 'get_quota_set':
            conn.calls.append(('%s.%s' % (service, method), args, kwargs))
            name = 'compute' if service == 'compute' else 'volume'
            cls = GETS['%s.get_quota_set' % service][1]
            return getter(name, cls)(*args)
        if method == 'update_quota_set':
            conn.calls.append(('%s.%s' % (service, method), args, kwargs))
            name = 'compute' if service == 'compute' else 'volume'
            return setter(name)(*args, **kwargs)
        return original(service, method, args, kwargs)

    conn._call = call
    return conn


SRC = {
    'compute': {'cores': 37, 'instances': 13, 'ram': 12345},
    'network': {'networks': 7, 'ports': 77},
    'volume': {'volumes': 9, 'gigabytes': 99, 'volumes_nfs': -1},
}


class TestQuota(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = cloud({k: dict(v) for k, v in SRC.items()})
        self.dst = cloud(
            {
                'compute': {'cores': 20, 'instances': 13, 'ram': 51200},
                'network': {'networks': 7, 'ports': 77},
                'volume': {'volumes': 10, 'gigabytes': 99},
            }
        )
        self.res = quota.RESOURCE()
        self.data_dir = tempfile.mkdtemp()
        self.addCleanup(os.rmdir, self.data_dir)

    def export(self, projects=None):
        path = os.path.join(self.data_dir, 'projects.yml')
        if projects is not None:
            datafile.write(path, projects)
            self.addCleanup(os.unlink, path)
        lookup = refs.Lookup(self.src, data_dir=self.data_dir)
        return self.res.export(lookup, lambda name: True)

    def test_export_projects_of_the_data_dir(self):
        [entry] = self.export(
            [
                {
                    'type': 'openstack.identity.Project',
                    'params': {'name': 'proj'},
                    '_info': {'id': 'p1'},
                }
            ]
        )
        self.assertEqual(
            dict(SRC, project_ref=refs.make_ref('proj', None, 'Default')),
            entry['params'],
        )
        self.assertEqual({'id': 'p1'}, entry['_info'])
        self.assertEqual('proj', self.res.name_of(entry))

    def test_export_with_a_wrong_typed_projects_file(self):
        path = os.path.join(self.data_dir, 'projects.yml')
        e = self.assertRaises(
            exceptions.DataFileError,
            self.export,
            [
                {
                    'type': 'openstack.identity.Project',
                    'params': {'name': 'proj', 'domain_ref': 'Default'},
                    '_info': {'id': 'p1'},
                }
            ],
        )
        self.assertEqual(
            "%s: resource 0 (openstack.identity.Project 'proj'): field "
            'params.domain_ref: must be a mapping, not a string' % path,
            str(e),
        )

    def test_export_own_project_without_projects_file(self):
        [entry] = self.export()
        self.assertEqual('admin', entry['params']['project_ref']['name'])

    def test_import_sets_only_what_differs(self):
        [entry] = self.export(
            [
                {
                    'type': 'openstack.identity.Project',
                    'params': {'name': 'proj'},
                    '_info': {'id': 'p1'},
                }
            ]
        )
        outcome = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'updated',
                'compute.cores, compute.ram, volume.volumes; not in the '
                'destination, left out: volume.volumes_nfs',
            ),
            outcome[2:],
        )
        self.assertEqual(
            [(('p1',), {'cores': 37, 'ram': 12345})],
            self.dst.calls_to('compute.update_quota_set'),
        )
        self.assertEqual(
            [(('p1',), {'volumes': 9})],
            self.dst.calls_to('block_storage.update_quota_set'),
        )
        self.assertEqual([], self.dst.calls_to('network.update_quota'))
        again = self.res.apply(refs.Lookup(self.dst), entry)
        self.assertEqual(
            (
                'unchanged',
                'not in the destination, left out: volume.volumes_nfs',
            ),
            again[2:],
        )

    def test_missing_project_blocks(self):
        [entry] = self.export()
        entry['params']['project_ref']['name'] = 'gone'
        decision = self.res.decide(refs.Lookup(self.dst), entry)
        self.assertEqual(
            ('blocked', "project_ref: project 'gone' not found"), decision[:2]
        )
