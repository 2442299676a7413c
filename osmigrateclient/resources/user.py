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

"""Keystone users (admin), without their passwords.

Passwords cannot be read from Keystone, so they are never exported, and a
user that the import creates has no password unless ``--password-file``
gives one: a YAML (or JSON) mapping of user names to initial passwords::

    alice: correct-horse-battery-staple
    bob: "1234 is not a password"

The password of a user that already exists in the destination is never
changed.  A password is never written into a data file, an outcome or a
log: the request that sends it is masked in ``--debug`` logs.

A user is found in the destination by its name within the domain of
``domain_ref``; its domain cannot change.
"""

import argparse
import contextlib
import json
import logging
import typing as ty

import yaml

from osmigrateclient.resources import _keystone as keystone
from osmigrateclient.resources import base
from osmigrateclient.resources import refs

LOG = logging.getLogger(__name__)

WITHOUT_NOTE = (
    'without a password (passwords are not migrated: see --password-file)'
)
WITH_NOTE = 'initial password from --password-file'


class Passwords(dict):
    """User name -> initial password; its repr shows no password."""

    def __repr__(self) -> str:
        return '<passwords of %d users>' % len(self)


def load_passwords(path: str) -> Passwords:
    """The passwords of a ``--password-file``.

    :raises argparse.ArgumentTypeError: not a mapping of names to strings
    """
    try:
        with open(path, encoding='utf-8') as f:
            doc = yaml.safe_load(f)
    except OSError as e:
        raise argparse.ArgumentTypeError(
            '%s: cannot read: %s' % (path, e.strerror or e)
        )
    except yaml.YAMLError:
        # The YAML error would quote the file, passwords included.
        raise argparse.ArgumentTypeError('%s: not valid YAML or JSON' % path)
    if not isinstance(doc, dict):
        raise argparse.ArgumentTypeError(
            '%s: must be a mapping of user names to passwords' % path
        )
    bad = sorted(
        str(k)
        for k, v in doc.items()
        if not isinstance(k, str) or not isinstance(v, str) or not v
    )
    if bad:
        raise argparse.ArgumentTypeError(
            '%s: the password of %s must be a non-empty string'
            % (path, ', '.join(repr(b) for b in bad))
        )
    return Passwords(doc)


class _Mask(logging.Filter):
    """Replaces a secret in every log record by ``***``."""

    def __init__(self, secret: str) -> None:
        super().__init__()
        self.forms = sorted(
            {secret, json.dumps(secret)[1:-1]}, key=len, reverse=True
        )

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = message
        for form in self.forms:
            masked = masked.replace(form, '***')
        if masked != message:
            record.msg, record.args = masked, ()
        return True


@contextlib.contextmanager
def masked(secret: str) -> ty.Iterator[None]:
    """Within the block, no log handler writes ``secret``."""
    handlers = set(logging.getLogger().handlers)
    for logger in list(logging.Logger.manager.loggerDict.values()):
        handlers.update(getattr(logger, 'handlers', ()))
    mask = _Mask(secret)
    for handler in handlers:
        handler.addFilter(mask)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(mask)


class User(keystone.DomainOwned):
    type = 'openstack.user.User'
    cli_name = 'user'
    kind = 'user'
    file_name = 'users.yml'
    service = 'identity'
    admin_only = True
    export_what = "the source cloud's {plural}"
    import_where = 'the destination cloud'
    rank = 2
    depends_on = ('domain', 'project')
    tag_field = None

    params_fields = ('description', 'email', 'is_enabled', 'name')
    info_fields = (
        'default_project_id',
        'domain_id',
        'id',
        'password_expires_at',
    )
    references = {
        'domain_ref': base.RefField('domain', 'domain_id'),
        'default_project_ref': base.RefField('project', 'default_project_id'),
    }
    sorted_fields = ()
    create_only = ('domain_ref',)

    def add_arguments(self, parser: ty.Any, verb: str) -> None:
        if verb != 'import':
            return
        parser.add_argument(
            '--password-file',
            metavar='<file>',
            type=load_passwords,
            help='YAML or JSON mapping of user names to the initial '
            'passwords of the users that the import creates (passwords '
            'are not migrated; without it new users have none)',
        )

    def _password(self, lookup: refs.Lookup, name: str) -> str | None:
        passwords = getattr(lookup.options, 'password_file', None) or {}
        return passwords.get(name)

    # -- export -------------------------------------------------------------

    def list_source(self, lookup: refs.Lookup) -> list[ty.Any]:
        return list(lookup.all(self.kind))

    # -- import -------------------------------------------------------------

    def decide(self, lookup: refs.Lookup, entry: base.Entry) -> base.Decision:
        decision = super().decide(lookup, entry)
        if decision.action == base.CREATE:
            has = self._password(lookup, self.name_of(entry)) is not None
            decision = decision._replace(
                detail=WITH_NOTE if has else WITHOUT_NOTE
            )
        return decision

    def create_sdk(self, lookup: refs.Lookup, attrs: dict) -> ty.Any:
        password = self._password(lookup, attrs.get('name'))
        if password is None:
            obj = self.proxy(lookup).create_user(**attrs)
        else:
            LOG.debug(
                'Creating user %s with its initial password', attrs['name']
            )
            with masked(password):
                obj = self.proxy(lookup).create_user(
                    password=password, **attrs
                )
        return obj


RESOURCE = User
