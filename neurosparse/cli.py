"""The ``neurosparse`` command: list and reproduce studies, inspect result files.

Usage::

    neurosparse list
    neurosparse reproduce ID [ID ...] | --all  [--quick] [--out DIR] [--seed N]
                          [--set name=value ...] [--data PATH]
    neurosparse info FILE
    neurosparse report [DIR ...] [--out DIR]
    neurosparse sweep SPEC [--workers N | --scheduler ADDRESS] [--resume] [--dry-run]
                      [--store PATH] [--timeout SECONDS]

A user error (unknown study, unreadable file, bad option) prints one line on stderr
and exits with status 2, without a traceback. A study that fails while running is
reported and the others still run; the exit status is then 1. Likewise a sweep with
failed points exits with status 1, and an interrupted sweep (Ctrl-C) with 130 once the
points it finished are safe in its store.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from pathlib import Path

from neurosparse._version import __version__

__all__ = ["main"]

EXIT_USAGE = 2
EXIT_FAILED = 1


class UsageError(Exception):
    """A mistake on the command line: reported in one line, exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # one line, no usage dump, exit 2
        raise UsageError(f"{self.prog}: {message}")


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="neurosparse",
        description="Neuroscience-inspired sparsity: reproduce papers' figures, inspect results.",
    )
    parser.add_argument("--version", action="version", version=f"neurosparse {__version__}")
    sub = parser.add_subparsers(
        dest="command", metavar="{list,reproduce,info,sweep,report}", parser_class=_Parser
    )
    sub.required = True

    sub.add_parser("list", help="list the registered studies with their paper and figure")

    rep = sub.add_parser("reproduce", help="run studies and write their results and figures")
    rep.add_argument("ids", nargs="*", metavar="ID", help="study ids (see `neurosparse list`)")
    rep.add_argument("--all", action="store_true", help="run every registered study")
    rep.add_argument("--quick", action="store_true", help="quick mode (seconds per study)")
    rep.add_argument("--out", default="out", metavar="DIR", help="output folder (default: out)")
    rep.add_argument("--seed", default=0, type=_seed, metavar="N", help="seed (default: 0)")
    rep.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="change one of the study's settings (repeatable; one study at a time)",
    )
    rep.add_argument(
        "--data",
        default=None,
        metavar="PATH",
        help="your copy of the full data set the paper used, for the studies that take one "
        "(full MNIST: the folder of its IDX files; natural images: a van Hateren .imc/.iml "
        "file or folder, or Olshausen's IMAGES.mat); default: the shipped subset",
    )

    info = sub.add_parser("info", help="show a result file's kind, provenance, groups, validity")
    info.add_argument("file", metavar="FILE")

    sw = sub.add_parser(
        "sweep", help="run a parameter sweep (a TOML spec) on dask, into a resumable zarr store"
    )
    sw.add_argument("spec", metavar="SPEC", help="the sweep's spec (.toml)")
    sw.add_argument(
        "--workers", type=_positive_int, default=None, metavar="N",
        help="worker processes of the local cluster (default: the CPUs available)",
    )  # fmt: skip
    sw.add_argument(
        "--scheduler", default=None, metavar="ADDRESS",
        help="run on an existing dask scheduler (tcp://host:8786) instead",
    )  # fmt: skip
    sw.add_argument("--resume", action="store_true", help="continue the sweep in the store")
    sw.add_argument(
        "--dry-run", action="store_true", help="print the points and the store's state; run nothing"
    )
    sw.add_argument(
        "--store", default=None, metavar="PATH", help="store (.zarr) instead of the spec's"
    )
    sw.add_argument(
        "--timeout", type=_positive_float, default=10.0, metavar="SECONDS",
        help="how long to wait for --scheduler (default: 10)",
    )  # fmt: skip

    rpt = sub.add_parser(
        "report",
        help="write the reproduction report: one page per paper, published beside reproduced",
    )
    rpt.add_argument(
        "dirs", nargs="*", metavar="DIR",
        help="folders of results (.nc, .zarr); default: the committed full runs (figures/)",
    )  # fmt: skip
    rpt.add_argument(
        "--out", default="report", metavar="DIR",
        help="output folder: index.html, REPORT.md, one page per paper (default: report)",
    )  # fmt: skip
    return parser


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}")
    return value


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}")
    return value


