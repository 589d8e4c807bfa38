"""Compact histograms of gradient and hessian sums per (feature, bin).

A node's histogram is one float64 array of shape ``(n_hist_bins, 2)`` (column 0 sums
gradients, column 1 hessians), or with quantized gradients (:func:`quantize`) one int64
array of shape ``(n_hist_bins, 1)`` whose words each hold both integer sums. Feature ``f``
owns the rows ``offsets[f]`` to ``offsets[f] + n_bins[f]``: one per value bin, then one for
its missing values, so a feature with 17 distinct values takes 18 rows, not 256 (rows
between features, if any, are unused: see :func:`hist_offsets`). The grower
keeps such histograms in a pool (one slot per node that may still be split) and derives a
sibling by subtraction in place.

A node's rows are a contiguous range of a row-index buffer (the grower partitions the row
ids at every split, and nothing else), in increasing order: building its histogram reads the
binned matrix and the gradient pairs at those rows, fetching a few rows ahead
(:func:`prefetch`) because deep nodes' rows lie far apart. Large nodes are cut into a
number of chunks that depends only on the number of rows, never on the number of threads;
each chunk fills its own partial histogram and the partials are added in chunk order, so
sums, and the models, are bit-identical whatever ``n_jobs`` is.
"""

import numpy as np

from .jit import intrinsic, njit, when_numba_loads

CHUNK_ROWS = 16384
MAX_CHUNKS = 16
# Rows fetched ahead of the one being added: enough to hide a read from the last-level cache.
PREFETCH_ROWS = 8


@intrinsic
def prefetch(typingctx, array, r, c):
    """Ask the CPU to bring the cache line of ``array[r, c]`` (a 2-D array) into its
    caches. A hint: no value, and no fault whatever the address."""
    from llvmlite import ir
    from numba.core import cgutils, types

    sig = types.void(array, r, c)

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        ary = context.make_array(array_type)(context, builder, args[0])
        index = [context.cast(builder, v, t, types.intp)
                 for v, t in zip(args[1:], signature.args[1:], strict=True)]
        byte = ir.IntType(8).as_pointer()
        pointer = builder.bitcast(
            cgutils.get_item_pointer(context, builder, array_type, ary, index), byte)
        int32 = ir.IntType(32)
        fn = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [byte, int32, int32, int32]),
            "llvm.prefetch.p0i8")
        # A read, kept in every cache level, of data.
        builder.call(fn, [pointer, ir.Constant(int32, 0), ir.Constant(int32, 3),
                          ir.Constant(int32, 1)])
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True)
def n_chunks(n_rows):
    """Chunks a node of ``n_rows`` rows is cut into (1 to :data:`MAX_CHUNKS`)."""
    n = n_rows // CHUNK_ROWS
    if n < 1:
        return 1
    if n > MAX_CHUNKS:
        return MAX_CHUNKS
    return n


# Unused histogram rows between two parts of the features (see :func:`hist_offsets`): at
# least 128 bytes of packed or float sums.
PART_GAP = 16


def part_features(n_features, part, n_parts):
    """The features ``f0:f1`` of part ``part`` of ``n_parts`` near-equal runs."""
    return n_features * part // n_parts, n_features * (part + 1) // n_parts


def hist_offsets(n_bins, n_parts=1):
    """First histogram row of every feature, and the total, for ``n_bins`` value bins each
    (one more row per feature for missing values).

    With ``n_parts``, the first feature of each of the :func:`part_features` after the
    first starts :data:`PART_GAP` rows after the row before it: threads that build the
    parts of one histogram then never write to the same pair of cache lines (the CPU
    fetches lines in aligned pairs, and a pair written by two threads goes back and forth
    between them at every row, which on features of a few bins costs more than the
    build)."""
    sizes = np.asarray(n_bins, dtype=np.int64) + 1
    for part in range(1, n_parts):
        f = part_features(len(sizes), part, n_parts)[0]
        if 0 < f < len(sizes):
            sizes[f - 1] += PART_GAP
    offsets = np.zeros(len(sizes) + 1, dtype=np.int64)
    np.cumsum(sizes, out=offsets[1:])
    return offsets


