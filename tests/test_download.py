"""End-to-end download of the Antolík et al. 2016 archive from a local HTTP server (never the internet)."""
from __future__ import annotations

import http.server
import io
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import numpy as np
import pytest

from daenr_lite.download import ANTOLIK2016_CHECKSUMS, ChecksumError, DownloadError, download_antolik2016, main
from daenr_lite.download.checksums import file_digest, load_checksum_table, verify_files

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "antolik2016_partial"
needs_real = pytest.mark.skipif(
    not (SHARED / "Data" / "region1" / "raw_validation_set.npy").is_file(),
    reason=f"real recordings not found at {SHARED} (the shared/ folder must sit beside the repository)",
)
pytestmark = [needs_real, pytest.mark.realdata]


# ------------------------------------------------------------------------------------------ fixtures
def _training_inputs(region: int) -> bytes:
    """A small stand-in for region{r}/training_inputs.npy (8-bit values / 1e6), as .npy bytes."""
    buffer = io.BytesIO()
    np.save(buffer, np.random.default_rng(region).integers(0, 256, size=(20, 961)) / 1e6)
    return buffer.getvalue()


def _git_sha1(content: bytes) -> str:
    import hashlib

    return hashlib.sha1(b"blob %d\0" % len(content) + content).hexdigest()


