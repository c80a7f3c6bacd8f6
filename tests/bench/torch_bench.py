#!/usr/bin/python3
"""PyTorch-eager reference timings for the bundled models (the Python half of `npm run bench`).

Run from the repository root with Debian's interpreter (it has python3-torch 1.13, numpy, python3-onnx):

    /usr/bin/python3 tests/bench/torch_bench.py --out bench-results/torch.json [--quick] [--only stylegan,...]

Writes one JSON file (shape below) and prints a short summary. All times are milliseconds.

  available, reason?, torch (version and build), torchVersion, torchBuild {version, package, blasInfo, lapackInfo,
  mkldnn, cpuCapability, openblas {config, core, library}, summary}, onnx, threads, blasThreads, cpu, cores,
  loadAverage, cpuBusyAtStart, otherProcessesCpuShare (share of all cores other processes used during the run),
  peakGflops, peakMethod, peakSide, peakCandidates [{side, method, gflops, OPENBLAS_CORETYPE?, ...}], peakErrors?,
  OPENBLAS_CORETYPE (as this environment sets it, or null), torchMmGflops, torchMmOpenblasCoretype, peakBlasThreads,
  graphs: {"<modelId>/<role>": {flops: {"1": n, "64": n}, flopsMethod?, weights, parityMaxRelError, parityMaxAbsError,
                                 torch: {"1": stats, "64": stats} | {skipped: reason}}},
  ddim50: {"<modelId>": {"1": stats, "16": stats} | {skipped: reason}},
  inversion300: {"1": stats + stepsPerSecond, "8": ...} | {skipped: reason}
  styleganInversion: {"<fixtureId>": {weights, parityMaxRelError, parityMaxAbsError, forward: stats,
                                      z: stats + stepsPerSecond, "w+": stats + stepsPerSecond} | {skipped: reason}}
  stats = {median, p10, p90, runs}

- FLOPs are counted from the .onnx files alone (onnx + shape inference at a fixed batch): 2*MACs of Conv,
  ConvTranspose, Gemm and MatMul nodes; elementwise ops are ignored. Where Debian's onnx 1.12 cannot infer the shapes
  (Pads and Reshapes computed from Shape: the SD-style VAE encoders, the spatial latent denoiser, the DiT), they are
  PyTorch's profiler's count of the same module's run (flopsMethod says so; it agrees with the ONNX count where both
  size a graph without ConvTranspose).
- Every bundled model (models/*/manifest.json), as graphs.perf.ts times every bundled graph. The PyTorch modules are
  the classes in models/train/*.py with the weights of the ONNX files the repository ships
  (tests/bench/onnx_weights.py maps the initializers back, through the export's rewrites, to each module's
  state_dict; the training checkpoints are git-ignored and not used), so the PyTorch side runs on a fresh clone.
  The modules are the ones the graphs were exported from: FoldedGenerator for the DCGAN generator,
  TabledLatentDenoiser for the latent denoiser; the classifier keeps its BatchNorms (as the identity plus the bias
  the exporter folded into each Conv). Every timed role is checked against models/<id>/parity.json
  (parityMaxRelError = max |torch - reference| / max |reference|, parityMaxAbsError = max |torch - reference|, over
  all cases and outputs); a role over PARITY_TOL is not timed, and says so, as does one whose weights cannot be read.
- The peak (peakGflops) is the best of large float32 GEMMs on both sides (measure_peak): onnxruntime-node's MatMul,
  torch.mm (OpenBLAS, with OPENBLAS_CORETYPE as the environment sets it and without) and oneDNN linear.
- styleganInversion: one inversion step (forward, squared error against a target, loss.backward() to the code; no
  optimizer) at batch 1 in z and in w+ for the StyleGAN-style fixtures in tests/fixtures/models, which
  tests/bench/autodiff.perf.ts times in onnxruntime through the differentiated graphs. The modules are
  build_fixtures.py's classes with the weights of the fixture's generator.onnx, parity-checked as above.
- Never fails on a missing model, weight or package; exits 0.
"""
import argparse, base64, json, math, os, platform, sys, time, traceback

sys.dont_write_bytecode = True                 # importing models/train/*.py must not leave __pycache__ in the repo
THREADS = 2
for _i, _a in enumerate(sys.argv):            # --threads N (default 2), applied before torch is imported
    if _a == "--threads" and _i + 1 < len(sys.argv) and sys.argv[_i + 1].isdigit():
        THREADS = max(1, int(sys.argv[_i + 1]))
os.environ["OMP_NUM_THREADS"] = str(THREADS)
# Debian's torch does torch.mm / nn.Linear through OpenBLAS (pthreads build), which has its own thread pool.
# Like the training scripts we keep it at 1 thread for the model timings: with 2 OpenBLAS threads spinning next to
# 2 OpenMP threads on 2 cores, conv/elementwise-heavy graphs measured up to 2-7x slower (e.g. the VAE decoder at
# batch 64). The matmul peak is measured with OpenBLAS switched to THREADS threads (see measure_peak).
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = str(THREADS)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "models")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "models")
STYLEGAN_FIXTURES = ["stylegan-tiny", "stylegan-256"]
TRAIN = os.path.join(MODELS, "train")
# Every bundled model, as graphs.perf.ts times every bundled graph (a folder without a manifest is not a model).
MODEL_IDS = sorted(d for d in os.listdir(MODELS) if os.path.isfile(os.path.join(MODELS, d, "manifest.json")))
FLOP_BATCHES = [1, 64]
GRAPH_BATCHES = [1, 64]
DDIM_BATCHES = [1, 16]
INV_BATCHES = [1, 8]
INV_STEPS = 300
INV_LR = 0.05
PARITY_TOL = 1e-4

try:
    import numpy as np
except Exception:  # numpy is needed for everything below except the error report
    np = None


def rel(path):
    return os.path.relpath(path, ROOT)


def cpu_name():
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except Exception:
        pass
    return platform.processor() or platform.machine() or "unknown"


def load_average():
    try:
        return [round(v, 2) for v in os.getloadavg()]
    except Exception:
        return None


class CpuMonitor:
    """share of the machine's CPU used by OTHER processes while the benchmark ran: (all busy jiffies from /proc/stat
    minus this process's own CPU time) / (wall time * cores). Contention makes eager timings unreliable."""
    def __init__(self):
        self.t0, self.b0, self.own0 = time.time(), self._busy(), self._own()

    @staticmethod
    def _busy():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return (sum(v[:8]) - v[3] - v[4]) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def _own():
        t = os.times()
        return t.user + t.system + t.children_user + t.children_system

    def other_share(self):
        try:
            wall = time.time() - self.t0
            other = (self._busy() - self.b0) - (self._own() - self.own0)
            return round(min(1.0, max(0.0, other / (wall * (os.cpu_count() or 1)))), 3)
        except Exception:
            return None


