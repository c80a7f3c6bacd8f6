"""The bench's PyTorch modules with the weights of the ONNX files the repository ships (helpers for torch_bench.py).

The training checkpoints (models/train/checkpoints/) are git-ignored, so a fresh clone has only the graphs. Every
module the PyTorch side of `npm run bench` runs is built here from its class in models/train/*.py (or
tests/fixtures/models/build_fixtures.py) and given the values the graph holds. Where the export rewrote the
arithmetic, the weights are mapped back:

- names kept by the exporter (`fc.weight`, `net.0.bias`, `table0`, ...) are copied as they are;
- Conv + BatchNorm folded by the exporter (classifier): the Conv gets the folded weight, the BatchNorm becomes
  the identity carrying the folded bias (the module keeps its trained layout, so it runs the same kernels);
- ConvTranspose written as Reshape -> MatMul -> Col2Im -> Add (common.convtranspose_as_col2im): the weight is the
  MatMul's columns transposed back to [C_in, C_out, kh, kw], the bias the Add's [1, C_out, 1, 1];
- GroupNorm written as LayerNormalization + BatchNormalization (common.groupnorm_as_layernorm): gamma and beta are
  the BatchNormalization's scale and bias (mean 0, variance 1, epsilon 0); an exported GroupNorm's Mul/Add works too;
- a one-channel Conv written as depthwise Conv + ReduceSum (common.single_output_conv_as_depthwise): the depthwise
  kernel reshaped back, the bias from the Add;
- precomputed modules are loaded as such: the DCGAN generator is FoldedGenerator (BatchNorms folded), the latent
  denoiser TabledLatentDenoiser (its time MLP and per-block time projections are not in the graph: only the tables);
- constant-folded StyleGAN exports (stylegan-tiny): equalized-lr weights are the folded products divided by the
  gain, and each layer's noise image times its strength is one constant, loaded as the noise with strength 1.

Every loader raises WeightError with the reason when a value it needs is not in the graph. The caller checks the
result against the model's parity.json.
"""
import math
import os
import sys

import numpy as np

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
TRAIN = os.path.join(ROOT, "models", "train")
FIXTURES = os.path.join(ROOT, "tests", "fixtures", "models")


class WeightError(Exception):
    pass


