"""Market inputs (rackplan.economics.market): the built-in 2025-11-13 market, overrides, bad files."""

from __future__ import annotations

import datetime as dt
import math
import tomllib

import pytest

from rackplan.errors import MarketError
from rackplan.economics.market import (
    DEFAULT_MARKET,
    Market,
    difficulty_from_network_hashrate,
    list_markets,
    load_market,
    markets_dir,
    network_hashrate_from_difficulty,
)
from rackplan.units import Q_

from conftest import BROKEN


def test_builtin_market_is_the_announcement_day():
    m = load_market()
    assert m.id == DEFAULT_MARKET == "2025-11-13"
    assert m.date == dt.date(2025, 11, 13)
    # CoinDesk XBX 4 pm close on 2025-11-13 (Dow Jones via itiger.com)
    assert m.btc_price.m_as("USD/BTC") == 98076
    # ~152-156 T in November 2025 (pakgazette.com, btcpizza.com)
    assert 152e12 <= m.difficulty.magnitude <= 156e12
    # block 840,000 on 2024-04-20 (billatnapier.medium.com) + 572 days x 144 blocks (derived)
    assert m.block_height == 840_000 + 572 * 144
    assert m.pool_fee == pytest.approx(0.02)
    assert m.gpu_hour_price_for("gb300-nvl72").m_as("USD/hour") == pytest.approx(3.13)
    # USD 128 M for 18 MW gross (pulse2.com)
    assert m.facility_capex.m_as("USD/MW") == pytest.approx(128e6 / 18, rel=1e-6)
    assert m.build_period.m_as("month") == 13
    assert m.useful_life_it.m_as("year") == 5
    assert "2025-11-13" in list_markets()


def test_builtin_market_prices_every_builtin_gpu_system():
    m = load_market()
    for system in ("gb300-nvl72", "gb200-nvl72", "dgx-b200", "dgx-b300", "dgx-h100", "dgx-h200"):
        assert m.gpu_hour_price_for(system).m_as("USD/hour") > 0
        assert m.gpu_system_price_for(system).m_as("USD") > 0


def test_every_builtin_market_figure_has_a_source_comment():
    """Each value line of the built-in market is commented: inline, or by the comment block
    above it (a block may cover several consecutive values)."""
    path = markets_dir() / f"{DEFAULT_MARKET}.toml"
    data = tomllib.loads(path.read_text())
    lines = path.read_text().splitlines()
    for key in data:
        if key in ("name", "date", "notes", "sources", "gpu_hour_price", "gpu_system_price"):
            continue
        i = next(n for n, line in enumerate(lines) if line.startswith(f"{key} ="))
        above = i - 1
        while above > 0 and "=" in lines[above] and not lines[above].startswith("#"):
            above -= 1
        assert "#" in lines[i] or lines[above].startswith("#"), f"{key} has no source comment"
    assert len(data["sources"]) >= 10


def test_network_hashrate_and_difficulty_are_one_figure():
    # D x 2^32 / 600 (network hashrate from difficulty, e.g. PlebeiusGaragicus/bitcoin-mining-
    # calculator src/calcs.py): 152.3 T -> 1.090 ZH/s
    h = network_hashrate_from_difficulty(152.3e12)
    assert h == pytest.approx(152.3e12 * 2**32 / 600)
    assert difficulty_from_network_hashrate(h) == pytest.approx(152.3e12)
    m = load_market(None, {"network_hashrate": "1.2 ZH/s"})
    assert m.difficulty.magnitude == pytest.approx(1.2e21 * 600 / 2**32)
    assert m.network_hashrate.m_as("EH/s") == pytest.approx(1200)


def test_overrides_take_units_and_percentages():
    m = load_market(None, {"btc_price": "0.12 MUSD/BTC", "pool_fee": "1.5 %",
                           "power_price": "4 cUSD/kWh"})
    assert m.btc_price.m_as("USD/BTC") == pytest.approx(120_000)
    assert m.pool_fee == pytest.approx(0.015)
    assert m.power_price.m_as("USD/MWh") == pytest.approx(40)