def cpu_busy(interval=0.5):
    """share of all cores busy (0..1) over `interval` seconds, from /proc/stat; None where unavailable"""
    def snap():
        with open("/proc/stat") as f:
            v = [int(x) for x in f.readline().split()[1:]]
        return sum(v[:8]), v[3] + (v[4] if len(v) > 4 else 0)
    try:
        t0, i0 = snap()
        time.sleep(interval)
        t1, i1 = snap()
        return round(1.0 - (i1 - i0) / max(1, t1 - t0), 3)
    except Exception:
        return None


def write_json(path, obj):
    d = os.path.dirname(os.path.abspath(path))
    os.makedirs(d, exist_ok=True)
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=1)
        f.write("\n")
    os.replace(path + ".tmp", path)


def read_manifests():
    out = {}
    for mid in MODEL_IDS:
        p = os.path.join(MODELS, mid, "manifest.json")
        if not os.path.exists(p):
            continue
        try:
            with open(p) as f:
                out[mid] = json.load(f)
        except Exception as e:
            print(f"  warning: cannot read {rel(p)}: {e}", flush=True)
    return out


# ------------------------------------------------------------------------------------------ FLOPs
def _prod(xs):
    p = 1
    for x in xs:
        p *= x
    return p


def _declare_col2im_shapes(onnx, g, batch):
    """Col2Im (opset 18; bundled decoders write ConvTranspose as MatMul + Col2Im) outputs [batch, C, *image] with
    C = rows of the MatMul's weight / prod(block); declared so shape inference can go on past it."""
    from onnx import numpy_helper
    inits = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    producer = {o: n for n in g.node for o in n.output}
    for node in g.node:
        if node.op_type != "Col2Im":
            continue
        mm = producer.get(node.input[0])
        if mm is None or mm.op_type != "MatMul" or mm.input[0] not in inits:
            continue
        image, block = inits[node.input[1]].tolist(), inits[node.input[2]].tolist()
        channels = inits[mm.input[0]].shape[0] // _prod(block)
        g.value_info.append(onnx.helper.make_tensor_value_info(node.output[0], onnx.TensorProto.FLOAT, [batch, channels] + image))


def count_flops(onnx, path, batch):
    """2*MACs of Conv/ConvTranspose/Gemm/MatMul at the given batch. Returns (flops, list of nodes it could not size)."""
    from onnx import shape_inference
    m = onnx.load(path)
    g = m.graph
    for vi in list(g.input) + list(g.output):
        if not vi.type.HasField("tensor_type"):
            continue
        for d in vi.type.tensor_type.shape.dim:
            if d.HasField("dim_param") and d.dim_param == "batch":
                d.dim_value = batch                        # oneof: clears dim_param
    del g.value_info[:]                                   # drop any symbolic intermediate shapes
    _declare_col2im_shapes(onnx, g, batch)
    for o in m.opset_import:                              # an older onnx still sizes everything but Col2Im (declared above)
        if o.domain in ("", "ai.onnx"):
            o.version = min(o.version, onnx.defs.onnx_opset_version())
    try:
        m = shape_inference.infer_shapes(m, strict_mode=True, data_prop=True)
    except TypeError:                                     # older onnx without data_prop
        m = shape_inference.infer_shapes(m)
    g = m.graph
    shapes = {}
    for vi in list(g.input) + list(g.output) + list(g.value_info):
        t = vi.type.tensor_type
        if t.HasField("shape"):
            dims = [d.dim_value if d.HasField("dim_value") else None for d in t.shape.dim]
            shapes[vi.name] = dims
    for init in g.initializer:
        shapes[init.name] = list(init.dims)
    for node in g.node:                                    # Constant nodes (shape inference covers them too)
        if node.op_type == "Constant":
            for a in node.attribute:
                if a.name == "value":
                    shapes.setdefault(node.output[0], list(a.t.dims))

    def sh(name):
        s = shapes.get(name)
        return s if s is not None and all(isinstance(v, int) and v is not None for v in s) else None

    def attr(node, name, default):
        for a in node.attribute:
            if a.name == name:
                return onnx.helper.get_attribute_value(a)
        return default

    macs, unknown = 0, []
    for node in g.node:
        op = node.op_type
        if op not in ("Conv", "ConvTranspose", "Gemm", "MatMul"):
            continue
        try:
            if op == "Conv":
                out, w = sh(node.output[0]), sh(node.input[1])
                macs += _prod(out) * _prod(w[1:])           # out_elements * in_channels/groups * kh * kw
            elif op == "ConvTranspose":
                inp, w = sh(node.input[0]), sh(node.input[1])
                macs += _prod(inp) * _prod(w[1:])           # in_elements * out_channels/groups * kh * kw
            elif op == "Gemm":
                a, b = sh(node.input[0]), sh(node.input[1])
                M, K = (a[1], a[0]) if attr(node, "transA", 0) else (a[0], a[1])
                N = b[0] if attr(node, "transB", 0) else b[1]
                macs += M * N * K
            else:  # MatMul (numpy semantics)
                a, b, out = sh(node.input[0]), sh(node.input[1]), sh(node.output[0])
                K = a[-1]
                if out is None:
                    raise ValueError("no output shape")
                macs += max(1, _prod(out)) * K
        except Exception:
            unknown.append(node.name or op)
    return 2 * macs, unknown


def graph_flops(onnx, path):
    res, unknown = {}, []
    for b in FLOP_BATCHES:
        f, u = count_flops(onnx, path, b)
        res[str(b)] = int(f)
        unknown += [n for n in u if n not in unknown]
    return res, unknown


# ------------------------------------------------------------------------------------------ timing
def summarize(times_s):
    a = np.asarray(times_s, dtype=np.float64) * 1000.0
    return {"median": round(float(np.median(a)), 4), "p10": round(float(np.percentile(a, 10)), 4),
            "p90": round(float(np.percentile(a, 90)), 4), "runs": int(len(a))}


DEADLINE = [None]        # perf_counter value after which every remaining configuration gets a single run
HARD_CAP_S = 12.0        # a configuration stops after this many seconds once it has one timed run


