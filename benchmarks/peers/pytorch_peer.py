#!/usr/bin/env python3
"""Peer timings for `certkit bench --compare`, measured with PyTorch on the same machine.

Plain PyTorch code for the networks `certkit bench --arch` builds (cnn7, cnn3-bn, each starting
with MNIST's normalisation inside the network, as certkit's do): the standard
forward pass, the interval (IBP) forward pass in centre/radius form, and a standard and an IBP
training step with Adam, as certkit's bench times them (batch 128, MNIST shape, eps 0.1, median
of 7 runs after 2 warm-ups). Prints a JSON object in the format of the files next to this one.

    python3 benchmarks/peers/pytorch_peer.py --arch cnn7 --threads 2 > peers-now.json
    ./certkit bench --arch cnn7 --compare peers-now.json

`--arch fc` times CROWN instead: the margin lower bounds of the reference network `fc.onnx`
(784-256-256-256-10, rebuilt here from PyTorch's seed-0 initialisation, which is how it was made)
on a batch of 8, with every intermediate bound from CROWN, as `bench --crown-model` times them.
With `--reference reference_bounds.json` it first checks its bounds against auto_LiRPA's.

    python3 benchmarks/peers/pytorch_peer.py --arch fc --reference REF.json > peers-fc.json
    ./certkit bench --crown-model fc.onnx --crown-modes nearest --crown-repeats 30 \
        --compare peers-fc.json

Debian's `python3-torch` package provides PyTorch (`apt-get install python3-torch`).
"""
import argparse
import json
import statistics
import time

import torch
import torch.nn as nn
import torch.nn.functional as F


class Normalize(nn.Module):
    """(x - mean) / std, MNIST's statistics: the first layer of certkit's MNIST networks."""

    def __init__(self, mean=0.1307, std=0.3081):
        super().__init__()
        self.mean, self.std = mean, std

    def forward(self, x):
        return (x - self.mean) / self.std


