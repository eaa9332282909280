"""The CS230 report's DDPM on a GPU: throughput, fraction of the bf16 peak, and the projected time for 100 epochs.

`paper` measures the GPU's bf16 matrix-product peak (8192^3, CUDA events) and the training FLOPs per image of a
DDPM (torch's FlopCounterMode over one step), times the steps of fexpr's `Trainer` on device-resident data for a few
batch sizes, then trains `12_train_ddpm` with the paper profile (configs/paper: the report's UNet, batch 32, AdamW
3e-4 one-cycle, EMA 0.995 from step 2000, bf16 autocast) for as many steps as fit in `--seconds`, through
`tools/run_experiment.py --in-process` (no Jupyter needed). It writes report.json / report.md (images/s, fraction of
the peak, projected 100-epoch time) and a bundle of the run's log, metrics and figures to `--out`.

`train` trains one of the DDPMs fexpr edits with (`--cond`, `--arch`), fresh or from a shipped checkpoint (`--init`),
for as many steps as fit in `--seconds` at `--batch`, and brings back the exported checkpoint, its card, its log and
its figures. `--deadline` (a Unix time) caps every stage, so that the whole run ends before a machine's time limit.

Data: $FEXPR_DATA must hold fer2013.zip (the train/ and test/PublicTest_* entries are enough).
    python3 tools/gpu_paper.py paper --seconds 150 --out OUT
    python3 tools/gpu_paper.py train --cond label+vae --encoder checkpoints/vae_fer2013.safetensors \\
        --batch 128 --seconds 240 --out OUT
"""
import argparse, json, os, subprocess, sys, tarfile, tempfile, time
from functools import partial
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
FER_TRAIN = 28709  # FER-2013 training images (one epoch)
DEVICE = 'cuda'  # --device (cpu: a dry run of the script on a machine without a GPU)


def bf16_peak(n:int=8192, reps:int=10) -> float:
    "FLOP/s of an n^3 bf16 matrix product on the current GPU (mean of `reps` after 3 warm-ups; random data)."
    import torch
    if DEVICE == 'cpu': n, reps = 1024, 3
    a, b = (torch.randn(n, n, device=DEVICE, dtype=torch.bfloat16) for _ in range(2))
    for _ in range(3): a @ b
    _sync(); t = time.perf_counter()
    for _ in range(reps): a @ b
    _sync()
    return 2 * n ** 3 * reps / (time.perf_counter() - t)


def _sync():
    import torch
    if DEVICE == 'cuda': torch.cuda.synchronize()


def _model(arch:str, cond:str, encoder=None, overrides:dict|None=None):
    from fexpr.ddpm import DDPM, ddpm_config
    return DDPM.from_config(ddpm_config(arch, cond, 1, 48, code_dim=encoder.code_dim if encoder else None, **(overrides or {})))


def paper_settings(extra:dict) -> tuple:
    "The paper profile's (UNet preset, batch size, UNet overrides) for 12_train_ddpm, with --extra's overrides."
    import yaml
    cfg = {**yaml.safe_load((ROOT / 'configs' / 'paper' / '12_train_ddpm.yaml').read_text()), **extra}
    return cfg['arch'], cfg['batch_size'], cfg.get('unet_overrides') or {}


def train_flops(arch:str, cond:str='label', batch:int=32, encoder=None, overrides:dict|None=None) -> float:
    "FLOPs of one training step (forward, backward; matrix products, convolutions and attention) per image."
    import torch
    from torch.utils.flop_counter import FlopCounterMode
    from fexpr.ddpm import ddpm_batch_loss
    m = _model(arch, cond, encoder, overrides).to(DEVICE).train()
    b = {'x': torch.rand(batch, 1, 48, 48, device=DEVICE) * 2 - 1, 'label': torch.randint(0, 7, (batch,), device=DEVICE),
         'generator': torch.Generator().manual_seed(0)}
    with FlopCounterMode(display=False) as fc:
        with torch.autocast(DEVICE, dtype=torch.bfloat16, enabled=DEVICE == 'cuda'): loss = ddpm_batch_loss(m, b, encoder=encoder)
        loss.backward()
    return fc.get_total_flops() / batch


