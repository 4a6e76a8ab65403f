"""Yousefzadeh & Sifalakis (2021): events and operations of a delta network against a
spiking network doing the same task.

Amirreza Yousefzadeh and Manolis Sifalakis, "Training for temporal sparsity in deep
neural networks, application in video processing" (arXiv 2107.07305, 2021). The paper's
premise: temporal sparsity is what makes spiking networks efficient on neuromorphic
hardware, and the Delta Activation Layer brings it to a conventional network, whose
delta inference then sends only the changes of its activations. The paper does not
compare with a spiking network; this study does, on our task.

Here: the delta network of ``yousefzadeh2021/density`` (same data and training, module
``_common``) is run by delta inference
(:func:`neurosparse.temporal.models.delta_inference`, which counts what it does), and
the same trained ReLU network (its delta layers left out) is converted to a rate-coded
spiking network of LIF neurons in brian2
(:class:`neurosparse.temporal.spiking.SpikingNetwork`: data-based weight normalisation,
reset by subtraction), fed by Poisson spikes (pixel value x ``max_rate``) or by
send-on-delta events (ON/OFF channels, step ``delta``, into a sigma-delta first layer).
Each frame is shown for ``frame_duration``; a sequence's class is the output unit with
most spikes over the sequence (the network's own readout averages the frames' scores).

On the same ``n_spiking`` test sequences we count, per sequence, the **events** each
layer sends (delta network: nonzero changes of the input and of each hidden layer's
quantised activations; spiking network: spikes of the input channels and of each hidden
layer) and the **operations** they cost downstream (delta: multiply-accumulates, one per
event and synapse; spiking: synaptic operations, one addition per spike and synapse),
beside the dense network's multiply-accumulates and each one's accuracy.

Claims: delta inference gives the dense network's predictions (its construction), and
the delta network sends fewer events and does fewer operations than either spiking
network at no lower accuracy (our measurement of the paper's premise; no published
number).

Determinism: ``seed`` draws the sequences, the initial weights, the batch order and the
Poisson spikes; ``threads`` torch threads.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
import xarray as xr

from neurosparse.results import claim_check
from neurosparse.studies import load_helper, params_of, study_main, study_result

PAPER = "Yousefzadeh & Sifalakis 2021, arXiv 2107.07305"
FIGURE = "events and operations: delta network vs spiking networks (not in the paper)"
TITLE = "Delta inference against rate-coded spiking networks on the same task"
STUDY_ID = "yousefzadeh2021/delta_vs_spiking"

_common = load_helper(__file__, "_common")

ENGINES = ("delta", "spiking_poisson", "spiking_send_on_delta")
LABELS = {
    "delta": "delta network (delta inference)",
    "spiking_poisson": "spiking, Poisson input",
    "spiking_send_on_delta": "spiking, send-on-delta input",
}


@dataclass(frozen=True, kw_only=True)
class Params(_common.SequenceSettings):
    """Settings (module docstring); the shared ones in ``_common.SequenceSettings``."""

    n_train: int
    n_test: int
    epochs: int
    n_spiking: int
    sp_rate: float = 0.02
    n_calibration: int = 500
    frame_duration: float = 0.05
    dt: float = 2e-4
    max_rate: float = 1000.0
    tau: float = 0.02
    delta: float = 0.05
    percentile: float = 99.9
    target: str = "cpp_standalone"


FULL = Params(n_train=4000, n_test=1000, epochs=20, n_spiking=200)
QUICK = Params(n_train=200, n_test=40, epochs=2, n_spiking=4, hidden_sizes=(32, 16),
               canvas=24, digit_size=12, n_frames=4, n_calibration=50, frame_duration=0.01,
               dt=5e-4, target="numpy")  # fmt: skip


def run(params: Params, seed: int = 0) -> xr.DataTree:
    """Train the delta network, run it by delta inference and as two spiking networks."""
    import torch

    from neurosparse.temporal.models import delta_inference
    from neurosparse.temporal.spiking import SpikingNetwork

    data_ss, model_ss, spike_ss = np.random.SeedSequence(seed).spawn(3)
    with _common.torch_threads(params.threads):
        data = _common.load_sequences(params, data_ss)
        net, curves = _common.train_network(params, data, delta=True, penalty="temporal",
                                           sp_rate=params.sp_rate, seed=model_ss)  # fmt: skip
        (Xtr, _), (Xte, yte) = data[0], data[1]
        X, y = Xte[: params.n_spiking], yte[: params.n_spiking]
        run_delta = delta_inference(net, X)
        with torch.no_grad():
            dense_pred = net(torch.from_numpy(X)).argmax(1).numpy()
    n, layers = len(X), run_delta.layers
    events = {"delta": run_delta.events / n}
    ops = {"delta": run_delta.macs / n}
    acc = {"delta": float(np.mean(run_delta.predictions == y))}
    ann = net.to_result()
    for encoder, ss in zip(("poisson", "send_on_delta"), spike_ss.spawn(2)):
        snn = SpikingNetwork(
            ann, encoder=encoder, frame_duration=params.frame_duration, max_rate=params.max_rate,
            delta=params.delta, percentile=params.percentile, readout="all",
            target=params.target, dt=params.dt, tau=params.tau, seed=ss,
        ).fit(Xtr[: params.n_calibration])  # fmt: skip
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*never included in a network.*")
            out = snn.run(X)
        m = out["metrics"].to_dataset()
        key = f"spiking_{encoder}"
        # the events each layer sends downstream: input channels and hidden layers
        events[key] = m["total_spikes"].values[: len(layers)] / n
        ops[key] = m["synaptic_operations"].values[: len(layers)] / n
        acc[key] = float(np.mean(out["activity"]["prediction"].values == y))
    metrics = _metrics(params, layers, events, ops, acc, run_delta, curves,
                       float(np.mean(run_delta.predictions == dense_pred)))  # fmt: skip
    metrics.attrs["data"] = data[3]
    return study_result(params, seed, kind="temporal.delta_vs_spiking",
                        groups={"metrics": metrics}, claims=claims_of(params, metrics))  # fmt: skip


def _metrics(params, layers, events, ops, acc, run_delta, curves, agreement) -> xr.Dataset:
    n = params.n_spiking
    coords = {
        "engine": ("engine", list(ENGINES), {"long_name": "how the network is run"}),
        "layer": ("layer", list(layers), {"long_name": "layer sending the events"}),
    }
    ev = np.stack([events[e] for e in ENGINES])
    op = np.stack([ops[e] for e in ENGINES])
    return xr.Dataset(
        {
            "events": (("engine", "layer"), ev,
                       {"long_name": "events sent per sequence (nonzero changes or spikes)"}),
            "operations": (("engine", "layer"), op,
                           {"long_name": "downstream operations per sequence (MACs for "
                            "the delta network, synaptic additions for spiking)"}),
            "events_per_sequence": ("engine", ev.sum(1),
                                    {"long_name": "events per sequence, all layers"}),
            "operations_per_sequence": ("engine", op.sum(1),
                                        {"long_name": "operations per sequence, all layers"}),
            "accuracy": ("engine", [acc[e] for e in ENGINES],
                         {"long_name": f"accuracy on the first {n} test sequences",
                          "units": "1"}),
            "dense_operations": ("layer", run_delta.dense_macs / n,
                                 {"long_name": "multiply-accumulates of a dense engine per "
                                  "sequence"}),
            "delta_agrees_with_dense": ((), agreement,
                                        {"long_name": "fraction of sequences where delta "
                                         "inference predicts what dense inference does",
                                         "units": "1"}),
            "test_accuracy": ((), curves.final_accuracy,
                              {"long_name": "delta network: accuracy on the whole test set",
                               "units": "1"}),
        },
        coords=coords,
    )  # fmt: skip


def claims_of(params: Params, metrics: xr.Dataset) -> list:
    agree = float(metrics["delta_agrees_with_dense"])
    ev = metrics["events_per_sequence"]
    op = metrics["operations_per_sequence"]
    acc = metrics["accuracy"]
    spk = [e for e in ENGINES if e != "delta"]
    ev_ratio = min(float(ev.sel(engine=e) / ev.sel(engine="delta")) for e in spk)
    op_ratio = min(float(op.sel(engine=e) / op.sel(engine="delta")) for e in spk)
    acc_gap = min(float(acc.sel(engine="delta") - acc.sel(engine=e)) for e in spk)
    return [
        claim_check(
            "delta inference predicts what dense inference of the same network predicts",
            "exact up to the quantisation (by construction)", f"{100 * agree:.1f} % of sequences",
            bool(agree == 1.0), tolerance="every sequence", source=_common.SOURCE,
        ),
        claim_check(
            "the delta network sends fewer events and does fewer operations per sequence "
            "than either spiking network, at no lower accuracy",
            "the paper's premise (no published number)",
            f"events {ev_ratio:.1f}x fewer, operations {op_ratio:.1f}x fewer, accuracy "
            f"{100 * acc_gap:+.1f} points (worst case over the two spiking networks)",
            bool(ev_ratio > 1 and op_ratio > 1 and acc_gap >= 0),
            tolerance=f"on the first {params.n_spiking} test sequences",
            source=_common.SOURCE,
        ),
    ]  # fmt: skip


def plot(result: xr.DataTree):
    """Events and operations per sequence and layer for each engine, and accuracies."""
    import matplotlib.pyplot as plt

    params = params_of(result)
    m = result["metrics"].to_dataset()
    layers = list(m["layer"].values)
    x = np.arange(len(layers))
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    width = 0.8 / len(ENGINES)
    for k, e in enumerate(ENGINES):
        off = (k - (len(ENGINES) - 1) / 2) * width
        axes[0].bar(x + off, m["events"].sel(engine=e), width, label=LABELS[e])
        axes[1].bar(x + off, m["operations"].sel(engine=e), width, label=LABELS[e])
    axes[1].plot(x, m["dense_operations"], "r_", ms=16, mew=2, label="dense network (MACs)")
    for ax, what in zip(axes[:2], ("events sent", "downstream operations")):
        ax.set(xticks=x, xticklabels=layers, yscale="log", ylabel=f"{what} per sequence")
        ax.legend(fontsize=7)
    acc = 100 * m["accuracy"]
    axes[2].bar(np.arange(len(ENGINES)), acc, color=["tab:blue", "tab:orange", "tab:green"])
    axes[2].set(xticks=np.arange(len(ENGINES)),
                xticklabels=["delta", "Poisson", "send-on-delta"], ylabel="accuracy (%)",
                title=f"first {params.n_spiking} test sequences")  # fmt: skip
    fig.suptitle(TITLE + (" (quick settings)" if result.attrs.get("mode") == "quick" else ""),
                 fontsize=9)  # fmt: skip
    fig.tight_layout()
    return fig


def main(out, *, quick: bool = False, seed: int = 0) -> xr.DataTree:
    """Run the comparison, write .nc/.png/.svg, return the result."""
    return study_main(__name__, out, quick=quick, seed=seed)