def time_fn(fn, warmup, budget_s, max_runs, min_runs, warmup_s=0.0):
    """warmup runs, then more until warmup_s have passed; then timed runs (graphs.perf.ts's measure() does the same)"""
    late = DEADLINE[0] is not None and time.perf_counter() > DEADLINE[0]
    if late:                                   # over the whole-script budget (e.g. a contended machine)
        warmup, max_runs, min_runs, warmup_s = min(warmup, 1), 1, 1, 0.0
    t_first = time.perf_counter()
    i = 0
    while i < warmup or time.perf_counter() - t_first < warmup_s:
        fn()
        i += 1
        if time.perf_counter() - t_first > HARD_CAP_S / 2:
            break
    times, t_start = [], time.perf_counter()
    while len(times) < max_runs and (len(times) < min_runs or time.perf_counter() - t_start < budget_s):
        if times and time.perf_counter() - t_start > HARD_CAP_S:
            break
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return summarize(times)


# ------------------------------------------------------------------------------------------ modules
class Skip(Exception):
    pass


def with_int_inputs(torch, loaded, spec):
    """(module, weights) whose graph takes integer inputs (timesteps, class labels): the module is called with them as
    int64 tensors, as the graph is, however the caller made them (parity.json keeps every input as float32)."""
    module, weights = loaded
    ints = [i.get("dtype") in ("int64", "int32") for i in spec["inputs"]]

    class IntInputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.inner = module

        def forward(self, *args):
            return self.inner(*(a.long() if is_int else a for a, is_int in zip(args, ints)))

    return IntInputs().eval(), weights


def build_modules(torch, onnx, mid, man):
    """-> {role: (module, weights description)}, the weights read from the model's ONNX files (tests/bench/onnx_weights.py);
    raises Skip with the reason when they cannot be."""
    if onnx is None:
        raise Skip("python3-onnx not installed: the PyTorch modules take their weights from the ONNX files")
    folder = os.path.join(MODELS, mid)
    files = {role: os.path.join(folder, spec.get("file", role + ".onnx")) for role, spec in (man.get("graphs") or {}).items()}
    absent = [rel(f) for f in files.values() if not os.path.exists(f)]
    if absent:
        raise Skip(f"{', '.join(absent)} not present")
    try:
        import onnx_weights as ow
    except ImportError as e:
        raise Skip(f"cannot import tests/bench/onnx_weights.py: {e}")
    try:
        if mid == "fmnist-classifier":
            return {"classifier": ow.classifier(torch, onnx, files["classifier"])}
        if mid in ("fmnist-vae", "fmnist-ae"):
            enc, dec = ow.vae(torch, onnx, folder, mid == "fmnist-ae")
            return {"encoder": enc, "decoder": dec}
        if mid == "fmnist-ddpm-latent":
            # The module the ONNX graph was exported from (time projections gathered from tables),
            # so both sides run the same computation.
            return {"denoiser": ow.latent_denoiser(torch, onnx, files["denoiser"])}
        if mid == "fmnist-dcgan":
            # The generator as exported (BatchNorms folded into the layers before them), as for the latent denoiser.
            return ow.dcgan(torch, onnx, folder)
        if mid == "fmnist-ddpm-pixel":
            return {"denoiser": ow.pixel_denoiser(torch, onnx, files["denoiser"])}
        if mid == "fmnist-ddpm-pixel-cond":
            return {"denoiser": with_int_inputs(torch, ow.pixel_denoiser(torch, onnx, files["denoiser"], conditional=True), man["graphs"]["denoiser"])}
        if mid == "fmnist-ddpm-latent-cond":
            m = ow._train("train_ddpm_latent_spatial").SpatialDenoiser()
            return {"denoiser": with_int_inputs(torch, ow.with_group_norms(torch, onnx, m, files["denoiser"]), man["graphs"]["denoiser"])}
        if mid in ("fmnist-vae-spatial", "emoji-vae"):
            vae = ow._train("train_fmnist_vae_spatial" if mid == "fmnist-vae-spatial" else "train_emoji_vae").VAE()
            return {role: ow.with_group_norms(torch, onnx, getattr(vae, role), files[role]) for role in ("encoder", "decoder")}
        if mid == "emoji-classifier":
            return {"classifier": ow.classifier(torch, onnx, files["classifier"], module=ow._train("train_emoji_classifier").Classifier())}
        if mid == "emoji-dit":
            return {"denoiser": with_int_inputs(torch, ow.emoji_dit(torch, onnx, files["denoiser"]), man["graphs"]["denoiser"])}
    except ow.WeightError as e:
        raise Skip(f"cannot load the weights from the ONNX files: {e}")
    except ImportError as e:
        raise Skip(f"cannot import the training script's module: {e}")
    raise Skip(f"no PyTorch module mapping for model {mid}")


def profiled_flops(torch, module, args):
    """FLOPs of one run as PyTorch's profiler counts them (2 x MACs of convolutions and matrix products, as count_flops):
    for graphs whose shapes this onnx cannot infer (Pads and Reshapes computed from Shape). It counts no ConvTranspose,
    so it only stands in where the ONNX count is short."""
    with torch.profiler.profile(with_flops=True) as prof, torch.inference_mode():
        module(*args)
    return int(sum(e.flops for e in prof.key_averages() if e.flops))


def make_inputs(torch, man, spec, batch, gen):
    """random inputs for a manifest graph spec at a batch size"""
    kind = man.get("kind")
    lo, hi = (man.get("image") or {}).get("range", [0, 1])
    img = man.get("image") or {}
    img_shape = [img.get("channels"), img.get("height"), img.get("width")]
    out = []
    for inp in spec["inputs"]:
        shape = [batch if d == "batch" else int(d) for d in inp["shape"]]
        if inp.get("dtype") in ("int64", "int32"):
            # integer timesteps over the schedule, or class labels over the model's (the null label included)
            labels = ((man.get("diffusion") or {}).get("conditioning") or {}).get("labels") or [0] * 10
            x = torch.randint(0, 1000 if inp["name"] == "t" else len(labels) + 1, shape, generator=gen)
        elif inp["name"] == "t":
            x = torch.rand(shape, generator=gen) * 999.0
        elif kind == "diffusion":
            x = torch.randn(shape, generator=gen)
        elif shape[1:] == img_shape:
            x = lo + (hi - lo) * torch.rand(shape, generator=gen)
        else:
            x = torch.randn(shape, generator=gen)
        out.append(x)
    return out


def _decode(entry):
    a = np.frombuffer(base64.b64decode(entry["data"]), dtype="<f4").astype(np.float32)
    return a.reshape(entry["shape"])


