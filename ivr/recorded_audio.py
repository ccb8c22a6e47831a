"""The audio of recorded prompts, which the carrier fetches for <Play>."""

from __future__ import annotations

from flask import Response, abort

from bhc.app import current_exchange
from bhc.calls import urls
from bhc.prompts import recordings
from ivr.blueprint import blueprint

MAX_AGE_S = 365 * 24 * 3600  # a recording's URL changes with every upload


@blueprint.get(f"{urls.AUDIO}/<int:prompt_id>-<token>.<ext>")
def recorded_prompt(prompt_id: int, token: str, ext: str):
    """A recording for <Play>. No signature: the carrier fetches media without one, so the
    URL carries a random token instead; it changes with each upload, so it can be cached."""
    with current_exchange().db.session() as session:
        prompt = recordings.audio(session, prompt_id, token)
        if prompt is None or recordings.EXTENSIONS.get(prompt.content_type) != ext:
            abort(404)
        response = Response(prompt.audio, mimetype=prompt.content_type)
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE_S}, immutable"
    return response
