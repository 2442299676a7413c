# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at http://www.apache.org/licenses/LICENSE-2.0
"""The file work of nova's assisted volume snapshots, done with qemu-img.

Cinder's NFS driver snapshots an attached (``in-use``) volume with nova's
help (``POST /os-assisted-volume-snapshots``): cinder creates the qcow2
overlay ``volume-<id>.<snapshot id>`` on top of the volume's active file and
asks nova to switch the guest to it; to delete a snapshot it asks nova to
merge two adjacent files of the chain and then deletes the file that is no
longer used.  It keeps the chain in ``volume-<id>.info`` (JSON, its own
business).  On a real cloud nova's libvirt driver does this inside the
running qemu (an external disk-only snapshot with ``reuse_ext``,
``blockRebase``, ``blockCommit``).  A devcloud guest is a fake: no process
holds the files, so the same changes are made to the files with
``qemu-img``:

========================================= ==================================
libvirt                                   here
========================================= ==================================
snapshot, disk-only, reuse_ext: the guest :func:`create_overlay`: checks the
writes to cinder's new qcow2 file         file cinder made (qcow2, backed by
                                          the current file); creates it with
                                          ``qemu-img create`` if missing
blockRebase(active, base=file_to_merge)   :func:`delete_snapshot`, pull:
(pull ``merge_target_file=None``)          ``qemu-img rebase`` (safe mode:
                                          the data of the dropped files is
                                          copied into the active file); to
                                          no base: ``qemu-img convert`` of
                                          the chain into a raw active file
blockCommit(top=file_to_merge,            :func:`delete_snapshot`, commit:
base=merge_target_file)                   ``qemu-img commit`` of top into
                                          base, then ``qemu-img rebase -u``
                                          of top's overlay onto base
========================================= ==================================

Backing file names stay relative (the file's name in the volume directory),
as cinder writes them and as libvirt keeps them (``relative=True``).

Standard library only, so that it can be tried on temporary files with any
python.
"""

import json
import os
import subprocess

QEMU_IMG = 'qemu-img'
#: seconds one qemu-img command may take (a pull copies up to the volume)
TIMEOUT = 3600


class SnapshotError(Exception):
    """A volume snapshot operation failed; the message says why."""


def _qemu_img(*args):
    argv = [QEMU_IMG] + [str(a) for a in args]
    try:
        proc = subprocess.run(
            argv,
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=TIMEOUT,
        )
    except (OSError, subprocess.TimeoutExpired) as e:
        raise SnapshotError('%s: %s' % (' '.join(argv), e))
    if proc.returncode != 0:
        raise SnapshotError(
            '%s failed (rc %d): %s'
            % (' '.join(argv), proc.returncode, proc.stderr.strip())
        )
    return proc.stdout


def _check_name(name, what):
    """Cinder passes bare file names in the volume's directory."""
    if (
        not name
        or name != os.path.basename(name)
        or name in ('.', '..')
        or '\0' in name
    ):
        raise SnapshotError('%s must be a file name, got %r' % (what, name))


def backing_chain(path, fmt=None):
    """The chain from ``path`` down: [{'path', 'name', 'format'}, ...].

    ``fmt`` is the format of ``path`` when known (cinder's connection_info
    says it), so that a raw file is never probed; the formats of the
    backing files come from the qcow2 headers (cinder always records them).
    """
    args = ['info', '--output=json', '--backing-chain']
    if fmt:
        args += ['-f', fmt]
    try:
        images = json.loads(_qemu_img(*(args + [path])))
    except ValueError as e:
        raise SnapshotError('qemu-img info %s: no JSON (%s)' % (path, e))
    chain = []
    directory = os.path.dirname(os.path.abspath(path))
    for image in images:
        filename = image['filename']
        if not os.path.isabs(filename):
            filename = os.path.join(directory, filename)
        chain.append(
            {
                'path': filename,
                'name': os.path.basename(filename),
                'format': image['format'],
            }
        )
    return chain


def raw_base(active_path, active_format, snapshots):
    """The raw file at the bottom of a volume's chain, with every overlay
    above it committed into it (and emptied, so that the chain reads the
    same): what a reader of raw files only (a loopback host's loop device)
    attaches.  Libvirt would attach the qcow2 chain itself.  Refused while
    the volume has snapshots: their data is the files below the active
    one, which a commit would change.
    """
    if snapshots:
        raise SnapshotError(
            'the volume has snapshots (%s)' % ', '.join(sorted(snapshots))
        )
    chain = backing_chain(active_path, active_format)
    if chain[-1]['format'] != 'raw' or any(
        image['format'] != 'qcow2' for image in chain[:-1]
    ):
        raise SnapshotError(
            'not qcow2 overlays over a raw file: %s'
            % ', '.join('%(name)s (%(format)s)' % i for i in chain)
        )
    # Top first: each commit goes into the next file down, which is
    # committed in turn.
    for image in chain[:-1]:
        _qemu_img('commit', '-f', 'qcow2', image['path'])
    return chain[-1]['path']


