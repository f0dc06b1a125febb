"""The report's page: a header, a table of contents, the sections of
:mod:`rackplan.reporting.sections` in order, inline CSS. No script, no external file: the page
opens without a network, and prints.
"""

from __future__ import annotations

from rackplan._html import text

__all__ = ["render", "CSS"]

#: The page's only style sheet, inline. Print-friendly: sections start on a new page.
CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif;
       margin: 2em auto; max-width: 1100px; padding: 0 1em; color: #222; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { border-bottom: 2px solid #0072B2; padding-bottom: 0.2em; margin-top: 2em; }
table.rackplan { border-collapse: collapse; margin: 1em 0; font-size: 0.9em; }
table.rackplan caption { text-align: left; font-weight: 600; padding: 0.3em 0; }
table.rackplan th, table.rackplan td { border: 1px solid #ccc; padding: 0.25em 0.6em;
                                       vertical-align: top; }
table.rackplan th { background: #f0f4f8; text-align: left; }
table.rackplan td { overflow-wrap: anywhere; }
table.rackplan td.num { text-align: right; font-variant-numeric: tabular-nums;
                        white-space: nowrap; }
figure.plot { margin: 1em 0; }
figure.plot svg { width: 100%; max-width: 900px; height: auto; }
figcaption { font-size: 0.85em; color: #555; }
p.verdict { font-size: 1.15em; }
ul.warnings li { margin-bottom: 0.4em; }
nav ol { columns: 2; }
pre { background: #f6f6f6; padding: 0.6em; white-space: pre-wrap; word-break: break-all; }
.note { font-size: 0.9em; color: #444; }
@media print { h2 { break-before: page; } nav { display: none; } }
"""


def render(data) -> str:
    """The whole page of ``data`` (a :class:`~rackplan.reporting.build.ReportData`)."""
    from rackplan.reporting.sections import SECTIONS

    inp = data.comparison.inputs
    title = (f"rackplan report: {inp['site_name']}, {inp['mining_profile']} vs "
             f"{inp['gpu_profile']}, {inp['years']} years from {inp['market_date']}")
    body = [f'<section id="{text(anchor)}"><h2>{text(heading)}</h2>{build(data)}</section>'
            for anchor, heading, build in SECTIONS]
    toc = "".join(f'<li><a href="#{text(anchor)}">{text(heading)}</a></li>'
                  for anchor, heading, _ in SECTIONS)
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<meta name=\"generator\" content=\"rackplan {text(data.version)}\">"
            f"<title>{text(title)}</title><style>{CSS}</style></head><body>"
            f"<header><h1>{text(title)}</h1><p class=\"note\">Generated {text(data.generated)}"
            f" by rackplan {text(data.version)}.</p></header>"
            f"<nav><ol>{toc}</ol></nav>" + "".join(body) + "</body></html>\n")
