"""Choose the CelebA editor's guidance (and locality) on held-out faces that 41_celeba_figures never measures.

41_celeba_figures measures `ddpm-celeba` on the first 200 faces of a seeded permutation of the held-out people's
photos; this sweep takes the next N (default 40) of the same permutation, toggles each attribute in turn and prints,
per setting, how often the attribute classifier sees the attribute flipped (by direction), the fraction of the other
39 verdicts kept and the PSNR against the source. The classifier here only picks one global setting on faces kept
apart from the measured ones (as 22_tradeoff picks guidance scales); it never selects or guides an edit.

    FEXPR_DATA=../shared/data .venv/bin/python tools/celeba_sweep.py --guidance 3,6,10,15 --attrs Smiling,Eyeglasses --local
"""
import argparse, time
import numpy as np
import torch
from fexpr.core import load_checkpoint
from fexpr.faces import CELEBA_ATTRS, flip_targets
from fexpr.data import load_celeba
from fexpr.vae import AttributeCNN, predict_attributes
from fexpr.edit import Editor, checkpoint_dir
from fexpr.eval import psnr


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--faces', type=int, default=40, help='tuning faces, after the 200 that 41_celeba_figures measures')
    p.add_argument('--procedure', default='friendly', help='ddpm-celeba procedure (default friendly)')
    p.add_argument('--guidance', default='3,6,10', help='comma-separated guidance scales')
    p.add_argument('--steps', type=int, default=10, help='DDIM steps (default 10)')
    p.add_argument('--attrs', default='Smiling,Mouth_Slightly_Open,Eyeglasses,Bangs', help='attributes toggled')
    p.add_argument('--local', action=argparse.BooleanOptionalAction, default=False,
                   help="edit only the attribute's region (fexpr.photo.attribute_mask)")
    a = p.parse_args(argv)
    folder = checkpoint_dir()
    ck = load_checkpoint(folder / 'ddpm_attrs_celeba.safetensors')
    faces = load_celeba(size=64)
    held = faces[np.isin(faces.identities.numpy(), ck['heldout_identities'].numpy())]
    tune = np.random.default_rng(0).permutation(len(held))[200:200 + a.faces]  # 41_celeba_figures: [:200], seed 0
    X, A = held.images[tune], held.attributes[tune]
    cls = AttributeCNN.from_checkpoint(folder / 'attr_cnn_celeba.safetensors')
    ed = Editor(f'ddpm-celeba:{a.procedure}')
    p_src = predict_attributes(cls, X)
    for g in (float(x) for x in a.guidance.split(',')):
        for attr in a.attrs.split(','):
            k, t0 = CELEBA_ATTRS.index(attr), time.perf_counter()
            E, _, tgt = ed.edit_attr_crops(X, flip_targets(A, [attr]), A, steps=a.steps, guidance=g, seed=0,
                                           local=a.local)
            E = E[:, 0]
            p_edit = predict_attributes(cls, E)
            flipped = (p_edit[:, k] == tgt[:, 0, k]).float()
            others = torch.ones(len(CELEBA_ATTRS), dtype=torch.bool); others[k] = False
            kept = (p_edit[:, others] == p_src[:, others]).float().mean(1)
            on = A[:, k] == 0
            print(f'{ed.method} local={a.local} guidance={g:g} steps={a.steps} {attr}: flipped {flipped.mean():.3f} '
                  f'(on {flipped[on].mean():.3f} n={int(on.sum())}, off {flipped[~on].mean():.3f} n={int((~on).sum())}) '
                  f'others kept {kept.mean():.3f} PSNR {psnr(E, X).mean():.1f} ({time.perf_counter() - t0:.0f} s)',
                  flush=True)


if __name__ == '__main__': main()
