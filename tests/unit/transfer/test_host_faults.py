#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

"""Whether a failed copy is a conversion host's fault."""

from openstack import exceptions as sdk_exceptions
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import host_faults
from osmigrateclient.transfer import ssh

REFUSED = 'ssh: connect to host 10.1.0.5 port 22: Connection refused'


class TestHostFault(base.BaseTestCase):
    def _fault(self, error, attaching=False):
        return host_faults.host_fault(error, attaching)

    def test_ssh_lost(self):
        host = ssh.Host('10.9.9.9', 'k', 'kh', name='cs')
        for text, fault in (
            (
                "'x' on cs failed (exit code 255): " + REFUSED,
                ('SSH failed: ' + REFUSED, '10.1.0.5'),
            ),
            (
                'copy of /dev/a on cs to /dev/b on cd failed (exit code '
                '255): ssh: connect to host 10.1.0.5 port 22: No route to '
                'host',
                (
                    'SSH failed: ssh: connect to host 10.1.0.5 port 22: No '
                    'route to host',
                    '10.1.0.5',
                ),
            ),
            (
                'cannot hash data on cs: ssh: Could not resolve hostname '
                'h1: Name or service not known',
                (
                    'SSH failed: ssh: Could not resolve hostname h1: Name '
                    'or service not known',
                    'h1',
                ),
            ),
            (
                'x: Connection closed by 10.1.0.6 port 22',
                (
                    'SSH failed: Connection closed by 10.1.0.6 port 22',
                    '10.1.0.6',
                ),
            ),
            (
                'x: Connection to 10.1.0.6 closed by remote host.',
                (
                    'SSH failed: Connection to 10.1.0.6 closed by remote '
                    'host.',
                    '10.1.0.6',
                ),
            ),
            (
                'x: Timeout, server 10.1.0.6 not responding.',
                (
                    'SSH failed: Timeout, server 10.1.0.6 not responding.',
                    '10.1.0.6',
                ),
            ),
            (
                'x: kex_exchange_identification: read: Connection reset',
                (
                    'SSH failed: kex_exchange_identification: read: '
                    'Connection reset',
                    None,
                ),
            ),
            (
                'x: Host key verification failed.',
                ('SSH failed: Host key verification failed.', None),
            ),
            (
                'x: root@10.1.0.6: Permission denied (publickey).',
                (
                    'SSH failed: root@10.1.0.6: Permission denied '
                    '(publickey).',
                    '10.1.0.6',
                ),
            ),
        ):
            self.assertEqual(
                fault, self._fault(exceptions.MigrateError(text)), text
            )
        # ssh's exit code without a message ssh prints
        self.assertEqual(
            ('SSH failed: ssh to cs failed: ', '10.9.9.9'),
            self._fault(ssh.Unreachable('ssh to cs failed: ', host)),
        )

    def test_tools_missing(self):
        for text, tool in (
            (
                'copy of /dev/a on cs to /dev/b on cd failed (exit code '
                '127): bash: line 1: nbdcopy: command not found',
                'nbdcopy',
            ),
            (
                'no NBD server would start: sh: 1: nbdkit: not found',
                'nbdkit',
            ),
        ):
            self.assertEqual(
                ('tools missing: %s' % tool, None),
                self._fault(exceptions.MigrateError(text)),
            )

    def test_attach_failed_or_timed_out(self):
        for text in (
            'volume v1 to attach: status error_attaching',
            'volume v1 to attach: status available',
            'volume v1 to attach: still attaching after 1800 s',
            'the device of volume v1 on cs: still not there after 3 s',
        ):
            error = exceptions.MigrateError(text)
            self.assertEqual(
                ('attach failed: ' + text, None),
                self._fault(error, attaching=True),
            )
            # ... an attach's wait only
            self.assertIsNone(self._fault(error))
        refused = sdk_exceptions.ConflictException('server in error')
        self.assertEqual(
            'attach refused: server in error',
            self._fault(refused, attaching=True).why,
        )
        self.assertIsNone(self._fault(refused))

    def test_not_the_hosts(self):
        for error in (
            # the volume in error
            exceptions.MigrateError('volume v1 to attach: status error'),
            exceptions.MigrateError(
                'copy of data does not match: xxh128sum a on the source, b '
                'on the destination'
            ),
            exceptions.MigrateError(
                'copy of data did not finish within 60 s: stopped'
            ),
            exceptions.MigrateError('volume new: status error'),
            exceptions.MigrateError('copy broke'),
            sdk_exceptions.HttpException(
                'VolumeLimitExceeded: Maximum number of volumes allowed '
                '(10) exceeded',
                http_status=413,
            ),
            sdk_exceptions.ResourceNotFound('No Volume found for v1'),
            # the API's connection, not a host's
            sdk_exceptions.SDKException(
                "('Connection aborted.', ConnectionResetError(104, "
                "'Connection reset by peer'))"
            ),
            KeyboardInterrupt(),
        ):
            self.assertIsNone(self._fault(error, attaching=True), error)
