"""Exports a tiny, untrained model of each family with the kit, into one folder Latent Studio can open.

    /usr/bin/python3 models/export/demo.py OUT [vae stylegan gan unet dit]

OUT/demo-vae        an AutoencoderKL-style VAE at 3x32x32: one "moments" tensor from its encoder, spatial latent [4, 8, 8]
OUT/demo-stylegan   a StyleGAN2-style generator at 3x32x32 (mapping, fused modulated convolutions: batch 1), w+ [8, 32]
OUT/demo-gan        a small MLP generator at 1x16x16 with a hand-written inversion graph and an encoder
OUT/demo-unet       a pixel-space UNet at 3x16x16 predicting v, with a diffusers scheduler config (cosine, trailing)
OUT/demo-dit        a class-conditional latent DiT over demo-vae (3 classes and a null class, learned variance,
                    Stable Diffusion 1.x's schedule and latent scale)

Add OUT in Models > Model folders. The weights are random: the images are noise, but every view works.
"""
import math
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from latent_studio_export import export_denoiser, export_gan, export_stylegan, export_vae  # noqa: E402


# ---------------------------------------------------------------- an AutoencoderKL-style VAE

class Encoder(nn.Module):
    """Down to 8x8, then quant_conv to the 2 x 4 channels of mean and log-variance ("moments")."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(3, 16, 3, 2, 1), nn.GroupNorm(4, 16), nn.SiLU(),
                                 nn.Conv2d(16, 32, 3, 2, 1), nn.GroupNorm(8, 32), nn.SiLU())
        self.quant_conv = nn.Conv2d(32, 8, 1)

    def forward(self, x):
        return self.quant_conv(self.net(x))


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Conv2d(4, 32, 3, 1, 1), nn.SiLU(), nn.Upsample(scale_factor=2.0), nn.Conv2d(32, 16, 3, 1, 1),
                                 nn.GroupNorm(4, 16), nn.SiLU(), nn.Upsample(scale_factor=2.0), nn.Conv2d(16, 3, 3, 1, 1), nn.Tanh())

    def forward(self, z):
        return self.net(z)


def vae(out):
    torch.manual_seed(1)
    return export_vae(Encoder(), Decoder(), os.path.join(out, "demo-vae"), id="demo-vae", name="Demo VAE (untrained)",
                      image=(3, 32, 32), latent_shape=(4, 8, 8), encoder_outputs="moments", scale=0.18215,
                      description="The export kit's demo: an AutoencoderKL-style VAE with random weights.")


# ---------------------------------------------------------------- a StyleGAN2-style generator

def lrelu(x):
    return F.leaky_relu(x, 0.2) * math.sqrt(2)


class Mapping(nn.Module):
    """z -> w, returned NVlabs-style broadcast to every layer: [B, num_ws, w_dim]."""

    def __init__(self, z_dim=32, w_dim=32, num_ws=8):
        super().__init__()
        self.fc0, self.fc1, self.num_ws = nn.Linear(z_dim, w_dim), nn.Linear(w_dim, w_dim), num_ws

    def forward(self, z):
        z = z * (z.square().mean(dim=1, keepdim=True) + 1e-8).rsqrt()
        w = lrelu(self.fc1(lrelu(self.fc0(z))))
        return w[:, None].repeat(1, self.num_ws, 1)


class ModConv(nn.Module):
    """StyleGAN2's fused modulated convolution: per-sample weights folded into one grouped Conv over the batch."""

    def __init__(self, cin, cout, kernel, w_dim=32, demodulate=True):
        super().__init__()
        self.affine = nn.Linear(w_dim, cin)
        nn.init.ones_(self.affine.bias)
        self.weight = nn.Parameter(torch.randn(cout, cin, kernel, kernel) / math.sqrt(cin * kernel * kernel))
        self.bias = nn.Parameter(torch.zeros(cout))
        self.demodulate, self.kernel = demodulate, kernel

    def forward(self, x, w):
        n, cin, h, wd = x.shape
        wt = self.weight[None] * self.affine(w).reshape(n, 1, -1, 1, 1)
        if self.demodulate:
            wt = wt * (wt.square().sum(dim=[2, 3, 4]) + 1e-8).rsqrt().reshape(n, -1, 1, 1, 1)
        out = F.conv2d(x.reshape(1, -1, h, wd), wt.reshape(-1, cin, self.kernel, self.kernel), padding=self.kernel // 2, groups=n)
        out = out.reshape(n, -1, h, wd) + self.bias.reshape(1, -1, 1, 1)
        return lrelu(out) if self.demodulate else out


class Synthesis(nn.Module):
    def __init__(self, ch=16, resolutions=(8, 16, 32)):
        super().__init__()
        self.const = nn.Parameter(torch.randn(ch, 4, 4))
        self.conv4, self.rgb4 = ModConv(ch, ch, 3), ModConv(ch, 3, 1, demodulate=False)
        self.blocks = nn.ModuleList([nn.ModuleList([ModConv(ch, ch, 3), ModConv(ch, ch, 3), ModConv(ch, 3, 1, demodulate=False)])
                                     for _ in resolutions])
        with torch.no_grad():
            for m in self.modules():
                if isinstance(m, ModConv) and not m.demodulate:
                    m.weight.mul_(0.25)

    def forward(self, ws):
        x = self.const[None].repeat(ws.shape[0], 1, 1, 1)
        x = self.conv4(x, ws[:, 0])
        img = self.rgb4(x, ws[:, 1])
        i = 1
        for conv0, conv1, rgb in self.blocks:
            x = F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
            x = conv1(conv0(x, ws[:, i]), ws[:, i + 1])
            img = F.interpolate(img, scale_factor=2.0, mode="bilinear", align_corners=False) + rgb(x, ws[:, i + 2])
            i += 2
        return img


def stylegan(out):
    torch.manual_seed(2)
    return export_stylegan(Mapping(), Synthesis(), os.path.join(out, "demo-stylegan"), id="demo-stylegan",
                           name="Demo StyleGAN (untrained)", z_dim=32, w_dim=32, num_ws=8, image=(3, 32, 32), fixed_batch=1,
                           description="The export kit's demo: a StyleGAN2-style generator with random weights, exported at batch 1.")


# ---------------------------------------------------------------- a plain GAN with a hand-written inversion graph

class MlpGenerator(nn.Module):
    def __init__(self, z_dim=16):
        super().__init__()
        self.fc = nn.Linear(z_dim, 256)

    def forward(self, z):
        return torch.tanh(self.fc(z)).reshape(-1, 1, 16, 16)


class MlpInversion(nn.Module):
    """(z, x) -> (loss = sum (G(z) - x)^2 per image, d loss / d z), written with forward operations only."""

    def __init__(self, g):
        super().__init__()
        self.g = g

    def forward(self, z, x):
        y = self.g(z)
        r = y - x
        loss = r.square().flatten(1).sum(1)
        grad = (2 * r * (1 - y * y)).flatten(1) @ self.g.fc.weight
        return loss, grad


def gan(out):
    torch.manual_seed(3)
    g = MlpGenerator()
    encoder = nn.Sequential(nn.Flatten(), nn.Linear(256, 16))
    return export_gan(g, os.path.join(out, "demo-gan"), id="demo-gan", name="Demo GAN (untrained)", z_dim=16, image=(1, 16, 16),
                      inversion=MlpInversion(g), encoder=encoder,
                      description="The export kit's demo: an MLP generator with a hand-written inversion graph and an encoder.")


# ---------------------------------------------------------------- a pixel-space UNet

def timestep_embedding(t, dim):
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    return torch.cat([torch.sin(args), torch.cos(args)], dim=1)


class ResBlock(nn.Module):
    def __init__(self, cin, cout, emb):
        super().__init__()
        self.norm1, self.conv1 = nn.GroupNorm(8, cin), nn.Conv2d(cin, cout, 3, padding=1)
        self.emb = nn.Linear(emb, cout)
        self.norm2, self.conv2 = nn.GroupNorm(8, cout), nn.Conv2d(cout, cout, 3, padding=1)
        self.skip = nn.Conv2d(cin, cout, 1) if cin != cout else nn.Identity()

    def forward(self, x, e):
        h = self.conv1(F.silu(self.norm1(x))) + self.emb(F.silu(e))[:, :, None, None]
        return self.skip(x) + self.conv2(F.silu(self.norm2(h)))


class UNet(nn.Module):
    def __init__(self, ch=16):
        super().__init__()
        self.ch = ch
        self.time = nn.Sequential(nn.Linear(ch, 4 * ch), nn.SiLU(), nn.Linear(4 * ch, 4 * ch))
        self.inp, self.down = nn.Conv2d(3, ch, 3, padding=1), ResBlock(ch, ch, 4 * ch)
        self.pool, self.mid = nn.Conv2d(ch, 2 * ch, 3, 2, 1), ResBlock(2 * ch, 2 * ch, 4 * ch)
        self.up, self.out_block = nn.Conv2d(2 * ch, ch, 3, padding=1), ResBlock(2 * ch, ch, 4 * ch)
        self.norm, self.out = nn.GroupNorm(8, ch), nn.Conv2d(ch, 3, 3, padding=1)

    def forward(self, x, t):
        e = self.time(timestep_embedding(t, self.ch))
        h0 = self.down(self.inp(x), e)
        h = self.up(F.interpolate(self.mid(self.pool(h0), e), scale_factor=2.0, mode="nearest"))
        return self.out(F.silu(self.norm(self.out_block(torch.cat([h, h0], dim=1), e))))


def unet(out):
    torch.manual_seed(4)
    scheduler_config = {"_class_name": "DDIMScheduler", "num_train_timesteps": 1000, "beta_schedule": "squaredcos_cap_v2",
                        "prediction_type": "v_prediction", "timestep_spacing": "trailing", "steps_offset": 0, "clip_sample": False}
    return export_denoiser(UNet(), os.path.join(out, "demo-unet"), id="demo-unet", name="Demo pixel UNet (untrained)",
                           image=(3, 16, 16), schedule=scheduler_config, timestep_dtype="int64",
                           description="The export kit's demo: a pixel-space UNet predicting v, with its scheduler_config.json.")


# ---------------------------------------------------------------- a class-conditional latent DiT

class DiTBlock(nn.Module):
    """adaLN-Zero transformer block (Peebles & Xie), attention written with plain ops."""

    def __init__(self, dim, heads=2):
        super().__init__()
        self.heads = heads
        # DiT's LayerNorms have no weights; torch 1.13 exports those at opset 17 without their scale (the kit says so),
        # so these keep the default weights 1 and 0: the same function.
        self.norm1, self.norm2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv, self.proj = nn.Linear(dim, 3 * dim), nn.Linear(dim, dim)
        self.mlp = nn.Sequential(nn.Linear(dim, 2 * dim), nn.GELU(approximate="tanh"), nn.Linear(2 * dim, dim))
        self.ada = nn.Linear(dim, 6 * dim)

    def forward(self, x, c):
        b, n, d = x.shape
        shift1, scale1, gate1, shift2, scale2, gate2 = self.ada(F.silu(c))[:, None].chunk(6, dim=2)
        h = self.norm1(x) * (1 + scale1) + shift1
        q, k, v = self.qkv(h).reshape(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(d // self.heads), dim=-1) @ v
        x = x + gate1 * self.proj(a.transpose(1, 2).reshape(b, n, d))
        return x + gate2 * self.mlp(self.norm2(x) * (1 + scale2) + shift2)


class DiT(nn.Module):
    """Patch 2 over a [4, 8, 8] latent: 16 tokens; outputs 2 x 4 channels (the prediction and a learned variance)."""

    def __init__(self, classes=3, dim=32, depth=2, patch=2, channels=4, size=8):
        super().__init__()
        self.patch, self.channels, self.size, self.dim = patch, channels, size, dim
        self.embed = nn.Conv2d(channels, dim, patch, patch)
        self.pos = nn.Parameter(torch.randn(1, (size // patch) ** 2, dim) * 0.02)
        self.time = nn.Sequential(nn.Linear(dim, dim), nn.SiLU(), nn.Linear(dim, dim))
        self.classes = nn.Embedding(classes + 1, dim)  # the last row is the null class
        self.blocks = nn.ModuleList([DiTBlock(dim) for _ in range(depth)])
        self.norm = nn.LayerNorm(dim)
        self.out = nn.Linear(dim, patch * patch * 2 * channels)

    def forward(self, x, t, y):
        h = self.embed(x).flatten(2).transpose(1, 2) + self.pos
        c = self.time(timestep_embedding(t, self.dim)) + self.classes(y)
        for block in self.blocks:
            h = block(h, c)
        p, g = self.patch, self.size // self.patch
        h = self.out(self.norm(h)).reshape(-1, g, g, p, p, 2 * self.channels)
        return h.permute(0, 5, 1, 3, 2, 4).reshape(-1, 2 * self.channels, self.size, self.size)


def dit(out):
    torch.manual_seed(5)
    return export_denoiser(DiT(), os.path.join(out, "demo-dit"), id="demo-dit", name="Demo latent DiT (untrained)",
                           space="latent", decoder=os.path.join(out, "demo-vae"), prediction="epsilon",
                           schedule={"type": "scaled_linear", "timesteps": 1000, "betaStart": 0.00085, "betaEnd": 0.012},
                           spacing="leading", offset=1, class_labels=["circle", "square", "triangle"], null_label=3, guidance=4,
                           timestep_dtype="float32",
                           description="The export kit's demo: a class-conditional latent DiT over demo-vae (learned variance dropped).")


FAMILIES = {"vae": vae, "stylegan": stylegan, "gan": gan, "unet": unet, "dit": dit}

if __name__ == "__main__":
    if len(sys.argv) < 2:
        sys.exit(__doc__)
    torch.set_num_threads(min(2, torch.get_num_threads()))
    out = sys.argv[1]
    for family in sys.argv[2:] or list(FAMILIES):
        FAMILIES[family](out)
