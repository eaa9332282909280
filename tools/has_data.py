"""Exit 0 when the data root ($FEXPR_DATA, else ./data) holds at least one dataset fexpr reads, else 1 (with a note).

`make reproduce` uses it to decide whether to go on from the demo to the experiment notebooks.
"""
import sys
from fexpr.core import data_root

NAMES = ['fer2013.zip', 'fer2013', 'fer2013.csv', 'ckplus.zip', 'CK+', 'ckplus', 'taiwanese_actors.zip', 'faces_256x256',
         'celeba_10k.zip', 'celeba.zip', 'celeba', 'CelebA']

root = data_root()
found = [n for n in NAMES if (root / n).exists()]
if found:
    print(f'data root {root}: {", ".join(found)}')
    sys.exit(0)
print(f'no dataset in the data root {root.resolve()} (set FEXPR_DATA, see data/README.md): stopping after the demo')
sys.exit(1)
