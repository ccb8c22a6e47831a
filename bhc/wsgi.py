"""The web-only WSGI app for multi-worker servers: ``gunicorn bhc.wsgi:app``.

The engine runs in a separate ``bhc worker``; webhooks only record facts in the database and,
on PostgreSQL, wake the worker with a NOTIFY (``bhc.wakeup``); otherwise it sees them at its
next poll.
"""

from bhc import config
from bhc.app import create_app
from bhc.bootstrap import build

app = create_app(build(config.load()))
