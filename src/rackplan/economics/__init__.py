"""The economics wing: the market, mining, GPU-as-a-service and colocation for the same
site, their finance (NPV, IRR, payback) and :func:`~rackplan.economics.compare.compare`.

It uses the facility wing (a site sized for a profile) and the kernels; nothing above it.
"""
