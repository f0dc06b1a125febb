"""``rackplan compare`` (mining vs GPU-as-a-service vs colocation) and ``rackplan hashprice``.

Defaults: the built-in case (Moses Lake, 18 MW gross, antminer-s21-xp-hyd against gb300-nvl72,
five years) and the built-in market of 2025-11-13. Data goes to stdout; warnings to stderr.
Heavy modules load inside the commands.
"""

from __future__ import annotations

import sys
from typing import Any, List, Optional

import typer

from rackplan.cli.app import Format, app, parse_set, ref_help

__all__ = ["compare_command", "hashprice_command"]


# --- rackplan compare -------------------------------------------------------------------------


@app.command("compare")
def compare_command(
    site: str = typer.Option(
        "moses-lake", "--site", metavar="ID|FILE",
        help=ref_help("Built-in site id or a site TOML file.")),
    mining_profile: str = typer.Option(
        "antminer-s21-xp-hyd", "--mining-profile", metavar="ID|FILE",
        help=ref_help("Bitcoin miner profile id or TOML file.")),
    gpu_profile: str = typer.Option(
        "gb300-nvl72", "--gpu-profile", metavar="ID|FILE",
        help=ref_help("GPU system profile id or TOML file.")),
    market: Optional[str] = typer.Option(
        None, "--market", metavar="ID|FILE",
        help=ref_help("Market TOML file or built-in id (default: the built-in 2025-11-13 "
                      "market).")),
    years: str = typer.Option("5", "--years", metavar="N", help="Horizon in years (1-50)."),
    set_: Optional[List[str]] = typer.Option(
        None, "--set", metavar="FIELD=VALUE",
        help="Override a site field, else a market field: --set pue=1.3 "
             "--set btc_price='120000 USD/BTC' --set gpu_hour_price='4 USD/hour'. Repeatable."),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
    monthly: Optional[str] = typer.Option(
        None, "--monthly", metavar="FILE",
        help="Also write the cash flows month by month, every line of every option with "
             "its date and unit: .csv (a row per option and month), .xlsx (a sheet per "
             "option), .nc or .json."),
) -> None:
    """Compare mining, GPU-as-a-service and colocation for the same site: NOI, NPV, IRR,
    payback, the winner under the stated assumptions, and the breakeven prices.

    A figure that does not exist in a case (an IRR that never pays back, a breakeven no price
    reaches) is n/a in the table, empty in CSV and null in JSON; a warning says why.

    Example: rackplan compare --set gpu_hour_price="4.5 USD/hour" --years 7
    --monthly cash-flows.xlsx
    """
    from rackplan._args import whole_number
    from rackplan.cli.output import print_json, warn, warn_not_finite
    from rackplan.economics.compare import MAX_YEARS, compare

    n_years = whole_number(years, "--years", 1, MAX_YEARS)
    overrides = parse_set(set_)
    if monthly is not None:
        from rackplan.studies.io import FORMATS_MONTHLY, check_out

        check_out(monthly, "--monthly", FORMATS_MONTHLY)  # a bad path fails before the work
    result = compare(site, mining_profile, gpu_profile, market, years=n_years,
                     overrides=overrides)
    if monthly is not None:
        from rackplan.studies.io import FORMATS_MONTHLY, write

        path = write(result.monthly(), monthly, source="--monthly", formats=FORMATS_MONTHLY)
        print(f"rackplan: wrote {path} ({len(result.options)} options x {12 * n_years} "
              "months)", file=sys.stderr)
    if fmt is Format.json:
        # The warnings are in the data ("warnings"); stderr stays quiet.
        warn_not_finite(print_json(result.to_dict()))
        return
    for message in result.warnings:
        warn(message)
    if fmt is Format.csv:
        _compare_csv(result)
    else:
        _compare_table(result)


def _money(q) -> str:
    """A quantity of money in M USD for a table; ``n/a`` if it is not a finite number."""
    from rackplan.cli.output import finite, format_number

    value = finite(q.m_as("USD"))
    return "n/a" if value is None else format_number(value / 1e6)


