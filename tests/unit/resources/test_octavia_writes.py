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


import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.resources import _octavia_writes
from osmigrateclient.resources import loadbalancer
from osmigrateclient.resources import refs
from tests.unit import fakes


class _Statuses:
    """A load balancer proxy whose load balancer goes through
    ``statuses``, one per look."""

    def __init__(self, statuses):
        self.statuses = list(statuses)
        self.looks = 0

    def get_load_balancer(self, lb_id):
        self.looks += 1
        status = self.statuses.pop(0) if self.statuses else 'PENDING_UPDATE'
        return fakes.sdk('load_balancer', id=lb_id, provisioning_status=status)


class TestWait(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.conn = fakes.FakeConnection()
        self.lookup = refs.Lookup(self.conn, options=_Options(0))
        self.useFixture(fixtures.MockPatchObject(_octavia_writes, 'POLL', 0))

    def wait(self, statuses):
        self.conn.load_balancer = _Statuses(statuses)
        lb = fakes.sdk('load_balancer', id='lb-1')
        return loadbalancer.LoadBalancer().writer(self.lookup, 'web').wait(lb)

    def test_active(self):
        self.lookup.options = _Options(60)
        found = self.wait(['PENDING_UPDATE', 'PENDING_UPDATE', 'ACTIVE'])
        self.assertEqual('ACTIVE', found.provisioning_status)
        self.assertEqual(3, self.conn.load_balancer.looks)

    def test_error(self):
        self.lookup.options = _Options(60)
        e = self.assertRaises(
            exceptions.MigrateError, self.wait, ['PENDING_UPDATE', 'ERROR']
        )
        self.assertEqual(
            "load balancer 'web' (lb-1) went to provisioning status ERROR",
            str(e),
        )

    def test_timeout(self):
        e = self.assertRaises(exceptions.MigrateError, self.wait, [])
        self.assertEqual(
            "load balancer 'web' (lb-1) is still PENDING_UPDATE after 0 s "
            '(see --loadbalancer-wait)',
            str(e),
        )


class _Options:
    def __init__(self, wait):
        self.loadbalancer_wait = wait
