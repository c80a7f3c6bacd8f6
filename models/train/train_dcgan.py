"""DCGAN (z=64) + explicit-backward inversion graph + warm-start encoder. Exports models/fmnist-dcgan.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_dcgan.py [--epochs 60] [--gan-minutes M] [--enc-steps 2500] [--generator ema|ema-recal|last]
(the bundled model: OMP_NUM_THREADS=1 ... train_dcgan.py --epochs 60 --gan-minutes 103 --generator ema, on a busy machine:
 22 epochs; the encoder stage ran with OMP_NUM_THREADS=2)
GAN training stops after --epochs epochs, or earlier at the last epoch that fits in --gan-minutes of (accumulated)
GAN training time; the manifest records the epochs actually trained.
Re-export generator.onnx and inversion.onnx from the final checkpoint: the same command with --export-only.
Stages (each resumable from models/train/checkpoints/dcgan2.pt, dcgan2_enc.pt): GAN training, encoder training, export.

Recipe (v2): v1's generator and discriminator and non-saturating loss (the inversion graph and the folded export
depend on the generator's structure), Adam 2e-4, betas (0.5, 0.999), batch 64 (v1: 128), more epochs; the exported
generator is an exponential moving average (decay 0.999) of the generator's weights and of its BatchNorm running
statistics (v1 exported the last iterate), unless --generator says otherwise: after the 7 epochs that fitted
in 32 minutes the EMA still lagged the last iterate (FD 40.8 vs 38.7), so that model shipped the last iterate; after
22 epochs (103 minutes) the EMA was the more often confidently classified (17.1% vs 16.4%, FD 25.9 vs 25.4, 1,000
samples), and the bundled model is the EMA.
A spectral-norm discriminator without BatchNorm (v1's widths) with
hinge loss was tried first and dropped: after 3 epochs its samples were noisy (FD 61.6 vs v1's 42.6 after 8).

Training on (v3, the bundled model): --from-onnx starts from the shipped generator (generator_from_onnx: rebuilt from
inversion.onnx, equal to generator.onnx to 4e-6) when there is no checkpoint, so a fresh clone can go on from the
bundled model; its epochs and GAN seconds are counted on. The discriminator was not shipped, so a fresh one learns
against the fixed generator for --d-warmup steps first. The bundled model:
    train_dcgan.py --from-onnx --disc wide --lr-g 1e-4 --lr-d 2e-4 --d-warmup 1000 --epochs 38
(run with --epochs 80 --gan-minutes 208 and stopped after epoch 38, 16 epochs on from 22, when the EMA's figures had
stopped rising). v1's discriminator started afresh stayed at chance (loss 1.39-1.40 over two epochs) and the EMA
generator got worse (FD 25.5 -> 28.4), hence WideDiscriminator, and the generator's learning rate halved.
"""
import argparse, json, os, sys
import torch, torch.nn as nn, torch.nn.functional as F
from common import *

SEED = 5
ZD = 64


