"""emoji-gan: a StyleGAN2-style generator for 64x64 emoji (mapping network to W, modulated and demodulated
convolutions, toRGB skips), with w_avg for truncation and an encoder to z for inversion warm starts.

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_emoji_gan.py [--minutes 30] [--kimg 2000]
     (again with the same command to continue from models/train/checkpoints/emoji_gan.pt; --export-only exports the
      EMA generator of the latest checkpoint, then trains and exports the encoder)
Data: node scripts/emoji-dataset.mjs first.

The generator's classes are the StyleGAN-style fixtures' (tests/fixtures/models/build_fixtures.py: Mapping, Synthesis,
Generator), which the app's tests already run and differentiate, at 128 channels down to 16 at 64 px, z and w of 128
(trained with the same arithmetic unfused, which a CPU runs faster).
Discriminator: residual blocks with minibatch standard deviation, as StyleGAN2's. Loss: non-saturating logistic with
lazy R1 (gamma 0.5, every 16 steps), Adam 2e-4 (0, 0.99; the style affines 1e-3), batch 32, mirrored reals, EMA of the generator over 10k
images. Not StyleGAN2's 0.0025: that rate assumes equalized-learning-rate weights (stored at unit variance), and only
the mapping network's are; at 0.0025 and batch 64 with R1 the generator's images grew to |x| ~ 2,000 within 10 steps
and the losses to 1e5 (on the GPU machine and on a CPU alike), while 2e-4 stayed bounded. The RGB layers start scaled
by 0.25, as the fixtures' are, so the first images lie mostly in [-1, 1] (|x| up to 10 without it). The exports are
those of the fixtures (generator and synthesis at batch 1, the fused modulated convolution; mapping with a free batch);
the encoder is trained afterwards on the EMA generator, as fmnist-dcgan's is.
"""
import argparse, math, os, sys
import torch, torch.nn as nn, torch.nn.functional as F
from common import (EMA, ROOT, Timer, WallClock, count_params, device_history, device_name, export_onnx, io_spec, log, model_dir, parity_case, save_ckpt,
                    load_ckpt, setup, train_device, write_json, write_manifest)
from common import save_resume as common_save_resume
from train_emoji_vae import load_split

sys.path.insert(0, os.path.join(ROOT, "tests", "fixtures", "models"))
import build_fixtures as sg  # noqa: E402  (the StyleGAN-style classes the app's fixtures are built from)

SEED = 14
MID = "emoji-gan"
Z = W = 128
RESOLUTIONS = [8, 16, 32, 64]
DEVICE = train_device()
# Narrow at the high resolutions, where a step's cost is: on 2 CPU cores a training step at batch 32 takes 0.9 s
# against 2.1 s with {16: 128, 32: 64, 64: 32}, and the exported graphs stay small (0.76 M generator parameters).
CHANNELS = {4: 128, 8: 128, 16: 64, 32: 32, 64: 16}
LR = 2e-4
# The style affines are stored at unit variance and scaled at run time (equalized learning rate), so 2e-4 would move
# them 50x more slowly, relative to their size, than the convolutions' weights; StyleGAN2 trains them at its full rate.
AFFINE_LR = 1e-3
RGB_INIT_GAIN = 0.25