def _attrs(onnx, node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class OnnxGraph:
    """The constants of an ONNX graph (initializers, Constant nodes, Identity copies of either) and its nodes."""

    def __init__(self, onnx, path):
        from onnx import numpy_helper
        self.onnx, self.path = onnx, path
        g = onnx.load(path).graph
        self.nodes = list(g.node)
        self.values = {i.name: numpy_helper.to_array(i) for i in g.initializer}
        for n in self.nodes:
            if n.op_type == "Constant" and n.attribute and n.attribute[0].name == "value":
                self.values[n.output[0]] = numpy_helper.to_array(n.attribute[0].t)
        for n in self.nodes:                      # the exporter merges equal initializers and names copies via Identity
            if n.op_type == "Identity" and n.input[0] in self.values:
                self.values[n.output[0]] = self.values[n.input[0]]
        self.producer = {o: n for n in self.nodes for o in n.output}
        self.consumers = {}
        for n in self.nodes:
            for i in n.input:
                self.consumers.setdefault(i, []).append(n)

    def const(self, name):
        return self.values.get(name)

    def attrs(self, node):
        return _attrs(self.onnx, node)

    def only_consumer(self, name, op=None):
        users = self.consumers.get(name, [])
        if len(users) != 1 or (op is not None and users[0].op_type != op):
            return None
        return users[0]

    # ------------------------------------------------------------------ rewritten layers, by the scope they came from
    def conv_transposes(self):
        """[(scope, weight [C_in, C_out, kh, kw], bias [C_out] or None)] in graph order, plain or as MatMul + Col2Im"""
        out = []
        for n in self.nodes:
            if n.op_type == "ConvTranspose" and n.input[1] in self.values:
                b = self.const(n.input[2]) if len(n.input) > 2 and n.input[2] else None
                out.append((_scope(n.name or n.output[0]), self.values[n.input[1]], b))
            elif n.op_type == "Col2Im":
                mm = self.producer.get(n.input[0])
                cols = self.const(mm.input[0]) if mm is not None and mm.op_type == "MatMul" else None
                block = self.const(n.input[2])
                if cols is None or block is None:
                    raise WeightError(f"{os.path.basename(self.path)}: a Col2Im that does not follow a MatMul by a constant")
                kh, kw = [int(v) for v in block]
                cin, cout = cols.shape[1], cols.shape[0] // (kh * kw)
                w = np.ascontiguousarray(cols.T.reshape(cin, cout, kh, kw))
                final, bias = n.output[0], None
                add = self.only_consumer(n.output[0], "Add") if n.output[0].endswith("_nobias") else None
                if add is not None:
                    b = self.const(add.input[1])
                    if b is not None and b.size == cout:
                        bias, final = b.reshape(cout), add.output[0]
                out.append((_rewrite_scope(final, mm.input[0], "_ConvTranspose_columns"), w, bias))
        return out

    def depthwise_sums(self):
        """[(scope, weight [1, C_in, kh, kw], bias [1] or None)]: one-output-channel Convs written as a depthwise Conv
        and a ReduceSum over the channels (common.single_output_conv_as_depthwise)"""
        out = []
        for n in self.nodes:
            if n.op_type != "ReduceSum":
                continue
            conv = self.producer.get(n.input[0])
            if conv is None or conv.op_type != "Conv" or conv.input[1] not in self.values:
                continue
            w = self.values[conv.input[1]]
            if w.shape[1] != 1 or self.attrs(conv).get("group", 1) != w.shape[0]:
                continue
            final, bias = n.output[0], None
            add = self.only_consumer(n.output[0], "Add")
            if add is not None and self.const(add.input[1]) is not None and self.const(add.input[1]).size == 1:
                bias, final = self.const(add.input[1]).reshape(1), add.output[0]
            out.append((_rewrite_scope(final, conv.input[1], "_Conv_depthwise"), np.ascontiguousarray(w.reshape(1, *w.shape[:1], *w.shape[2:])), bias))
        return out

    def group_norms(self):
        """[(scope, groups, epsilon, gamma [C], beta [C])] for GroupNorms exported as Reshape -> InstanceNormalization or
        LayerNormalization -> Reshape -> (BatchNormalization | Mul, Add)"""
        out = []
        for n in self.nodes:
            if n.op_type not in ("InstanceNormalization", "LayerNormalization"):
                continue
            grouped = self.producer.get(n.input[0])
            target = self.const(grouped.input[1]) if grouped is not None and grouped.op_type == "Reshape" else None
            back = self.only_consumer(n.output[0], "Reshape")
            if target is None or back is None or len(target) != 3:
                continue
            a = self.attrs(n)
            eps = float(a.get("epsilon", 1e-5))
            if n.op_type == "InstanceNormalization":
                if not (np.all(self.const(n.input[1]) == 1) and np.all(self.const(n.input[2]) == 0)):
                    raise WeightError(f"{n.name}: an InstanceNormalization with an affine of its own")
            else:
                if a.get("axis", -1) != -1 or not np.all(self.const(n.input[1]) == 1) or (len(n.input) > 2 and n.input[2] and np.any(self.const(n.input[2]) != 0)):
                    raise WeightError(f"{n.name}: a LayerNormalization that is not a GroupNorm's statistics")
            nxt = self.consumers.get(back.output[0], [])
            gamma = beta = None
            if len(nxt) == 1 and nxt[0].op_type == "BatchNormalization":
                bn = nxt[0]
                scale, bias, mean, var = (self.const(i) for i in bn.input[1:5])
                if any(v is None for v in (scale, bias, mean, var)):
                    raise WeightError(f"{n.name}: GroupNorm affine (BatchNormalization) with non-constant inputs")
                s = scale.astype(np.float64) / np.sqrt(var.astype(np.float64) + float(self.attrs(bn).get("epsilon", 1e-5)))
                gamma, beta = s, bias.astype(np.float64) - mean.astype(np.float64) * s
            elif len(nxt) == 1 and nxt[0].op_type == "Mul":
                mul = nxt[0]
                add = self.only_consumer(mul.output[0], "Add")
                g, b = self.const(mul.input[1]), self.const(add.input[1]) if add is not None else None
                if g is None or b is None:
                    raise WeightError(f"{n.name}: GroupNorm affine (Mul, Add) with non-constant inputs")
                gamma, beta = g, b
            else:
                raise WeightError(f"{n.name}: no affine after the GroupNorm")
            out.append((_scope(n.name), int(target[1]), eps, np.asarray(gamma, np.float32).reshape(-1), np.asarray(beta, np.float32).reshape(-1)))
        return out


def _scope(name):
    """'/net/net.0/ConvTranspose_output_0' -> '/net/net.0'; '/d0/n1/InstanceNormalization' -> '/d0/n1'"""
    return name.rsplit("/", 1)[0] if "/" in name else ""


def _rewrite_scope(final, init_name, suffix):
    """The scope of a layer common.py rewrote: from the output it kept ('/up2/ConvTranspose_output_0' -> '/up2'), or,
    where that output is a graph output ('eps'), '~' + the prefix of its initializers' names ('out_Conv_depthwise' ->
    '~out'), which common.py made from the node name with '/' as '_'."""
    if "/" in final:
        return _scope(final)
    return "~" + (init_name[:-len(suffix)] if init_name.endswith(suffix) else init_name)


def module_path(root, scope):
    """The qualified module name of an ONNX scope: '/d0/n1' -> 'd0.n1', '/net/net.0' -> 'net.0' (a Sequential's
    children are scoped by their name in its parent), '/synthesis/blocks.0.0/affine' -> 'synthesis.blocks.0.0.affine'."""
    names = dict(root.named_modules())
    if scope.startswith("~"):                     # '~d0_n1' or '~net_net.0': the longest module name it ends with
        prefix = scope[1:]
        hits = [n for n in names if n and (prefix == n.replace(".", "_") or prefix.endswith("_" + n.replace(".", "_")) or prefix.endswith("_" + n))]
        if not hits:
            raise WeightError(f"no module of {type(root).__name__} matches the rewritten layer {prefix!r}")
        return max(hits, key=len)
    q = ""
    for c in [c for c in scope.split("/") if c]:
        cands = [f"{q}.{c}" if q else c]
        if q:
            parent = q.rsplit(".", 1)[0] if "." in q else ""
            cands.append(f"{parent}.{c}" if parent else c)
        for cand in cands:
            if cand in names:
                q = cand
                break
        else:
            raise WeightError(f"scope {scope!r} names no module of {type(root).__name__}")
    return q


class Loader:
    """Collects values for a module's state_dict, then copies them in: every floating-point entry needs one (except
    `unused`: entries the forward pass never reads, which the graph therefore does not hold)."""

    def __init__(self, torch, module, graph, unused=()):
        self.torch, self.module, self.graph = torch, module, graph
        self.sd = module.state_dict()
        self.unused = set(unused)
        self.new = {}
        self.derived = 0

    def put(self, key, value):
        if key not in self.sd:
            raise WeightError(f"{type(self.module).__name__} has no {key}")
        value = np.asarray(value, dtype=np.float32)
        if value.size != self.sd[key].numel():
            raise WeightError(f"{key}: the graph holds {list(value.shape)}, the module {list(self.sd[key].shape)}")
        self.new[key] = value.reshape(tuple(self.sd[key].shape))
        self.derived += 1

    def by_name(self, prefix=""):
        """entries not set yet, from the initializers (or their Identity copies) of the same name"""
        for k, v in self.sd.items():
            if k in self.new or k in self.unused or not v.dtype.is_floating_point:
                continue
            a = self.graph.const(prefix + k)
            if a is not None and list(a.shape) == list(v.shape):
                self.new[k] = a.astype(np.float32)

    def finish(self):
        missing = [k for k, v in self.sd.items() if v.dtype.is_floating_point and k not in self.new and k not in self.unused]
        if missing:
            more = f" and {len(missing) - 4} more" if len(missing) > 4 else ""
            raise WeightError(f"{os.path.relpath(self.graph.path, ROOT)} holds no value for {', '.join(missing[:4])}{more}")
        with self.torch.no_grad():
            for k, a in self.new.items():
                self.sd[k].copy_(self.torch.from_numpy(np.array(a, dtype=np.float32)))
        named = len(self.new) - self.derived
        return self.module.eval(), f"{os.path.relpath(self.graph.path, ROOT)} initializers ({named} by name, {self.derived} mapped back from the rewritten graph)"


def _conv_transposes(ld, root):
    for scope, w, b in ld.graph.conv_transposes():
        p = module_path(root, scope)
        ld.put(f"{p}.weight", w)
        if b is not None:
            ld.put(f"{p}.bias", b)


def _train(name):
    if TRAIN not in sys.path:
        sys.path.insert(0, TRAIN)
    return __import__(name)


# ---------------------------------------------------------------------------------------------- fmnist models
def classifier(torch, onnx, path, module=None):
    """Classifier (fmnist-classifier's, or `module` of the same Conv-BatchNorm layout: emoji-classifier's); the exporter
    folded each BatchNorm into the Conv before it (onnx::Conv_N weight and bias)."""
    nn = torch.nn
    m = (module or _train("train_classifier").Classifier()).eval()
    g = OnnxGraph(onnx, path)
    ld = Loader(torch, m, g)
    body = dict(m.named_modules())
    for n in g.nodes:
        if n.op_type != "Conv":
            continue
        p = module_path(m, _scope(n.name))
        conv = body[p]
        parent, _, idx = p.rpartition(".")
        after = f"{parent}.{int(idx) + 1}" if parent and idx.isdigit() else None     # the layer after it in its Sequential
        bn = body.get(after) if after else None
        w, b = g.const(n.input[1]), g.const(n.input[2]) if len(n.input) > 2 else None
        if w is None:
            raise WeightError(f"{n.name}: weight is not a constant")
        ld.put(f"{p}.weight", w)
        if conv.bias is not None:
            ld.put(f"{p}.bias", b if b is not None else np.zeros(conv.out_channels))
        elif isinstance(bn, nn.BatchNorm2d):
            # folded by the exporter: the BatchNorm stays in the module as the identity plus the folded bias
            c = bn.num_features
            ld.put(f"{after}.running_mean", np.zeros(c))
            ld.put(f"{after}.running_var", np.full(c, 1.0 - bn.eps))                # (x - 0) / sqrt(1 - eps + eps) * 1 + b
            ld.put(f"{after}.weight", np.ones(c))
            ld.put(f"{after}.bias", b if b is not None else np.zeros(c))
        elif b is not None and np.any(b != 0):
            raise WeightError(f"{n.name}: a bias the module has no place for")
    ld.by_name()
    return ld.finish()


def vae(torch, onnx, folder, ae):
    """(encoder, decoder) of fmnist-vae / fmnist-ae: encoder by name, decoder's ConvTransposes from MatMul + Col2Im"""
    tv = _train("train_vae")
    enc = tv.Encoder(vae=not ae).eval()
    ge = OnnxGraph(onnx, os.path.join(folder, "encoder.onnx"))
    le = Loader(torch, enc, ge)
    le.by_name()
    dec = tv.Decoder().eval()
    gd = OnnxGraph(onnx, os.path.join(folder, "decoder.onnx"))
    ld = Loader(torch, dec, gd)
    _conv_transposes(ld, dec)
    ld.by_name()
    return le.finish(), ld.finish()


def dcgan(torch, onnx, folder):
    """{role: (module, weights)}: FoldedGenerator (generator.onnx), GeneratorInversion (inversion.onnx), GanEncoder"""
    td = _train("train_dcgan")
    out = {}
    G = td.FoldedGenerator(td.Generator()).eval()          # the class generator.onnx is exported from
    g = OnnxGraph(onnx, os.path.join(folder, "generator.onnx"))
    ld = Loader(torch, G, g)
    _conv_transposes(ld, G)
    ld.by_name()
    G, w = ld.finish()
    out["generator"] = (G, w + ", FoldedGenerator as exported")

    inv = td.GeneratorInversion(td.Generator()).eval()
    g = OnnxGraph(onnx, os.path.join(folder, "inversion.onnx"))
    ld = Loader(torch, inv, g)
    ld.by_name()                                            # W0 b0 s0 W1 s1 c1 W2 kept their names
    ct = g.conv_transposes()                                # [up1 (no bias), up2]: b2 is the second one's bias
    if len(ct) != 2 or ct[1][2] is None:
        raise WeightError("inversion.onnx: expected two ConvTransposes, the second with a bias")
    ld.put("b2", ct[1][2])
    for k, (_, w_ct, _) in zip(("W1", "W2"), ct):           # the forward ConvTransposes use the adjoint Convs' weights
        if k in ld.new and not np.array_equal(ld.new[k], w_ct):
            raise WeightError(f"inversion.onnx: {k} differs from its ConvTranspose's columns")
    inv, w = ld.finish()
    out["inversion"] = (inv, w + ", GeneratorInversion")

    E = td.GanEncoder().eval()
    ld = Loader(torch, E, OnnxGraph(onnx, os.path.join(folder, "encoder.onnx")))
    ld.by_name()
    out["encoder"] = ld.finish()
    return out


def latent_denoiser(torch, onnx, path):
    """TabledLatentDenoiser: the graph holds the per-block tables and the rest of the net; the time MLP and the blocks'
    time projections it was tabled from are not in it and not used by the tabled forward pass."""
    tl = _train("train_ddpm_latent")
    m = tl.TabledLatentDenoiser(tl.LatentDenoiser()).eval()
    unused = {k for k in m.state_dict() if k.startswith("net.t_mlp.") or (k.startswith("net.blocks.") and ".t." in k)}
    ld = Loader(torch, m, OnnxGraph(onnx, path), unused)
    ld.by_name()
    m, w = ld.finish()
    return m, w + ", TabledLatentDenoiser as exported"


def put_group_norms(ld, g, m):
    """Each GroupNorm of module m from the graph's form of it (OnnxGraph.group_norms), its groups and epsilon checked."""
    mods = dict(m.named_modules())
    for scope, groups, eps, gamma, beta in g.group_norms():
        p = module_path(m, scope)
        gn = mods[p]
        if gn.num_groups != groups or not math.isclose(gn.eps, eps, rel_tol=1e-6):
            raise WeightError(f"{p}: graph has {groups} groups, epsilon {eps}; module {gn.num_groups}, {gn.eps}")
        ld.put(f"{p}.weight", gamma)
        ld.put(f"{p}.bias", beta)


def with_group_norms(torch, onnx, m, path):
    """Module m with the weights of the graph at path: GroupNorms from their exported form, the rest by name."""
    g = OnnxGraph(onnx, path)
    ld = Loader(torch, m, g)
    put_group_norms(ld, g, m)
    ld.by_name()
    return ld.finish()


def pixel_denoiser(torch, onnx, path, conditional=False):
    """UNet: Convs and Linears by name, GroupNorms from LayerNormalization + BatchNormalization, the last Conv from its
    depthwise + ReduceSum form; `conditional`: the class-conditional UNet, whose class embedding is its Gather's table."""
    tp = _train("train_ddpm_pixel_cond" if conditional else "train_ddpm_pixel")
    m = (tp.ConditionalUNet() if conditional else tp.UNet()).eval()
    g = OnnxGraph(onnx, path)
    ld = Loader(torch, m, g)
    put_group_norms(ld, g, m)
    for scope, w, b in g.depthwise_sums():
        p = module_path(m, scope)
        ld.put(f"{p}.weight", w)
        if b is not None:
            ld.put(f"{p}.bias", b)
    ld.by_name()
    return ld.finish()


# ---------------------------------------------------------------------------------------------- emoji models
def emoji_dit(torch, onnx, path):
    """train_emoji_dit.DiT from denoiser.onnx: biases, norms and tables by name; each Linear over tokens (a MatMul by a
    constant, which the exporter names anonymously) from the scope of its MatMul, its weight transposed back. The patch
    size is the graph's: its position table has one row per token of the latent grid."""
    td = _train("train_emoji_dit")
    g = OnnxGraph(onnx, path)
    pos = g.const("pos")
    if pos is None:
        raise WeightError(f"{os.path.relpath(path, ROOT)}: no position table (pos) to read the patch size from")
    size = td.LATENT[1]
    patch = size // math.isqrt(pos.shape[1])
    net = td.DiT(patch=patch).eval()
    ld = Loader(torch, net, g)
    for n in g.nodes:
        w = g.const(n.input[1]) if n.op_type == "MatMul" else None
        if w is not None and w.ndim == 2:
            ld.put(f"{module_path(net, _scope(n.output[0]))}.weight", w.T)
    ld.by_name()
    return ld.finish()


# ---------------------------------------------------------------------------------------------- StyleGAN fixtures
def stylegan(torch, onnx, fid):
    """build_fixtures.py's Generator for a StyleGAN-style fixture, weights from its generator.onnx: by name where the
    export kept them (stylegan-256), else from the constant-folded graph (stylegan-tiny)."""
    if FIXTURES not in sys.path:
        sys.path.insert(0, FIXTURES)
    import build_fixtures as bf
    c = bf.STYLEGANS[fid]
    G = bf.Generator(bf.Mapping(c["z_dim"], c["w_dim"]), bf.Synthesis(c["resolutions"], c["channels"], c["w_dim"])).eval()
    # toRGB layers add no noise: the export has no noise buffer or strength for them.
    unused = {f"{n}.{k}" for n, mod in G.named_modules() if isinstance(mod, bf.StyleLayer) and not mod.activate for k in ("noise", "noise_strength")}
    g = OnnxGraph(onnx, os.path.join(FIXTURES, fid, "generator.onnx"))
    ld = Loader(torch, G, g, unused)
    ld.by_name()
    missing = [k for k, v in ld.sd.items() if v.dtype.is_floating_point and k not in ld.new and k not in unused]
    if not missing:
        return ld.finish()
    # constant-folded export: read each layer's constants from the nodes of its scope
    ld = Loader(torch, G, g, unused)
    mods = dict(G.named_modules())
    scoped = {}
    for n in g.nodes:
        try:
            p = module_path(G, _scope(n.name))
        except WeightError:
            continue
        scoped.setdefault(p, []).append(n)

    def consts(n):
        return [(i, g.const(i)) for i in n.input if g.const(i) is not None]

    for p, mod in mods.items():
        nodes = scoped.get(p, [])
        if isinstance(mod, bf.FC):
            gemm = [n for n in nodes if n.op_type == "Gemm"]
            if len(gemm) != 1 or g.const(gemm[0].input[1]) is None:
                raise WeightError(f"{p}: no Gemm with a constant weight in {fid}/generator.onnx")
            w = g.const(gemm[0].input[1])
            if not g.attrs(gemm[0]).get("transB", 0):
                w = w.T
            ld.put(f"{p}.weight", w.astype(np.float64) / mod.gain)       # folded: weight * gain
            if len(gemm[0].input) > 2 and g.const(gemm[0].input[2]) is not None:
                ld.put(f"{p}.bias", g.const(gemm[0].input[2]))
        elif isinstance(mod, bf.StyleLayer):
            cout = mod.weight.shape[0]
            for n in nodes:
                for _, v in consts(n):
                    if n.op_type == "Mul" and v.ndim == 5 and tuple(v.shape[1:]) == tuple(mod.weight.shape):
                        ld.put(f"{p}.weight", v[0])                        # weight[None]
                    elif n.op_type == "Add" and v.ndim == 4 and v.shape[:2] == (1, 1) and mod.activate:
                        ld.put(f"{p}.noise", v)                            # noise * noise_strength, folded
                        ld.put(f"{p}.noise_strength", np.ones(()))
                    elif n.op_type == "Add" and v.ndim == 4 and v.shape == (1, cout, 1, 1):
                        ld.put(f"{p}.bias", v)
        elif isinstance(mod, bf.Synthesis):
            for n in nodes:
                for _, v in consts(n):
                    if n.op_type in ("Expand", "Tile") and v.ndim == 4 and tuple(v.shape[1:]) == tuple(mod.const.shape):
                        ld.put(f"{p}.const" if p else "const", v[0])
    m, w = ld.finish()
    return m, w.replace(")", "; constant-folded export: FC weights divided by their gain, noise x strength loaded as the noise)", 1)
