"""``rackplan report`` and ``rackplan.report()``: one self-contained HTML page a person reads;
and the ``_repr_html_`` tables of the result objects.

The page is checked for what it must hold (every section, every figure, units on the axes,
escaped user text, nothing loaded from elsewhere) and, where Chromium is installed, rendered
headless: a screenshot that is not blank, no console message, the figures in the DOM.
"""

from __future__ import annotations

import re
import shutil
import struct
import subprocess
import zlib
from html.parser import HTMLParser
from pathlib import Path

import pytest

import rackplan
from conftest import DATA
from rackplan.errors import RackplanError

TOY = dict(site=str(DATA / "sites" / "toy-1mw.toml"),
           mining_profile=str(DATA / "profiles" / "toy-miner.toml"),
           gpu_profile=str(DATA / "profiles" / "toy-gpu.toml"),
           market=str(DATA / "markets" / "handworked.toml"))
TOY_ARGS = ["--site", TOY["site"], "--mining-profile", TOY["mining_profile"],
            "--gpu-profile", TOY["gpu_profile"], "--market", TOY["market"]]

#: The figures of the built-in case and an axis label (with its unit) each must show.
AXIS_LABELS = {
    "plot-monthly-pue": ["PUE [1]", "month"],
    "plot-hourly-weather": ["dry bulb [degC]", "PUE [1]", "day of the year [day]"],
    "plot-power-chain": ["power [MW]"],
    "plot-heat-split": ["heat [MW]"],
    "plot-units-by-constraint": ["units allowed [count]"],
    "plot-yearly-cash-flows": ["cash flow after tax [M USD]", "year of the horizon [year]"],
    "plot-cumulative-cash-flows": ["running cash flow [M USD]",
                                   "month from the market date [month]"],
    "plot-npv-btc-price": ["NPV [M USD]", "BTC price [USD/BTC]"],
    "plot-npv-gpu-hour-price": ["NPV [M USD]", "GPU-hour price [USD/hour]"],
    "plot-npv-power-price": ["NPV [M USD]", "power price [USD/MWh]"],
    "plot-breakeven-surface": ["BTC price [USD/BTC]", "power price [USD/MWh]",
                               "breakeven GPU-hour price [USD/hour]"],
    "plot-npv-histograms": ["NPV [M USD]", "paths [count]"],
    "plot-win-probability": ["share of the paths [%]"],
}
SECTION_IDS = ("summary", "inputs", "sizing", "weather", "economics", "breakeven",
               "montecarlo", "warnings", "about")


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """The built-in case's report, written once for the module (few paths: fast)."""
    out = tmp_path_factory.mktemp("report") / "report.html"
    result = rackplan.report(paths=400, seed=3, out=out)
    return result, out


def _svgs(page: str) -> dict[str, str]:
    """Each inline SVG of the page by the prefix its ids carry (``plot-monthly-pue``)."""
    out = {}
    for svg in re.findall(r"<svg\b.*?</svg>", page, flags=re.S):
        name = re.search(r'id="(plot-[a-z-]+?)-[a-z]+_?\d*"', svg)
        assert name, svg[:300]
        out[name.group(1)] = svg
    return out


def _texts(svg: str) -> list[str]:
    import html

    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)]


# --- the page -----------------------------------------------------------------------------------

def test_report_writes_the_page_it_returns(built):
    result, out = built
    assert result.path == out
    assert out.read_text(encoding="utf-8") == result.html
    assert result.html.startswith("<!DOCTYPE html>")


def test_every_section_is_on_the_page_in_order(built):
    page = built[0].html
    positions = [page.index(f'<section id="{name}">') for name in SECTION_IDS]
    assert positions == sorted(positions)
    for needle in ("Highest NPV under these assumptions: <strong>Colocation</strong>",
                   "NPV, IRR and payback side by side", "Bitcoin mining: yearly cash flows",
                   "GPU-as-a-service: yearly cash flows", "Breakeven prices",
                   "Distributions over the paths", "hours on free cooling (no chiller)",
                   "site water over the year", "CDUs including redundancy",
                   "binding constraint", "Monthly PUE"):
        assert needle in page, needle


def test_every_figure_is_on_the_page_with_its_axes_labelled_in_units(built):
    svgs = _svgs(built[0].html)
    assert set(svgs) == set(AXIS_LABELS)
    for name, labels in AXIS_LABELS.items():
        texts = _texts(svgs[name])
        for label in labels:
            assert label in texts, (name, label)


