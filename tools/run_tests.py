"""Runs nbdev_test over every notebook and ends with a line `N passed, N failed` counting the notebooks tested."""
import argparse, os, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--flags', default='', help='test flags to run that are skipped by default (e.g. "slow gpu")')
    ap.add_argument('--path', default=None, help='a notebook or glob (default: all of nbs/)')
    args = ap.parse_args()
    env = {**os.environ, 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1'), 'MPLBACKEND': 'Agg'}
    cmd = [str(Path(sys.executable).parent/'nbdev_test'), '--do_print', '--timing', '--n_workers', '2']
    if args.flags: cmd += ['--flags', args.flags]
    if args.path: cmd += ['--path', args.path]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    started, failed, in_failures = [], [], False
    for line in proc.stdout:
        sys.stdout.write(line)
        if m := re.match(r'Starting (.+\.ipynb)', line): started.append(Path(m.group(1)).name)
        if 'Tests Failed On The Following Notebooks' in line: in_failures = True
        elif in_failures and line.startswith('\t'): failed.append(line.strip())
    rc = proc.wait()
    if rc and not failed: failed = ['(nbdev_test itself)']
    print(f'{len(started) - len([f for f in failed if f in started])} passed, {len(failed)} failed')
    sys.exit(1 if rc or failed else 0)

if __name__ == '__main__': main()
