"""Class-conditional pixel DDPM: fmnist-ddpm-pixel's UNet with a class embedding added to its time embedding, trained
with 10% null labels so the app samples with classifier-free guidance ("Sandal", guidance 3) or without a class.

Fine-tuned from the unconditional model rather than trained afresh (a pixel UNet takes days of this CPU from scratch):
the class embedding starts at zero, so step 0 is exactly the unconditional model for every label, and the classes are
learned on top of a denoiser that already works. The embedding learns at 1e-3, the UNet at 2e-4 (AdamW, grad clip 1).

Run: OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 models/train/train_ddpm_pixel_cond.py --minutes 60
     (again to continue from checkpoints/ddpm_pixel_cond.pt; the first run starts from checkpoints/ddpm_pixel.pt's EMA
      weights, or with --from-onnx from the shipped fmnist-ddpm-pixel graph on a fresh clone; --continue-onnx goes on
      from the shipped fmnist-ddpm-pixel-cond graph itself where its checkpoint is gone; --export-only re-exports)
Checkpoints every --ckpt-every steps; exports models/fmnist-ddpm-pixel-cond when the time is spent (or on SIGTERM).
"""
import argparse, json, os, re, time
import torch, torch.nn as nn, torch.nn.functional as F
from common import *
from train_ddpm_pixel import T, UNet, load_shipped

SEED = 17
MID = "fmnist-ddpm-pixel-cond"
CKPT_NAME = "ddpm_pixel_cond.pt"
NULL = len(LABELS)  # index 10: no class
P_UNCOND = 0.1
GUIDANCE = 3.0


class ConditionalUNet(UNet):
    """The time embedding plus a learned embedding of the class (or of the null label) conditions every block."""

    def __init__(self, tdim=128, **kw):
        super().__init__(tdim=tdim, **kw)
        self.label = nn.Embedding(NULL + 1, tdim)
        nn.init.zeros_(self.label.weight)

    def forward(self, x_t, t, y):
        return self.denoise(x_t, self.t_mlp(timestep_embedding(t, self.tbase)) + self.label(y.long()))


def load_shipped_cond():
    """The shipped conditional graph's weights (its EMA's) as the ConditionalUNet's state dict, and where its training
    stood: steps, seconds and samples from its manifest, and the unconditional step it was fine-tuned from."""
    d = model_dir(MID)
    training = json.load(open(os.path.join(d, "manifest.json")))["training"]
    from_step = int(re.search(r"training step (\d+)", training["note"]).group(1))
    return load_shipped(os.path.join(d, "denoiser.onnx"), conditional=True), {"step": training["steps"], "seconds": training["seconds"], "samples": round(training["epochs"] * 60000),
                              "fromStep": from_step, "device": training.get("device")}


def load_cond_denoiser():
    ck = load_ckpt(CKPT_NAME)
    if ck is None:
        raise SystemExit(f"no {CKPT_NAME} checkpoint: train first")
    m = ConditionalUNet(); m.load_state_dict(ck["ema"])
    return m.eval(), ck


