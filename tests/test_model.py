"""The bundled embedding model: found without importing its package, extracted once, verified."""

import importlib
import subprocess
import sys
import zipfile

import numpy as np
import pytest

from analysis import embed


def _fake_package(root, payload: bytes):
    pkg = root / "all_minilm_l6_v2"
    pkg.mkdir(parents=True)
    (pkg / "__init__.py").write_text("raise RuntimeError('must not be imported')\n")
    with zipfile.ZipFile(pkg / "model.zip", "w") as zf:
        zf.writestr("model.safetensors", payload)
        zf.writestr("config.json", "{}")
    return root


def test_tampered_weights_are_refused(tmp_path, monkeypatch):
    root = _fake_package(tmp_path / "site", b"not the real weights")
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setenv("GAPLENS_CACHE", str(tmp_path / "cache"))
    importlib.invalidate_caches()
    with pytest.raises(embed.ModelError, match="SHA-256"):
        embed.bundled_model_dir()
    assert not (tmp_path / "cache" / "models" / "all-MiniLM-L6-v2").exists()


def test_model_names_resolve(tmp_path):
    assert embed.resolve_model(str(tmp_path))[0] == f"path:{tmp_path.resolve()}"
    assert embed.resolve_model("some-org/some-model") == (
        "some-org/some-model",
        "some-org/some-model",
    )


def test_core_does_not_import_textual():
    code = (
        "import sys, gaplens.store, gaplens.cli, ingest, analysis.pipeline, analysis.results;"
        "print('textual' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.slow
def test_bundled_model_extracts_verifies_and_embeds(tmp_path, monkeypatch):
    monkeypatch.setenv("GAPLENS_CACHE", str(tmp_path / "cache"))
    path = embed.bundled_model_dir()
    assert (path / ".verified").read_text().strip() == embed.BUNDLED_SHA256
    assert embed.bundled_model_dir() == path  # second call reuses the extraction
    model = embed.SentenceTransformerEmbedder()
    vectors = model.encode(
        [
            "Do you support SAML single sign-on?",
            "Is SSO via Okta possible?",
            "We lost the deal on price",
        ]
    )
    assert vectors.shape == (3, 384)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2] + 0.2