def test_figure_functions_each_appear(built):
    from rackplan.reporting.plots import FIGURES

    page = built[0].html
    for name in FIGURES:
        assert f'id="{name}-' in page, name


def test_ids_are_unique_across_the_figures(built):
    ids = re.findall(r'\bid="([^"]+)"', built[0].html)
    assert len(ids) == len(set(ids)) > 100
    for ref in set(re.findall(r'(?:href="#|url\(#)([^")]+)', built[0].html)):
        assert ref in ids, ref  # every reference inside an SVG finds its target


def test_the_page_loads_nothing_from_elsewhere(built):
    page = built[0].html
    assert not re.search(r"<(script|link|img|iframe|object|embed)\b", page, flags=re.I)
    assert "@import" not in page and "url(http" not in page
    assert not re.search(r'\bsrc\s*=', page)
    assert '<a href="https://' in page  # the sources are links a reader can follow


def test_numbers_match_compare(built):
    """The page shows compare's figures (the report computes nothing of its own)."""
    from rackplan._html import number_text

    page = built[0].html
    c = rackplan.compare()
    for option in c.options.values():
        assert number_text(float(option.npv.m_as("USD")) / 1e6) in page
        assert number_text(float(option.capex.m_as("USD")) / 1e6) in page
    assert number_text(float(c.breakeven["gpu_hour_price"]["value"].m_as("USD/hour"))) in page


def test_inputs_show_their_sources(built):
    page = built[0].html
    row = re.search(r"<tr><td>btc_price</td>.*?</tr>", page).group()
    assert "98,076" in row and "USD/BTC" in row
    assert "market 2025-11-13" in row and "https://www.itiger.com/" in row  # its [[sources]]
    assert "derived by rackplan" in re.search(r"<tr><td>pue_gpu</td>.*?</tr>", page).group()
    assert "Sources of gb300-nvl72" in page
    flow = re.search(r"<tr><td>cooling.flow_table</td>.*?</tr>", page).group()
    assert "40 degC: 119 L/min" in flow and "Lenovo Press LP2357" in flow


def test_monte_carlo_settings_are_recorded(built):
    page = built[0].html
    assert "rackplan report --years 5 --paths 400 --seed 3" in page
    assert re.search(r"<td>paths</td><td class=\"num\">400</td><td>count</td>", page)


def test_the_same_inputs_give_the_same_page_but_its_date(tmp_path):
    first = rackplan.report(**TOY, years=1, paths=200, seed=5).html
    second = rackplan.report(**TOY, years=1, paths=200, seed=5).html
    strip = re.compile(r"generated \d{4}-\d\d-\d\d \d\d:\d\d UTC", flags=re.I)
    assert strip.sub("", first) == strip.sub("", second)
    assert strip.sub("", first) != strip.sub(
        "", rackplan.report(**TOY, years=1, paths=200, seed=6).html)


def test_a_site_without_weather_says_so(tmp_path):
    page = rackplan.report(**TOY, years=1, paths=100).html
    weather = re.search(r'<section id="weather">.*?</section>', page, flags=re.S).group()
    assert "not modelled hour by hour: no weather year" in weather
    assert "plot-monthly-pue" not in page


def test_user_text_is_escaped(tmp_path):
    evil = '<script>alert("x")</script> & <b>bold</b> $x$'
    text = (DATA / "profiles" / "toy-gpu.toml").read_text(encoding="utf-8")
    profile = tmp_path / "evil-gpu.toml"
    profile.write_text(text.replace('name = "Toy GPU system"', f"name = '{evil}'"),
                       encoding="utf-8")
    market = tmp_path / "market.toml"
    market.write_text((DATA / "markets" / "handworked.toml").read_text(encoding="utf-8")
                      .replace("toy-gpu", "evil-gpu"), encoding="utf-8")
    page = rackplan.report(**{**TOY, "gpu_profile": str(profile), "market": str(market)},
                           years=1, paths=100).html
    assert "<script" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold" in page


# --- errors -------------------------------------------------------------------------------------

