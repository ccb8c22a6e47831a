"""The audit log, read-only and for admins: who changed what, newest first."""

from __future__ import annotations

import math
from dataclasses import dataclass

from flask import render_template, request
from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from admin_ui.auth import ensure_admin
from admin_ui.blueprint import blueprint
from bhc.app import current_exchange
from bhc.audit.models import AuditLog

PER_PAGE = 50


@dataclass(frozen=True)
class AuditPage:
    items: list[AuditLog]
    number: int
    pages: int


def _page(session: Session, number: int) -> AuditPage:
    total = session.scalar(select(func.count()).select_from(AuditLog))
    pages = max(1, math.ceil(total / PER_PAGE))
    number = min(max(1, number), pages)
    items = list(session.scalars(select(AuditLog).options(selectinload(AuditLog.user))
                            .order_by(AuditLog.at.desc(), AuditLog.id.desc())
                            .offset((number - 1) * PER_PAGE).limit(PER_PAGE)))
    return AuditPage(items=items, number=number, pages=pages)


@blueprint.get("/audit")
def audit_log():
    ensure_admin()
    with current_exchange().db.session() as session:
        return render_template("admin/audit.html",
                               page=_page(session, request.args.get("page", 1, type=int)))
