"""The faces for people who read: :func:`rackplan.report` writes one self-contained HTML file
(the case, every input with its source, the sizing, the year of weather, the economics, the
breakevens, the Monte Carlo and the warnings), with matplotlib figures inline.

Named ``reporting``, not ``report``: no module shares its name with a public function, so
``rackplan.report`` stays the function whatever was imported. No physics and no economics
here: every number comes from the public functions of the wings below.
"""
