#!/usr/bin/python3
"""PyTorch-eager reference timings for the bundled models (the Python half of `npm run bench`).

Run from the repository root with Debian's interpreter (it has python3-torch 1.13, numpy, python3-onnx):

    /usr/bin/python3 tests/bench/torch_bench.py --out bench-results/torch.json [--quick] [--only stylegan,...]

Writes one JSON file (shape below) and prints a short summary. All times are milliseconds.

  available, reason?, torch, onnx, threads, blasThreads, cpu, cores, loadAverage, cpuBusyAtStart,
  otherProcessesCpuShare (share of all cores other processes used during the run), peakGflops,
  peakMethod, peakBlasThreads,
  graphs: {"<modelId>/<role>": {flops: {"1": n, "64": n}, weights, parityMaxRelError,
                                 torch: {"1": stats, "64": stats} | {skipped: reason}}},
  ddim50: {"<modelId>": {"1": stats, "16": stats} | {skipped: reason}},
  inversion300: {"1": stats + stepsPerSecond, "8": ...} | {skipped: reason}
  styleganInversion: {"<fixtureId>": {weights, parityMaxRelError, forward: stats, z: stats + stepsPerSecond,
                                      "w+": stats + stepsPerSecond} | {skipped: reason}}
  stats = {median, p10, p90, runs}

- FLOPs are counted from the .onnx files alone (onnx + shape inference at a fixed batch): 2*MACs of Conv,
  ConvTranspose, Gemm and MatMul nodes; elementwise ops are ignored. They need no checkpoint.
- The PyTorch modules are the classes in models/train/*.py, loaded from the checkpoints the ONNX graphs were
  exported from (models/train/checkpoints/, git-ignored: absent on fresh clones -> "skipped"). Diffusion
  denoisers use the EMA weights. Every timed role is checked against models/<id>/parity.json
  (parityMaxRelError = max |torch - reference| / max |reference| over all cases and outputs). If the
  checkpoint has moved on since the export (pixel DDPM training in progress), the weights are read from the
  ONNX file's initializers instead (recorded in "weights").
- styleganInversion: one inversion step (forward, squared error against a target, loss.backward() to the code; no
  optimizer) at batch 1 in z and in w+ for the StyleGAN-style fixtures in tests/fixtures/models, which
  tests/bench/autodiff.perf.ts times in onnxruntime through the differentiated graphs. The modules are
  build_fixtures.py's classes with the weights of the fixture's generator.onnx, parity-checked as above.
- Never fails on a missing model, checkpoint or package; exits 0.
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
# batch 64). The matmul peak is measured with OpenBLAS switched to THREADS threads (see peak_gflops).
os.environ["OPENBLAS_NUM_THREADS"] = "1"
os.environ["MKL_NUM_THREADS"] = str(THREADS)

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "models")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "models")
STYLEGAN_FIXTURES = ["stylegan-tiny", "stylegan-256"]
TRAIN = os.path.join(MODELS, "train")
CKPT = os.path.join(TRAIN, "checkpoints")
MODEL_IDS = ["fmnist-classifier", "fmnist-vae", "fmnist-ae", "fmnist-ddpm-latent", "fmnist-dcgan", "fmnist-ddpm-pixel"]
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


def need(*names):
    for n in names:
        if not os.path.exists(os.path.join(CKPT, n)):
            raise Skip(f"checkpoint {rel(os.path.join(CKPT, n))} not present")


def build_modules(torch, mid, man):
    """-> {role: (module, weights description)}; raises Skip when a checkpoint or script is missing."""
    if TRAIN not in sys.path:
        sys.path.insert(0, TRAIN)
    try:
        if mid == "fmnist-classifier":
            need("classifier_final.pt")
            from train_classifier import load_classifier
            return {"classifier": (load_classifier(), "models/train/checkpoints/classifier_final.pt")}
        if mid in ("fmnist-vae", "fmnist-ae"):
            ae = mid == "fmnist-ae"
            tag = "ae" if ae else "vae"
            need(f"{tag}_final.pt")
            from train_vae import load_vae
            enc, dec = load_vae(ae)
            w = f"models/train/checkpoints/{tag}_final.pt"
            return {"encoder": (enc, w + " [enc]"), "decoder": (dec, w + " [dec]")}
        if mid == "fmnist-ddpm-latent":
            need("ddpm_latent_final.pt")
            from train_ddpm_latent import load_latent_denoiser, TabledLatentDenoiser
            net, _ = load_latent_denoiser()
            # The module the ONNX graph was exported from (time projections gathered from tables),
            # so both sides run the same computation.
            return {"denoiser": (TabledLatentDenoiser(net).eval(), "models/train/checkpoints/ddpm_latent_final.pt [ema], tabled as exported")}
        if mid == "fmnist-dcgan":
            need("dcgan_final.pt")
            from train_dcgan import load_gan, GeneratorInversion, FoldedGenerator
            G, E = load_gan()
            w = "models/train/checkpoints/dcgan_final.pt"
            # The generator as exported (BatchNorms folded into the layers before them), as for the latent denoiser.
            return {"generator": (FoldedGenerator(G).eval(), w + " [G], BatchNorms folded as exported"), "inversion": (GeneratorInversion(G).eval(), w + " [G] via GeneratorInversion"),
                    "encoder": (E, w + " [E]")}
        if mid == "fmnist-ddpm-pixel":
            need("ddpm_pixel.pt")
            from train_ddpm_pixel import load_pixel_denoiser
            net, ck = load_pixel_denoiser()
            return {"denoiser": (net, f"models/train/checkpoints/ddpm_pixel.pt [ema, step {ck.get('step')}]")}
    except Skip:
        raise
    except ImportError as e:
        raise Skip(f"cannot import the training script's module: {e}")
    raise Skip(f"no PyTorch module mapping for model {mid}")


def make_inputs(torch, man, spec, batch, gen):
    """random inputs for a manifest graph spec at a batch size"""
    kind = man.get("kind")
    lo, hi = (man.get("image") or {}).get("range", [0, 1])
    img = man.get("image") or {}
    img_shape = [img.get("channels"), img.get("height"), img.get("width")]
    out = []
    for inp in spec["inputs"]:
        shape = [batch if d == "batch" else int(d) for d in inp["shape"]]
        if inp["name"] == "t":
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


def parity_error(torch, module, spec, cases):
    worst = 0.0
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
                    return float("inf")
                denom = max(float(np.abs(ref).max()), 1e-12)
                worst = max(worst, float(np.abs(got - ref).max()) / denom)
    return worst


def load_onnx_weights(torch, onnx, module, path, unused=()):
    """copy float parameters/buffers from the ONNX initializers of the same name (the exported module's names).
    Entries the exporter renamed (e.g. GroupNorm affine -> onnx::Mul_N / onnx::Add_N, shape [C,1,1]) are matched
    in order against the initializers left over, when their counts and element counts agree. `unused`: entries
    the forward pass never reads, so the export has none (left as they are). Returns True when every other
    floating-point state_dict entry got a value; the caller must confirm with the parity check."""
    from onnx import numpy_helper
    inits = list(onnx.load(path).graph.initializer)
    by_name = {i.name: i for i in inits}
    sd = module.state_dict()
    new, missing, used = {}, [], set()
    for k, v in sd.items():
        if not v.dtype.is_floating_point or k in unused:
            continue
        i = by_name.get(k)
        if i is None or list(i.dims) != list(v.shape):
            missing.append(k)
            continue
        used.add(i.name)
        new[k] = torch.from_numpy(numpy_helper.to_array(i).astype(np.float32).copy())
    if missing:
        rest = [i for i in inits if i.name not in used and i.name not in sd]
        if len(rest) != len(missing):
            return False
        for k, i in zip(missing, rest):
            if _prod(i.dims) != sd[k].numel():
                return False
            new[k] = torch.from_numpy(numpy_helper.to_array(i).astype(np.float32).reshape(tuple(sd[k].shape)).copy())
    with torch.no_grad():
        for k, t in new.items():
            sd[k].copy_(t)
    return True


# ------------------------------------------------------------------------------------------ main parts
def openblas_threads_setter():
    """(set, get) for the OpenBLAS loaded by torch, or None (other BLAS / not found)"""
    import ctypes
    try:
        with open("/proc/self/maps") as f:
            libs = sorted({l.split()[-1] for l in f if "blas" in l.lower() and l.split()[-1].startswith("/")})
    except Exception:
        return None
    for p in libs:
        try:
            lib = ctypes.CDLL(p)
            return lib.openblas_set_num_threads, lib.openblas_get_num_threads
        except (OSError, AttributeError):
            continue
    return None


def peak_gflops(torch, quick, res):
    """best of several 2048x2048 float32 torch.mm, with the BLAS using all THREADS threads"""
    ob = openblas_threads_setter()
    prev = None
    if ob is not None:
        prev = ob[1]()
        ob[0](THREADS)
        res["peakBlasThreads"] = int(ob[1]())
    try:
        return _peak(torch, quick)
    finally:
        if ob is not None:
            ob[0](prev)
            res["blasThreads"] = int(ob[1]())


def _peak(torch, quick):
    n = 2048
    a, b = torch.randn(n, n), torch.randn(n, n)
    c = torch.empty(n, n)
    torch.mm(a, b, out=c)
    best = float("inf")
    for _ in range(3 if quick else 6):
        t0 = time.perf_counter()
        torch.mm(a, b, out=c)
        best = min(best, time.perf_counter() - t0)
    return round(2.0 * n ** 3 / best / 1e9, 2)


def bench_graphs(torch, onnx, manifests, quick, res, loaded):
    gen = torch.Generator().manual_seed(1234) if torch is not None else None
    for mid, man in manifests.items():
        mods, skip_reason = None, None
        if torch is not None:
            try:
                mods = build_modules(torch, mid, man)
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
                cases = parity.get(role)
                if cases:
                    err = parity_error(torch, module, spec, cases)
                    if err > PARITY_TOL and onnx is not None and os.path.exists(path):
                        # e.g. the pixel DDPM checkpoint has moved on since the last export: use the graph's own weights
                        import copy
                        alt = copy.deepcopy(module)
                        if load_onnx_weights(torch, onnx, alt, path):
                            err2 = parity_error(torch, alt, spec, cases)
                            if err2 < err:
                                module, err = alt, err2
                                weights = f"{rel(path)} initializers (checkpoint {weights} differs from the export)"
                                mods[role] = (module, weights)
                    entry["parityMaxRelError"] = float(f"{err:.3e}") if math.isfinite(err) else None
                else:
                    entry["parityMaxRelError"] = None
                    entry["parityNote"] = f"no {role} cases in {rel(ppath)}"
                entry["weights"] = weights
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
    """(generator, weights, parity error) for a StyleGAN-style fixture: build_fixtures.py's classes, their own random
    weights replaced by the initializers of the fixture's generator.onnx. stylegan-tiny's export folded its constants
    (no initializer is named after a parameter), so it is rebuilt from the fixture's seed instead."""
    folder = os.path.join(FIXTURES, fid)
    if FIXTURES not in sys.path:
        sys.path.insert(0, FIXTURES)
    import build_fixtures as bf
    with open(os.path.join(folder, "manifest.json")) as f:
        man = json.load(f)
    with open(os.path.join(folder, "parity.json")) as f:
        parity = json.load(f)

    def error(G):
        return max(parity_error(torch, G, man["graphs"]["generator"], parity["generator"]),
                   parity_error(torch, G.synthesis, man["graphs"]["synthesis"], parity["synthesis"]))

    c = bf.STYLEGANS[fid]
    path = os.path.join(folder, "generator.onnx")
    G = bf.Generator(bf.Mapping(c["z_dim"], c["w_dim"]), bf.Synthesis(c["resolutions"], c["channels"], c["w_dim"])).eval()
    # toRGB layers add no noise: the export has no noise buffer or strength for them.
    unused = {f"{n}.{k}" for n, m in G.named_modules() if isinstance(m, bf.StyleLayer) and not m.activate for k in ("noise", "noise_strength")}
    if onnx is None:
        why = "python3-onnx not installed"
    elif not load_onnx_weights(torch, onnx, G, path, unused):
        why = "its initializers are not named after the parameters: a constant-folded export"
    else:
        err = error(G)
        if err <= PARITY_TOL:
            return G, f"{rel(path)} initializers", err
        why = f"its initializers gave parity {err:.1e}"
    G = bf.stylegan_modules(fid)[2]
    return G, f"rebuilt by tests/fixtures/models/build_fixtures.py from seed {c['seed']} ({rel(path)}: {why})", error(G)


def bench_stylegan_fixtures(torch, onnx, quick, res):
    out = {}
    for fid in STYLEGAN_FIXTURES:
        try:
            if not os.path.exists(os.path.join(FIXTURES, fid, "generator.onnx")):
                out[fid] = {"skipped": f"{rel(os.path.join(FIXTURES, fid))} not present"}
                continue
            G, weights, err = stylegan_fixture(torch, onnx, fid)
            if not err <= PARITY_TOL:
                out[fid] = {"skipped": f"parity {err:.1e} over {PARITY_TOL} with weights {weights}"}
                continue
            entry = {"weights": weights, "parityMaxRelError": float(f"{err:.3e}")}
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
        bt = f", BLAS {res['peakBlasThreads']} threads" if "peakBlasThreads" in res else ""
        print(f"peak {res['peakGflops']} GFLOP/s ({res['peakMethod']}, best of several{bt}); model timings use BLAS threads = {res.get('blasThreads', '?')}")
    busy = res.get("cpuBusyAtStart")
    if res.get("available") and isinstance(busy, float) and busy > 0.25:
        print(f"WARNING: the CPU was {busy * 100:.0f}% busy just before the benchmark started (other processes); "
              f"with {res.get('threads')} OpenMP threads on {res.get('cores')} shared cores the timings below can be many times slower than on an idle machine")
    other = res.get("otherProcessesCpuShare")
    if res.get("available") and isinstance(other, float) and other > 0.1:
        print(f"WARNING: other processes used {other * 100:.0f}% of the CPU while the benchmark ran: timings are contended, rerun on an idle machine")
    print(f"{'graph':34} {'FLOPs b1':>10} {'FLOPs b64':>10} {'ms b1':>9} {'ms b64':>9} {'GFLOP/s b64':>11} {'parity':>9}")
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
        flag = "" if p is None or p <= PARITY_TOL else "  PARITY MISMATCH"
        print(f"{key:34} {fmt_flops(fl.get('1')):>10} {fmt_flops(fl.get('64')):>10} {m1:9.3f} {m64:9.3f} {gf:>11} {ps:>9}{flag}")
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
                  f"weights: {r['weights']}, parity {r['parityMaxRelError']:.1e}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", default="bench-results/torch.json")
    ap.add_argument("--quick", action="store_true", help="few runs per configuration (smoke test)")
    ap.add_argument("--threads", type=int, default=THREADS, help="intra-op threads (OMP_NUM_THREADS), default 2")
    ap.add_argument("--only", default="", help="comma-separated parts to run: graphs, ddim, inversion, stylegan (default: all)")
    args = ap.parse_args()
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
            res["peakGflops"] = peak_gflops(torch, args.quick, res)
            res["peakMethod"] = "torch.mm 2048"
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