@pytest.mark.parametrize("kwargs, source", [
    ({"paths": 0}, "paths"), ({"paths": "many"}, "paths"), ({"seed": -1}, "seed"),
    ({"years": 0}, "years"), ({"years": 2.5}, "years"), ({"out": "report.pdf"}, "out"),
    ({"out": "/nonexistent-folder/report.html"}, "out"), ({"out": 7}, "out"),
    ({"overrides": ["pue=1.2"]}, "overrides"), ({"overrides": {"nonsense": 1}}, "--set nonsense"),
    ({"site": 7}, "site"),
])
def test_bad_arguments_are_named(kwargs, source, monkeypatch):
    from rackplan.reporting import build

    def no_work(*args, **kwargs):  # pragma: no cover - reached only if a check is missing
        raise AssertionError("the run started before the arguments were checked")

    monkeypatch.setattr(build, "gather", no_work)
    with pytest.raises(RackplanError) as info:
        rackplan.report(**kwargs)
    assert info.value.source == source


def test_out_that_is_a_folder_is_named(tmp_path):
    with pytest.raises(RackplanError, match="is a folder; give a file name such as .*result.html"):
        rackplan.report(out=tmp_path)


@pytest.mark.parametrize("out, message", [
    ("missing-folder/r.html", "folder .*missing-folder does not exist"),
    ("r.pdf", r"unknown output format '\.pdf'; use \.html or \.htm"),
    (".", "is a folder"),
])
def test_cli_out_errors_are_one_line_naming_out(out, message, run_cli, tmp_path, monkeypatch):
    from rackplan.reporting import build

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(build, "gather", lambda *a, **k: pytest.fail("ran before --out"))
    code, stdout, err = run_cli("report", "--out", out)
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith("rackplan: error: --out: ")
    assert re.search(message, err), err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("args, flag", [
    (["--paths", "0"], "--paths"), (["--seed", "x"], "--seed"), (["--years", "51"], "--years"),
    (["--set", "nonsense=1"], "--set nonsense"), (["--gpu-profile", "antminer-s21"],
                                                   "--gpu-profile"),
])
def test_cli_bad_input_is_one_line_naming_the_flag(args, flag, run_cli, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, stdout, err = run_cli("report", *args)
    assert code == 2 and stdout == ""
    assert err.count("\n") == 1 and err.startswith(f"rackplan: error: {flag}: "), err
    assert list(tmp_path.iterdir()) == []


def test_cli_writes_the_page(run_cli, tmp_path):
    out = tmp_path / "toy.htm"
    code, stdout, err = run_cli("report", *TOY_ARGS, "--years", "1", "--paths", "100",
                                "--set", "power_price=40 USD/MWh", "--out", str(out))
    assert code == 0, err
    assert stdout == ""
    assert err.strip().endswith(f"rackplan: wrote {out}")
    page = out.read_text(encoding="utf-8")
    assert "--set &#x27;power_price=40 USD/MWh&#x27;" in page  # the command, quoted
    assert re.search(r"<td>--set power_price</td><td>40 USD/MWh</td>", page)
    row = re.search(r"<tr><td>power_price</td>.*?</tr>", page).group()
    assert "--set (this run)" in row and ">40<" in row
    assert [p.name for p in tmp_path.iterdir()] == ["toy.htm"]  # no temporary file left


def test_cli_help_has_an_example(run_cli):
    code, out, _ = run_cli("report", "--help")
    assert code == 0
    assert "Example: rackplan report" in out
    for flag in ("--site", "--mining-profile", "--gpu-profile", "--market", "--set",
                 "--years", "--paths", "--seed", "--out"):
        assert flag in out


def test_report_is_the_function_and_matplotlib_waits():
    """``rackplan.report`` is the function (the package is ``reporting``), and neither
    ``import rackplan`` nor ``rackplan --help`` imports matplotlib."""
    import sys

    from rackplan.reporting.build import report

    assert rackplan.report is report
    code = ("import sys, rackplan\nfrom rackplan.cli import main\n"
            "try:\n    main(['--help'])\nexcept SystemExit:\n    pass\n"
            "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\nprint('ok')")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]


# --- notebook tables ----------------------------------------------------------------------------

class _Cells(HTMLParser):
    """The rows of the tables of an HTML fragment, as lists of cell texts."""

    def __init__(self):
        super().__init__()
        self.rows, self._cell = [], None

    def handle_starttag(self, tag, attrs):
        if tag == "tr":
            self.rows.append([])
        elif tag in ("td", "th"):
            self._cell = ""

    def handle_endtag(self, tag):
        if tag in ("td", "th") and self._cell is not None:
            self.rows[-1].append(self._cell)
            self._cell = None

    def handle_data(self, data):
        if self._cell is not None:
            self._cell += data