def parity_errors(torch, module, spec, cases):
    """(max |torch - reference| / max |reference|, max |torch - reference|) over all cases and outputs; inf on a shape mismatch"""
    worst, worst_abs = 0.0, 0.0
    with torch.no_grad():
        for case in cases:
            names = [i["name"] for i in spec["inputs"]]
            args = [torch.from_numpy(_decode(case["inputs"][n]).copy()) for n in names]
            out = module(*args)
            if isinstance(out, torch.Tensor):
                out = (out,)
            onames = [o["name"] for o in spec["outputs"]]
            for name, o in zip(onames, out):
                ref = _decode(case["outputs"][name])
                got = o.detach().numpy()
                if tuple(got.shape) != tuple(ref.shape):
                    return float("inf"), float("inf")
                denom = max(float(np.abs(ref).max()), 1e-12)
                d = float(np.abs(got - ref).max())
                worst, worst_abs = max(worst, d / denom), max(worst_abs, d)
    return worst, worst_abs


def parity_error(torch, module, spec, cases):
    return parity_errors(torch, module, spec, cases)[0]


# ------------------------------------------------------------------------------------------ main parts
def _openblas():
    """the ctypes handle of the OpenBLAS loaded by torch (Debian: libblas.so.3 -> openblas-pthread), or None"""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({l.split()[-1] for l in f if "blas" in l.lower() and l.split()[-1].startswith("/")})
    except Exception:
        return None
    for p in libs:
        try:
            lib = ctypes.CDLL(p)
            lib.openblas_set_num_threads, lib.openblas_get_num_threads       # AttributeError if not OpenBLAS
            lib.openblas_get_corename.restype = lib.openblas_get_config.restype = ctypes.c_char_p
            return lib
        except (OSError, AttributeError):
            continue
    return None


def openblas_threads_setter():
    """(set, get) for the OpenBLAS loaded by torch, or None (other BLAS / not found)"""
    lib = _openblas()
    return None if lib is None else (lib.openblas_set_num_threads, lib.openblas_get_num_threads)


def openblas_info():
    """{config, core, library} of the OpenBLAS loaded by torch ({} for another BLAS)"""
    lib = _openblas()
    if lib is None:
        return {}
    try:
        return {"config": lib.openblas_get_config().decode(), "core": lib.openblas_get_corename().decode(), "library": lib._name}
    except Exception:
        return {"library": lib._name}


def torch_build(torch):
    """what PyTorch this is: version, the distribution package, and the BLAS it does torch.mm / nn.Linear with"""
    import re, subprocess
    cfg = torch.__config__.show()

    def find(pattern):
        m = re.search(pattern, cfg)
        return m.group(1).strip() if m else None
    b = {"version": torch.__version__, "blasInfo": find(r"BLAS_INFO=([^,\s]+)"), "lapackInfo": find(r"LAPACK_INFO=([^,\s]+)"),
         "mkldnn": find(r"MKL-DNN (v[\d.]+)"), "cpuCapability": find(r"CPU capability usage: (\S+)"),
         "buildSettings": find(r"Build settings: ([^\n]*)")}
    if b["buildSettings"]:
        b["buildSettings"] = ", ".join(x.strip() for x in b["buildSettings"].split(",") if x.strip() and not x.strip().startswith(("CXX_FLAGS", "-")))
    if torch.__file__.startswith("/usr/lib/python3/dist-packages/"):
        try:
            v = subprocess.run(["dpkg-query", "-W", "-f", "${Version}", "python3-torch"], capture_output=True, text=True, timeout=10)
            if v.returncode == 0 and v.stdout.strip():
                b["package"] = f"Debian python3-torch {v.stdout.strip()}"
        except Exception:
            pass
    ob = openblas_info()
    if ob:
        b["openblas"] = ob
    lib = ob.get("config", "").split(" NO_")[0].split(" DYNAMIC_ARCH")[0] if ob.get("config") else None
    blas = f"BLAS_INFO={b['blasInfo']}" + (f" (the system libblas.so.3: {lib}, {'pthread' if 'pthread' in ob.get('library', '') else 'build'}, {ob.get('core')} kernels)" if lib else "")
    parts = [b.get("package") or "pip/other build", blas]
    if b["mkldnn"]:
        parts.append(f"oneDNN {b['mkldnn']} for convolutions")
    b["summary"] = ", ".join(parts)
    return b


PEAK_N = 2048


def peak_child(quick):
    """--peak-child: best-of-N torch.mm (OpenBLAS at THREADS threads) and oneDNN linear of PEAK_N^3 in this process, whose
    OpenBLAS chose its kernels under this process's OPENBLAS_CORETYPE; prints one JSON line"""
    import torch
    torch.set_num_threads(THREADS)
    ob = openblas_threads_setter()
    if ob is not None:
        ob[0](THREADS)
    n, reps = PEAK_N, (3 if quick else 6)
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)

    def best(fn):
        fn()
        t = float("inf")
        for _ in range(reps):
            t0 = time.perf_counter()
            fn()
            t = min(t, time.perf_counter() - t0)
        return round(2.0 * n ** 3 / t / 1e9, 2)
    out = {"torchMm": best(lambda: torch.mm(a, b, out=c)), "blasThreads": int(ob[1]()) if ob is not None else None,
           "openblas": openblas_info(), "OPENBLAS_CORETYPE": os.environ.get("OPENBLAS_CORETYPE")}
    try:                                   # the GEMM of the library PyTorch's convolutions run on (oneDNN, mkldnn)
        am, bm = a.to_mkldnn(), b.to_mkldnn()
        with torch.no_grad():
            out["onednnLinear"] = best(lambda: torch._C._nn.mkldnn_linear(am, bm, None))
    except Exception as e:
        out["onednnLinearError"] = f"{type(e).__name__}: {e}"
    print(json.dumps(out), flush=True)


ORT_PEAK_JS = r"""
const [file, n, threads, reps] = process.argv.slice(1).map((v, i) => (i ? Number(v) : v));
const ort = require('onnxruntime-node');
(async () => {
  const s = await ort.InferenceSession.create(file, { executionProviders: ['cpu'], intraOpNumThreads: threads, graphOptimizationLevel: 'all' });
  const a = new ort.Tensor('float32', Float32Array.from({ length: n * n }, (_, i) => Math.sin(i)), [n, n]);
  await s.run({ a });
  let best = Infinity;
  for (let i = 0; i < reps; i++) {
    const t = process.hrtime.bigint();
    await s.run({ a });
    best = Math.min(best, Number(process.hrtime.bigint() - t) / 1e9);
  }
  console.log(JSON.stringify({ seconds: best, version: require('onnxruntime-node/package.json').version }));
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); });
"""


