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

    def _copy(self, src, dst, chunk=8, piece=2, algos=None):
        """A pass on two hosts S and D whose devices hold ``src`` and
        ``dst``; a host hashes with ``algos[host]`` when left to choose
        (sha256 by default).  ``copy.hashed`` lists (host, runs, algo)."""
        copy = object.__new__(delta.DeltaCopy)
        copy.chunk, copy.piece = chunk, piece
        copy.source, copy.dest = 'S', 'D'
        copy.hashed = []
        devices = {'S': src, 'D': dst}
        algos = algos or {}

        def hashes(
            host, device, size, runs, export, chunk=None, algo=chunks.AUTO
        ):
            if algo == chunks.AUTO:
                algo = algos.get(host, 'sha256')
            copy.hashed.append((host, tuple(runs), algo))
            data, step = devices[host], chunk or copy.chunk
            out = []
            for a, n in runs or [(0, chunks.chunk_count(size, step))]:
                for i in range(a, a + n):
                    part = data[i * step : (i + 1) * step]
                    out.append(
                        'z' if not part.strip(b'\0') else algo + part.hex()
                    )
            return chunks.Hashes(algo, out)

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
        whole = copy._hashes('S', None, 20, (), 'x').hashes
        send, zero = chunks.compare(
            whole, copy._hashes('D', None, 20, (), 'x').hashes
        )
        self.assertEqual(([0, 1, 2], []), (send, zero))
        send_p, zero_p, expected = copy._refined(
            volume, send, zero, 'x', 'blake2b'
        )
        self.assertEqual(([4], [2, 8]), (send_p, zero_p))
        self.assertEqual(
            {4: 'blake2b' + b'ab'.hex(), 2: 'z', 8: 'z'}, expected
        )
        # the pieces with the pass's hash, on both hosts
        self.assertEqual(
            {('S', 'blake2b'), ('D', 'blake2b')},
            {(host, algo) for host, runs, algo in copy.hashed if runs},
        )

    def test_a_chunk_become_zeros_is_zeroed_in_pieces(self):
        src, dst = bytes(16), b'c' * 16
        copy = self._copy(src, dst)
        volume = types.SimpleNamespace(size=16)
        send_p, zero_p, expected = copy._refined(
            volume, [], [0, 1], 'x', 'sha256'
        )
        self.assertEqual(([], list(range(8))), (send_p, zero_p))
        self.assertEqual(dict.fromkeys(range(8), 'z'), expected)

    def test_pieces_hashed_as_the_source_read_give_the_same(self):
        # the pieces of test_pieces, as the hosts print them with a known
        # list (_streamed): the same pieces sent, zeroed and expected
        src = bytearray(b'a' * 20)
        dst = bytearray(src)
        src[9] = ord('b')
        src[16:18] = b'\0\0'
        src[4:6] = b'\0\0'
        copy = self._copy(bytes(src), bytes(dst))
        volume = types.SimpleNamespace(
            size=20, source_device='/dev/s', dest_device='/dev/d'
        )

        def pieces(data, i):
            part = data[i * 8 : (i + 1) * 8]
            return [
                'z' if not p.strip(b'\0') else 'blake2b' + p.hex()
                for p in (part[k : k + 2] for k in range(0, len(part), 2))
            ]

        found = {i: (pieces(src, i), pieces(dst, i)) for i in (0, 1, 2)}
        self.assertEqual(
            copy._refined(volume, [0, 1, 2], [], 'x', 'blake2b'),
            copy._in_pieces(volume, [0, 1, 2], [], found),
        )

    def test_a_chunk_become_zeros_with_a_known_list(self):
        copy = self._copy(bytes(16), b'c' * 16)
        volume = types.SimpleNamespace(size=16)
        self.assertEqual(
            ([], list(range(8)), dict.fromkeys(range(8), 'z')),
            copy._in_pieces(volume, [], [0, 1], {}),
        )


#: the fake hash of a chunk of 8 'a'
A = (b'a' * 8).hex()


class TestWhole(base.BaseTestCase):
    """The two chunk lists a pass compares."""

    _copy = TestRefined._copy

    def volume(self, size, known=None):
        return blockcopy.Volume('/dev/s', '/dev/d', size, dest_chunks=known)

    def test_both_hosts_hash_with_their_choice(self):
        copy = self._copy(b'a' * 16, b'b' * 16)
        algo, src, dst = copy._whole(self.volume(16), 'x')
        self.assertEqual('sha256', algo)
        self.assertEqual(['sha256' + A] * 2, src)
        self.assertEqual(['sha256' + (b'b' * 8).hex()] * 2, dst)
        self.assertEqual(
            [('S', (), 'sha256'), ('D', (), 'sha256')],
            sorted(copy.hashed)[::-1],
        )

    def test_hosts_that_chose_differently_agree_on_blake2b(self):
        copy = self._copy(b'a' * 16, b'a' * 16, algos={'D': 'blake2b'})
        algo, src, dst = copy._whole(self.volume(16), 'x')
        self.assertEqual('blake2b', algo)
        self.assertEqual(['blake2b' + A] * 2, src)
        self.assertEqual(src, dst)
        # the source again, with the destination's hash; not the dest
        self.assertEqual(
            [('D', (), 'blake2b'), ('S', (), 'blake2b'), ('S', (), 'sha256')],
            sorted(copy.hashed),
        )


class TestCopier(base.BaseTestCase):
    def test_a_pass_copies_only_the_changed_chunks(self):
        # without it the changed-block copier runs a whole copy, silently
        self.assertIs(delta.DeltaCopy, delta.Copier.copy_class)
        self.assertTrue(issubclass(delta.DeltaCopy, blockcopy.BlockCopy))