def kernel_layout(n_bins, n_parts=1):
    """``(offsets, n_bins)`` as the unsigned arrays :func:`accumulate` reads."""
    return (hist_offsets(n_bins, n_parts).astype(np.uint64),
            np.ascontiguousarray(n_bins, dtype=np.uint64))


@njit(cache=True, nogil=True)
def accumulate(X, gh, rows, start, stop, offsets, n_bins, hist):
    """Add the rows ``rows[start:stop]`` of binned rows ``X`` and gradient pairs ``gh`` into
    ``hist``.

    ``offsets`` and ``n_bins`` are unsigned (:func:`kernel_layout`), so that indexing needs
    no negative-index code. The missing code (255) is above every feature's value bins, so
    ``min(code, n_bins[f])`` sends it to the feature's missing row without a branch.
    """
    accumulate_features(X, gh, rows, start, stop, offsets, n_bins, hist, np.int64(0),
                        X.shape[1])


def accumulate_features(X, gh, rows, start, stop, offsets, n_bins, hist, f0, f1):
    """:func:`accumulate` for the features ``f0:f1`` only (their histogram rows); float
    pairs or packed integer pairs after ``gh``'s dtype. Compiled code only."""
    raise TypeError("accumulate_features runs in compiled code only")


def _accumulate_features(X, gh, rows, start, stop, offsets, n_bins, hist, f0, f1):
    from numba.core import types

    add = _add_packed if isinstance(gh.dtype, types.Integer) else _add_pairs

    def accumulate_rows(X, gh, rows, start, stop, offsets, n_bins, hist, f0, f1):
        if _clamps(X, n_bins, f0, f1):
            add(X, gh, rows, start, stop, offsets, n_bins, hist, f0, f1, True)
        else:
            add(X, gh, rows, start, stop, offsets, n_bins, hist, f0, f1, False)
    return accumulate_rows


@njit(cache=True, nogil=True, inline="always")
def _fetch_ahead(X, gh, rows, i, stop, f0):
    """Prefetch the row :data:`PREFETCH_ROWS` positions after ``i`` (the last one near the
    end): its code of feature ``f0`` (the first of the features being added) and its
    gradient pair. (Fetching a straddling row's second cache line as well cost more than
    it saved.)"""
    r = rows[min(i + PREFETCH_ROWS, stop - 1)]
    prefetch(X, r, f0)
    prefetch(gh, r, 0)


@njit(cache=True, nogil=True, inline="always")
def _clamps(X, n_bins, f0, f1):
    """Whether a feature of ``f0:f1`` has fewer value bins than ``X``'s largest code (the
    missing one), so that its codes must be clamped to its missing row. Features of
    continuous data have as many bins as the codes allow, and their updates skip the
    clamp."""
    top = (np.uint64(1) << np.uint64(8 * X.itemsize)) - np.uint64(1)
    for f in range(f0, f1):
        if n_bins[f] < top:
            return True
    return False


@njit(cache=True, nogil=True, inline="always")
def _bin_of(X, r, f, first, n, clamp):
    """Histogram row of row ``r``'s code of feature ``f`` (whose rows start at ``first``,
    ``n`` value bins). ``clamp`` is a constant where this is inlined: only the calls for
    which :func:`_clamps` holds compile the clamp."""
    code = np.uint64(X[r, f])
    return first + (min(code, n) if clamp else code)


