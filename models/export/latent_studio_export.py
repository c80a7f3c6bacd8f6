"""Latent Studio export kit: a PyTorch module in, a ready model folder out.

Copy this one file next to your own code (it needs torch, onnx and numpy) and call one function per model:

    export_vae(encoder, decoder, folder, ...)           VAE or plain autoencoder (AutoencoderKL "moments" too)
    export_stylegan(mapping, synthesis, folder, ...)    StyleGAN-style generator: generator, mapping, synthesis, wAvg
    export_gan(generator, folder, ...)                  any other generator z -> image (DCGAN and the like)
    export_denoiser(model, folder, ...)                 UNet or DiT denoiser, pixel or latent, class-conditional or not

Each writes into `folder` the ONNX graphs, `manifest.json` (docs/MODELS.md) and `parity.json` (the PyTorch outputs
for a batch of 1 and a small batch), after these checks, any of which stops the export with a message that says
what to do:

- no float16 / bfloat16 parameters, and no NaN or Inf in the PyTorch outputs on the test inputs;
- the same outputs twice for the same input (no random noise inside the forward pass);
- the export itself: an operator PyTorch cannot export is named, with what to do about it;
- the ONNX file passes onnx.checker, uses standard ONNX operators only (custom domains are named), draws no random
  numbers, computes in float32, and has the inputs and outputs the manifest declares;
- the ONNX graph's outputs match PyTorch's on every parity case (relative max error within `tolerance`), where this
  Python has onnxruntime (`pip install onnxruntime`) or onnx.reference (onnx >= 1.13) to run it; otherwise it says
  that the comparison was skipped.

Nothing is written to `folder` unless every check passes: the files are built in a scratch folder beside it and
moved in at the end. `python3 latent_studio_export.py check FOLDER` runs the graph checks (and the parity cases,
where a runtime is present) on a folder already exported. `demo.py` beside this file exports a tiny model of each
family.
"""
from __future__ import annotations

import base64
import contextlib
import functools
import json
import math
import os
import re
import shutil
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn

__all__ = ["export_vae", "export_stylegan", "export_gan", "export_denoiser", "check_folder", "schedule_from_diffusers",
           "ExportError", "OPSET", "FORMAT"]

OPSET = 17
FORMAT = 2  # the manifest format the kit writes (docs/MODELS.md)
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_ROLE = re.compile(r"^[a-z][a-z0-9-]*$")
_FILE = re.compile(r"^[\w.-]+\.onnx$")
_STANDARD_DOMAINS = ("", "ai.onnx")
_RANDOM_OPS = {"RandomNormal", "RandomNormalLike", "RandomUniform", "RandomUniformLike", "Bernoulli", "Multinomial"}
_ONNX_DTYPES = {1: "float32", 6: "int32", 7: "int64", 10: "float16", 11: "float64", 16: "bfloat16"}
_TORCH_DTYPES = {"float32": torch.float32, "int64": torch.int64, "int32": torch.int32}
_NUMPY_DTYPES = {"float32": np.float32, "int64": np.int64, "int32": np.int32}
_BAKED = ("size reshapes with x.shape[0] or -1, not int(x.shape[0]) or a number; a graph that cannot take another batch "
          "(StyleGAN2's fused modulated convolution) is exported at a fixed one: fixed_batch=1 (export_vae: dynamic_batch=False)")
_FP32_ADVICE = "export in float32 (model.float(), or load the weights with torch_dtype=torch.float32)"


class ExportError(RuntimeError):
    """An export stopped by one of the kit's checks; the message says what was found and what to do."""


# ------------------------------------------------------------------------------------------------ wrapping

def _modules_in(fn):
    """The nn.Modules a callable uses: itself, the object of a bound method, a partial's parts, its closure and the
    globals it names. They become submodules of the wrapper, so their weights are exported as initializers."""
    if isinstance(fn, nn.Module):
        return [fn]
    found = []

    def add(value):
        if isinstance(value, nn.Module):
            found.append(value)
        elif isinstance(value, (list, tuple)):
            for v in value:
                add(v)
        elif isinstance(value, dict):
            for v in value.values():
                add(v)

    if isinstance(fn, functools.partial):
        found += _modules_in(fn.func)
        add(list(fn.args))
        add(dict(fn.keywords))
    add(getattr(fn, "__self__", None))
    for cell in getattr(fn, "__closure__", None) or ():
        try:
            contents = cell.cell_contents
        except ValueError:
            continue
        if callable(contents) and not isinstance(contents, nn.Module) and hasattr(contents, "__code__"):
            found += _modules_in(contents)
        else:
            add(contents)
    code, scope = getattr(fn, "__code__", None), getattr(fn, "__globals__", {})
    for name in code.co_names if code else ():
        add(scope.get(name))
    unique = []
    for m in found:
        if not any(m is u for u in unique):
            unique.append(m)
    return unique


def _plain(out):
    """A model's output as a tensor or a tuple of tensors: diffusers' output objects (`.sample`, `.latent_dist`),
    dicts and lists are unwrapped."""
    if isinstance(out, torch.Tensor):
        return out
    dist = getattr(out, "latent_dist", None)
    if dist is not None:
        return dist.mean, dist.logvar
    sample = getattr(out, "sample", None)
    if isinstance(sample, torch.Tensor):
        return sample
    if isinstance(out, dict):
        return tuple(out.values())
    if isinstance(out, (tuple, list)):
        return tuple(out)
    raise ExportError(f"the model returned a {type(out).__name__}; return a tensor or a tuple of tensors")


def _first(out):
    out = _plain(out)
    return out if isinstance(out, torch.Tensor) else out[0]


class _Wrapped(nn.Module):
    """A callable as a module, with the modules it uses registered as submodules."""

    def __init__(self, fn, what):
        super().__init__()
        if not callable(fn):
            raise ExportError(f"{what}: expected an nn.Module or a function, got {type(fn).__name__}")
        self.parts = nn.ModuleList(_modules_in(fn))
        self._fn = [fn]  # a list, so that a Module is not registered twice
        self.what = what

    def forward(self, *args):
        return self._fn[0](*args)


def _module(fn, what):
    return fn if isinstance(fn, nn.Module) else _Wrapped(fn, what)


def _half_check(module, what):
    bad = [(n, t.dtype) for n, t in list(module.named_parameters()) + list(module.named_buffers())
           if t.dtype in (torch.float16, torch.bfloat16)]
    if bad:
        names = ", ".join(n for n, _ in bad[:3]) + (", ..." if len(bad) > 3 else "")
        raise ExportError(f"{what}: {len(bad)} parameters or buffers are {str(bad[0][1]).replace('torch.', '')} ({names}). "
                          f"Latent Studio runs float32 graphs, and fp16 models, VAEs above all, often produce NaN: {_FP32_ADVICE}.")


