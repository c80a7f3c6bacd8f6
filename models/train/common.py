"""Shared helpers for the Latent Studio model training scripts.

IDX loading, seeding, batching, ONNX export, parity fixtures, manifests.
Always run with Debian's interpreter: OMP_NUM_THREADS=2 /usr/bin/python3 models/train/<script>.py
"""
import base64, gzip, json, math, os, signal, struct, time
import numpy as np
import torch

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
MODELS = os.path.join(ROOT, "models")
# LS_CHECKPOINTS moves them, e.g. to a GPU machine's scratch disk for a run whose results are copied back.
CKPT = os.environ.get("LS_CHECKPOINTS") or os.path.join(MODELS, "train", "checkpoints")
DATA_DIR = os.environ.get("LS_FASHION_MNIST") or "/usr/share/datasets/fashion-mnist"
LABELS = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot"]
DATA_DESC = "Fashion-MNIST train (60,000), Debian dataset-fashion-mnist"
OPSET = 17


def setup(seed=0, threads=2):
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    torch.set_num_threads(threads)
    seed_all(seed)
    os.makedirs(CKPT, exist_ok=True)


def seed_all(seed):
    import random
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    if torch.cuda.is_available():
        # A GPU run is seeded but not bit-reproducible: several CUDA backward kernels have no deterministic form.
        torch.backends.cuda.matmul.allow_tf32 = True
        torch.backends.cudnn.allow_tf32 = True
        return
    try:
        torch.use_deterministic_algorithms(True)
    except Exception:
        pass


def train_device():
    """The device a training run uses: the GPU when there is one (the GPU machine), else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def device_name(device):
    if device.type == "cuda":
        return f"cuda ({torch.cuda.get_device_name(device)}, torch {torch.__version__.split('+')[0]})"
    return f"cpu ({torch.get_num_threads()} threads)"


def device_history(before, device):
    """The devices a run that goes on from `before` has trained on, for its manifest: this run's device is added when
    its kind differs from the last one's. Checkpoints and manifests that name none ran on 2 CPU cores."""
    before = before or "cpu (2 cores)"
    if before.split(", then ")[-1].split(" ")[0] == device.type:
        return before
    return f"{before}, then {device_name(device)}"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    assert zero == 0 and dtype == 0x08, "expected uint8 IDX"
    dims = struct.unpack(">" + "I" * ndim, raw[4:4 + 4 * ndim])
    arr = np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * ndim)
    return arr.reshape(dims)