def ort_peak(onnx, quick):
    """best-of-N PEAK_N^3 MatMul (A fed, B a constant: the way model weights are) in onnxruntime-node, CPU, THREADS
    intra-op threads, as tests/bench/graphs.perf.ts makes its sessions. Returns a candidate dict or {"error": ...}."""
    import shutil, subprocess, tempfile
    node = shutil.which("node")
    if node is None:
        return {"error": "node not found"}
    if not os.path.exists(os.path.join(ROOT, "node_modules", "onnxruntime-node")):
        return {"error": "node_modules/onnxruntime-node not installed"}
    if onnx is None:
        return {"error": "python3-onnx not installed (the MatMul graph is written with it)"}
    from onnx import helper, numpy_helper, TensorProto
    n = PEAK_N
    d = tempfile.mkdtemp(prefix="torch-bench-peak-")
    path = os.path.join(d, "matmul.onnx")
    try:
        b = np.random.default_rng(0).standard_normal((n, n), dtype=np.float32)
        g = helper.make_graph([helper.make_node("MatMul", ["a", "b"], ["c"])], "peak",
                              [helper.make_tensor_value_info("a", TensorProto.FLOAT, [n, n])],
                              [helper.make_tensor_value_info("c", TensorProto.FLOAT, [n, n])], [numpy_helper.from_array(b, "b")])
        onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 17)]), path)
        p = subprocess.run([node, "-e", ORT_PEAK_JS, path, str(n), str(THREADS), str(3 if quick else 6)], cwd=ROOT,
                           capture_output=True, text=True, timeout=180)
        lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
        r = json.loads(lines[-1]) if lines else {"error": (p.stderr.strip().splitlines() or ["no output"])[-1]}
        if "seconds" not in r:
            return {"error": r.get("error", "no timing")}
        return {"side": "onnxruntime-node", "method": f"MatMul {n}x{n}x{n}, constant B (MLAS)", "gflops": round(2.0 * n ** 3 / r["seconds"] / 1e9, 2),
                "onnxruntime": r.get("version"), "threads": THREADS}
    except Exception as e:
        return {"error": f"{type(e).__name__}: {e}"}
    finally:
        shutil.rmtree(d, ignore_errors=True)


def measure_peak(torch, onnx, quick, res):
    """The CPU's peak as the best of large float32 GEMMs on both sides: onnxruntime-node's MatMul (MLAS), PyTorch's
    torch.mm (through the system OpenBLAS) and oneDNN linear, each PEAK_N^3 at THREADS threads. OpenBLAS picks its
    kernels when it loads, from the CPU or from OPENBLAS_CORETYPE, so torch is measured in child processes: with the
    variable as this environment sets it, and without it. A GEMM that large runs near the best a core does, so graph
    GFLOP/s can be read against it (before, the peak was torch.mm alone, which with generic BLAS on AMD EPYC sat below
    what onnxruntime reached: up to 184% "of peak")."""
    import subprocess
    coretype = os.environ.get("OPENBLAS_CORETYPE")
    variants = [("as set" if coretype is not None else "not set", dict(os.environ))]
    if coretype is not None:
        env = dict(os.environ)
        env.pop("OPENBLAS_CORETYPE")
        variants.append(("unset", env))
    cands, errors = [], []
    for label, env in variants:
        try:
            p = subprocess.run([sys.executable, os.path.abspath(__file__), "--peak-child", "--threads", str(THREADS)] + (["--quick"] if quick else []),
                               env=env, capture_output=True, text=True, timeout=300)
            lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
            if not lines:
                errors.append(f"torch peak ({label}): {(p.stderr.strip().splitlines() or ['no output'])[-1]}")
                continue
            r = json.loads(lines[-1])
        except Exception as e:
            errors.append(f"torch peak ({label}): {type(e).__name__}: {e}")
            continue
        ct = env.get("OPENBLAS_CORETYPE")
        core = (r.get("openblas") or {}).get("core")
        tag = f"OPENBLAS_CORETYPE={ct}" if ct is not None else "OPENBLAS_CORETYPE unset"
        cands.append({"side": "PyTorch", "method": f"torch.mm {PEAK_N}x{PEAK_N}x{PEAK_N} (OpenBLAS, {core} kernels, {tag})", "gflops": r["torchMm"],
                      "OPENBLAS_CORETYPE": ct, "openblasCore": core, "blasThreads": r.get("blasThreads")})
        if "onednnLinear" in r and label in ("as set", "not set"):   # oneDNN ignores OPENBLAS_CORETYPE: once is enough
            cands.append({"side": "PyTorch", "method": f"oneDNN linear {PEAK_N}x{PEAK_N}x{PEAK_N} (torch._C._nn.mkldnn_linear)", "gflops": r["onednnLinear"],
                          "OPENBLAS_CORETYPE": ct})
    o = ort_peak(onnx, quick)
    if "error" in o:
        errors.append(f"onnxruntime-node peak: {o['error']}")
    else:
        cands.append(o)
    res["peakCandidates"] = cands
    if errors:
        res["peakErrors"] = errors
    res["OPENBLAS_CORETYPE"] = coretype
    mm = [c for c in cands if c["method"].startswith("torch.mm")]
    if mm:
        bmm = max(mm, key=lambda c: c["gflops"])
        res["peakBlasThreads"] = bmm.get("blasThreads")
        res["torchMmGflops"] = bmm["gflops"]
        res["torchMmOpenblasCoretype"] = bmm["OPENBLAS_CORETYPE"]
    if not cands:
        return None
    best = max(cands, key=lambda c: c["gflops"])
    res["peakSide"] = best["side"]
    res["peakMethod"] = f"best of {len(cands)} large GEMMs: {best['side']} {best['method']}"
    return best["gflops"]


