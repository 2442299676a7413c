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

"""Barbican containers: secrets by name, immutable twins, ACLs."""

import os
import uuid

import fixtures
from oslotest import base

from osmigrateclient import datafile
from osmigrateclient import resources
from osmigrateclient import validation
from osmigrateclient.resources import _barbican_api
from osmigrateclient.resources import refs
from osmigrateclient.resources import secret
from osmigrateclient.resources import secret_container
from tests.unit.resources import barbican_fakes

ENDPOINT = barbican_fakes.ENDPOINT


class ContainerConnection(barbican_fakes.BarbicanConnection):
    def add_container(self, name, type_, items, acl=None):
        id_ = str(uuid.uuid4())
        href = ENDPOINT + 'containers/' + id_
        if acl is not None:
            self.acls[id_] = acl
        return self.add(
            'secret_container',
            id=href,
            container_ref=href,
            name=name,
            type=type_,
            secret_refs=[
                {'name': n, 'secret_ref': s.secret_ref} for n, s in items
            ],
        )

    def _api_create_container(self, **attrs):
        self.requests.append(('POST', '/containers'))
        self.created = attrs
        return self.add_container(
            attrs['name'],
            attrs['type'],
            [
                (
                    r['name'],
                    next(
                        s
                        for s in self.store['secret']
                        if s.secret_ref == r['secret_ref']
                    ),
                )
                for r in attrs['secret_refs']
            ],
        )

    def _api_delete_container(self, id_, ignore_missing=True):
        assert _barbican_api.UUID.match(id_), id_
        self.requests.append(('DELETE', id_))
        self._delete('secret_container', ENDPOINT + 'containers/' + id_)


class TestSecretContainer(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.src = ContainerConnection(project_id='p-src')
        self.dst = ContainerConnection(project_id='p-dst')
        self.res = secret_container.RESOURCE()
        self.key = self.src.add_secret('k', b'key', 'text/plain')
        self.cert = self.src.add_secret('c', b'cert', 'text/plain')
        self.src.add_container(
            'bundle',
            'certificate',
            [('private_key', self.key), ('certificate', self.cert)],
            acl=(False, []),
        )

    def export(self):
        [entry] = self.res.export(refs.Lookup(self.src), lambda name: True)
        return entry

    def twins(self):
        return [
            self.dst.add_secret(n, p, 'text/plain')
            for n, p in (('k', b'key'), ('c', b'cert'))
        ]

    def test_export_refers_to_secrets_by_name(self):
        entry = self.export()
        own = {'project_name': refs.AUTH, 'domain_name': refs.AUTH}
        self.assertEqual(
            {
                'name': 'bundle',
                'type': 'certificate',
                'secret_refs': [
                    {'name': 'certificate', 'secret_ref': dict(own, name='c')},
                    {'name': 'private_key', 'secret_ref': dict(own, name='k')},
                ],
                'acl_project_access': False,
                'acl_user_refs': [],
            },
            entry['params'],
        )
        self.assertEqual(
            sorted([self.key.secret_id, self.cert.secret_id]),
            entry['_info']['secret_ids'],
        )

    def test_create_with_the_destination_secrets(self):
        k, c = self.twins()
        outcome = self.res.apply(refs.Lookup(self.dst), self.export())
        self.assertEqual('created', outcome.action)
        self.assertEqual(
            {
                'name': 'bundle',
                'type': 'certificate',
                'secret_refs': [
                    {'name': 'certificate', 'secret_ref': c.secret_ref},
                    {'name': 'private_key', 'secret_ref': k.secret_ref},
                ],
            },
            self.dst.created,
        )
        [made] = self.dst.store['secret_container']
        self.assertEqual((False, []), self.dst.acls[self.res.uuid(made)])
        # Twice: nothing written.
        self.dst.requests = []
        outcome = self.res.apply(refs.Lookup(self.dst), self.export())
        self.assertEqual('unchanged', outcome.action)
        self.assertEqual([], self.dst.raw_writes())

    def test_missing_secret_blocks(self):
        self.dst.add_secret('k', b'key', 'text/plain')
        outcome = self.res.apply(refs.Lookup(self.dst), self.export())
        self.assertEqual(
            (
                'blocked',
                "secret_refs[0].secret_ref: secret 'c' (project '%auth%') "
                'not found',
            ),
            outcome[2:],
        )
        self.assertEqual([], self.dst.raw_writes())

    def test_twin_with_other_secrets_is_a_conflict(self):
        k, c = self.twins()
        self.dst.add_container('bundle', 'certificate', [('private_key', k)])
        outcome = self.res.apply(refs.Lookup(self.dst), self.export())
        self.assertEqual('conflict', outcome.action)
        self.assertTrue(
            outcome.detail.startswith(
                'cannot change secret_refs of an existing resource'
            ),
            outcome.detail,
        )
        self.assertEqual([], self.dst.raw_writes())

    def test_twin_with_another_acl_is_updated(self):
        k, c = self.twins()
        twin = self.dst.add_container(
            'bundle', 'certificate', [('certificate', c), ('private_key', k)]
        )
        outcome = self.res.apply(refs.Lookup(self.dst), self.export())
        self.assertEqual(('updated', 'acl_project_access'), outcome[2:])
        self.assertEqual(
            [('PUT', '/containers/%s/acl' % self.res.uuid(twin))],
            self.dst.raw_writes(),
        )

    def test_validate_names_the_missing_secret(self):
        data_dir = self.useFixture(fixtures.TempDir()).path
        entry = self.export()
        datafile.write(
            os.path.join(data_dir, 'secret_containers.yml'), [entry]
        )
        datafile.write(
            os.path.join(data_dir, 'secrets.yml'),
            secret.RESOURCE().export(
                refs.Lookup(self.src), lambda name: name == 'k'
            ),
        )
        problems, _, _ = validation.validate(data_dir)
        self.assertEqual(
            [
                (
                    os.path.join(data_dir, 'secret_containers.yml'),
                    "resource 0 (openstack.key_manager.Container 'bundle')",
                    'params.secret_refs[0].secret_ref',
                    "secret 'c' (project '%auth%') is not in the data "
                    'directory',
                )
            ],
            [tuple(p) for p in problems],
        )

    def test_containers_after_secrets(self):
        names = [r.cli_name for r in resources.in_order()]
        self.assertLess(names.index('secret'), names.index('secret container'))