@intrinsic
def add_pair(typingctx, flat, b, g, h):
    """``flat[2 * b] += g`` and ``flat[2 * b + 1] += h`` (``flat``: a C-contiguous float64
    array of pairs) as one two-lane vector load, addition and store. The sums are the
    scalar additions' own; the store is one where the scalar code makes two, and the
    stores are what bounds a histogram's build."""
    from llvmlite import ir
    from numba.core import cgutils, errors, types

    if not (isinstance(flat, types.Array) and flat.dtype == types.float64
            and flat.ndim == 1 and flat.layout == "C"):
        raise errors.TypingError(f"add_pair: flat must be a C-contiguous 1-D array of "
                                 f"float64, got {flat}")
    sig = types.void(flat, b, g, h)

    def codegen(context, builder, signature, args):
        flat_t, b_t = signature.args[:2]
        index = builder.mul(context.cast(builder, args[1], b_t, types.intp),
                            context.get_constant(types.intp, 2))
        pointer = cgutils.get_item_pointer(
            context, builder, flat_t, context.make_array(flat_t)(context, builder, args[0]),
            [index])
        pair = ir.VectorType(ir.DoubleType(), 2)
        lanes = [ir.Constant(ir.IntType(32), i) for i in range(2)]
        value = builder.insert_element(ir.Constant(pair, ir.Undefined), args[2], lanes[0])
        value = builder.insert_element(value, args[3], lanes[1])
        pointer = builder.bitcast(pointer, pair.as_pointer())
        builder.store(builder.fadd(builder.load(pointer, align=8), value), pointer, align=8)
        return context.get_dummy_value()

    return sig, codegen


@njit(cache=True, nogil=True, inline="always")
def _add_pairs(X, gh, rows, start, stop, offsets, n_bins, hist, f0, f1, clamp):
    """Float gradient pairs, each added to its bin's pair as one vector (:func:`add_pair`).
    Four rows at a time, feature by feature: the four updates are independent, so the CPU
    overlaps them (one row's updates wait on each other's loads and stores of the
    histogram less). Each bin still receives its rows in row order, so the sums are those
    of a row-by-row sweep. Rows and features are indexed unsigned, as offsets are: signed
    indices add code for negative ones to every access; the histogram is addressed as
    one flat array, as in :func:`_add_packed`."""
    u0, u1 = np.uint64(f0), np.uint64(f1)
    flat = hist.reshape(hist.size)
    i = start
    while i + 4 <= stop:
        for j in range(4):
            _fetch_ahead(X, gh, rows, i + j, stop, u0)
        r0, r1 = np.uint64(rows[i]), np.uint64(rows[i + 1])
        r2, r3 = np.uint64(rows[i + 2]), np.uint64(rows[i + 3])
        g0, h0 = np.float64(gh[r0, 0]), np.float64(gh[r0, 1])
        g1, h1 = np.float64(gh[r1, 0]), np.float64(gh[r1, 1])
        g2, h2 = np.float64(gh[r2, 0]), np.float64(gh[r2, 1])
        g3, h3 = np.float64(gh[r3, 0]), np.float64(gh[r3, 1])
        for f in range(u0, u1):
            first = offsets[f]
            n = n_bins[f]
            add_pair(flat, _bin_of(X, r0, f, first, n, clamp), g0, h0)
            add_pair(flat, _bin_of(X, r1, f, first, n, clamp), g1, h1)
            add_pair(flat, _bin_of(X, r2, f, first, n, clamp), g2, h2)
            add_pair(flat, _bin_of(X, r3, f, first, n, clamp), g3, h3)
        i += 4
    while i < stop:
        r = np.uint64(rows[i])
        g, h = np.float64(gh[r, 0]), np.float64(gh[r, 1])
        for f in range(u0, u1):
            add_pair(flat, _bin_of(X, r, f, offsets[f], n_bins[f], clamp), g, h)
        i += 1