def _fmt(q, unit: str) -> str:
    """A quantity in ``unit`` for a table; ``n/a`` if it is not a finite number."""
    from rackplan.cli.output import format_number

    return format_number(q.m_as(unit))


def _compare_table(result) -> None:
    from rackplan.cli.output import as_text, console, table

    out = console()
    inp = result.inputs
    opts = result.options
    names = list(opts)
    title = (f"{inp['site_name']}: {inp['mining_profile']} vs {inp['gpu_profile']}, "
             f"{inp['years']} years from {inp['market_date']}")
    n_months = 12 * int(inp["years"])

    side = table(title)
    side.add_column("quantity")
    for key in names:
        # at least as wide as the longest word of its label, and a hardware id folds rather
        # than end in "…": at 80 columns nothing is cut ("GPU-as-a-service" has no space)
        widest = max(len(word) for word in opts[key].label.split())
        side.add_column(opts[key].label, justify="right", min_width=widest, overflow="fold")
    side.add_column("unit")

    def row(label, cells, unit=""):
        side.add_row(label, *[as_text(c) for c in cells], unit)

    def first_month(opt) -> str:
        start = int(opt.fleet["start_month"])
        return str(start + 1) if start < n_months else f"{start + 1} (after the horizon)"

    row("hardware", [opts[k].fleet["profile"] for k in names])
    row("units", [f"{opts[k].fleet['units']:,}" for k in names])
    row("racks", [f"{opts[k].fleet['racks']:,}" for k in names])
    row("IT power", [_fmt(opts[k].fleet["it_power"], "MW") for k in names], "MW")
    row("PUE, design hour (sizes)", [_fmt_plain(opts[k].fleet["pue"], 3) for k in names])
    row("PUE, year (prices energy)", [_fmt_plain(opts[k].fleet["energy_pue"], 3)
                                      for k in names])
    row("hash rate / GPUs", [
        _fmt(opts[k].fleet["hashrate"], "EH/s") + " EH/s" if "hashrate" in opts[k].fleet
        else f"{opts[k].fleet['gpu_count']:,} GPUs" for k in names])
    row("first operating month", [first_month(opts[k]) for k in names])
    row("capex", [_money(opts[k].capex) for k in names], "M USD")
    row("revenue, total", [_money(opts[k].total["revenue"]) for k in names], "M USD")
    row("NOI, total", [_money(opts[k].total["noi"]) for k in names], "M USD")
    row("NOI margin", [_fmt(opts[k].total["noi_margin"], "%") for k in names], "%")
    row("EBITDA, total", [_money(opts[k].total["ebitda"]) for k in names], "M USD")
    row("income tax, total", [_money(opts[k].total["income_tax"]) for k in names], "M USD")
    row("terminal value", [_money(opts[k].total["residual_value"]) for k in names], "M USD")
    rates = [_rate(opts[k]) for k in names]
    if len(set(rates)) == 1:
        row(f"NPV at {rates[0]:g} %", [_money(opts[k].npv) for k in names], "M USD")
    else:  # an option with a rate of its own (discount_rate_<kind>)
        row("discount rate", [f"{r:g}" for r in rates], "%/year")
        row("NPV at its discount rate", [_money(opts[k].npv) for k in names], "M USD")
    row("IRR", [_fmt(opts[k].irr, "%/year") for k in names], "%/year")
    if all(opts[k].levered for k in names):  # with debt (debt_share > 0)
        row("borrowed", [_money(opts[k].levered["borrowed"]) for k in names], "M USD")
        row("NPV levered", [_money(opts[k].levered["npv"]) for k in names], "M USD")
        row("IRR levered", [_fmt(opts[k].levered["irr"], "%/year") for k in names], "%/year")
        row("minimum DSCR", [_fmt_plain(opts[k].levered["min_dscr"].m_as(""), 2)
                             for k in names])
    if all(opts[k].stand_alone for k in names):  # stand_alone_tax: losses carried forward
        row("NPV, stand-alone taxpayer", [_money(opts[k].stand_alone["npv"]) for k in names],
            "M USD")
        row("IRR, stand-alone taxpayer", [_fmt(opts[k].stand_alone["irr"], "%/year")
                                          for k in names], "%/year")
        row("income tax, stand-alone", [_money(opts[k].stand_alone["income_tax"])
                                        for k in names], "M USD")
        row("tax losses left at the horizon", [_money(opts[k].stand_alone["losses_left"])
                                               for k in names], "M USD")
    row("payback", [_fmt(opts[k].payback, "month") for k in names], "months")
    row("revenue per MW(IT)-year", [_money(opts[k].revenue_per_mw_year * _q("1 MW*year"))
                                    for k in names], "M USD")
    from rich.measure import Measurement

    if Measurement.get(out, out.options.update(max_width=10_000), side).maximum > out.width:
        side.columns[0].max_width = 15  # a narrow terminal: the long quantities wrap
    out.print(side)

    n_years = len(opts[names[0]].yearly)
    for what, label, unit in (("revenue", "Revenue", "M USD"), ("noi", "NOI", "M USD"),
                              ("noi_margin", "NOI margin", "%")):
        t = table(f"{label} by year ({unit})")
        t.add_column("year")
        t.add_column("from")
        for key in names:
            t.add_column(opts[key].label, justify="right")
        for y in range(n_years):
            cells = []
            for key in names:
                q = opts[key].yearly[y][what]
                cells.append(_fmt(q, "%") if what == "noi_margin" else _money(q))
            t.add_row(str(y + 1), opts[names[0]].yearly[y]["start"], *cells)
        t.add_row("total", "", *[
            _fmt(opts[k].total[what], "%") if what == "noi_margin" else _money(opts[k].total[what])
            for k in names])
        out.print(t)

    mine = opts["mine"].details
    t = table("Mining at the market date")
    t.add_column("quantity")
    t.add_column("value", justify="right")
    t.add_column("unit")
    for key, label, unit in (
            ("hashprice", "hashprice (after pool fee)", "USD/PH/day"),
            ("hashcost", "power cost of 1 PH/s (with demand charge)", "USD/PH/day"),
            ("btc_mined", "BTC mined over the horizon", "BTC"),
            ("cost_per_btc", "cash cost per BTC (opex / BTC)", "USD/BTC"),
            ("all_in_cost_per_btc", "all-in cost per BTC (opex + capex)", "USD/BTC"),
            ("breakeven_btc_price_month1", "cash breakeven BTC price, month 1", "USD/BTC"),
            ("breakeven_power_price_month1", "cash breakeven power price, month 1", "USD/MWh")):
        if key in mine:
            t.add_row(label, _fmt(mine[key], unit), unit)
    out.print(t)

    out.print(as_text(_verdict(result), lines=True), soft_wrap=True)


