"""How often dlib calls two real CelebA photos of one person the same person when an attribute differs between them.

The CelebA edit table's same-person rate (dlib descriptor distance < 0.6 between source and edit, 64x64 crops) asks
an edit to keep the person. This script measures what the attribute itself does to that measure on real photos:
for each attribute, pairs of photos of one person whose annotations of it differ (`fexpr.data.attribute_pairs`, each
pair once) against as many pairs of one person whose annotations of it agree, the same-person rate of each with a
95% bootstrap interval, and the mean distance. If the rate drops where the attribute differs, dlib reacts to the
attribute itself, and an edit that changes it cannot keep dlib's verdict as often as one that changes nothing.

    FEXPR_DATA=../shared/data .venv/bin/python tools/real_pair_identity.py                # Bangs, Eyeglasses, Smiling
    FEXPR_DATA=../shared/data .venv/bin/python tools/real_pair_identity.py --attrs Mouth_Slightly_Open --size 128
"""
import argparse, sys
import numpy as np
from fexpr.data import load_celeba, attribute_pairs
from fexpr.faces import CELEBA_ATTRS
from fexpr.eval import identity_distance, bootstrap_ci, DLIB_SAME_PERSON


def agreeing_pairs(ids:np.ndarray, values:np.ndarray, n:int, seed:int=0) -> np.ndarray:
    "(<=n,2): for photos in a seeded order, another photo of the same person with the same value (each pair once)."
    rng, out = np.random.default_rng(seed), []
    for i in rng.permutation(np.flatnonzero(ids >= 0)):
        j = np.flatnonzero((ids == ids[i]) & (values == values[i]) & (np.arange(len(ids)) > i))
        if len(j): out.append((i, rng.choice(j)))
    out = np.array(out, dtype=np.int64).reshape(-1, 2)
    return out[rng.permutation(len(out))[:n]]


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument('--attrs', default='Bangs,Eyeglasses,Smiling', help='comma-separated CelebA attributes')
    p.add_argument('--size', type=int, default=64, help='crop side the photos are compared at (the edits: 64)')
    p.add_argument('--seed', type=int, default=0)
    a = p.parse_args(argv)
    names = [s.strip() for s in a.attrs.split(',') if s.strip()]
    bad = [s for s in names if s not in CELEBA_ATTRS]
    if bad or not names:
        sys.exit(f'real_pair_identity: unknown attribute(s) {bad or names}; valid: {", ".join(CELEBA_ATTRS)}')
    try: fs = load_celeba(size=a.size)
    except (FileNotFoundError, ValueError) as e: sys.exit(f'real_pair_identity: {e}')
    ids, A = fs.identities.numpy(), fs.attributes.numpy()
    for attr in names:
        v = A[:, CELEBA_ATTRS.index(attr)]
        differ = attribute_pairs(ids, v, seed=a.seed)
        differ = differ[differ[:, 0] < differ[:, 1]]  # each pair once
        for kind, pairs in (('differ', differ), ('agree', agreeing_pairs(ids, v, len(differ), a.seed))):
            if not len(pairs):
                print(f'{attr} {kind}: no such pair'); continue
            d = identity_distance(fs.images[pairs[:, 0]], fs.images[pairs[:, 1]])
            ci = bootstrap_ci(np.mean, (d < DLIB_SAME_PERSON).astype(float), n_boot=1000, seed=a.seed)
            print(f'{attr} {kind}: n={len(pairs)} pairs, same person {ci["value"]:.3f} [{ci["lo"]:.3f}, '
                  f'{ci["hi"]:.3f}], dlib distance {d.mean():.3f}', flush=True)


if __name__ == '__main__': main()
