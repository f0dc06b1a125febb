"""The facility wing: hardware profiles, sites, coolants and the sizing of a site for a
profile (what fits, what binds, the heat to liquid and to air, the flows).

Models take validated inputs (pydantic models of pint quantities), convert to SI once and call
the numba kernels of :mod:`rackplan.kernels`; they import nothing from the economics or the
studies above them.
"""