def _rows(fragment: str) -> dict[str, list[str]]:
    parser = _Cells()
    parser.feed(fragment)
    return {row[0]: row[1:] for row in parser.rows if row}


def test_sizing_result_shows_as_a_table():
    result = rackplan.size("moses-lake", "gb300-nvl72")
    rows = _rows(result._repr_html_())
    assert rows["racks"] == [str(result.rack_count), "count"]
    assert rows["IT power of the units that fit"][1] == "MW"
    assert rows["heat to the liquid loop"][1] == "MW"
    assert rows["CDUs including redundancy"] == [str(result.cdu_count), "count"]
    numeric = [cells for cells in rows.values() if cells[0][:1].isdigit()]
    assert numeric and all(cells[-1] for cells in numeric)  # a unit beside every number


def test_annual_result_shows_as_a_table():
    result = rackplan.annual("moses-lake", "gb300-nvl72")
    rows = _rows(result._repr_html_())
    assert rows["hours with no chiller running"] == [f"{result.free_cooling_hours:,}", "hour"]
    assert rows["PUE, July"][1] == "1"
    assert rows["site water over the year"][1] == "m^3"


def test_comparison_result_shows_options_side_by_side():
    c = rackplan.compare(years=2)
    rows = _rows(c._repr_html_())
    assert rows["quantity"] == [o.label for o in c.options.values()] + ["unit"]
    assert rows["NPV"][-1] == "M USD" and rows["IRR"][-1] == "%/year"
    assert f"Highest NPV: {c.options[c.winner].label}" in c._repr_html_()


def test_repr_html_escapes_names():
    from rackplan.facility.site import load_site

    site = load_site("moses-lake").model_copy(update={"name": "<i>Lake</i> & co"})
    page = rackplan.size(site, "gb300-nvl72")._repr_html_()
    assert "<i>" not in page and "&lt;i&gt;Lake&lt;/i&gt; &amp; co" in page


def test_report_shows_in_a_frame(built):
    frame = built[0]._repr_html_()
    assert frame.startswith("<iframe srcdoc=\"") and "<section" not in frame


def test_number_text_is_the_cli_rule():
    from rackplan._html import number_text
    from rackplan.cli.output import format_number

    expected = {0: "0", 0.0: "0", 7: "7", 1234567: "1,234,567", -0.5: "-0.5",
                3.14159: "3.142", 1234.5: "1,234", 1e-5: "1e-05", 2.5e12: "2.5e+12",
                -98076.0: "-98,076", float("nan"): "n/a", float("inf"): "n/a", None: "n/a"}
    for x, shown in expected.items():
        assert number_text(x) == format_number(x) == shown, x
    assert number_text(True) == "n/a"


# --- in a browser -------------------------------------------------------------------------------

def _browser() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    pytest.skip("no Chromium on PATH: .ci/run installs Debian's chromium; "
                "apt-get install chromium")


def _headless(browser: str, *args: str) -> subprocess.CompletedProcess:
    # No network at all: a page that tried to load anything would log a console error.
    return subprocess.run([browser, "--headless=new", "--no-sandbox", "--disable-gpu",
                           "--host-resolver-rules=MAP * ~NOTFOUND", "--enable-logging=stderr",
                           "--v=0", *args], capture_output=True, text=True, timeout=120)