def load_split(split):
    """split: 'train' or 't10k' -> (uint8 images [n,28,28], uint8 labels [n])"""
    x = read_idx(os.path.join(DATA_DIR, f"{split}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(DATA_DIR, f"{split}-labels-idx1-ubyte.gz"))
    return x, y


def load_tensors(split, range_=(0, 1)):
    """float32 images [n,1,28,28] in range_, int64 labels [n]"""
    x, y = load_split(split)
    n = smoke_subset(len(x))
    x, y = x[:n], y[:n]
    x = torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1)
    if tuple(range_) == (-1, 1):
        x = x * 2 - 1
    return x, torch.from_numpy(y.astype(np.int64))


def smoke_subset(n):
    """LS_TRAIN_SUBSET=N trains on the first N images only: a smoke test of a script's whole path (gpu/run.sh on a CPU)."""
    return min(n, int(os.environ.get("LS_TRAIN_SUBSET") or n))


def batches(n, bs, gen, shuffle=True):
    idx = torch.randperm(n, generator=gen) if shuffle else torch.arange(n)
    for i in range(0, n, bs):
        yield idx[i:i + bs]


def count_params(m):
    return sum(p.numel() for p in m.parameters())


def psnr(a, b, peak=1.0):
    """per-image PSNR (dB) of tensors [n,...] in a range with given peak-to-peak"""
    mse = ((a - b) ** 2).flatten(1).mean(1).clamp_min(1e-10)
    return 10 * torch.log10(peak ** 2 / mse)


# ---------------------------------------------------------------- checkpoints
def save_ckpt(name, state):
    os.makedirs(CKPT, exist_ok=True)
    p = os.path.join(CKPT, name)
    torch.save(state, p + ".tmp")
    os.replace(p + ".tmp", p)


# A run that has not finished commits its latest checkpoint here, so that a fresh clone (a session on another machine)
# goes on from it; checkpoints/ (git-ignored) wins when both exist, being the newer.
RESUME = os.path.join(ROOT, "models", "train", "resume")


def load_ckpt(name):
    for folder in (CKPT, RESUME):
        p = os.path.join(folder, name)
        if os.path.exists(p):
            return torch.load(p, map_location="cpu")
    return None


def save_resume(name, halved, kept):
    """Writes the committed copy of checkpoints/<name> that a fresh clone goes on from (resume/<name>): the state dicts
    named in `halved` in float16, the entries named in `kept` as they are, and no Adam moments (a resumed run warms
    them up again); returns the checkpoint."""
    ck = load_ckpt(name)
    if not ck:
        raise SystemExit(f"no {name} checkpoint to save")
    half = lambda sd: {k: v.half() if v.is_floating_point() else v for k, v in sd.items()}
    path = os.path.join(RESUME, name)
    torch.save({**{k: half(ck[k]) for k in halved}, **{k: ck[k] for k in kept if k in ck}}, path)
    log(f"saved {path} ({os.path.getsize(path) / 1e6:.1f} MB)")
    return ck


class EMA:
    def __init__(self, model, decay=0.999):
        import copy
        self.decay = decay
        self.model = copy.deepcopy(model).eval()
        for p in self.model.parameters():
            p.requires_grad_(False)

    @torch.no_grad()
    def update(self, model):
        for e, p in zip(self.model.state_dict().values(), model.state_dict().values()):
            if e.dtype.is_floating_point:
                e.mul_(self.decay).add_(p.detach(), alpha=1 - self.decay)
            else:
                e.copy_(p)


def exported_weights():
    """(onnx_weights, onnx): tests/bench/onnx_weights.py rebuilds the training scripts' modules from the exported graphs,
    for scripts that run without the (git-ignored) checkpoints, as on a fresh clone."""
    import sys
    import onnx
    bench = os.path.join(ROOT, "tests", "bench")
    if bench not in sys.path:
        sys.path.insert(0, bench)
    import onnx_weights
    return onnx_weights, onnx


# ---------------------------------------------------------------- diffusion
def linear_schedule(T=1000, b0=1e-4, b1=0.02):
    betas = torch.linspace(b0, b1, T, dtype=torch.float64)
    abar = torch.cumprod(1 - betas, 0)
    return betas.float(), abar.float()


def timestep_embedding(t, dim, max_period=10000.0):
    """sinusoidal embedding of float timesteps t [b] -> [b, dim]"""
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float32, device=t.device) / half)
    args = t.float()[:, None] * freqs[None, :]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class Guided(torch.nn.Module):
    """Classifier-free guidance as the app computes it, for sampling a class-conditional denoiser net(x, t, y) here:
    eps = eps(x, null) + w (eps(x, y) - eps(x, null)); at w = 0 the null label's alone."""

    def __init__(self, net, y, w, null):
        super().__init__()
        self.net, self.y, self.w, self.null = net, y, w, null

    def forward(self, x, t):
        e_u = self.net(x, t, torch.full_like(self.y, self.null))
        if self.w == 0:
            return e_u
        return e_u + self.w * (self.net(x, t, self.y) - e_u)


@torch.no_grad()
def ddim_sample(model, shape, abar, steps=50, gen=None, eta=0.0, x=None, clip_x0=None):
    """deterministic DDIM (eta=0) sampling with an epsilon-prediction model.
    clip_x0=(lo, hi) clamps the predicted x_0 each step (and re-derives eps from it)."""
    T = abar.shape[0]
    ts = torch.linspace(T - 1, 0, steps).round().long()
    if x is None:
        x = torch.randn(shape, generator=gen)
    for i, t in enumerate(ts):
        a_t = abar[t]
        a_prev = abar[ts[i + 1]] if i + 1 < len(ts) else torch.tensor(1.0)
        eps = model(x, torch.full((shape[0],), float(t)))
        x0 = (x - (1 - a_t).sqrt() * eps) / a_t.sqrt()
        if clip_x0 is not None:
            x0 = x0.clamp(*clip_x0)
            eps = (x - a_t.sqrt() * x0) / (1 - a_t).sqrt()
        x = a_prev.sqrt() * x0 + (1 - a_prev).sqrt() * eps
    return x