@njit(cache=True, nogil=True, inline="always")
def _add_packed(X, gh, rows, start, stop, offsets, n_bins, hist, f0, f1, clamp):
    """Packed integer pairs (see :func:`quantize`): one addition per row and feature adds
    both sums, into half the memory of float pairs. Eight rows at a time, as for
    :func:`_add_pairs` (with one store per row, more rows keep overlapping). The
    histogram is addressed as one flat column: a 2-D index would multiply by its
    run-time width at every update."""
    u0, u1 = np.uint64(f0), np.uint64(f1)
    flat = hist.reshape(hist.shape[0])
    i = start
    while i + 8 <= stop:
        for j in range(8):
            _fetch_ahead(X, gh, rows, i + j, stop, u0)
        r0, r1 = np.uint64(rows[i]), np.uint64(rows[i + 1])
        r2, r3 = np.uint64(rows[i + 2]), np.uint64(rows[i + 3])
        r4, r5 = np.uint64(rows[i + 4]), np.uint64(rows[i + 5])
        r6, r7 = np.uint64(rows[i + 6]), np.uint64(rows[i + 7])
        p0, p1, p2, p3 = gh[r0, 0], gh[r1, 0], gh[r2, 0], gh[r3, 0]
        p4, p5, p6, p7 = gh[r4, 0], gh[r5, 0], gh[r6, 0], gh[r7, 0]
        for f in range(u0, u1):
            first = offsets[f]
            n = n_bins[f]
            flat[_bin_of(X, r0, f, first, n, clamp)] += p0
            flat[_bin_of(X, r1, f, first, n, clamp)] += p1
            flat[_bin_of(X, r2, f, first, n, clamp)] += p2
            flat[_bin_of(X, r3, f, first, n, clamp)] += p3
            flat[_bin_of(X, r4, f, first, n, clamp)] += p4
            flat[_bin_of(X, r5, f, first, n, clamp)] += p5
            flat[_bin_of(X, r6, f, first, n, clamp)] += p6
            flat[_bin_of(X, r7, f, first, n, clamp)] += p7
        i += 8
    while i < stop:
        r = np.uint64(rows[i])
        p = gh[r, 0]
        for f in range(u0, u1):
            flat[_bin_of(X, r, f, offsets[f], n_bins[f], clamp)] += p
        i += 1


# --- quantized gradients -------------------------------------------------------------------
# Shi et al., "Quantized Training of Gradient Boosting Decision Trees" (NeurIPS 2022): each
# tree sees its gradients and hessians rounded stochastically to a few integer levels. A
# row's two integers are packed in one int64, the gradient in the high 32 bits and the
# (non-negative) hessian in the low 32, so that adding packed words adds both sums exactly
# as long as a sum of hessians stays below 2**32 (checked by the caller); histograms are then
# one int64 per bin, built, added and subtracted as plain integers.

_LOW = np.int64(0xFFFFFFFF)
_LOW_U = np.uint64(0xFFFFFFFF)


@njit(cache=True, nogil=True)
def _row_draws(key, r):
    """Two uniform draws in [0, 1) for row ``r`` under ``key`` (the halves of a splitmix64
    hash of their mix), so that the rounding does not depend on which thread quantizes
    which rows."""
    z = key + np.uint64(r) * np.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    z = z ^ (z >> np.uint64(31))
    unit = 1.0 / 4294967296.0
    # Each half converted as a (non-negative) int64: the same value, and a conversion the
    # CPU has one instruction for, where an unsigned 64-bit one takes several.
    return (np.float64(np.int64(z >> np.uint64(32))) * unit,
            np.float64(np.int64(z & _LOW_U)) * unit)


# Keys of the rounding: a tree's seed mixed with this (the column samples use the seed too).
ROUNDING_KEY = np.uint64(0x2545F4914F6CDD1D)


@njit(cache=True, nogil=True, inline="always")
def quantized_pair(g, h, r, g_scale, h_scale, key):
    """Row ``r``'s gradient ``g`` and hessian ``h`` times their scales (the inverse steps),
    rounded stochastically (up with probability the fractional part, so that each is
    unbiased) and packed in one int64."""
    ug, uh = _row_draws(key, r)
    gq = np.int64(np.floor(g * g_scale + ug))
    hq = np.int64(np.floor(h * h_scale + uh))
    return (gq << 32) + max(hq, 0)