def test_scalar_gpu_hour_price_override_sets_the_compared_system():
    m = load_market(None, {"gpu_hour_price": "4 USD/hour"}, gpu_system="gb300-nvl72")
    assert m.gpu_hour_price_for("gb300-nvl72").m_as("USD/hour") == 4
    assert m.gpu_hour_price_for("dgx-h100").m_as("USD/hour") == 2  # untouched
    m = load_market(None, {"gpu_hour_price.dgx-h100": "1.5 USD/hour"})
    assert m.gpu_hour_price_for("dgx-h100").m_as("USD/hour") == 1.5


def test_scalar_gpu_price_override_needs_a_system():
    with pytest.raises(MarketError, match="which GPU system"):
        load_market(None, {"gpu_hour_price": "4 USD/hour"})


def test_a_market_object_is_rebuilt_with_overrides():
    m = load_market()
    assert load_market(m) is m
    m2 = load_market(m, {"btc_price": "50000 USD/BTC"})
    assert isinstance(m2, Market) and m2.btc_price.m_as("USD/BTC") == 50000
    assert m2.difficulty == m.difficulty


def test_unknown_gpu_system_names_the_field_and_close_matches():
    with pytest.raises(MarketError) as info:
        load_market().gpu_hour_price_for("gb300-nvl36")
    message = str(info.value)
    assert "gpu_hour_price.gb300-nvl36" in message and "'gb300-nvl72'" in message


@pytest.mark.parametrize("name, field, words", [
    ("market_negative_price", "btc_price", "greater than 0"),
    ("market_utilization_above_1", "utilization", "out of range"),
    ("market_pool_fee_40", "pool_fee", "write '40 %'"),
    ("market_wrong_unit", "power_price", "expected units like USD/MWh"),
    ("market_bad_date", "date", "valid date"),
    ("market_unknown_field", "pool_fees", "did you mean 'pool_fee'"),
    ("market_bare_number", "fees_per_block", "needs a unit"),
    ("market_both_difficulty_and_hashrate", "(top level)", "not both"),
    ("market_half_month_build", "build_period", "whole number of months"),
    ("market_infinite_staff", "staff_per_1000_gpus", "finite number"),
    ("market_difficulty_1e300", "difficulty", "must be at most 1e+24"),
    ("market_sga_share_1", "sga_share", "must be 0 <= x < 1"),
])
def test_broken_market_files_name_file_and_field(name, field, words):
    path = BROKEN / f"{name}.toml"
    with pytest.raises(MarketError) as info:
        load_market(path)
    message = str(info.value)
    assert message.startswith(f"{path}: {field}: "), message
    assert words in message
    assert "\n" not in message


def test_malformed_market_file():
    path = BROKEN / "market_malformed.toml"
    with pytest.raises(MarketError, match="malformed TOML"):
        load_market(path)


def test_market_without_the_gpu_price_fails_when_asked():
    m = load_market(BROKEN / "market_no_gpu_price.toml")  # valid on its own
    with pytest.raises(MarketError, match="no gpu hour price for GPU system 'gb300-nvl72'"):
        m.gpu_hour_price_for("gb300-nvl72")


def test_unknown_override_and_bad_override_name_set():
    with pytest.raises(MarketError) as info:
        load_market(None, {"btc_prise": "1 USD/BTC"})
    assert str(info.value).startswith("--set: btc_prise: unknown market field")
    with pytest.raises(MarketError) as info:
        load_market(None, {"uptime": 0})
    assert str(info.value).startswith("--set: uptime: ")


def test_unknown_market_id_lists_close_matches():
    with pytest.raises(MarketError, match="did you mean '2025-11-13'"):
        load_market("2025-11-12")


def test_quantities_are_stored_in_their_field_units():
    m = load_market(None, {"colocation_rate": "1.45 MUSD/MW/year"})
    assert m.colocation_rate.units == Q_(1, "USD/kW/month").units
    assert m.colocation_rate.m_as("USD/kW/month") == pytest.approx(1.45e6 / 1000 / 12)



# --- hardening: growth may be negative; nothing infinite gets in --------------------------------

