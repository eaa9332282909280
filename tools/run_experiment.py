"""Run one experiment notebook with papermill for a profile, as `make <notebook>` does.

Cells marked `#| eval: false` (ipywidgets previews, by the style guide) are interactive only: they are left out of
the headless run, as nbdev_test leaves them out. The executed copy goes to runs/<name>/<name>.ipynb.

Under `torchrun --nproc_per_node N` every process runs the notebook and its `Trainer` trains with DDP (fexpr.train).
Rank 0 runs it as usual. Each rank k > 0 sees only its own GPU (LOCAL_RANK), is quiet, writes its executed copy to
runs/<name>/<name>.rank<k>.ipynb and everything else (figures, run folder, shipped models) to a temporary folder
deleted at the end; there it finds links to the shipped models rank 0 reads, so both compute the same things.

`--in-process` runs the notebook's code cells in this Python process instead, without Jupyter (for a machine whose
Python has fexpr's runtime packages but not papermill and a kernel, such as a bare GPU machine): the parameters cell,
then the parameters given, then the other cells, in the notebook's folder; their printed output shows, the values of
last lines do not, and no executed copy is written.
"""
import argparse, json, os, sys, tempfile
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parents[1]

def interactive(cell) -> bool:
    "Whether a notebook cell is interactive only (a code cell marked `#| eval: false`): headless runs leave it out."
    return cell['cell_type'] == 'code' and ''.join(cell['source']).lstrip().startswith('#| eval: false')

def headless_copy(src:Path, dst:Path) -> Path:
    "Copy a notebook without its `#| eval: false` cells."
    import nbformat
    nb = nbformat.read(src, as_version=4)
    nb.cells = [c for c in nb.cells if not interactive(c)]
    dst.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, dst)
    return dst

def refuse_undeclared(params:dict, declared:dict, name:str, cfg:Path):
    "Stop, naming them, when parameters (from the profile's yaml or -p) are not in the notebook's parameters cell."
    unknown = sorted(set(params) - set(declared))
    if unknown:
        where = f'{cfg.relative_to(ROOT)} or -p' if cfg.exists() else '-p'
        sys.exit(f"{name}: unknown parameter(s) {unknown} (from {where}); the notebook declares {sorted(declared)}")

def pin_gpu():
    "Under torchrun: let this rank see only its own GPU (LOCAL_RANK), so that 'cuda' in the notebook means that GPU."
    local, visible = int(os.environ.get('LOCAL_RANK', 0)), os.environ.get('CUDA_VISIBLE_DEVICES')
    ids = [str(local)] if visible is None else [v for v in visible.split(',') if v.strip()]
    if not ids: return  # CUDA_VISIBLE_DEVICES='' hides every GPU: CPU processes
    if visible is not None and local >= len(ids):
        sys.exit(f'LOCAL_RANK is {local} but CUDA_VISIBLE_DEVICES lists {len(ids)} GPUs: '
                 f'start at most {len(ids)} processes per node (torchrun --nproc_per_node {len(ids)})')
    os.environ['CUDA_VISIBLE_DEVICES'] = ids[0] if visible is None else ids[local]

def worker_params(params:dict, scratch:Path) -> dict:
    "A rank > 0's parameters: its folders in `scratch`, with links to the shipped models that rank 0 reads."
    moved = {**params, **{k: str(scratch / k) for k in ('out_dir', 'run_dir', 'checkpoint_dir') if k in params}}
    shipped = params.get('checkpoint_dir') or params.get('run_dir')
    if 'checkpoint_dir' in params and shipped and Path(shipped).is_dir():
        dst = scratch / 'checkpoint_dir'
        dst.mkdir(parents=True, exist_ok=True)
        # only files that fexpr replaces when it writes them (save_checkpoint): a write replaces the link, not the file
        for p in Path(shipped).iterdir():
            if p.is_file() and p.suffix in ('.safetensors', '.json'): (dst / p.name).symlink_to(p.resolve())
    return moved

