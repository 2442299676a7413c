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

"""``openstack migrate workload export|import|plan|status|sync``."""

import logging
import os
import time

from osc_lib import exceptions

from osmigrateclient import alltypes
from osmigrateclient import clouds
from osmigrateclient import datafile
from osmigrateclient import filters
from osmigrateclient import progress as progress_mod
from osmigrateclient import resources
from osmigrateclient.resources import base as resources_base
from osmigrateclient.transfer import volume_copy
from osmigrateclient.v1 import common
from osmigrateclient.v1 import resource
from osmigrateclient.workload import estimate
from osmigrateclient.workload import journal
from osmigrateclient.workload import migration
from osmigrateclient.workload import runner
from osmigrateclient.workload import status
from osmigrateclient.workload import sync
from osmigrateclient.workload import sync_journal

LOG = logging.getLogger(__name__)

IMPORT_COLUMNS = ('Name', 'Source ID', 'Action', 'Destination ID', 'Detail')
STATUS_COLUMNS = (
    'Name',
    'Source ID',
    'Phase',
    'Step',
    'Copied',
    'Sent',
    'Sync Passes',
    'Last Sync',
    'Downtime',
    'Destination ID',
    'Error',
)
#: servers imported at once unless told
PARALLEL = 2


class ExportWorkload(resource.ExportResource):
    """Export the source project's servers into {file}.

    Each server ({type}) carries its ports, floating IPs and attached
    volumes, and the _migration_params that its import reads.  Conversion
    hosts (servers whose names start with osmigrate-conv-) are left out.
    Re-exporting replaces the servers already in the file (same source id)
    and appends new ones; the rest of the file is kept.
    """

    resource_name = 'workload'


def add_per_host_argument(parser):
    parser.add_argument(
        '--per-host',
        metavar='<count>',
        type=resources_base.positive_int,
        default=volume_copy.DEFAULT_SETTINGS.per_host,
        help='Volume copies at once on each pair of conversion hosts; more '
        'wait for a place (default: %(default)s)',
    )


def _entries(parsed_args, data_dir):
    """The servers of workloads.yml that --name / --name-regex choose."""
    match = filters.NameFilter.from_args(parsed_args)
    return [
        e
        for e in alltypes.entries_of(resources.get('workload'), data_dir)
        if match((e.get('params') or {}).get('name'))
    ]