def bench_graphs(torch, onnx, manifests, quick, res, loaded):
    gen = torch.Generator().manual_seed(1234) if torch is not None else None
    for mid, man in manifests.items():
        mods, skip_reason = None, None
        if torch is not None:
            try:
                mods = build_modules(torch, onnx, mid, man)
            except Skip as e:
                skip_reason = str(e)
            except Exception as e:
                skip_reason = f"could not build the PyTorch module: {type(e).__name__}: {e}"
        loaded[mid] = mods or {}
        parity = {}
        ppath = os.path.join(MODELS, mid, "parity.json")
        if os.path.exists(ppath):
            try:
                with open(ppath) as f:
                    parity = json.load(f)
            except Exception as e:
                print(f"  warning: cannot read {rel(ppath)}: {e}", flush=True)
        for role, spec in (man.get("graphs") or {}).items():
            key = f"{mid}/{role}"
            entry = res["graphs"].setdefault(key, {})
            path = os.path.join(MODELS, mid, spec.get("file", role + ".onnx"))
            if onnx is not None and os.path.exists(path):
                try:
                    entry["flops"], unknown = graph_flops(onnx, path)
                    if unknown:
                        entry["flopsUnsized"] = unknown
                except Exception as e:
                    entry["flops"] = {"error": f"{type(e).__name__}: {e}"}
            elif onnx is None:
                entry["flops"] = {"skipped": "python3-onnx not installed"}
            else:
                entry["flops"] = {"skipped": f"{rel(path)} not present"}
            if torch is None:
                continue
            if mods is None or role not in mods:
                entry["torch"] = {"skipped": skip_reason or f"no PyTorch module for role {role}"}
                continue
            module, weights = mods[role]
            try:
                entry["weights"] = weights
                cases = parity.get(role)
                if cases:
                    err, err_abs = parity_errors(torch, module, spec, cases)
                    entry["parityMaxRelError"] = float(f"{err:.3e}") if math.isfinite(err) else None
                    entry["parityMaxAbsError"] = float(f"{err_abs:.3e}") if math.isfinite(err_abs) else None
                    if not err <= PARITY_TOL:
                        # not the graph's arithmetic: no timing, and no DDIM / inversion run on it either
                        entry["torch"] = {"skipped": f"parity {err:.1e} over {PARITY_TOL} against {rel(ppath)} with weights {weights}"}
                        mods.pop(role, None)
                        continue
                else:
                    entry["parityMaxRelError"] = None
                    entry["parityNote"] = f"no {role} cases in {rel(ppath)}"
                tres = {}
                for b in GRAPH_BATCHES:
                    args = make_inputs(torch, man, spec, b, gen)
                    big = b >= 64
                    with torch.inference_mode():
                        fn = lambda: module(*args)
                        # Same warm-up and run counts as tests/bench/graphs.perf.ts gives onnxruntime-node.
                        tres[str(b)] = time_fn(fn, warmup=(2 if quick else (5 if big else 10)),
                                               budget_s=(0.15 if quick else (0.8 if big else 1.0)),
                                               max_runs=(15 if quick else (100 if big else 2000)),
                                               min_runs=(3 if quick else (30 if big else 5)), warmup_s=(0.0 if quick else 0.3))
                entry["torch"] = tres
                if entry.get("flopsUnsized"):
                    counted = {str(b): profiled_flops(torch, module, make_inputs(torch, man, spec, b, gen)) for b in FLOP_BATCHES}
                    if all(counted[k] > (entry["flops"].get(k) or 0) for k in counted):
                        entry["flops"], entry["flopsMethod"] = counted, (
                            f"PyTorch's profiler on the same module: this onnx could not size {len(entry['flopsUnsized'])} of the graph's Conv/MatMul nodes")
            except Exception as e:
                traceback.print_exc()
                entry["torch"] = {"skipped": f"error while timing: {type(e).__name__}: {e}"}


def bench_ddim(torch, manifests, loaded, quick, res):
    if TRAIN not in sys.path:
        sys.path.insert(0, TRAIN)
    out = {}
    for mid in ("fmnist-ddpm-latent", "fmnist-ddpm-pixel"):
        man = manifests.get(mid)
        if man is None:
            continue
        role = loaded.get(mid, {}).get("denoiser")
        if role is None:
            out[mid] = {"skipped": res["graphs"].get(f"{mid}/denoiser", {}).get("torch", {}).get("skipped", "denoiser not loaded")}
            continue
        net = role[0]
        try:
            from common import linear_schedule, ddim_sample
            dif = man.get("diffusion") or {}
            sch = dif.get("schedule") or {}
            if sch.get("type", "linear") != "linear":
                out[mid] = {"skipped": f"schedule {sch.get('type')} not supported by the benchmark"}
                continue
            _, abar = linear_schedule(int(sch.get("timesteps", 1000)), float(sch.get("betaStart", 1e-4)), float(sch.get("betaEnd", 0.02)))
            spec = man["graphs"]["denoiser"]["inputs"][0]["shape"][1:]
            dec, scale = None, 1.0
            if dif.get("space") == "latent":
                dmid = dif.get("decoder", "fmnist-vae")
                d = loaded.get(dmid, {}).get("decoder")
                if d is None:
                    out[mid] = {"skipped": f"decoder {dmid} not loaded"}
                    continue
                dec, scale = d[0], float(dif.get("latentScale", 1.0))
            gen = torch.Generator().manual_seed(77)
            r = {}
            for b in DDIM_BATCHES:
                def run():
                    x = ddim_sample(net, (b, *spec), abar, 50, gen)
                    with torch.no_grad():
                        return dec(x / scale) if dec is not None else x.clamp(-1, 1)
                r[str(b)] = time_fn(run, warmup=1, budget_s=(0.0 if quick else 2.5), max_runs=(1 if quick else 20),
                                    min_runs=(1 if quick else 3))
            r["steps"] = 50
            r["eta"] = 0
            r["includesDecode"] = dec is not None
            out[mid] = r
        except Exception as e:
            traceback.print_exc()
            out[mid] = {"skipped": f"error: {type(e).__name__}: {e}"}
    res["ddim50"] = out


def bench_inversion(torch, manifests, loaded, quick, res):
    if "fmnist-dcgan" not in manifests:
        return
    g = loaded.get("fmnist-dcgan", {}).get("generator")
    if g is None:
        res["inversion300"] = {"skipped": res["graphs"].get("fmnist-dcgan/generator", {}).get("torch", {}).get("skipped", "generator not loaded")}
        return
    G = g[0].eval()
    for p in G.parameters():
        p.requires_grad_(False)
    zd = int(manifests["fmnist-dcgan"]["graphs"]["generator"]["inputs"][0]["shape"][1])
    gen = torch.Generator().manual_seed(99)
    with torch.no_grad():
        target = G(torch.randn(1, zd, generator=gen))          # one image in the generator's range [-1,1]
    out = {}
    for k in INV_BATCHES:
        x = target.expand(k, -1, -1, -1).contiguous()           # K restarts of one target, batched
        z0 = torch.randn(k, zd, generator=gen)

        def run():
            z = z0.clone().requires_grad_(True)
            opt = torch.optim.Adam([z], lr=INV_LR, betas=(0.9, 0.999), eps=1e-8)
            for _ in range(INV_STEPS):
                loss = ((G(z) - x) ** 2).flatten(1).sum(1).sum()
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
            return z
        st = time_fn(run, warmup=1, budget_s=(0.0 if quick else 2.0), max_runs=(1 if quick else 15),
                     min_runs=(1 if quick else 3))
        st["stepsPerSecond"] = round(INV_STEPS / (st["median"] / 1000.0), 1)
        out[str(k)] = st
    out["steps"] = INV_STEPS
    out["optimizer"] = f"Adam lr {INV_LR}, autograd through the generator, loss sum (G(z)-x)^2"
    res["inversion300"] = out