def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('name', help='notebook name in nbs/experiments, without .ipynb (e.g. 00_datasets)')
    ap.add_argument('--profile', default='cpu', choices=['smoke', 'cpu', 'paper'])
    ap.add_argument('--tag', default=None, help='a variant name: the run goes to runs/<name>_<tag>/ (e.g. a DDPM condition)')
    ap.add_argument('-p', '--param', nargs=2, action='append', default=[], metavar=('NAME', 'YAML_VALUE'),
                    help='override one parameter (value parsed as YAML)')
    ap.add_argument('--in-process', action='store_true',
                    help='run the code cells in this process, without Jupyter (no executed copy; see above)')
    args = ap.parse_args()
    src = ROOT / 'nbs' / 'experiments' / f'{args.name}.ipynb'
    if not src.exists():
        sys.exit(f"no experiment notebook {src}; available: {sorted(p.stem for p in src.parent.glob('*.ipynb'))}")
    cfg = ROOT / 'configs' / args.profile / f'{args.name}.yaml'
    params = (yaml.safe_load(cfg.read_text()) or {}) if cfg.exists() else {}
    run = ROOT / 'runs' / (args.name + (f"_{args.tag.replace('+', '_')}" if args.tag else ''))
    if args.in_process:  # fexpr's own reader; papermill's keeps this process free of torch while the kernel runs
        sys.path.insert(0, str(ROOT))  # this checkout's fexpr, installed or not
        from fexpr.experiment import declared_parameters
        declared = declared_parameters(src)
    else:
        import papermill
        declared = papermill.inspect_notebook(str(src))
    # smoke runs never overwrite the real figures/ and checkpoints/: their outputs stay in the run folder
    smoke = args.profile == 'smoke'
    folders = {'profile': args.profile, 'out_dir': str(run / 'figures' if smoke else ROOT / 'figures'), 'run_dir': str(run),
               'checkpoint_dir': str(run if smoke else ROOT / 'checkpoints')}
    params.update({k: v for k, v in folders.items() if k in declared})
    params.update({k: yaml.safe_load(v) for k, v in args.param})
    refuse_undeclared(params, declared, args.name, cfg)
    # fexpr's progress bars (training, edits, descriptors) are written as plain text, not as widgets
    os.environ.setdefault('FEXPR_PROGRESS', 'text')
    rank, world = int(os.environ.get('RANK', 0)), int(os.environ.get('WORLD_SIZE', 1))
    if world > 1: pin_gpu()
    if rank > 0:  # a DDP worker: its outputs are thrown away
        with tempfile.TemporaryDirectory(prefix=f'fexpr_{args.name}_rank{rank}_') as scratch:
            print(f'{args.name}: rank {rank} of {world}, outputs in {scratch} (deleted at the end)', flush=True)
            moved = worker_params(params, Path(scratch))
            if args.in_process: execute_here(src, moved)
            else: execute(src, run, f'{src.stem}.rank{rank}', moved, loud=False)
        return
    ranks = f'; {world} processes' if world > 1 else ''
    print(f'{args.name} [{args.profile}] parameters: {json.dumps(params)}{ranks}', flush=True)
    if args.in_process:
        execute_here(src, params)
        print(f'{args.name}: done (in-process: no executed copy)')
        return
    execute(src, run, src.stem, params, loud=True)
    print(f'{args.name}: executed copy in {run / (src.stem + ".ipynb")}')

def execute_here(src:Path, params:dict):
    "Run `src`'s code cells in this process as papermill would: parameters cell, the given parameters, the rest."
    os.environ.setdefault('MPLBACKEND', 'Agg')
    cells = [c for c in json.loads(src.read_text(encoding='utf-8'))['cells'] if c['cell_type'] == 'code' and not interactive(c)]
    namespace, here = {'__name__': '__main__'}, os.getcwd()
    os.chdir(src.parent)
    try:
        for i, c in enumerate(cells):
            code = ''.join(c['source'])
            if any(line.lstrip().startswith(('%', '!')) for line in code.splitlines()):
                sys.exit(f'{src.name}: code cell {i} uses IPython syntax (% or !): run it without --in-process')
            exec(compile(code, f'{src.name}, code cell {i}', 'exec'), namespace)
            if 'parameters' in c.get('metadata', {}).get('tags', []): namespace.update(params)
    finally: os.chdir(here)

def execute(src:Path, run:Path, stem:str, params:dict, loud:bool):
    "papermill `src` into run/<stem>.ipynb (from a headless copy, run/<stem>.input.ipynb); loud: show its progress."
    # papermill's progress bar (one tick a cell) and every cell's output reach the terminal
    import papermill
    streams = dict(stdout_file=sys.stdout, stderr_file=sys.stderr) if loud else {}
    papermill.execute_notebook(str(headless_copy(src, run / f'{stem}.input.ipynb')), str(run / f'{stem}.ipynb'),
                               parameters=params, cwd=str(src.parent), kernel_name='python3', progress_bar=loud,
                               log_output=loud, **streams)

if __name__ == '__main__': main()
