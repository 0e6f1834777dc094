"""PyTorch peer of bench/referenceVae.ts, run by bench/run.js with Debian's python3-torch.

Reads the data, batch order and initial weights that run.js wrote (so both sides train the
same model from the same start on the same batches), times epochs, optionally trains for
the ELBO comparison, and prints one JSON line. Single BLAS/OpenMP thread, like ELBO Lab.
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

torch.set_num_threads(1)

LAYERS = [("fc1", 784, 400), ("fc21", 400, 20), ("fc22", 400, 20), ("fc3", 20, 400), ("fc4", 400, 784)]


def load(directory):
    meta = json.load(open(os.path.join(directory, "meta.json")))
    def f32(name, shape):
        return torch.from_numpy(np.fromfile(os.path.join(directory, name), dtype=np.float32).reshape(shape))
    def i32(name):
        return torch.from_numpy(np.fromfile(os.path.join(directory, name), dtype=np.int32).astype(np.int64))
    data = {
        "x": f32("x.bin", (meta["count"], 784)),
        "order": i32("order.bin"),
        "train": f32("train.bin", (meta["trainCount"], 784)),
        "trainOrders": i32("trainOrders.bin").reshape(meta["elboEpochs"], meta["trainCount"]) if meta["elboEpochs"] > 0 else None,
        "heldOut": f32("heldOut.bin", (meta["heldOutCount"], 784)),
    }
    weights = np.fromfile(os.path.join(directory, "weights.bin"), dtype=np.float32)
    return meta, data, weights


class Vae(torch.nn.Module):
    def __init__(self, flat):
        super().__init__()
        offset = 0
        for name, fan_in, fan_out in LAYERS:
            layer = torch.nn.Linear(fan_in, fan_out)
            w = flat[offset:offset + fan_in * fan_out].reshape(fan_in, fan_out)
            offset += fan_in * fan_out
            with torch.no_grad():
                layer.weight.copy_(torch.from_numpy(w.T.copy()))  # torch keeps W as [out, in]
                layer.bias.zero_()
            setattr(self, name, layer)

    def negative_elbo_per_example(self, x, noise):
        h = F.relu(self.fc1(x))
        mean, log_variance = self.fc21(h), self.fc22(h)
        z = mean + torch.exp(0.5 * log_variance) * noise
        logits = self.fc4(F.relu(self.fc3(z)))
        reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="none").sum(1)
        kl = 0.5 * (mean.pow(2) + log_variance.exp() - log_variance - 1).sum(1)
        return reconstruction + kl


def epoch(model, optimizer, x, order, batch_size, generator):
    total, batches = 0.0, 0
    losses = []
    for start in range(0, len(order), batch_size):
        xb = x[order[start:start + batch_size]]
        noise = torch.randn(xb.shape[0], 20, generator=generator)
        loss = model.negative_elbo_per_example(xb, noise).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.detach())
        batches += 1
    return float(torch.stack(losses).mean()), batches


def held_out_elbo(model, x, draws, generator):
    with torch.no_grad():
        total = 0.0
        for _ in range(draws):
            noise = torch.randn(x.shape[0], 20, generator=generator)
            total -= float(model.negative_elbo_per_example(x, noise).sum())
    return total / (x.shape[0] * draws)


def main():
    directory = sys.argv[1]
    timed_epochs = int(sys.argv[2]) if len(sys.argv) > 2 else None
    want_elbo = sys.argv[3] == "1" if len(sys.argv) > 3 else True
    meta, data, weights = load(directory)
    if timed_epochs is None:
        timed_epochs = meta["reps"]
    generator = torch.Generator().manual_seed(meta["seed"])
    model = Vae(weights)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    epoch(model, optimizer, data["x"], data["order"][:3 * 128], 128, generator)  # warm-up
    times, cpu_times, batches = [], [], 0
    for _ in range(timed_epochs):
        t0, c0 = time.perf_counter(), time.process_time()
        loss, batches = epoch(model, optimizer, data["x"], data["order"], 128, generator)
        times.append(time.perf_counter() - t0)
        cpu_times.append(time.process_time() - c0)
    result = {"engine": "pytorch", "torch": torch.__version__, "threads": torch.get_num_threads(),
              "epochSeconds": times, "epochCpuSeconds": cpu_times, "batches": batches}
    if meta["elboEpochs"] > 0 and want_elbo:
        # Several noise seeds (same initial weights and batches): one training run's ELBO
        # varies by a few tenths of a nat with the ε draws alone.
        elbos, t0 = [], time.perf_counter()
        for k in range(meta["elboSeeds"]):
            generator = torch.Generator().manual_seed(meta["seed"] + 1000 * (k + 1))
            model = Vae(weights)
            optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
            for e in range(meta["elboEpochs"]):
                epoch(model, optimizer, data["train"], data["trainOrders"][e], 128, generator)
            elbos.append(held_out_elbo(model, data["heldOut"], meta["elboDraws"], generator))
        result["elboTrainSeconds"] = (time.perf_counter() - t0) / meta["elboSeeds"]
        result["heldOutElbos"] = elbos
    print(json.dumps(result))


if __name__ == "__main__":
    main()