def stylegan_fixture(torch, onnx, fid):
    """(generator, weights, parity error, abs error) for a StyleGAN-style fixture: build_fixtures.py's classes with the
    weights of the fixture's generator.onnx (tests/bench/onnx_weights.py: by name where the export kept the parameter
    names, from the constant-folded graph where it did not)."""
    import onnx_weights as ow
    folder = os.path.join(FIXTURES, fid)
    with open(os.path.join(folder, "manifest.json")) as f:
        man = json.load(f)
    with open(os.path.join(folder, "parity.json")) as f:
        parity = json.load(f)
    if onnx is None:
        raise Skip("python3-onnx not installed: the PyTorch modules take their weights from the ONNX files")
    try:
        G, weights = ow.stylegan(torch, onnx, fid)
    except ow.WeightError as e:
        raise Skip(f"cannot load the weights from {rel(os.path.join(folder, 'generator.onnx'))}: {e}")
    a = parity_errors(torch, G, man["graphs"]["generator"], parity["generator"])
    b = parity_errors(torch, G.synthesis, man["graphs"]["synthesis"], parity["synthesis"])
    return G, weights, max(a[0], b[0]), max(a[1], b[1])


def bench_stylegan_fixtures(torch, onnx, quick, res):
    out = {}
    for fid in STYLEGAN_FIXTURES:
        try:
            if not os.path.exists(os.path.join(FIXTURES, fid, "generator.onnx")):
                out[fid] = {"skipped": f"{rel(os.path.join(FIXTURES, fid))} not present"}
                continue
            try:
                G, weights, err, err_abs = stylegan_fixture(torch, onnx, fid)
            except Skip as e:
                out[fid] = {"skipped": str(e)}
                continue
            if not err <= PARITY_TOL:
                out[fid] = {"skipped": f"parity {err:.1e} over {PARITY_TOL} with weights {weights}"}
                continue
            entry = {"weights": weights, "parityMaxRelError": float(f"{err:.3e}"), "parityMaxAbsError": float(f"{err_abs:.3e}")}
            for p in G.parameters():
                p.requires_grad_(False)
            S = G.synthesis
            gen = torch.Generator().manual_seed(7)
            z0 = torch.randn(1, G.mapping.fc0.weight.shape[1], generator=gen)
            ws0 = torch.randn(1, S.num_ws, S.conv4.affine.weight.shape[1], generator=gen)
            with torch.no_grad():
                target = torch.rand(G(z0).shape, generator=gen) * 2 - 1

            def step(f, x0):
                x = x0.clone().requires_grad_(True)
                (f(x) - target).square().sum().backward()
                return x.grad

            def forward():
                with torch.inference_mode():
                    return G(z0)

            big = target.shape[-1] >= 256
            # The counts and the three alternating rounds (best median) that tests/bench/autodiff.perf.ts gives onnxruntime.
            counts = dict(warmup=(1 if quick else (3 if big else 10)), budget_s=(0.2 if quick else 2.0), max_runs=(3 if quick else (200 if big else 1000)),
                          min_runs=(1 if quick else (10 if big else 20)), warmup_s=(0.0 if quick else 0.3))
            rounds = {"forward": [], "z": [], "w+": []}
            for _ in range(1 if quick else 3):
                rounds["forward"].append(time_fn(forward, **counts))
                rounds["z"].append(time_fn(lambda: step(G, z0), **counts))
                rounds["w+"].append(time_fn(lambda: step(S, ws0), **counts))
            for k, r in rounds.items():
                entry[k] = min(r, key=lambda st: st["median"])
                if k != "forward":
                    entry[k]["stepsPerSecond"] = round(1000.0 / entry[k]["median"], 1)
            entry["measures"] = "batch 1: sum (G(code) - target)^2, loss.backward() to the code (weights frozen), no optimizer"
            out[fid] = entry
        except Exception as e:
            traceback.print_exc()
            out[fid] = {"skipped": f"error: {type(e).__name__}: {e}"}
    res["styleganInversion"] = out


# ------------------------------------------------------------------------------------------ summary
def fmt_flops(f):
    if not isinstance(f, (int, float)):
        return "?"
    return f"{f / 1e9:.3f}G" if f >= 1e8 else f"{f / 1e6:.2f}M"