def step_rate(arch:str, cond:str, batch:int, encoder=None, steps:int=60, warmup:int=15, overrides:dict|None=None) -> float:
    "Optimiser steps per second of fexpr's Trainer (augmentation, bf16, clipping, EMA; random uint8 data on the GPU)."
    import torch
    from fexpr.ddpm import ddpm_batch_loss
    from fexpr.train import Trainer, TrainConfig
    n = max(4096, batch * 4)
    data = {'x': torch.randint(0, 256, (n, 1, 48, 48), dtype=torch.uint8), 'label': torch.randint(0, 7, (n,))}
    cfg = TrainConfig(max_steps=warmup + steps, batch_size=batch, crop_scale=(0.8, 1.0), hflip=True, ema_start=0)
    with tempfile.TemporaryDirectory() as tmp:
        tr = Trainer(_model(arch, cond, encoder, overrides), partial(ddpm_batch_loss, encoder=encoder), data, cfg, tmp,
                     device=DEVICE, progress=False)
        for _ in range(warmup): tr.train_step()
        _sync(); t = time.perf_counter()
        for _ in range(steps): tr.train_step()
        _sync()
        return steps / (time.perf_counter() - t)


def run_notebook(name:str, profile:str, tag:str, params:dict, timeout:float, deadline:float|None=None) -> int:
    "tools/run_experiment.py --in-process, in a child process (its output passes through); stopped at the deadline."
    if deadline: timeout = min(timeout, deadline - time.time())
    cmd = [sys.executable, str(ROOT / 'tools' / 'run_experiment.py'), name, '--profile', profile, '--tag', tag, '--in-process']
    for k, v in params.items(): cmd += ['-p', k, json.dumps(v)]
    print('$', ' '.join(cmd), flush=True)
    proc = subprocess.Popen(cmd)
    try: return proc.wait(timeout=max(timeout, 1))
    except subprocess.TimeoutExpired:  # SIGTERM: the Trainer saves its checkpoint and stops
        print(f'{name}: stopping it after {timeout:.0f} s', flush=True)
        proc.terminate()
        try: proc.wait(timeout=15)
        except subprocess.TimeoutExpired: proc.kill(); proc.wait()
        return 124


def bundle(out:Path, name:str, paths:list) -> Path:
    "The files that exist among `paths`, in out/<name>.tar.gz (flat)."
    dst = out / f'{name}.tar.gz'
    with tarfile.open(dst, 'w:gz') as tf:
        for p in map(Path, paths):
            if p.is_file(): tf.add(p, arcname=p.name)
    return dst


def environment() -> dict:
    import torch
    if DEVICE == 'cpu': return {'gpu': None, 'torch': torch.__version__, 'cpu_threads': torch.get_num_threads()}
    smi = subprocess.run(['nvidia-smi', '--query-gpu=name,memory.total,driver_version,clocks.max.sm', '--format=csv,noheader'],
                         capture_output=True, text=True).stdout.strip()
    return {'gpu': torch.cuda.get_device_name(), 'nvidia_smi': smi, 'torch': torch.__version__,
            'python': sys.version.split()[0], 'cpu_threads': torch.get_num_threads()}


