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


"""Swift objects between two clouds: listings, records and byte copies.

A container's objects are known from one (paged) listing per side: name,
ETag (MD5), bytes, content type and the time of the last write.  What a
listing lacks (user metadata, ``X-Delete-At``, large-object manifests) is
read with a HEAD, only for the objects whose record is not already known
(or, for plain objects exported with ``--metadata-at-copy``, by the GET of
the import that copies them);
an import leaves an object alone when the destination listing shows the
same bytes and its state file vouches that its metadata was verified since
the destination's last write.

Bytes are streamed: a GET of the source (or a blob file of the data
directory) feeds a PUT to the destination, in chunks, hashed on the way.
The PUT carries the expected ``ETag``, so that Swift itself refuses bytes
that do not hash to it; the MD5 of what was read is checked too.

Every request goes through openstacksdk's object-store proxy (its adapter:
the SDK's resource classes lose headers these modules need).  Names from
a data file are checked (:mod:`osmigrateclient.swift_names`) before they
reach a URL, and they never become a path: a blob's file name is a hash
of the names.

One module per job:

- :mod:`.wire`: URL paths, header text, response errors, streamed bytes
- :mod:`.containers`: a container's HEAD, PUT and POST, and its params
- :mod:`.records`: listings and the data file's object records
- :mod:`.large`: static and dynamic large objects and symbolic links
- :mod:`.versions`: the older versions of objects (object versioning)
- :mod:`.work`: what an import has to do, by object
- :mod:`.state`: what earlier imports verified
- :mod:`.stream`: the copy of objects into the destination
- :mod:`.blobs`: objects' bytes kept as files of the data directory
- :mod:`.pool`: many requests at once
"""