@contextlib.contextmanager
def _eval_mode(module):
    """eval() for the export (dropout off, BatchNorm on its running statistics); each submodule's mode is restored after."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield module
    finally:
        for m, training in modes:
            m.training = training


# ------------------------------------------------------------------------------------------------ checks

def _finite_check(tensor, what, output, inputs_text):
    if not tensor.dtype.is_floating_point:
        return
    if tensor.dtype in (torch.float16, torch.bfloat16):
        raise ExportError(f"{what}: output '{output}' is {str(tensor.dtype).replace('torch.', '')}: the model computes in half "
                          f"precision (autocast, .half() inside forward, or force_fp32=False); {_FP32_ADVICE}.")
    nan, inf = int(torch.isnan(tensor).sum()), int(torch.isinf(tensor).sum())
    if nan or inf:
        kind = "NaN" if nan else "Inf"
        raise ExportError(f"{what}: the model produced {kind} in output '{output}' ({nan + inf} of {tensor.numel()} values) "
                          f"on {inputs_text}: fp16 VAEs often do; {_FP32_ADVICE}. If it is float32 already, look for a "
                          f"log or a division of something that can be 0, or an exp that overflows.")


def _onnx_checks(model_proto, what, inputs, outputs):
    """onnx.checker, standard domains only, no random ops, float32 arithmetic, declared inputs and outputs present.
    inputs / outputs: [(name, manifest shape, dtype)]. Returns notes for the user."""
    import onnx

    notes = []
    opset = max([o.version for o in model_proto.opset_import if o.domain in _STANDARD_DOMAINS] or [0])
    known = onnx.defs.onnx_opset_version()
    if opset > known:
        notes.append(f"{what}: onnx {onnx.__version__} knows opsets up to {known}, this graph is opset {opset}: onnx.checker skipped")
    else:
        try:
            onnx.checker.check_model(model_proto)
        except Exception as e:  # onnx.checker.ValidationError and friends
            raise ExportError(f"{what}: onnx.checker rejects the graph: {e}") from e
    graph = model_proto.graph
    foreign = {}
    for node in graph.node:
        if node.domain not in _STANDARD_DOMAINS:
            foreign.setdefault(f"{node.domain}::{node.op_type}", []).append(node.name or node.output[0])
    for f in model_proto.functions:
        foreign.setdefault(f"{f.domain}::{f.name}", []).append("(function)")
    if foreign:
        listed = "; ".join(f"{op} x{len(nodes)} (first at node '{nodes[0]}')" for op, nodes in foreign.items())
        raise ExportError(
            f"{what}: the graph uses operators outside standard ONNX: {listed}. Latent Studio runs standard ONNX operators "
            "only (onnxruntime-node, and its own differentiation for inversion and edits). Export the layers that make them "
            "through plain PyTorch ops: custom CUDA kernels (StyleGAN2's upfirdn2d, bias_act and fused LeakyReLU, "
            "xformers or flash attention) have reference implementations (impl='ref', or export on the CPU); a "
            "torch.onnx.register_custom_op_symbolic or an autograd.Function.symbolic must map to standard ONNX ops.")
    random_ops = sorted({n.op_type for n in graph.node if n.op_type in _RANDOM_OPS})
    if random_ops:
        raise ExportError(f"{what}: the graph draws random numbers ({', '.join(random_ops)}): Latent Studio needs the same output for the "
                          "same input. Use StyleGAN's noise_mode='const', call eval() so dropout is off, and return a VAE "
                          "encoder's mean and log-variance, not a sample.")
    half = [i.name for i in graph.initializer if i.data_type in (10, 16)]
    casts = [n.name or n.output[0] for n in graph.node if n.op_type == "Cast"
             and any(a.name == "to" and a.i in (10, 16) for a in n.attribute)]
    if half or casts:
        where = f"initializer '{half[0]}'" if half else f"Cast to float16 at node '{casts[0]}'"
        raise ExportError(f"{what}: the graph computes in half precision ({where}); fp16 models, VAEs above all, often "
                          f"produce NaN: {_FP32_ADVICE}.")
    for side, declared, actual in (("input", inputs, graph.input), ("output", outputs, graph.output)):
        found = {v.name: v for v in actual}
        for name, shape, dtype in declared:
            v = found.get(name)
            if v is None:
                hint = (" PyTorch drops inputs the model does not use: a denoiser must use its timestep and its class input."
                        if side == "input" else "")
                raise ExportError(f"{what}: the exported graph has no {side} '{name}' (it has {', '.join(found) or 'none'}).{hint}")
            t = v.type.tensor_type
            got = _ONNX_DTYPES.get(t.elem_type, str(t.elem_type))
            if got != dtype:
                raise ExportError(f"{what}: {side} '{name}' is {got} in the graph; Latent Studio needs {dtype}."
                                  + (f" {_FP32_ADVICE[0].upper()}{_FP32_ADVICE[1:]}." if got in ("float16", "bfloat16") else ""))
            dims = [d.dim_value if d.HasField("dim_value") else "batch" for d in t.shape.dim]
            if len(dims) != len(shape) or any(isinstance(a, int) and isinstance(b, int) and a != b for a, b in zip(dims, shape)):
                raise ExportError(f"{what}: {side} '{name}' is [{', '.join(map(str, dims))}] in the graph but "
                                  f"[{', '.join(map(str, shape))}] is expected")
    return notes


def _strict_shapes_warning(model_proto, what, say):
    import onnx

    try:
        onnx.shape_inference.infer_shapes(model_proto, strict_mode=True)
    except Exception as e:
        say(f"  note: {what}: onnx's strict shape inference fails ({str(e).splitlines()[0][:200]}); onnxruntime may still run it")


def _runtime():
    """A way to run ONNX graphs from Python: (name, make(path) -> run(output names, feeds) -> [arrays], None), or
    (None, None, why not)."""
    try:
        import onnxruntime as ort

        def make(path):
            options = ort.SessionOptions()
            options.intra_op_num_threads = min(4, os.cpu_count() or 1)
            session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
            return lambda names, feeds: session.run(names, feeds)

        return f"onnxruntime {ort.__version__}", make, None
    except ImportError:
        pass
    try:
        from onnx.reference import ReferenceEvaluator

        def make_reference(path):
            evaluator = ReferenceEvaluator(path)
            return lambda names, feeds: evaluator.run(names, feeds)

        return "onnx.reference", make_reference, None
    except ImportError:
        import onnx

        return None, None, (f"this Python has neither onnxruntime nor onnx.reference (onnx {onnx.__version__}; it came in 1.13): "
                      "pip install onnxruntime to compare here")


def _run_cases(path, runtime, make, what, runs, tolerance, reference):
    """Runs [(feeds, expected outputs)] through the graph at path; returns the worst relative error of each output."""
    try:
        run = make(path)
    except Exception as e:
        raise ExportError(f"{what}: {runtime} cannot load the graph: {str(e).splitlines()[0][:300]}") from e
    worst = {}
    for feeds, expected in runs:
        b = next(iter(feeds.values())).shape[0]
        try:
            got = run(list(expected), feeds)
        except Exception as e:
            raise ExportError(f"{what}: {runtime} fails on a batch of {b}: {str(e).splitlines()[0][:300]}. A graph that runs at "
                              f"batch 1 but not at another batch has the batch size baked in: {_BAKED}") from e
        for (name, e), a in zip(expected.items(), got):
            if np.isnan(a).any() and not np.isnan(e).any():
                raise ExportError(f"{what}: {runtime} gives NaN in '{name}' where PyTorch does not: {_FP32_ADVICE}.")
            if list(a.shape) != list(e.shape):
                raise ExportError(f"{what}: {runtime} gives '{name}' of shape {list(a.shape)} at batch {b}, not {list(e.shape)}: "
                                  f"the batch size is baked into the graph: {_BAKED}")
            error = _relative_error(a, e)
            worst[name] = max(worst.get(name, 0.0), error)
            if error > tolerance:
                raise ExportError(f"{what}: the ONNX graph's '{name}' differs from {reference} by {error:.2e} (relative max) at batch "
                                  f"{b}; the tolerance is {tolerance:g}. Look for Python control flow on tensor values (the trace "
                                  "keeps one branch), sizes read with int(), or a batch baked in.")
    return worst


def _relative_error(actual, expected):
    """max |a - b| / max |b|, as Latent Studio's parity test measures it."""
    actual, expected = np.asarray(actual, np.float64), np.asarray(expected, np.float64)
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    return float(np.abs(actual - expected).max()) / (scale or 1.0) if expected.size else 0.0


# ------------------------------------------------------------------------------------------------ the export session

