"""``rackplan compare`` and ``rackplan hashprice`` from the command line."""

from __future__ import annotations

import csv
import io
import json
import re

import pytest

from conftest import BROKEN, DATA

TOY = ["--site", str(DATA / "sites" / "toy-1mw.toml"),
       "--mining-profile", str(DATA / "profiles" / "toy-miner.toml"),
       "--gpu-profile", str(DATA / "profiles" / "toy-gpu.toml"),
       "--market", str(DATA / "markets" / "handworked.toml"), "--years", "1"]


def test_compare_with_no_arguments_runs_the_builtin_case(run_cli):
    code, out, err = run_cli("compare")
    assert code == 0, err
    assert "Moses Lake" in out and "antminer-s21-xp-hyd vs gb300-nvl72, 5 years" in out
    for words in ("Bitcoin mining", "GPU-as-a-service", "Colocation", "NOI margin", "NPV",
                  "IRR", "payback", "revenue per MW(IT)-year", "Revenue by year",
                  "NOI by year", "Winner under these assumptions", "Breakeven BTC price",
                  "Breakeven GPU-hour price", "M USD", "MW"):
        assert words in out, words


def test_compare_json(run_cli):
    code, out, _ = run_cli("compare", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert set(d["options"]) == {"mine", "gpuaas", "colocation"}
    assert {"inputs", "options", "breakeven"} <= set(d)
    row = d["options"]["gpuaas"]["yearly"][1]
    assert row["year"] == 2 and row["noi"]["unit"] == "USD"
    assert d["options"]["mine"]["it_power"]["unit"] == "MW"


def test_compare_json_hand_worked(run_cli):
    code, out, _ = run_cli("compare", *TOY, "--format", "json")
    assert code == 0
    d = json.loads(out)
    # colocation: 1,000 kW x 100 USD/kW/month x 12 months, 90 % kept, minus 1 M USD capex
    assert d["options"]["colocation"]["npv"]["value"] == pytest.approx(80_000)
    assert d["winner"] == "colocation"


def test_compare_set_routes_to_site_then_market(run_cli):
    code, out, _ = run_cli("compare", *TOY, "--set", "utility_power=2 MW",
                           "--set", "colocation_rate=200 USD/kW/month", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert d["options"]["gpuaas"]["units"] == 20
    assert d["options"]["colocation"]["total"]["revenue"]["value"] == pytest.approx(
        2000 * 200 * 12)


def test_compare_csv(run_cli):
    code, out, _ = run_cli("compare", *TOY, "--format", "csv")
    assert code == 0
    rows = list(csv.DictReader(io.StringIO(out)))
    assert list(rows[0]) == ["option", "year", "quantity", "value", "unit"]
    npv = {r["option"]: r for r in rows if r["quantity"] == "npv"}
    assert float(npv["colocation"]["value"]) == pytest.approx(80_000)
    assert npv["colocation"]["unit"] == "USD"
    assert any(r["year"] == "1" and r["quantity"] == "revenue" for r in rows)


def test_foundry_worked_example_through_the_cli(run_cli):
    # Foundry USA FPPS FAQ: 1 PH/s, one day, D = 21,448,277,761,059, 6.25 BTC -> 0.0058619 BTC
    code, out, _ = run_cli("hashprice", "--difficulty", "21448277761059", "--block-height",
                           "700000", "--fees-per-block", "0", "--pool-fee", "0",
                           "--btc-price", "40000", "--format", "json")
    assert code == 0
    d = json.loads(out)
    assert round(d["hashprice_btc"]["value"], 7) == 0.0058619
    assert d["hashprice_btc"]["unit"] == "BTC/PH/day"
    assert d["hashprice"]["value"] == pytest.approx(0.0058619 * 40_000, rel=1e-4)
    assert d["inputs"]["block_subsidy"] == {"value": 6.25, "unit": "BTC"}


def test_hashprice_defaults_to_the_builtin_market(run_cli):
    code, out, _ = run_cli("hashprice")
    assert code == 0
    assert "USD/PH/day" in out and "98,076" in out
    code, out, _ = run_cli("hashprice", "--format", "json", "--network-hashrate", "1.1 ZH/s",
                           "--btc-price", "100000 USD/BTC")
    d = json.loads(out)
    # 1 PH/s of 1.1 ZH/s: 144 blocks x (3.125 + 0.025) BTC / 1.1e6 x 0.98 x 100,000 USD
    assert d["hashprice"]["value"] == pytest.approx(144 * 3.15 / 1.1e6 * 0.98 * 1e5, rel=1e-9)


def test_hashprice_gives_one_miners_day(run_cli):
    """``--profile``: an S21 XP Hyd (473 TH/s at 5,676 W) for a day, as mining calculators
    count it: the hashprice x 0.473 PH/s of revenue; 5.676 kW x 24 h = 136.224 kWh at the
    plug, at 45 USD/MWh 6.13008 USD; the breakeven power price is revenue / energy. With
    ``--pue 1.1`` the energy is 10 % more, the revenue the same."""
    code, out, _ = run_cli("hashprice", "--profile", "antminer-s21-xp-hyd", "--power-price",
                           "45", "--format", "json")
    assert code == 0
    d = json.loads(out)
    day = d["per_unit"]
    revenue = d["hashprice"]["value"] * 0.473
    assert day["revenue"] == {"value": pytest.approx(revenue, rel=1e-12), "unit": "USD/d"}
    assert day["revenue_btc"]["value"] == pytest.approx(d["hashprice_btc"]["value"] * 0.473,
                                                        rel=1e-12)
    assert day["energy"]["value"] == pytest.approx(136.224, rel=1e-12)
    assert day["power_cost"]["value"] == pytest.approx(6.13008, rel=1e-12)
    assert day["profit"]["value"] == pytest.approx(revenue - 6.13008, rel=1e-12)
    assert day["breakeven_power_price"] == {
        "value": pytest.approx(1000 * revenue / 136.224, rel=1e-12), "unit": "USD/MWh"}
    assert day["efficiency"]["value"] == pytest.approx(12.0, rel=1e-12)
    # a price with its own unit; the market's price when none is given; a PUE
    kwh = json.loads(run_cli("hashprice", "--profile", "antminer-s21-xp-hyd", "--power-price",
                             "0.045 USD/kWh", "--format", "json")[1])["per_unit"]
    assert kwh["power_cost"]["value"] == pytest.approx(6.13008, rel=1e-12)
    market = json.loads(run_cli("hashprice", "--profile", "antminer-s21-xp-hyd", "--pue",
                                "1.1", "--format", "json")[1])["per_unit"]
    assert market["power_price"]["value"] == 33.0
    assert market["energy"]["value"] == pytest.approx(136.224 * 1.1, rel=1e-12)
    assert market["power_cost"]["value"] == pytest.approx(136.224 * 1.1 * 0.033, rel=1e-12)


@pytest.mark.parametrize(("args", "message"), [
    (("--profile", "gb300-nvl72"), "--profile: gb300-nvl72 is a GPU system"),
    (("--profile", "no-such-miner"), "--profile"),
    (("--profile", "antminer-s21-xp-hyd", "--pue", "0.9"), "--pue: must be from 1 to 10"),
    (("--pue", "1.1"), "--pue: prices a miner's power: give --profile too"),
    (("--power-price", "45"), "--power-price: prices a miner's power: give --profile too"),
    (("--profile", "antminer-s21-xp-hyd", "--power-price", "45 W"), "--power-price"),
    (("--profile", "antminer-s21-xp-hyd", "--power-price", "-5"), "--power-price"),
])
def test_a_bad_miner_day_is_one_line(run_cli, args, message):
    code, out, err = run_cli("hashprice", *args)
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rackplan: error: {message}"), err


@pytest.mark.parametrize("name", [
    "market_negative_price", "market_utilization_above_1", "market_pool_fee_40",
    "market_wrong_unit", "market_bad_date", "market_unknown_field", "market_bare_number",
    "market_no_gpu_price", "market_malformed", "market_both_difficulty_and_hashrate",
    "market_half_month_build",
])
def test_broken_markets_give_one_line_and_exit_2(run_cli, name):
    path = BROKEN / f"{name}.toml"
    code, out, err = run_cli("compare", "--market", str(path))
    assert code == 2
    assert out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"rackplan: error: {path}"), err


@pytest.mark.parametrize("args, words", [
    (["compare", "--set", "btc_prise=1"], "--set btc_prise: not a site or market field; "
                                          "did you mean 'btc_price'"),
    (["compare", "--set", "ups=1"], "--set ups: not a site or market field; did you mean "
                                    "'power_chain.ups', 'mining_power_chain.ups'?"),
    (["compare", "--set", "pool_fee=40"], "pool_fee: 40 is out of range"),
    (["compare", "--set", "btc_price=90000"], "needs a unit"),
    (["compare", "--years", "0"], "--years"),
    (["compare", "--mining-profile", "dgx-h100"], "not a Bitcoin miner"),
    (["compare", "--market", "1999-01-01"], "unknown market id"),
    (["hashprice", "--pool-fee", "40"], "--pool-fee: 40 is out of range"),
    (["hashprice", "--btc-price", "-3"], "--btc-price: -3 USD/BTC must be greater than 0"),
    (["hashprice", "--difficulty", "1e14", "--network-hashrate", "1 ZH/s"], "not both"),
    (["hashprice", "--network-hashrate", "900"], "needs a unit"),
    (["hashprice", "--market", str(BROKEN / "market_bad_date.toml")], "date"),
    (["compare", "--set", "loss_carryforward_limit=1.5"], "loss_carryforward_limit"),
    (["compare", "--set", "stand_alone_tax=maybe"], "stand_alone_tax"),
])
def test_bad_input_is_one_line_exit_2(run_cli, args, words):
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and words in err, err


# --- no NaN or infinity in any format; undefined figures are null/empty/n/a with a reason ------


def _no_constants(out: str):
    def refuse(name):
        raise ValueError(f"{name} in the JSON output")

    return json.loads(out, parse_constant=refuse)


def check_output(code, out, err, fmt):
    """The contract of every run: exit 0 or 2; on 2 one line and nothing on stdout; on 0 no
    NaN or infinity in the data, whatever the format. Returns the parsed JSON (or None)."""
    assert code in (0, 2), err
    assert "Traceback" not in err
    if code == 2:
        assert out == "" and err.count("\n") == 1 and err.startswith("rackplan: error: "), err
        return None
    if fmt == "json":
        return _no_constants(out)
    words = set(re.findall(r"[A-Za-z]+", out.lower()))
    assert not words & {"nan", "inf", "infinity"}, out
    return None


# Each reproducer of issue 7 and another input of the same kind.
UNDEFINED_CASES = [
    pytest.param(["--years", "1"], id="years-1"),  # the GPU build (13 months) outlasts it
    pytest.param(["--years", "1", "--set", "mining_build_period=12 month"],
                 id="mining-build-equals-horizon"),
    pytest.param(["--set", "utility_power=100 kW"], id="no-gpu-system-fits"),
    pytest.param(["--set", "utility_power=1 W"], id="nothing-fits"),
    pytest.param(["--set", "build_period=60 month"], id="build-equals-horizon"),
    pytest.param(["--set", "build_period=120 month"], id="build-beyond-horizon"),
    pytest.param(["--set", "sga_share=1.0"], id="sga-all-revenue"),
    pytest.param(["--set", "sga_share=0.999999"], id="sga-nearly-all"),
    pytest.param(["--set", "staff_per_1000_gpus=inf"], id="staff-inf"),
    pytest.param(["--set", "staff_per_1000_gpus=nan"], id="staff-nan"),
    pytest.param(["--set", "utilization=0"], id="no-gpu-hours-sold"),
    pytest.param(["--set", "power_price=0 USD/MWh", "--set", "demand_charge=0 USD/kW/month"],
                 id="free-power"),
]


@pytest.mark.parametrize("fmt", ["json", "table", "csv"])
@pytest.mark.parametrize("args", UNDEFINED_CASES)
def test_compare_never_prints_nan_or_inf(run_cli, args, fmt):
    code, out, err = run_cli("compare", *args, "--format", fmt)
    data = check_output(code, out, err, fmt)
    if code == 0 and fmt == "json":
        assert err == ""  # the warnings are in the data
        nulls = [k for k, v in data["options"].items()
                 if v["irr"] is None or v["payback"] is None or v["revenue_per_mw_year"] is None]
        if nulls:
            assert data["warnings"], "a null figure with no warning saying why"


def test_an_option_that_never_operates_is_explained(run_cli):
    code, out, err = run_cli("compare", "--years", "1", "--format", "json")
    d = _no_constants(out)
    gpu = d["options"]["gpuaas"]
    assert code == 0 and gpu["revenue_per_mw_year"] is None and gpu["payback"] is None
    assert gpu["total"]["revenue"]["value"] == 0.0 and gpu["total"]["noi_margin"] is None
    # valued to the end of its fleet's life (dcf), its breakeven is the 5-year horizon's;
    # with nothing valued past the horizon there is none
    five = _no_constants(run_cli("compare", "--format", "json")[1])
    assert d["breakeven"]["gpu_hour_price"]["value"]["value"] == pytest.approx(
        five["breakeven"]["gpu_hour_price"]["value"]["value"], rel=1e-9)
    book = _no_constants(run_cli("compare", "--years", "1", "--format", "json",
                                 "--set", "terminal_value=book")[1])
    assert book["breakeven"]["gpu_hour_price"]["value"] is None
    assert "no breakeven" in book["breakeven"]["gpu_hour_price"]["note"]
    text = "\n".join(d["warnings"])
    assert "GPU-as-a-service and Colocation: does not operate within the horizon: its " \
           "13-month build period" in text
    assert "revenue per MW(IT)-year n/a: no operating month within the horizon" in text
    # the table: n/a, and the same reasons as warnings on stderr
    code, out, err = run_cli("compare", "--years", "1")
    assert code == 0
    row = next(line for line in out.splitlines() if "revenue per MW(IT)-year" in line)
    assert row.count("n/a") == 2
    assert "14 (after the horizon)" in out
    assert "GPU-as-a-service's NPV equals mining's at 4.867 USD per GPU-hour" in out
    code, out, err = run_cli("compare", "--years", "1", "--set", "terminal_value=book")
    assert "Breakeven GPU-hour price: n/a (GPU-as-a-service sells no GPU hours" in out
    assert "rackplan: warning: GPU-as-a-service and Colocation: revenue per MW(IT)-year n/a" \
        in err
    # CSV: an empty cell
    code, out, _ = run_cli("compare", "--years", "1", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(out)))
    per_mw = {r["option"]: r["value"] for r in rows if r["quantity"] == "revenue_per_mw_year"}
    assert per_mw["gpuaas"] == "" and per_mw["colocation"] == "" and float(per_mw["mine"]) > 0


