"""Counter-based random numbers for the Monte Carlo kernel, with NumPy twins.

Every number is a pure function of ``(key, counter)``: the uniform number ``d`` of a stream is
``splitmix64(key + (d + 1) * GOLDEN)`` (Steele, Lea & Flood 2014, the generator of
``java.util.SplittableRandom``), whose top 53 bits make a float64 in (0, 1). A path's key comes
from the seed and the path number, so a path's numbers never depend on which thread draws them
or how many paths run, and the NumPy twin draws the same numbers vectorized.

Normals: the ziggurat method (Marsaglia & Tsang 2000, J. Stat. Softw. 5(8)) in Doornik's
ZIGNOR form (2005, "An improved ziggurat method to generate normal random samples"): 128
layers; the layer comes from the low 7 bits of a draw and the value from its top 53 bits (no
correlation between the two). About 97 % of normals cost one draw, a multiply and a compare;
the rest take a wedge or tail step with ``exp`` or ``log`` and more draws. Normal number ``j``
of a stream owns the draws ``[64 j, 64 j + 64)``, so rejections never shift other normals.
:func:`ndtri` (the AS241 inverse normal CDF, as in Python's ``statistics.NormalDist``) is the
fallback after 60 draws (never reached in practice: each attempt fails with probability
~1.2 %).
"""

from __future__ import annotations

import math

import numpy as np
from llvmlite import ir as llvmir
from numba import types
from numba.core import cgutils
from numba.core.extending import intrinsic

from rackplan._jit import njit

__all__ = ["GOLDEN", "mix", "path_key", "uniform", "normal", "normals", "exp_inplace", "ndtri", "mix_numpy",
           "path_key_numpy", "uniform_numpy", "normal_numpy", "ndtri_numpy"]

GOLDEN = np.uint64(0x9E3779B97F4A7C15)  # 2**64 / golden ratio: splitmix64's increment
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30, _S27, _S31, _S11 = np.uint64(30), np.uint64(27), np.uint64(31), np.uint64(11)
_LAYER_MASK = np.uint64(127)
_TWO_M53 = 1.0 / 9007199254740992.0  # 2**-53
_TWO_M52 = 2.0 * _TWO_M53
DRAWS_PER_NORMAL = 64


# --- the ziggurat's tables (Doornik 2005, ZIGNOR with C = 128) ----------------------------------
_C = 128
_R = 3.442619855899  # start of the tail
_V = 9.91256303526217e-3  # area of each layer