def _deciders(result) -> list[str]:
    """The inputs that decide the winner, a line each (see rackplan.economics.sensitivity)."""
    from rackplan.cli.output import format_number

    if not result.sensitivities:
        return []
    opts = result.options
    out = [f"What decides it (each input 10 % lower / higher: {opts[result.winner].label}'s "
           "NPV lead over the runner-up, M USD):"]
    for s in result.sensitivities:
        value = format_number(s.value) + ("" if s.unit == "1" else f" {s.unit}")
        if s.name in ("pue_mine", "pue_gpu", "energy_pue_mine", "energy_pue_gpu"):
            # no --set of its own: the plant gives it
            value += ", the cooling plant's"
        flips = {w for w in (s.winner_down, s.winner_up) if w != result.winner}
        flip = f"; {', '.join(opts[w].label for w in sorted(flips))} wins" if flips else ""
        out.append(f"  {s.name} ({value}): {s.lead_down / 1e6:+,.1f} / {s.lead_up / 1e6:+,.1f} "
                   f"(now {s.lead / 1e6:+,.1f}){flip}")
    return out


def _rate(option) -> float:
    """The option's discount rate [%/year], rounded for a label."""
    return round(float(option.discount_rate.m_as("%/year")), 6)


def _fmt_plain(x, decimals: int) -> str:
    from rackplan.cli.output import finite

    f = finite(x)
    return "n/a" if f is None else f"{f:.{decimals}f}"


