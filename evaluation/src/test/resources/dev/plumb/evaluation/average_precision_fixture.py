"""Writes average_precision_fixture.csv: labels and scores with ties, and scikit-learn's values.

Run from this folder with a Python that has numpy and scikit-learn:

    python average_precision_fixture.py > average_precision_fixture.csv

The expected values are written as '#' comment lines at the top of the CSV; the tests read them
from there. Scores are written with repr(), which round-trips to the same double in Java.
"""

import numpy as np
import sklearn
from sklearn.metrics import average_precision_score, roc_auc_score

rng = np.random.RandomState(20261203)
labels = []
scores = []
# 1. Informative scores rounded to 2 decimals: many exact ties, positives and negatives mixed.
for _ in range(240):
    y = int(rng.rand() < 0.25)
    labels.append(y)
    scores.append(round(0.3 * y + 0.7 * rng.rand(), 2))
# 2. A cluster 1e-7 apart inside one 1e-5 score bin, with repeats: the bins cannot order it.
for i in range(60):
    y = int(rng.rand() < 0.4)
    labels.append(y)
    scores.append(0.61 + 1e-7 * int(rng.randint(0, 12)))
# 3. A block of identical scores holding both classes.
for i in range(40):
    labels.append(int(i % 5 == 0))
    scores.append(0.5)
# 4. Unrounded scores.
for _ in range(60):
    y = int(rng.rand() < 0.3)
    labels.append(y)
    scores.append(float(0.2 * y + 0.8 * rng.rand()))

y_true = np.array(labels)
y_score = np.array(scores)
print(f"# scikit-learn {sklearn.__version__}, numpy {np.__version__}")
print(f"# average_precision_score = {average_precision_score(y_true, y_score)!r}")
print(f"# roc_auc_score = {roc_auc_score(y_true, y_score)!r}")
print("label,score")
for y, s in zip(labels, scores):
    print(f"{y},{s!r}")
