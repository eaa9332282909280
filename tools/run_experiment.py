"""Run one experiment notebook with papermill for a profile, as `make <notebook>` does.

Cells marked `#| eval: false` (ipywidgets previews, by the style guide) are interactive only: they are left out of
the headless run, as nbdev_test leaves them out. The executed copy goes to runs/<name>/<name>.ipynb.
"""
import argparse, json, os, sys
from pathlib import Path
import nbformat, papermill, yaml

ROOT = Path(__file__).resolve().parents[1]

def headless_copy(src:Path, dst:Path) -> Path:
    "Copy a notebook without its `#| eval: false` cells."
    nb = nbformat.read(src, as_version=4)
    nb.cells = [c for c in nb.cells if not (c.cell_type == 'code' and c.source.lstrip().startswith('#| eval: false'))]
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return dst

def refuse_undeclared(params:dict, declared:dict, name:str, cfg:Path):
    "Stop, naming them, when parameters (from the profile's yaml or -p) are not in the notebook's parameters cell."
    unknown = sorted(set(params) - set(declared))
    if unknown:
        where = f'{cfg.relative_to(ROOT)} or -p' if cfg.exists() else '-p'
        sys.exit(f"{name}: unknown parameter(s) {unknown} (from {where}); the notebook declares {sorted(declared)}")

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('name', help='notebook name in nbs/experiments, without .ipynb (e.g. 00_datasets)')
    ap.add_argument('--profile', default='cpu', choices=['smoke', 'cpu', 'paper'])
    ap.add_argument('--tag', default=None, help='a variant name: the run goes to runs/<name>_<tag>/ (e.g. a DDPM condition)')
    ap.add_argument('-p', '--param', nargs=2, action='append', default=[], metavar=('NAME', 'YAML_VALUE'),
                    help='override one parameter (value parsed as YAML)')
    args = ap.parse_args()
    src = ROOT / 'nbs' / 'experiments' / f'{args.name}.ipynb'
    if not src.exists():
        sys.exit(f"no experiment notebook {src}; available: {sorted(p.stem for p in src.parent.glob('*.ipynb'))}")
    cfg = ROOT / 'configs' / args.profile / f'{args.name}.yaml'
    params = (yaml.safe_load(cfg.read_text()) or {}) if cfg.exists() else {}
    run = ROOT / 'runs' / (args.name + (f"_{args.tag.replace('+', '_')}" if args.tag else ''))
    declared = papermill.inspect_notebook(str(src))
    # smoke runs never overwrite the real figures/ and checkpoints/: their outputs stay in the run folder
    smoke = args.profile == 'smoke'
    folders = {'profile': args.profile, 'out_dir': str(run / 'figures' if smoke else ROOT / 'figures'), 'run_dir': str(run),
               'checkpoint_dir': str(run if smoke else ROOT / 'checkpoints')}
    params.update({k: v for k, v in folders.items() if k in declared})
    params.update({k: yaml.safe_load(v) for k, v in args.param})
    refuse_undeclared(params, declared, args.name, cfg)
    print(f'{args.name} [{args.profile}] parameters: {json.dumps(params)}', flush=True)
    # papermill's progress bar (one tick a cell) and every cell's output reach the terminal; fexpr's own progress bars
    # (training, edits, descriptors) are written as plain text in the kernel (fexpr.core.progress_bar)
    os.environ.setdefault('FEXPR_PROGRESS', 'text')
    papermill.execute_notebook(str(headless_copy(src, run / f'{src.stem}.input.ipynb')), str(run / f'{src.stem}.ipynb'),
                               parameters=params, cwd=str(src.parent), kernel_name='python3', progress_bar=True,
                               log_output=True, stdout_file=sys.stdout, stderr_file=sys.stderr)
    print(f'{args.name}: executed copy in {run / (src.stem + ".ipynb")}')

if __name__ == '__main__': main()
