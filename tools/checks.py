"""Cleanliness checks run by `make test` (and so by CI). Exits non-zero, naming what to fix, when any check fails."""
import hashlib, json, re, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DATASET_RE = re.compile(r'(^|/)(fer2013|ckplus|taiwanese_actors|celeba_10k)\.(zip|csv)$|(^|/)(img_align_celeba|faces_256x256|CK\+)/'
                        r'|(^|/)(Training|PublicTest|PrivateTest)_\d+\.(jpe?g|png)$|(^|/)S\d{3}_\d{3}_\d{8}\.png$', re.I)

def _digest(paths):
    return {str(p.relative_to(ROOT)): hashlib.sha256(p.read_bytes()).hexdigest() for p in paths if p.is_file()}

def _snapshot():
    return _digest([*ROOT.glob('fexpr/**/*.py'), *ROOT.glob('nbs/**/*.ipynb')])

def _changed(before, after): return sorted(k for k in before.keys() | after.keys() if before.get(k) != after.get(k))

def check_tool_leaves_no_diff(tool):
    "Running `tool` (nbdev_export / nbdev_clean) must not change any notebook or module."
    before = _snapshot()
    subprocess.run([str(BIN/tool)], cwd=ROOT, check=True, capture_output=True)
    changed = _changed(before, _snapshot())
    return [f'{tool} changed {f}: run `{tool}` (edit notebooks, never fexpr/*.py) and commit' for f in changed]

def _tracked():
    return subprocess.run(['git', 'ls-files'], cwd=ROOT, capture_output=True, text=True, check=True).stdout.split()

def _notebooks(): return [p for p in ROOT.glob('nbs/**/*.ipynb') if '.ipynb_checkpoints' not in p.parts]

def check_no_widget_state():
    "No notebook may hold saved ipywidgets state."
    return [f'{p.relative_to(ROOT)} holds saved widget state: clear widget outputs and state' for p in _notebooks()
            if 'application/vnd.jupyter.widget-state' in p.read_text(encoding='utf-8')]

def check_experiments_have_no_outputs():
    "Experiment notebooks are committed without outputs or execution counts."
    bad = []
    for p in ROOT.glob('nbs/experiments/*.ipynb'):
        cells = json.loads(p.read_text(encoding='utf-8'))['cells']
        if any(c.get('outputs') or c.get('execution_count') for c in cells if c['cell_type'] == 'code'):
            bad.append(f'{p.relative_to(ROOT)} has outputs: clear them (Jupyter: Edit > Clear All Outputs) and commit')
    return bad

def check_parameters_cell():
    "Each experiment notebook has exactly one cell tagged `parameters` (papermill), each of its lines readable by it."
    bad = []
    for p in ROOT.glob('nbs/experiments/*.ipynb'):
        cells = json.loads(p.read_text(encoding='utf-8'))['cells']
        n = sum('parameters' in c.get('metadata', {}).get('tags', []) for c in cells)
        if n != 1: bad.append(f'{p.relative_to(ROOT)} has {n} cells tagged `parameters`; papermill needs exactly one')
        for c in cells:
            if 'parameters' not in c.get('metadata', {}).get('tags', []): continue
            for i, line in enumerate(''.join(c['source']).splitlines(), 1):
                if not line.strip().startswith('#') and line.count('=') > 1:  # papermill's inspector skips such lines
                    bad.append(f'{p.relative_to(ROOT)}: parameters line {i} has more than one "=", so papermill cannot '
                               f'read it (it warns "unknown parameter"): keep "=" out of its comment')
    return bad

def check_no_datasets_tracked():
    "No dataset archive or image taken from a dataset is tracked; data/ holds READMEs and small manifests only."
    bad = [f'{f} looks like dataset content: never commit datasets or their images' for f in _tracked() if DATASET_RE.search(f)]
    bad += [f'{f}: data/ holds only READMEs and small manifests' for f in _tracked()
            if f.startswith('data/') and re.search(r'\.(jpe?g|png|tiff?|zip|npz|npy|pt|pth|csv\.gz)$', f, re.I)]
    big = [f for f in _tracked() if (ROOT/f).is_file() and (ROOT/f).stat().st_size > 25 * 2**20]
    return bad + [f'{f} is over 25 MB' for f in big]

CHECKS = [lambda: check_tool_leaves_no_diff('nbdev_export'), lambda: check_tool_leaves_no_diff('nbdev_clean'),
          check_no_widget_state, check_experiments_have_no_outputs, check_parameters_cell, check_no_datasets_tracked]
NAMES = ['nbdev_export leaves no diff', 'nbdev_clean leaves no diff', 'no saved widget state',
         'experiment notebooks without outputs', 'one parameters cell per experiment', 'no dataset files tracked']

def main():
    failed = 0
    for name, check in zip(NAMES, CHECKS):
        problems = check()
        print(f"check {'ok  ' if not problems else 'FAIL'} {name}")
        for p in problems: print(f'    {p}')
        failed += bool(problems)
    if failed: sys.exit(f'{failed} cleanliness check(s) failed')

if __name__ == '__main__': main()
