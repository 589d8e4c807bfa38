"""Recording and compiling the kernels of :mod:`.aot` (at build time, not imported by the
package)."""

import os
import sys
from pathlib import Path

import numpy as np

from .._compat import cpu_features
from .aot import _EXPORTS_FILE, feature_digest, part_name, source_digest, value_source
from .jit import fewer_collections, kernel_at


def numba_type(source):
    """The numba type written as ``source`` (names of ``numba.core.types``)."""
    from numba.core import types

    return eval(source, {"__builtins__": {}}, vars(types))


def _type_source(the_type):
    """Source text for a numba type, which :func:`numba_type` reads back."""
    from numba.core import types

    if isinstance(the_type, types.Array):
        text = f"Array({_type_source(the_type.dtype)}, {the_type.ndim}, '{the_type.layout}'"
        if not the_type.mutable:
            text += ", readonly=True"
        if not the_type.aligned:
            text += ", aligned=False"
        source = text + ")"
    elif isinstance(the_type, types.UniTuple):
        source = f"UniTuple({_type_source(the_type.dtype)}, {the_type.count})"
    elif isinstance(the_type, types.Tuple):
        source = "Tuple((" + "".join(_type_source(t) + ", " for t in the_type.types) + "))"
    elif isinstance(the_type, types.Boolean):
        source = "boolean"
    elif isinstance(the_type, types.NoneType):
        source = "none"
    elif isinstance(the_type, (types.Integer, types.Float)):
        source = str(the_type)
    else:
        raise TypeError(f"no source for the numba type {the_type}")
    if numba_type(source) != the_type:
        raise TypeError(f"{source!r} does not give back the numba type {the_type}")
    return source


def _locate(dispatcher):
    """``(module, name, factory arguments or None)`` naming a dispatcher made by a
    :class:`.jit.Kernel`; None for any other."""
    locator = getattr(dispatcher, "_aot_locator", None)
    if locator is not None and kernel_at(*locator).dispatcher is not dispatcher:
        raise LookupError(f"{locator} does not name its kernel")
    return locator


def record():
    """Run :func:`ensembles.precompile.precompile` (with extras) on numba's JIT and
    return the export list: every kernel Python called, with its argument types.

    Run it in a fresh process (the command line does), so that every first call of a
    signature from Python passes through numba's compile path, where it is seen (loading
    from numba's cache passes there too). A signature that a compiled caller made first
    would not be seen there; ``tests/test_aot.py`` would then find a kernel compiled in a
    first fit."""
    from numba.core import dispatcher as numba_dispatcher
    from numba.core import types

    seen = {}
    compile_for_args = numba_dispatcher._DispatcherBase._compile_for_args

    def recording(self, *args, **kws):
        result = compile_for_args(self, *args, **kws)
        arg_types = tuple(self.typeof_pyval(a) for a in args)
        seen.setdefault((id(self), arg_types), (self, arg_types,
                                                tuple(map(value_source, args))))
        return result

    numba_dispatcher._DispatcherBase._compile_for_args = recording
    try:
        from ..precompile import precompile

        precompile(extras=True)
    finally:
        numba_dispatcher._DispatcherBase._compile_for_args = compile_for_args
    exports = []
    for dispatcher, arg_types, value_sources in seen.values():
        locator = _locate(dispatcher)
        if locator is None:
            continue
        module, name, factory_args = locator
        arg_sources = tuple(_type_source(t) for t in arg_types)
        if value_sources != arg_sources:
            # A kernel call is matched to its compiled code by value_source.
            raise TypeError(f"value_source gives {value_sources} for {module}.{name}'s "
                            f"arguments, numba's types {arg_sources}")
        return_type = types.unliteral(dispatcher.overloads[arg_types].signature.return_type)
        if isinstance(return_type, types.BaseTuple):
            return_type = types.Tuple([types.unliteral(t) for t in return_type])
        exports.append((module, name, factory_args, _type_source(return_type),
                        arg_sources))
    return sorted(exports, key=repr)