def _png_colours(path: Path) -> int:
    """How many different pixel values a PNG holds (a blank page has one)."""
    import matplotlib.image

    pixels = matplotlib.image.imread(path)
    flat = pixels.reshape(-1, pixels.shape[-1])
    return len({tuple(p) for p in flat[:: max(1, len(flat) // 200_000)]})


def test_png_check_tells_blank_from_drawn(tmp_path):
    """The screenshot check can fail: a one-colour PNG counts one colour."""
    width, height = 4, 3
    raw = b"".join(b"\x00" + b"\xff\xff\xff" * width for _ in range(height))

    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2,
                                                              0, 0, 0))
           + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    blank = tmp_path / "blank.png"
    blank.write_bytes(png)
    assert _png_colours(blank) == 1


def test_report_renders_in_a_headless_browser(built, tmp_path):
    browser = _browser()
    _, page = built
    shot = tmp_path / "report.png"
    done = _headless(browser, f"--screenshot={shot}", "--window-size=1280,4000",
                     page.as_uri())
    assert shot.exists() and shot.stat().st_size > 10_000, done.stderr[-2000:]
    assert _png_colours(shot) > 50  # text, tables and figures, not a blank page
    console = [line for line in done.stderr.splitlines()
               if ":CONSOLE" in line or "Uncaught" in line]
    assert console == []

    dom = _headless(browser, "--dump-dom", page.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert [line for line in dom.stderr.splitlines() if ":CONSOLE" in line] == []
    rendered = dom.stdout
    assert rendered.count("<svg") == len(AXIS_LABELS)
    assert rendered.count('<figure class="plot">') == len(AXIS_LABELS)
    for section in SECTION_IDS:
        assert f'<section id="{section}">' in rendered
    assert "NPV [M USD]" in rendered


def test_arrows_point_down():
    """The wings below never import the report or the command line, not even inside a
    function (``_repr_html_`` uses the ground floor's rackplan._html); rackplan._html imports
    only the ground."""
    import ast

    src = Path(rackplan.__file__).parent
    for wing in ("kernels", "facility", "economics", "studies"):
        for path in (src / wing).glob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                names = ([node.module or ""] if isinstance(node, ast.ImportFrom) else
                         [a.name for a in node.names] if isinstance(node, ast.Import) else [])
                for name in names:
                    assert not name.startswith(("rackplan.reporting", "rackplan.cli")), path
    ground = ast.parse((src / "_html.py").read_text(encoding="utf-8"))
    modules = {n.module for n in ast.walk(ground) if isinstance(n, ast.ImportFrom)}
    assert {m for m in modules if m.startswith("rackplan")} == {"rackplan.units"}


@pytest.mark.parametrize("z", [float("nan"), 4.2])
def test_a_surface_with_nothing_to_contour_still_draws_its_axes(z):
    import numpy as np

    from rackplan.reporting.plots import breakeven_surface

    svg = breakeven_surface(np.array([1.0, 2.0]), np.array([10.0, 20.0]), np.full((2, 2), z),
                            x_label="BTC price [USD/BTC]", y_label="power price [USD/MWh]",
                            z_label="breakeven GPU-hour price [USD/hour]", assumed=(1.5, 15.0),
                            assumed_z=3.0)
    texts = _texts(svg)
    assert "BTC price [USD/BTC]" in texts and "power price [USD/MWh]" in texts
    assert any(("undefined on this grid" if z != z else "4.2 on the whole grid") in t
               for t in texts)


def test_save_writes_the_page_and_names_a_bad_path(built, tmp_path):
    import dataclasses

    copy = dataclasses.replace(built[0])
    assert copy.save(tmp_path / "copy.htm") == tmp_path / "copy.htm"
    assert (tmp_path / "copy.htm").read_text(encoding="utf-8") == copy.html
    with pytest.raises(RackplanError) as info:
        copy.save(tmp_path / "copy.txt")
    assert info.value.source == "out"


def test_values_are_shown_in_units_people_read():
    from rackplan._html import value_and_unit
    from rackplan.units import Q_

    assert value_and_unit(Q_(18e6, "W")) == ("18", "MW")
    assert value_and_unit(Q_(473e12, "hash/s")) == ("473", "TH/s")
    assert value_and_unit(Q_(150_000, "USD/a")) == ("150,000", "USD/year")
    assert value_and_unit(Q_(4645, "m**2")) == ("4,645", "m^2")
    assert value_and_unit(Q_(2.5e6, "USD").to("MUSD")) == ("2.5", "M USD")
    assert value_and_unit(95) == ("95", "count") and value_and_unit(1.25) == ("1.25", "1")
    assert value_and_unit(float("nan")) == ("n/a", "1") and value_and_unit(None) == ("n/a", "")


def test_the_stand_alone_taxpayer_is_on_the_page():
    """With ``stand_alone_tax`` the side-by-side table carries compare's stand-alone figures."""
    from rackplan._html import number_text

    overrides = {"stand_alone_tax": True}
    page = rackplan.report(**TOY, years=2, paths=100, overrides=overrides).html
    assert "NPV, stand-alone taxpayer" in page and "tax losses left at the horizon" in page
    c = rackplan.compare(**TOY, years=2, overrides=overrides)
    for option in c.options.values():
        assert number_text(float(option.stand_alone["npv"].m_as("USD")) / 1e6) in page