def _q(text):
    from rackplan.units import Q_

    value, unit = text.split(" ", 1)
    return Q_(float(value), unit)


_CONVENTION_LABELS = {"btc_price": "BTC price", "gpu_hour_price": "GPU-hour price",
                      "colocation_rate": "colocation rate", "power_price": "power price",
                      "terminal_value": "terminal value", "miners": "miners",
                      "maintenance": "maintenance"}


def _conventions(result) -> list[str]:
    # how each price is read: the winner depends on it as much as on the values
    return ["How the prices are read:"] + [
        f"  {_CONVENTION_LABELS.get(k, k)}: {text}" for k, text in result.conventions.items()]


def _verdict(result) -> str:
    from rackplan.cli.output import finite, format_number

    opts = result.options
    win = opts[result.winner]
    lines = [
        f"Winner under these assumptions: {win.label} (highest NPV, {_money(win.npv)} M USD at "
        f"a {_rate(win):g} % discount rate)."
    ]
    if all(float(o.npv.m_as("USD")) < 0 for o in opts.values()):
        lines.append("All three NPVs are negative over this horizon: none repays its capex.")
    by_noi = sorted(opts.values(), key=lambda o: -float(o.total["noi"].m_as("USD")))
    lines.append("NOI over the horizon: " + " > ".join(
        f"{o.label} {_money(o.total['noi'])}" for o in by_noi) + " M USD.")
    lines.extend(_deciders(result))
    lines.extend(_conventions(result))
    be = result.breakeven

    def assumed(name, unit):
        return format_number(be[name]["assumed"].m_as(unit))

    def why(name):
        note = be[name].get("note", "")
        return note.removeprefix("no breakeven: ") or "no price makes the two NPVs meet"

    btc = finite(be["btc_price"]["value"].m_as("USD/BTC"))
    if btc is None:
        lines.append(f"Breakeven BTC price: n/a ({why('btc_price')}).")
    elif btc <= 0:
        lines.append(f"Breakeven BTC price: mining's NPV beats GPU-as-a-service's at any BTC "
                     f"price (the line crosses at {format_number(btc)} USD/BTC; assumed "
                     f"{assumed('btc_price', 'USD/BTC')}).")
    else:
        lines.append(f"Breakeven BTC price: mining's NPV equals GPU-as-a-service's at "
                     f"{format_number(btc)} USD/BTC (assumed {assumed('btc_price', 'USD/BTC')}, "
                     "same growth path).")
    gpu = finite(be["gpu_hour_price"]["value"].m_as("USD/hour"))
    if gpu is None:
        lines.append(f"Breakeven GPU-hour price: n/a ({why('gpu_hour_price')}).")
    elif gpu <= 0:
        lines.append(f"Breakeven GPU-hour price: GPU-as-a-service's NPV beats mining's at any "
                     f"GPU-hour price (the line crosses at {format_number(gpu)} USD/hour).")
    else:
        lines.append(f"Breakeven GPU-hour price: GPU-as-a-service's NPV equals mining's at "
                     f"{format_number(gpu)} USD per GPU-hour (assumed "
                     f"{assumed('gpu_hour_price', 'USD/hour')}, same decline).")
    power = finite(be["power_price"]["value"].m_as("USD/MWh"))
    if power is not None:
        lines.append(f"Power price at which the two NPVs meet: {format_number(power)} USD/MWh "
                     f"(assumed {assumed('power_price', 'USD/MWh')}).")
    else:
        lines.append(f"Power price at which the two NPVs meet: n/a ({why('power_price')}).")
    return "\n".join(lines)


