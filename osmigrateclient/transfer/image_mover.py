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

"""The image mover: the bytes of the images a run exports or imports.

The type is declared in :mod:`osmigrateclient.resources.image`; its export
and import hand the bytes to :class:`ImageMover`, the image mover of the
run (:mod:`osmigrateclient.movers`), which moves them with
:mod:`osmigrateclient.transfer.image_blobs`: into ``image_blobs/`` on
export; on import from there, or with ``--direct`` from the source Glance.
"""

import logging
import typing as ty

from osmigrateclient import clouds
from osmigrateclient import digest as digest_mod
from osmigrateclient import exceptions
from osmigrateclient import progress as progress_mod
from osmigrateclient.transfer import image_blobs

LOG = logging.getLogger(__name__)


class ImageMover:
    """The image mover of one run.

    :param declaration: the image type (its names)
    """

    def __init__(self, declaration: ty.Any) -> None:
        self.declaration = declaration

    def _progress(self, lookup: ty.Any) -> progress_mod.Progress:
        return progress_mod.Progress(
            bar=True if lookup.option('progress') else None
        )

    # -- export -------------------------------------------------------------

    def download(self, lookup: ty.Any, entries: list[dict]) -> None:
        """Download the bytes of every exported image into image_blobs/.

        :raises osmigrateclient.exceptions.MigrateError: some downloads
            failed (after every image was tried)
        """
        progress = self._progress(lookup)
        failures = []
        for entry in entries:
            info, name = entry['_info'], self.declaration.name_of(entry)
            if info.get('status') != 'active':
                LOG.warning(
                    'Image %r is %s in the source: it has no bytes to export',
                    name,
                    info.get('status'),
                )
                continue
            path = image_blobs.blob_path(lookup.data_dir, info['id'], name)
            try:
                image_blobs.download(
                    lookup.conn,
                    info['id'],
                    path,
                    digest_mod.digest_of_entry(entry),
                    progress,
                    label='image %r' % name,
                )
            except exceptions.MigrateError as e:
                failures.append(
                    '%s %r: %s' % (self.declaration.cli_name, name, e)
                )
        if failures:
            raise exceptions.MigrateError(
                'the bytes of %d image(s) were not exported (their metadata '
                'was): %s' % (len(failures), '; '.join(failures))
            )

    # -- import -------------------------------------------------------------

    def _direct(self, lookup: ty.Any) -> bool:
        return bool(lookup.option('direct'))

    def _blob(self, lookup: ty.Any, entry: dict) -> str | None:
        return image_blobs.find_blob(
            lookup.data_dir or '',
            entry['_info'].get('id') or '',
            self.declaration.name_of(entry),
        )

    def missing(self, lookup: ty.Any, entry: dict) -> str:
        """Why the bytes of ``entry`` cannot be imported, or ''."""
        if self._direct(lookup):
            return ''
        if self._blob(lookup, entry):
            return ''
        expected = image_blobs.blob_path(
            lookup.data_dir or '',
            entry['_info'].get('id') or '',
            self.declaration.name_of(entry),
        )
        return (
            'blob: %s does not exist (export the image without --no-blobs, '
            'or import with --direct --src-cloud <cloud>)' % expected
        )

    def put(self, lookup: ty.Any, obj: ty.Any, entry: dict) -> ty.Any:
        """Upload (or stream) the bytes into an empty destination image and
        check that the destination now holds the source's bytes."""
        proxy = lookup.conn.image
        name = self.declaration.name_of(entry)
        digest = digest_mod.digest_of_entry(entry)
        progress = self._progress(lookup)
        label = 'image %r' % name
        if self._direct(lookup):
            image_blobs.copy(
                self._source(lookup),
                entry['_info']['id'],
                digest,
                lookup.conn,
                obj,
                progress,
                label,
            )
        else:
            path = self._blob(lookup, entry)
            if path is None:
                raise exceptions.MigrateError(self.missing(lookup, entry))
            image_blobs.upload(lookup.conn, obj, path, progress, label)
        obj = proxy.get_image(obj.id)
        problem = image_blobs.check_uploaded(obj, digest)
        if problem:
            raise exceptions.MigrateError(
                'the uploaded bytes do not match the source: %s' % problem,
                field='checksum',
            )
        return obj

    def _source(self, lookup: ty.Any) -> ty.Any:
        """The source cloud of ``--direct``."""
        if not lookup.option('src_cloud'):
            raise exceptions.MigrateError(
                '--direct needs the source cloud: give --src-cloud or '
                'set OS_MIGRATE_SRC_CLOUD'
            )
        return lookup.other_side(clouds.SOURCE)
