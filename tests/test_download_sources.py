"""Where a download comes from: redirect loops, file:// URLs and local paths, a bad or blank
$DAENR_DOWNLOAD_URL (issue 23, defect 11). A local HTTP server and synthetic archives; never the internet
and no real recordings needed."""
from __future__ import annotations

import hashlib
import http.server
import io
import threading
import zipfile
from pathlib import Path

import pytest

from daenr_lite.download import DownloadError, download_antolik2016, main
from daenr_lite.download.antolik2016 import DEFAULT_URL, URL_ENV, default_url
from daenr_lite.download.checksums import verify_files

FILES = {"region1/training_set.npy": b"responses", "region1/validation_set.npy": b"averages"}
EXPECTED = {rel: ("sha256", hashlib.sha256(content).hexdigest()) for rel, content in FILES.items()}


def _archive_bytes() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as zf:
        for rel, content in FILES.items():
            zf.writestr(f"S1_Dataset/Data/{rel}", content)
    return buffer.getvalue()


@pytest.fixture(scope="module")
def server():
    body = _archive_bytes()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            if self.path in ("/loop", "/loop2"):  # /loop -> /loop2 -> /loop -> ...
                self.send_response(302)
                self.send_header("Location", "/loop2" if self.path == "/loop" else "/loop")
                self.end_headers()
                return
            if self.path != "/s1.zip":
                self.send_error(404)
                return
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(autouse=True)
def _no_mirror(monkeypatch):
    monkeypatch.delenv(URL_ENV, raising=False)


def _one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.startswith("error: ") and len(err.strip().splitlines()) == 1, err
    return err


def test_a_redirect_loop_has_its_own_message(tmp_path, server):
    with pytest.raises(DownloadError, match=r"redirects in a loop") as info:
        download_antolik2016(tmp_path, url=f"{server}/loop", progress=False, expected=EXPECTED)
    message = str(info.value)
    assert "HTTP 302" not in message and "network connection" not in message
    assert "--url URL" in message and "--archive PATH" in message
    assert not (tmp_path / "antolik2016" / "Data").exists()


def test_a_file_url_and_a_plain_path_install_the_archive_without_deleting_it(tmp_path):
    archive = tmp_path / "S1 copy.zip"
    archive.write_bytes(_archive_bytes())
    for dest, url in ((tmp_path / "a", archive.as_uri()), (tmp_path / "b", str(archive))):
        data = download_antolik2016(dest, url=url, progress=False, expected=EXPECTED)
        assert not verify_files(data, EXPECTED)
        assert archive.read_bytes() == _archive_bytes()


@pytest.mark.parametrize("kind", ["file-url", "path"])
def test_a_missing_local_archive_says_so_not_check_the_network(tmp_path, kind):
    missing = tmp_path / "nope.zip"
    url = missing.as_uri() if kind == "file-url" else str(missing)
    with pytest.raises(DownloadError, match=r"nope\.zip does not exist") as info:
        download_antolik2016(tmp_path / "dest", url=url, progress=False, expected=EXPECTED)
    assert "network" not in str(info.value)


def test_an_unsupported_scheme_is_named(tmp_path):
    with pytest.raises(DownloadError, match=r"'ftp' addresses are not supported.*http\(s\)://.*file://") as info:
        download_antolik2016(tmp_path, url="ftp://mirror.example/s1.zip", progress=False, expected=EXPECTED)
    assert "network" not in str(info.value)


def test_a_bad_mirror_variable_is_named_as_the_source(tmp_path, server, monkeypatch, capsys):
    monkeypatch.setenv(URL_ENV, f"{server}/missing.zip")
    with pytest.raises(DownloadError, match=rf"HTTP 404.*/missing\.zip \(from \${URL_ENV}\).*unset {URL_ENV}"):
        download_antolik2016(tmp_path, progress=False, expected=EXPECTED)
    monkeypatch.setenv(URL_ENV, f"{server}/loop")
    with pytest.raises(DownloadError, match=rf"/loop \(from \${URL_ENV}\) redirects in a loop"):
        download_antolik2016(tmp_path, progress=False, expected=EXPECTED)
    monkeypatch.setenv(URL_ENV, str(tmp_path / "gone.zip"))
    assert main(["antolik2016", "--dest", str(tmp_path), "--quiet"]) == 1
    assert f"gone.zip (from ${URL_ENV}) does not exist" in _one_line_error(capsys)
    # an explicit --url is not blamed on the variable
    with pytest.raises(DownloadError) as info:
        download_antolik2016(tmp_path, url=f"{server}/missing.zip", progress=False, expected=EXPECTED)
    assert URL_ENV not in str(info.value).split("Pass another")[0]


@pytest.mark.parametrize("blank", ["", "   ", "\t"])
def test_a_blank_mirror_variable_is_one_line_not_a_silent_fallback(tmp_path, monkeypatch, capsys, blank):
    monkeypatch.setenv(URL_ENV, blank)
    with pytest.raises(DownloadError, match=rf"\${URL_ENV} is set but blank"):
        default_url()
    assert main(["antolik2016", "--dest", str(tmp_path), "--quiet"]) == 1
    err = _one_line_error(capsys)
    assert f"unset {URL_ENV}" in err and not (tmp_path / "antolik2016").exists()
    from daenr_lite import cli

    assert cli.main(["download", "antolik2016", "--dest", str(tmp_path)]) == 1
    assert "is set but blank" in _one_line_error(capsys)


def test_a_blank_url_option_is_refused(tmp_path, capsys):
    assert main(["antolik2016", "--dest", str(tmp_path), "--url", " ", "--quiet"]) == 1
    assert "--url is blank" in _one_line_error(capsys)


def test_the_default_address_is_used_without_the_variable():
    assert default_url() == DEFAULT_URL
