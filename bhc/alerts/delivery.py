"""Telling the office: notice incidents, and mail each one exactly once.

Runs every few seconds in every process that has a scheduler (each engine, each web worker):
whichever claims an incident first mails it; the others skip it.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import select, update

from bhc.alerts import incidents, mail
from bhc.alerts.models import Alert, AlertKind
from bhc.calls.caller import category_label
from bhc.calls.models import HelpRequest
from bhc.config import Config
from bhc.db import Database, utcnow
from bhc.i18n import catalogue
from bhc.localtime import to_local

log = logging.getLogger(__name__)
# Incidents older than this are not mailed any more (mail was off, or its server down).
MAIL_WITHIN = timedelta(hours=24)


def deliver(db: Database, config: Config, now: datetime | None = None) -> int:
    """Notice a silent engine, then mail every incident nobody mailed yet; returns how many
    mails went out."""
    now = now or utcnow()
    with db.session() as session:
        if incidents.engine_silent(session, now,
                                   timedelta(seconds=config.alerts.engine_after_s)):
            log.warning("no engine step for %s s: the office is told",
                        config.alerts.engine_after_s)
    if not config.mail.host:
        return 0
    sent = 0
    for alert_id in _claim(db, config, now):
        with db.session() as session:
            alert = session.get(Alert, alert_id)
            subject, body = _compose(session, alert, config)
        error = None
        try:
            mail.send(config.mail, config.office.email, subject, body)
            sent += 1
            log.info("mailed the office about %s %s", alert.kind, alert.key)
        except mail.MailError as exc:
            error = str(exc)[:200]
            log.warning("could not mail the office about %s %s: %s", alert.kind, alert.key, exc)
        # A failed mail is tried again at the next round: the claim is let go.
        values = {"sent_at": utcnow(), "error": None} if error is None else {
            "claimed_at": None, "error": error}
        with db.session() as session:
            session.execute(update(Alert).where(Alert.id == alert_id).values(**values))
    return sent


def _claim(db: Database, config: Config, now: datetime) -> list[int]:
    """Unmailed incidents this process takes (compare-and-set: one process each)."""
    kinds = [AlertKind.ENGINE_STALE] + ([AlertKind.UNMATCHED] if config.alerts.unmatched else [])
    claimed = []
    with db.session() as session:
        ids = session.scalars(select(Alert.id).where(
            Alert.sent_at.is_(None), Alert.claimed_at.is_(None), Alert.kind.in_(kinds),
            Alert.opened_at >= now - MAIL_WITHIN).order_by(Alert.id)).all()
        for alert_id in ids:
            won = session.execute(update(Alert).where(
                Alert.id == alert_id, Alert.claimed_at.is_(None)).values(claimed_at=now)).rowcount
            if won:
                claimed.append(alert_id)
    return claimed


def _compose(session, alert: Alert, config: Config) -> tuple[str, str]:
    """Subject and text in the exchange's language; never a phone number."""
    texts = catalogue(config.ivr.default_language)
    base = config.server.public_url.rstrip("/")
    if alert.kind == AlertKind.ENGINE_STALE:
        since = datetime.fromisoformat(alert.key)
        return (texts.text("Neighbour help: nobody is being rung"),
                texts.text("Since %(time)s no engine of the exchange has taken a step. Callers "
                           "wait on hold while no volunteer is rung. Check bhc serve or bhc "
                           "worker; the health check: %(link)s",
                           time=_local(since), link=f"{base}/healthz"))
    request = session.get(HelpRequest, alert.request_id) if alert.request_id else None
    if request is None:
        return (texts.text("Neighbour help: a request ended without a match"),
                texts.text("A request ended without a match; it has since been removed."))
    values = dict(neighbourhood=request.neighbourhood.name,
                  category=category_label(session, request, config.ivr.default_language)
                  or "-",
                  time=_local(request.searching_since or request.created_at),
                  link=f"{base}/admin/requests/{request.id}")
    return (texts.text("Neighbour help: no neighbour found in %(neighbourhood)s", **values),
            texts.text("A resident of %(neighbourhood)s asked for help with %(category)s at "
                       "%(time)s, and no volunteer could be found. The request: %(link)s",
                       **values))


def _local(moment: datetime) -> str:
    return to_local(moment).strftime("%d-%m-%Y %H:%M")