def test_compare_years_takes_a_whole_number(run_cli):
    code, out, _ = run_cli("compare", *TOY[:-2], "--years", "1.0", "--format", "json")
    assert code == 0 and _no_constants(out)["inputs"]["years"] == 1


@pytest.mark.parametrize("fmt", ["json", "table", "csv"])
@pytest.mark.parametrize("flag, value", [
    ("--btc-price", "1e308"), ("--btc-price", "inf"), ("--btc-price", "nan"),
    ("--difficulty", "1e-300"), ("--difficulty", "inf"), ("--network-hashrate", "1e-300 H/s"),
    ("--fees-per-block", "1e300"), ("--pool-fee", "nan"), ("--block-height", "1e30"),
])
def test_hashprice_never_prints_nan_or_inf(run_cli, flag, value, fmt):
    code, out, err = run_cli("hashprice", flag, value, "--format", fmt)
    check_output(code, out, err, fmt)


# --- user text is text ---------------------------------------------------------------------------


def test_compare_prints_a_site_name_as_written(run_cli, tmp_path):
    site = (DATA / "sites" / "toy-1mw.toml").read_text()
    site = re.sub(r'^name = .*$', r'name = "Site [phase 2] [link=https://x.test]go[/link] '
                  r'[/x] \\u001b[31m"', site, flags=re.M)
    path = tmp_path / "site.toml"
    path.write_text(site)
    for fmt in ("table", "csv", "json"):
        code, out, err = run_cli("compare", *TOY, "--site", str(path), "--format", fmt)
        assert code == 0, err
        assert "\x1b" not in out and "\x1b" not in err
        if fmt != "json":
            assert "Site [phase 2] [link=https://x.test]go[/link] [/x] \\x1b[31m" in out


