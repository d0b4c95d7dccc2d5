"""One typed settings object for a migration, with a documented default for each field.

Values come from command-line options, an optional TOML settings file and the
environment (``FILMROOM_`` prefix). Secrets for destinations are read only from the
environment or a Prefect Secret block, never from this object.
"""

from __future__ import annotations

import enum
import tomllib
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from filmroom.errors import ConfigurationError


class PatientNameConvention(str, enum.Enum):
    """Form of PatientName (0010,0010) for an animal."""

    OWNER_PET = "owner_pet"  # OwnerSurname^PetName, the DICOM veterinary convention
    PET = "pet"  # the pet name alone, for archives that expect it


class Compression(str, enum.Enum):
    """Transfer syntax for new objects whose source is not a JPEG file."""

    NONE = "none"  # Explicit VR Little Endian
    JPEG2000 = "jpeg2000"  # JPEG 2000 lossless
    JPEGLS = "jpegls"  # JPEG-LS lossless
    RLE = "rle"  # RLE lossless


class MatchSettings(BaseModel):
    """Thresholds for patient matching. Scores are in [0, 1]."""

    model_config = ConfigDict(extra="forbid")

    auto_min_score: float = Field(0.90, description="Best candidate's minimum score for an automatic match")
    auto_min_margin: float = Field(0.15, description="Minimum lead of the best candidate over the second")
    plausible_min_score: float = Field(0.45, description="Below this no candidate is plausible: unmatched")


class LabelSettings(BaseModel):
    """Label reading settings."""

    model_config = ConfigDict(extra="forbid")

    language: str = Field("eng", description="Tesseract language data to use")
    auto_accept_confidence: float = Field(
        0.80, description="Field confidence at or above which a label value is trusted without review"
    )
    tesseract_cmd: str | None = Field(None, description="Path of the tesseract binary; None uses PATH")


class DicomSettings(BaseModel):
    """Settings for writing new DICOM objects and re-mapping legacy ones."""

    model_config = ConfigDict(extra="forbid")

    uid_root: str = Field("2.25", description="UID root; 2.25 derives UUID-form UIDs from content")
    patient_name_convention: PatientNameConvention = PatientNameConvention.OWNER_PET
    compression: Compression = Compression.NONE
    responsible_organization: str = Field("", description="Practice name for ResponsibleOrganization")
    institution_name: str = Field("", description="InstitutionName for new objects")
    manufacturer: str = Field("filmroom", description="Manufacturer of the conversion equipment")


class ArchiveSettings(BaseModel):
    """Destinations and the loader's limits."""

    model_config = ConfigDict(extra="forbid")

    destinations: list[str] = Field(default_factory=lambda: ["./archive"])
    calling_ae_title: str = Field("FILMROOM", description="Our AE title on DICOM associations")
    max_concurrency: int = Field(4, ge=1, description="Parallel associations or HTTP requests per destination")
    stow_batch_size: int = Field(20, ge=1, description="Instances per STOW-RS request")
    verify_sample_fraction: float = Field(
        0.01, ge=0.0, le=1.0, description="Share of stored instances retrieved and compared pixel for pixel"
    )
    retries: int = Field(3, ge=0, description="Retries of a transient destination failure")
    retry_backoff_seconds: float = Field(2.0, ge=0.0, description="First back-off; it doubles per retry")
    timeout_seconds: float = Field(30.0, gt=0.0, description="Network timeout per request or DIMSE message")
    tls_ca_file: str | None = Field(None, description="CA bundle for DICOM TLS; set to use TLS")


class Settings(BaseModel):
    """All settings of one migration run."""

    model_config = ConfigDict(extra="forbid")

    match: MatchSettings = Field(default_factory=MatchSettings)
    labels: LabelSettings = Field(default_factory=LabelSettings)
    dicom: DicomSettings = Field(default_factory=DicomSettings)
    archive: ArchiveSettings = Field(default_factory=ArchiveSettings)


def load_settings(path: Path | None = None) -> Settings:
    """Read settings from a TOML file, or return the defaults when ``path`` is None."""
    if path is None:
        return Settings()

    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigurationError(f"Settings file not found: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigurationError(f"Settings file {path} is not valid TOML: {exc}") from None

    try:
        return Settings.model_validate(data)
    except ValueError as exc:
        raise ConfigurationError(f"Invalid settings in {path}: {exc}") from None
