"""How a comparison reads its prices: one sentence per price and convention, from the market.

A winner depends on how each price is read as much as on its value (a GPU-hour price flat over
a contract or falling 20 % a year; a residual book value or a DCF terminal value), so
``compare`` states them next to its answer (``ComparisonResult.conventions``).
"""

from __future__ import annotations

from rackplan.economics.market import Market

__all__ = ["conventions"]


def _pct(share: float) -> str:
    return f"{100.0 * share:g} %"


def _yearly(rate: float, what: str) -> str:
    return f"{what} flat" if rate == 0 else f"{what} {'+' if rate > 0 else ''}{_pct(rate)} a year"


def conventions(mk: Market, gpu_system: str) -> dict[str, str]:
    """``{name: sentence}`` for the BTC price, the GPU-hour price, the colocation rate, the
    power price, the terminal value, the miners' running rule, maintenance and the taxes of
    market ``mk`` with GPU system ``gpu_system``."""
    hour = mk.gpu_hour_price_for(gpu_system).m_as("USD/hour")
    ramp = mk.utilization_ramp.m_as("month")
    gpu = (f"merchant: {hour:g} USD per GPU-hour from the first operating month, "
           + ("flat" if mk.gpu_price_decline == 0 else
              f"falling {_pct(mk.gpu_price_decline)} a year")
           + f", billed on {_pct(mk.utilization)} of the hours"
           + (f" reached over {ramp:g} months" if ramp > 0 else "")
           + f", {_pct(_merchant_sga(mk))} of their revenue to SG&A")
    if mk.gpu_contract_share > 0:
        gpu += (f"; {_pct(mk.gpu_contract_share)} of the GPUs on a take-or-pay contract at "
                f"{mk.gpu_contract_price.m_as('USD/hour'):g} USD per GPU-hour, flat and billed "
                f"every hour for {mk.gpu_contract_term.m_as('month'):g} months "
                f"({_pct(mk.gpu_prepayment)} prepaid), then merchant; " + _tenant(mk))
    terminal = {
        "dcf": "each option valued over its fleet's life (its IT's useful life), the months "
               "after the horizon counted as they come, then the facility at "
               f"{_pct(mk.residual_value)} of its book value",
        "book": f"{_pct(mk.residual_value)} of the undepreciated book value at the horizon",
        "zero": "nothing after the horizon",
    }[mk.terminal_value]
    return {
        "btc_price": (f"{mk.btc_price.m_as('USD/BTC'):,.0f} USD/BTC at the market date, "
                      + _yearly(mk.btc_price_growth, "then") + "; " + _difficulty(mk)),
        "gpu_hour_price": gpu,
        "colocation_rate": (f"{mk.colocation_rate.m_as('USD/kW/month'):g} USD per kW of IT a "
                            "month, " + _yearly(mk.colocation_escalator, "escalating") +
                            ", the tenant's IT and power passed through; " + _tenant(mk)),
        "power_price": (f"{mk.power_price.m_as('USD/MWh'):g} USD/MWh and "
                        f"{mk.demand_charge.m_as('USD/kW/month'):g} USD/kW-month of demand "
                        "charge on the peak facility power, "
                        + _yearly(mk.power_price_growth, "both")),
        "terminal_value": f"{mk.terminal_value}: {terminal}",
        "miners": (("the site's own, kept (fleet and facility sunk: no capex); "
                    if mk.mining_baseline == "existing" else "bought new; ")
                   + ("switched off in a month whose revenue after SG&A does not cover their "
                      "power" if mk.miner_shutdown else
                      "hashing in every month, at a loss where the hashprice is below their "
                      "power cost")),
        "maintenance": _maintenance(mk),
        "taxes": _taxes(mk),
    }


def _merchant_sga(mk: Market) -> float:
    """SG&A's share of the GPU hours sold at the merchant price."""
    return mk.sga_share if mk.sga_share_merchant is None else mk.sga_share_merchant


def _maintenance(mk: Market) -> str:
    """What maintenance costs, and when the IT's starts."""
    def after(warranty) -> str:
        months = warranty.m_as("month")
        return "from the first operating month" if months == 0 else f"after {months:g} months"
    return (f"IT {_pct(mk.maintenance_it)} a year of its capex once out of warranty (miners "
            f"{after(mk.miner_warranty)}, GPU systems {after(mk.gpu_warranty)}); facility "
            f"{_pct(mk.maintenance_facility)} a year of its capex")


def _tenant(mk: Market) -> str:
    """A tenant's credit (colocation's, the GPU contract tranche's: one rate for both)."""
    if mk.tenant_default_rate == 0:
        return "the tenant never defaults"
    return (f"the tenant defaults with {_pct(mk.tenant_default_rate)} probability a year, "
            f"after which {_pct(mk.tenant_recovery)} of the rent is earned (expected value)")


def _difficulty(mk: Market) -> str:
    """How the network's difficulty moves."""
    if mk.difficulty_model == "trend":
        return (f"difficulty {'+' if mk.difficulty_growth >= 0 else ''}"
                f"{_pct(mk.difficulty_growth)} a month")
    return ("the network's hash rate follows the hashprice to the marginal fleet's cost "
            f"({mk.network_cost.m_as('USD/PH/day'):g} USD/PH/day, falling "
            f"{_pct(mk.network_efficiency_gain)} a year), closing "
            f"{_pct(mk.difficulty_adjustment)} of the gap a month")


def _taxes(mk: Market) -> str:
    """How the cash flows are taxed."""
    if mk.tax_rate == 0:
        income = "pre-tax (tax_rate 0)"
    else:
        method = {"straight_line": "straight-line tax depreciation",
                  "macrs": "MACRS tax depreciation",
                  "bonus": f"{_pct(mk.bonus_depreciation)} bonus depreciation, MACRS on the "
                           "rest"}[mk.tax_depreciation]
        carried = (f"; the stand-alone figures carry it forward against up to "
                   f"{_pct(mk.loss_carryforward_limit)} of a later year's income"
                   if mk.stand_alone_tax else " (no carry-forward)")
        income = (f"after {_pct(mk.tax_rate)} income tax with {method}; a loss offsets other "
                  f"income at once{carried}")
    sales = ("exempt from sales tax" if mk.sales_tax_exempt or mk.sales_tax == 0 else
             f"{_pct(mk.sales_tax)} sales tax on IT equipment")
    return (f"{income}; {sales}; property tax {_pct(mk.property_tax)} a year of book value; "
            "unlevered")
