#   Licensed under the Apache License, Version 2.0 (the "License"); you may
#   not use this file except in compliance with the License. You may obtain
#   a copy of the License at http://www.apache.org/licenses/LICENSE-2.0

import threading

import fixtures
from oslotest import base

from osmigrateclient import exceptions
from osmigrateclient.transfer import delta_batches


class TestBatches(base.BaseTestCase):
    """Pieces found are sent a batch at a time while the hash goes on;
    what no batch took is left to the last one."""

    def setUp(self):
        super().setUp()
        # a batch is 4 pieces of 1 byte
        self.useFixture(
            fixtures.MonkeyPatch(
                'osmigrateclient.transfer.delta_batches.BATCH', 4
            )
        )
        self.sent = []
        self.sending = threading.Event()
        self.ended = []

    def send(self, pieces, n):
        self.sent.append((n, pieces))
        self.sending.set()
        return 100 * len(pieces)

    def batches(self, send=None):
        return delta_batches.Batches(
            send or self.send, 1, lambda: self.ended.append(True)
        )

    def test_a_batch_once_enough_pieces_differ(self):
        b = self.batches()
        # chunk of pieces 8..11: 9 and 11 differ, 10 became zeros (zeroed
        # by the last batch's zeroing, never sent)
        b.found(['a', 'b', 'z', 'd'], ['a', 'x', 'c', 'x'], 8)
        b.found(['e', 'f'], ['x', 'x'], 0)
        self.assertTrue(self.sending.wait(10))
        b.found(['g'], ['x'], 20)
        self.assertEqual([20, 30], b.finish([0, 1, 9, 11, 20, 30]))
        b.wait()
        self.assertEqual([(1, [0, 1, 9, 11])], self.sent)
        self.assertEqual((1, 400), (b.batches, b.sent))
        self.assertEqual([], self.ended)

    def test_too_few_pieces_wait_for_the_last_batch(self):
        b = self.batches()
        b.found(['a', 'b'], ['x', 'b'], 4)
        self.assertEqual([4], b.finish([4]))
        b.wait()
        self.assertEqual(([], 0, None), (self.sent, b.batches, b.sent))

    def test_a_failed_batch_fails_the_pass(self):
        def send(pieces, n):
            self.sending.set()
            raise exceptions.MigrateError('copy failed')

        b = self.batches(send)
        b.found(['a'] * 4, ['x'] * 4, 0)
        self.assertTrue(self.sending.wait(10))
        self.assertEqual([], b.finish([0, 1, 2, 3]))
        e = self.assertRaises(exceptions.MigrateError, b.wait)
        self.assertEqual('copy failed', str(e))

    def test_abort_ends_the_batch_being_sent(self):
        release = threading.Event()

        def send(pieces, n):
            self.sending.set()
            release.wait(10)

        b = delta_batches.Batches(send, 1, release.set)
        b.found(['a'] * 4, ['x'] * 4, 0)
        self.assertTrue(self.sending.wait(10))
        b.abort()
        self.assertFalse(b._thread.is_alive())
        self.assertEqual(1, b.batches)