class ImportWorkload(common.MigrateLister):
    """Import the servers of workloads.yml into the destination project.

    Cold migration: each source server must be SHUTOFF (or give --stop).
    Every server is first checked (flavor, image, networks, subnets,
    security groups, keypair, volume types, its state and attached volumes
    in the source); one with problems is reported as blocked, with all of
    them, and not touched.  Then, per server: its boot disk and data
    volumes are copied through the conversion hosts into new destination
    volumes (a data volume is detached from the source server only while
    it is copied), its ports are made keeping fixed IPs and MACs where
    free, the server is created with its volumes, server group, key,
    metadata, tags and user data, and its floating IPs are attached.

    Each step is journalled in <data-dir>/workload_logs/: a re-run after a
    crash or Ctrl-C goes on from the step that was running, and a server
    already imported is unchanged.  A server that fails is reverted (what
    the run made in the destination is deleted, the source server gets its
    volumes and power state back); the others go on, and the command exits
    non-zero.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        clouds.add_cloud_argument(parser, clouds.SOURCE)
        clouds.add_cloud_argument(parser, clouds.DESTINATION)
        filters.add_arguments(parser, 'servers')
        parser.add_argument(
            '--stop',
            action='store_true',
            help='Stop ACTIVE source servers first (they are started again '
            'if their import fails); by default they must be SHUTOFF',
        )
        parser.add_argument(
            '--parallel',
            metavar='<count>',
            type=int,
            default=PARALLEL,
            help='Servers imported at once, each volume with its own stream '
            '(default: %d)' % PARALLEL,
        )
        parser.add_argument(
            '--no-verify',
            dest='verify',
            action='store_false',
            help='Do not hash each copied volume on both conversion hosts',
        )
        parser.add_argument(
            '--timeout',
            metavar='<seconds>',
            type=int,
            default=int(volume_copy.Settings().timeout),
            help='Seconds each cloud operation (snapshot, volume create, '
            'attach, detach, server boot) may take (default: %(default)s)',
        )
        parser.add_argument(
            '--copy-timeout',
            metavar='<seconds>',
            type=int,
            default=None,
            help='Seconds the byte copy of one volume may take (default: no '
            'limit)',
        )
        add_per_host_argument(parser)
        parser.add_argument(
            '--report',
            metavar='<file>',
            help='Write a JSON summary of the run to this file: per server, '
            'the time of each step, the bytes and hash of each volume, the '
            'source and destination ids',
        )
        parser.add_argument(
            '--dry-run',
            action='store_true',
            help='Only run the checks and show what would be done',
        )
        return parser

    def take_action(self, parsed_args):
        if parsed_args.parallel < 1:
            raise exceptions.CommandError('--parallel must be >= 1')
        data_dir = common.data_dir(parsed_args)
        started_at, started = journal.now(), time.monotonic()
        src = self.lookup(clouds.SOURCE, parsed_args, data_dir=data_dir)
        dst = self.lookup(clouds.DESTINATION, parsed_args, data_dir=data_dir)
        server_type = resources.get('workload')
        entries = _entries(parsed_args, data_dir)
        # It holds user_data and metadata; the journals go beside them.
        datafile.make_private(data_dir)
        ctx = migration.Context(
            data_dir,
            src.conn,
            dst.conn,
            volume_copy.Settings(
                verify=parsed_args.verify,
                timeout=float(parsed_args.timeout),
                copy_timeout=parsed_args.copy_timeout,
                per_host=parsed_args.per_host,
            ),
            stop=parsed_args.stop,
            progress=progress_mod.Progress(),
        )
        todo, outcomes = runner.triage(ctx, entries, src, dst)
        if todo and not parsed_args.dry_run:
            # One progress line for the whole run: bytes, rate and ETA.
            disks = estimate.flavor_disks(src)
            ctx.progress.expect(
                sum(sum(estimate.copied_size(r.entry, disks)) for r in todo)
            )
        if parsed_args.dry_run:
            outcomes += [
                migration.ImportOutcome(
                    r.name, r.source_id, runner.PLANNED, None, ''
                )
                for r in todo
            ]
        else:
            outcomes += runner.run(ctx, todo, parsed_args.parallel)
        path = os.path.join(data_dir, server_type.file_name)
        for o in outcomes:
            if o.action not in runner.SUCCEEDED:
                LOG.error(
                    '%s: %s %r: %s: %s',
                    path,
                    server_type.type,
                    o.name,
                    o.action,
                    o.detail,
                )
                self.exit_code = 1
        if parsed_args.report:
            runner.write_report(
                parsed_args.report,
                runner.report(
                    data_dir,
                    outcomes,
                    started_at,
                    time.monotonic() - started,
                    parsed_args.parallel,
                ),
            )
        order = {
            (e.get('_info') or {}).get('id'): i for i, e in enumerate(entries)
        }
        outcomes.sort(key=lambda o: order.get(o.source_id, 0))
        return IMPORT_COLUMNS, [
            (o.name, o.source_id, o.action, o.dest_id, o.detail)
            for o in outcomes
        ]


class WorkloadStatus(common.MigrateLister):
    """Show how the migration of each server stands.

    From the data dir's journals (workload_logs/ and workload_sync/): its
    phase (running, done, failed; synced for a server synced and not
    imported yet), the step running or that failed, the bytes of the
    volumes copied and the bytes sent between the conversion hosts for them
    (zeros and unchanged chunks are not sent), the sync passes done and
    when the last one ended, the downtime of the import in seconds (from
    the stop of the source server, or the start of the import for a server
    already SHUTOFF, to the destination server ACTIVE), its destination
    server and the error, if any.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        filters.add_arguments(parser, 'servers')
        return parser

    def take_action(self, parsed_args):
        match = filters.NameFilter.from_args(parsed_args)
        return STATUS_COLUMNS, [
            tuple(s)
            for s in status.standings(common.data_dir(parsed_args), match)
        ]


