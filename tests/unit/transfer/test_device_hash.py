#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import device_hash


class TestDeviceHash(base.BaseTestCase):
    def test_hash_script(self):
        script = device_hash.hash_script('xxh128sum', '/dev/vdb', 4096)
        self.assertEqual(
            [
                'set -o pipefail',
                'if [ "$(blockdev --getsize64 /dev/vdb 2>/dev/null)" = 4096 '
                ']; then',
                '  xxh128sum < /dev/vdb',
                'else',
                '  dd if=/dev/vdb bs=1M iflag=count_bytes count=4096 '
                'status=none | xxh128sum',
                'fi',
            ],
            script.splitlines(),
        )

    def test_choose_hash(self):
        self.assertEqual(
            ('b3sum', 'blake3'),
            device_hash.choose_hash('b3sum\nsha256sum', 'xxh128sum b3sum'),
        )
        self.assertRaises(
            exceptions.MigrateError, device_hash.choose_hash, 'b3sum', ''
        )