@pytest.mark.parametrize("field", ["btc_price_growth", "power_price_growth",
                                   "colocation_escalator"])
@pytest.mark.parametrize("value", [-0.2, "-20 %", -0.5, -0.99])
def test_a_falling_price_or_rate_is_a_growth_rate(field, value):
    m = load_market(overrides={field: value})
    expected = value if isinstance(value, float) else -0.2
    assert getattr(m, field) == pytest.approx(expected)


@pytest.mark.parametrize("field", ["btc_price_growth", "power_price_growth",
                                   "colocation_escalator"])
@pytest.mark.parametrize("value", [-1.0, -1.5, "-100 %"])
def test_a_growth_rate_of_minus_100_percent_or_less_is_refused(field, value):
    with pytest.raises(MarketError) as info:
        load_market(overrides={field: value})
    assert info.value.source == "--set" and info.value.field == field
    assert "must be -0.99 <= x" in info.value.message


_NOT_FINITE = [float("inf"), float("-inf"), float("nan"), "inf", "1e400"]
_FLOAT_FIELDS = ["staff_per_1000_gpus", "mining_staff_per_mw", "pool_fee", "uptime",
                 "difficulty_growth", "btc_price_growth", "sga_share", "discount_rate",
                 "residual_value", "utilization", "difficulty"]


@pytest.mark.parametrize("field", _FLOAT_FIELDS)
@pytest.mark.parametrize("value", _NOT_FINITE, ids=str)
def test_no_market_field_takes_a_value_that_is_not_finite(field, value):
    with pytest.raises(MarketError) as info:
        load_market(overrides={field: value})
    assert info.value.field == field and "\n" not in str(info.value)


@pytest.mark.parametrize(("field", "value", "fragment"), [
    ("btc_price", "1e300 USD/BTC", "must be at most 1e+10 USD/BTC"),
    ("power_price", "1e300 USD/MWh", "must be at most"),
    ("gpu_hour_price.gb300-nvl72", "1e300 USD/hour", "must be at most"),
    ("miner_price", "1e300 USD/(TH/s)", "must be at most"),
    ("facility_capex", "1e300 USD/MW", "must be at most"),
    ("staff_cost", "1e300 USD/year", "must be at most"),
    ("staff_per_1000_gpus", 1e6, "less than or equal to 1000"),
    ("mining_staff_per_mw", 1e300, "less than or equal to 1000"),
    ("difficulty", 0.5, "must be at least 1"),
    ("difficulty", 1e300, "must be at most 1e+24"),
    ("network_hashrate", "1e300 EH/s", "must be at most"),
    ("network_hashrate", "1 H/s", "must be at least"),
    ("sga_share", 1.0, "must be 0 <= x < 1"),
    ("useful_life_it", "1 s", "must be at least"),
    ("block_height", True, "is not a whole number"),
    ("fees_per_block", "1 BTC # fees", "'#' is not part of one"),
])
def test_out_of_range_market_values_name_the_field(field, value, fragment):
    with pytest.raises(MarketError) as info:
        load_market(overrides={field: value}, gpu_system="gb300-nvl72")
    assert info.value.source == "--set" and info.value.field == field
    assert fragment in info.value.message


def test_the_network_hash_rate_and_difficulty_stay_finite_at_their_bounds():
    for overrides in ({"difficulty": 1e24}, {"difficulty": 1}, {"network_hashrate": "7e12 EH/s"}):
        m = load_market(overrides=overrides)
        assert math.isfinite(m.difficulty.magnitude)
        assert math.isfinite(m.network_hashrate.magnitude)


