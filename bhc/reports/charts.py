"""Charts of the monthly report as inline SVG, drawn by matplotlib (Agg, no display needed).

Every text on a chart (title, series, axis labels) comes from the caller, already translated.
The SVG has no fixed size, so it scales with the page; ``role="img"`` with a ``<title>`` names
it for screen readers, and the page puts the same figures in a table next to it.
"""

from __future__ import annotations

import io
import math
import re

import matplotlib

matplotlib.use("Agg")
matplotlib.rcParams.update({
    "svg.fonttype": "none",  # real <text>: smaller, selectable, readable by assistive tech
    "svg.hashsalt": "bhc-report",  # element ids from content, not random: stable output
    "font.family": "DejaVu Sans",
    "font.size": 9,
})

from markupsafe import Markup, escape  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402 (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

# Colour-blind-safe pair (Okabe-Ito blue and orange) for requests and matches.
COLOURS = ("#0072B2", "#B35C00")  # blue and a dark orange: both over 4.5:1 on white
WIDTH_IN = 7.5


def bar_chart(chart_id: str, title: str, names: list[str],
              series: list[tuple[str, list[float | None]]], value_label: str) -> Markup:
    """Horizontal grouped bars: one group per name (e.g. per neighbourhood), one bar per
    series. None draws no bar (a figure withheld or missing)."""
    figure = Figure(figsize=(WIDTH_IN, 0.8 + 0.2 * len(series) * max(len(names), 1)))
    axes = figure.add_subplot()
    height = 0.8 / max(len(series), 1)
    positions = range(len(names))
    for index, (label, values) in enumerate(series):
        axes.barh([p - 0.4 + height * (index + 0.5) for p in positions], _numbers(values),
                  height=height, label=label, color=COLOURS[index % len(COLOURS)])
    axes.set_yticks(list(positions), names)
    axes.invert_yaxis()  # first name on top, as in the tables
    axes.set_xlabel(value_label)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    _finish_axes(axes, len(series), grid="x")
    return _inline(figure, chart_id, title)


def line_chart(chart_id: str, title: str, x_labels: list[str],
               series: list[tuple[str, list[float | None]]], value_label: str) -> Markup:
    """One line with markers per series over the x labels (e.g. the last twelve months)."""
    figure = Figure(figsize=(WIDTH_IN, 3.0))
    axes = figure.add_subplot()
    for index, (label, values) in enumerate(series):
        axes.plot(range(len(x_labels)), _numbers(values), marker="o", label=label,
                  color=COLOURS[index % len(COLOURS)])
    axes.set_xticks(range(len(x_labels)), x_labels, rotation=45, ha="right")
    axes.set_ylabel(value_label)
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    _finish_axes(axes, len(series), grid="y")
    return _inline(figure, chart_id, title)


def _numbers(values: list[float | None]) -> list[float]:
    return [math.nan if value is None else value for value in values]


def _finish_axes(axes, series_count: int, grid: str) -> None:
    axes.spines[["top", "right"]].set_visible(False)
    axes.grid(axis=grid, alpha=0.3)
    if series_count > 1:
        axes.legend(frameon=False, loc="lower center", bbox_to_anchor=(0.5, 1.0),
                    ncols=series_count)
    axes.figure.tight_layout()


_HEADER = re.compile(r"^.*?(?=<svg)", re.S)
_STYLE_ELEMENT = re.compile(r"<style[^>]*>.*?</style>\s*", re.S)
_STYLE_ATTRIBUTE = re.compile(r'\sstyle="([^"]*)"')
_SIZE = re.compile(r'\s(?:width|height)="[^"]*pt"')
_ID = re.compile(r'\bid="([^"]+)"')


def _without_css(svg: str) -> str:
    """matplotlib styles its SVG with a <style> element and style attributes, which a
    Content-Security-Policy without 'unsafe-inline' blocks on a page; SVG presentation
    attributes (fill="...") say the same and are no CSS. The <style> element's defaults
    (round joins, butt caps) go on the <svg> element, whence they are inherited."""

    def attributes(found: re.Match) -> str:
        pairs = (declaration.split(":", 1) for declaration in found.group(1).split(";")
                 if ":" in declaration)
        return "".join(f' {name.strip()}="{value.strip()}"' for name, value in pairs)

    return _STYLE_ATTRIBUTE.sub(attributes, _STYLE_ELEMENT.sub("", svg))


def _inline(figure: Figure, chart_id: str, title: str) -> Markup:
    """The figure as an <svg> element for an HTML page: no XML prolog, no fixed size, ids
    prefixed with the chart's own (several charts share a page), named for assistive tech."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": None})
    svg = _SIZE.sub("", _HEADER.sub("", buffer.getvalue()), count=2)
    for element_id in set(_ID.findall(svg)):
        svg = (svg.replace(f'id="{element_id}"', f'id="{chart_id}-{element_id}"')
               .replace(f"#{element_id})", f"#{chart_id}-{element_id})")
               .replace(f'#{element_id}"', f'#{chart_id}-{element_id}"'))
    svg = re.sub(r"<metadata>.*?</metadata>\s*", "", svg, flags=re.S)
    svg = _without_css(svg)
    svg = svg.replace(
        "<svg ", f'<svg role="img" aria-labelledby="{chart_id}-title" id="{chart_id}" '
        'preserveAspectRatio="xMidYMid meet" stroke-linejoin="round" stroke-linecap="butt" ', 1)
    opening_end = svg.index(">", svg.index("<svg")) + 1
    svg = (svg[:opening_end] + f'<title id="{chart_id}-title">{escape(title)}</title>'
           + svg[opening_end:])
    return Markup(svg)
