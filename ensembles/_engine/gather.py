"""A node's codes of one feature, gathered sixteen rows at a time.

The split searches read a feature's code of each row of a node: ``XT[f, rows[i]]``, one
byte per row at scattered positions. LLVM vectorizes those loops with a scalar load and
a byte insert per row (there is no gather of bytes), which costs more than the loops'
own work. :func:`gather_codes` copies the codes into a contiguous buffer with dword
gathers instead (each row's code read as the aligned 32-bit word that holds it, then
shifted down), so that the passes after it read a plain array. Where the CPU has no
gather instruction LLVM spells the gather out as loads: the same result, at about the
old cost.
"""

from .jit import intrinsic

# Rows a gather step handles: a 512-bit vector of 32-bit words.
GATHER_WIDTH = 16


@intrinsic
def gather_codes(typingctx, codes, f, rows, first, n, out):
    """``out[i] = codes[f, rows[first + i]]`` for ``i < n`` (``codes`` uint8 with features
    as rows, ``rows`` uint32, ``out`` uint8 of at least ``n`` rounded up to
    :data:`GATHER_WIDTH` entries: each step writes a whole vector; all three
    C-contiguous). Compiled code only.

    A row's code is read as the aligned 32-bit word that holds it: such a word never
    crosses a page, so reading it cannot fault even at the end of the array, and the other
    three bytes are discarded."""
    from llvmlite import ir
    from numba.core import cgutils, errors, types

    # The steps read a row's codes, 16 row ids and 16 outputs as contiguous memory.
    for name, array, dtype in (("codes", codes, types.uint8), ("rows", rows, types.uint32),
                               ("out", out, types.uint8)):
        if not isinstance(array, types.Array) or array.dtype != dtype or array.layout != "C":
            raise errors.TypingError(f"gather_codes: {name} must be a C-contiguous array of "
                                     f"{dtype}, got {array}")
    sig = types.void(codes, f, rows, first, n, out)

    def codegen(context, builder, signature, args):
        codes_t, f_t, rows_t, first_t, n_t, out_t = signature.args
        intp = types.intp
        f_, first_, n_ = (context.cast(builder, v, t, intp)
                          for v, t in ((args[1], f_t), (args[3], first_t), (args[4], n_t)))
        zero = context.get_constant(intp, 0)
        base = cgutils.get_item_pointer(
            context, builder, codes_t, context.make_array(codes_t)(context, builder, args[0]),
            [f_, zero])
        row_ptr = cgutils.get_item_pointer(
            context, builder, rows_t, context.make_array(rows_t)(context, builder, args[2]),
            [first_])
        out_ptr = context.make_array(out_t)(context, builder, args[5]).data

        width = GATHER_WIDTH
        i1, i8, i32, i64 = (ir.IntType(b) for b in (1, 8, 32, 64))
        v_i1, v_i8, v_i32, v_i64 = (ir.VectorType(t, width) for t in (i1, i8, i32, i64))
        p_i32 = i32.as_pointer()
        v_p_i32 = ir.VectorType(p_i32, width)
        module = builder.module
        masked_load = cgutils.get_or_insert_function(
            module, ir.FunctionType(v_i32, [v_i32.as_pointer(), i32, v_i1, v_i32]),
            f"llvm.masked.load.v{width}i32.p0v{width}i32")
        masked_gather = cgutils.get_or_insert_function(
            module, ir.FunctionType(v_i32, [v_p_i32, i32, v_i1, v_i32]),
            f"llvm.masked.gather.v{width}i32.v{width}p0i32")

        def splat(value, vector_type):
            one = builder.insert_element(ir.Constant(vector_type, ir.Undefined), value,
                                         ir.Constant(i32, 0))
            return builder.shuffle_vector(one, ir.Constant(vector_type, ir.Undefined),
                                          ir.Constant(v_i32, [0] * width))

        no_words = ir.Constant(v_i32, [0] * width)
        lanes = ir.Constant(v_i32, list(range(width)))
        base_address = splat(builder.ptrtoint(base, i64), v_i64)
        entry = builder.block
        loop = builder.append_basic_block("gather.loop")
        done = builder.append_basic_block("gather.done")
        builder.cbranch(builder.icmp_signed(">", n_, zero), loop, done)

        builder.position_at_end(loop)
        i = builder.phi(i64)
        i.add_incoming(ir.Constant(i64, 0), entry)
        left = builder.sub(n_, i)
        step = builder.select(builder.icmp_signed("<", left, ir.Constant(i64, width)),
                              left, ir.Constant(i64, width))
        active = builder.icmp_signed("<", lanes, splat(builder.trunc(step, i32), v_i32))
        row_vector = builder.bitcast(builder.gep(row_ptr, [i]), v_i32.as_pointer())
        row = builder.call(masked_load, [row_vector, ir.Constant(i32, 4), active, no_words])
        address = builder.add(base_address, builder.zext(row, v_i64))
        word_address = builder.and_(address, ir.Constant(v_i64, [-4] * width))
        words = builder.call(masked_gather, [builder.inttoptr(word_address, v_p_i32),
                                             ir.Constant(i32, 4), active, no_words])
        # Little-endian: the code is the word's byte (address mod 4).
        shift = builder.shl(builder.trunc(builder.and_(address, ir.Constant(v_i64, [3] * width)),
                                          v_i32), ir.Constant(v_i32, [3] * width))
        code = builder.trunc(builder.lshr(words, shift), v_i8)
        builder.store(code, builder.bitcast(builder.gep(out_ptr, [i]), v_i8.as_pointer()),
                      align=1)
        following = builder.add(i, ir.Constant(i64, width))
        i.add_incoming(following, builder.block)
        builder.cbranch(builder.icmp_signed("<", following, n_), loop, done)

        builder.position_at_end(done)
        return context.get_dummy_value()

    return sig, codegen