def print_summary(res):
    print()
    if not res.get("available"):
        print(f"PyTorch benchmark unavailable: {res.get('reason')}")
    else:
        print(f"PyTorch {res['torch']} eager, {res['threads']} threads, {res['cpu']}, load average {res.get('loadAverage')}")
        print(f"peak {res.get('peakGflops')} GFLOP/s ({res.get('peakMethod')}); model timings use OpenBLAS threads = {res.get('blasThreads', '?')}, "
              f"OPENBLAS_CORETYPE {'= ' + res['OPENBLAS_CORETYPE'] if res.get('OPENBLAS_CORETYPE') is not None else 'not set'}")
        for c in res.get("peakCandidates", []):
            print(f"  {c['gflops']:8.1f} GFLOP/s  {c['side']} {c['method']}")
        for e in res.get("peakErrors", []):
            print(f"  not measured: {e}")
    busy = res.get("cpuBusyAtStart")
    if res.get("available") and isinstance(busy, float) and busy > 0.25:
        print(f"WARNING: the CPU was {busy * 100:.0f}% busy just before the benchmark started (other processes); "
              f"with {res.get('threads')} OpenMP threads on {res.get('cores')} shared cores the timings below can be many times slower than on an idle machine")
    other = res.get("otherProcessesCpuShare")
    if res.get("available") and isinstance(other, float) and other > 0.1:
        print(f"WARNING: other processes used {other * 100:.0f}% of the CPU while the benchmark ran: timings are contended, rerun on an idle machine")
    print(f"{'graph':34} {'FLOPs b1':>10} {'FLOPs b64':>10} {'ms b1':>9} {'ms b64':>9} {'GFLOP/s b64':>11} {'parity (max rel, abs)':>22}")
    for key, e in res.get("graphs", {}).items():
        fl = e.get("flops", {})
        t = e.get("torch", {})
        if "skipped" in t:
            tcols = f"{'skipped: ' + t['skipped']}"
            print(f"{key:34} {fmt_flops(fl.get('1')):>10} {fmt_flops(fl.get('64')):>10}  {tcols}")
            continue
        if not t:
            print(f"{key:34} {fmt_flops(fl.get('1')):>10} {fmt_flops(fl.get('64')):>10}")
            continue
        m1, m64 = t["1"]["median"], t["64"]["median"]
        gf = f"{fl['64'] / (m64 / 1000) / 1e9:.2f}" if isinstance(fl.get("64"), (int, float)) else "?"
        p = e.get("parityMaxRelError")
        ps = "n/a" if p is None else f"{p:.1e}"
        if e.get("parityMaxAbsError") is not None:
            ps += f" ({e['parityMaxAbsError']:.1e} abs)"
        flag = "" if p is None or p <= PARITY_TOL else "  PARITY MISMATCH"
        print(f"{key:34} {fmt_flops(fl.get('1')):>10} {fmt_flops(fl.get('64')):>10} {m1:9.3f} {m64:9.3f} {gf:>11} {ps:>22}{flag}")
    for mid, r in (res.get("ddim50") or {}).items():
        if "skipped" in r:
            print(f"DDIM-50 {mid}: skipped: {r['skipped']}")
        else:
            parts = ", ".join(f"batch {b}: {r[b]['median']:.1f} ms (p10 {r[b]['p10']:.1f}, p90 {r[b]['p90']:.1f}, {r[b]['runs']} runs)"
                              for b in map(str, DDIM_BATCHES))
            print(f"DDIM-50 {mid}{' + decode' if r.get('includesDecode') else ''}: {parts}")
    inv = res.get("inversion300")
    if inv:
        if "skipped" in inv:
            print(f"inversion 300 Adam steps: skipped: {inv['skipped']}")
        else:
            parts = ", ".join(f"K={k}: {inv[k]['median']:.1f} ms ({inv[k]['stepsPerSecond']:.0f} steps/s, {inv[k]['runs']} runs)"
                              for k in map(str, INV_BATCHES))
            print(f"inversion 300 Adam steps (autograd): {parts}")
    for fid, r in (res.get("styleganInversion") or {}).items():
        if "skipped" in r:
            print(f"{fid} inversion step: skipped: {r['skipped']}")
        else:
            print(f"{fid} inversion step (autograd, batch 1): z {r['z']['median']:.2f} ms ({r['z']['stepsPerSecond']:.1f} steps/s), "
                  f"w+ {r['w+']['median']:.2f} ms ({r['w+']['stepsPerSecond']:.1f} steps/s), forward {r['forward']['median']:.2f} ms; "
                  f"weights: {r['weights']}, parity {r['parityMaxRelError']:.1e} ({r.get('parityMaxAbsError', float('nan')):.1e} abs)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench-results/torch.json")
    ap.add_argument("--quick", action="store_true", help="few runs per configuration (smoke test)")
    ap.add_argument("--threads", type=int, default=THREADS, help="intra-op threads (OMP_NUM_THREADS), default 2")
    ap.add_argument("--peak-child", action="store_true", help=argparse.SUPPRESS)
    ap.add_argument("--only", default="", help="comma-separated parts to run: graphs, ddim, inversion, stylegan (default: all)")
    args = ap.parse_args()
    if args.peak_child:
        peak_child(args.quick)
        return 0
    parts = set(filter(None, args.only.split(","))) or {"graphs", "ddim", "inversion", "stylegan"}
    t_start = time.perf_counter()
    DEADLINE[0] = t_start + (60.0 if args.quick else 180.0)

    torch = onnx = None
    reasons = []
    try:
        import torch as _t
        torch = _t
    except Exception:
        reasons.append("python3-torch not installed")
    try:
        import onnx as _o
        onnx = _o
    except Exception:
        reasons.append("python3-onnx not installed (no FLOP counts)")
    if np is None:
        reasons.append("python3-numpy not installed")
        torch = onnx = None

    res = {"available": torch is not None}
    if reasons:
        res["reason"] = "; ".join(reasons)
    res.update({"torch": torch.__version__.split("+")[0] if torch is not None else None,
                "torchVersion": torch.__version__ if torch is not None else None,
                "onnx": onnx.__version__ if onnx is not None else None,
                "threads": THREADS, "cpu": cpu_name(), "cores": os.cpu_count(), "loadAverage": load_average(),
                "cpuBusyAtStart": cpu_busy(), "quick": bool(args.quick)})
    manifests = read_manifests()
    res["graphs"] = {}
    loaded = {}
    try:
        mon = CpuMonitor()
    except Exception:
        mon = None
    try:
        if torch is not None:
            torch.set_num_threads(THREADS)
            res["threads"] = torch.get_num_threads()
            ob = openblas_threads_setter()
            res["blasThreads"] = int(ob[1]()) if ob is not None else None
            try:
                res["torchBuild"] = torch_build(torch)
                res["torch"] = f"{torch.__version__.split('+')[0]} ({res['torchBuild']['summary']})"
            except Exception as e:
                res["torchBuild"] = {"version": torch.__version__, "error": f"{type(e).__name__}: {e}"}
            try:
                res["peakGflops"] = measure_peak(torch, onnx, args.quick, res)
            except Exception as e:
                traceback.print_exc()
                res["peakGflops"], res["peakMethod"] = None, f"not measured: {type(e).__name__}: {e}"
        # ddim and inversion run the modules the graphs part loads.
        if manifests and (torch is not None or onnx is not None) and parts & {"graphs", "ddim", "inversion"}:
            bench_graphs(torch, onnx, manifests, args.quick, res, loaded)
        if torch is not None:
            if "ddim" in parts:
                bench_ddim(torch, manifests, loaded, args.quick, res)
            if "inversion" in parts:
                bench_inversion(torch, manifests, loaded, args.quick, res)
            if "stylegan" in parts:
                bench_stylegan_fixtures(torch, onnx, args.quick, res)
    except Exception as e:                     # never fail the bench run: record what happened
        traceback.print_exc()
        res["error"] = f"{type(e).__name__}: {e}"
    res["otherProcessesCpuShare"] = mon.other_share() if mon is not None else None
    res["seconds"] = round(time.perf_counter() - t_start, 1)
    write_json(args.out, res)
    print_summary(res)
    print(f"written {args.out} in {res['seconds']} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
