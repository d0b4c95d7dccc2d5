"""Parse OCR text lines of a jacket label into Reading fields.

Rules (keys, date order, header words, regions, views, confidence factors) come
from ``filmroom/mapping/label_patterns.yaml``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from filmroom.labels.dates import find_date
from filmroom.mapping.label_patterns import LabelPatterns, default_patterns, normalize_key
from filmroom.mapping.species import is_name_like, normalize_breed, normalize_species
from filmroom.models import FieldValue

SOURCE = "ocr"
NAME_TOKEN = re.compile(r"^[A-Za-z][A-Za-z'\-]*[A-Za-z]$")
EDGE_PUNCTUATION = ",;:|!\"'`()[]{}<>_~*\u2018\u2019\u201c\u201d"
# Characters that OCR confuses with digits inside numbers.
DIGIT_CONFUSABLES = str.maketrans(
    {
        "O": "0",
        "o": "0",
        "Q": "0",
        "D": "0",
        "I": "1",
        "l": "1",
        "|": "1",
        "S": "5",
        "B": "8",
        "Z": "2",
    }
)
LONE_NUMBER = re.compile(r"^#?\s*([A-Z]{0,2}-?\d{4,10})$")
# Jacket labels have a handful of lines. On longer text (a letter, a form, a page of
# prose) fields found without keys are guesses, so their confidence is halved.
MAX_LABEL_LINES = 12
LONG_TEXT_FACTOR = 0.5


def _capitalized(token: str) -> bool:
    """Return whether a token is written like a name on a label: "Bella" or "BELLA"."""
    return bool(NAME_TOKEN.match(token)) and token[0].isupper()


@dataclass(frozen=True)
class Word:
    """One OCR word and its confidence in [0, 1]."""

    text: str
    confidence: float


@dataclass(frozen=True)
class _Span:
    """Words of one line segment, keyed (``field`` set) or not."""

    field: str | None
    words: tuple[Word, ...]

    @property
    def text(self) -> str:
        return " ".join(word.text for word in self.words)


def _clean(token: str) -> str:
    return token.strip(EDGE_PUNCTUATION)


def _confidence(words: list[Word] | tuple[Word, ...]) -> float:
    return min((word.confidence for word in words), default=0.0)


def _is_header(words: list[Word], patterns: LabelPatterns) -> bool:
    text = " ".join(word.text for word in words)
    tokens = {_clean(word.text).lower() for word in words}
    if tokens & patterns.header_words:
        return True
    return any(regex.search(text) for regex in patterns.header_regexes)


GLUED_KEY = re.compile(r"^([A-Za-z][A-Za-z.\-]*#?[:#=])(\S+)$")


def _unglue_keys(words: list[Word], patterns: LabelPatterns) -> list[Word]:
    """Split a key glued to its value ("ID:004512") into two words with the same confidence."""
    result = []
    for word in words:
        match = GLUED_KEY.match(word.text)
        if match and normalize_key(match.group(1)) in patterns.key_fields:
            result.append(Word(match.group(1), word.confidence))
            result.append(Word(match.group(2), word.confidence))
        else:
            result.append(word)
    return result


def _split_keyed(words: list[Word], patterns: LabelPatterns) -> list[_Span]:
    """Split a line into segments at field keys such as "Owner:" or "Chart #"."""
    words = _unglue_keys(words, patterns)
    text = ""
    starts: list[int] = []
    for word in words:
        if text:
            text += " "
        starts.append(len(text))
        text += word.text

    def word_range(begin: int, end: int) -> tuple[Word, ...]:
        """Return the words between two text offsets, trimming a word that a key ends inside."""
        found = []
        for word, start in zip(words, starts):
            if start >= end or start + len(word.text) <= begin:
                continue
            text = word.text[max(0, begin - start) :]
            if text:
                found.append(Word(text, word.confidence))
        return tuple(found)

    spans: list[_Span] = []
    cursor = 0
    current: str | None = None
    for match in patterns.key_regex.finditer(text):
        key = match.group("key") or match.group("lead")
        segment = word_range(cursor, match.start())
        if segment:
            spans.append(_Span(current, segment))
        current = patterns.key_fields.get(normalize_key(key))
        cursor = match.end()
    tail = word_range(cursor, len(text) + 1)
    if tail:
        spans.append(_Span(current, tail))
    return spans


class _Fields:
    """Field values read so far, keeping the most confident value per field."""

    def __init__(self) -> None:
        self.values: dict[str, FieldValue] = {}

    def put(self, name: str, value: str, confidence: float) -> None:
        value = value.strip()
        if not value:
            return
        confidence = round(max(0.0, min(1.0, confidence)), 3)
        previous = self.values.get(name)
        if previous is None or confidence > previous.confidence:
            self.values[name] = FieldValue(value, confidence, SOURCE)


def _name_factor(token: str) -> float:
    """Return 1.0 for a plausible name token, less for digits or odd casing."""
    if not NAME_TOKEN.match(token):
        return 0.4
    inner = token[1:]
    if inner != inner.lower() and inner != inner.upper():
        return 0.6  # "BeLLa" is more often an OCR error than a name
    return 1.0


def _number(token: str, patterns: LabelPatterns) -> tuple[str, float] | None:
    """Return a chart or rad number from a token, fixing OCR letter-digit confusions."""
    raw = token.rstrip(".,").lstrip("#")
    token = _clean(raw)
    if not token:
        return None
    factor = 1.0
    if token != raw:
        # Punctuation glued to a number ("7332)") is often a misread digit.
        factor *= patterns.fit["confusable_fixed"] * 0.6
    if patterns.chart_number_regex.match(token.upper()) and not re.match(r"^[OoIl]+\d", token):
        # A number that is valid as read keeps its letters: "B3400" may be a real chart
        # number, and turning it into "83400" would name another patient. A prefix of
        # only O or I ("OO4512") is taken for misread zeros and ones. The matcher also
        # compares chart numbers with OCR confusions, at a lower weight.
        return token.upper(), factor
    digits = sum(ch.isdigit() for ch in token)
    if digits >= max(2, len(token) // 2):
        # Keep a short letter prefix ("AB-1234") and fix confusions only in the numeric body.
        prefix_match = re.match(r"^([A-Za-z]{1,3}-)?", token)
        prefix = prefix_match.group(0) if prefix_match else ""
        body = token[len(prefix) :]
        fixed = body.translate(DIGIT_CONFUSABLES)
        if fixed != body:
            factor = patterns.fit["confusable_fixed"]
        token = prefix + fixed
    if not patterns.chart_number_regex.match(token.upper()):
        return None
    return token.upper(), factor


def _species_and_breed(words: tuple[Word, ...], fields: _Fields, keyed: bool) -> set[int]:
    """Record species and breed tokens and return the indexes of the words they used."""
    used: set[int] = set()
    tokens = [_clean(word.text) for word in words]
    index = 0
    while index < len(tokens):
        pair = f"{tokens[index]} {tokens[index + 1]}" if index + 1 < len(tokens) else ""
        breed = normalize_breed(pair) if pair else None
        width = 2
        if breed is None:
            breed = normalize_breed(tokens[index])
            width = 1
        if breed is not None:
            conf = _confidence(words[index : index + width])
            fields.put("breed", breed.name, conf)
            if breed.species:
                fields.put("species", breed.species, conf * 0.95)
            used.update(range(index, index + width))
            index += width
            continue
        strict = keyed or (len(tokens[index]) >= 3 and not is_name_like(tokens[index]))
        species = normalize_species(tokens[index], strict=strict)
        if species:
            # Labels write species as codes or capitalized words; "dog" in lower case is usually prose.
            factor = 0.6 if not keyed and tokens[index].islower() else 1.0
            fields.put("species", species, words[index].confidence * factor)
            used.add(index)
        index += 1
    return used


def _regions_and_views(
    words: tuple[Word, ...], fields: _Fields, patterns: LabelPatterns
) -> set[int]:
    used: set[int] = set()
    tokens = [_clean(word.text).lower() for word in words]
    for index, token in enumerate(tokens):
        pair = f"{token} {tokens[index + 1]}" if index + 1 < len(tokens) else ""
        for table, name in ((patterns.regions, "region"), (patterns.views, "view")):
            for candidate, width in ((pair, 2), (token, 1)):
                if candidate and candidate in table:
                    fields.put(name, table[candidate], _confidence(words[index : index + width]))
                    used.update(range(index, index + width))
                    break
    return used


def _split_at_comma(words: list[Word]) -> tuple[list[Word], list[Word], float] | None:
    """Split "JONES, Mary" into ([JONES], [Mary]). A "." or ";" after a word may be a misread comma."""
    for index, word in enumerate(words[:-1]):
        if word.text.endswith(","):
            return words[: index + 1], words[index + 1 :], 1.0
    for index, word in enumerate(words[:-1]):
        if word.text.endswith((".", ";")) and len(word.text) > 2:
            return words[: index + 1], words[index + 1 :], 0.7
    for index, word in enumerate(words[1:], start=1):
        if word.text.startswith(",") and len(word.text) > 1:
            return words[:index], [Word(word.text[1:], word.confidence), *words[index + 1 :]], 1.0
    return None


def _put_owner(words: tuple[Word, ...], fields: _Fields, factor: float) -> None:
    tokens = [w for w in words if _clean(w.text)]
    split = _split_at_comma(tokens)
    if split is not None:
        last_words, first_words, comma_factor = split
        factor *= comma_factor
    elif len(tokens) >= 2 and tokens[0].text.isupper() and not tokens[1].text.isupper():
        last_words, first_words = tokens[:1], tokens[1:2]  # "JONES Mary"
    elif len(tokens) >= 2 and not tokens[0].text.isupper() and not tokens[-1].text.isupper():
        last_words, first_words = tokens[-1:], tokens[:1]  # "Mary Jones"
        factor *= 0.9
    elif len(tokens) >= 2:
        last_words, first_words = (
            tokens[-1:],
            tokens[:1],
        )  # "MARY JONES" or "JONES MARY": order unknown
        factor *= 0.5
    else:
        last_words, first_words = tokens, []
    last_words = last_words[-2:]
    if last_words:
        last = " ".join(_clean(w.text).rstrip(".") for w in last_words)
        fit = min(_name_factor(_clean(w.text).rstrip(".")) for w in last_words)
        fields.put("owner_last", last, _confidence(last_words) * factor * fit)
    if first_words:
        first = _clean(first_words[0].text).rstrip(".")
        fields.put("owner_first", first, first_words[0].confidence * factor * _name_factor(first))


def _put_pet(words: tuple[Word, ...], fields: _Fields, factor: float) -> None:
    names = [
        w for w in words if NAME_TOKEN.match(_clean(w.text)) or any(c.isalpha() for c in w.text)
    ]
    if not names:
        return
    pet = names[0]
    token = _clean(pet.text).rstrip(".")
    fields.put("pet_name", token, pet.confidence * factor * _name_factor(token))


def _parse_keyed(span: _Span, fields: _Fields, patterns: LabelPatterns) -> None:
    words = span.words
    name = span.field
    if name == "owner":
        # A keyed owner field contains a name: "DOE" there is a surname, not a species.
        _put_owner(tuple(words), fields, 1.0)
    elif name == "pet_name":
        used = _species_and_breed(words, fields, keyed=False)
        rest = tuple(w for i, w in enumerate(words) if i not in used)
        if "," in span.text and len(rest) >= 2:
            _parse_name_layout(rest, fields, patterns, keyed_pet=True)
        else:
            _put_pet(rest, fields, 1.0)
    elif name in ("chart_number", "rad_number"):
        for index, word in enumerate(words):
            number = _number(word.text, patterns)
            if number:
                fields.put(name, number[0], word.confidence * number[1])
                break
        _regions_and_views(words, fields, patterns)
    elif name in ("study_date", "birth_date"):
        _put_date(words, fields, patterns, name)
        _regions_and_views(words, fields, patterns)
    elif name in ("species", "breed"):
        _species_and_breed(words, fields, keyed=True)
    elif name in ("region", "view"):
        _regions_and_views(words, fields, patterns)


def _put_date(words: tuple[Word, ...], fields: _Fields, patterns: LabelPatterns, name: str) -> bool:
    text = " ".join(word.text for word in words)
    found = find_date(text, month_first=patterns.month_first, pivot=patterns.two_digit_year_pivot)
    if not found:
        return False
    factor = 1.0
    if found.ambiguous:
        factor *= patterns.fit["ambiguous_date"]
    if found.two_digit_year:
        factor *= patterns.fit["two_digit_year"]
    # Only the words that overlap the date count toward its confidence.
    position, used = 0, []
    for word in words:
        end = position + len(word.text)
        if end > found.start and position < found.end:
            used.append(word)
        position = end + 1
    if name == "study_date":
        fields.put(name, found.iso, _confidence(used) * factor)
    return True


def _parse_name_layout(
    words: tuple[Word, ...], fields: _Fields, patterns: LabelPatterns, keyed_pet: bool = False
) -> None:
    """Parse "JONES, Fluffy" and "SMITH Bella" layouts: owner surname then pet name."""
    factor = 1.0 if keyed_pet else patterns.fit["unkeyed_name"]
    tokens = [w for w in words if _clean(w.text)]
    # A misread key ("Owner’", "Oumer:") ends in punctuation and is not part of the name.
    if len(tokens) >= 3 and tokens[0].text[-1] in ":;'’`\"" and "," not in tokens[0].text:
        tokens = tokens[1:]
        factor *= 0.8
    split = _split_at_comma(tokens)
    if split is not None:
        last_words, pet_words, comma_factor = split
        factor *= comma_factor
    elif (
        len(tokens) >= 2
        and _clean(tokens[0].text).isupper()
        and not _clean(tokens[1].text).isupper()
    ):
        last_words, pet_words = tokens[:1], tokens[1:]
    else:
        return
    names = [_clean(w.text).rstrip(".") for w in [*last_words, *pet_words[:1]]]
    if len(last_words) > 2 or not all(_capitalized(name) for name in names):
        return  # prose or OCR noise rather than "SURNAME, Pet"
    if last_words and pet_words:
        last = " ".join(_clean(w.text).rstrip(".") for w in last_words)
        fit = min(_name_factor(_clean(w.text).rstrip(".")) for w in last_words)
        fields.put("owner_last", last, _confidence(last_words) * factor * fit)
        _put_pet(tuple(pet_words[:1]), fields, factor)


def _take_hash_number(span: _Span, fields: _Fields, patterns: LabelPatterns) -> _Span:
    """Read a chart number written as "# 00789" at the end of a span and return the rest of the span.

    Jackets often mark the chart number with a lone "#" instead of a key word.
    """
    words = list(span.words)
    for index in range(len(words) - 1, 0, -1):
        if words[index - 1].text != "#" and not words[index].text.startswith("#"):
            continue
        start = index - 1 if words[index - 1].text == "#" else index
        number = _number(words[index].text, patterns)
        if number is None or index != len(words) - 1:
            return span
        confidence = _confidence(words[start:]) * number[1] * patterns.fit["hash_number"]
        fields.put("chart_number", number[0], confidence)
        return _Span(None, tuple(words[:start]))
    return span


def _lone_name(span: _Span) -> Word | None:
    """Return the single capitalized word of a span such as the "Max" of "Max  Chart # 00123"."""
    tokens = [w for w in span.words if _clean(w.text)]
    if len(tokens) != 1:
        return None
    token = _clean(tokens[0].text).rstrip(".")
    if not token.isalpha() or not _capitalized(token) or normalize_species(token, strict=False):
        return None
    return tokens[0]


def _parse_owner_line_and_pet(
    spans: list[_Span], fields: _Fields, patterns: LabelPatterns, state: dict[str, bool]
) -> list[_Span]:
    """Parse the "SMITH, Robert" / "Max" layout: an owner line with a comma and a lone pet name.

    "SURNAME, Name" alone is read as owner and pet, the usual jacket form. When another
    unkeyed span contains exactly one capitalized name, that name is the pet and the comma
    line is the owner's surname and first name. Returns the spans it used.
    """
    comma_spans = []
    for span in spans:
        alpha = [w for w in span.words if any(c.isalpha() for c in w.text)]
        if len(alpha) >= 2 and len(alpha) <= 4 and _split_at_comma(alpha) is not None:
            comma_spans.append((span, tuple(alpha)))
    lone = [(span, word) for span in spans if (word := _lone_name(span)) is not None]
    if len(comma_spans) != 1 or len(lone) != 1 or lone[0][0] is comma_spans[0][0]:
        return []

    owner_span, owner_words = comma_spans[0]
    pet_span, pet_word = lone[0]
    factor = patterns.fit["unkeyed_name"]
    _put_owner(owner_words, fields, factor)
    _put_pet((pet_word,), fields, factor)
    state["names_done"] = state["lone_name_done"] = True
    return [owner_span, pet_span]


def _parse_unkeyed(
    span: _Span, fields: _Fields, patterns: LabelPatterns, state: dict[str, bool]
) -> None:
    words = span.words
    if _put_date(words, fields, patterns, "study_date"):
        return
    lone = LONE_NUMBER.match(span.text.strip())
    if lone:
        number = _number(lone.group(1), patterns)
        if number:
            fields.put(
                "chart_number",
                number[0],
                _confidence(words) * number[1] * patterns.fit["unkeyed_number"],
            )
        return
    used = _species_and_breed(words, fields, keyed=False)
    used |= _regions_and_views(words, fields, patterns)
    rest = tuple(w for i, w in enumerate(words) if i not in used and _clean(w.text))
    if not rest:
        return
    alpha = [w for w in rest if any(c.isalpha() for c in w.text)]
    if len(alpha) >= 2 and not state["names_done"]:
        before = set(fields.values)
        _parse_name_layout(tuple(alpha), fields, patterns)
        if {"owner_last", "pet_name"} & (set(fields.values) - before):
            state["names_done"] = True
    elif len(alpha) == 1 and len(rest) == 1 and not state["lone_name_done"]:
        token = _clean(alpha[0].text)
        if _capitalized(token):
            _put_pet(tuple(alpha), fields, patterns.fit["single_line_name"])
            state["lone_name_done"] = True


def parse_label_words(
    lines: list[list[Word]], patterns: LabelPatterns | None = None
) -> dict[str, FieldValue]:
    """Parse OCR lines given as words with confidences into Reading fields."""
    patterns = patterns or default_patterns()
    fields = _Fields()
    keyed_fields: set[str] = set()
    spans_by_line: list[list[_Span]] = []
    for words in lines:
        words = [w for w in words if w.text.strip()]
        if not words:
            continue
        spans = _split_keyed(words, patterns)
        starts_with_key = bool(spans) and spans[0].field is not None
        if not starts_with_key and _is_header(words, patterns):
            continue
        spans_by_line.append(spans)
        keyed_fields.update(span.field for span in spans if span.field)

    for spans in spans_by_line:
        for span in spans:
            if span.field:
                _parse_keyed(span, fields, patterns)

    # Unkeyed lines fill only fields that no key supplied.
    state = {"names_done": False, "lone_name_done": False}
    unkeyed = _Fields()
    unkeyed_spans = [
        _take_hash_number(span, unkeyed, patterns) for spans in spans_by_line for span in spans if not span.field
    ]
    done = _parse_owner_line_and_pet(unkeyed_spans, unkeyed, patterns, state)
    for span in unkeyed_spans:
        if not any(span is taken for taken in done):
            _parse_unkeyed(span, unkeyed, patterns, state)
    factor = LONG_TEXT_FACTOR if len(spans_by_line) > MAX_LABEL_LINES else 1.0
    for name, value in unkeyed.values.items():
        if name not in fields.values:
            fields.values[name] = FieldValue(
                value.value, round(value.confidence * factor, 3), value.source
            )
    return fields.values


def parse_label_text(lines: list[tuple[str, float]]) -> dict[str, FieldValue]:
    """Parse OCR lines, each with one confidence in [0, 1], into Reading fields.

    Every word of a line gets the line's confidence. Keys such as "Owner:", "Chart #"
    and "Rad #" are read first, then layouts without keys ("JONES, Fluffy",
    "SMITH Bella K9", a lone pet name or number line) fill the remaining fields.
    Clinic header lines (clinic words, phone numbers, addresses) are ignored.
    """
    word_lines = [[Word(token, confidence) for token in text.split()] for text, confidence in lines]
    return parse_label_words(word_lines)
