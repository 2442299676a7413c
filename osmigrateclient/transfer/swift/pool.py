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


"""Many Swift requests at once: a thread pool that stops at the first
error."""

from concurrent import futures
import typing as ty


def run(
    work: ty.Callable[[ty.Any], ty.Any],
    items: list,
    workers: int,
    name: str,
) -> None:
    """Run ``work`` on every item, ``workers`` at a time; the first error
    is raised once every started item is done."""
    if workers <= 1 or len(items) <= 1:
        for item in items:
            work(item)
        return
    pool = futures.ThreadPoolExecutor(
        max_workers=min(workers, len(items)), thread_name_prefix=name
    )
    try:
        for done in [pool.submit(work, item) for item in items]:
            done.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
