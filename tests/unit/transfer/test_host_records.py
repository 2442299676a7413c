#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import host_records


class TestCheck(base.BaseTestCase):
    def test_good(self):
        host_records.check(
            {
                'name': '',
                'server_id': 's',
                'user': 'cloud-user',
                'address': '10.0.0.5',
                'link_address': 'fd00::5',
                'port': 22,
                'owned': False,
                'allowed_cidrs': ['10.0.0.0/24'],
                'host_keys': ['ssh-ed25519 AAAA+/x='],
                'created': {'server': 's', 'keypair': 'k'},
            },
            'P',
            'host src',
        )

    def test_bad(self):
        for record, message in (
            ([], 'P: host src: must be a mapping'),
            (
                {'port': True},
                'P: host src: field port: must be a port number (1 to 65535)',
            ),
            (
                {'created': {'volume': 'v'}},
                'P: host src: field created: must be a mapping of keypair, '
                'security_group, server, floating_ip to IDs',
            ),
            (
                {'server_id': 'a\nb'},
                'P: host src: field server_id: must be a server ID (one '
                'line of printable text)',
            ),
        ):
            e = self.assertRaises(
                exceptions.DataFileError,
                host_records.check,
                record,
                'P',
                'host src',
            )
            self.assertEqual(message, str(e))

    def test_user_name(self):
        self.assertTrue(host_records.USER_NAME.match('cloud-user'))
        self.assertFalse(host_records.USER_NAME.match('-oProxyCommand=x'))