def _compare_csv(result) -> None:
    """One ``option,year,quantity,value,unit`` row per value; a figure that is not a finite
    number has an empty value cell (its reason is among the warnings)."""
    import csv
    import sys

    from rackplan.cli.output import finite, plain
    from rackplan.units import Quantity, format_unit

    writer = csv.writer(sys.stdout, lineterminator="\n")
    writer.writerow(["option", "year", "quantity", "value", "unit"])

    def put(option, year, name, value):
        if isinstance(value, Quantity):
            v = finite(value.magnitude)
            writer.writerow([option, year, name, "" if v is None else repr(v),
                             format_unit(value.units)])
        elif value is None:
            return
        elif isinstance(value, float):
            v = finite(value)
            writer.writerow([option, year, name, "" if v is None else repr(v), ""])
        else:
            writer.writerow([option, year, name, plain(value), ""])

    for name, value in result.inputs.items():
        put("inputs", "", name, value)
    for key, opt in result.options.items():
        for name, value in opt.fleet.items():
            put(key, "", name, value)
        for name in ("capex", "npv", "irr", "payback", "revenue_per_mw_year"):
            put(key, "", name, getattr(opt, name))
        for name, value in opt.details.items():
            put(key, "", name, value)
        for row in opt.yearly:
            for name, value in row.items():
                if name not in ("year",):
                    put(key, row["year"], name, value)
        for name, value in opt.total.items():
            put(key, "total", name, value)
    for name, item in result.breakeven.items():
        put("breakeven", "", name, item["value"])
        put("breakeven", "", f"{name}_assumed", item["assumed"])
    put("result", "", "winner", result.winner)


# --- rackplan hashprice -----------------------------------------------------------------------

# flag -> (market field, unit a bare number is taken in, or None to require a unit)
_HASHPRICE_FLAGS = {
    "--btc-price": ("btc_price", "USD/BTC"),
    "--difficulty": ("difficulty", None),
    "--network-hashrate": ("network_hashrate", None),
    "--fees-per-block": ("fees_per_block", "BTC"),
    "--block-height": ("block_height", None),
    "--pool-fee": ("pool_fee", None),
    "--power-price": ("power_price", "USD/MWh"),
}


