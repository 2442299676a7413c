#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import types

from oslotest import base

from osmigrateclient.transfer import host_cloud


def _rule(**kw):
    rule = dict(
        protocol='tcp',
        port_range_min=22,
        port_range_max=22,
        remote_ip_prefix='10.0.0.5',
        remote_group_id=None,
    )
    rule.update(kw)
    return types.SimpleNamespace(**rule)


class TestAddresses(base.BaseTestCase):
    def test_as_cidr(self):
        self.assertEqual('192.0.2.1/32', host_cloud.as_cidr('192.0.2.1'))
        self.assertEqual('10.0.0.0/8', host_cloud.as_cidr('10.1.0.0/8'))

    def test_ssh_from(self):
        self.assertEqual('10.0.0.5/32', host_cloud.ssh_from(_rule()))
        for other in (
            _rule(protocol='udp'),
            _rule(port_range_max=23),
            _rule(remote_ip_prefix=None),
            _rule(remote_group_id='g'),
        ):
            self.assertIsNone(host_cloud.ssh_from(other))