def _encode(t):
    return {"shape": list(t.shape), "data": base64.b64encode(np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4").tobytes()).decode("ascii")}


def _decode(e, dtype="float32"):
    values = np.frombuffer(base64.b64decode(e["data"]), dtype="<f4").reshape(e["shape"])
    return np.rint(values).astype(_NUMPY_DTYPES[dtype]) if dtype != "float32" else values.astype(np.float32)


def _dims(batch, shape):
    return ["batch" if batch is None else int(batch), *[int(d) for d in shape]]


def _spec(names_shapes_dtypes, batch):
    return [{"name": n, "shape": _dims(batch, s), "dtype": d} for n, s, d in names_shapes_dtypes]


def _jsonable(value):
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, torch.Tensor):
        return _jsonable(value.tolist())
    if isinstance(value, np.ndarray):
        return _jsonable(value.tolist())
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    return value


def _write_json(path, obj, indent=2):
    with open(path, "w") as f:
        json.dump(_jsonable(obj), f, indent=indent)
        f.write("\n")


class _Export:
    """One model folder being exported: graphs and parity cases go to a scratch folder until every check has passed."""

    def __init__(self, folder, model_id, *, opset, tolerance, seed, verbose):
        _check_id(model_id, "id")
        self.folder = os.path.abspath(folder)
        self.id = model_id
        parent = os.path.dirname(self.folder)
        os.makedirs(parent, exist_ok=True)
        self.scratch = tempfile.mkdtemp(prefix=f".{os.path.basename(self.folder)}.export-", dir=parent)
        self.opset, self.tolerance, self.verbose = opset, tolerance, verbose
        self.gen = torch.Generator().manual_seed(seed)
        self.graphs, self.parity, self.errors, self.sizes = {}, {}, {}, {}
        self.params = 0
        self.runtime_name, self.make_runtime, self.no_runtime = _runtime()
        self.extra_files = {}

    def say(self, text):
        if self.verbose:
            print(text, flush=True)

    def randn(self, *shape):
        return torch.randn(*shape, generator=self.gen)

    def uniform(self, shape, lo, hi):
        return torch.rand(*shape, generator=self.gen) * (hi - lo) + lo

    def graph(self, role, fn, inputs, outputs, cases, *, batch, fold=True, params=True):
        """Checks and exports one graph.

        fn: the module to export; inputs: [(name, shape without batch, dtype)]; outputs: [(name, shape without batch)];
        cases: [{input name: tensor}] for parity.json, the first one also the export's example; batch: None for a
        free batch axis, or the fixed batch every case has. Returns the PyTorch outputs of each case.
        """
        what = f"{self.id} {role}"
        module = _module(fn, what)
        _half_check(module, what)
        out_specs = [(n, s, "float32") for n, s in outputs]
        names_in, names_out = [n for n, _, _ in inputs], [n for n, _ in outputs]
        results = []
        with _eval_mode(module), torch.no_grad():
            for case in cases:
                b = next(iter(case.values())).shape[0]
                if batch is not None and b != batch:
                    raise ExportError(f"{what}: a case of batch {b} for a graph exported at batch {batch}")
                for name, shape, dtype in inputs:
                    t = case[name]
                    if list(t.shape) != [b, *shape] or t.dtype != _TORCH_DTYPES[dtype]:
                        raise ExportError(f"{what}: test input '{name}' is {list(t.shape)} {t.dtype}; expected {[b, *shape]} {dtype}")
                args = tuple(case[n] for n in names_in)
                out = self._run(module, args, what)
                if len(out) != len(outputs):
                    raise ExportError(f"{what}: the model returned {len(out)} outputs; expected {len(outputs)} ({', '.join(names_out)})")
                described = f"test inputs of batch {b}"
                for (name, shape), t in zip(outputs, out):
                    _finite_check(t, what, name, described)
                    if list(t.shape) != [b, *shape]:
                        raise ExportError(f"{what}: output '{name}' is {list(t.shape)}; expected {[b, *shape]}")
                results.append(out)
            again = self._run(module, tuple(cases[0][n] for n in names_in), what)
            for (name, _), a, b in zip(outputs, results[0], again):
                if not torch.equal(a, b) and _relative_error(b.numpy(), a.numpy()) > 1e-6:
                    raise ExportError(f"{what}: two runs on the same input give different '{name}': the model draws random numbers "
                                      "(StyleGAN's noise_mode='random', dropout in training mode, a VAE that samples in forward). "
                                      "Latent Studio needs a deterministic graph: use noise_mode='const' and return the mean.")
            path = os.path.join(self.scratch, f"{role}.onnx")
            dynamic = {n: {0: "batch"} for n in names_in + names_out} if batch is None else None
            try:
                torch.onnx.export(module, tuple(cases[0][n] for n in names_in), path, opset_version=self.opset,
                                  input_names=names_in, output_names=names_out, dynamic_axes=dynamic, do_constant_folding=fold)
            except ExportError:
                raise
            except Exception as e:
                raise _export_failure(e, what, self.opset) from e
        import onnx

        proto = onnx.load(path)
        for note in _onnx_checks(proto, what, [(n, _dims(batch, s), d) for n, s, d in inputs],
                                 [(n, _dims(batch, s), d) for n, s, d in out_specs]):
            self.say(f"  note: {note}")
        _strict_shapes_warning(proto, what, self.say)
        del proto
        self.graphs[role] = {"file": f"{role}.onnx", "inputs": _spec(inputs, batch), "outputs": _spec(out_specs, batch)}
        self.parity[role] = [{"inputs": {n: _encode(c[n]) for n in names_in}, "outputs": {n: _encode(t) for n, t in zip(names_out, r)}}
                             for c, r in zip(cases, results)]
        self.sizes[role] = os.path.getsize(path)
        if params:
            self.params += sum(p.numel() for p in module.parameters())
        self._compare(role, path, inputs, names_out, cases, results)
        batches = ", ".join(str(next(iter(c.values())).shape[0]) for c in cases)
        self.say(f"  {role}.onnx: {self.sizes[role] / 1e6:.2f} MB, {'free batch' if batch is None else f'batch {batch}'}; "
                 f"checked at batch {batches}" + (f"; ONNX vs PyTorch {self.errors[role]:.1e}" if role in self.errors else ""))
        return results

    @staticmethod
    def _run(module, args, what):
        try:
            out = _plain(module(*args))
        except ExportError:
            raise
        except RuntimeError as e:
            if "requires grad as a constant" in str(e) or "a Tensor that requires grad" in str(e):
                raise ExportError(f"{what}: the function uses weights the kit cannot see: pass an nn.Module, or a function "
                                  "that names the modules it calls (a lambda over them)") from e
            raise
        return (out,) if isinstance(out, torch.Tensor) else tuple(out)

    def _compare(self, role, path, inputs, names_out, cases, results):
        if self.make_runtime is None:
            return
        runs = [({n: case[n].numpy().astype(_NUMPY_DTYPES[d]) for n, _, d in inputs}, {n: t.numpy() for n, t in zip(names_out, result)})
                for case, result in zip(cases, results)]
        worst = _run_cases(path, self.runtime_name, self.make_runtime, f"{self.id} {role}", runs, self.tolerance, "PyTorch's")
        self.errors[role] = max(worst.values())

    def finish(self, manifest):
        """Validates the manifest, writes it and parity.json, and moves every file into the model folder."""
        manifest["graphs"] = self.graphs
        metrics = {"params": self.params, "onnxBytes": sum(self.sizes.values()), **(manifest.get("metrics") or {})}
        manifest["metrics"] = metrics
        _validate_manifest(manifest)
        existing = os.path.join(self.folder, "scheduler_config.json")
        if manifest.get("diffusion") and "scheduler_config.json" not in self.extra_files and os.path.exists(existing):
            with open(existing) as f:
                _merge_scheduler_config(manifest["diffusion"], json.load(f), "the scheduler_config.json already in the folder")
        _write_json(os.path.join(self.scratch, "parity.json"), self.parity, indent=None)
        for name, obj in self.extra_files.items():
            _write_json(os.path.join(self.scratch, name), obj)
        _write_json(os.path.join(self.scratch, "manifest.json"), manifest)
        os.makedirs(self.folder, exist_ok=True)
        for name in sorted(os.listdir(self.scratch), key=lambda n: n == "manifest.json"):  # the manifest last
            os.replace(os.path.join(self.scratch, name), os.path.join(self.folder, name))
        shutil.rmtree(self.scratch, ignore_errors=True)
        if self.errors:
            parity = f"ONNX matches PyTorch on every parity case ({self.runtime_name}; worst {max(self.errors.values()):.1e} relative)"
        else:
            parity = f"the ONNX graphs were not run here: {self.no_runtime}"
        self.say(f"{self.id}: wrote {self.folder} ({', '.join(sorted(os.listdir(self.folder)))}); {parity}")
        return {"folder": self.folder, "manifest": manifest, "parity_errors": dict(self.errors), "runtime": self.runtime_name}

    def abort(self):
        shutil.rmtree(self.scratch, ignore_errors=True)


def _export_failure(e, what, opset):
    text = str(e)
    op = re.search(r"operator '?([\w:.]+)'? to ONNX opset version (\d+)", text)
    if op or type(e).__name__ == "UnsupportedOperatorError":
        name = op.group(1) if op else "(see below)"
        newest = _max_opset()
        newer = f"export at a newer opset (up to opset={newest} in this PyTorch), " if newest > opset else "use a newer PyTorch, "
        return ExportError(f"{what}: PyTorch cannot export the operator {name} to ONNX opset {opset}. Rewrite that step with "
                           f"plain torch ops (nn.Unflatten, for one, as a reshape), {newer}or register a symbolic that maps it "
                           f"to standard ONNX ops (torch.onnx.register_custom_op_symbolic). PyTorch said: {text.splitlines()[0][:300]}")
    if "kernel of unknown shape" in text or ("groups" in text and "Conv" in text):
        return ExportError(f"{what}: the export needs the convolution weights' shape, which here depends on the batch "
                           "(StyleGAN2's fused modulated convolution folds the batch into Conv groups): export this graph at "
                           f"a fixed batch (fixed_batch=1). PyTorch said: {text.splitlines()[0][:300]}")
    if "LayerNormalization" in text and "empty string" in text:
        return ExportError(f"{what}: this PyTorch ({torch.__version__}) exports a LayerNorm without weights "
                           "(elementwise_affine=False, as DiT's) at opset 17 with its scale missing. Give those LayerNorms "
                           "weights (elementwise_affine=True, weight 1, bias 0: the same function), export at opset=16, or "
                           "use PyTorch 2.")
    if "requires grad as a constant" in text:
        return ExportError(f"{what}: the function uses weights the kit cannot see: pass an nn.Module, or a function that names "
                           "the modules it calls (a lambda over them)")
    return ExportError(f"{what}: torch.onnx.export failed: {type(e).__name__}: {text.splitlines()[0][:500] if text else ''}")


def _max_opset():
    try:
        from torch.onnx import _constants

        return int(getattr(_constants, "ONNX_MAX_OPSET", getattr(_constants, "onnx_main_opset", OPSET)))
    except Exception:
        return OPSET


def _guard(make):
    """Runs an export session, removing its scratch folder when a check stops it."""
    session = None

    def start(*args, **kwargs):
        nonlocal session
        session = _Export(*args, **kwargs)
        return session

    try:
        return make(start)
    except BaseException:
        if session is not None:
            session.abort()
        raise


# ------------------------------------------------------------------------------------------------ manifest

def _check_id(value, field):
    if not isinstance(value, str) or not _ID.match(value):
        raise ExportError(f"{field}: '{value}' is not a model id: lowercase letters, digits, '.', '_' and '-', at most 64, "
                          "starting with a letter or digit")


def _image(image, value_range):
    if len(image) != 3:
        raise ExportError(f"image: give (channels, height, width); got {tuple(image)}")
    c, h, w = (int(v) for v in image)
    if c not in (1, 3):
        raise ExportError(f"image: channels must be 1 or 3; got {c}")
    if not (8 <= h <= 1024 and 8 <= w <= 1024):
        raise ExportError(f"image: height and width must be 8 to 1024; got {h}x{w}")
    lo, hi = (float(v) for v in value_range)
    if not lo < hi:
        raise ExportError(f"value_range: [low, high] with low < high; got {value_range}")
    return {"channels": c, "height": h, "width": w, "range": [lo, hi]}


def _validate_manifest(m):
    """The rules of electron/engine/models/manifest.ts the kit can get wrong, checked before anything is written."""
    _check_id(m["id"], "id")
    if m.get("format") not in (1, 2):
        raise ExportError(f"format: 1 or 2; got {m.get('format')!r}")
    moved = [f"diffusion.{k}" for k in ("latentScale", "latentShift") if k in (m.get("diffusion") or {})] if m["format"] == 2 else \
        [f"latent.{k}" for k in ("scale", "shift") if k in (m.get("latent") or {})]
    if moved:
        raise ExportError(f"{moved[0]}: format {m['format']} states the latent scale and shift "
                          + ("as latent.scale and latent.shift" if m["format"] == 2 else "as diffusion.latentScale and diffusion.latentShift"))
    if m.get("classifier") is not None:
        _check_id(m["classifier"], "classifier")
    if not m.get("name"):
        raise ExportError("name: give the model a name")
    for role, g in m["graphs"].items():
        if not _ROLE.match(role) or not _FILE.match(g["file"]):
            raise ExportError(f"graphs.{role}: not a valid role or file name")
    required = {"vae": ["encoder", "decoder"], "autoencoder": ["encoder", "decoder"], "gan": ["generator"], "diffusion": ["denoiser"],
                "classifier": ["classifier"]}
    for role in required[m["kind"]]:
        if role not in m["graphs"]:
            raise ExportError(f"graphs.{role}: a {m['kind']} model needs a '{role}' graph")
    style = m.get("style")
    if style:
        if not (1 <= style["numWs"] <= 64) or not (1 <= style["wDim"] <= 4096):
            raise ExportError(f"style: numWs must be 1 to 64 and wDim 1 to 4096; got {style['numWs']} and {style['wDim']}")
        if "wAvg" in style and len(style["wAvg"]) != style["wDim"]:
            raise ExportError(f"style.wAvg: {len(style['wAvg'])} values; wDim is {style['wDim']}")
    d = m.get("diffusion")
    if d:
        s = d["schedule"]
        if s["type"] == "betas":
            if not (2 <= len(s["betas"]) <= 10000) or not all(0 < b < 1 for b in s["betas"]):
                raise ExportError("diffusion.schedule.betas: 2 to 10,000 betas, each in (0, 1)")
        elif not (2 <= s["timesteps"] <= 10000) or ("betaStart" in s and not (0 < s["betaStart"] < 1 and 0 < s["betaEnd"] < 1)):
            raise ExportError(f"diffusion.schedule: timesteps 2 to 10,000 and betas in (0, 1); got {s}")
        if d.get("spacing", "linspace") not in ("linspace", "leading", "trailing"):
            raise ExportError(f"diffusion.spacing: linspace, leading or trailing; got {d['spacing']!r}")
        if not (0 <= d.get("offset", 0) <= 1000):
            raise ExportError(f"diffusion.offset: 0 to 1000; got {d['offset']}")
        c = d.get("conditioning")
        if c:
            if c["input"] not in [i["name"] for i in m["graphs"]["denoiser"]["inputs"]]:
                raise ExportError(f"diffusion.conditioning.input: the denoiser has no input '{c['input']}'")
            if c.get("nullLabel") is not None and c["encoding"] == "index" and c["nullLabel"] > len(c["labels"]):
                raise ExportError(f"null_label: the index after the {len(c['labels'])} classes or one of them; got {c['nullLabel']}")
            if not 0 <= c.get("guidance", 1) <= 50:
                raise ExportError(f"guidance: 0 to 50; got {c['guidance']}")
    needs_latent = m["kind"] in ("vae", "autoencoder", "gan") or (d or {}).get("space") == "latent"
    if needs_latent and not m.get("latent"):
        raise ExportError(f"latent: a {m['kind']} model states its latent shape")


def _manifest(model_id, name, kind, description, image, *, latent=None, dataset=None, classifier=None, training=None,
              metrics=None, opset=OPSET, **extra):
    m = {"format": FORMAT, "id": model_id, "name": name, "kind": kind, "description": description or "", "image": image}
    if latent is not None:
        m["latent"] = latent
    m["graphs"] = {}
    m.update({k: v for k, v in extra.items() if v is not None})
    if dataset is not None:
        m["dataset"] = dataset
    if classifier is not None:
        m["classifier"] = classifier
    m["training"] = {"exportedWith": "latent_studio_export.py", "torch": torch.__version__, "opset": opset, **(training or {})}
    m["metrics"] = dict(metrics or {})
    return m


# ------------------------------------------------------------------------------------------------ VAE / autoencoder

class _VaeEncoder(nn.Module):
    def __init__(self, fn, mode, what):
        super().__init__()
        self.inner = _module(fn, what)
        self.mode = mode

    def forward(self, x):
        out = _plain(self.inner(x))
        if self.mode == "moments":
            if isinstance(out, tuple) and len(out) == 2:
                return out  # diffusers' encode() output: its latent_dist's (mean, logvar)
            moments = out if isinstance(out, torch.Tensor) else out[0]
            mean, logvar = torch.chunk(moments, 2, dim=1)
            return mean, torch.clamp(logvar, -30.0, 20.0)  # as diffusers' DiagonalGaussianDistribution
        if self.mode == "mean_logvar":
            if isinstance(out, torch.Tensor) or len(out) < 2:
                raise ExportError("encoder_outputs='mean_logvar': the encoder returned one tensor; for AutoencoderKL's single "
                                  "'moments' tensor use encoder_outputs='moments', for a plain autoencoder 'mean'")
            return out[0], out[1]
        return out if isinstance(out, torch.Tensor) else out[0]


class _Single(nn.Module):
    """A graph with one output: the first tensor the callable returns."""

    def __init__(self, fn, what):
        super().__init__()
        self.inner = _module(fn, what)

    def forward(self, *args):
        return _first(self.inner(*args))


def export_vae(encoder, decoder, folder, *, id, name, image, latent_shape, value_range=(-1.0, 1.0),
               encoder_outputs="mean_logvar", kind="vae", scale=None, shift=None, description="", examples=None,
               batch=3, dynamic_batch=True, opset=OPSET, tolerance=1e-4, seed=0, fold=True, dataset=None, classifier=None,
               training=None, metrics=None, verbose=True):
    """Exports a VAE (kind='vae') or a plain autoencoder (kind='autoencoder') into `folder`.

    encoder: images [B, *image] in value_range -> its codes, as encoder_outputs says:
      'mean_logvar'  a (mean, logvar) pair (or a diffusers encode() output with .latent_dist);
      'moments'      one tensor [B, 2 * C, ...] split in half along dim 1, as AutoencoderKL's quant_conv gives it
                     (log-variance clamped to [-30, 20] as diffusers does);
      'mean'         the code alone (plain autoencoders; a VAE whose log-variance is not wanted).
    decoder: codes [B, *latent_shape] -> images [B, *image] (or an object with .sample).
    image: (channels, height, width); latent_shape: e.g. (4, 32, 32) or (16,).
    scale, shift: the latent scale (SD 1.x: 0.18215) and shift (SD3: 0.0609) a latent diffusion over this VAE uses; kept
      in the manifest's training block (latentScale, latentShift), from which export_denoiser(decoder=<this folder>)
      takes them into the denoiser's latent.scale and latent.shift.
    examples: optional real images [N, *image] in value_range for the parity cases (random images otherwise).
    batch: the small batch of the second parity case; dynamic_batch=False exports everything at batch 1.
    """
    if kind not in ("vae", "autoencoder"):
        raise ExportError(f"kind: 'vae' or 'autoencoder'; got {kind!r}")
    if encoder_outputs not in ("mean_logvar", "moments", "mean"):
        raise ExportError(f"encoder_outputs: 'mean_logvar', 'moments' or 'mean'; got {encoder_outputs!r}")
    img = _image(image, value_range)
    shape = [img["channels"], img["height"], img["width"]]
    latent = [int(d) for d in latent_shape]
    lo, hi = img["range"]

    def run(start):
        s = start(folder, id, opset=opset, tolerance=tolerance, seed=seed, verbose=verbose)
        s.say(f"{id}: exporting {'a VAE' if kind == 'vae' else 'an autoencoder'} ({', '.join(map(str, shape))} images, latent [{', '.join(map(str, latent))}])")
        fixed = None if dynamic_batch else 1
        sizes = [1] if fixed else [1, batch]
        if examples is not None:
            ex = torch.as_tensor(examples, dtype=torch.float32)
            if ex.shape[0] < max(sizes):
                raise ExportError(f"examples: give at least {max(sizes)} images")
            xs = [ex[:n].contiguous() for n in sizes]
        else:
            xs = [s.uniform([n, *shape], lo, hi) for n in sizes]
        enc = _VaeEncoder(encoder, encoder_outputs, f"{id} encoder")
        outs = [("mean", latent), ("logvar", latent)] if encoder_outputs != "mean" else [("mean" if kind == "vae" else "z", latent)]
        encoded = s.graph("encoder", enc, [("x", shape, "float32")], outs, [{"x": x} for x in xs], batch=fixed, fold=fold)
        if examples is not None:
            zs = [out[0] for out in encoded]  # the codes of real images: where an fp16 VAE's NaNs show
        else:
            zs = [s.randn(n, *latent) / (scale or 1.0) + (shift or 0.0) for n in sizes]
        decoded = s.graph("decoder", _Single(decoder, f"{id} decoder"), [("z", latent, "float32")], [("x", shape)],
                          [{"z": z} for z in zs], batch=fixed, fold=fold)
        _range_note(s, decoded, lo, hi)
        train = {**({"latentScale": scale} if scale is not None else {}), **({"latentShift": shift} if shift is not None else {}),
                 **(training or {})}
        m = _manifest(id, name, kind, description, img, latent={"shape": latent, "prior": "standard-normal" if kind == "vae" else "none"},
                      dataset=dataset, classifier=classifier, training=train, metrics=metrics, opset=opset)
        return s.finish(m)

    return _guard(run)


def _range_note(s, outputs, lo, hi):
    values = torch.cat([o[0].flatten() for o in outputs])
    outside = float(((values < lo - 0.1 * (hi - lo)) | (values > hi + 0.1 * (hi - lo))).float().mean())
    if outside > 0.25:
        s.say(f"  note: {outside:.0%} of the decoded values lie outside value_range [{lo:g}, {hi:g}] (they span "
              f"[{float(values.min()):.3g}, {float(values.max()):.3g}]): check value_range")


# ------------------------------------------------------------------------------------------------ GANs

class _Mapping(nn.Module):
    def __init__(self, fn, what):
        super().__init__()
        self.inner = _Single(fn, what)

    def forward(self, z):
        w = self.inner(z)
        return w[:, 0] if w.dim() == 3 else w  # NVlabs' mapping broadcasts w to [B, num_ws, w_dim]


class _Composed(nn.Module):
    """z -> mapping -> w repeated num_ws times -> synthesis."""

    def __init__(self, mapping, synthesis, num_ws):
        super().__init__()
        self.mapping, self.synthesis, self.num_ws = mapping, synthesis, num_ws

    def forward(self, z):
        w = self.mapping(z)
        return self.synthesis(w[:, None].repeat(1, self.num_ws, 1))


class _Pair(nn.Module):
    """An inversion graph: (z, x) -> (loss [B], grad [B, z_dim])."""

    def __init__(self, fn, what):
        super().__init__()
        self.inner = _module(fn, what)

    def forward(self, z, x):
        out = _plain(self.inner(z, x))
        if isinstance(out, torch.Tensor) or len(out) != 2:
            raise ExportError("inversion: return (loss, grad): loss = sum (G(z) - x)^2 per image [B], grad = d loss / d z [B, z_dim]")
        return out[0], out[1]


def _gan_extras(s, generator, z_dim, shape, lo, hi, inversion, encoder, fixed, batch, fold):
    """The optional inversion graph (checked against autograd through the generator) and encoder."""
    if inversion is not None:
        inv = _Pair(inversion, f"{s.id} inversion")
        n = fixed or 2
        z, x = s.randn(n, z_dim), s.uniform([n, *shape], lo, hi)
        with _eval_mode(generator), torch.enable_grad():
            zg = z.clone().requires_grad_(True)
            loss_ref = (generator(zg) - x).square().flatten(1).sum(1)
            (grad_ref,) = torch.autograd.grad(loss_ref.sum(), zg)
        with _eval_mode(inv), torch.no_grad():
            loss, grad = inv(z, x)
        errors = (_relative_error(loss.numpy(), loss_ref.detach().numpy()), _relative_error(grad.numpy(), grad_ref.numpy()))
        if max(errors) > 1e-3:
            raise ExportError(f"{s.id} inversion: its loss and gradient differ from autograd through the generator by "
                              f"{errors[0]:.1e} and {errors[1]:.1e} (relative): it must return loss = sum (G(z) - x)^2 per image "
                              "and grad = d loss / d z. Or leave inversion out: Latent Studio differentiates the generator itself.")
        s.say(f"  inversion matches autograd through the generator: loss {errors[0]:.1e}, gradient {errors[1]:.1e}")
        cases = [{"z": s.randn(fixed or 1, z_dim), "x": s.uniform([fixed or 1, *shape], lo, hi)}]
        if not fixed:
            cases.append({"z": s.randn(batch, z_dim), "x": s.uniform([batch, *shape], lo, hi)})
        s.graph("inversion", inv, [("z", [z_dim], "float32"), ("x", shape, "float32")], [("loss", []), ("grad", [z_dim])],
                cases, batch=fixed, fold=fold, params=False)
    if encoder is not None:
        cases = [{"x": s.uniform([n, *shape], lo, hi)} for n in (1, batch)]
        s.graph("encoder", _Single(encoder, f"{s.id} encoder"), [("x", shape, "float32")], [("z", [z_dim])], cases, batch=None, fold=fold)


def export_stylegan(mapping, synthesis, folder, *, id, name, z_dim, w_dim, num_ws, image, value_range=(-1.0, 1.0),
                    w_avg=None, w_avg_samples=10000, fixed_batch=1, inversion=None, encoder=None, description="", batch=4,
                    opset=OPSET, tolerance=1e-4, seed=0, fold=True, dataset=None, classifier=None, training=None,
                    metrics=None, verbose=True):
    """Exports a StyleGAN-style generator into `folder`: generator.onnx (z -> image), mapping.onnx (z -> w) and
    synthesis.onnx (w+ [num_ws, w_dim] -> image), with the style block (numWs, wDim, wAvg).

    mapping: z [B, z_dim] -> w [B, w_dim] (or [B, num_ws, w_dim], NVlabs-style, of which row 0 is taken);
    synthesis: ws [B, num_ws, w_dim] -> images [B, *image] in value_range.
    For NVlabs' stylegan2-ada / stylegan3: mapping=lambda z: G.mapping(z, None), and
    synthesis=lambda ws: G.synthesis(ws, noise_mode='const', force_fp32=True).
    w_avg: the mean w ([w_dim]); None takes mapping.w_avg where the mapping has one, otherwise maps w_avg_samples random
      z; False leaves it out (Latent Studio then measures it when it loads the model).
    fixed_batch: the batch generator.onnx and synthesis.onnx are exported at (1: StyleGAN2's fused modulated
      convolution folds the batch into the Conv groups, so the graph cannot take another batch; Latent Studio runs
      larger batches in chunks). None gives them a free batch axis. mapping.onnx always has one.
    inversion: optional hand-written (z, x) -> (loss [B], grad [B, z_dim]) module, checked against autograd;
    encoder: optional images -> z module for warm starts.
    """
    img = _image(image, value_range)
    shape = [img["channels"], img["height"], img["width"]]
    lo, hi = img["range"]
    z_dim, w_dim, num_ws = int(z_dim), int(w_dim), int(num_ws)
    if fixed_batch is not None and int(fixed_batch) < 1:
        raise ExportError("fixed_batch: a positive batch size, or None for a free batch axis")

    def run(start):
        s = start(folder, id, opset=opset, tolerance=tolerance, seed=seed, verbose=verbose)
        s.say(f"{id}: exporting a StyleGAN-style generator (z {z_dim}, w+ [{num_ws}, {w_dim}], {', '.join(map(str, shape))} images)")
        fixed = int(fixed_batch) if fixed_batch is not None else None
        m_mod = _Mapping(mapping, f"{id} mapping")
        s_mod = _Single(synthesis, f"{id} synthesis")
        g_mod = _Composed(m_mod, s_mod, num_ws)
        with _eval_mode(m_mod), torch.no_grad():
            probe = m_mod.inner(s.randn(2, z_dim))
        if probe.dim() == 3 and not torch.allclose(probe, probe[:, :1].expand_as(probe)):
            raise ExportError(f"{id} mapping: it returns a different w for each layer (truncation with a cutoff?); pass a "
                              "mapping that returns one w per z, without truncation: Latent Studio applies ψ itself")
        if probe.shape[-1] != w_dim:
            raise ExportError(f"{id} mapping: w has {probe.shape[-1]} values; w_dim is {w_dim}")
        sizes = [fixed] if fixed else [1, batch]
        s.graph("mapping", m_mod, [("z", [z_dim], "float32")], [("w", [w_dim])],
                [{"z": s.randn(n, z_dim)} for n in sorted({1, batch})], batch=None, fold=fold, params=False)
        s.graph("synthesis", s_mod, [("ws", [num_ws, w_dim], "float32")], [("x", shape)],
                [{"ws": s.randn(n, num_ws, w_dim)} for n in sizes], batch=fixed, fold=fold, params=False)
        s.graph("generator", g_mod, [("z", [z_dim], "float32")], [("x", shape)],
                [{"z": s.randn(n, z_dim)} for n in sizes], batch=fixed, fold=fold)
        style = {"numWs": num_ws, "wDim": w_dim}
        average = _w_average(s, m_mod, mapping, w_avg, w_avg_samples, z_dim, w_dim)
        if average is not None:
            style["wAvg"] = average
        _gan_extras(s, g_mod, z_dim, shape, lo, hi, inversion, encoder, fixed, batch, fold)
        m = _manifest(id, name, "gan", description, img, latent={"shape": [z_dim], "prior": "standard-normal"},
                      dataset=dataset, classifier=classifier, training=training, metrics=metrics, opset=opset, style=style)
        return s.finish(m)

    return _guard(run)


def _w_average(s, m_mod, mapping, w_avg, samples, z_dim, w_dim):
    if w_avg is False:
        s.say("  wAvg left out: Latent Studio measures it when it loads the model")
        return None
    source = "given"
    if w_avg is None:
        found = getattr(mapping, "w_avg", None)
        if isinstance(found, torch.Tensor) and found.numel() == w_dim and bool(found.abs().sum() > 0):
            w_avg, source = found, "the mapping's w_avg"
    if w_avg is None:
        with _eval_mode(m_mod), torch.no_grad():
            total = torch.zeros(w_dim, dtype=torch.float64)
            for start in range(0, samples, 1000):
                n = min(1000, samples - start)
                total += m_mod(s.randn(n, z_dim)).double().sum(0)
        w_avg, source = total / samples, f"the mean of {samples} mapped z"
    values = torch.as_tensor(w_avg, dtype=torch.float64).flatten()
    if values.numel() != w_dim:
        raise ExportError(f"w_avg: {values.numel()} values; w_dim is {w_dim}")
    if not torch.isfinite(values).all():
        raise ExportError(f"w_avg: not finite: {_FP32_ADVICE}")
    s.say(f"  wAvg: {source}")
    return [float(f"{v:.7g}") for v in values.tolist()]


def export_gan(generator, folder, *, id, name, z_dim, image, value_range=(-1.0, 1.0), inversion=None, encoder=None,
               fixed_batch=None, description="", batch=4, opset=OPSET, tolerance=1e-4, seed=0, fold=True, dataset=None,
               classifier=None, training=None, metrics=None, verbose=True):
    """Exports a generator z [B, z_dim] ~ N(0, I) -> images [B, *image] (DCGAN and the like) into `folder`, with an
    optional hand-written inversion graph (z, x) -> (loss, grad) and an optional encoder x -> z (see export_stylegan)."""
    img = _image(image, value_range)
    shape = [img["channels"], img["height"], img["width"]]
    lo, hi = img["range"]

    def run(start):
        s = start(folder, id, opset=opset, tolerance=tolerance, seed=seed, verbose=verbose)
        s.say(f"{id}: exporting a generator (z {z_dim}, {', '.join(map(str, shape))} images)")
        fixed = int(fixed_batch) if fixed_batch is not None else None
        g_mod = _Single(generator, f"{id} generator")
        sizes = [fixed] if fixed else [1, batch]
        outs = s.graph("generator", g_mod, [("z", [int(z_dim)], "float32")], [("x", shape)],
                       [{"z": s.randn(n, int(z_dim))} for n in sizes], batch=fixed, fold=fold)
        _range_note(s, outs, lo, hi)
        _gan_extras(s, g_mod, int(z_dim), shape, lo, hi, inversion, encoder, fixed, batch, fold)
        m = _manifest(id, name, "gan", description, img, latent={"shape": [int(z_dim)], "prior": "standard-normal"},
                      dataset=dataset, classifier=classifier, training=training, metrics=metrics, opset=opset)
        return s.finish(m)

    return _guard(run)


# ------------------------------------------------------------------------------------------------ diffusion

_PREDICTIONS = {"epsilon": "epsilon", "v_prediction": "v", "sample": "sample"}


def _diffusers_betas(config):
    """The betas a diffusers scheduler builds from its config (linear, scaled_linear, squaredcos_cap_v2, trained_betas),
    with rescale_betas_zero_snr applied and the last alpha-bar kept at 2^-24, as diffusers' schedulers do."""
    T = int(config.get("num_train_timesteps") or 1000)
    kind = config.get("beta_schedule") or "linear"
    b0, b1 = float(config.get("beta_start") or 0.0001), float(config.get("beta_end") or 0.02)
    if isinstance(config.get("trained_betas"), (list, tuple)):
        betas = np.asarray(config["trained_betas"], np.float64)
    elif kind == "linear":
        betas = np.linspace(b0, b1, T, dtype=np.float32).astype(np.float64)
    elif kind == "scaled_linear":
        betas = (np.linspace(b0 ** 0.5, b1 ** 0.5, T, dtype=np.float32) ** 2).astype(np.float64)
    elif kind == "squaredcos_cap_v2":
        bar = lambda t: math.cos((t + 0.008) / 1.008 * math.pi / 2) ** 2  # noqa: E731
        betas = np.array([min(1 - bar((i + 1) / T) / bar(i / T), 0.999) for i in range(T)], np.float64)
    else:
        raise ExportError(f"scheduler config: beta_schedule '{kind}' is not one Latent Studio knows; give the betas: "
                          "schedule={'type': 'betas', 'betas': scheduler.betas.tolist()}")
    if config.get("rescale_betas_zero_snr"):
        root = np.sqrt(np.cumprod(1 - betas))
        first, last = root[0], root[-1]
        root = (root - last) * first / (first - last)
        bar = root ** 2
        bar[-1] = 2.0 ** -24
        betas = 1 - np.concatenate([bar[:1], bar[1:] / bar[:-1]])
    return betas


def schedule_from_diffusers(config):
    """The manifest's diffusion fields from a diffusers scheduler config (a dict, a scheduler_config.json path, or a
    scheduler object), read the way Latent Studio reads a scheduler_config.json beside the denoiser."""
    config = _scheduler_config(config)
    T = int(config.get("num_train_timesteps") or 1000)
    kind = config.get("beta_schedule") or "linear"
    out = {}
    if config.get("rescale_betas_zero_snr"):
        out["schedule"] = {"type": "betas", "betas": [float(b) for b in _diffusers_betas(config)]}
    elif isinstance(config.get("trained_betas"), (list, tuple)):
        out["schedule"] = {"type": "betas", "betas": [float(b) for b in config["trained_betas"]]}
    elif kind == "squaredcos_cap_v2":
        out["schedule"] = {"type": "cosine", "timesteps": T}
    elif kind in ("linear", "scaled_linear"):
        out["schedule"] = {"type": kind, "timesteps": T, "betaStart": config.get("beta_start") or 0.0001,
                           "betaEnd": config.get("beta_end") or 0.02}
    else:
        _diffusers_betas(config)  # raises with the advice
    prediction = config.get("prediction_type") or "epsilon"
    if prediction not in _PREDICTIONS:
        raise ExportError(f"scheduler config: prediction_type '{prediction}' is not epsilon, v_prediction or sample")
    out["prediction"] = _PREDICTIONS[prediction]
    if "timestep_spacing" in config:
        if config["timestep_spacing"] not in ("linspace", "leading", "trailing"):
            raise ExportError(f"scheduler config: timestep_spacing {config['timestep_spacing']!r} is not linspace, leading or trailing")
        out["spacing"] = config["timestep_spacing"]
    if "steps_offset" in config:
        out["offset"] = int(config["steps_offset"] or 0)
    return out


def _scheduler_config(config):
    if isinstance(config, (str, os.PathLike)):
        with open(config) as f:
            return json.load(f)
    if hasattr(config, "config") and not isinstance(config, dict):
        config = config.config
    return _jsonable(dict(config))


def _canonical(value):
    return json.dumps(_jsonable(value), sort_keys=True)


def _merge_scheduler_config(diffusion, config, source):
    """As Latent Studio merges a scheduler_config.json: it fills what the manifest leaves out; a disagreement is an error."""
    derived = schedule_from_diffusers(config)
    if config.get("rescale_betas_zero_snr"):
        raise ExportError(f"{source}: rescale_betas_zero_snr is set, which Latent Studio's reading of scheduler_config.json "
                          "does not apply; remove the file (the kit states the rescaled betas in the manifest)")
    for key, value in derived.items():
        if key not in diffusion:
            diffusion[key] = value
        elif _canonical(diffusion[key]) != _canonical(value):
            raise ExportError(f"diffusion.{key}: the manifest says {json.dumps(_jsonable(diffusion[key]))[:200]} but {source} "
                              f"says {json.dumps(_jsonable(value))[:200]}; keep one")
    return diffusion


class _Denoiser(nn.Module):
    def __init__(self, fn, conditional, channels, learned_sigma, what):
        super().__init__()
        self.inner = _module(fn, what)
        self.conditional, self.channels, self.learned_sigma = conditional, channels, learned_sigma

    def forward(self, x, t, *y):
        out = _first(self.inner(x, t, *y))
        if self.learned_sigma and out.shape[1] == 2 * self.channels:
            out = out[:, : self.channels]  # DiT / ADM with a learned variance: the prediction is the first half
        return out


def export_denoiser(model, folder, *, id, name, image=None, space="pixel", latent_shape=None, decoder=None,
                    latent_scale=None, latent_shift=None, prediction=None, schedule=None, spacing=None, offset=None,
                    class_labels=None, null_label=None, guidance=None, label_encoding="index", label_dtype=None,
                    label_width=None, timestep_dtype="int64", value_range=(-1.0, 1.0), learned_sigma="auto",
                    input_names=("x", "t", "y"), output_name=None, fixed_batch=None, description="", batch=4,
                    opset=OPSET, tolerance=1e-4, seed=0, fold=True, dataset=None, classifier=None, training=None,
                    metrics=None, verbose=True):
    """Exports a denoiser (UNet, DiT, ...) into `folder`.

    model(x, t) or, with class_labels, model(x, t, y) -> the prediction [B, *sample] (or an object with .sample; a
      prediction with twice the channels, DiT's and ADM's learned variance, keeps its first half). t is the integer
      step 0..T-1 (as timestep_dtype) that diffusers passes; wrap a model that wants t / T or sigma.
    space: 'pixel' (sample = image) or 'latent' (sample = latent_shape, decoded by the VAE `decoder`).
    decoder: the VAE's id, or its exported folder (then its id, latent shape, image and latent scale are read from it).
    latent_scale, latent_shift: VAE codes enter diffusion as (z - shift) * scale (SD 1.x: scale 0.18215); written as
      latent.scale and latent.shift (format 2).
    schedule: the manifest's schedule ({'type': 'linear', 'timesteps': 1000, 'betaStart': 1e-4, 'betaEnd': 0.02},
      {'type': 'scaled_linear', ...}, {'type': 'cosine', 'timesteps': 1000}, {'type': 'betas', 'betas': [...]}) or a
      diffusers scheduler config (a dict, the path of scheduler_config.json, or the scheduler itself): it then also
      gives prediction, spacing and offset, and is written beside the graph as scheduler_config.json.
    prediction: 'epsilon', 'v' or 'sample'; spacing: 'linspace', 'leading' or 'trailing'; offset: diffusers' steps_offset.
    class_labels: the class names of a class-conditional model; null_label: the index it was trained with for "no class"
      (classifier-free guidance; DiT: the number of classes); guidance: the scale offered first;
      label_encoding: 'index' (label_dtype int64 by default) or 'one-hot' (float32 [B, label_width]).
    """
    if space not in ("pixel", "latent"):
        raise ExportError(f"space: 'pixel' or 'latent'; got {space!r}")
    if timestep_dtype not in _TORCH_DTYPES:
        raise ExportError(f"timestep_dtype: 'int64', 'int32' or 'float32'; got {timestep_dtype!r}")
    diffusion = {"space": space}
    config_file = None
    if schedule is None:
        raise ExportError("schedule: give the training schedule ({'type': 'linear', 'timesteps': 1000, 'betaStart': 0.0001, "
                          "'betaEnd': 0.02}, ...) or the diffusers scheduler config")
    if isinstance(schedule, dict) and "type" in schedule:
        diffusion["schedule"] = dict(schedule)
    else:
        config = _scheduler_config(schedule)
        derived = schedule_from_diffusers(config)
        if not config.get("rescale_betas_zero_snr"):
            config_file = config
        for key, value in (("prediction", prediction), ("spacing", spacing), ("offset", offset)):
            if value is not None and key in derived and _canonical(derived[key]) != _canonical(value):
                raise ExportError(f"{key}={value!r} but the scheduler config says {derived[key]!r}; keep one")
        diffusion.update(derived)
    for key, value in (("prediction", prediction), ("spacing", spacing), ("offset", offset)):
        if value is not None:
            diffusion[key] = value
    if diffusion.get("prediction") not in ("epsilon", "v", "sample"):
        raise ExportError(f"prediction: 'epsilon', 'v' or 'sample'; got {diffusion.get('prediction')!r}")
    if config_file is not None and "timestep_spacing" not in config_file and "spacing" not in diffusion:
        if verbose:
            print(f"note: {id}: the scheduler config states no timestep_spacing; Latent Studio then spaces steps by linspace, while "
                  "diffusers' DDPM, DDIM and PNDM schedulers default to leading: pass spacing= (and offset=) if that matters")

    latent = latent_block = None
    vae_image = None
    if space == "latent":
        if decoder is None:
            raise ExportError("decoder: a latent denoiser names the VAE that decodes its samples (its id or its folder)")
        if os.path.isdir(str(decoder)):
            with open(os.path.join(decoder, "manifest.json")) as f:
                vae = json.load(f)
            if "decoder" not in vae.get("graphs", {}) and "generator" not in vae.get("graphs", {}):
                raise ExportError(f"decoder: {decoder} is a {vae.get('kind')} model and cannot decode latent codes")
            decoder_id = vae["id"]
            vae_shape = vae.get("latent", {}).get("shape")
            if latent_shape is not None and vae_shape and list(latent_shape) != vae_shape:
                raise ExportError(f"latent_shape: this model's latents are {list(latent_shape)} but '{decoder_id}' decodes {vae_shape}")
            latent_shape = latent_shape or vae_shape
            vae_image = vae["image"]
            for key, train_key in (("scale", "latentScale"), ("shift", "latentShift")):  # the kit keeps them in training
                stated = vae.get("latent", {}).get(key, vae.get("training", {}).get(train_key))
                if key == "scale" and latent_scale is None:
                    latent_scale = stated
                if key == "shift" and latent_shift is None:
                    latent_shift = stated
        else:
            decoder_id = str(decoder)
        _check_id(decoder_id, "decoder")
        if latent_shape is None:
            raise ExportError("latent_shape: give the latent shape (or the VAE's folder as decoder)")
        latent = [int(d) for d in latent_shape]
        diffusion["decoder"] = decoder_id
        latent_block = {"shape": latent, "prior": "standard-normal"}
        if latent_scale is not None:
            latent_block["scale"] = float(latent_scale)
        elif verbose:
            print(f"note: {id}: no latent_scale: VAE codes enter diffusion unscaled (Stable Diffusion 1.x's VAE needs 0.18215)")
        if latent_shift is not None:
            latent_block["shift"] = float(latent_shift)
    if image is None and vae_image is None:
        raise ExportError("image: give (channels, height, width) of the images the model makes")
    img = _image(image, value_range) if image is not None else vae_image
    sample = latent if space == "latent" else [img["channels"], img["height"], img["width"]]

    x_name, t_name, y_name = input_names
    inputs = [(x_name, sample, "float32"), (t_name, [], timestep_dtype)]
    conditioning = None
    if class_labels is not None:
        labels = [str(c) for c in class_labels]
        if not labels:
            raise ExportError("class_labels: at least one class")
        if label_encoding not in ("index", "one-hot"):
            raise ExportError(f"label_encoding: 'index' or 'one-hot'; got {label_encoding!r}")
        if null_label is not None and (int(null_label) < 0 or int(null_label) > len(labels)):
            raise ExportError(f"null_label: the index after the {len(labels)} classes or one of them; got {null_label}")
        conditioning = {"input": y_name, "encoding": label_encoding, "labels": labels}
        if null_label is not None:
            conditioning["nullLabel"] = int(null_label)
        if guidance is not None:
            conditioning["guidance"] = float(guidance)
            if null_label is None and guidance != 1:
                if verbose:
                    print(f"note: {id}: guidance {guidance} without a null_label: classifier-free guidance needs the null class")
        if label_encoding == "index":
            inputs.append((y_name, [], label_dtype or "int64"))
        else:
            width = int(label_width or (len(labels) + (1 if null_label is not None and int(null_label) == len(labels) else 0)))
            inputs.append((y_name, [width], label_dtype or "float32"))
        diffusion["conditioning"] = conditioning
    elif null_label is not None or guidance is not None:
        raise ExportError("null_label and guidance need class_labels")
    out_name = output_name or {"epsilon": "eps", "v": "v", "sample": "x0"}[diffusion["prediction"]]
    T = len(diffusion["schedule"]["betas"]) if diffusion["schedule"]["type"] == "betas" else int(diffusion["schedule"]["timesteps"])

    def run(start):
        s = start(folder, id, opset=opset, tolerance=tolerance, seed=seed, verbose=verbose)
        s.say(f"{id}: exporting a {space} denoiser ({diffusion['prediction']} prediction, sample [{', '.join(map(str, sample))}]"
              + (f", {len(conditioning['labels'])} classes" if conditioning else "") + ")")
        fixed = int(fixed_batch) if fixed_batch is not None else None
        cases = []
        for n in ([fixed] if fixed else [1, batch]):
            steps = torch.tensor([T // 2]) if n == 1 else torch.linspace(0, T - 1, n).round()
            case = {x_name: s.randn(n, *sample), t_name: steps.to(_TORCH_DTYPES[timestep_dtype])}
            if conditioning:
                k = len(conditioning["labels"])
                idx = torch.randint(0, k, (n,), generator=s.gen)
                if conditioning.get("nullLabel") is not None and n > 1:
                    idx[-1] = conditioning["nullLabel"]
                if label_encoding == "index":
                    case[y_name] = idx.to(_TORCH_DTYPES[inputs[2][2]])
                else:
                    hot = torch.zeros(n, inputs[2][1][0])
                    hot[torch.arange(n), idx.clamp(max=inputs[2][1][0] - 1)] = 1
                    case[y_name] = hot.to(_TORCH_DTYPES[inputs[2][2]])
            cases.append(case)
        mod = _Denoiser(model, conditioning is not None, sample[0], learned_sigma == "auto" or learned_sigma is True, f"{id} denoiser")
        s.graph("denoiser", mod, inputs, [(out_name, sample)], cases, batch=fixed, fold=fold)
        if config_file is not None:
            s.extra_files["scheduler_config.json"] = config_file
        m = _manifest(id, name, "diffusion", description, img, latent=latent_block,
                      dataset=dataset, classifier=classifier, training=training, metrics=metrics, opset=opset, diffusion=diffusion)
        return s.finish(m)

    return _guard(run)


# ------------------------------------------------------------------------------------------------ check an exported folder

def check_folder(folder, *, tolerance=1e-4, verbose=True):
    """Re-runs the graph checks on an exported model folder, and its parity.json cases where a runtime is present.
    Returns {role output: relative max error} (empty when no runtime); raises ExportError on the first problem."""
    import onnx

    with open(os.path.join(folder, "manifest.json")) as f:
        m = json.load(f)
    _validate_manifest(m)
    parity = {}
    if os.path.exists(os.path.join(folder, "parity.json")):
        with open(os.path.join(folder, "parity.json")) as f:
            parity = json.load(f)
    runtime, make, no_runtime = _runtime()
    errors = {}
    for role, g in m["graphs"].items():
        path = os.path.join(folder, g["file"])
        if not os.path.exists(path):
            raise ExportError(f"graphs.{role}.file: {g['file']} is missing")
        notes = _onnx_checks(onnx.load(path), f"{m['id']} {role}", [(t["name"], t["shape"], t["dtype"]) for t in g["inputs"]],
                             [(t["name"], t["shape"], t["dtype"]) for t in g["outputs"]])
        for note in notes if verbose else ():
            print(f"note: {note}")
        if make is None or not parity.get(role):
            continue
        dtypes = {t["name"]: t["dtype"] for t in g["inputs"]}
        runs = [({n: _decode(e, dtypes.get(n, "float32")) for n, e in case["inputs"].items()},
                 {n: _decode(e) for n, e in case["outputs"].items()}) for case in parity[role]]
        for name, error in _run_cases(path, runtime, make, f"{m['id']} {role}", runs, tolerance, "parity.json").items():
            errors[f"{role} {name}"] = error
    if verbose:
        worst = (f"parity.json within {max(errors.values()):.1e} ({runtime})" if errors
                 else f"parity.json not run: {no_runtime}" if no_runtime else "no parity.json cases")
        count = len(m["graphs"])
        print(f"{m['id']}: {count} graph{'s' if count > 1 else ''} pass{'' if count > 1 else 'es'} the checks; {worst}")
    return errors


if __name__ == "__main__":
    if len(sys.argv) >= 3 and sys.argv[1] == "check":
        failed = False
        for path in sys.argv[2:]:
            try:
                check_folder(path)
            except ExportError as e:
                print(f"{path}: {e}", file=sys.stderr)
                failed = True
        sys.exit(1 if failed else 0)
    print("usage: python3 latent_studio_export.py check FOLDER...   (re-checks exported model folders)\n"
          "       python3 demo.py OUT                               (exports a tiny model of each family into OUT)\n"
          "The functions: export_vae, export_stylegan, export_gan, export_denoiser; see docs/MODELS.md.", file=sys.stderr)
    sys.exit(2)