def unfused_modulated_conv(x, weight, styles, demodulate=True, padding=1):
    """The fixtures' modulated convolution, the same arithmetic without per-sample weights: the input is scaled by the
    styles, convolved with the shared weight and the output scaled by the demodulation factors. On a CPU it runs a
    batch 3.5x faster than the grouped convolution (which the exported graphs keep, as the fixtures' do)."""
    n = x.shape[0]
    y = F.conv2d(x * styles.reshape(n, -1, 1, 1), weight, padding=padding)
    if demodulate:
        y = y * ((weight[None] * styles.reshape(n, 1, -1, 1, 1)).square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt().reshape(n, -1, 1, 1)
    return y


FUSED_MODULATED_CONV = sg.modulated_conv


def training_convolutions(on=True):
    """Swaps in the unfused modulated convolution for training, and the fused one back for the export."""
    sg.modulated_conv = unfused_modulated_conv if on else FUSED_MODULATED_CONV


def generator_optimizer(G):
    affine = [p for n, p in G.named_parameters() if ".affine." in n]
    rest = [p for n, p in G.named_parameters() if ".affine." not in n]
    return torch.optim.Adam([{"params": rest, "lr": LR}, {"params": affine, "lr": AFFINE_LR}], betas=(0.0, 0.99))


def sample_grid(G, path, psi=0.7, n=32):
    """A grid of the EMA generator's samples at truncation psi, written beside the checkpoint to follow a run."""
    import numpy as np
    from PIL import Image
    with torch.no_grad():
        g = torch.Generator().manual_seed(99)
        w_avg = G.mapping(torch.randn(4096, Z, generator=g)).mean(0)
        w = w_avg + psi * (G.mapping(torch.randn(n, Z, generator=g)) - w_avg)
        x = G.synthesis(w[:, None].repeat(1, G.synthesis.num_ws, 1))
    x = ((x.clamp(-1, 1) + 1) * 127.5).round().byte().permute(0, 2, 3, 1).numpy()
    Image.fromarray(x.reshape(4, n // 4, 64, 64, 3).transpose(0, 2, 1, 3, 4).reshape(4 * 64, n // 4 * 64, 3)).save(path)


class DBlock(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv0 = nn.Conv2d(cin, cin, 3, 1, 1)
        self.conv1 = nn.Conv2d(cin, cout, 3, 1, 1)
        self.skip = nn.Conv2d(cin, cout, 1, bias=False)

    def forward(self, x):
        y = F.avg_pool2d(F.leaky_relu(self.conv1(F.leaky_relu(self.conv0(x), 0.2)), 0.2), 2)
        return (y + F.avg_pool2d(self.skip(x), 2)) / math.sqrt(2)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.rgb = nn.Conv2d(3, CHANNELS[64], 1)
        self.blocks = nn.Sequential(DBlock(CHANNELS[64], CHANNELS[32]), DBlock(CHANNELS[32], CHANNELS[16]), DBlock(CHANNELS[16], CHANNELS[8]), DBlock(CHANNELS[8], CHANNELS[4]))
        self.conv = nn.Conv2d(CHANNELS[4] + 1, CHANNELS[4], 3, 1, 1)
        self.fc = nn.Linear(CHANNELS[4] * 16, CHANNELS[4])
        self.out = nn.Linear(CHANNELS[4], 1)

    def forward(self, x):
        h = self.blocks(F.leaky_relu(self.rgb(x), 0.2))
        group = min(4, h.shape[0])
        std = h.reshape(group, -1, *h.shape[1:]).std(0).mean(dim=[1, 2, 3]).reshape(-1, 1, 1, 1).repeat(group, 1, 4, 4)
        h = F.leaky_relu(self.conv(torch.cat([h, std], 1)), 0.2)
        return self.out(F.leaky_relu(self.fc(h.flatten(1)), 0.2)).squeeze(1)


class Encoder(nn.Module):
    """Image -> z, for inversion warm starts: 0.44 M parameters (1.8 MB), since the bundled models share a 60 MB budget
    and a warm start needs only to land near the image (the inversion's own steps do the rest)."""
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Conv2d(3, 32, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(32, 64, 4, 2, 1), nn.LeakyReLU(0.2),
                                  nn.Conv2d(64, 128, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(128, 64, 4, 2, 1), nn.LeakyReLU(0.2), nn.Flatten())
        self.fc = nn.Sequential(nn.Linear(64 * 16, 128), nn.LeakyReLU(0.2), nn.Linear(128, Z))

    def forward(self, x):
        return self.fc(self.body(x))


def make_generator():
    G = sg.Generator(sg.Mapping(Z, W), sg.Synthesis(RESOLUTIONS, CHANNELS, W))
    sg.scale_rgb_layers(G, RGB_INIT_GAIN)
    return G


def export(G, E, xte, seconds, kimg, device="cpu (2 cores)", batch=32):
    d = model_dir(MID)
    training_convolutions(False)
    G, E, xte = G.cpu().eval(), E.cpu(), xte.cpu()
    g = torch.Generator().manual_seed(1234)
    z1, z4 = torch.randn(1, Z, generator=g), torch.randn(4, Z, generator=g)
    num_ws = G.synthesis.num_ws
    ws1 = torch.randn(1, num_ws, W, generator=g)
    sizes = {
        "generator": sg.export(G, (z1,), ["z"], ["x"], os.path.join(d, "generator.onnx"), False),
        "mapping": sg.export(G.mapping, (z1,), ["z"], ["w"], os.path.join(d, "mapping.onnx"), True),
        "synthesis": sg.export(G.synthesis, (ws1,), ["ws"], ["x"], os.path.join(d, "synthesis.onnx"), False),
        "encoder": export_onnx(E.eval(), (xte[:2],), ["x"], ["z"], os.path.join(d, "encoder.onnx")),
    }
    with torch.no_grad():
        w_avg = G.mapping(torch.randn(10000, Z, generator=g)).mean(0)
    write_json(os.path.join(d, "parity.json"), {
        "generator": [parity_case(G, {"z": z1}, ["x"])],
        "mapping": [parity_case(G.mapping, {"z": z1}, ["w"]), parity_case(G.mapping, {"z": z4}, ["w"])],
        "synthesis": [parity_case(G.synthesis, {"ws": ws1}, ["x"])],
        "encoder": [parity_case(E, {"x": xte[:1]}, ["z"]), parity_case(E, {"x": xte[1:5]}, ["z"])],
    }, indent=None)
    image = [1, 3, 64, 64]
    params = count_params(G)
    write_manifest(MID, {
        "name": "Emoji GAN",
        "kind": "gan",
        "description": "A StyleGAN2-style generator for 64x64 emoji in four design systems: a mapping network to W (w_avg for truncation), modulated convolutions and toRGB skips; edit in z, W or W+, invert your own drawing (an encoder gives the warm start).",
        "image": {"channels": 3, "height": 64, "width": 64, "range": [-1, 1]},
        "latent": {"shape": [Z], "prior": "standard-normal"},
        "graphs": {
            "generator": {"file": "generator.onnx", "inputs": io_spec([("z", [1, Z])]), "outputs": io_spec([("x", image)])},
            "mapping": {"file": "mapping.onnx", "inputs": io_spec([("z", ["batch", Z])]), "outputs": io_spec([("w", ["batch", W])])},
            "synthesis": {"file": "synthesis.onnx", "inputs": io_spec([("ws", [1, num_ws, W])]), "outputs": io_spec([("x", image)])},
            "encoder": {"file": "encoder.onnx", "inputs": io_spec([("x", ["batch", 3, 64, 64])]), "outputs": io_spec([("z", ["batch", Z])])},
        },
        "style": {"numWs": num_ws, "wDim": W, "wAvg": [round(float(v), 6) for v in w_avg]},
        "training": {"data": "emoji-64 train split (scripts/emoji-dataset.mjs)", "script": "models/train/train_emoji_gan.py", "seed": SEED,
                     "kimg": kimg, "seconds": int(round(seconds)), "torch": torch.__version__.split("a")[0].split("+")[0], "device": device,
                     "params": params, "loss": "non-saturating logistic, lazy R1 gamma 0.5; encoder |E(G(z)) - z|^2 + 0.05 |G(E(x)) - x|^2",
                     "optimizer": f"Adam {LR} (0, 0.99; the style affines {AFFINE_LR}), batch {batch}, EMA over 10k images"},
        "metrics": {"params": params, "onnxBytes": sum(sizes.values())},
        # The classifier that reads its pictures in Edit and Invert (the app refuses a named classifier it lacks).
        **({"classifier": "emoji-classifier"} if os.path.exists(os.path.join(ROOT, "models", "emoji-classifier", "manifest.json")) else {}),
    })
    log(f"exported {MID}: {params} generator parameters, {sum(sizes.values())} bytes")


def train_encoder(G, xtr, gen, steps):
    E = Encoder().to(DEVICE)
    opt = torch.optim.Adam(E.parameters(), lr=1e-3)
    for p in G.parameters():
        p.requires_grad_(False)
    for step in range(1, steps + 1):
        z = torch.randn(32, Z, generator=gen).to(DEVICE)
        with torch.no_grad():
            fake = G.synthesis(G.mapping(z)[:, None].repeat(1, G.synthesis.num_ws, 1))
        real = xtr[torch.randint(0, len(xtr), (32,), generator=gen).to(xtr.device)]
        # Image loss through the frozen generator, one sample at a time is too slow: the batched synthesis is used.
        zr = E(real)
        rec = G.synthesis(G.mapping(zr)[:, None].repeat(1, G.synthesis.num_ws, 1))
        loss = (E(fake) - z).square().mean() + 0.05 * (rec - real).square().mean()
        opt.zero_grad(); loss.backward(); opt.step()
        if step % 200 == 0:
            log(f"encoder step {step} loss {loss.item():.4f}")
    return E.eval()


def save_resume():
    """The committed copy a fresh clone goes on from: the generator, its EMA and the discriminator in float16, the
    sampler's state, images shown and time."""
    ck = common_save_resume("emoji_gan.pt", ("G", "D", "G_ema"), ("gen", "shown", "seconds", "device", "bs"))
    log(f"at {ck['shown'] / 1000:.1f} kimg")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--kimg", type=int, default=2000, help="thousands of real images shown to the discriminator")
    ap.add_argument("--minutes", type=float, default=30)
    ap.add_argument("--bs", type=int, default=32)
    ap.add_argument("--enc-steps", type=int, default=3000)
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--no-export", action="store_true", help="train (GAN, then encoder) and checkpoint, export later (a GPU machine's torch)")
    ap.add_argument("--save-resume", action="store_true", help="write the latest checkpoint's weights to models/train/resume/ (float16, no Adam state) and stop")
    args = ap.parse_args()
    setup(SEED)
    if args.save_resume:
        return save_resume()
    xtr, _, _ = load_split("train")
    xte, _, _ = load_split("test")
    xtr = xtr.to(DEVICE)
    G, D = make_generator().to(DEVICE), Discriminator().to(DEVICE)
    ema = EMA(G, 0.5 ** (args.bs / 10_000))          # half-life of 10k images, as StyleGAN2's
    optG = generator_optimizer(G)
    optD = torch.optim.Adam(D.parameters(), lr=LR, betas=(0.0, 0.99))
    gen = torch.Generator().manual_seed(SEED)
    ck = load_ckpt("emoji_gan.pt")
    shown, timer, E = 0, Timer(), None
    devices = device_name(DEVICE)
    if ck:
        G.load_state_dict(ck["G"]); D.load_state_dict(ck["D"]); ema.model.load_state_dict(ck["G_ema"])
        if "optG" in ck:                    # a compact checkpoint (weights only) warms Adam's moments up again
            optG.load_state_dict(ck["optG"]); optD.load_state_dict(ck["optD"])
        gen.set_state(ck["gen"])
        shown, timer = ck["shown"], Timer(ck["seconds"])
        devices = ck.get("device", "cpu (2 cores)") if args.export_only else device_history(ck.get("device"), DEVICE)
        if "E" in ck and args.export_only:  # the encoder trained after the GAN, with it (on the GPU machine)
            E = Encoder(); E.load_state_dict(ck["E"])
        log(f"resumed at {shown / 1000:.1f} kimg, {timer.total():.0f}s trained")

    def checkpoint(encoder=None):
        sample_grid(ema.model, os.path.join(ROOT, "models", "train", "checkpoints", "emoji_gan-samples.png"))
        save_ckpt("emoji_gan.pt", {"G": G.state_dict(), "D": D.state_dict(), "G_ema": ema.model.state_dict(), "optG": optG.state_dict(),
                                   "optD": optD.state_dict(), "gen": gen.get_state(), "shown": shown, "seconds": timer.total(),
                                   "device": devices, "bs": args.bs, **({"E": encoder.state_dict()} if encoder is not None else {})})

    clock, step = WallClock(args.minutes, checkpoint), 0
    training_convolutions()                 # for the GAN and the encoder alike; export() puts the fused one back
    while not args.export_only and shown < args.kimg * 1000:
        real = xtr[torch.randint(0, len(xtr), (args.bs,), generator=gen).to(DEVICE)]
        real = torch.where((torch.rand(args.bs, generator=gen) < 0.5).to(DEVICE)[:, None, None, None], real.flip(3), real)
        # discriminator
        fake = G(torch.randn(args.bs, Z, generator=gen).to(DEVICE)).detach()
        lossD = F.softplus(D(fake)).mean() + F.softplus(-D(real)).mean()
        if step % 16 == 0:
            real.requires_grad_(True)
            (grad,) = torch.autograd.grad(D(real).sum(), real, create_graph=True)
            lossD = lossD + 0.5 * 0.5 * grad.square().sum(dim=[1, 2, 3]).mean() * 16
        optD.zero_grad(); lossD.backward(); optD.step()
        # generator
        lossG = F.softplus(-D(G(torch.randn(args.bs, Z, generator=gen).to(DEVICE)))).mean()
        optG.zero_grad(); lossG.backward(); optG.step()
        ema.update(G)
        shown += args.bs
        step += 1
        if step % 100 == 0:
            log(f"{shown / 1000:.1f} kimg lossD {lossD.item():.3f} lossG {lossG.item():.3f} t {timer.total():.0f}s")
        if clock.tick(f"{shown / 1000:.1f} kimg"):
            if not args.no_export:
                return
            break                           # the encoder is trained here too, while the GPU is at hand
    if not args.export_only:
        checkpoint()
    if E is None:
        E = train_encoder(ema.model, xtr, gen, args.enc_steps)
        checkpoint(E)
    if args.no_export:
        return
    export(ema.model, E, xte, timer.total(), shown // 1000, devices, ck.get("bs", args.bs) if ck and args.export_only else args.bs)


if __name__ == "__main__":
    main()
