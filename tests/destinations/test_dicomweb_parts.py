"""DICOMweb helpers without a server: URL parsing, query strings, multipart, authentication."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from filmroom.destinations.dicomweb import parse_destination_url, qido_query_string
from filmroom.destinations.dicomweb_auth import BearerAuth, resolve_auth
from filmroom.destinations.dicomweb_multipart import MultipartBody, split_parts
from filmroom.errors import ConfigurationError


def test_parse_url_secret_block() -> None:
    base, secret = parse_destination_url("https://pacs.example:8443/dicom-web/?secret=pacs-login")
    assert base == "https://pacs.example:8443/dicom-web"
    assert secret == "pacs-login"


def test_parse_url_unknown_parameter() -> None:
    with pytest.raises(ConfigurationError, match="Unknown query parameter"):
        parse_destination_url("https://pacs.example/dicom-web?user=x")


def test_qido_query_wildcards_unsafe() -> None:
    query = qido_query_string(
        {"PatientID": "VP/20 02&x=%", "includefield": ["00100010", "00102201"]}
    )
    assert query == "PatientID=VP/20?02?x??&includefield=00100010&includefield=00102201"


def test_multipart_round_trip(tmp_path: Path) -> None:
    first = tmp_path / "a.dcm"
    second = tmp_path / "b.dcm"
    first.write_bytes(b"\x00first\r\n--not-a-boundary")
    second.write_bytes(bytes(range(256)) * 10)
    body = MultipartBody([first, second])
    content = b"".join(body)
    assert len(content) == body.content_length
    assert b"".join(body) == content
    assert split_parts(content, body.content_type) == [first.read_bytes(), second.read_bytes()]


def test_split_parts_needs_boundary() -> None:
    with pytest.raises(ValueError, match="boundary"):
        split_parts(b"", "application/dicom")


def test_auth_token_from_environment() -> None:
    auth = resolve_auth(None, {"FILMROOM_DICOMWEB_TOKEN": "abc"})
    request = httpx.Request("GET", "https://pacs.example/")
    flow = auth.auth_flow(request)  # type: ignore[union-attr]
    assert isinstance(auth, BearerAuth)
    assert next(flow).headers["Authorization"] == "Bearer abc"
    assert "abc" not in repr(auth)


def test_auth_basic_from_environment() -> None:
    auth = resolve_auth(None, {"FILMROOM_DICOMWEB_USER": "u", "FILMROOM_DICOMWEB_PASSWORD": "p"})
    assert isinstance(auth, httpx.BasicAuth)


def test_auth_user_without_password() -> None:
    with pytest.raises(ConfigurationError, match="FILMROOM_DICOMWEB_PASSWORD"):
        resolve_auth(None, {"FILMROOM_DICOMWEB_USER": "u"})


def test_auth_none_by_default() -> None:
    assert resolve_auth(None, {}) is None


def test_auth_secret_block_basic(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "filmroom.destinations.dicomweb_auth.load_secret_block", lambda name: "u:p:q"
    )
    auth = resolve_auth("pacs-login", {"FILMROOM_DICOMWEB_TOKEN": "ignored"})
    request = next(auth.auth_flow(httpx.Request("GET", "https://pacs.example/")))  # type: ignore[union-attr]
    assert request.headers["Authorization"] == httpx.BasicAuth("u", "p:q")._auth_header


def test_auth_secret_block_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(
        "filmroom.destinations.dicomweb_auth.load_secret_block", lambda name: "eyJhbGciOi.x.y"
    )
    assert isinstance(resolve_auth("pacs-token", {}), BearerAuth)
