# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""A pass's refinement of the chunks that differ (the pass itself:
tests/functional/migrate/test_delta_copy.py)."""

import types

from oslotest import base

from osmigrateclient.transfer import blockcopy
from osmigrateclient.transfer import chunks
from osmigrateclient.transfer import delta


class TestRefined(base.BaseTestCase):
    """A chunk that differs is compared again in pieces: only the pieces
    that differ are sent or zeroed."""

    def _copy(self, src, dst, chunk=8, piece=2):
        copy = object.__new__(delta.DeltaCopy)
        copy.chunk, copy.piece = chunk, piece
        copy.source, copy.dest = 'S', 'D'
        devices = {'S': src, 'D': dst}

        def hashes(host, device, size, runs, export, chunk=None):
            data, step = devices[host], chunk or copy.chunk
            out = []
            for a, n in runs or [(0, chunks.chunk_count(size, step))]:
                for i in range(a, a + n):
                    part = data[i * step : (i + 1) * step]
                    out.append('z' if not part.strip(b'\0') else part.hex())
            return out

        copy._hashes = hashes
        return copy

    def test_pieces(self):
        src = bytearray(b'a' * 20)
        dst = bytearray(src)
        src[9] = ord('b')  # chunk 1, piece 4
        src[16:18] = b'\0\0'  # chunk 2 (the last, short), piece 8
        src[4:6] = b'\0\0'  # chunk 0, piece 2
        copy = self._copy(bytes(src), bytes(dst))
        volume = types.SimpleNamespace(
            size=20, source_device='/dev/s', dest_device='/dev/d'
        )
        whole = copy._hashes('S', None, 20, (), 'x')
        send, zero = chunks.compare(
            whole, copy._hashes('D', None, 20, (), 'x')
        )
        self.assertEqual(([0, 1, 2], []), (send, zero))
        send_p, zero_p, expected = copy._refined(volume, send, zero, 'x')
        self.assertEqual(([4], [2, 8]), (send_p, zero_p))
        self.assertEqual({4: b'ab'.hex(), 2: 'z', 8: 'z'}, expected)

    def test_a_chunk_become_zeros_is_zeroed_in_pieces(self):
        src, dst = bytes(16), b'c' * 16
        copy = self._copy(src, dst)
        volume = types.SimpleNamespace(size=16)
        send_p, zero_p, expected = copy._refined(volume, [], [0, 1], 'x')
        self.assertEqual(([], list(range(8))), (send_p, zero_p))
        self.assertEqual(dict.fromkeys(range(8), 'z'), expected)


class TestCopier(base.BaseTestCase):
    def test_a_pass_copies_only_the_changed_chunks(self):
        # without it the changed-block copier runs a whole copy, silently
        self.assertIs(delta.DeltaCopy, delta.Copier.copy_class)
        self.assertTrue(issubclass(delta.DeltaCopy, blockcopy.BlockCopy))