class Generator(nn.Module):
    def __init__(self, zd=ZD):
        super().__init__()
        self.fc = nn.Linear(zd, 128 * 7 * 7)
        self.bn0 = nn.BatchNorm1d(128 * 7 * 7)
        self.up1 = nn.ConvTranspose2d(128, 64, 4, 2, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(64)
        self.up2 = nn.ConvTranspose2d(64, 1, 4, 2, 1)

    def forward(self, z):
        h = F.relu(self.bn0(self.fc(z))).view(-1, 128, 7, 7)
        h = F.relu(self.bn1(self.up1(h)))
        return torch.tanh(self.up2(h))


class Discriminator(nn.Module):
    """v1's discriminator (training only; not exported); its BatchNorm sees real and fake batches separately."""
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(64, 128, 4, 2, 1, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2),
                                 nn.Flatten(), nn.Linear(128 * 7 * 7, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


class WideDiscriminator(nn.Module):
    """A discriminator without BatchNorm, a third convolution and twice v1's parameters (training only): against the
    shipped generator, v1's discriminator started afresh stayed at chance (loss 1.39) and the generator drifted."""
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Conv2d(128, 256, 3, 2, 1), nn.LeakyReLU(0.2),
                                 nn.Flatten(), nn.Linear(256 * 4 * 4, 1))

    def forward(self, x):
        return self.net(x).squeeze(1)


DISCRIMINATORS = {"bn": Discriminator, "wide": WideDiscriminator}
DISCRIMINATOR_NOTES = {"bn": "BatchNorm discriminator", "wide": "three-convolution discriminator without BatchNorm"}


def discriminator_step(Dn, optD, real, fake):
    """One discriminator update: standard BCE with logits, real and fake batches in separate passes (BatchNorm);
    returns the loss and the logits."""
    dr, df = Dn(real), Dn(fake)
    lossD = F.softplus(-dr).mean() + F.softplus(df).mean()
    optD.zero_grad(); lossD.backward(); optD.step()
    return lossD, dr, df


def _bn_affine(bn):
    s = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    return s, bn.bias - bn.running_mean * s


class FoldedGenerator(nn.Module):
    """The eval-mode Generator with each BatchNorm folded into the layer before it; outputs agree to ~1e-6.

    This is what generator.onnx is exported from: onnxruntime fuses BatchNormalization into Conv but not into
    Gemm or ConvTranspose, and its own BatchNormalization kernel was 18% of the graph's time at batch 64.
    """
    def __init__(self, G):
        super().__init__()
        G = G.eval()
        s0, c0 = _bn_affine(G.bn0)
        s1, c1 = _bn_affine(G.bn1)
        self.fc = nn.Linear(G.fc.in_features, G.fc.out_features)
        self.up1 = nn.ConvTranspose2d(128, 64, 4, 2, 1)
        self.up2 = nn.ConvTranspose2d(64, 1, 4, 2, 1)
        with torch.no_grad():
            self.fc.weight.copy_(G.fc.weight * s0[:, None])
            self.fc.bias.copy_(G.fc.bias * s0 + c0)
            self.up1.weight.copy_(G.up1.weight * s1.view(1, -1, 1, 1))   # ConvTranspose weight is [in, out, kh, kw]
            self.up1.bias.copy_(c1)
            self.up2.load_state_dict(G.up2.state_dict())

    def forward(self, z):
        h = F.relu(self.fc(z)).view(-1, 128, 7, 7)
        return torch.tanh(self.up2(F.relu(self.up1(h))))


def export_generator(G, path):
    """generator.onnx from the folded generator, its ConvTransposes as MatMul + Col2Im (common.py);
    parity.json keeps the trained Generator's own outputs."""
    export_onnx(FoldedGenerator(G).eval(), (torch.randn(2, ZD),), ["z"], ["x"], path)
    return convtranspose_as_col2im(path)


class GeneratorInversion(nn.Module):
    """(z, x) -> (loss[b], grad[b,d]) for an eval-mode Generator, using forward ops only.

    Adjoints: conv_transpose2d -> conv2d with the same weight/stride/padding; Linear -> matmul with W;
    eval BatchNorm -> per-channel scale; ReLU -> mask of positive pre-activations; tanh -> 1 - y^2.
    """
    def __init__(self, G):
        super().__init__()
        G = G.eval()
        s0, c0 = _bn_affine(G.bn0)
        s1, c1 = _bn_affine(G.bn1)
        self.register_buffer("W0", G.fc.weight.detach().clone())          # [6272, d]
        self.register_buffer("b0", (G.fc.bias * s0 + c0).detach().clone())  # fc folded with bn0
        self.register_buffer("s0", s0.detach().clone())
        self.register_buffer("W1", G.up1.weight.detach().clone())         # [128, 64, 4, 4]
        self.register_buffer("s1", s1.detach().clone().view(1, -1, 1, 1))
        self.register_buffer("c1", c1.detach().clone().view(1, -1, 1, 1))
        self.register_buffer("W2", G.up2.weight.detach().clone())         # [64, 1, 4, 4]
        self.register_buffer("b2", G.up2.bias.detach().clone())

    def forward(self, z, x):
        # forward pass, keeping activations
        a0 = F.linear(z, self.W0 * self.s0[:, None], self.b0)            # = bn0(fc(z))
        h0 = F.relu(a0)
        a1 = F.conv_transpose2d(h0.view(-1, 128, 7, 7), self.W1, None, 2, 1) * self.s1 + self.c1
        h1 = F.relu(a1)
        y = torch.tanh(F.conv_transpose2d(h1, self.W2, self.b2, 2, 1))
        r = y - x
        loss = (r * r).flatten(1).sum(1)
        # backward pass written as forward operations
        g = 2 * r * (1 - y * y)                                           # d/d pre-tanh
        g = F.conv2d(g, self.W2, None, 2, 1)                              # adjoint of up2
        g = g * (a1 > 0).to(g.dtype) * self.s1                            # relu, bn1
        g = F.conv2d(g, self.W1, None, 2, 1).flatten(1)                   # adjoint of up1 -> [b, 6272]
        g = g * (a0 > 0).to(g.dtype) * self.s0                            # relu, bn0
        grad = g.matmul(self.W0)                                          # adjoint of fc
        return loss, grad


def export_inversion(G, x, path):
    """inversion.onnx, its forward pass's ConvTransposes as MatMul + Col2Im (common.py)."""
    export_onnx(GeneratorInversion(G).eval(), (torch.randn(2, ZD), x), ["z", "x"], ["loss", "grad"], path)
    return convtranspose_as_col2im(path)


class GanEncoder(nn.Module):
    def __init__(self, zd=ZD):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(1, 32, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(32, 64, 4, 2, 1),
                                 nn.LeakyReLU(0.2), nn.Conv2d(64, 128, 3, 1, 1), nn.LeakyReLU(0.2), nn.Flatten(),
                                 nn.Linear(128 * 7 * 7, 256), nn.LeakyReLU(0.2), nn.Linear(256, zd))

    def forward(self, x):
        return self.net(x)


@torch.no_grad()
def recalibrate_bn(G, gen, batches=100, bs=64):
    """Re-estimates G's BatchNorm running statistics as plain averages over generated batches (train-mode forward)."""
    bns = [m for m in G.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for m in bns:
        m.reset_running_stats(); m.momentum = None
    G.train()
    for _ in range(batches):
        G(torch.randn(bs, ZD, generator=gen).to(G.fc.weight.device))
    for m in bns:
        m.momentum = 0.1
    return G.eval()


def _set_bn(bn, mean, var, scale, shift):
    """BatchNorm statistics `mean`, `var` with the affine that makes its eval mode `scale * y + shift`."""
    bn.running_mean.copy_(mean); bn.running_var.copy_(var)
    bn.weight.copy_(scale * torch.sqrt(var + bn.eps)); bn.bias.copy_(shift + scale * mean)


@torch.no_grad()
def generator_from_onnx(gen, n=8192):
    """The shipped generator as a trainable Generator, for training on from where the bundled model stopped.

    inversion.onnx keeps fc's and the ConvTransposes' weights with each BatchNorm folded into a scale and shift
    (W0, s0, b0, W1, s1, c1, W2, b2). Each BatchNorm gets statistics measured on `n` codes z ~ N(0, I) and the affine
    that undoes them: in eval mode the Generator is the shipped graph (to float rounding), and in train mode,
    where a batch's own statistics stand in for the measured ones, it is close to it.
    """
    ow, onnx = exported_weights()
    folder = model_dir("fmnist-dcgan")
    graphs = ow.dcgan(torch, onnx, folder)
    inv, _ = graphs["inversion"]
    G = Generator()
    G.fc.weight.copy_(inv.W0); G.fc.bias.zero_()
    y0 = G.fc(torch.randn(n, ZD, generator=gen))
    _set_bn(G.bn0, y0.mean(0), y0.var(0, unbiased=False), inv.s0, inv.b0)
    G.up1.weight.copy_(inv.W1)
    y1 = G.up1(F.relu(y0 * inv.s0 + inv.b0).view(-1, 128, 7, 7))
    _set_bn(G.bn1, y1.mean((0, 2, 3)), y1.var((0, 2, 3), unbiased=False), inv.s1.flatten(), inv.c1.flatten())
    G.up2.weight.copy_(inv.W2); G.up2.bias.copy_(inv.b2)
    G.eval()
    shipped, _ = graphs["generator"]
    z = torch.randn(256, ZD, generator=gen)
    err = (G(z) - shipped.eval()(z)).abs().max().item()
    if err > 1e-4:
        raise RuntimeError(f"the Generator rebuilt from inversion.onnx differs from generator.onnx by {err:.2e}")
    with open(os.path.join(folder, "manifest.json")) as f:
        training = json.load(f)["training"]
    log(f"generator from {folder} ({training['epochs']} epochs, {training['ganSeconds']} s): max |diff| to generator.onnx {err:.1e}")
    return G, training


def load_gan():
    sd = load_ckpt("dcgan_final.pt")
    G, E = Generator(), GanEncoder()
    G.load_state_dict(sd["G"]); E.load_state_dict(sd["E"])
    return G.eval(), E.eval(), sd.get("meta")


def check_inversion(G, inv, x, gen):
    z = torch.randn(len(x), ZD, generator=gen, requires_grad=True)
    loss_ref = ((G(z) - x) ** 2).flatten(1).sum(1)
    grad_ref, = torch.autograd.grad(loss_ref.sum(), z)
    with torch.no_grad():
        loss, grad = inv(z.detach(), x)
    rel_g = ((grad - grad_ref).abs().max() / grad_ref.abs().max()).item()
    rel_l = ((loss - loss_ref).abs().max() / loss_ref.abs().max()).item()
    rel_norm = ((grad - grad_ref).norm(dim=1) / grad_ref.norm(dim=1)).max().item()
    return rel_l, rel_g, rel_norm


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--epochs", type=int, default=60)
    ap.add_argument("--gan-minutes", type=float, default=None,
                    help="stop GAN training at the last epoch that fits in this many minutes of accumulated GAN training time")
    ap.add_argument("--enc-steps", type=int, default=2500)
    ap.add_argument("--bs", type=int, default=64)
    ap.add_argument("--ema", type=float, default=0.999)
    ap.add_argument("--generator", choices=["ema", "ema-recal", "last"], default="ema",
                    help="which generator the encoder is trained for and the graphs are exported from: the EMA generator, "
                         "the EMA generator with BatchNorm statistics re-estimated, or the last iterate")
    ap.add_argument("--from-onnx", action="store_true",
                    help="without a checkpoint, train on from the shipped generator (models/fmnist-dcgan), its epochs and seconds "
                         "counted on, with a fresh discriminator warmed up first")
    ap.add_argument("--disc", choices=sorted(DISCRIMINATORS), default="bn", help="the discriminator (training only)")
    ap.add_argument("--lr-g", type=float, default=2e-4)
    ap.add_argument("--lr-d", type=float, default=2e-4)
    ap.add_argument("--d-warmup", type=int, default=500, help="--from-onnx: discriminator-only steps before training resumes")
    ap.add_argument("--export-only", action="store_true", help="re-export generator.onnx and inversion.onnx from the saved checkpoint "
                    "(all graphs, parity and manifest when it came from a --no-export run)")
    ap.add_argument("--no-export", action="store_true", help="train (GAN, then encoder) and save checkpoints/dcgan_final.pt only; "
                    "--export-only exports it (a GPU machine's torch is not the one the graphs are exported with)")
    args = ap.parse_args()
    if args.export_only:
        G, E, meta = load_gan()
        if meta:
            setup(SEED)
            xte, _ = load_tensors("t10k", (-1, 1))
            return export_all(G, E, xte, meta)
        path = os.path.join(model_dir("fmnist-dcgan"), "generator.onnx")
        log(f"re-exported {path}: {export_generator(G, path)} bytes")
        path = os.path.join(model_dir("fmnist-dcgan"), "inversion.onnx")
        log(f"re-exported {path}: {export_inversion(G, torch.zeros(2, 1, 28, 28), path)} bytes")
        return
    setup(SEED)
    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", "2")))  # OMP_NUM_THREADS=1 runs better on a busy machine
    dev = train_device()
    xtr, _ = load_tensors("train", (-1, 1))
    xte, _ = load_tensors("t10k", (-1, 1))
    xtr = xtr.to(dev)
    G, Dn = Generator().to(dev), DISCRIMINATORS[args.disc]().to(dev)
    ema = EMA(G, args.ema)                                 # weights and BatchNorm buffers
    optG = torch.optim.Adam(G.parameters(), lr=args.lr_g, betas=(0.5, 0.999))
    optD = torch.optim.Adam(Dn.parameters(), lr=args.lr_d, betas=(0.5, 0.999))
    gen = torch.Generator().manual_seed(SEED)
    ck = load_ckpt("dcgan2.pt")
    start, timer = 0, Timer()
    if ck and ck.get("disc", "bn") != args.disc:
        raise SystemExit(f"checkpoints/dcgan2.pt was trained with --disc {ck.get('disc', 'bn')}: resume with that, or move it "
                         f"(and dcgan2_enc.pt) aside to start again (with --from-onnx: from the shipped generator)")
    if ck:
        G.load_state_dict(ck["G"]); Dn.load_state_dict(ck["D"]); ema.model.load_state_dict(ck["G_ema"])
        optG.load_state_dict(ck["optG"]); optD.load_state_dict(ck["optD"]); gen.set_state(ck["gen"])
        start = ck["epoch"]; timer = Timer(ck["seconds"])
        last = ck.get("epochSeconds")
        continued = ck.get("continued")
        log(f"resumed dcgan2.pt at epoch {start}, {timer.total():.0f}s")
    else:
        last, continued = None, None
    if not ck and args.from_onnx:
        G0, shipped = generator_from_onnx(gen)
        G.load_state_dict(G0.state_dict()); ema.model.load_state_dict(G0.state_dict())
        start, timer = shipped["epochs"], Timer(shipped["ganSeconds"])
        continued = {"epochs": start, "ganSeconds": shipped["ganSeconds"], "command": shipped["command"]}
        # the discriminator's state was not shipped: a fresh one learns against the fixed generator first
        G.train(); Dn.train()
        for step in range(args.d_warmup):
            real = xtr[torch.randint(0, len(xtr), (args.bs,), generator=gen).to(dev)]
            with torch.no_grad():
                fake = G(torch.randn(args.bs, ZD, generator=gen).to(dev))
            lossD, dr, df = discriminator_step(Dn, optD, real, fake)
        log(f"discriminator warmed up for {args.d_warmup} steps: lossD {lossD.item():.3f} D(real) {dr.mean().item():.3f} D(fake) {df.mean().item():.3f}")
    epochs_done = start
    for ep in range(start, args.epochs):
        t_ep = timer.total()
        if args.gan_minutes is not None and last is not None and t_ep + last > args.gan_minutes * 60:
            log(f"stopping GAN training after epoch {ep}: another epoch (~{last:.0f}s) would pass {args.gan_minutes} min")
            break
        if args.gan_minutes is not None and t_ep >= args.gan_minutes * 60:
            break
        G.train(); Dn.train()
        sd = sg = sr = sf = 0.0; n = 0
        for idx in batches(len(xtr), args.bs, gen):
            real = xtr[idx.to(dev)]; b = len(idx)
            z = torch.randn(b, ZD, generator=gen).to(dev)
            fake = G(z)
            lossD, dr, df = discriminator_step(Dn, optD, real, fake.detach())
            # generator: non-saturating loss -log D(G(z))
            lossG = F.softplus(-Dn(fake)).mean()
            optG.zero_grad(); lossG.backward(); optG.step()
            ema.update(G)
            sd += lossD.item(); sg += lossG.item(); sr += dr.mean().item(); sf += df.mean().item(); n += 1
            if n % 200 == 0:
                log(f"  ep {ep+1} step {n} lossD {sd/n:.3f} lossG {sg/n:.3f} D(real) {sr/n:.3f} D(fake) {sf/n:.3f} t {timer.total():.0f}s")
        last = timer.total() - t_ep
        epochs_done = ep + 1
        log(f"gan epoch {ep+1} lossD {sd/n:.3f} lossG {sg/n:.3f} D(real) {sr/n:.3f} D(fake) {sf/n:.3f} epoch {last:.0f}s t {timer.total():.0f}s")
        save_ckpt("dcgan2.pt", {"recipe": "ns-ema-b64", "disc": args.disc, "G": G.state_dict(), "D": Dn.state_dict(), "G_ema": ema.model.state_dict(),
                                "optG": optG.state_dict(), "optD": optD.state_dict(), "gen": gen.get_state(),
                                "epoch": ep + 1, "seconds": timer.total(), "epochSeconds": last, "continued": continued})
    gan_seconds = timer.total()
    if args.generator == "last":
        G = G.eval()                                       # the last iterate, its own BatchNorm running statistics
    else:
        G = ema.model.eval()                               # the EMA generator (weights and BatchNorm buffers)
        if args.generator == "ema-recal":
            recalibrate_bn(G, torch.Generator().manual_seed(SEED + 1))
    for p in G.parameters():
        p.requires_grad_(False)

    # ---- encoder for warm starts: z-reconstruction on generated images + image reconstruction on real ones
    E = GanEncoder().to(dev)
    optE = torch.optim.Adam(E.parameters(), lr=1e-3)
    schedE = torch.optim.lr_scheduler.OneCycleLR(optE, max_lr=1e-3, total_steps=args.enc_steps, pct_start=0.05)
    ck = load_ckpt("dcgan2_enc.pt")
    s0, etimer = 0, Timer()
    if ck and ck.get("ganEpochs", epochs_done) != epochs_done:
        # an encoder for an earlier generator (the GAN trained on since): train a new one
        log(f"dcgan2_enc.pt was trained for the generator at epoch {ck['ganEpochs']}, not {epochs_done}: a new encoder")
        ck = None
    if ck:
        E.load_state_dict(ck["E"]); optE.load_state_dict(ck["opt"]); schedE.load_state_dict(ck["sched"])
        gen.set_state(ck["gen"]); s0 = ck["step"]; etimer = Timer(ck["seconds"])
    run = 0.0
    for step in range(s0 + 1, args.enc_steps + 1):
        E.train()
        z = torch.randn(64, ZD, generator=gen).to(dev)
        with torch.no_grad():
            xg = G(z)
        real = xtr[torch.randint(0, len(xtr), (64,), generator=gen).to(dev)]
        lz = ((E(xg) - z) ** 2).sum(1).mean()
        lx = ((G(E(real)) - real) ** 2).flatten(1).sum(1).mean()
        loss = lz + 0.05 * lx
        optE.zero_grad(); loss.backward(); optE.step(); schedE.step()
        run = 0.98 * run + 0.02 * loss.item()
        if step % 250 == 0 or step == args.enc_steps:
            log(f"enc step {step} loss {run:.3f} (lz {lz.item():.3f} lx {lx.item():.2f}) t {etimer.total():.0f}s")
            save_ckpt("dcgan2_enc.pt", {"E": E.state_dict(), "opt": optE.state_dict(), "sched": schedE.state_dict(),
                                       "gen": gen.get_state(), "step": step, "seconds": etimer.total(), "ganEpochs": epochs_done})
    enc_seconds = etimer.total()
    G, E = G.cpu().eval(), E.cpu().eval()
    meta = {"epochs": epochs_done, "ganSeconds": gan_seconds, "encSeconds": enc_seconds, "encSteps": args.enc_steps, "bs": args.bs,
            "ema": args.ema, "generator": args.generator, "paramsD": count_params(Dn), "device": device_name(dev), "continued": continued,
            "disc": args.disc, "lrG": args.lr_g, "lrD": args.lr_d,
            "command": " ".join(["/usr/bin/python3", "models/train/train_dcgan.py"] + sys.argv[1:])}
    save_ckpt("dcgan_final.pt", {"G": G.state_dict(), "E": E.state_dict(), "meta": meta})
    if args.no_export:
        return
    export_all(G, E, xte, meta)


def export_all(G, E, xte, meta):
    """generator, inversion and encoder graphs, parity cases and the manifest, from the final generator and encoder."""
    epochs_done, gan_seconds, enc_seconds = meta["epochs"], meta["ganSeconds"], meta["encSeconds"]

    # ---- inversion graph + check against autograd
    inv = GeneratorInversion(G).eval()
    cg = torch.Generator().manual_seed(99)
    rel_l, rel_g, rel_n = check_inversion(G, inv, xte[:64], cg)
    log(f"inversion check: max rel err loss {rel_l:.2e}, grad (max abs / max |ref|) {rel_g:.2e}, per-row norm {rel_n:.2e}")

    d = model_dir("fmnist-dcgan")
    s1 = export_generator(G, os.path.join(d, "generator.onnx"))
    s2 = export_inversion(G, xte[:2], os.path.join(d, "inversion.onnx"))
    s3 = export_onnx(E, (xte[:2],), ["x"], ["z"], os.path.join(d, "encoder.onnx"))
    g = torch.Generator().manual_seed(2468)
    parity = {
        "generator": [parity_case(G, {"z": torch.randn(1, ZD, generator=g)}, ["x"]),
                      parity_case(G, {"z": torch.randn(8, ZD, generator=g)}, ["x"])],
        "inversion": [parity_case(inv, {"z": torch.randn(1, ZD, generator=g), "x": xte[:1]}, ["loss", "grad"]),
                      parity_case(inv, {"z": torch.randn(8, ZD, generator=g), "x": xte[1:9]}, ["loss", "grad"])],
        "encoder": [parity_case(E, {"x": xte[:1]}, ["z"]), parity_case(E, {"x": xte[1:9]}, ["z"])],
    }
    write_json(os.path.join(d, "parity.json"), parity, indent=None)
    nG, nE, nD = count_params(G), count_params(E), meta["paramsD"]
    write_manifest("fmnist-dcgan", {
        "name": "Fashion-MNIST DCGAN",
        "kind": "gan",
        "description": "DCGAN generator (64-d standard-normal z, tanh image in [-1,1]) with a forward-only inversion graph (loss and dloss/dz) and an encoder for warm-starting inversion.",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [-1, 1]},
        "latent": {"shape": [ZD], "prior": "standard-normal"},
        "graphs": {
            "generator": {"file": "generator.onnx", "inputs": io_spec([("z", ["batch", ZD])]),
                          "outputs": io_spec([("x", ["batch", 1, 28, 28])])},
            "inversion": {"file": "inversion.onnx", "inputs": io_spec([("z", ["batch", ZD]), ("x", ["batch", 1, 28, 28])]),
                          "outputs": io_spec([("loss", ["batch"]), ("grad", ["batch", ZD])])},
            "encoder": {"file": "encoder.onnx", "inputs": io_spec([("x", ["batch", 1, 28, 28])]),
                        "outputs": io_spec([("z", ["batch", ZD])])},
        },
        "labels": LABELS,
        "training": training_info("train_dcgan.py", SEED, epochs_done, gan_seconds + enc_seconds, device=meta["device"],
                                  command=meta["command"],
                                  ganSeconds=int(gan_seconds), encoderSeconds=int(enc_seconds), encoderSteps=meta["encSteps"],
                                  **({"continuedFrom": meta["continued"]} if meta.get("continued") else {}),
                                  params={"generator": nG, "discriminator (training only)": nD, "encoder": nE},
                                  loss=f"non-saturating GAN loss, {DISCRIMINATOR_NOTES[meta.get('disc', 'bn')]}; encoder: |E(G(z))-z|^2 + 0.05*|G(E(x))-x|^2",
                                  optimizer=f"Adam betas (0.5, 0.999), lr {meta.get('lrG', 2e-4):g} (generator) and {meta.get('lrD', 2e-4):g} (discriminator), "
                                            f"batch {meta['bs']}, 1 D step per G step; encoder Adam one-cycle 1e-3, batch 64",
                                  exportedGenerator={"ema": f"EMA (decay {meta['ema']}) of the generator's weights and BatchNorm buffers",
                                                     "ema-recal": f"EMA (decay {meta['ema']}) of the generator's weights, BatchNorm statistics re-estimated over 100 generated batches of 64",
                                                     "last": "the last iterate (no EMA)"}[meta["generator"]]),
        "metrics": {"params": nG + nE, "onnxBytes": s1 + s2 + s3,
                    "inversionGradMaxRelError": float(f"{rel_g:.3e}"), "inversionLossMaxRelError": float(f"{rel_l:.3e}")},
    })
    log(f"done dcgan: G {nG} E {nE} onnx {s1+s2+s3} bytes, gan {gan_seconds:.0f}s enc {enc_seconds:.0f}s")


if __name__ == "__main__":
    main()
