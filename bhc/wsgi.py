"""The web-only WSGI app for multi-worker servers: ``gunicorn bhc.wsgi:app``.

The engine runs in a separate ``bhc worker``; webhooks only record facts in the database and,
on PostgreSQL, wake the worker with a NOTIFY (``bhc.wakeup``); otherwise it sees them at its
next poll.
"""

from bhc import collector, config, logs
from bhc.app import create_app
from bhc.bootstrap import build

_config = config.load()
logs.configure(_config.server.log_format)
_exchange = build(_config, role="web")
_exchange.start_watchdog()  # alerts from the web side too, for when every engine is gone
app = create_app(_exchange)
collector.freeze_startup()