def _seed(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be a non-negative integer, got {text!r}")
    return value


def _cmd_list(args) -> int:
    from neurosparse.studies import find_studies, studies_dir

    studies = find_studies()
    if not studies:
        print(f"no studies found in {studies_dir()}")
        return 0
    width = max(len(i) for i in studies)
    for study in studies.values():
        print(f"{study.id:<{width}}  {study.paper} -- {study.figure}")
        if study.title:
            print(f"{'':<{width}}  {study.title}")
    return 0


def _cmd_reproduce(args) -> int:
    from tqdm import tqdm

    from neurosparse.studies import find_studies, studies_dir

    studies = find_studies()
    if args.all and args.ids:
        raise UsageError("neurosparse reproduce: give study ids or --all, not both")
    if not args.all and not args.ids:
        raise UsageError("neurosparse reproduce: give one or more study ids, or --all")
    if args.all:
        chosen = list(studies)
        if not chosen:
            raise UsageError(f"neurosparse reproduce: no studies found in {studies_dir()}")
    else:
        unknown = [i for i in args.ids if i not in studies]
        if unknown:
            raise UsageError(
                f"neurosparse reproduce: unknown study {unknown[0]!r} "
                f"(known: {', '.join(studies) or 'none'})"
            )
        chosen = list(dict.fromkeys(args.ids))
    overrides = {}
    if args.set:
        from neurosparse.studies import parse_overrides

        if len(chosen) != 1:
            raise UsageError("neurosparse reproduce: --set applies to one study at a time")
        try:
            overrides = parse_overrides(args.set)
            # checked against the study's declared settings before anything runs
            studies[chosen[0]].params(quick=args.quick, overrides=overrides)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"neurosparse reproduce: {exc}") from None
    if args.data is not None:
        overrides = _data_override(args.data, chosen, studies, overrides, args.quick)
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise UsageError(f"neurosparse reproduce: --out {str(out)!r} exists and is not a folder")
    try:  # before any study runs: a full run must not be lost for want of a folder
        out.mkdir(parents=True, exist_ok=True)
        tempfile.TemporaryFile(dir=out).close()
    except OSError as exc:
        raise UsageError(
            f"neurosparse reproduce: cannot write to --out {str(out)!r}: {exc.strerror or exc}"
        ) from None

    failed: list[str] = []
    start = time.perf_counter()
    bar = tqdm(chosen, desc="reproduce", unit="study", file=sys.stderr, dynamic_ncols=True)
    for study_id in bar:
        bar.set_postfix_str(study_id)
        t0 = time.perf_counter()
        try:
            studies[study_id].run(out, quick=args.quick, seed=args.seed, overrides=overrides)
        except Exception as exc:  # one study failing must not lose the others
            failed.append(study_id)
            tqdm.write(f"FAILED {study_id}: {type(exc).__name__}: {exc}", file=sys.stderr)
            if "NEUROSPARSE_DEBUG" in os.environ:
                traceback.print_exc()
            continue
        tqdm.write(
            f"done   {study_id} in {time.perf_counter() - t0:.1f} s -> "
            f"{out / study_id}.{{nc,png,svg}}"
        )
    bar.close()
    ok = len(chosen) - len(failed)
    mode = "quick" if args.quick else "full"
    if overrides:
        mode += ", changed: " + ", ".join(f"{k}={v}" for k, v in overrides.items())
    print(
        f"{ok}/{len(chosen)} studies ({mode}) written under {out.resolve()} "
        f"in {time.perf_counter() - start:.1f} s"
    )
    if failed:
        print(f"failed: {', '.join(failed)}", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _data_override(data: str, chosen: list[str], studies: dict, overrides: dict, quick: bool):
    """``--data PATH``: ``--set data=PATH`` (the path made absolute, for the result's
    provenance) for studies that declare a ``data`` setting; refused for the others."""
    refused = [i for i in chosen if not studies[i].takes_data]
    if refused:
        takers = [i for i, study in studies.items() if study.takes_data]
        raise UsageError(
            f"neurosparse reproduce: --data is for the studies whose paper used a full data "
            f"set ({', '.join(takers) or 'none'}); {refused[0]} takes no --data"
        )
    if "data" in overrides:
        raise UsageError("neurosparse reproduce: give --data PATH or --set data=PATH, not both")
    path = Path(data).expanduser()
    if not data.strip() or not path.exists():
        raise UsageError(f"neurosparse reproduce: --data {data!r}: no such file or folder")
    overrides = {**overrides, "data": str(path.resolve())}
    for study_id in chosen:  # checked before anything runs
        try:
            studies[study_id].params(quick=quick, overrides=overrides)
        except (ValueError, TypeError) as exc:
            raise UsageError(f"neurosparse reproduce: {exc}") from None
    return overrides


def _cmd_info(args) -> int:
    import numpy as np

    from neurosparse.results import ResultFormatError, load, validate

    path = Path(args.file)
    try:
        tree = load(path, check=False)
    except ResultFormatError as exc:
        raise UsageError(f"neurosparse info: {exc}") from None
    attrs = tree.attrs
    print(f"file:      {path}")
    for key in (
        "kind", "study", "mode", "source", "neurosparse_version", "created_at", "seed",
        "run_seconds", "machine", "data",
    ):  # fmt: skip
        if key in attrs:
            print(f"{key + ':':<10} {attrs[key]}")
    if "params" in attrs:
        try:
            params = json.loads(attrs["params"])
            text = json.dumps(params, sort_keys=True)
        except (TypeError, ValueError):
            text = str(attrs["params"])
        print(f"{'params:':<10} {text if len(text) <= 200 else text[:197] + '...'}")
    print("groups:")
    for node in tree.subtree:
        if node.path == "/":
            continue
        ds = node.dataset
        dims = ", ".join(f"{d}={n}" for d, n in ds.sizes.items())
        print(f"  {node.path}  ({dims})" if dims else f"  {node.path}")
        for name, var in ds.data_vars.items():
            value = ""
            if var.size == 1:
                value = f" = {np.asarray(var.values).item()!r}"
            print(f"      {name} {var.dims} {var.dtype}{value}")
    from neurosparse.results import claims_table

    try:
        claims = claims_table(tree)
    except (KeyError, ValueError, TypeError) as exc:
        claims = []
        print(f"claims:    unreadable -- {exc}")
    if claims:
        print(f"claims:    {len(claims)}")
        for claim in claims:
            print(
                f"  [{claim.verdict}] {claim.statement}: published {claim.published}, "
                f"reproduced {claim.reproduced} ({claim.tolerance})"
            )
    try:
        validate(tree)
        print("valid:     yes")
    except ResultFormatError as exc:
        print(f"valid:     NO -- {exc}")
        return EXIT_FAILED
    return 0


def _cmd_report(args) -> int:
    from neurosparse.report import ReportError, prepare_output, read_results, write_report

    try:
        report = read_results(args.dirs or None)
        if report.papers:  # the one-line refusal of an unwritable --out, before the rest
            prepare_output(args.out)
    except ReportError as exc:
        raise UsageError(f"neurosparse report: {exc}") from None
    for skipped in report.skipped:
        print(f"neurosparse report: skipped {skipped.path}: {skipped.reason}", file=sys.stderr)
    try:
        written = write_report(report, args.out)
    except ReportError as exc:
        raise UsageError(f"neurosparse report: {exc}") from None
    counts = report.counts
    skipped = f"; {len(report.skipped)} files skipped" if report.skipped else ""
    print(
        f"report: {len(report.papers)} papers, {len(report.entries)} results (claims: "
        f"{counts['agrees']} agree, {counts['differs']} differ, {counts['not tested']} not "
        f"tested){skipped} -> {written[0]}, {written[1]} and {len(written) - 2} paper pages"
    )
    return 0


def _cmd_sweep(args) -> int:
    import warnings

    from neurosparse.sweep import SweepError, SweepInterrupted, load_spec, run, status

    if args.workers is not None and args.scheduler is not None:
        raise UsageError("neurosparse sweep: give --workers (a local cluster) or --scheduler")
    try:
        spec = load_spec(args.spec, store=args.store)
        before = status(spec)
        if args.dry_run:
            return _sweep_dry_run(spec, before, args.resume)
    except SweepError as exc:
        raise UsageError(f"neurosparse sweep: {exc}") from None
    start = time.perf_counter()
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=r"\d+ of \d+ points failed")
            result = run(
                spec, workers=args.workers, scheduler=args.scheduler, resume=args.resume,
                connect_timeout=args.timeout,
            )  # fmt: skip
    except SweepError as exc:
        raise UsageError(f"neurosparse sweep: {exc}") from None
    except SweepInterrupted as exc:
        print(f"neurosparse sweep: {exc}", file=sys.stderr)
        return 130
    attrs = result.attrs
    resumed = before["finished"]
    print(
        f"sweep {spec.target.name}: {spec.n_points} points ({spec.n_points - resumed} run now, "
        f"{resumed} resumed), {attrs['sweep_failed']} failed, in "
        f"{time.perf_counter() - start:.1f} s -> {spec.store}"
    )
    print(f"result: {spec.store / 'result.zarr'}")
    if attrs["sweep_failed"]:
        prov = result["params"].dataset
        flat_status = prov["status"].values.ravel()
        flat_index = prov["point_index"].values.ravel()
        flat_error = prov["error"].values.ravel()
        rows = sorted(
            (int(i), str(e)) for i, s, e in zip(flat_index, flat_status, flat_error)
            if s == "failed"
        )  # fmt: skip
        print(f"failed: {len(rows)} of {spec.n_points} points", file=sys.stderr)
        for index, error in rows[:10]:
            print(f"  point {index} ({spec.point(index).describe()}): {error}", file=sys.stderr)
        if len(rows) > 10:
            print(f"  ... and {len(rows) - 10} more (params/error in the result)", file=sys.stderr)
        return EXIT_FAILED
    return 0