def export(ck):
    net = ConditionalUNet(); net.load_state_dict(ck["ema"]); net.eval()
    d = model_dir(MID)
    xte, yte = load_tensors("t10k", (-1, 1))
    path = os.path.join(d, "denoiser.onnx")
    export_onnx(net, (torch.randn(2, 1, 28, 28), torch.tensor([10.0, 500.0]), torch.tensor([5, NULL])), ["x_t", "t", "y"], ["eps"], path)
    groupnorm_as_layernorm(path)                        # the unconditional graph's forms, which onnxruntime runs faster
    size = single_output_conv_as_depthwise(path)
    _, abar = linear_schedule(T)
    g = torch.Generator().manual_seed(2468)
    def case(x0, y):
        b = len(x0)
        t = torch.randint(0, T, (b,), generator=g)
        a = abar[t][:, None, None, None]
        xt = a.sqrt() * x0 + (1 - a).sqrt() * torch.randn(x0.shape, generator=g)   # noised real test images
        y = torch.where(torch.rand(b, generator=g) < 0.25, torch.full_like(y, NULL), y)
        return parity_case(net, {"x_t": xt, "t": t.float(), "y": y}, ["eps"])
    write_json(os.path.join(d, "parity.json"), {"denoiser": [case(xte[:1], yte[:1]), case(xte[1:9], yte[1:9])]}, indent=None)
    n = count_params(net)
    write_manifest(MID, {
        "name": "Fashion-MNIST pixel diffusion, class-conditional",
        "kind": "diffusion",
        "description": "Ask for a class (\"Sandal\"): fmnist-ddpm-pixel's UNet with a class embedding added to its time embedding, fine-tuned from it; classifier-free guidance through a null label (index 10), which also samples without a class.",
        "image": {"channels": 1, "height": 28, "width": 28, "range": [-1, 1]},
        "graphs": {"denoiser": {"file": "denoiser.onnx",
                                "inputs": io_spec([("x_t", ["batch", 1, 28, 28]), ("t", ["batch"])]) + [{"name": "y", "shape": ["batch"], "dtype": "int64"}],
                                "outputs": io_spec([("eps", ["batch", 1, 28, 28])])}},
        "labels": LABELS,
        "diffusion": {"space": "pixel", "prediction": "epsilon",
                      "schedule": {"type": "linear", "timesteps": T, "betaStart": 0.0001, "betaEnd": 0.02},
                      "conditioning": {"input": "y", "encoding": "index", "labels": LABELS, "nullLabel": NULL, "guidance": GUIDANCE}},
        "training": training_info("train_ddpm_pixel_cond.py", SEED, round(ck["samples"] / 60000, 2), round(ck["seconds"]), params=n,
                                  steps=ck["step"], batch=ck["bs"], ema=0.999, device=ck.get("device", "cpu (2 cores)"),
                                  data="Fashion-MNIST train (60,000) with their classes, mirrored at random",
                                  loss=f"epsilon MSE, {int(P_UNCOND * 100)}% null label",
                                  optimizer="AdamW: class embedding 1e-3, UNet 2e-4, grad clip 1.0",
                                  note=f"fine-tuned from fmnist-ddpm-pixel at its training step {ck['fromStep']}; continue with the same command"),
        "metrics": {"params": n, "onnxBytes": size},
    })
    log(f"exported {MID} at step {ck['step']}: params {n} onnx {size} bytes")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=60)
    ap.add_argument("--from-onnx", action="store_true", help="start from the shipped fmnist-ddpm-pixel graph (a fresh clone)")
    ap.add_argument("--continue-onnx", action="store_true", help="go on from the shipped fmnist-ddpm-pixel-cond graph (its checkpoint gone)")
    ap.add_argument("--export-only", action="store_true")
    ap.add_argument("--bs", type=int, default=128)
    ap.add_argument("--ckpt-every", type=int, default=100)
    args = ap.parse_args()
    setup(SEED)
    if args.export_only:
        return export(load_ckpt(CKPT_NAME))
    dev = train_device()
    xtr, ytr = load_tensors("train", (-1, 1))
    xtr, ytr = xtr.to(dev), ytr.to(dev)
    _, abar = linear_schedule(T)
    abar = abar.to(dev)
    m = ConditionalUNet().to(dev)
    gen = torch.Generator().manual_seed(SEED)
    ck = load_ckpt(CKPT_NAME)
    step, prev, samples = 0, 0.0, 0
    shipped = None
    if ck:
        m.load_state_dict(ck["model"])
        from_step, devices = ck["fromStep"], device_history(ck.get("device"), dev)
    elif args.continue_onnx:
        # The shipped weights are the EMA's: they start both the model and its EMA; the optimizer starts afresh.
        sd, shipped = load_shipped_cond()
        m.load_state_dict(sd)
        from_step, devices = shipped["fromStep"], device_history(shipped["device"], dev)
        step, prev, samples = shipped["step"], shipped["seconds"], shipped["samples"]
        gen.manual_seed(SEED + step)                    # batches other than the first run's from step 0
        log(f"going on from the shipped {MID} at its step {step} ({prev}s)")
    else:
        if args.from_onnx:
            d = model_dir("fmnist-ddpm-pixel")
            base, from_step = load_shipped(os.path.join(d, "denoiser.onnx")), json.load(open(os.path.join(d, "manifest.json")))["training"]["steps"]
        else:
            base_ck = load_ckpt("ddpm_pixel.pt")
            assert base_ck is not None, "no checkpoints/ddpm_pixel.pt: train the pixel DDPM first, or pass --from-onnx"
            base, from_step = base_ck["ema"], base_ck["step"]
        missing, unexpected = m.load_state_dict(base, strict=False)
        assert missing == ["label.weight"] and not unexpected, (missing, unexpected)
        devices = device_name(dev)
        log(f"starting from the unconditional model at its step {from_step}")
    ema = EMA(m, 0.999)
    label_params = [m.label.weight]
    opt = torch.optim.AdamW([{"params": [p for n, p in m.named_parameters() if n != "label.weight"], "lr": 2e-4},
                             {"params": label_params, "lr": 1e-3}], weight_decay=0.0)
    if ck:
        ema.model.load_state_dict(ck["ema"]); opt.load_state_dict(ck["opt"]); gen.set_state(ck["gen"])
        step, prev, samples = ck["step"], ck["seconds"], ck["samples"]
        log(f"resumed at step {step} ({prev:.0f}s)")
    timer = Timer(prev)
    budget_end = time.time() + args.minutes * 60
    stop = stop_on_signal()

    def state():
        return {"model": m.state_dict(), "ema": ema.model.state_dict(), "opt": opt.state_dict(), "gen": gen.get_state(), "step": step,
                "seconds": timer.total(), "bs": args.bs, "samples": samples, "fromStep": from_step, "device": devices}

    run = None
    while time.time() < budget_end and not stop["flag"]:
        idx = torch.randint(0, len(xtr), (args.bs,), generator=gen).to(dev)
        x0, y = xtr[idx], ytr[idx].clone()
        x0 = torch.where(torch.rand(args.bs, generator=gen).to(dev)[:, None, None, None] < 0.5, x0.flip(3), x0)
        y[(torch.rand(args.bs, generator=gen) < P_UNCOND).to(dev)] = NULL
        t = torch.randint(0, T, (args.bs,), generator=gen).to(dev)
        eps = torch.randn(x0.shape, generator=gen).to(dev)
        a = abar[t][:, None, None, None]
        loss = F.mse_loss(m(a.sqrt() * x0 + (1 - a).sqrt() * eps, t.float(), y), eps)
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(m.parameters(), 1.0)
        opt.step()
        step += 1
        samples += args.bs
        ema.update(m)
        run = loss.item() if run is None else 0.98 * run + 0.02 * loss.item()
        if step % args.ckpt_every == 0:
            save_ckpt(CKPT_NAME, state())
            log(f"step {step} loss {run:.4f} epochs {samples / len(xtr):.2f} t {timer.total():.0f}s")
    save_ckpt(CKPT_NAME, state())
    log(f"stopping at step {step}")
    export(state())


if __name__ == "__main__":
    main()