def _tables():
    x = np.zeros(_C + 1)
    f = math.exp(-0.5 * _R * _R)
    x[0] = _V / f  # the base layer's width, tail included
    x[1] = _R
    for i in range(2, _C):
        x[i] = math.sqrt(-2.0 * math.log(_V / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    return x, x[1:] / x[:-1]


_ZX, _ZR = _tables()
# f1 / f0 in a layer's wedge test, exp((x_i**2 - x_{i+1}**2) / 2) (layer 0 has no wedge)
_ZC = np.exp(0.5 * (_ZX[:-1] ** 2 - _ZX[1:] ** 2))
# from the first draw of a normal to that of the next: 64 GOLDEN, modulo 2**64
_NORMAL_STEP = np.uint64(DRAWS_PER_NORMAL * int(GOLDEN) % 2**64)
_WEDGE_MARGIN = 2.0**-30  # ~1e-9: far above the fast wedge test's error (~1e-14)


# --- uniforms -----------------------------------------------------------------------------------


@njit
def mix(z):
    """splitmix64's output function, uint64 -> uint64."""
    z = np.uint64(z)  # a signed argument would shift in sign bits
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit
def path_key(seed, path):
    """The stream key of path ``path`` under ``seed`` (both non-negative)."""
    return mix(np.uint64(seed) ^ mix(np.uint64(path) * GOLDEN + GOLDEN))


@njit
def _bits(key, draw):
    return mix(np.uint64(key) + np.uint64(draw + 1) * GOLDEN)


@njit
def uniform(key, draw):
    """Uniform number ``draw`` of stream ``key``: a float64 in (0, 1)."""
    return (float(_bits(key, draw) >> _S11) + 0.5) * _TWO_M53


# --- exp ------------------------------------------------------------------------------------------

# exp by Cody-Waite reduction (fdlibm's split of ln 2) to |r| <= ln(2)/2, a polynomial for e**r
# evaluated by Horner's rule with fused multiply-adds, times 2**m built in the exponent bits: no
# call to libm, so LLVM vectorizes the loop. The polynomial is e**r's Chebyshev series on
# |r| <= 1.001 ln(2)/2 (coefficients 2 I_k(a), modified Bessel functions) cut after degree 11,
# in powers of r, computed in exact rational arithmetic and rounded to float64: truncation
# error 3.1e-18, near the minimax polynomial's, where the Taylor polynomial needs degree 13.
# Within 1 ulp of NumPy's exp (tested).
_LOG2E = 1.4426950408889634
_LN2_HI = 6.93147180369123816490e-01
_LN2_LO = 1.90821492927058770002e-10
_EXP_COEF = np.array([  # highest power first
    2.5114995951301997e-08, 2.7632791582662336e-07, 2.7557224578181578e-06,
    2.4801485070974322e-05, 0.000198412699096288, 0.0013888888952699812,
    0.008333333333309335, 0.04166666666648665, 0.16666666666666702, 0.5000000000000019, 1.0,
    1.0])
_SHIFTER = 6755399441055744.0  # 1.5 * 2**52: adding it rounds to an integer, kept in the low bits
_EXP_BIAS = 1023 - 0x4338000000000000  # _SHIFTER's bits taken away, the exponent's bias added


@intrinsic
def _fma(typingctx, a, b, c):
    """``a * b + c`` rounded once (``llvm.fma``: one instruction on x86-64 CPUs with FMA3, Intel
    since Haswell and AMD since Piledriver; elsewhere LLVM calls libm's ``fma``)."""
    sig = types.float64(types.float64, types.float64, types.float64)

    def codegen(context, builder, signature, args):
        f64 = llvmir.DoubleType()
        fn = cgutils.get_or_insert_function(builder.module, llvmir.FunctionType(f64, [f64] * 3),
                                            "llvm.fma.f64")
        return builder.call(fn, args)

    return sig, codegen


@intrinsic
def _int_bits(typingctx, x):
    """The bits of float64 ``x`` as an int64."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmir.IntType(64))

    return types.int64(types.float64), codegen


@intrinsic
def _float_of_bits(typingctx, b):
    """The float64 whose bits are int64 ``b``."""
    def codegen(context, builder, signature, args):
        return builder.bitcast(args[0], llvmir.DoubleType())

    return types.float64(types.int64), codegen


@njit
def _exp(v):
    """exp(v) for ``v`` in [-700, 700], the body of :func:`exp_inplace`'s loops."""
    t = _fma(v, _LOG2E, _SHIFTER)  # m = round(v / ln 2), in t's low bits
    m = t - _SHIFTER
    r = _fma(-m, _LN2_LO, _fma(-m, _LN2_HI, v))
    c = _EXP_COEF
    p = _fma(c[0], r, c[1])
    for j in range(2, 12):
        p = _fma(p, r, c[j])
    return p * _float_of_bits((_int_bits(t) + _EXP_BIAS) << 52)  # times 2**m


@njit
def exp_inplace(x, bits):
    """``x[k] = exp(x[k])`` for every ``k``, vectorized. ``bits`` (int64 scratch of x's size)
    is not used any more: it stays so that callers need not change.

    ``x`` is clipped to +-700 first (the multipliers' logs never come near)."""
    for k in range(x.shape[0]):
        x[k] = _exp(min(max(x[k], -700.0), 700.0))


# --- normals ------------------------------------------------------------------------------------

# AS241 (Wichura 1988, Applied Statistics 37(3) 477-484), highest power first, as in CPython's
# statistics._normal_dist_inv_cdf; accurate to about 1e-16.
_A = np.array([2.5090809287301226727e+3, 3.3430575583588128105e+4, 6.7265770927008700853e+4,
               4.5921953931549871457e+4, 1.3731693765509461125e+4, 1.9715909503065514427e+3,
               1.3314166789178437745e+2, 3.3871328727963666080e+0])
_B = np.array([5.2264952788528545610e+3, 2.8729085735721942674e+4, 3.9307895800092710610e+4,
               2.1213794301586595867e+4, 5.3941960214247511077e+3, 6.8718700749205790830e+2,
               4.2313330701600911252e+1, 1.0])
_CC = np.array([7.74545014278341407640e-4, 2.27238449892691845833e-2, 2.41780725177450611770e-1,
                1.27045825245236838258e+0, 3.64784832476320460504e+0, 5.76949722146069140550e+0,
                4.63033784615654529590e+0, 1.42343711074968357734e+0])
_D = np.array([1.05075007164441684324e-9, 5.47593808499534494600e-4, 1.51986665636164571966e-2,
               1.48103976427480074590e-1, 6.89767334985100004550e-1, 1.67638483018380384940e+0,
               2.05319162663775882187e+0, 1.0])
_E = np.array([2.01033439929228813265e-7, 2.71155556874348757815e-5, 1.24266094738807843860e-3,
               2.65321895265761230930e-2, 2.96560571828504891230e-1, 1.78482653991729133580e+0,
               5.46378491116411436990e+0, 6.65790464350110377720e+0])
_F = np.array([2.04426310338993978564e-15, 1.42151175831644588870e-7, 1.84631831751005468180e-5,
               7.86869131145613259100e-4, 1.48753612908506148525e-2, 1.36929880922735805310e-1,
               5.99832206555887937690e-1, 1.0])


@njit
def _horner(c, r):
    acc = c[0]
    for j in range(1, 8):
        acc = acc * r + c[j]
    return acc


@njit
def ndtri(p):
    """The standard normal quantile of ``p`` in (0, 1) (AS241)."""
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        return q * _horner(_A, r) / _horner(_B, r)
    r = np.sqrt(-np.log(p if q <= 0.0 else 1.0 - p))
    if r <= 5.0:
        x = _horner(_CC, r - 1.6) / _horner(_D, r - 1.6)
    else:
        x = _horner(_E, r - 5.0) / _horner(_F, r - 5.0)
    return -x if q < 0.0 else x


@njit
def _beyond(key, first, d, bits):
    """Normal number ``first // 64`` of stream ``key``, taken on from draw ``d - 1`` (``bits``),
    the loop of :func:`normal` from there: the draw's rectangle, wedge or tail, then more."""
    end = first + DRAWS_PER_NORMAL - 4
    while True:
        i = np.int64(bits & _LAYER_MASK)
        u = (float(bits >> _S11) + 0.5) * _TWO_M52 - 1.0  # in (-1, 1)
        if abs(u) < _ZR[i]:
            return u * _ZX[i]  # inside the layer's rectangle: ~97 % of draws
        if i == 0:  # the base layer's tail beyond R (Marsaglia 1964)
            while d < end:
                a = np.log(uniform(key, d)) / _R
                b = np.log(uniform(key, d + 1))
                d += 2
                if -2.0 * b >= a * a:
                    return a - _R if u < 0.0 else _R - a
            break
        x = u * _ZX[i]
        f0 = np.exp(-0.5 * (_ZX[i] * _ZX[i] - x * x))
        f1 = np.exp(-0.5 * (_ZX[i + 1] * _ZX[i + 1] - x * x))
        w = uniform(key, d)
        d += 1
        if f1 + w * (f0 - f1) < 1.0:
            return x  # in the wedge under the curve
        if d >= end:
            break
        bits = _bits(key, d)
        d += 1
    return ndtri(uniform(key, first))


@njit
def normal(key, j):
    """Standard normal number ``j`` of stream ``key`` (ziggurat; see the module docstring)."""
    first = DRAWS_PER_NORMAL * j
    return _beyond(key, first, first + 1, _bits(key, first))


@njit
def normals(key, j0, out, scratch):
    """``out[k] = normal(key, j0 + k)`` for every ``k``: the same numbers as :func:`normal`,
    bit for bit. ``scratch``: float64, as ``out``.

    In passes, so that no branch is hard to predict (a mispredicted branch costs more than a
    normal), and the ~3 % whose first draw falls outside its layer's rectangle take their next
    steps from where they are, not from the start:

    1. every normal's first draw, in a branch-free loop that LLVM vectorizes: ``out[k]`` is its
       value, final for the ~97 % inside their rectangle, and ``scratch[k]`` is -1 for these,
       ``128 k + layer`` for the others (a float: exact);
    2. the others' codes packed to the front of ``scratch``;
    3. their wedge tests (the draw after the first is the wedge's uniform; see
       :func:`_normals`), and for those that miss, the next draw's rectangle test; the codes of
       the rest (~0.1 % of normals: missed again, the base layer's tail, or a wedge test too
       close to call) are packed again;
    4. the rest through :func:`normal`'s loop, from where they are.
    """
    _normals(key, j0, out, scratch, _WEDGE_MARGIN)


@njit(inline="always")  # as a call, it made normals 6 % slower
def _normals(key, j0, out, scratch, margin):
    """:func:`normals`, whose pass 3 leaves to pass 4 a wedge test within ``margin`` of its
    threshold (a test passes a large margin to send them all there).

    Pass 3 takes :func:`normal`'s wedge test ``f1 + w (f0 - f1) < 1``, with f0 and f1 libm's
    exps, as ``g = f0' (C + w (1 - C)) < 1``, with ``f0' = _exp(t0)`` (within 1 ulp of libm's
    f0) and ``f1' = f0' C``, C = _ZC[layer] the ratio f1 / f0 in exact arithmetic: the rounding
    of t0 and t1 puts f1' within 1e-14 (relative) of f1, so g is within 5e-14 of the libm test's
    value (f1 < 2.1), and outside ``margin`` = 2**-30 (~1e-9) of 1 the two tests agree.
    """
    n = out.shape[0]
    z = np.uint64(key) + np.uint64(DRAWS_PER_NORMAL * j0 + 1) * GOLDEN  # _bits(key, 64 j0)'s
    for k in range(n):
        bits = mix(z)  # _bits(key, 64 (j0 + k))
        z += _NORMAL_STEP
        i = np.int64(bits & _LAYER_MASK)
        # the top 53 bits as a signed integer: exact, and a conversion AVX-512 vectorizes
        u = (float(np.int64(bits >> _S11)) + 0.5) * _TWO_M52 - 1.0
        out[k] = u * _ZX[i]
        scratch[k] = -1.0 if abs(u) < _ZR[i] else float((k << 7) | i)  # 128 layers
    m = 0
    for k in range(n):  # pack; scratch[m] is read (as scratch[k]) before it is written
        v = scratch[k]
        scratch[m] = v
        m += 1 if v >= 0.0 else 0
    rest = 0
    for q in range(m):  # the wedges, then the next draw's rectangle
        v = scratch[q]
        k = int(v) >> 7
        i = int(v) & 127
        first = DRAWS_PER_NORMAL * (j0 + k)
        x = out[k]
        f0 = _exp(-0.5 * (_ZX[i] * _ZX[i] - x * x))
        w = uniform(key, first + 1)
        g = f0 * (_ZC[i] + w * (1.0 - _ZC[i]))
        under = (g < 1.0 - margin) & (i != 0)  # x stands
        missed = (g > 1.0 + margin) & (i != 0)
        bits = _bits(key, first + 2)
        i2 = np.int64(bits & _LAYER_MASK)
        u2 = (float(np.int64(bits >> _S11)) + 0.5) * _TWO_M52 - 1.0
        y = u2 * _ZX[i2]  # computed whether used or not: a select, not a branch, below
        inside = missed & (abs(u2) < _ZR[i2])
        out[k] = y if inside else x
        scratch[rest] = v if missed else -1.0 - v  # < 0: start again from the first draw
        rest += 0 if under | inside else 1
    for q in range(rest):
        v = scratch[q]
        if v >= 0.0:  # missed the wedge, then the next draw's rectangle
            k = int(v) >> 7
            first = DRAWS_PER_NORMAL * (j0 + k)
            out[k] = _beyond(key, first, first + 3, _bits(key, first + 2))
        else:  # the base layer's tail, or a wedge test too close to call: as normal() does
            k = int(-1.0 - v) >> 7
            first = DRAWS_PER_NORMAL * (j0 + k)
            out[k] = _beyond(key, first, first + 1, _bits(key, first))


# --- NumPy twins --------------------------------------------------------------------------------


def mix_numpy(z):
    """NumPy twin of the splitmix64 finalizer (uint64 arrays in, uint64 out)."""
    z = np.asarray(z, dtype=np.uint64)
    with np.errstate(over="ignore"):  # uint64 arithmetic wraps on purpose
        z = (z ^ (z >> _S30)) * _M1
        z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


def path_key_numpy(seed, paths):
    """NumPy twin of :func:`path_key`: the stream key of each path number under ``seed``."""
    paths = np.asarray(paths, dtype=np.uint64)
    with np.errstate(over="ignore"):
        return mix_numpy(np.uint64(seed) ^ mix_numpy(paths * GOLDEN + GOLDEN))


def _bits_numpy(keys, draws):
    with np.errstate(over="ignore"):
        return mix_numpy(keys + (np.asarray(draws, dtype=np.uint64) + np.uint64(1)) * GOLDEN)


def uniform_numpy(keys, draws):
    """NumPy twin of the uniforms: draw ``draws`` of stream ``keys``, in the open (0, 1)."""
    return ((_bits_numpy(keys, draws) >> _S11).astype(np.float64) + 0.5) * _TWO_M53


def _horner_numpy(c, r):
    acc = np.full_like(r, c[0])
    for j in range(1, 8):
        acc = acc * r + c[j]
    return acc


def ndtri_numpy(p):
    """NumPy twin of :func:`ndtri` (element-wise)."""
    p = np.asarray(p, dtype=np.float64)
    q = p - 0.5
    out = np.empty_like(p)
    mid = np.abs(q) <= 0.425
    qm = q[mid]
    r = 0.180625 - qm * qm
    out[mid] = qm * _horner_numpy(_A, r) / _horner_numpy(_B, r)
    qt, pt = q[~mid], p[~mid]
    r = np.sqrt(-np.log(np.where(qt <= 0.0, pt, 1.0 - pt)))
    near = r <= 5.0
    x = np.empty_like(r)
    x[near] = _horner_numpy(_CC, r[near] - 1.6) / _horner_numpy(_D, r[near] - 1.6)
    x[~near] = _horner_numpy(_E, r[~near] - 5.0) / _horner_numpy(_F, r[~near] - 5.0)
    out[~mid] = np.where(qt < 0.0, -x, x)
    return out


def normal_numpy(keys, js):
    """NumPy twin of :func:`normal`: ``keys`` and ``js`` broadcast to the result's shape.

    All normals take their first draw at once; the ~1 % that fall outside their layer's
    rectangle go round again, as a smaller array, until every one is accepted.
    """
    keys, js = np.broadcast_arrays(np.asarray(keys, dtype=np.uint64),
                                   np.asarray(js, dtype=np.int64))
    shape = keys.shape
    keys, js = keys.ravel(), js.ravel()
    out = np.empty(keys.shape)
    first = DRAWS_PER_NORMAL * js
    d = first.copy()
    end = first + DRAWS_PER_NORMAL - 4
    todo = np.arange(keys.size)
    while todo.size:
        k, dd = keys[todo], d[todo]
        bits = _bits_numpy(k, dd)
        dd = dd + 1
        i = (bits & _LAYER_MASK).astype(np.int64)
        u = ((bits >> _S11).astype(np.float64) + 0.5) * _TWO_M52 - 1.0
        fast = np.abs(u) < _ZR[i]
        out[todo[fast]] = u[fast] * _ZX[i[fast]]
        again = np.zeros(todo.size, dtype=bool)
        tail = ~fast & (i == 0)
        wedge = ~fast & (i != 0)
        # tail: pairs of draws until one is accepted (or the draws run out)
        t_idx = np.flatnonzero(tail)
        while t_idx.size:
            ok = dd[t_idx] < end[todo[t_idx]]
            gone = t_idx[~ok]
            out[todo[gone]] = ndtri_numpy(uniform_numpy(keys[todo[gone]], first[todo[gone]]))
            t_idx = t_idx[ok]
            a = np.log(uniform_numpy(k[t_idx], dd[t_idx])) / _R
            b = np.log(uniform_numpy(k[t_idx], dd[t_idx] + 1))
            dd[t_idx] += 2
            acc = -2.0 * b >= a * a
            neg = u[t_idx] < 0.0
            out[todo[t_idx[acc]]] = np.where(neg[acc], a[acc] - _R, _R - a[acc])
            t_idx = t_idx[~acc]
        w_idx = np.flatnonzero(wedge)
        iw = i[w_idx]
        x = u[w_idx] * _ZX[iw]
        f0 = np.exp(-0.5 * (_ZX[iw] * _ZX[iw] - x * x))
        f1 = np.exp(-0.5 * (_ZX[iw + 1] * _ZX[iw + 1] - x * x))
        w = uniform_numpy(k[w_idx], dd[w_idx])
        dd[w_idx] += 1
        acc = f1 + w * (f0 - f1) < 1.0
        out[todo[w_idx[acc]]] = x[acc]
        again[w_idx[~acc]] = True
        d[todo] = dd
        retry = todo[again]
        spent = d[retry] >= end[retry]
        out[retry[spent]] = ndtri_numpy(uniform_numpy(keys[retry[spent]], first[retry[spent]]))
        todo = retry[~spent]
    return out.reshape(shape)
