"""Runs nbdev_test on every notebook, each in its own process (two at a time), and ends with a line
`N passed, N failed` counting the notebooks tested.

One process per notebook keeps global state (torch's grad mode, thread counts, RNGs) from leaking from one notebook
into the next, which nbdev_test's own worker pool would allow.
"""
import argparse, os, subprocess, sys, time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def notebooks(path:str|None) -> list[Path]:
    "Notebooks nbdev_test would test: under nbs/, not starting with '_' or '.', not beside a .notest file."
    base = ROOT / 'nbs'
    found = sorted(ROOT.glob(path)) if path else sorted(base.rglob('*.ipynb'))
    return [p for p in found if not any(part.startswith(('_', '.')) for part in p.relative_to(ROOT).parts)
            and not (p.parent / '.notest').exists()]

def run_one(nb:Path, flags:str) -> tuple[Path, bool, float, str]:
    env = {**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1'), 'MPLBACKEND': 'Agg'}
    cmd = [str(Path(sys.executable).parent / 'nbdev_test'), '--path', str(nb.relative_to(ROOT)), '--n_workers', '0']
    if flags: cmd += ['--flags', flags]
    t = time.perf_counter()
    p = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
    return nb, p.returncode == 0, time.perf_counter() - t, p.stdout + p.stderr

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--flags', default='', help='test flags to run that are skipped by default (e.g. "slow gpu")')
    ap.add_argument('--path', default=None, help='a notebook or glob relative to the repository (default: all of nbs/)')
    ap.add_argument('--jobs', type=int, default=2, help='notebooks tested at once')
    args = ap.parse_args()
    nbs = notebooks(args.path)
    if not nbs: sys.exit(f'no notebooks match {args.path!r}')
    failed = []
    with ThreadPoolExecutor(args.jobs) as pool:
        for nb, ok, secs, out in pool.map(lambda n: run_one(n, args.flags), nbs):
            print(f"{'ok  ' if ok else 'FAIL'} {nb.relative_to(ROOT)} ({secs:.0f} s)", flush=True)
            if not ok: failed.append(nb); print(out[-6000:], flush=True)
    print(f'{len(nbs) - len(failed)} passed, {len(failed)} failed')
    sys.exit(1 if failed else 0)

if __name__ == '__main__': main()