PLAN_COLUMNS = (
    'Name',
    'Source ID',
    'Action',
    'Volumes',
    'Size GiB',
    'Copy Seconds',
    'Detail',
)


class PlanWorkload(common.MigrateLister):
    """Show what importing the servers of workloads.yml would do and cost.

    Per server: the pre-flight's verdict (create, or blocked with every
    problem found; unchanged for a server already imported), the volumes
    its import copies and their size (an upper bound: Cinder does not say
    how much of a volume holds data, and zeros cost little to copy), and the
    estimated seconds of copy.  The throughput comes from the copies that
    earlier imports of this data directory finished, or from --throughput.
    Then the whole wave: the servers to import, the bytes, and the
    estimated copy time at --parallel servers at once (each copies one
    volume at a time; at most --per-host copies run on each pair of the
    data dir's conversion hosts).  Nothing is changed in either cloud.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        clouds.add_cloud_argument(parser, clouds.SOURCE)
        clouds.add_cloud_argument(parser, clouds.DESTINATION)
        filters.add_arguments(parser, 'servers')
        parser.add_argument(
            '--stop',
            action='store_true',
            help='Check as "workload import --stop" would: ACTIVE source '
            'servers are not a problem',
        )
        parser.add_argument(
            '--parallel',
            metavar='<count>',
            type=resources_base.positive_int,
            default=PARALLEL,
            help='Servers the import would run at once (default: %d)'
            % PARALLEL,
        )
        parser.add_argument(
            '--throughput',
            metavar='<MiB/s>',
            type=resources_base.positive_int,
            help='Bytes of volume copied per second and copy, in MiB/s '
            '(default: as measured by earlier imports of the data dir)',
        )
        add_per_host_argument(parser)
        return parser

    def take_action(self, parsed_args):
        data_dir = common.data_dir(parsed_args)
        src = self.lookup(clouds.SOURCE, parsed_args, data_dir=data_dir)
        dst = self.lookup(clouds.DESTINATION, parsed_args, data_dir=data_dir)
        entries = _entries(parsed_args, data_dir)
        ctx = migration.Context(
            data_dir,
            src.conn,
            dst.conn,
            volume_copy.Settings(),
            stop=parsed_args.stop,
        )
        todo, outcomes = runner.triage(ctx, entries, src, dst)
        if parsed_args.throughput:
            rate = parsed_args.throughput * estimate.MiB
            source = '--throughput'
        else:
            found = estimate.measured(data_dir)
            rate = found.bytes_per_second if found else None
            source = found and '%d earlier copies' % found.copies
        disks = estimate.flavor_disks(src)
        by_id = {(e.get('_info') or {}).get('id'): e for e in entries}
        verdicts = {o.source_id: o for o in outcomes}
        rows, wave = [], []
        for source_id, entry in by_id.items():
            est = estimate.server(entry, disks, rate)
            o = verdicts.get(source_id)
            if o is None:
                wave.append(est)
            rows.append(
                (
                    est.name,
                    source_id,
                    o.action if o else runner.PLANNED,
                    est.volumes,
                    round(est.size / estimate.GiB, 1),
                    round(est.seconds) if est.seconds is not None else None,
                    o.detail if o else '',
                )
            )
            if o is not None and o.action not in runner.SUCCEEDED:
                self.exit_code = 1
        at_once, pairs = estimate.copies_at_once(
            data_dir, parsed_args.parallel, parsed_args.per_host
        )
        self.app.stdout.flush()
        self.app.stderr.write(
            _wave_line(
                wave, rate, source, parsed_args.parallel, at_once, pairs
            )
            + '\n'
        )
        return PLAN_COLUMNS, rows


def _wave_line(wave, rate, source, parallel, at_once, pairs):
    size = sum(s.size for s in wave)
    line = '%d server(s) to import, %d volume(s), %.1f GiB' % (
        len(wave),
        sum(s.volumes for s in wave),
        size / estimate.GiB,
    )
    seconds = estimate.wave_seconds(wave, rate, at_once)
    if seconds is None:
        return line + (
            '; no copy time known: give --throughput, or import a few '
            'servers first'
        )
    pool = ''
    if at_once < parallel:
        pool = ', %d copies at once on %d pair(s) of conversion hosts' % (
            at_once,
            pairs,
        )
    return line + (
        '; about %s of copy at --parallel %d%s (%.0f MiB/s per copy, %s)'
        % (_duration(seconds), parallel, pool, rate / estimate.MiB, source)
    )


def _duration(seconds):
    minutes, s = divmod(int(round(seconds)), 60)
    h, m = divmod(minutes, 60)
    return '%d:%02d:%02d' % (h, m, s)


SYNC_COLUMNS = ('Name', 'Source ID', 'Action', 'Detail')


class SyncWorkload(common.MigrateLister):
    """Copy running servers' volumes ahead of the cutover (warm migration).

    Per server of workloads.yml, each attached Cinder volume is
    snapshotted (the server keeps running), a temporary volume made from
    the snapshot is copied through the conversion hosts into a destination
    volume: a full copy the first time, then only the 1 MiB chunks that
    changed.  The temporary snapshot and volume are deleted (a re-run
    after a crash deletes what a killed run left).  Run it as often as
    wanted; the passes are journalled in <data-dir>/workload_sync/.  An
    image-booted server's root disk is synced the same way through a
    server snapshot image when its _migration_params.boot_disk_copy is
    true, and not synced otherwise.  After a pass, what
    the cutover need not wait for is made in the destination: the server
    group and (port creation mode neutron) the ports and trunks, which
    "workload import" then takes.
    """

    def get_parser(self, prog_name):
        parser = super().get_parser(prog_name)
        common.add_data_dir_argument(parser)
        clouds.add_cloud_argument(parser, clouds.SOURCE)
        clouds.add_cloud_argument(parser, clouds.DESTINATION)
        filters.add_arguments(parser, 'servers')
        parser.add_argument(
            '--parallel',
            metavar='<count>',
            type=int,
            default=PARALLEL,
            help='Servers synced at once (default: %d)' % PARALLEL,
        )
        add_per_host_argument(parser)
        parser.add_argument(
            '--report',
            metavar='<file>',
            help='Write a JSON summary of the pass to this file',
        )
        return parser

    def take_action(self, parsed_args):
        if parsed_args.parallel < 1:
            raise exceptions.CommandError('--parallel must be >= 1')
        data_dir = common.data_dir(parsed_args)
        src = self.lookup(clouds.SOURCE, parsed_args, data_dir=data_dir)
        dst = self.lookup(clouds.DESTINATION, parsed_args, data_dir=data_dir)
        entries = _entries(parsed_args, data_dir)
        datafile.make_private(data_dir)
        outcomes = runner.sync(
            data_dir,
            src,
            dst,
            entries,
            parsed_args.parallel,
            volume_copy.Settings(per_host=parsed_args.per_host),
        )
        for o in outcomes:
            if o.action != sync.SYNCED:
                LOG.error('%s %r: %s', o.action, o.name, o.detail)
                self.exit_code = 1
        if parsed_args.report:
            runner.write_report(
                parsed_args.report,
                {
                    'servers': [
                        dict(
                            o._asdict(),
                            volumes=sync_journal.read(
                                data_dir, o.source_id
                            ).get('volumes', {})
                            if o.source_id
                            else {},
                        )
                        for o in outcomes
                    ]
                },
            )
        return SYNC_COLUMNS, [tuple(o) for o in outcomes]
