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

"""The quota pre-flight of a plan."""

import types

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import quota_check
from osmigrateclient.resources import base as resource_base

SG = 'openstack.network.SecurityGroup'
NET = 'openstack.network.Network'
RIF = 'openstack.network.RouterInterface'


def outcome(type_, action, name='x'):
    return resource_base.Outcome(type_, name, action)


class FakeNetwork:
    def __init__(self, details=None, error=None):
        self.details = details or {}
        self.error = error
        self.asked = []

    def get_quota(self, project, details=False):
        self.asked.append((project, details))
        if self.error:
            raise self.error
        return types.SimpleNamespace(**self.details)


def lookup(network):
    return types.SimpleNamespace(
        conn=types.SimpleNamespace(network=network), project_id='proj'
    )


class TestShortfalls(base.BaseTestCase):
    def test_counts_creates_only(self):
        counts = quota_check.to_create(
            [
                outcome(SG, 'create'),
                outcome(SG, 'create'),
                outcome(SG, 'unchanged'),
                outcome(NET, 'blocked'),
                outcome(RIF, 'create'),
            ]
        )
        self.assertEqual(
            {'security group': 2, 'router interface': 1}, dict(counts)
        )

    def test_over_quota_with_the_numbers(self):
        found = quota_check.shortfalls(
            {'security group': 14, 'network': 2, 'router interface': 3},
            {
                'security_groups': (3, 10),
                'networks': (8, 10),
                'ports': (0, -1),
            },
        )
        self.assertEqual(
            [
                resource_base.Outcome(
                    'quota',
                    'security group',
                    'blocked',
                    'security group: 14 to create, 3 in use, quota 10 '
                    '(network quota security_groups)',
                )
            ],
            found,
        )

    def test_exactly_full_fits(self):
        self.assertEqual(
            [], quota_check.shortfalls({'network': 2}, {'networks': (8, 10)})
        )


class TestQuotaShortfalls(base.BaseTestCase):
    def test_reads_details_of_the_project(self):
        network = FakeNetwork(
            {
                'networks': {'limit': 1, 'used': 1, 'reserved': 0},
                'routers': {'limit': 10, 'used': 0, 'reserved': 0},
            }
        )
        found = quota_check.quota_shortfalls(
            lookup(network), [outcome(NET, 'create')]
        )
        self.assertEqual([('proj', True)], network.asked)
        self.assertEqual(
            [
                'network: 1 to create, 1 in use, quota 1 (network quota '
                'networks)'
            ],
            [o.detail for o in found],
        )

    def test_nothing_to_create_asks_nothing(self):
        network = FakeNetwork()
        self.assertEqual(
            [],
            quota_check.quota_shortfalls(
                lookup(network), [outcome(NET, 'unchanged')]
            ),
        )
        self.assertEqual([], network.asked)

    def test_quotas_not_readable_are_not_checked(self):
        network = FakeNetwork(error=sdk_exceptions.ForbiddenException('no'))
        with self.assertLogs('osmigrateclient.quota_check', 'WARNING') as logs:
            found = quota_check.quota_shortfalls(
                lookup(network), [outcome(NET, 'create')]
            )
        self.assertEqual([], found)
        self.assertIn(
            'Cannot read the network quotas of project proj, not checked',
            logs.output[0],
        )
