"""`askreport eval`: one set or several, plain figures or cross-validated (--cv K)."""
from __future__ import annotations

from pathlib import Path

import config


def run(args, default_index: Path, open_default) -> None:
    """Raises ValueError (shown as one line, exit code 2) for a bad combination of arguments."""
    from .evaluate import run_eval
    sets = [eval_set(arg) for arg in args.files]
    searchers: dict = {}

    def searcher_for(index: str | None):
        folder = config.index_dir(index) if index else default_index
        if folder not in searchers:                     # one searcher per index, however many sets use it
            if index:
                from search import Searcher
                searchers[folder] = Searcher.open(folder)
            else:
                searchers[folder] = open_default()
        return searchers[folder]

    judge = None
    if getattr(args, "judge", False):
        from check.judge import get_judge
        if (judge := get_judge()) is None:
            raise ValueError("the judge is not installed (askreport models install judge)")
        judge.load()
    if args.cv is None:
        if args.results and len(sets) > 1:
            raise ValueError("--results takes one set; give one FILE")
        if args.save:
            raise ValueError("--save needs --cv K")
        if getattr(args, "decision", False):
            raise ValueError("--decision needs --cv K")
        for path, index in sets:
            if len(sets) > 1:
                print(f"== {path}")
            searcher = searcher_for(index)
            weights = " ".join(f"{k}={getattr(searcher.settings, k):g}" for k in
                               ("w_dense_passage", "w_dense_sentence", "w_bm25", "table_bm25", "w_named"))
            print(f"fusion weights ({searcher.info.name} preset, search/weights.toml): {weights}")
            run_eval(searcher, path, k=args.k, results_path=args.results, judge=judge)
        return
    if args.results:
        raise ValueError("--results is for a plain run, not --cv")
    if getattr(args, "decision", False):
        from .decision_cv import run as run_decision
        run_decision([(searcher_for(index), path) for path, index in sets], args.cv, seed=args.seed, judge=judge)
        return
    from .fit import run_cv
    run_cv([(searcher_for(index), path) for path, index in sets], args.cv, seed=args.seed,
           pool=args.pool, save=args.save)


def eval_set(arg: str) -> tuple[Path, str | None]:
    """FILE, or FILE=INDEX_DIR for a set searched in another index than --index-dir's."""
    path, _, index = arg.partition("=") if "=" in arg and not Path(arg).exists() else (arg, "", "")
    if not Path(path).is_file():
        raise ValueError(f"no such query set: {path}")
    return Path(path), index or None