def _sweep_dry_run(spec, before, resume: bool) -> int:
    from neurosparse.sweep import Store

    print(f"sweep {spec.describe()}")
    if not before["exists"]:
        state = "new (nothing is written by a dry run)"
    else:
        Store(spec.store).check(spec, resume=resume)  # the refusal a real run would give
        state = (
            f"holds this sweep: {before['finished']} of {before['total']} points finished, "
            f"{before['failed']} failed; --resume runs the other "
            f"{before['total'] - before['finished']}"
        )
    print(f"store: {spec.store} -- {state}")
    shown = min(spec.n_points, 10)
    print(f"points (first {shown} of {spec.n_points}, in the order they are numbered):")
    for i in range(shown):
        point = spec.point(i)
        print(f"  {i}: {point.describe()}  (runs with seed {point.seed})")
    if spec.n_points > shown:
        print(f"  ... and {spec.n_points - shown} more")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``neurosparse`` console script; returns the exit status."""
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
        handler = {
            "list": _cmd_list,
            "reproduce": _cmd_reproduce,
            "info": _cmd_info,
            "sweep": _cmd_sweep,
            "report": _cmd_report,
        }
        return handler[args.command](args)
    except UsageError as exc:
        print(
            str(exc).splitlines()[0] if str(exc) else "neurosparse: usage error",
            file=sys.stderr,
        )
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("neurosparse: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
