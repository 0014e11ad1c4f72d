"""Fit ``prompts/tool_model.npz``: the planner's learned tool model, from dev gold plans only.

Every development item (``dev.jsonl``) is one example: the features of its normalised request
(:func:`agent.planners.tool_model.tokens`: words, word pairs, the scene count) and, per label,
whether its gold plan requires that tool (``DECLINE``: the gold requires none). Each label gets
an L2-regularised logistic regression (``C`` times the summed log-loss plus half the squared
weights, minimised with L-BFGS from zeros: the same corpus gives the same weights). Words seen
in fewer than ``MIN_DF`` requests are left out. The held-out part is refused by file name and
by item source (``split.py``); the model's metadata records the SHA-256 of the file it was
fitted on, and ``--check`` (run by the tests) fails when ``dev.jsonl`` has changed since.

``--cv K`` measures what the model adds on requests it never saw: the sources are dealt into
``K`` folds, each fold is planned with weights fitted on the other folds, and the pooled report
is printed (and written with ``--out``). The shipped weights are fitted on the whole dev part.

Usage: python eval/corpus/tool_model.py [--check] [--cv K [--out REPORT.json]]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(HERE))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from scipy.optimize import minimize  # noqa: E402
from split import SPLIT  # noqa: E402

from agent.planners.text import read_request  # noqa: E402
from agent.planners.tool_model import (  # noqa: E402
    DECLINE,
    MODEL_FILE,
    ToolModel,
    read,
    scene_count,
    tokens,
)
from agent.planners.vocab import get_vocabulary  # noqa: E402

DEV = HERE / "dev.jsonl"
OUTPUT = ROOT / "prompts" / MODEL_FILE
C = 4.0
"""Inverse regularisation strength (chosen on later rounds of dev sources, see README)."""
MIN_DF = 2
HELD_OUT = frozenset(SPLIT["heldout"])


def load_items(path: Path = DEV) -> list[dict[str, Any]]:
    """The development items (refuses the held-out file and held-out sources)."""
    if path.name.startswith("heldout"):
        raise SystemExit(f"{path}: the held-out part is never used for fitting")
    items = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    if bad := sorted({i["source"] for i in items} & HELD_OUT):
        raise SystemExit(f"{path}: held-out sources {bad} must not be fitted on")
    return items


def features(items: Sequence[dict[str, Any]]) -> list[list[str]]:
    """The feature tokens of each item, as the planner computes them at run time."""
    vocab = get_vocabulary()
    out = []
    for item in items:
        req = read_request(item["question"], vocab.corrector)
        out.append(tokens(req.norm, scene_count(item.get("images", []), req, vocab)))
    return out


def labels_of(items: Sequence[dict[str, Any]]) -> tuple[list[str], np.ndarray]:
    """The labels (tools any gold requires, then ``DECLINE``) and the 0/1 target matrix: a tool
    is 1 where the gold requires it, ``DECLINE`` where the gold requires no tool."""
    tools = sorted({t for i in items for t in i["gold"]["required"]})
    labels = [*tools, DECLINE]
    y = np.array([[t in i["gold"]["required"] if t != DECLINE else not i["gold"]["required"]
                   for t in labels] for i in items], dtype=np.float64)
    return labels, y


def _logistic(x: sparse.csr_matrix, y: np.ndarray, c: float) -> tuple[np.ndarray, float]:
    """Weights and intercept minimising ``c * sum(log-loss) + |w|^2 / 2``."""
    d = x.shape[1]
    sign = 2.0 * y - 1.0

    def loss(theta: np.ndarray) -> tuple[float, np.ndarray]:
        w, b = theta[:d], theta[d]
        z = sign * (x @ w + b)
        value = c * float(np.logaddexp(0.0, -z).sum()) + 0.5 * float(w @ w)
        g = -c * sign * (1.0 / (1.0 + np.exp(z)))
        return value, np.concatenate([x.T @ g + w, [g.sum()]])

    res = minimize(loss, np.zeros(d + 1), jac=True, method="L-BFGS-B",
                   options={"maxiter": 2000, "gtol": 1e-6})
    return res.x[:d], float(res.x[d])


def fit(items: Sequence[dict[str, Any]], feats: Sequence[list[str]] | None = None,
        c: float = C) -> ToolModel:
    """Fit the model on ``items`` (their features computed when not given)."""
    feats = list(feats) if feats is not None else features(items)
    df: dict[str, int] = {}
    for f in feats:
        for term in set(f):
            df[term] = df.get(term, 0) + 1
    terms = sorted(t for t, k in df.items() if k >= MIN_DF)
    index = {t: i for i, t in enumerate(terms)}
    n = len(items)
    idf = np.array([np.log((1 + n) / (1 + df[t])) + 1.0 for t in terms], np.float32)
    empty = ToolModel(labels=(), index=index, idf=idf, coef=np.zeros((len(terms), 0), np.float32),
                      intercept=np.zeros(0, np.float32))
    rows, cols, vals = [], [], []
    for r, f in enumerate(feats):
        cc, vv = empty.vector(f)
        rows += [r] * len(cc)
        cols += cc.tolist()
        vals += vv.tolist()
    x = sparse.csr_matrix((vals, (rows, cols)), shape=(n, len(terms)), dtype=np.float64)
    labels, y = labels_of(items)
    fitted = [_logistic(x, y[:, j], c) for j in range(len(labels))]
    return ToolModel(
        labels=tuple(labels), index=index, idf=idf,
        coef=np.stack([w for w, _ in fitted], axis=1).astype(np.float32),
        intercept=np.array([b for _, b in fitted], np.float32),
        meta={"corpus": DEV.name, "corpus_sha256": sha256(DEV), "requests": n, "C": c,
              "min_df": MIN_DF, "terms": len(terms)})


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def check() -> int:
    """0 when the shipped weights were fitted on the current ``dev.jsonl``."""
    meta = read(OUTPUT).meta
    if meta.get("corpus_sha256") != sha256(DEV):
        print(f"{OUTPUT.relative_to(ROOT)} was fitted on another {DEV.name}: rerun "
              "python eval/corpus/tool_model.py", file=sys.stderr)
        return 1
    print(f"{OUTPUT.relative_to(ROOT)}: fitted on the current {DEV.name} "
          f"({meta['requests']} requests, {meta['terms']} terms)")
    return 0


def cross_validate(k: int, out: Path | None) -> None:
    """Plan each of ``k`` source folds with weights fitted on the others; print the report."""
    from agent.evaluate import EvalReport, Query, _report, evaluate_queries
    from agent.planners.tool_model import using

    items = load_items()
    feats = features(items)
    sources = sorted({i["source"] for i in items})
    fold = {s: n % k for n, s in enumerate(sources)}
    results, elapsed = [], 0.0
    for j in range(k):
        train = [n for n, i in enumerate(items) if fold[i["source"]] != j]
        model = fit([items[n] for n in train], [feats[n] for n in train])
        test = [Query.model_validate(i) for i in items if fold[i["source"]] == j]
        with using(model):
            report = evaluate_queries(test, "offline", file=f"fold {j + 1}/{k}")
        results += report.items
        elapsed += report.mean_plan_ms * report.n_queries / 1000
        print(f"fold {j + 1}/{k}: {report.n_queries} requests, F1 {report.tool_f1:.3f}",
              file=sys.stderr)
    pooled: EvalReport = _report(results, "offline", f"{DEV.name} ({k}-fold by source)",
                                 elapsed)
    print(f"{k}-fold by source: n={pooled.n_queries} F1={pooled.tool_f1:.3f} "
          f"exact={pooled.exact_set.rate:.3f} args={pooled.arguments.rate:.3f} "
          f"declines={pooled.out_of_scope.rate:.3f}")
    if out is not None:
        out.write_text(pooled.model_dump_json(), encoding="utf-8")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="verify, write nothing")
    parser.add_argument("--cv", type=int, metavar="K", help="K-fold cross-validation by source")
    parser.add_argument("--out", type=Path, help="where --cv writes its report (JSON)")
    args = parser.parse_args(argv)
    if args.out is not None and args.cv is None:
        parser.error("--out goes with --cv")
    if args.check:
        return check()
    if args.cv is not None:
        if args.cv < 2:
            parser.error("--cv needs K >= 2")
        cross_validate(args.cv, args.out)
        return 0
    model = fit(load_items())
    tmp = OUTPUT.with_name(OUTPUT.stem + ".tmp.npz")
    model.save(tmp)
    tmp.replace(OUTPUT)
    print(f"wrote {OUTPUT.relative_to(ROOT)}: {len(model.labels)} labels, "
          f"{len(model.index)} terms, fitted on {model.meta['requests']} requests")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
