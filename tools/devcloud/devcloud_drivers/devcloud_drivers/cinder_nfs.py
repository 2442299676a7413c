# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""Cinder's NFS driver, extending a volume in the format its file has.

Cinder remembers a volume as qcow2 once it had a snapshot (the volume's
``format`` admin metadata) and resizes its active file as qcow2.  Where
libvirt keeps a qcow2 file once the last online snapshot is deleted, the
development cloud's loopback compute leaves a raw file (a loopback host
attaches raw files only: :mod:`devcloud_drivers.volume_snapshot`), which
``qemu-img resize -f qcow2`` refuses.  This driver resizes such a file as
raw; anything else as Cinder does.
"""

import os

from cinder.image import image_utils
from cinder.volume.drivers import nfs


class NfsDriver(nfs.NfsDriver):
    def extend_volume(self, volume, new_size):
        if not self._is_volume_attached(volume):
            path = os.path.join(
                self._local_volume_dir(volume),
                self.get_active_image_from_info(volume),
            )
            info = image_utils.qemu_img_info(
                path,
                run_as_root=self._execute_as_root,
                allow_qcow2_backing_file=True,
            )
            if info.file_format == 'raw':
                image_utils.resize_image(
                    path,
                    new_size,
                    run_as_root=self._execute_as_root,
                    file_format='raw',
                )
                return
        super().extend_volume(volume, new_size)
