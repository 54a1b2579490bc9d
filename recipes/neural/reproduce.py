"""Make a shipped model again from scratch by following ``recipes/neural/lineage.toml``.

    python recipes/neural/reproduce.py OUT_DIR [--target M172338] [--minutes 110] [--jobs 2] [--dry-run]
        [--gpu-device cuda --workers 14] [--evaluate]

The lineage lists every run, mean and saved start that led to the two packaged models, in
an order that can be followed. This takes the nodes the ``--target`` needs (default: the
shipped default, ``M172338``; ``R25l`` is the 10 ms model), in that order, and for each:

- a run: its folder ``OUT_DIR/runs/<folder or id>`` starts from its start's weights
  (``average.py`` of one checkpoint: weights only, as every stage from 6 on began) unless
  it continues its start's own folder, then ``python -m voxclean.neural.train CONFIG
  --out FOLDER [ARGS]`` runs until the node's end step (checked afterwards);
- a mean: ``average.py OUT_DIR/means/ID.pt`` of its members' checkpoints;
- a saved start: ``train CONFIG --save-start OUT_DIR/starts/ID.pt`` from its start's weights.

A node whose checkpoint is already there at its end step is skipped, and a run cut short
resumes from its folder, so the work can span sessions: ``--minutes`` stops after about
that wall time (each run gets ``--max-minutes`` for what is left; run again to go on).
``--jobs 2`` makes two nodes at a time where the lineage allows (the side-by-side runs
of a stage, and the two models' branches), each run on one thread; every command's output
goes to ``OUT_DIR/logs/NODE.log``.
The GPU node (stage 7, batch 32) reads a corpus pack, made first with ``pack_corpus.py
--max-utterance-s 6`` as in the seventh session; ``--gpu-device`` runs it on that device,
otherwise it runs on the CPU (hours, not minutes). ``--evaluate`` exports the target
(float16, as shipped) and scores it with ``evaluate.py --strength 40 --by-noise`` into
``OUT_DIR/eval_TARGET.txt``, to compare with the shipped model's row of
``recipes/neural/README.md``. Nodes marked ``exact = false`` repeat closely but not step
for step (their ``why``). Training-side tool: needs torch (``pip install -e ".[train]"``).
"""

from __future__ import annotations

import argparse
import shlex
import subprocess
import sys
import time
import tomllib
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]  # commands run here: configs name folders such as runs/extra_noise/kbsim relative to it


@dataclass
class Action:
    """What one node needs done: shell commands (argv lists) and the checkpoint it leaves."""

    node: str
    output: Path
    end: int | None
    commands: list[list[str]] = field(default_factory=list)
    copy_from: Path | None = None  # weights to put ...
    copy_to: Path | None = None  # ... at this path first, when it is not there yet
    needs: list[str] = field(default_factory=list)  # nodes to be made first


def load_lineage(path: Path) -> dict[str, dict]:
    """The lineage's nodes by id, in file order; ``config`` paths made absolute (relative to the file)."""
    with open(path, "rb") as f:
        nodes = {n["id"]: dict(n) for n in tomllib.load(f)["node"]}
    for n in nodes.values():
        if "config" in n:
            n["config"] = str((path.parent / n["config"]).resolve())
    return nodes


def needed(nodes: dict[str, dict], targets: list[str], done: Callable[[str], bool] = lambda nid: False) -> list[str]:
    """Ids of the ``targets`` and every node they depend on, in lineage order.

    The dependencies of a node that ``done`` says is made already are not needed (so a
    folder can start from a copy of one run's end, or drop the runs a mean was made of).
    """
    for target in targets:
        if target not in nodes:
            raise SystemExit(f"--target {target}: not in the lineage (shipped: "
                             f"{', '.join(n for n, v in nodes.items() if 'shipped' in v)})")
    want: set[str] = set()
    todo = list(targets)
    while todo:
        nid = todo.pop()
        if nid == "scratch" or nid in want:
            continue
        want.add(nid)
        if done(nid):
            continue
        n = nodes[nid]
        todo += n["members"] if n["kind"] == "mean" else [n["start"]]
    return [nid for nid in nodes if nid in want]


def run_folder(out: Path, node: dict) -> Path:
    return out / "runs" / node.get("folder", node["id"])


