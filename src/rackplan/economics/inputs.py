"""The units people write each input of a case in: ``--set`` values, sweep ranges, the
inputs a study records, the sensitivities. The kernels take SI
(:data:`rackplan.kernels.engine.PARAM_UNITS`); these are the units of the files and the
command line (``btc_price`` in USD/BTC, ``power_price`` in USD/MWh, ``utility_power`` in MW).
"""

from __future__ import annotations

__all__ = ["user_units"]

#: The unit people write each parameter in (``--set``, sweep ranges); ``pue`` is the site's
#: fixed PUE, which sets ``pue_mine``, ``pue_gpu`` and their ``energy_pue_*``.
_USER_UNITS = {
    "utility_power": "MW", "pue": "1", "pue_mine": "1", "pue_gpu": "1", "aisle_factor": "1",
    "white_space": "m**2", "floor_load_limit": "kg/m**2", "heat_rejection_capacity": "MW",
    "miner_power": "W", "miner_hashrate": "TH/s", "miner_units_per_rack": "1",
    "miner_rack_footprint": "m**2", "miner_rack_weight": "kg",
    "gpu_power_max": "kW", "gpu_power_typical": "kW", "gpus_per_unit": "1",
    "gpu_units_per_rack": "1", "gpu_rack_footprint": "m**2", "gpu_rack_weight": "kg",
    "btc_price": "USD/BTC", "difficulty": "1", "fees_per_block": "BTC", "block_height": "1",
    "difficulty_growth": "1", "btc_price_growth": "1", "pool_fee": "1", "uptime": "1",
    "power_price": "USD/MWh", "demand_charge": "USD/kW/month", "power_price_growth": "1",
    "gpu_hour_price": "USD/hour", "gpu_system_price": "USD", "gpu_price_decline": "1",
    "utilization": "1", "utilization_ramp": "month", "gpu_contract_share": "1",
    "gpu_contract_price": "USD/hour", "gpu_contract_term": "month", "gpu_prepayment": "1",
    "gpu_idle_power_share": "1", "installation_per_gpu": "USD",
    "staff_per_1000_gpus": "1", "network_software": "USD/month", "build_period": "month",
    "colocation_rate": "USD/kW/month", "colocation_escalator": "1",
    "colocation_opex_share": "1", "facility_capex": "USD/MW", "miner_price": "USD/(TH/s)",
    "mining_facility_capex": "USD/MW", "mining_build_period": "month",
    "staff_cost": "USD/year", "mining_staff_per_mw": "1/MW", "maintenance_it": "1",
    "maintenance_facility": "1", "insurance": "1", "sga_share": "1", "discount_rate": "1",
    "discount_rate_mine": "1", "discount_rate_gpuaas": "1", "discount_rate_colocation": "1",
    "useful_life_it": "year", "useful_life_facility": "year", "residual_value": "1",
    "terminal_value": "1", "miner_shutdown": "1", "tax_rate": "1", "tax_depreciation": "1",
    "bonus_depreciation": "1", "sales_tax": "1", "property_tax": "1",
    "difficulty_model": "1", "network_cost": "USD/hash", "network_efficiency_gain": "1",
    "difficulty_adjustment": "1", "mining_existing": "1", "miner_warranty": "month",
    "gpu_warranty": "month", "tenant_default_rate": "1", "tenant_recovery": "1",
    "rack_positions": "1", "design_rack_power": "kW", "energy_pue_mine": "1",
    "energy_pue_gpu": "1", "mining_weather_uptime": "1", "gpu_power_outside": "kW",
    "sga_share_merchant": "1",
}


def user_units() -> dict[str, str]:
    """For each parameter a user can vary, the unit users write it in (``btc_price``
    ``"USD/BTC"``, ``power_price`` ``"USD/MWh"``, ``utility_power`` ``"MW"``, shares ``"1"``).
    Every name of :data:`~rackplan.kernels.engine.PARAMS` is here, plus ``pue`` (which
    sets ``pue_mine``, ``pue_gpu``, ``energy_pue_mine`` and ``energy_pue_gpu``)."""
    return dict(_USER_UNITS)
