"""The monthly report as a PDF: an HTML rendering of the shared figures (``bhc.reports.sharing``,
made by the caller in the reader's language) printed to PDF by WeasyPrint."""

from __future__ import annotations

import logging


def html_to_pdf(html: str) -> bytes:
    """Print a self-contained HTML page (inline SVG and CSS) to PDF."""
    from weasyprint import HTML  # imported here: loading Pango takes a moment

    # WeasyPrint logs its progress, and every SVG style it leaves to the SVG renderer, as
    # hundreds of lines: noise for a coordinator running `bhc report --format pdf`.
    for name in ("weasyprint", "weasyprint.progress"):
        logging.getLogger(name).setLevel(logging.ERROR)
    return HTML(string=html).write_pdf()