@njit(cache=True, nogil=True)
def quantize(r0, r1, grad, hess, k, g_step, h_step, key, out):
    """``out[r, 0]`` for rows ``r0:r1``: the packed :func:`quantized_pair` of output
    ``k``'s gradient and hessian of row ``r`` (steps ``g_step`` and ``h_step``)."""
    g_scale = 1.0 / g_step
    h_scale = 1.0 / h_step
    for r in range(r0, r1):
        out[r, 0] = quantized_pair(grad[r, k], hess[r, k], r, g_scale, h_scale, key)


def gather_pair(gh, r, g, h, g_scale, h_scale, key):
    """Store row ``r``'s gradient pair in row ``r`` of ``gh``: as floats, or for a packed
    buffer rounded by :func:`quantized_pair`. Compiled code only (each kind of buffer
    compiles only its own code)."""
    raise TypeError("gather_pair runs in compiled code only")


def _gather_pair(gh, r, g, h, g_scale, h_scale, key):
    from numba.core import types

    if isinstance(gh.dtype, types.Integer):
        def packed(gh, r, g, h, g_scale, h_scale, key):
            gh[r, 0] = quantized_pair(g, h, r, g_scale, h_scale, key)
        return packed

    def pair(gh, r, g, h, g_scale, h_scale, key):
        gh[r, 0] = g
        gh[r, 1] = h
    return pair


def quantization_steps(grad, hess, k, levels):
    """The steps of output ``k``'s rounded gradients and hessians: ``levels / 2`` levels
    on either side of 0 for the gradients, ``levels`` for the (non-negative) hessians."""
    g = grad[:, k]
    h = hess[:, k]
    g_max = max(float(g.max(initial=0.0)), -float(g.min(initial=0.0)))
    h_max = float(h.max(initial=0.0))
    return (2.0 * g_max / levels if g_max > 0.0 else 1.0,
            h_max / levels if h_max > 0.0 else 1.0)


def float_histogram(hist, scales, out, lo, hi):
    """``hist`` as float sums: itself, or for a packed histogram its rows ``lo:hi``
    unpacked into ``out`` and multiplied by ``scales`` (gradient step, hessian step).
    Compiled code only."""
    raise TypeError("float_histogram runs in compiled code only")


def _float_histogram(hist, scales, out, lo, hi):
    from numba.core import types

    if not isinstance(hist.dtype, types.Integer):
        return lambda hist, scales, out, lo, hi: hist

    def unpack(hist, scales, out, lo, hi):
        for b in range(lo, hi):
            word = hist[b, 0]
            h = word & _LOW
            out[b, 0] = ((word - h) >> 32) * scales[0]
            out[b, 1] = h * scales[1]
        return out
    return unpack


def build_histogram(X_binned, grad, hess, rows, n_bins):
    """Compact histogram of the rows ``rows`` of ``X_binned`` (a direct, serial build).

    Returns
    -------
    hist : ndarray of shape (n_hist_bins, 2)
    """
    offsets, n_bins = kernel_layout(n_bins)
    X = np.ascontiguousarray(X_binned)
    gh = np.column_stack([grad, hess]).astype(np.float64)
    hist = np.zeros((int(offsets[-1]), 2))
    accumulate(X, gh, np.ascontiguousarray(rows, dtype=np.int32), 0, len(rows), offsets,
               n_bins, hist)
    return hist


@when_numba_loads
def _register_overloads():
    """The compiled implementations of the functions above that run in compiled code only
    (numba picks one per argument types)."""
    from numba.extending import overload

    options = {"nogil": True}
    overload(accumulate_features, jit_options=options)(_accumulate_features)
    overload(gather_pair, jit_options=options)(_gather_pair)
    overload(float_histogram, jit_options=options)(_float_histogram)