def test_compare_prints_how_the_prices_are_read(run_cli):
    code, out, _ = run_cli("compare", "--set", "terminal_value=zero")
    assert code == 0 and "How the prices are read:" in out
    assert "  terminal value: zero: nothing after the horizon" in out
    assert "  power price: 33 USD/MWh and 6.03 USD/kW-month of demand charge" in out


def test_monthly_cash_flows_to_csv_and_xlsx(run_cli, tmp_path):
    """``--monthly``: a row per option and month in CSV, a sheet per option in .xlsx, each
    with its date and every line in USD; the summary still on stdout."""
    import openpyxl

    out = tmp_path / "cf.csv"
    code, stdout, err = run_cli("compare", "--years", "2", "--monthly", str(out))
    assert code == 0 and "NPV" in stdout and f"wrote {out}" in err
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert len(rows) == 3 * 24
    first = rows[0]
    assert (first["option"], first["month"], first["date"]) == ("mine", "0", "2025-11-13")
    assert "revenue [USD]" in first and "cash_flow [USD]" in first and "btc_mined [BTC]" in first
    book = tmp_path / "cf.xlsx"
    assert run_cli("compare", "--years", "2", "--monthly", str(book))[0] == 0
    wb = openpyxl.load_workbook(book, read_only=True)
    assert wb.sheetnames == ["mine", "gpuaas", "colocation"]
    sheet = list(wb["gpuaas"].iter_rows(values_only=True))
    assert sheet[0][:3] == ("month", "date", "revenue [USD]") and len(sheet) == 25
    csv_gpu = [r for r in rows if r["option"] == "gpuaas"]
    assert [round(r[2], 2) for r in sheet[1:]] == pytest.approx(
        [round(float(r["revenue [USD]"]), 2) for r in csv_gpu], abs=1e-3)
    assert str(sheet[14][1])[:10] == "2026-12-13"  # month 13, the first GPU month