def checkpoint_of(out: Path, nodes: dict[str, dict], nid: str) -> Path:
    """Where node ``nid``'s weights are (a run's: its folder's checkpoint at the run's end)."""
    n = nodes[nid]
    if n["kind"] == "run":
        return run_folder(out, n) / "checkpoint.pt"
    return out / ("means" if n["kind"] == "mean" else "starts") / f"{nid}.pt"


def plan(nodes: dict[str, dict], targets: list[str], out: Path, *, gpu_device: str | None = None,
         workers: int = 0) -> list[Action]:
    """The actions that make the ``targets`` in ``out``, one per needed node, in order."""
    py = sys.executable
    train = [py, "-m", "voxclean.neural.train"]
    pack = out / "pack" / "corpus.pkl"
    actions = []

    def made(nid: str) -> bool:
        return _made(checkpoint_of(out, nodes, nid), nodes[nid].get("end"))

    for nid in needed(nodes, targets, made):
        n = nodes[nid]
        if n["kind"] == "mean":
            members = [str(checkpoint_of(out, nodes, m)) for m in n["members"]]
            output = checkpoint_of(out, nodes, nid)
            actions.append(Action(nid, output, None, [[py, str(HERE / "average.py"), str(output), *members]],
                                  needs=list(n["members"])))
            continue
        start = None if n["start"] == "scratch" else checkpoint_of(out, nodes, n["start"])
        if n["kind"] == "start":
            folder = out / "tmp" / nid
            output = checkpoint_of(out, nodes, nid)
            actions.append(Action(nid, output, None, [[*train, n["config"], "--out", str(folder), "--save-start", str(output)]],
                                  copy_from=start, copy_to=folder / "checkpoint.pt", needs=[n["start"]]))
            continue
        folder = run_folder(out, n)
        same_folder = start is not None and start.parent == folder
        cmd = [*train, n["config"], "--out", str(folder), *n.get("args", [])]
        commands = []
        if n.get("gpu"):
            if not pack.is_file():
                commands.append([py, str(HERE / "pack_corpus.py"), str(pack), "--max-utterance-s", "6"])
            cmd += ["--corpus-pack", str(pack), "--workers", str(workers)]
            if gpu_device:
                cmd += ["--device", gpu_device]
        commands.append(cmd)
        copy = start is not None and not same_folder
        actions.append(Action(nid, folder / "checkpoint.pt", n["end"], commands,
                              copy_from=start if copy else None, copy_to=folder / "checkpoint.pt" if copy else None,
                              needs=[] if start is None else [n["start"]]))
    return actions


def _step_of(path: Path) -> int | None:
    import torch

    if not path.is_file():
        return None
    return int(torch.load(path, map_location="cpu", weights_only=False)["step"])


def _weights_copy(src: Path, dst: Path) -> None:
    import torch

    if str(HERE) not in sys.path:
        sys.path.insert(0, str(HERE))
    from average import average

    dst.parent.mkdir(parents=True, exist_ok=True)
    torch.save(average([src]), dst)


def _made(path: Path, end: int | None) -> bool:
    step = _step_of(path)
    return step is not None and (end is None or step >= end)


def _done(action: Action) -> bool:
    return _made(action.output, action.end)


def _carry_out(act: Action, out: Path, left: float | None) -> None:
    """Run one action's commands (output to ``out/logs/NODE.log``); ``left``: minutes a run may take."""
    if act.copy_from is not None and act.copy_to is not None and not act.copy_to.is_file():
        _weights_copy(act.copy_from, act.copy_to)
    act.output.parent.mkdir(parents=True, exist_ok=True)
    log = out / "logs" / f"{act.node}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    for k, cmd in enumerate(act.commands):
        if left is not None and act.end is not None and k == len(act.commands) - 1:  # a run's training command
            cmd = [*cmd, "--max-minutes", f"{left:.1f}"]
        print(f"[reproduce] {act.node}: {shlex.join(cmd)} >> {log}", flush=True)
        with open(log, "a") as fh:
            res = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT, check=False)
        if res.returncode != 0:
            raise SystemExit(f"[reproduce] {act.node}: exit {res.returncode}; see {log}")


