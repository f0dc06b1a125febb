"""The studies: many scenarios at once as xarray Datasets: grids (:mod:`.grid`), sweeps and
breakeven surfaces (:mod:`.sweep`), Monte Carlo (:mod:`.montecarlo`) and the files, budgets and
progress they need (:mod:`.io`), chunked with dask and run on a cluster when asked.
"""
