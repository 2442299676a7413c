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

"""Which resource type moves its bytes with what.

A resource module declares its type and must import neither ``transfer/``
nor ``workload/``; the types whose import or export moves bytes call the
mover that the command gave their :class:`~osmigrateclient.resources.refs.
Lookup` (``lookup.mover('volume')``).  The movers are made per run, not
kept on the type objects, which are one per process.
"""

import typing as ty

from osmigrateclient import resources
from osmigrateclient.resources import container
from osmigrateclient.transfer import container_mover
from osmigrateclient.transfer import image_mover
from osmigrateclient.transfer import share_mover
from osmigrateclient.workload import volumes


class Movers(ty.NamedTuple):
    """The movers of one run, one attribute per type (its ``cli_name``)."""

    #: detached volumes: the journalled copy
    volume: ty.Any = None
    #: images: blobs in the data dir, or Glance to Glance
    image: ty.Any = None
    #: containers: Swift to Swift, or blobs in the data dir
    container: ty.Any = None
    #: shares: their files, NFS to NFS
    share: ty.Any = None


def for_run() -> Movers:
    """The movers of a command's run."""
    return Movers(
        volume=volumes.VolumeMover(resources.get('volume')),
        image=image_mover.ImageMover(resources.get('image')),
        container=container_mover.ContainerMover(
            resources.get('container'), container.DEFAULT_PARALLEL
        ),
        share=share_mover.ShareMover(),
    )