@pytest.mark.parametrize(("args", "where"), [
    (("hashprice", "--difficulty", "1e300"), "--difficulty: "),
    (("hashprice", "--difficulty", "inf"), "--difficulty: "),
    (("hashprice", "--difficulty", "0"), "--difficulty: "),
    (("hashprice", "--network-hashrate", "1e300 EH/s"), "--network-hashrate: "),
    (("hashprice", "--network-hashrate", "1 W"), "--network-hashrate: "),
    (("hashprice", "--btc-price", "1e300"), "--btc-price: "),
    (("hashprice", "--fees-per-block", "nan"), "--fees-per-block: "),
    (("compare", "--set", "staff_per_1000_gpus=inf"), "--set: staff_per_1000_gpus: "),
    (("compare", "--set", "sga_share=1.0"), "--set: sga_share: "),
    (("compare", "--set", "btc_price_growth=-1"), "--set: btc_price_growth: "),
    (("compare", "--set", "difficulty=1e300"), "--set: difficulty: "),
    (("compare", "--market", str(BROKEN / "market_infinite_staff.toml")),
     "market_infinite_staff.toml: staff_per_1000_gpus: "),
])
def test_bad_market_input_from_the_command_line_is_one_line_naming_the_flag(run_cli, args,
                                                                             where):
    code, out, err = run_cli(*args)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("rackplan: error: ") and where in err


def test_compare_with_a_falling_btc_price_runs(run_cli):
    code, out, err = run_cli("compare", "--set", "btc_price_growth=-0.2", "--set",
                             "power_price_growth=-0.1", "--set", "colocation_escalator=-5 %",
                             "--format", "json")
    assert code == 0, err


@pytest.mark.parametrize("overrides", [[("pool_fee", 0.01)], "pool_fee=0.01", {1: 2}, {"": 1}])
def test_overrides_that_are_not_a_mapping_of_names_are_a_market_error(overrides):
    with pytest.raises(MarketError) as info:
        load_market(overrides=overrides)
    assert info.value.source == "overrides"


@pytest.mark.parametrize("date", ["9999-12-31", "2008-12-31", "2200-01-01"])
def test_a_date_outside_bitcoin_and_the_calendar_is_refused(date):
    """A market dated near year 9999 put the horizon past the calendar (ValueError in the
    yearly rows); before the genesis block there is no Bitcoin market."""
    with pytest.raises(MarketError, match="date"):
        load_market(None, {"date": date})


def test_set_date_takes_a_toml_date(run_cli):
    code, out, err = run_cli("compare", "--set", "date=2026-06-01", "--years", "1",
                             "--format", "json")
    assert code == 0, err
    assert '"2026-06-01"' in out


def test_a_file_on_a_built_in_base_changes_only_its_fields(tmp_path):
    """Four lines on the built-in market: those fields change, every other is the built-in's;
    the price tables merge entry by entry, the sources add up, and a hash rate in the file
    replaces the base's difficulty."""
    f = tmp_path / "bull.toml"
    f.write_text('base = "2025-11-13"\nname = "bull"\nbtc_price = "150000 USD/BTC"\n'
                 '[gpu_hour_price]\ngb300-nvl72 = "5 USD/hour"\n'
                 '[[sources]]\nurl = "https://example.org/"\nsupports = "btc_price"\n')
    base = load_market()
    m = load_market(f)
    assert m.id == "bull" and m.name == "bull"
    assert m.btc_price.m_as("USD/BTC") == 150_000
    assert m.gpu_hour_price_for("gb300-nvl72").m_as("USD/hour") == 5
    assert m.gpu_hour_price_for("dgx-b200") == base.gpu_hour_price_for("dgx-b200")
    for name in ("colocation_rate", "difficulty", "discount_rate", "date", "miner_price"):
        assert getattr(m, name) == getattr(base, name), name
    assert len(m.sources) == len(base.sources) + 1
    h = tmp_path / "hash.toml"
    h.write_text('base = "2025-11-13"\nnetwork_hashrate = "1.1 ZH/s"\n')
    assert load_market(h).network_hashrate.m_as("ZH/s") == pytest.approx(1.1)


@pytest.mark.parametrize("text, words", [
    ('base = "2024-01-01"\n', "unknown market id '2024-01-01'"),
    ('base = "./other.toml"\n', "must be the id of a built-in market"),
    ("base = 3\n", "must be the id of a built-in market"),
])
def test_a_bad_base_names_the_file_and_the_field(tmp_path, text, words):
    f = tmp_path / "m.toml"
    f.write_text(text)
    with pytest.raises(MarketError, match=words) as info:
        load_market(f)
    assert info.value.field == "base" and str(f) in str(info.value)