def execute(actions: list[Action], out: Path, *, minutes: float | None = None, jobs: int = 1) -> bool:
    """Carry out the actions not done yet, up to ``jobs`` at a time once what each needs is made.

    Returns ``False`` when ``minutes`` ran out first (run again to go on). A run that ends
    short of its step for any other reason, or a failing command, stops everything.
    """
    deadline = None if minutes is None else time.time() + 60 * minutes
    in_plan = {a.node for a in actions}
    finished = {a.node for a in actions if _done(a)}
    for a in actions:
        if a.node in finished:
            print(f"[reproduce] {a.node}: done ({a.output})", flush=True)
    pending = [a for a in actions if a.node not in finished]
    timed_out = False
    with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
        running: dict[Future, Action] = {}
        while pending or running:
            left = None if deadline is None else (deadline - time.time()) / 60
            if left is not None and left < 1:
                timed_out = True
            ready = [a for a in pending if all(d in finished or d not in in_plan for d in a.needs)]
            while ready and len(running) < max(1, jobs) and not timed_out:
                act = ready.pop(0)
                pending.remove(act)
                running[pool.submit(_carry_out, act, out, left)] = act
            if not running:
                break
            complete, _ = wait(running, return_when=FIRST_COMPLETED)
            for fut in complete:
                act = running.pop(fut)
                fut.result()
                if _done(act):
                    finished.add(act.node)
                    print(f"[reproduce] {act.node}: made ({act.output})", flush=True)
                elif deadline is not None and time.time() >= deadline - 60:
                    timed_out = True
                    print(f"[reproduce] {act.node} stopped at step {_step_of(act.output)} of {act.end}", flush=True)
                else:
                    raise SystemExit(f"[reproduce] {act.node}: {act.output} is at step {_step_of(act.output)}, not {act.end}")
    if pending or timed_out:
        print("[reproduce] time is up; run again to go on", flush=True)
        return False
    return True


def evaluate(out: Path, target: str, checkpoint: Path) -> Path:
    """Export ``checkpoint`` as float16 ONNX and score it on the dev set; returns the report file."""
    onnx_path = out / f"{target}.onnx"
    subprocess.run([sys.executable, "-m", "voxclean.neural.export", str(checkpoint), str(onnx_path), "--float16"],
                   check=True, cwd=ROOT)
    res = subprocess.run([sys.executable, str(HERE / "evaluate.py"), "--model", str(onnx_path), "--strength", "40", "--by-noise"],
                         capture_output=True, text=True, check=True, cwd=ROOT)
    report = out / f"eval_{target}.txt"
    report.write_text(res.stdout)
    print(res.stdout)
    return report


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=Path, help="folder for the runs, means and starts (resumed when present)")
    ap.add_argument("--lineage", type=Path, default=HERE / "lineage.toml")
    ap.add_argument("--target", default="M172338",
                    help="comma list of nodes to make (default: the shipped default; R25l: the 10 ms model)")
    ap.add_argument("--minutes", type=float, default=None, help="stop after about this wall time (resumable)")
    ap.add_argument("--gpu-device", default=None, help="torch device for the lineage's GPU node (default: CPU)")
    ap.add_argument("--workers", type=int, default=0, help="batch-building processes for the GPU node")
    ap.add_argument("--jobs", type=int, default=1, help="nodes made at a time (runs of one thread each; 2 on this machine)")
    ap.add_argument("--dry-run", action="store_true", help="print what is left to do and stop")
    ap.add_argument("--evaluate", action="store_true", help="export and score the target when it is made")
    a = ap.parse_args(argv)
    nodes = load_lineage(a.lineage)
    out = a.out.resolve()
    targets = a.target.split(",")
    actions = plan(nodes, targets, out, gpu_device=a.gpu_device, workers=a.workers)
    if a.dry_run:
        for act in actions:
            if _done(act):
                continue
            if act.copy_from is not None:
                print(f"# {act.node}: starts from the weights of {act.copy_from}")
            for cmd in act.commands:
                print(shlex.join(cmd))
        return 0
    if not execute(actions, out, minutes=a.minutes, jobs=a.jobs):
        return 3
    if a.evaluate:
        made = {act.node: act.output for act in actions}
        for target in targets:
            evaluate(out, target, made[target])
    return 0


if __name__ == "__main__":
    sys.exit(main())