# ---------------------------------------------------------------- export
def export_onnx(module, args, input_names, output_names, path):
    import onnx
    module.eval()
    dyn = {n: {0: "batch"} for n in list(input_names) + list(output_names)}
    with torch.no_grad():
        torch.onnx.export(module, args, path, opset_version=OPSET, input_names=list(input_names),
                          output_names=list(output_names), dynamic_axes=dyn, do_constant_folding=True)
    m = onnx.load(path)
    onnx.checker.check_model(m)
    onnx.shape_inference.infer_shapes(m, strict_mode=True)
    return os.path.getsize(path)


def _put_nodes(g, nodes, dropped, added):
    """Gives graph g the rewritten node list and the added initializers, and drops the dropped ones nothing uses now."""
    still_used = {i for x in nodes for i in x.input}
    kept = [i for i in g.initializer if i.name not in dropped or i.name in still_used]
    del g.node[:]
    g.node.extend(nodes)
    del g.initializer[:]
    g.initializer.extend(kept + added)


def convtranspose_as_col2im(path):
    """Rewrites each ConvTranspose of an exported graph (group 1, no dilation or output padding, fixed spatial size)
    as Reshape -> MatMul -> Col2Im (opset 18) -> Add bias, in place; returns the new file size.

    It is the same arithmetic in the same order (outputs are bit-identical): the GEMM of the weights with every
    input pixel, then the sum of overlapping kernel windows into the image. onnxruntime's ConvTranspose kernel
    does the GEMM one image at a time; a MatMul over [batch, C_in, H*W] runs the batch at once, which made each
    layer 20-40% faster at batch 64 on 2 cores (docs/PERFORMANCE.md).
    """
    import onnx
    from onnx import helper, numpy_helper, shape_inference
    m = onnx.load(path)
    g = m.graph
    inferred = shape_inference.infer_shapes(m).graph
    shapes = {vi.name: [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
              for vi in list(inferred.value_info) + list(inferred.input)}
    inits = {i.name: i for i in g.initializer}
    nodes, dropped, added = [], set(), []
    for node in g.node:
        if node.op_type != "ConvTranspose":
            nodes.append(node)
            continue
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        assert a.get("group", 1) == 1 and set(a.get("dilations", [1, 1])) == {1}, node.name
        assert not any(a.get("output_padding", [0, 0])) and "output_shape" not in a, node.name
        w = numpy_helper.to_array(inits[node.input[1]])                       # [C_in, C_out, kh, kw]
        cin, cout, kh, kw = w.shape
        _, _, h, wd = shapes[node.input[0]]
        assert h and wd, f"{node.name}: spatial size must be fixed"
        s, p = a.get("strides", [1, 1]), a.get("pads", [0, 0, 0, 0])
        hout, wout = (h - 1) * s[0] - p[0] - p[2] + kh, (wd - 1) * s[1] - p[1] - p[3] + kw
        n = (node.name or node.output[0]).strip("/").replace("/", "_")
        added += [numpy_helper.from_array(np.array([0, cin, h * wd], np.int64), f"{n}_flat"),
                  numpy_helper.from_array(np.ascontiguousarray(w.reshape(cin, cout * kh * kw).T), f"{n}_columns"),
                  numpy_helper.from_array(np.array([hout, wout], np.int64), f"{n}_image"),
                  numpy_helper.from_array(np.array([kh, kw], np.int64), f"{n}_block")]
        out = node.output[0] if len(node.input) < 3 else f"{n}_nobias"
        nodes += [helper.make_node("Reshape", [node.input[0], f"{n}_flat"], [f"{n}_x"]),
                  helper.make_node("MatMul", [f"{n}_columns", f"{n}_x"], [f"{n}_cols"]),
                  helper.make_node("Col2Im", [f"{n}_cols", f"{n}_image", f"{n}_block"], [out], strides=s, pads=p)]
        if len(node.input) >= 3:
            added.append(numpy_helper.from_array(numpy_helper.to_array(inits[node.input[2]]).reshape(1, cout, 1, 1), f"{n}_bias"))
            nodes.append(helper.make_node("Add", [out, f"{n}_bias"], [node.output[0]]))
        dropped.update(node.input[1:])
    _put_nodes(g, nodes, dropped, added)
    del g.value_info[:]
    # Opset 18 moved the other Reduce* ops' axes from an attribute to an input (ReduceSum did so in 13).
    assert not any(x.op_type.startswith("Reduce") and x.op_type != "ReduceSum" for x in nodes), "Reduce* changed in opset 18"
    for o in m.opset_import:
        if o.domain in ("", "ai.onnx"):
            o.version = max(o.version, 18)                                    # Col2Im; the other ops are unchanged in 18
    onnx.save(m, path)
    return os.path.getsize(path)


def groupnorm_as_layernorm(path):
    """Rewrites each GroupNorm of an exported graph (fixed channels and spatial size) in place; returns the new size.

    torch.onnx exports GroupNorm as Reshape [N, G, -1] -> InstanceNormalization (unit scale, zero bias) -> Reshape
    back to the input's computed shape -> Mul gamma -> Add beta. The same statistics over the same [N, G, C/G*H*W]
    rows are LayerNormalization over the last axis, which onnxruntime runs in parallel over the rows, where
    its InstanceNormalization kernel was 13% of the pixel denoiser's time at batch 64 (docs/PERFORMANCE.md). The
    reshape targets become constants, which drops the Shape node each GroupNorm computed them with. The per-channel
    gamma and beta become one BatchNormalization with mean 0, variance 1 and epsilon 0: x * gamma + beta exactly,
    one kernel where Mul and Add were two.
    """
    import onnx
    from onnx import helper, numpy_helper, shape_inference
    m = onnx.load(path)
    g = m.graph
    assert any(o.domain in ("", "ai.onnx") and o.version >= 17 for o in m.opset_import), "LayerNormalization needs opset 17"
    inferred = shape_inference.infer_shapes(m, data_prop=True).graph     # data_prop: ranks survive Shape -> Reshape
    shapes = {vi.name: [d.dim_value if d.HasField("dim_value") else None for d in vi.type.tensor_type.shape.dim]
              for vi in list(inferred.value_info) + list(inferred.input)}
    values = {i.name: numpy_helper.to_array(i) for i in g.initializer}
    values.update({n.output[0]: numpy_helper.to_array(n.attribute[0].t) for n in g.node if n.op_type == "Constant"})
    producer = {o: n for n in g.node for o in n.output}
    users = {}
    for n in g.node:
        for i in n.input:
            users.setdefault(i, []).append(n)
    added = []
    for norm in [n for n in g.node if n.op_type == "InstanceNormalization"]:
        grouped = producer[norm.input[0]]
        (back,) = users[norm.output[0]]
        x = grouped.input[0]
        assert grouped.op_type == "Reshape" and back.op_type == "Reshape", norm.name
        assert producer[back.input[1]].op_type == "Shape" and producer[back.input[1]].input[0] == x, norm.name
        target = values[grouped.input[1]]
        assert list(target[[0, 2]]) == [0, -1], f"{norm.name}: not a GroupNorm reshape"
        assert np.all(values[norm.input[1]] == 1) and np.all(values[norm.input[2]] == 0), f"{norm.name}: affine in the norm"
        _, c, h, w = shapes[x]
        assert c and h and w, f"{norm.name}: channels and spatial size must be fixed"
        groups, eps = int(target[1]), helper.get_attribute_value(norm.attribute[0])
        length = c // groups * h * w
        n = (norm.name or norm.output[0]).strip("/").replace("/", "_")
        added += [numpy_helper.from_array(np.array([0, groups, length], np.int64), f"{n}_rows"),
                  numpy_helper.from_array(np.ones(length, np.float32), f"{n}_unit"),
                  numpy_helper.from_array(np.array([0, c, h, w], np.int64), f"{n}_image")]
        grouped.input[1] = f"{n}_rows"
        norm.CopyFrom(helper.make_node("LayerNormalization", [norm.input[0], f"{n}_unit"], [norm.output[0]],
                                       name=norm.name, axis=-1, epsilon=eps))
        back.input[1] = f"{n}_image"
        affine = users.get(back.output[0], [])
        if len(affine) == 1 and affine[0].op_type == "Mul" and len(users.get(affine[0].output[0], [])) == 1:
            mul, add = affine[0], users[affine[0].output[0]][0]
            gamma, beta = values.get(mul.input[1]), values.get(add.input[1]) if add.op_type == "Add" else None
            if gamma is not None and beta is not None and gamma.shape == beta.shape == (c, 1, 1):
                added += [numpy_helper.from_array(gamma.reshape(c), f"{n}_gamma"), numpy_helper.from_array(beta.reshape(c), f"{n}_beta"),
                          numpy_helper.from_array(np.zeros(c, np.float32), f"{n}_zero"), numpy_helper.from_array(np.ones(c, np.float32), f"{n}_one")]
                mul.CopyFrom(helper.make_node("BatchNormalization", [back.output[0], f"{n}_gamma", f"{n}_beta", f"{n}_zero", f"{n}_one"],
                                              [add.output[0]], name=f"{n}_affine", epsilon=0.0))
                g.node.remove(add)
    g.initializer.extend(added)
    outputs = {o.name for o in g.output}
    while True:                                                           # drop the Shape and Constant nodes left unused
        used = {i for n in g.node for i in n.input} | outputs
        dead = [n for n in g.node if not any(o in used for o in n.output)]
        if not dead:
            break
        for n in dead:
            g.node.remove(n)
    used = {i for n in g.node for i in n.input}
    kept = [i for i in g.initializer if i.name in used]
    del g.initializer[:]
    g.initializer.extend(kept)
    del g.value_info[:]
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return os.path.getsize(path)


def single_output_conv_as_depthwise(path):
    """Rewrites each Conv with one output channel (group 1) as a depthwise Conv, a ReduceSum over the channels and
    the bias, in place; returns the new file size.

    onnxruntime's blocked (NCHWc) convolution pads the output channels to its block of 8 or 16, so a Conv to one
    channel does 8-16 times the work: the pixel denoiser's final 3x3 Conv took 1.75 ms of 54 at batch 64, where the
    depthwise form takes 0.38 ms (docs/PERFORMANCE.md). Same products, summed in another order.
    """
    import onnx
    from onnx import helper, numpy_helper
    m = onnx.load(path)
    g = m.graph
    inits = {i.name: i for i in g.initializer}
    nodes, dropped, added = [], set(), []
    for node in g.node:
        w = numpy_helper.to_array(inits[node.input[1]]) if node.op_type == "Conv" and node.input[1] in inits else None
        a = {x.name: helper.get_attribute_value(x) for x in node.attribute}
        if w is None or w.shape[0] != 1 or a.get("group", 1) != 1:
            nodes.append(node)
            continue
        _, cin, kh, kw = w.shape
        n = (node.name or node.output[0]).strip("/").replace("/", "_")
        added += [numpy_helper.from_array(np.ascontiguousarray(w.reshape(cin, 1, kh, kw)), f"{n}_depthwise"),
                  numpy_helper.from_array(np.array([1], np.int64), f"{n}_channels")]
        a["group"] = cin
        out = node.output[0] if len(node.input) < 3 else f"{n}_nobias"
        nodes += [helper.make_node("Conv", [node.input[0], f"{n}_depthwise"], [f"{n}_taps"], **a),
                  helper.make_node("ReduceSum", [f"{n}_taps", f"{n}_channels"], [out], keepdims=1)]
        if len(node.input) >= 3:
            added.append(numpy_helper.from_array(numpy_helper.to_array(inits[node.input[2]]).reshape(1, 1, 1, 1), f"{n}_bias"))
            nodes.append(helper.make_node("Add", [out, f"{n}_bias"], [node.output[0]]))
        dropped.update(node.input[1:])
    _put_nodes(g, nodes, dropped, added)
    onnx.checker.check_model(m)
    onnx.save(m, path)
    return os.path.getsize(path)


def _b64(t):
    return base64.b64encode(np.ascontiguousarray(t.detach().cpu().numpy(), dtype="<f4").tobytes()).decode("ascii")


def parity_case(module, inputs, output_names):
    """inputs: ordered dict name -> tensor. Returns a case dict (eager outputs)."""
    module.eval()
    with torch.no_grad():
        out = module(*inputs.values())
    if isinstance(out, torch.Tensor):
        out = (out,)
    assert len(out) == len(output_names)
    return {
        "inputs": {k: {"shape": list(v.shape), "data": _b64(v)} for k, v in inputs.items()},
        "outputs": {k: {"shape": list(v.shape), "data": _b64(v)} for k, v in zip(output_names, out)},
    }


def io_spec(names_shapes):
    return [{"name": n, "shape": s, "dtype": "float32"} for n, s in names_shapes]


def write_json(path, obj, indent=2):
    with open(path + ".tmp", "w") as f:
        json.dump(obj, f, indent=indent)
        f.write("\n")
    os.replace(path + ".tmp", path)


def model_dir(mid):
    d = os.path.join(MODELS, mid)
    os.makedirs(d, exist_ok=True)
    return d


def write_manifest(mid, manifest):
    """writes manifest.json, keeping what evaluate.py added (its metrics and "evaluation") unless overwritten"""
    p = os.path.join(model_dir(mid), "manifest.json")
    old = json.load(open(p)) if os.path.exists(p) else {}
    metrics = dict(old.get("metrics", {}))
    metrics.update(manifest.get("metrics", {}))
    manifest["metrics"] = metrics
    base = {"format": 1, "id": mid}
    base.update(manifest)
    base.update({k: v for k, v in old.items() if k not in base})
    write_json(p, base)


def training_info(script, seed, epochs, seconds, **extra):
    d = {"data": DATA_DESC, "script": "models/train/" + script, "seed": seed, "epochs": epochs,
         "seconds": int(round(seconds)), "torch": torch.__version__.split("a")[0].split("+")[0],
         "device": "cpu (2 cores)"}
    d.update(extra)
    return d


class Timer:
    """accumulates wall seconds across resumed runs"""
    def __init__(self, prev=0.0):
        self.prev = prev
        self.t0 = time.time()

    def total(self):
        return self.prev + time.time() - self.t0


class WallClock:
    """A training run bounded by wall time that never loses more than a few minutes: `tick` saves a checkpoint
    every `every` seconds and, once the run's minutes are spent, saves one last time and says to stop."""
    def __init__(self, minutes, checkpoint, every=180):
        self.deadline = time.time() + minutes * 60
        self.minutes, self.checkpoint, self.every = minutes, checkpoint, every
        self.last = time.time()

    def saved(self):
        """call after a checkpoint saved elsewhere (at an epoch's end), so the next one is `every` seconds later"""
        self.last = time.time()

    def tick(self, where):
        """True when the run must stop (its checkpoint saved); `where` is logged, e.g. epoch 3 step 900"""
        if time.time() > self.deadline:
            self.checkpoint()
            log(f"stopped after {self.minutes} min at {where}; run again to continue")
            return True
        if time.time() - self.last > self.every:
            self.checkpoint()
            self.saved()
        return False


def stop_on_signal():
    """A flag that SIGTERM or SIGINT sets, so a training loop ends its step, checkpoints and exports instead of dying."""
    stop = {"flag": False}
    def handler(sig, frame):
        stop["flag"] = True
    signal.signal(signal.SIGTERM, handler); signal.signal(signal.SIGINT, handler)
    return stop


def log(*a):
    print(time.strftime("%H:%M:%S"), *a, flush=True)
