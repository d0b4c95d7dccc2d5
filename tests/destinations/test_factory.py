"""open_destination: parsing of the accepted forms and errors for the rest."""

from __future__ import annotations

from pathlib import Path

import pytest

from filmroom.destinations import Destination, LocalArchive, open_destination
from filmroom.destinations.factory import parse_dicom_spec
from filmroom.errors import ConfigurationError
from filmroom.settings import ArchiveSettings


def test_open_relative_path_local(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with open_destination("./archive", ArchiveSettings()) as destination:
        assert isinstance(destination, LocalArchive)
        assert destination.name == f"local:{(tmp_path / 'archive').resolve().as_posix()}"


def test_open_file_url_local(tmp_path: Path) -> None:
    with open_destination(f"file://{tmp_path}/my%20archive", ArchiveSettings()) as destination:
        assert isinstance(destination, LocalArchive)
        assert destination.root == (tmp_path / "my archive").resolve()


def test_destinations_match_protocol(tmp_path: Path) -> None:
    with open_destination(str(tmp_path / "archive"), ArchiveSettings()) as destination:
        assert isinstance(destination, Destination)


def test_parse_dicom_spec_parts() -> None:
    assert parse_dicom_spec("dicom://PACS_1@127.0.0.1:4242") == ("PACS_1", "127.0.0.1", 4242)


@pytest.mark.parametrize(
    "spec",
    [
        "dicom://127.0.0.1:4242",
        "dicom://PACS@127.0.0.1",
        "dicom://PACS@127.0.0.1:0",
        "dicom://PACS@127.0.0.1:99999",
        "dicom://AN_AE_TITLE_TOO_LONG@127.0.0.1:4242",
        "dicom://PACS@127.0.0.1:4242/path",
    ],
)
def test_parse_dicom_spec_invalid(spec: str) -> None:
    with pytest.raises(ConfigurationError, match="Accepted forms"):
        parse_dicom_spec(spec)


@pytest.mark.parametrize("spec", ["", "   ", "ftp://host/archive", "file://otherhost/archive"])
def test_open_invalid_spec(spec: str) -> None:
    with pytest.raises(ConfigurationError, match="Accepted forms"):
        open_destination(spec, ArchiveSettings())


def test_open_dicomweb_with_credentials_in_url() -> None:
    with pytest.raises(ConfigurationError, match="must not contain credentials") as raised:
        open_destination("http://user:hunter2@127.0.0.1:9/dicom-web", ArchiveSettings())
    assert "hunter2" not in str(raised.value)


def test_open_dicomweb_unreachable() -> None:
    from orthanc_server import free_port

    with pytest.raises(ConfigurationError, match="unreachable"):
        open_destination(
            f"http://127.0.0.1:{free_port()}/dicom-web", ArchiveSettings(timeout_seconds=2)
        )
