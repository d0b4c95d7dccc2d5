"""Generate a seeded set of synthetic jacket-label images with ground truth.

Usage: .venv/bin/python -m bench.labels.make_labels [--count 320] [--seed 7] [--out bench/out/labels]

Writes ``<out>/images/label_NNNN.(png|jpg)`` and ``<out>/truth.json``. Every name is
invented. Fonts are the Debian font packages listed in FONTS; a missing font file
stops the script with its path.
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import random
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONTS = {
    "sans": [
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSans.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ],
    "serif": [
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/freefont/FreeSerif.ttf",
    ],
    "typewriter": [
        "/usr/share/fonts/truetype/gnutypewriter/GNUTypewriter.ttf",
        "/usr/share/fonts/opentype/courier-prime/Courier Prime.otf",
        "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
    ],
    "hand": [
        "/usr/share/fonts/opentype/dancingscript/DancingScript-Regular.otf",
        "/usr/share/fonts/truetype/breip/Breip.ttf",
        "/usr/share/fonts/truetype/fifthhorseman/dkg.ttf",
        "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    ],
}

OWNERS = [
    "Abernathy", "Brightwater", "Calloway", "Dunmore", "Ellery", "Fairbanks", "Garrow", "Holloway",
    "Ingram", "Jessop", "Kellerman", "Lindqvist", "Marlowe", "Norwood", "Oakley", "Pembrook",
    "Quimby", "Rutherford", "Stanwick", "Thackeray", "Underhill", "Vasquez", "Whitcombe", "Yardley",
    "Zellner", "Ashcroft", "Birchall", "Crandall", "Delacroix", "Emberly", "Fenwick", "Gallagher",
]  # fmt: skip
FIRSTS = [
    "Mary",
    "John",
    "Linda",
    "Robert",
    "Karen",
    "David",
    "Susan",
    "Paul",
    "Nancy",
    "Mark",
    "Ellen",
    "Tom",
]
PETS = [
    "Bella", "Fluffy", "Max", "Daisy", "Rocky", "Luna", "Charlie", "Bailey", "Sadie", "Buster",
    "Molly", "Tucker", "Ginger", "Pepper", "Duke", "Rosie", "Shadow", "Maggie", "Oscar", "Biscuit",
    "Clover", "Jasper", "Willow", "Ziggy", "Nala", "Murphy", "Coco", "Hazel",
]  # fmt: skip
SPECIES = [
    ("K9", "canine"),
    ("CAN", "canine"),
    ("Canine", "canine"),
    ("FEL", "feline"),
    ("Feline", "feline"),
    ("EQ", "equine"),
]
BREEDS = [
    ("Lab", "Labrador Retriever"),
    ("GSD", "German Shepherd Dog"),
    ("DSH", "Domestic Shorthair"),
]
REGIONS = [("Thorax", "thorax"), ("Abd", "abdomen"), ("Pelvis", "pelvis"), ("Thx", "thorax")]
VIEWS = [("2V", "2V"), ("VD", "VD"), ("LAT", "LAT"), ("DV", "DV")]
CLINICS = ["Maple Grove Veterinary Hospital", "Riverside Animal Clinic", "Cedar Hills Vet Clinic"]
DATE_FORMATS = ["%m/%d/%y", "%m-%d-%Y", "%d %b %Y", "%Y.%m.%d", "%m/%d/%Y"]


@dataclass
class Truth:
    """Ground truth of one generated label."""

    file: str
    style: str  # "printed" or "hand"
    font: str
    layout: str
    fields: dict[str, str]
    effects: list[str] = field(default_factory=list)


def _date_text(rng: random.Random) -> tuple[str, str]:
    day = dt.date(1998, 1, 1) + dt.timedelta(days=rng.randrange(0, 9000))
    fmt = rng.choice(DATE_FORMATS)
    if fmt in ("%m/%d/%y", "%m-%d-%Y", "%m/%d/%Y") and day.day <= 12 and day.day != day.month:
        day = day.replace(
            day=rng.randint(13, 28)
        )  # keep numeric truth unambiguous under month-first
    return day.strftime(fmt), day.isoformat()


def _content(rng: random.Random) -> tuple[str, list[str], dict[str, str]]:
    owner = rng.choice(OWNERS)
    first = rng.choice(FIRSTS)
    pet = rng.choice(PETS)
    chart = str(rng.randint(1000, 999999)).zfill(rng.choice([5, 6]))
    date_text, date_iso = _date_text(rng)
    species_text, species = rng.choice(SPECIES)
    region_text, region = rng.choice(REGIONS)
    view_text, view = rng.choice(VIEWS)
    rad = str(rng.randint(100, 99999))
    layout = rng.choice(["keyed", "keyed", "unkeyed", "three_line", "header"])
    truth = {"owner_last": owner, "pet_name": pet, "chart_number": chart, "study_date": date_iso}
    if layout in ("keyed", "header"):
        lines = [
            f"Owner: {owner.upper()}, {first}",
            f"Pet: {pet}   {species_text}",
            f"Chart #: {chart}",
            f"Date: {date_text}",
            f"Rad # {rad}  {region_text} {view_text}",
        ]
        truth.update(
            {
                "owner_first": first,
                "species": species,
                "rad_number": rad,
                "region": region,
                "view": view,
            }
        )
        if layout == "header":
            lines.insert(0, rng.choice(CLINICS))
            lines.insert(
                1, f"({rng.randint(200, 989)}) {rng.randint(200, 989)}-{rng.randint(1000, 9999)}"
            )
    elif layout == "unkeyed":
        lines = [f"{owner.upper()}, {pet}", f"ID {chart}", date_text, f"{region_text} {view_text}"]
        truth.update({"region": region, "view": view})
    else:
        lines = [pet.upper(), f"ID {chart}", date_text]
        truth.pop("owner_last")
        truth["pet_name"] = pet.upper()
    return layout, lines, truth


def _render(
    rng: random.Random, lines: list[str], font_path: str, hand: bool, paper: tuple[int, int, int]
) -> Image.Image:
    size = rng.randint(40, 52)
    font = ImageFont.truetype(font_path, size)
    width = 1300
    height = 80 + int(len(lines) * size * 1.45) + 60
    image = Image.new("RGB", (width, height), paper)
    draw = ImageDraw.Draw(image)
    ink = rng.choice([(20, 20, 25), (25, 30, 90), (10, 10, 10)]) if hand else (15, 15, 15)
    y = 60
    for line in lines:
        x = 70 + (rng.randint(-15, 15) if hand else 0)
        if hand:
            # Hand lettering: each word slightly shifted and sized.
            for word in line.split(" "):
                word_font = ImageFont.truetype(font_path, size + rng.randint(-4, 4))
                draw.text((x, y + rng.randint(-4, 4)), word, font=word_font, fill=ink)
                x += int(draw.textlength(word + " ", font=word_font)) + rng.randint(-3, 6)
        else:
            draw.text((x, y), line, font=font, fill=ink)
        y += int(size * 1.45)
    return image


def _on_kraft(rng: random.Random, label: Image.Image) -> Image.Image:
    kraft = np.zeros((label.height + 500, label.width + 600, 3), np.float32)
    kraft[:] = (196, 164, 122)
    kraft += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 6, kraft.shape)
    jacket = Image.fromarray(np.clip(kraft, 0, 255).astype(np.uint8))
    jacket.paste(label, (rng.randint(80, 500), rng.randint(80, 400)))
    return jacket


def _stamp(rng: random.Random, image: Image.Image) -> Image.Image:
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    font = ImageFont.truetype(FONTS["sans"][3], 70)
    draw.text(
        (image.width // 3, image.height // 3),
        rng.choice(["RECEIVED", "FILED", "COPY"]),
        font=font,
        fill=(200, 30, 40, 170),
    )
    layer = layer.rotate(rng.uniform(-25, 25), center=(image.width // 2, image.height // 2))
    return Image.alpha_composite(image.convert("RGBA"), layer).convert("RGB")


def _stain(rng: random.Random, image: Image.Image) -> Image.Image:
    layer = Image.new("RGBA", image.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)
    x, y = rng.randrange(image.width), rng.randrange(image.height)
    radius = rng.randint(80, 220)
    draw.ellipse(
        (x - radius, y - radius * 0.7, x + radius, y + radius * 0.7), fill=(150, 110, 50, 70)
    )
    return Image.alpha_composite(
        image.convert("RGBA"), layer.filter(ImageFilter.GaussianBlur(12))
    ).convert("RGB")


def make_one(rng: random.Random, index: int, out: Path) -> Truth:
    """Render one label with random layout, font and degradations; return its truth."""
    style = "hand" if rng.random() < 0.22 else "printed"
    family = "hand" if style == "hand" else rng.choice(["sans", "serif", "typewriter"])
    font_path = rng.choice(FONTS[family])
    layout, lines, truth = _content(rng)
    effects: list[str] = []

    paper = (250, 250, 246)
    if rng.random() < 0.15:
        paper = rng.choice([(250, 240, 170), (245, 205, 215), (200, 225, 245)])
        effects.append("colored_paper")
    image = _render(rng, lines, font_path, style == "hand", paper)
    if rng.random() < 0.12:
        image = _stamp(rng, image)
        effects.append("stamp")
    if rng.random() < 0.12:
        image = _stain(rng, image)
        effects.append("stain")
    if rng.random() < 0.25:
        image = _on_kraft(rng, image)
        effects.append("kraft_jacket")

    roll = rng.random()
    if roll < 0.08:
        image = image.rotate(90, expand=True)
        effects.append("rot90")
    elif roll < 0.16:
        image = image.rotate(180, expand=True)
        effects.append("rot180")
    elif roll < 0.22:
        image = image.rotate(270, expand=True)
        effects.append("rot270")
    elif roll < 0.5:
        image = image.rotate(
            rng.uniform(-4, 4),
            expand=True,
            fillcolor=(235, 235, 230),
            resample=Image.Resampling.BICUBIC,
        )
        effects.append("skew")

    if rng.random() < 0.15:
        image = image.filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 1.6)))
        effects.append("blur")
    if rng.random() < 0.15:
        image = image.resize((image.width // 2, image.height // 2), Image.Resampling.LANCZOS)
        effects.append("150dpi")
    if rng.random() < 0.15:
        noisy = np.asarray(image).astype(np.float32)
        noisy += np.random.default_rng(rng.randint(0, 2**31)).normal(0, 10, noisy.shape)
        image = Image.fromarray(np.clip(noisy, 0, 255).astype(np.uint8))
        effects.append("noise")

    name = f"label_{index:04d}"
    if rng.random() < 0.35:
        quality = rng.choice([35, 55, 75, 90])
        buffer = io.BytesIO()
        image.save(buffer, "JPEG", quality=quality)
        file_name = f"{name}.jpg"
        (out / file_name).write_bytes(buffer.getvalue())
        effects.append(f"jpeg_q{quality}")
    else:
        file_name = f"{name}.png"
        image.save(out / file_name)
    return Truth(
        file=file_name,
        style=style,
        font=Path(font_path).stem,
        layout=layout,
        fields=truth,
        effects=effects,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=320, help="number of labels to generate")
    parser.add_argument("--seed", type=int, default=7, help="random seed")
    parser.add_argument("--out", type=Path, default=Path("bench/out/labels"), help="output folder")
    args = parser.parse_args()

    for paths in FONTS.values():
        for font_path in paths:
            if not Path(font_path).is_file():
                raise SystemExit(
                    f"Font not found: {font_path}. Install the Debian font packages named in FONTS."
                )

    images = args.out / "images"
    images.mkdir(parents=True, exist_ok=True)
    rng = random.Random(args.seed)
    truths = [make_one(rng, index, images) for index in range(args.count)]
    (args.out / "truth.json").write_text(
        json.dumps([asdict(t) for t in truths], indent=1), encoding="utf-8"
    )
    print(f"Wrote {len(truths)} labels to {images}")


if __name__ == "__main__":
    main()
