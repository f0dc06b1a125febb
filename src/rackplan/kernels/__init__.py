"""Numba kernels on float64 SI arrays, and their NumPy twins.

Nothing here imports pint, pydantic or xarray. Each kernel ``foo`` has a NumPy twin
``foo_numpy`` with the same signature and results: the oracle in tests, the baseline in
benchmarks. Argument names carry their unit where it is not obvious (``power_w``, ``delta_t_k``).
"""
