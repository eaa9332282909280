"""Choose the CelebA editor's guidance (and locality) on held-out faces that 41_celeba_figures never measures.

41_celeba_figures measures `ddpm-celeba` on the first 200 faces of a seeded permutation of the held-out people's
photos; this sweep takes the next N (default 40) of the same permutation, toggles each attribute in turn and prints,
per setting (with `fexpr.eval.measure_attr_edits`, as 41_celeba_figures does), how often the attribute classifier sees
the target value (reached, by direction, and on the edit blurred by 1 pixel: what a fine, fragile perturbation
does not survive) and the attribute flipped, the fraction of the other 39 verdicts kept, the
PSNR and the dlib distance against the source. `--classifier guide` reads the edits with the attribute guide
(`attr_guide_celeba`, trained apart from the judge) instead of the judge (`attr_cnn_celeba`, the default, what 41
measures with), so that a setting can be chosen without the judge. Either only picks one global setting on faces kept
apart from the measured ones (as 22_tradeoff picks guidance scales); it never selects an edit.

    FEXPR_DATA=../shared/data .venv/bin/python tools/celeba_sweep.py --guidance 3,6,10,15 --attrs Smiling,Eyeglasses --local
    FEXPR_DATA=../shared/data .venv/bin/python tools/celeba_sweep.py --guidance 6 --attr-guidance 0,2,4 --local
    FEXPR_DATA=../shared/data .venv/bin/python tools/celeba_sweep.py --guidance 6 --local --intensity 1,1.5,2 --classifier guide
"""
import argparse, time
import numpy as np
from fexpr.core import load_checkpoint
from fexpr.data import load_celeba
from fexpr.vae import AttributeCNN
from fexpr.edit import Editor, ATTR_CLASSIFIER, ATTR_GUIDE
from fexpr.eval import face_descriptors, measure_attr_edits, DLIB_SAME_PERSON


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--faces', type=int, default=40, help='tuning faces, after the 200 that 41_celeba_figures measures')
    p.add_argument('--procedure', default='friendly', help='ddpm-celeba procedure (default friendly)')
    p.add_argument('--guidance', default='3,6,10', help='comma-separated guidance scales')
    p.add_argument('--strength', default=None, help='comma-separated strengths (default: the procedure\'s)')
    p.add_argument('--steps', type=int, default=10, help='DDIM steps (default 10)')
    p.add_argument('--attrs', default='Smiling,Mouth_Slightly_Open,Eyeglasses,Bangs', help='attributes toggled')
    p.add_argument('--attr-guidance', default=None,
                   help="comma-separated attribute-guide scales (friendly / invert; default: the method's)")
    p.add_argument('--intensity', default='1', help='comma-separated intensities (1: the plain edit)')
    p.add_argument('--classifier', choices=['judge', 'guide'], default='judge',
                   help="who reads the edits: the judge of 41 (attr_cnn_celeba) or the attribute guide (attr_guide_celeba)")
    p.add_argument('--checkpoint', default=None, help='the attribute DDPM (default: the shipped one)')
    p.add_argument('--local', action=argparse.BooleanOptionalAction, default=False,
                   help="edit only the attribute's region (fexpr.photo.attribute_mask)")
    a = p.parse_args(argv)
    ed = Editor(f'ddpm-celeba:{a.procedure}', checkpoint=a.checkpoint)  # the shipped model unless --checkpoint
    ck = load_checkpoint(ed.path)
    faces = load_celeba(size=64)
    held = faces[np.isin(faces.identities.numpy(), ck['heldout_identities'].numpy())]
    tune = np.random.default_rng(0).permutation(len(held))[200:200 + a.faces]  # 41_celeba_figures: [:200], seed 0
    X, A = held.images[tune], held.attributes[tune]
    reader = ATTR_CLASSIFIER if a.classifier == 'judge' else ATTR_GUIDE
    cls, desc = AttributeCNN.from_checkpoint(ed.folder / reader), face_descriptors(X)
    strengths = [None] if a.strength is None else [float(s) for s in a.strength.split(',')]
    ags = [None] if a.attr_guidance is None else [float(x) for x in a.attr_guidance.split(',')]
    grid = [(float(g), s, ag, float(i)) for g in a.guidance.split(',') for s in strengths for ag in ags
            for i in a.intensity.split(',')]
    print(f'model {ed.path}; edits read by the {a.classifier} ({reader})', flush=True)
    for g, s, ag, i in grid:
        for attr in a.attrs.split(','):
            t0 = time.perf_counter()
            df, _ = measure_attr_edits(ed, X, A, [attr], cls, source_descriptors=desc, steps=a.steps, guidance=g,
                                       strength=s, seed=0, local=a.local, attr_guidance=ag, intensity=i)
            on = df.target_value == 1
            print(f'{ed.method} local={a.local} guidance={g:g} strength={s} attr_guidance={ag} intensity={i:g} {attr}: '
                  f'reached {df.reached.mean():.3f} (blurred 1 px {df.reached_blurred.mean():.3f}) '
                  f'(on {df.reached[on].mean():.3f} n={int(on.sum())}, off {df.reached[~on].mean():.3f} '
                  f'n={int((~on).sum())}), flipped {df.flipped.mean():.3f}, others kept {df.others_kept.mean():.3f}, '
                  f'PSNR {df.psnr.mean():.1f}, dlib distance {df.identity_distance.mean():.3f} '
                  f'(same person {(df.identity_distance < DLIB_SAME_PERSON).mean():.3f}), success {df.success.mean():.3f} '
                  f'({time.perf_counter() - t0:.0f} s)', flush=True)


if __name__ == '__main__': main()