@pytest.mark.parametrize("name, words", [
    ("cf.txt", "unknown output format '.txt'; use .nc, .csv, .json or .xlsx"),
    ("missing/cf.csv", "does not exist"),
])
def test_a_bad_monthly_file_is_one_line_before_any_work(run_cli, tmp_path, name, words):
    code, out, err = run_cli("compare", "--monthly", str(tmp_path / name))
    assert code == 2 and out == "" and err.count("\n") == 1
    assert "--monthly" in err and words in err
    assert list(tmp_path.iterdir()) == []


def test_the_compare_table_reads_whole_at_80_columns(monkeypatch):
    """At 80 columns no label or profile is cut to "…": long quantities wrap, a hardware id
    folds, and every table line fits."""
    from rich.console import Console

    import rackplan.cli.output as output
    from rackplan.cli.economics_cmd import _compare_table
    from rackplan.economics.compare import compare

    buf = io.StringIO()
    monkeypatch.setattr(output, "console", lambda stderr=False: Console(
        file=buf, width=80, highlight=False, emoji=False, markup=False))
    _compare_table(compare())
    lines = buf.getvalue().splitlines()
    table = [line for line in lines if line[:1] in "┏┃┡│└"]
    assert len(table) > 20 and max(len(line) for line in table) <= 80
    assert "…" not in buf.getvalue()
    assert "GPU-as-a-service" in buf.getvalue() and "antminer-s21-xp-" in buf.getvalue()


def test_compare_shows_the_stand_alone_taxpayer_when_asked(run_cli):
    code, out, _ = run_cli("compare", "--set", "stand_alone_tax=true")
    assert code == 0
    for label in ("NPV, stand-alone taxpayer", "IRR, stand-alone taxpayer",
                  "tax losses left at the horizon"):
        assert label in out
    assert "stand-alone" not in run_cli("compare")[1]
