# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The changed-block copy (:mod:`osmigrateclient.transfer.delta`) on the
real conversion hosts: a full copy, scattered changes on the source, a
pass that sends about the changed chunks only, equal bytes afterwards, and
a pass with nothing to send."""

import os

import fixtures

from osmigrateclient.transfer import chunks
from osmigrateclient.transfer import delta
from osmigrateclient.transfer import volume_copy
from tests.functional import base
from tests.functional.migrate import test_volume_copy
from tests.functional.migrate import test_volumes

MiB = test_volumes.MiB
#: (offset, bytes) of the random writes after the first copy: three chunks
#: (two writes share the one at 700 MiB), each a few KiB
WRITES = ((5 * MiB + 4096, 4096), (700 * MiB, 512), (700 * MiB + 8192, 100))
WRITES += ((1023 * MiB + MiB - 4096, 4096),)
#: a MiB that was random and becomes zeros on the source
ZEROED = 333
#: chunks a MiB (of a 1 GiB device: chunks.chunk_size)
PER_MIB = MiB // chunks.CHUNK


class TestDeltaCopy(test_volume_copy.ConversionHostTestCase):
    PREFIX = 'osm-delta'

    def _volume(self, conn, suffix):
        made = conn.block_storage.create_volume(
            name=self.prefix + suffix, size=1, volume_type=base.VOLUME_TYPE
        )
        return test_volumes._wait_status(
            conn.block_storage, made.id, 'available'
        )

    def assertSameBytes(self, src_id, dst_id):
        self.assertEqual(
            test_volumes._sha256(test_volumes.backing_file('r1', src_id)),
            test_volumes._sha256(test_volumes.backing_file('r2', dst_id)),
        )

    def test_changed_chunks_only(self):
        src = self._volume(self.src, '-src')
        dst = self._volume(self.dst, '-dst')
        test_volume_copy._fill_random(test_volumes.backing_file('r1', src.id))
        conns = (self.src, self.dst)
        full = volume_copy.Copier(self.data_dir, *conns)
        full.copy(src.id, dst.id, test_volumes.GiB, 'full')
        self.assertSameBytes(src.id, dst.id)

        with open(test_volumes.backing_file('r1', src.id), 'r+b') as f:
            for offset, length in WRITES:
                f.seek(offset)
                f.write(os.urandom(length))
            f.seek(ZEROED * MiB)
            f.write(bytes(MiB))
        copier = delta.Copier(self.data_dir, *conns)
        result = copier.copy(
            src.id, dst.id, test_volumes.GiB, 'delta', dest_is_zero=False
        )
        self.assertSameBytes(src.id, dst.id)
        self.assertEqual(1024 * PER_MIB, result.chunks)
        self.assertEqual(3, result.chunks_changed)
        self.assertEqual(PER_MIB, result.chunks_zeroed)
        # three 64 KiB pieces of data (the chunks compared again in
        # pieces), plus SSH's session and NBD's framing (about 0.6 MB
        # measured); not the zeroed MiB
        self.assertGreaterEqual(result.bytes_sent, 3 * chunks.PIECE)
        self.assertLess(result.bytes_sent, 3 * chunks.PIECE + MiB)

        again = copier.copy(
            src.id, dst.id, test_volumes.GiB, 'delta', dest_is_zero=False
        )
        self.assertEqual(
            (0, 0, None),
            (again.chunks_changed, again.chunks_zeroed, again.bytes_sent),
        )
        self.assertEqual(result.digest, again.digest)
        self.assertSameBytes(src.id, dst.id)

        # The destination's list known (a sync pass's): only the source
        # hashes whole, the destination hashes the changed chunks' pieces
        # as the source finds them; a MiB of data become zeros is zeroed
        # (the write at 5 MiB with it).  A batch is one piece here: the
        # piece at 100 MiB goes while the source still reads the rest.
        with open(test_volumes.backing_file('r1', src.id), 'r+b') as f:
            for offset, length in WRITES[:2] + ((100 * MiB, 4096),):
                f.seek(offset)
                f.write(os.urandom(length))
            f.seek(5 * MiB)
            f.write(bytes(MiB))
        self.useFixture(
            fixtures.MonkeyPatch(
                'osmigrateclient.transfer.delta_batches.BATCH', chunks.PIECE
            )
        )
        known = copier.copy(
            src.id,
            dst.id,
            test_volumes.GiB,
            'delta',
            dest_is_zero=False,
            dest_chunks=again.hashes,
        )
        self.assertSameBytes(src.id, dst.id)
        self.assertIn('hash (source only)', known.note)
        self.assertIn('batches sent while hashing', known.note)
        self.assertEqual(
            (2, PER_MIB), (known.chunks_changed, known.chunks_zeroed)
        )
        # two pieces, in two pushes or more (each about 0.6 MB of framing)
        self.assertGreaterEqual(known.bytes_sent, 2 * chunks.PIECE)
        self.assertLess(known.bytes_sent, 2 * chunks.PIECE + 3 * MiB)
