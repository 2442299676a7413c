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

"""Reverse DNS of floating IPs: set on the floating IP of the same
address, a remark where there is none."""

from oslotest import base

from osmigrateclient.resources import ptr_record
from osmigrateclient.resources import refs
from tests.unit import fakes


def cloud(project_id, *fips):
    conn = fakes.FakeConnection(project_id=project_id)
    for i, (address, ptr) in enumerate(fips):
        conn.add(
            'ptr_record',
            id='Region:fip-%d' % i,
            address=address,
            ptrdname=ptr,
            ttl=600 if ptr else None,
            description='d' if ptr else None,
        )

    def update(fip_id, **attrs):
        [fip] = [f for f in conn.store['ptr_record'] if f.id == fip_id]
        fip._update(**attrs)
        return fakes.sdk('ptr_record', **attrs)

    conn._api_update_floating_ip = update
    return conn


def entry(address='192.0.2.5', **params):
    p = {
        'address': address,
        'ptrdname': 'www.example.org.',
        'ttl': 600,
        'description': 'd',
    }
    p.update(params)
    return {
        'type': 'openstack.dns.FloatingIPPTR',
        'params': p,
        '_info': {'id': 'Region:src'},
    }


class TestPtrRecord(base.BaseTestCase):
    def setUp(self):
        super().setUp()
        self.res = ptr_record.RESOURCE()

    def test_export_only_the_set_ones(self):
        src = cloud(
            'p', ('192.0.2.5', 'www.example.org.'), ('192.0.2.6', None)
        )
        entries = self.res.export(refs.Lookup(src), lambda name: True)
        self.assertEqual(
            [
                {
                    'address': '192.0.2.5',
                    'ptrdname': 'www.example.org.',
                    'ttl': 600,
                    'description': 'd',
                }
            ],
            [e['params'] for e in entries],
        )

    def test_set_on_the_same_address(self):
        dst = cloud('p', ('198.51.100.1', None), ('192.0.2.5', None))
        outcome = self.res.apply(refs.Lookup(dst), entry())
        self.assertEqual(('created', ''), (outcome.action, outcome.detail))
        self.assertEqual(
            [
                (
                    ('Region:fip-1',),
                    {
                        'ptrdname': 'www.example.org.',
                        'ttl': 600,
                        'description': 'd',
                    },
                )
            ],
            dst.calls_to('dns.update_floating_ip'),
        )
        # Again: nothing to write.
        self.assertEqual(
            'unchanged', self.res.apply(refs.Lookup(dst), entry()).action
        )
        self.assertEqual(['dns.update_floating_ip'], dst.write_calls())

    def test_changed_name_updated_with_every_field(self):
        # Designate resets what a PATCH leaves out.
        dst = cloud('p', ('192.0.2.5', 'old.example.org.'))
        outcome = self.res.apply(refs.Lookup(dst), entry())
        self.assertEqual(
            ('updated', 'ptrdname'), (outcome.action, outcome.detail)
        )
        self.assertEqual(
            [
                (
                    ('Region:fip-0',),
                    {
                        'ptrdname': 'www.example.org.',
                        'ttl': 600,
                        'description': 'd',
                    },
                )
            ],
            dst.calls_to('dns.update_floating_ip'),
        )

    def test_no_such_floating_ip_is_a_remark(self):
        dst = cloud('p', ('198.51.100.1', None))
        outcome = self.res.apply(refs.Lookup(dst), entry())
        self.assertEqual(
            (
                'unchanged',
                'no floating IP 192.0.2.5 in the destination project: '
                'PTR not set',
            ),
            (outcome.action, outcome.detail),
        )
        self.assertEqual([], dst.write_calls())