def write_exports(exports):
    """Write the export list to ``_aot_exports.py``, each list of argument types once
    (forest node loops of every kind take the same arguments)."""
    arguments = sorted({entry[4] for entry in exports})
    index = {args: i for i, args in enumerate(arguments)}
    compact = tuple(entry[:4] + (index[entry[4]],) for entry in exports)
    _EXPORTS_FILE.write_text("\n".join([
        '"""Kernels and signatures compiled ahead of time (see :mod:`.aot`).',
        "",
        "Written by ``python -m ensembles._engine.aot_build record``; do not edit. Each entry",
        "of ``EXPORTS``: (module, kernel or factory name, factory arguments or None, return",
        "type, argument types), types as source text in ``numba.core.types``; the argument",
        'type lists are stored once, in ``ARGUMENTS``."""',
        "",
        "ARGUMENTS = (",
        *(f"    {args!r}," for args in arguments),
        ")",
        "",
        "_ENTRIES = (",
        *(f"    {entry!r}," for entry in compact),
        ")",
        "",
        "EXPORTS = tuple(entry[:4] + (ARGUMENTS[entry[4]],) for entry in _ENTRIES)",
        "",
    ]))


# The kernels that take most of the compile time, in units of a typical forest node
# loop's; every other kernel takes a small fraction of one.
_SLOW_TO_COMPILE = {"_node_loop": 1.0, "_team_work": 1.0}
_FAST_TO_COMPILE = 0.05
# Extra trees' node loops of plain (dense, numeric) input inline more searches: those
# of many features drawn together, and for a regression output of squared error the
# subtree grower with its searches of small nodes (see forest._grow_subtree). By
# classification (False, True):
_EXTRA_TREES_LOOP_WEIGHT = (4.0, 2.0)


def compile_weight(entry):
    """How long the kernel of export entry ``entry`` takes to compile, in node loops
    (see :func:`part_exports`)."""
    _, name, factory_args = entry[:3]
    if name == "_node_loop":
        classify, random_split, absolute_error, categorical, sparse = factory_args
        if random_split and not (absolute_error or categorical or sparse):
            return _EXTRA_TREES_LOOP_WEIGHT[classify]
    return _SLOW_TO_COMPILE.get(name, _FAST_TO_COMPILE)


def part_exports(exports, part, n_parts):
    """The indices in ``exports`` of the kernels compiled into part ``part`` of
    ``n_parts``: the heaviest first (:func:`compile_weight`), each to the part with the
    least weight so far, so that the parts take about as long (dealt out in turn, the
    part that drew extra trees' regression loop finished long after the other)."""
    order = sorted(range(len(exports)), key=lambda i: -compile_weight(exports[i]))
    loads = [0.0] * n_parts
    chosen = []
    for i in order:
        lightest = loads.index(min(loads))
        loads[lightest] += compile_weight(exports[i])
        if lightest == part:
            chosen.append(i)
    return sorted(chosen)


