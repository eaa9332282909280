"""Compare DDP with one process on a training notebook: run it as one process, then under torchrun with N processes
(same profile, parameters and seed), and compare every log.jsonl of the two runs step by step.

    python tools/ddp_check.py 12_train_ddpm --nproc 2 --profile smoke -p max_steps 60 -p eval_every 10

The runs go to runs/<name>_ddpcheck1/ and runs/<name>_ddpcheck<N>/ (deleted first, so neither resumes). On CPUs the
processes use gloo, on GPUs NCCL (one GPU per process). Losses that draw their own noise (DDPM, VAE), dropout and
BatchNorm make the curves agree in distribution only; a deterministic loss agrees to float rounding (nbs/10_train).
"""
import argparse, json, os, shutil, socket, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def records(log:Path) -> dict:
    "step -> (training loss or None, validation loss or None), the last record of a step kept."
    out = {}
    for line in log.read_text().splitlines():
        r = json.loads(line) if line.strip() else {}
        if 'step' not in r: continue
        loss, val = out.get(r['step'], (None, None))
        out[r['step']] = (r.get('loss', loss) if 'val_loss' not in r else loss, r.get('val_loss', val))
    return out

def compare(one:Path, many:Path) -> list[str]:
    "One line per log.jsonl found in both runs: steps compared and the largest differences."
    lines = []
    for log in sorted(one.rglob('log.jsonl')):
        other = many / log.relative_to(one)
        if not other.exists(): lines.append(f'{log.relative_to(one)}: missing in {many}'); continue
        a, b = records(log), records(other)
        diffs = {k: [abs(a[s][i] - b[s][i]) for s in a.keys() & b.keys() if a[s][i] is not None and b[s][i] is not None]
                 for k, i in (('loss', 0), ('val_loss', 1))}
        parts = [f'{k} max |diff| {max(d):.2e} over {len(d)} steps' for k, d in diffs.items() if d]
        lines.append(f"{log.relative_to(one)}: {'; '.join(parts) or 'no common steps'}")
    return lines

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('name', help='training notebook in nbs/experiments, without .ipynb (e.g. 12_train_ddpm)')
    ap.add_argument('--nproc', type=int, default=2, help='processes of the DDP run')
    ap.add_argument('--profile', default='smoke', choices=['smoke', 'cpu', 'paper'])
    ap.add_argument('-p', '--param', nargs=2, action='append', default=[], metavar=('NAME', 'YAML_VALUE'))
    args = ap.parse_args()
    tool, extra = str(ROOT / 'tools' / 'run_experiment.py'), [a for kv in args.param for a in ('-p', *kv)]
    runs = {n: ROOT / 'runs' / f'{args.name}_ddpcheck{n}' for n in (1, args.nproc)}
    for d in runs.values(): shutil.rmtree(d, ignore_errors=True)
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]
    torchrun = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', str(args.nproc),
                '--max-restarts', '0', '--master_addr', '127.0.0.1', '--master_port', str(port)]
    for n, launcher in ((1, [sys.executable]), (args.nproc, torchrun)):
        cmd = [*launcher, tool, args.name, '--profile', args.profile, '--tag', f'ddpcheck{n}', *extra]
        print(f'{n} process(es): {" ".join(cmd)}', flush=True)
        if subprocess.run(cmd, cwd=ROOT).returncode: sys.exit(f'{args.name}: the run with {n} process(es) failed')
    print(f'{args.name} [{args.profile}], 1 vs {args.nproc} processes:')
    for line in compare(*runs.values()): print('  ' + line)

if __name__ == '__main__': main()