def build(arch):
    """The layers of certkit's architecture `arch` (Architectures.java) on 1x28x28 inputs, or
    the reference network `fc.onnx` for `fc` (built first after seeding, as it was exported)."""
    if arch == "fc":
        return nn.Sequential(
            nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(),
            nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if arch == "cnn3-bn":
        return nn.Sequential(
            Normalize(), nn.Conv2d(1, 16, 5, 2, 2), nn.BatchNorm2d(16), nn.ReLU(),
            nn.Conv2d(16, 32, 4, 2, 1), nn.BatchNorm2d(32), nn.ReLU(),
            nn.Flatten(), nn.Linear(32 * 7 * 7, 10))
    if arch == "cnn7":
        w = 64
        layers = [Normalize()]
        channels = 1
        for out, stride in [(w, 1), (w, 1), (2 * w, 2), (2 * w, 1), (2 * w, 1)]:
            layers += [nn.Conv2d(channels, out, 3, stride, 1), nn.BatchNorm2d(out), nn.ReLU()]
            channels = out
        layers += [nn.Flatten(), nn.Linear(2 * w * 14 * 14, 512), nn.BatchNorm1d(512), nn.ReLU(),
                   nn.Linear(512, 10)]
        return nn.Sequential(*layers)
    raise SystemExit("unknown architecture " + arch + " (cnn7, cnn3-bn, fc)")


def interval(model, centre, radius, statistics_of=None):
    """Centre and radius through `model`: affine layers on the centre and |W| on the radius,
    BatchNorm as the affine map of the batch statistics recorded in `statistics_of` (training)
    or of its running statistics, ReLU through the ends."""
    for i, layer in enumerate(model):
        if isinstance(layer, Normalize):
            centre = (centre - layer.mean) / layer.std
            radius = radius / layer.std
        elif isinstance(layer, nn.Conv2d):
            centre = F.conv2d(centre, layer.weight, layer.bias, layer.stride, layer.padding)
            radius = F.conv2d(radius, layer.weight.abs(), None, layer.stride, layer.padding)
        elif isinstance(layer, nn.Linear):
            centre = F.linear(centre, layer.weight, layer.bias)
            radius = F.linear(radius, layer.weight.abs())
        elif isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
            mean, var = statistics_of[i] if statistics_of else (layer.running_mean,
                                                                 layer.running_var)
            scale = layer.weight / torch.sqrt(var + layer.eps)
            shift = layer.bias - mean * scale
            shape = (1, -1, 1, 1) if centre.dim() == 4 else (1, -1)
            centre = centre * scale.view(shape) + shift.view(shape)
            radius = radius * scale.abs().view(shape)
        elif isinstance(layer, nn.ReLU):
            lower = F.relu(centre - radius)
            upper = F.relu(centre + radius)
            centre = (upper + lower) / 2
            radius = (upper - lower) / 2
        elif isinstance(layer, nn.Flatten):
            centre = centre.flatten(1)
            radius = radius.flatten(1)
    return centre, radius


def backward_rows(a, bias, linears, relaxations, centre, radius):
    """Lower bounds over the box of `a @ relu(z) + bias`, `a` batch x rows x units and `z` the
    output of `linears[-1]`, back through the ReLU relaxations (`relaxations[i]` of the output of
    `linears[i]`) and the linear layers to the input box (`centre`, `radius`)."""
    for i in range(len(linears) - 1, -1, -1):
        lower_slope, upper_slope, upper_intercept = relaxations[i]
        positive, negative = a.clamp(min=0), a.clamp(max=0)
        bias = bias + negative @ upper_intercept
        a = positive * lower_slope.unsqueeze(1) + negative * upper_slope.unsqueeze(1)
        bias = bias + a @ linears[i].bias.unsqueeze(-1)
        a = a @ linears[i].weight
    return ((a @ centre.unsqueeze(-1)) - (a.abs() @ radius.unsqueeze(-1)) + bias).squeeze(-1)


def relax(lower, upper):
    """CROWN's ReLU relaxation: the upper line through (l, 0) and (u, u), the adaptive lower
    slope (1 if u > -l, else 0) on unstable units; stable units exact."""
    active = (lower >= 0).to(lower.dtype)
    unstable = (lower < 0) & (upper > 0)
    upper_slope = torch.where(unstable, upper / (upper - lower).clamp(min=1e-12), active)
    upper_intercept = torch.where(unstable, -upper_slope * lower, torch.zeros_like(lower))
    lower_slope = torch.where(unstable, (upper > -lower).to(lower.dtype), active)
    return lower_slope, upper_slope, upper_intercept.unsqueeze(-1)


def crown_margins(model, centre, radius, labels):
    """CROWN lower bounds of the margins y[label] - y[k], k != label, with the specification
    merged into the last layer and every intermediate bound from CROWN, for the units that
    interval bounds leave unstable for some example of the batch (the others are exact)."""
    linears = [m for m in model if isinstance(m, nn.Linear)]
    centre, radius = centre.flatten(1), radius.flatten(1)
    n = centre.shape[0]
    relaxations = []
    c, r = centre, radius
    for k, layer in enumerate(linears[:-1]):
        c, r = F.linear(c, layer.weight, layer.bias), F.linear(r, layer.weight.abs())
        lower, upper = c - r, c + r
        if k > 0:
            unstable = ((lower < 0) & (upper > 0)).any(0).nonzero().squeeze(1)
            rows = layer.weight[unstable]
            a = torch.cat([rows, -rows]).expand(n, -1, -1)
            b = torch.cat([layer.bias[unstable], -layer.bias[unstable]]).view(1, -1, 1)
            bounds = backward_rows(a, b, linears[:k], relaxations, centre, radius)
            m = unstable.numel()
            lower[:, unstable] = torch.maximum(lower[:, unstable], bounds[:, :m])
            upper[:, unstable] = torch.minimum(upper[:, unstable], -bounds[:, m:])
        relaxations.append(relax(lower, upper))
        c, r = (F.relu(upper) + F.relu(lower)) / 2, (F.relu(upper) - F.relu(lower)) / 2
    last = linears[-1]
    eye = torch.eye(last.weight.shape[0])
    others = ~eye.bool()[labels]
    spec = (eye[labels].unsqueeze(1) - eye)[others].view(n, -1, eye.shape[0])
    return backward_rows(spec @ last.weight, (spec @ last.bias).unsqueeze(-1), linears[:-1],
                         relaxations, centre, radius)


def forward_recording(model, x):
    """The training forward pass, with each BatchNorm's batch mean and biased variance."""
    recorded = {}
    for i, layer in enumerate(model):
        if isinstance(layer, (nn.BatchNorm2d, nn.BatchNorm1d)):
            dims = [0, 2, 3] if x.dim() == 4 else [0]
            recorded[i] = (x.mean(dims), x.var(dims, unbiased=False))
        x = layer(x)
    return x, recorded


def box(x, eps):
    lower = (x - eps).clamp(0, 1)
    upper = (x + eps).clamp(0, 1)
    return (upper + lower) / 2, (upper - lower) / 2


def median_ms(run, repeats=7, warmups=2):
    times = []
    for i in range(warmups + repeats):
        start = time.perf_counter()
        run()
        if i >= warmups:
            times.append((time.perf_counter() - start) * 1e3)
    return statistics.median(times)


def crown_peer(model, args):
    """Times CROWN margins on fc (after checking them against auto_LiRPA's, if given)."""
    model.eval()
    if args.reference:
        with open(args.reference) as f:
            reference = json.load(f)
        fc = reference["models"]["fc"]
        x = torch.tensor(reference["input"])
        with torch.no_grad():
            ours = crown_margins(model, *box(x, reference["eps"]),
                                 torch.tensor(fc["margin_labels"]))
        theirs = torch.tensor(fc["crown_margin_lower"])
        error = ((ours - theirs).abs() / theirs.abs().clamp(min=1)).max().item()
        if error > 1e-4:
            raise SystemExit("CROWN margins differ from auto_LiRPA's by %.2g relative" % error)
    n = args.batch_size or 8
    x = torch.rand(n, 1, 28, 28)
    with torch.no_grad():
        labels = model(x).argmax(1)
        ms = {"crown_nearest_ms": median_ms(
            lambda: crown_margins(model, *box(x, args.eps), labels).sum().item(),
            repeats=30, warmups=10)}
    name = "PyTorch %s, plain CROWN code, %d threads, batch %d, this sitting%s" % (
        torch.__version__, args.threads, n,
        ", bounds equal to auto_LiRPA's" if args.reference else "")
    print(json.dumps({"peers": [{"name": name, "ms": ms}]}, indent=2))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", default="cnn7")
    parser.add_argument("--batch-size", type=int, help="128 (8 for fc)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--eps", type=float, default=0.1)
    parser.add_argument("--repeats", type=int, default=7,
                        help="timed runs per key, after 2 warm-ups; more on small nets, whose"
                        " single runs vary by a factor of two")
    parser.add_argument("--reference", help="reference_bounds.json, to check fc's CROWN bounds")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    model = build(args.arch)
    if args.arch == "fc":
        crown_peer(model, args)
        return
    args.batch_size = args.batch_size or 128
    x = torch.rand(args.batch_size, 1, 28, 28)
    y = torch.randint(0, 10, (args.batch_size,))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-4)
    ms = {}

    model.eval()
    with torch.no_grad():
        ms["standard_forward_ms"] = median_ms(lambda: model(x).sum().item(), args.repeats)
        ms["ibp_forward_ms"] = median_ms(
            lambda: interval(model, *box(x, args.eps))[1].sum().item(), args.repeats)

    model.train()

    def standard_step():
        optimiser.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        optimiser.step()
        loss.item()

    def ibp_step():
        optimiser.zero_grad()
        logits, recorded = forward_recording(model, x)
        centre, radius = interval(model, *box(x, args.eps), recorded)
        lower, upper = centre - radius, centre + radius
        true = F.one_hot(y, 10).bool()
        worst = torch.where(true, lower, upper)
        loss = F.cross_entropy(logits, y) + F.cross_entropy(worst, y)
        loss.backward()
        optimiser.step()
        loss.item()

    ms["step_ms.standard"] = median_ms(standard_step, args.repeats)
    ms["step_ms.ibp"] = median_ms(ibp_step, args.repeats)
    name = "PyTorch %s, plain two-pass interval code, Adam, %d threads, this sitting" % (
        torch.__version__, args.threads)
    print(json.dumps({"peers": [{"name": name, "ms": ms}]}, indent=2))


if __name__ == "__main__":
    main()