def build(output_path, target_cpu="host", verbose=False, part=0, n_parts=1):
    """Compile part ``part`` of ``n_parts`` of the export list (see :func:`part_exports`)
    into the extension module at ``output_path``, named :func:`.aot.part_name`.

    Each kernel is compiled with its dispatcher's own options (``nogil`` releases the GIL
    in its entry point, as numba's JIT does; no reference counting where the kernel asks
    for none). For the ``host`` CPU, with the JIT's list of the CPU's features as well
    (numba's ahead-of-time code generator takes only the features the CPU's model name
    implies, and a virtual CPU may lack or add some), which each part records (see
    :func:`.aot.runs_here`); ``target_cpu=""`` compiles for the platform's baseline."""
    if target_cpu not in ("host", ""):
        raise ValueError(f"target_cpu must be 'host' or '' (generic), got {target_cpu!r}")
    import numba.core.codegen as numba_codegen
    import numba.pycc.compiler as pycc_compiler
    from numba.core.compiler import Flags
    from numba.core.typing import signature
    from numba.pycc import CC

    from ._aot_exports import EXPORTS

    output_path = Path(output_path)
    # Written aside, then moved into place: a process may have the old module loaded.
    partial = output_path.with_name(f"{output_path.name}.{os.getpid()}.partial")
    cc = CC(part_name(part))
    cc.output_dir = str(output_path.parent)
    cc.output_file = partial.name
    cc.target_cpu = target_cpu
    cc.verbose = verbose
    flags_by_function = {}
    for index in part_exports(EXPORTS, part, n_parts):
        module, name, factory_args, return_source, arg_sources = EXPORTS[index]
        dispatcher = kernel_at(module, name, factory_args).dispatcher
        flags = Flags()
        dispatcher.targetdescr.options.parse_as_flags(flags, dispatcher.targetoptions)
        flags.no_compile = True
        flags.no_cpython_wrapper = False
        flags.no_cfunc_wrapper = True
        flags_by_function[dispatcher.py_func] = flags
        sig = signature(numba_type(return_source), *map(numba_type, arg_sources))
        cc.export(f"k{index}", sig)(dispatcher.py_func)
    digest = source_digest(EXPORTS)
    # The CPU features the code may use: the host's (the baseline's come with the
    # platform, which the import checks).
    required = sorted(feature_digest(name) for name, on in cpu_features().items()
                      if on and target_cpu == "host")
    constant = {"np": np}
    exec(f"def source_digest():\n    return {digest}\n"
         f"def part_count():\n    return {n_parts}\n"
         f"def cpu_features():\n"
         f"    out = np.empty({len(required)}, dtype=np.int64)\n"
         + "".join(f"    out[{i}] = {d}\n" for i, d in enumerate(required))
         + "    return out\n", constant)
    cc.export("source_digest", "int64()")(constant["source_digest"])
    cc.export("part_count", "int64()")(constant["part_count"])
    cc.export("cpu_features", "int64[::1]()")(constant["cpu_features"])

    compile_extra = pycc_compiler.compile_extra

    def compile_with_kernel_flags(typingctx, targetctx, func, args, return_type, flags,
                                  locals, library):
        return compile_extra(typingctx, targetctx, func, args, return_type,
                             flags_by_function.get(func, flags), locals, library=library)

    aot_codegen = numba_codegen.AOTCPUCodegen
    features = aot_codegen._customize_tm_features
    pycc_compiler.compile_extra = compile_with_kernel_flags
    if target_cpu == "host":
        aot_codegen._customize_tm_features = aot_codegen._get_host_cpu_features
    try:
        cc.compile()
        os.replace(partial, output_path)
    finally:
        pycc_compiler.compile_extra = compile_extra
        aot_codegen._customize_tm_features = features
        partial.unlink(missing_ok=True)
    return output_path


def main(argv=None):
    import argparse
    import time

    parser = argparse.ArgumentParser(prog="python -m ensembles._engine.aot_build")
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("record", help="rewrite the export list from precompile's fits")
    building = commands.add_parser("build", help="compile the export list")
    building.add_argument("output", help="path of the extension module to write")
    building.add_argument("--part", type=int, default=0, help="which part to compile")
    building.add_argument("--parts", type=int, default=1,
                          help="how many parts the kernels are compiled in")
    # Only these two: the parts record the CPU features their code needs (see build),
    # which LLVM's other CPU models would not tell.
    building.add_argument("--target-cpu", default="host", choices=("host", "generic"),
                          help="this machine's CPU and features, or the platform's "
                               "baseline (slower code that runs on any CPU of it)")
    args = parser.parse_args(argv)
    if os.environ.get("ENSEMBLES_AOT") != "0":
        # A process of its own: numba's JIT alone, on an empty cache of its own.
        import subprocess
        import tempfile

        with tempfile.TemporaryDirectory(prefix="ensembles-aot-") as cache:
            env = dict(os.environ, ENSEMBLES_AOT="0", NUMBA_CACHE_DIR=cache)
            command = [sys.executable, "-m", "ensembles._engine.aot_build",
                       *(sys.argv[1:] if argv is None else argv)]
            raise SystemExit(subprocess.call(command, env=env))
    start = time.perf_counter()
    if args.command == "record":
        with fewer_collections():
            exports = record()
        write_exports(exports)
        print(f"{len(exports)} signatures in {_EXPORTS_FILE}")
    else:
        if not 0 <= args.part < args.parts:
            parser.error(f"--part must lie in [0, --parts), got {args.part} of {args.parts}")
        with fewer_collections():
            build(args.output, target_cpu="" if args.target_cpu == "generic" else "host",
                  part=args.part, n_parts=args.parts)
        print(f"built {args.output} in {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