def _with_unit(text: str, unit: str | None) -> Any:
    """A flag's value for the market model: a bare number gets the flag's unit."""
    import tomllib

    try:
        value = tomllib.loads(f"v = {text.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        return text
    if isinstance(value, (int, float)) and not isinstance(value, bool) and unit is not None:
        return f"{value} {unit}"
    return value


@app.command("hashprice")
def hashprice_command(
    btc_price: Optional[str] = typer.Option(
        None, "--btc-price", metavar="PRICE", help="BTC price, e.g. 98076 or '98076 USD/BTC'."),
    difficulty: Optional[str] = typer.Option(
        None, "--difficulty", metavar="D", help="Network difficulty, e.g. 152.3e12."),
    network_hashrate: Optional[str] = typer.Option(
        None, "--network-hashrate", metavar="RATE",
        help="Network hash rate instead of the difficulty, e.g. '1.1 ZH/s'."),
    fees_per_block: Optional[str] = typer.Option(
        None, "--fees-per-block", metavar="BTC", help="Transaction fees per block, e.g. 0.025."),
    block_height: Optional[str] = typer.Option(
        None, "--block-height", metavar="HEIGHT", help="Block height (sets the subsidy)."),
    pool_fee: Optional[str] = typer.Option(
        None, "--pool-fee", metavar="SHARE", help="Pool fee, e.g. 0.02 or '2 %'."),
    profile: Optional[str] = typer.Option(
        None, "--profile", metavar="ID|FILE",
        help=ref_help("An ASIC miner (see 'rackplan profiles list'): add its day, per unit: "
                      "revenue, energy, power cost, profit and breakeven power price.")),
    power_price: Optional[str] = typer.Option(
        None, "--power-price", metavar="PRICE",
        help="Power price for --profile, e.g. 45 or '0.045 USD/kWh' (a bare number is "
             "USD/MWh; default: the market's)."),
    pue: Optional[str] = typer.Option(
        None, "--pue", metavar="PUE",
        help="Facility power over the miner's for --profile (default 1: at the plug, as "
             "mining calculators count)."),
    market: Optional[str] = typer.Option(
        None, "--market", metavar="ID|FILE",
        help=ref_help("Market for the values not given (default: the built-in 2025-11-13 "
                      "market).")),
    fmt: Format = typer.Option(Format.table, "--format", help="Output format."),
) -> None:
    """Hashprice: what 1 PH/s earns in a day, in USD and BTC (after the pool fee); with
    --profile, what one miner earns and spends in a day.

    Example: rackplan hashprice --profile antminer-s21-xp-hyd --power-price 45
    """
    from rackplan.cli.output import emit
    from rackplan.errors import InputError, MarketError
    from rackplan.economics.market import load_market
    from rackplan.economics.mining import block_subsidy_btc, hashprice
    from rackplan.units import Q_

    given = {"--btc-price": btc_price, "--difficulty": difficulty,
             "--network-hashrate": network_hashrate, "--fees-per-block": fees_per_block,
             "--block-height": block_height, "--pool-fee": pool_fee,
             "--power-price": power_price}
    if difficulty is not None and network_hashrate is not None:
        raise InputError("give --difficulty or --network-hashrate, not both",
                         source="--network-hashrate")
    overrides = {}
    field_to_flag = {}
    for flag, text in given.items():
        if text is None:
            continue
        name, unit = _HASHPRICE_FLAGS[flag]
        overrides[name] = _with_unit(text, unit)
        field_to_flag[name] = flag
    try:
        m = load_market(market, overrides)
    except MarketError as exc:
        if exc.source == "--set" and exc.field in field_to_flag:
            raise InputError(exc.message, source=field_to_flag[exc.field]) from None
        raise

    subsidy = block_subsidy_btc(m.block_height)
    difficulty_value = float(m.difficulty.magnitude)
    fees = float(m.fees_per_block.m_as("BTC"))
    price = float(m.btc_price.m_as("USD/BTC"))
    hp = hashprice(difficulty_value, subsidy, fees, price, m.pool_fee)
    data = {
        "hashprice": Q_(hp.usd, "USD/PH/day"),
        "hashprice_btc": Q_(hp.btc, "BTC/PH/day"),
        "hashprice_th": Q_(hp.usd / 1000.0, "USD/TH/day"),
        "inputs": {
            "market": m.id,
            "market_date": m.date.isoformat(),
            "btc_price": m.btc_price,
            "difficulty": difficulty_value,
            "network_hashrate": m.network_hashrate.to("EH/s"),
            "block_height": m.block_height,
            "block_subsidy": Q_(subsidy, "BTC"),
            "fees_per_block": m.fees_per_block,
            "pool_fee": Q_(100.0 * m.pool_fee, "%"),
        },
    }
    if profile is not None:
        data["per_unit"] = _miner_day(profile, hp, m.power_price, pue)
    else:
        for flag, text in (("--pue", pue), ("--power-price", power_price)):
            if text is not None:
                raise InputError("prices a miner's power: give --profile too", source=flag)
    emit(data, fmt.value, "hashprice")


def _miner_day(ref: str, hp, power_price, pue_text: str | None) -> dict[str, Any]:
    """One unit of ASIC profile ``ref`` for a day at hashprice ``hp`` (``per_unit``)."""
    from rackplan._args import real_number
    from rackplan.economics.mining import miner_day
    from rackplan.errors import InputError
    from rackplan.facility.profiles import load_profile
    from rackplan.units import Q_

    hw = load_profile(ref)
    if hw.kind != "asic":
        raise InputError(f"{hw.id or hw.name} is a GPU system: a day of hashing needs an ASIC "
                         "miner (rackplan profiles list)", source="--profile")
    pue = 1.0 if pue_text is None else real_number(pue_text.strip(), "--pue", 1.0, 10.0)
    day = miner_day(hw.hashrate, hw.power_max, hp, power_price, pue)
    return {
        "profile": hw.id,
        "hashrate": hw.hashrate.to("TH/s"),
        "power": hw.power_max.to("W"),
        "efficiency": (hw.power_max / hw.hashrate).to("J/TH"),
        "pue": pue,
        "power_price": power_price.to("USD/MWh"),
        "revenue": Q_(day.revenue, "USD/day"),
        "revenue_btc": Q_(day.btc, "BTC/day"),
        "energy": Q_(day.energy, "kWh/day"),
        "power_cost": Q_(day.power_cost, "USD/day"),
        "profit": Q_(day.profit, "USD/day"),
        "breakeven_power_price": Q_(day.breakeven_power_price, "USD/MWh"),
    }