def create_overlay(current_path, new_file, current_format=None):
    """Make ``new_file`` (next to ``current_path``) the active file.

    libvirt's external disk-only snapshot with ``reuse_ext``: cinder has
    created ``new_file`` (qcow2, backing file ``current_path`` by its
    relative name); from now on the guest writes into it.  The file is
    checked, not rewritten.  If it is missing it is created the way cinder
    does: ``qemu-img create -f qcow2 -b <current name> -F <format>``.

    Returns ``(path of the new file, True if it was created here)``.
    """
    _check_name(new_file, 'new_file')
    if not os.path.isfile(current_path):
        raise SnapshotError('the volume file %s does not exist' % current_path)
    directory = os.path.dirname(os.path.abspath(current_path))
    current_name = os.path.basename(current_path)
    new_path = os.path.join(directory, new_file)
    if not current_format:
        current_format = backing_chain(current_path)[0]['format']
    if not os.path.exists(new_path):
        _qemu_img(
            'create',
            '-q',
            '-f',
            'qcow2',
            '-b',
            current_name,
            '-F',
            current_format,
            new_path,
        )
        return new_path, True
    chain = backing_chain(new_path, 'qcow2')
    if len(chain) < 2 or chain[1]['name'] != current_name:
        raise SnapshotError(
            '%s is not a qcow2 overlay of %s (its chain: %s)'
            % (
                new_file,
                current_name,
                ' <- '.join(reversed([c['name'] for c in chain])),
            )
        )
    return new_path, False


def delete_snapshot(active_path, delete_info, active_format=None):
    """Merge two adjacent files of the chain of ``active_path``.

    ``delete_info`` is cinder's: ``{'type': 'qcow2', 'file_to_merge': ...,
    'merge_target_file': ...}``.

    * ``merge_target_file`` None -- libvirt's blockRebase (pull): the data
      of the files between the active file and ``file_to_merge`` (or of the
      whole chain when ``file_to_merge`` is None) is copied into the active
      file, whose backing file becomes ``file_to_merge`` (or none).
    * else -- libvirt's blockCommit: ``file_to_merge`` (not the active
      file) is committed into ``merge_target_file`` (its backing file) and
      the file above it is rebased onto ``merge_target_file``.

    Cinder deletes the file no longer needed afterwards.  Returns a short
    description of what was done.
    """
    if delete_info.get('type') != 'qcow2':
        raise SnapshotError(
            'Unknown delete_info type %s' % delete_info.get('type')
        )
    to_merge = delete_info.get('file_to_merge')
    target = delete_info.get('merge_target_file')
    chain = backing_chain(active_path, active_format)
    names = [c['name'] for c in chain]
    shown = ' <- '.join(reversed(names))

    if target is None:
        # blockRebase (pull) into the active file
        active = chain[0]
        if active['format'] != 'qcow2':
            raise SnapshotError(
                'cannot pull into %s: it is %s, not qcow2'
                % (active['name'], active['format'])
            )
        if to_merge is None:
            # The whole chain into one file: a raw one, where libvirt
            # keeps a qcow2 file without a backing file (the same bytes;
            # a loopback host attaches raw files only).
            flat = active['path'] + '.flat'
            _qemu_img(
                'convert',
                '-q',
                '-f',
                'qcow2',
                '-O',
                'raw',
                active['path'],
                flat,
            )
            os.chmod(flat, os.stat(active['path']).st_mode & 0o7777)
            os.replace(flat, active['path'])
            return (
                'pulled into %s, now raw without a backing file (was %s)'
                % (
                    active['name'],
                    shown,
                )
            )
        else:
            _check_name(to_merge, 'file_to_merge')
            if to_merge not in names[1:]:
                raise SnapshotError(
                    'no match found for %s in the chain %s' % (to_merge, shown)
                )
            new_base = to_merge
            extra = ['-F', chain[names.index(to_merge)]['format']]
        # safe mode: copies what the dropped files hold into the active one
        _qemu_img(
            'rebase',
            '-q',
            '-f',
            'qcow2',
            '-b',
            new_base,
            *extra,
            active['path'],
        )
        return 'pulled into %s, backing file now %s (was %s)' % (
            active['name'],
            new_base or 'none',
            shown,
        )

    # blockCommit of file_to_merge into merge_target_file
    _check_name(to_merge, 'file_to_merge')
    _check_name(target, 'merge_target_file')
    if to_merge not in names:
        raise SnapshotError(
            'no match found for %s in the chain %s' % (to_merge, shown)
        )
    i = names.index(to_merge)
    if i == 0:
        # libvirt would need an active commit, which nova never asks for
        raise SnapshotError(
            'cannot commit the active file %s into %s' % (to_merge, target)
        )
    if i + 1 >= len(names) or names[i + 1] != target:
        raise SnapshotError(
            '%s is not the backing file of %s in the chain %s'
            % (target, to_merge, shown)
        )
    top, base, above = chain[i], chain[i + 1], chain[i - 1]
    # -d: leave top as it is (cinder deletes it), like blockCommit does
    _qemu_img('commit', '-q', '-d', '-f', top['format'], top['path'])
    _qemu_img(
        'rebase',
        '-q',
        '-u',
        '-f',
        above['format'],
        '-b',
        base['name'],
        '-F',
        base['format'],
        above['path'],
    )
    return 'committed %s into %s, %s now backed by %s (was %s)' % (
        top['name'],
        base['name'],
        above['name'],
        base['name'],
        shown,
    )
