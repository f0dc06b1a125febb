"""Market inputs (rackplan.market): the built-in 2025-11-13 market, overrides, bad files."""

from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from rackplan.errors import MarketError
from rackplan.market import (
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
    # CoinDesk XBX 4 pm close on 2025-11-13 (economics.md 0)
    assert m.btc_price.m_as("USD/BTC") == 98076
    # ~152-156 T in November 2025 (economics.md 1.4)
    assert 152e12 <= m.difficulty.magnitude <= 156e12
    # block 840,000 on 2024-04-20 + 572 days x 144 blocks (derived, economics.md 1.2)
    assert m.block_height == 840_000 + 572 * 144
    assert m.pool_fee == pytest.approx(0.02)
    assert m.gpu_hour_price_for("gb300-nvl72").m_as("USD/hour") == pytest.approx(3.13)
    # USD 128 M for 18 MW gross (economics.md 0)
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
    # D x 2^32 / 600: 152.3 T -> 1.090 ZH/s (economics.md 1.1)
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
