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

"""The steps of a server's import, one module per family.

Each step is a :class:`base.Step`: its ``do`` makes something in the
destination (or changes the source) and notes it in the server's journal;
its ``undo`` reads that note back and says how to remove it.  The order
they run in, and the reverse order a revert undoes them in, are
:mod:`osmigrateclient.workload.migration`'s.
"""