def paper(args):
    out, work = Path(args.out), Path(args.work)
    report = {'environment': environment()}
    print(report, flush=True)
    report['bf16_peak_tflop_s'] = peak = bf16_peak() / 1e12
    print(f'bf16 matmul peak {peak:.0f} TFLOP/s', flush=True)
    rows = []
    for probe in args.probes.split(','):
        arch, batch = probe.split(':'); batch = int(batch)
        fl, sps = train_flops(arch, 'label', batch), step_rate(arch, 'label', batch, steps=args.probe_steps, warmup=args.probe_steps // 4 + 1)
        ips = sps * batch
        rows.append({'arch': arch, 'batch': batch, 'steps_per_s': round(sps, 1), 'images_per_s': round(ips),
                     'train_gflop_per_image': round(fl / 1e9, 3), 'fraction_of_bf16_peak': ips * fl / (peak * 1e12),
                     'projected_100_epochs_min': round(100 * FER_TRAIN / ips / 60, 1)})
        print(rows[-1], flush=True)
    report['trainer_step_rates'] = rows
    (out / 'report.json').write_text(json.dumps(report, indent=1))
    # the paper profile itself: as many steps as fit in --seconds at its UNet's and batch's rate (a probe's, if one was)
    extra = json.loads(args.extra)
    arch, batch, overrides = paper_settings(extra)
    probe = None if overrides else next((r for r in rows if (r['arch'], r['batch']) == (arch, batch)), None)
    sps = probe['steps_per_s'] if probe else step_rate(arch, 'label', batch, steps=args.probe_steps,
                                                       warmup=args.probe_steps // 4 + 1, overrides=overrides)
    fl = probe['train_gflop_per_image'] * 1e9 if probe else train_flops(arch, 'label', batch, overrides=overrides)
    steps = max(args.min_steps, int(args.seconds * sps))
    run_dir, figs = work / 'run_paper', work / 'figures'
    params = {'cond': 'label', 'max_steps': steps, 'eval_every': max(args.min_steps, steps // 2), 'out_dir': str(figs),
              'run_dir': str(run_dir), 'checkpoint_dir': str(work / 'ship_paper'), 'device': DEVICE, **extra}
    t = time.perf_counter()
    rc = run_notebook('12_train_ddpm', 'paper', 'label_gpu', params, timeout=args.seconds * 1.6 + 120,
                      deadline=args.deadline and args.deadline - args.reserve)
    wall = time.perf_counter() - t
    metrics = json.loads((run_dir / 'metrics.json').read_text()) if (run_dir / 'metrics.json').is_file() else {}
    ips = metrics.get('images_per_s')
    report['paper_run'] = {'returncode': rc, 'arch': arch, 'batch': batch, 'steps': steps,
                           'epochs': round(steps * batch / FER_TRAIN, 2), 'wall_s': round(wall, 1),
                           'notebook_metrics': metrics,
                           'images_per_s': ips and round(ips, 1),
                           'fraction_of_bf16_peak': ips and ips * fl / (peak * 1e12),
                           'projected_100_epochs_min': ips and round(100 * FER_TRAIN / ips / 60, 1)}
    (out / 'report.json').write_text(json.dumps(report, indent=1))
    lines = ['# The paper profile on a GPU', '', f"{report['environment']}", '',
             f'bf16 matrix-product peak (8192^3, random data): {peak:.0f} TFLOP/s', '',
             "| arch | batch | steps/s | images/s | train GFLOP/image | fraction of bf16 peak | 100 epochs (min) |", '|---|---|---|---|---|---|---|']
    lines += [f"| {r['arch']} | {r['batch']} | {r['steps_per_s']} | {r['images_per_s']} | {r['train_gflop_per_image']} | "
              f"{r['fraction_of_bf16_peak']:.4f} | {r['projected_100_epochs_min']} |" for r in rows]
    pr = report['paper_run']
    frac = 'unmeasured' if pr['fraction_of_bf16_peak'] is None else f"{pr['fraction_of_bf16_peak']:.4f}"
    lines += ['', f"12_train_ddpm (label, paper profile, UNet {arch!r}, batch {batch}): {pr['steps']} steps ({pr['epochs']} "
              f"epochs) in {pr['wall_s']} s of wall time (return code {rc}); training {pr['images_per_s']} images/s, "
              f"fraction of peak {frac}, projected 100 epochs {pr['projected_100_epochs_min']} min; "
              f"PublicTest diffusion loss {metrics.get('best_val')}"]
    (out / 'report.md').write_text('\n'.join(lines) + '\n')
    print('\n'.join(lines), flush=True)
    bundle(out, 'paper_run', [run_dir / 'log.jsonl', run_dir / 'metrics.json', run_dir / 'params.yaml',
                              *sorted(figs.glob('12_train_ddpm_*.png'))])


def train(args):
    from fexpr.vae import ConvVAE, EmotionCNN
    out, work = Path(args.out), Path(args.work)
    kind = {'label+vae': ConvVAE, 'label+cnn': EmotionCNN, 'label': None}[args.cond]
    encoder = kind.from_checkpoint(args.encoder, device=DEVICE).requires_grad_(False) if kind else None
    sps = step_rate(args.arch, args.cond, args.batch, encoder, steps=args.probe_steps, warmup=args.probe_steps // 4 + 1)
    steps = max(args.min_steps, int(args.seconds * sps * 0.9))  # validation, checkpoints and sampling take the rest
    print(f'{args.cond} ({args.arch}) batch {args.batch}: {sps:.1f} steps/s -> {steps} steps '
          f'({steps * args.batch / FER_TRAIN:.1f} epochs)', flush=True)
    run_dir, figs, ship = work / 'run_finetune', work / 'figures', work / 'ship'
    params = {'cond': args.cond, 'arch': args.arch, 'init_ckpt': args.init and str(Path(args.init).resolve()),
              'encoder_ckpt': str(Path(args.encoder).resolve()) if kind else None, 'batch_size': args.batch,
              'max_steps': steps, 'lr': args.lr, 'ema_decay': args.ema,
              'ema_start': 0 if args.init else steps // 10, 'eval_every': max(args.min_steps, steps // 4),
              'n_sample_steps': 25, 'out_dir': str(figs), 'run_dir': str(run_dir), 'checkpoint_dir': str(ship), 'device': DEVICE,
              **json.loads(args.extra)}
    rc = run_notebook('12_train_ddpm', 'cpu', args.cond.replace('+', '_') + '_gpu', params, timeout=args.seconds * 1.6 + 120,
                      deadline=args.deadline and args.deadline - args.reserve)
    stem = f"ddpm_{args.cond.replace('+', '_')}_fer2013"
    for ext in ('.safetensors', '.json', '.md'):
        if (ship / (stem + ext)).is_file(): (out / (stem + ext)).write_bytes((ship / (stem + ext)).read_bytes())
    bundle(out, 'train_run', [run_dir / 'log.jsonl', run_dir / 'metrics.json', run_dir / 'params.yaml',
                                 *sorted(figs.glob('12_train_ddpm_*.png'))])
    print(f'train: return code {rc}; brought back {sorted(p.name for p in out.iterdir())}', flush=True)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('what', choices=['paper', 'train'])
    ap.add_argument('--out', required=True, help='folder for what comes back')
    ap.add_argument('--work', default=None, help='folder for runs and figures (default: a temporary folder)')
    ap.add_argument('--seconds', type=float, default=150, help='training time to plan the steps for')
    ap.add_argument('--cond', default='label+vae'); ap.add_argument('--arch', default='default')
    ap.add_argument('--init', default=None); ap.add_argument('--encoder', default=None)
    ap.add_argument('--batch', type=int, default=128); ap.add_argument('--lr', type=float, default=3e-4)
    ap.add_argument('--ema', type=float, default=0.999)
    ap.add_argument('--probes', default='seed:32,seed:128,seed:256,default:32,default:128',
                    help='arch:batch pairs whose Trainer step rate is timed (the first sets the paper run\'s steps)')
    ap.add_argument('--probe-steps', type=int, default=60)
    ap.add_argument('--min-steps', type=int, default=200)
    ap.add_argument('--deadline', type=float, default=None, help='Unix time by which every stage has ended')
    ap.add_argument('--reserve', type=float, default=20, help='seconds before the deadline kept for packing the results')
    ap.add_argument('--extra', default='{}', help='more notebook parameters, as a JSON object')
    ap.add_argument('--device', default='cuda', choices=['cuda', 'cpu'], help='cpu: a dry run of this script')
    args = ap.parse_args()
    import torch
    global DEVICE
    DEVICE = args.device
    if DEVICE == 'cuda' and not torch.cuda.is_available():
        sys.exit('gpu_paper.py needs a CUDA GPU (torch.cuda.is_available() is False); --device cpu for a dry run')
    Path(args.out).mkdir(parents=True, exist_ok=True)
    args.work = args.work or tempfile.mkdtemp(prefix='fexpr_gpu_')
    {'paper': paper, 'train': train}[args.what](args)


if __name__ == '__main__': main()