def _archive(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("S1_Dataset/README.txt", b"Antolik et al. 2016 supporting data\n")
        for rel, content in files.items():
            zf.writestr(f"S1_Dataset/Data/{rel}", content)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def payloads():
    """The archive variants the server offers, and the checksum table that matches the good one."""
    files = {
        rel: (SHARED / "Data" / rel).read_bytes() for rel in ANTOLIK2016_CHECKSUMS if not rel.endswith("training_inputs.npy")
    }
    expected = {rel: ANTOLIK2016_CHECKSUMS[rel] for rel in files}
    for region in (1, 2, 3):
        rel = f"region{region}/training_inputs.npy"
        files[rel] = _training_inputs(region)
        expected[rel] = ("git-sha1", _git_sha1(files[rel]))
    good = _archive(files)
    corrupted = dict(files)
    blob = bytearray(corrupted["region2/training_set.npy"])
    blob[-8:] = np.float64(1.5).tobytes() if bytes(blob[-8:]) != np.float64(1.5).tobytes() else bytes(8)
    corrupted["region2/training_set.npy"] = bytes(blob)
    incomplete = {rel: content for rel, content in files.items() if rel != "region3/validation_inputs.npy"}
    return {
        "expected": expected,
        "/s1.zip": good,
        "/corrupted.zip": _archive(corrupted),
        "/incomplete.zip": _archive(incomplete),
        "/truncated.zip": good,  # served with a Content-Length larger than the body
        "/error-page.zip": b"<html>503 Service Unavailable</html>",
    }


@pytest.fixture(scope="module")
def server(payloads):
    """A local HTTP server on 127.0.0.1 (free port); yields (base URL, request counter)."""
    hits: dict[str, int] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            hits[self.path] = hits.get(self.path, 0) + 1
            if self.path == "/redirect":
                self.send_response(302)
                self.send_header("Location", "/s1.zip")
                self.end_headers()
                return
            body = payloads.get(self.path)
            if body is None or self.path == "expected":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Type", "application/zip")
            if self.path == "/truncated.zip":
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body[: len(body) // 2])  # then the connection closes early
                self.wfile.flush()
                self.close_connection = True
                return
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", hits
    httpd.shutdown()
    httpd.server_close()


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _install_good(dest: Path, server, payloads) -> Path:
    base, _ = server
    return download_antolik2016(dest, url=f"{base}/s1.zip", progress=False, expected=payloads["expected"])


# ------------------------------------------------------------------------------------------ tests
def test_packaged_table_has_every_expected_file():
    assert len(ANTOLIK2016_CHECKSUMS) == 15
    assert sum(algo == "git-sha1" for algo, _ in ANTOLIK2016_CHECKSUMS.values()) == 3
    sums = load_checksum_table(
        "\n".join(f"sha256 {line.split()[0]} {line.split()[1]}" for line in (SHARED / "SHA256SUMS").read_text().splitlines())
    )
    assert all(ANTOLIK2016_CHECKSUMS[rel] == value for rel, value in sums.items())
    assert not verify_files(SHARED / "Data", ANTOLIK2016_CHECKSUMS, only=sorted(sums))
    with pytest.raises(ValueError, match="line 1"):
        load_checksum_table("md5 abc region1/x.npy")


def test_git_blob_sha1_matches_git_hash_object(tmp_path):
    path = tmp_path / "blob.bin"
    path.write_bytes(b"hello world\n")
    assert file_digest(path, "git-sha1") == "3b18e512dba79e4c8300dd08aeb37f8e728b8dad"


def test_download_verifies_and_installs_atomically(tmp_path, server, payloads):
    base, hits = server
    before = hits.get("/s1.zip", 0)
    data = download_antolik2016(tmp_path, url=f"{base}/redirect", progress=False, expected=payloads["expected"])
    assert data == tmp_path / "antolik2016" / "Data"
    assert not verify_files(data, payloads["expected"])
    assert sorted(p.name for p in (tmp_path / "antolik2016").iterdir()) == ["Data"]  # no temporary leftovers
    assert hits["/s1.zip"] == before + 1
    # a verified copy is not downloaded again
    assert download_antolik2016(tmp_path, url=f"{base}/s1.zip", progress=False, expected=payloads["expected"]) == data
    assert hits["/s1.zip"] == before + 1
    # and the real files in it load and verify against the packaged checksums
    from daenr_lite.data import load_antolik2016_test_set

    assert load_antolik2016_test_set(1, data_dir=tmp_path, verify=True).test_responses.shape == (10, 50, 103)


def test_checksum_mismatch_keeps_the_good_copy(tmp_path, server, payloads):
    base, _ = server
    data = _install_good(tmp_path, server, payloads)
    before = _snapshot(data)
    with pytest.raises(ChecksumError, match="region2/training_set.npy: sha256 mismatch") as info:
        download_antolik2016(tmp_path, url=f"{base}/corrupted.zip", force=True, progress=False, expected=payloads["expected"])
    assert list(info.value.problems) == ["region2/training_set.npy"]
    assert "left untouched" in str(info.value)
    assert _snapshot(data) == before
    assert sorted(p.name for p in (tmp_path / "antolik2016").iterdir()) == ["Data"]


def test_files_missing_from_the_archive_are_listed(tmp_path, server, payloads):
    base, _ = server
    with pytest.raises(ChecksumError, match="region3/validation_inputs.npy: missing"):
        download_antolik2016(tmp_path, url=f"{base}/incomplete.zip", progress=False, expected=payloads["expected"])
    assert not (tmp_path / "antolik2016" / "Data").exists()
    assert list((tmp_path / "antolik2016").iterdir()) == []


@pytest.mark.parametrize("path, message", [("/truncated.zip", "IncompleteRead"), ("/error-page.zip", "not a complete zip")])
def test_interrupted_transfer_never_passes_as_complete(tmp_path, server, payloads, path, message):
    base, _ = server
    data = _install_good(tmp_path, server, payloads)
    before = _snapshot(data)
    with pytest.raises(DownloadError, match=message):
        download_antolik2016(tmp_path, url=base + path, force=True, progress=False, expected=payloads["expected"])
    assert _snapshot(data) == before
    assert sorted(p.name for p in (tmp_path / "antolik2016").iterdir()) == ["Data"]


def test_force_replaces_a_damaged_copy(tmp_path, server, payloads):
    data = _install_good(tmp_path, server, payloads)
    (data / "region1" / "training_set.npy").write_bytes(b"damaged")
    (data / "region1" / "validation_set.npy").unlink()
    # an existing copy that fails verification is replaced even without force
    _install_good(tmp_path, server, payloads)
    assert not verify_files(data, payloads["expected"])


def test_local_archive_can_be_installed(tmp_path, payloads):
    archive = tmp_path / "s1.zip"
    archive.write_bytes(payloads["/s1.zip"])
    data = download_antolik2016(tmp_path / "dest", archive=archive, progress=False, expected=payloads["expected"])
    assert not verify_files(data, payloads["expected"])
    assert archive.exists()  # a hand-downloaded archive is not deleted
    with pytest.raises(DownloadError, match="does not exist"):
        download_antolik2016(tmp_path / "dest2", archive=tmp_path / "nope.zip", progress=False)


def test_unreachable_server_gives_a_clear_error(tmp_path):
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(DownloadError, match="Check the network connection"):
        download_antolik2016(tmp_path, url=f"http://127.0.0.1:{port}/s1.zip", progress=False)


def test_cli_main_reports_failures_with_exit_code_1(tmp_path, server, capsys):
    base, _ = server
    # the packaged table expects the published training images, which the stand-in archive lacks
    code = main(["antolik2016", "--dest", str(tmp_path), "--url", f"{base}/s1.zip", "--quiet"])
    assert code == 1
    err = capsys.readouterr().err
    assert "region1/training_inputs.npy: git-sha1 mismatch" in err
    assert "region1/training_set.npy" not in err  # the real files verified
    assert not (tmp_path / "antolik2016" / "Data").exists()
    assert main(["nonsense"]) == 2


def test_cli_module_runs(tmp_path):
    result = subprocess.run([sys.executable, "-m", "daenr_lite.download", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "antolik2016" in result.stdout and "--dest" in result.stdout


# ------------------------------------------------------------------------------------------ issue 12
def test_http_404_names_the_status_and_the_url(tmp_path, server):
    base, _ = server
    with pytest.raises(DownloadError, match=r"answered HTTP 404.* for .*/missing\.zip.*--url.*--archive") as info:
        download_antolik2016(tmp_path, url=f"{base}/missing.zip", progress=False)
    assert "network connection" not in str(info.value)


def test_network_error_suggests_archive_and_url(tmp_path):
    with pytest.raises(DownloadError, match=r"network connection.*--url URL.*DAENR_DOWNLOAD_URL.*--archive PATH"):
        download_antolik2016(tmp_path, url="http://127.0.0.1:9/s1.zip", progress=False)


def test_mirror_from_the_environment(tmp_path, server, payloads, monkeypatch):
    base, hits = server
    monkeypatch.setenv("DAENR_DOWNLOAD_URL", f"{base}/s1.zip")
    before = hits.get("/s1.zip", 0)
    data = download_antolik2016(tmp_path, progress=False, expected=payloads["expected"])
    assert hits["/s1.zip"] == before + 1 and not verify_files(data, payloads["expected"])


def test_zip_member_check_uses_a_path_separator(tmp_path, payloads):
    # "../unpacked-evil/x" resolves to a sibling whose name merely starts with "unpacked"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        zf.writestr("../unpacked-evil/x.txt", b"outside")
    archive = tmp_path / "evil.zip"
    archive.write_bytes(buffer.getvalue())
    with pytest.raises(DownloadError, match="unsafe path"):
        download_antolik2016(tmp_path / "dest", archive=archive, progress=False, expected=payloads["expected"])
    assert not list((tmp_path / "dest").rglob("unpacked-evil"))


def test_workdir_of_a_killed_download_is_cleaned_up(tmp_path, payloads):
    import os
    import socket

    parent = tmp_path / "dest" / "antolik2016"
    parent.mkdir(parents=True)
    dead, alive = parent / ".download-dead", parent / ".download-alive"
    for folder, pid in ((dead, 2**22 + 12345), (alive, os.getpid())):
        (folder / "unpacked").mkdir(parents=True)
        (folder / "owner").write_text(f"{socket.gethostname()} {pid}\n")
    archive = tmp_path / "s1.zip"
    archive.write_bytes(payloads["/s1.zip"])
    download_antolik2016(tmp_path / "dest", archive=archive, progress=False, expected=payloads["expected"])
    assert not dead.exists() and alive.exists()  # a running download's folder is left alone
    assert sorted(p.name for p in parent.iterdir()) == [".download-alive", "Data"]


def test_destination_that_is_a_file_is_one_line_and_exit_1(tmp_path, capsys):
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("x")
    assert main(["antolik2016", "--dest", str(not_a_folder), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "is a file, not a folder" in err and "--dest" in err
    assert len(err.strip().splitlines()) == 1


def test_unwritable_destination_is_one_line_and_exit_1(tmp_path, capsys, monkeypatch):
    import tempfile

    def denied(*_args, **_kwargs):  # what mkdtemp raises in a folder without write permission (even as root here)
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkdtemp", denied)
    assert main(["antolik2016", "--dest", str(tmp_path), "--quiet"]) == 1
    err = capsys.readouterr().err
    assert "not writable (permission denied)" in err and "--dest" in err and len(err.strip().splitlines()) == 1
