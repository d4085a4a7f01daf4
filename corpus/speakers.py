"""Speaker normalisation: one canonical string per person, and the post the label gives.

Raw speaker strings come from two places: the segmenter's speaker labels (the text of a label
such as `PRESIDENT BIDEN` or `President of Russia Vladimir Putin`) and archive metadata fields
(the UN addresses' `speaker` and `speaker_post`). `normalize` turns one into a `Voice`
(speaker, role) with general rules; what no rule can know (other spellings, surname-only
labels, who "THE PRESIDENT" is on a given site) is in the reviewed table corpus/speakers.yaml.
`unify` then picks one display string per person over a whole dataset, so spellings that differ
only in accents or case end up identical.

The rules work on label text of any length, including labels never seen before: they look at
the shape of the label (capitals, post words, connectors, the archive's duplicated-label
pattern), not at a list of today's labels.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterable

import yaml

from .errors import InputError
from .store import PACKAGE_DIR

SPEAKERS_FILE = PACKAGE_DIR / "speakers.yaml"


@dataclass(frozen=True)
class Voice:
    speaker: str | None
    role: str | None


# Cyrillic letters that look like Latin ones (the archive has "Defenсe" with a Cyrillic с)
_HOMOGLYPHS = str.maketrans("АВЕКМНОРСТХаеорсуххіјѕ", "ABEKMHOPCTXaeopcyxxijs")
# titles of address: not part of the person's name
_HONORIFICS = {"mr", "ms", "mrs", "miss", "dr", "sir", "dame", "sheikh", "shaikh", "cardinal", "his", "her",
               "excellency", "h.e", "he", "hon", "honourable", "honorable", "rev", "reverend", "archbishop"}
# titles that are also posts; dropped from the matching key only
_KEY_TITLES = {"prince", "princess", "king", "queen", "emir", "amir", "crown"}
# words of posts and institutions: a name never contains them
_POST_WORDS = {w.lower() for w in """
    President Vice Prime Minister Ministers Deputy Acting First Lady Secretary General Director Chancellor
    Federal Governor Senator Congressman Congresswoman Representative Rep Chairman Chairwoman Chair Chairperson
    Head Member Press Presidential Speaker Emerita Emeritus Former Commander Chief Ambassador Spokesperson
    Spokesman Spokeswoman Aide Adviser Advisor Assistant Mayor Founder CEO Correspondent Foundation Corporation
    Committee Council Agency Ministry Republic Presidency Government Administration State Affairs Defence Defense
    Finance Foreign Emergency Emergencies Situations Agriculture Education Health Economy Economic Development
    Trade Industry Justice Interior Energy Digital Transport Culture Sport Sports Science Higher Labour Labor
    Social Protection Security Intelligence Armed Forces Staff Army Navy Air Force Guard National Central Bank
    Commissioner Ombudsman Human Rights Prosecutor Court Supreme Duma Senate House Assembly Parliament Cabinet
    Office Executive Department Service Services Company Group Institute University Centre Center Union
    Association Party Movement Region Regional Territory Governorate Veteran Officer Official Delegation
    Permanent Presidium Board Fund Media Newspaper Television Channel Agency Station Mission Forum Space
    Activities Joint Chiefs Admiral Colonel Lieutenant Major Captain Sergeant Private Marshal Mr Ms Mrs Dr Sir
    Leader Premier Treasurer Attorney Ranking Majority Minority Whip Delegate Envoy Special Coordinator
    Moderator Participant Interpreter Question Remark Reply Crown Prince Princess King Queen Amir Emir Sultan
""".split()}
_CONNECTORS = {"of", "the", "for", "and", "on", "in", "at", "to", "with", "&"}
# lower-case particles inside names (Lula da Silva, Tamim bin Hamad Al Thani)
_PARTICLES = {"da", "de", "do", "dos", "das", "del", "della", "di", "du", "e", "bin", "ibn", "bint", "al", "el",
              "van", "von", "der", "den", "ter", "la", "le", "y", "ben", "abu", "ould", "wa"}
_GLUE = re.compile(r"(?<=[a-zà-ÿ\u0100-\u024f])(?=[A-Z])")
_MAX_NAME_WORDS = 6


def _clean(label: str) -> str:
    s = unicodedata.normalize("NFC", label)
    if re.search(r"[A-Za-z]", s):
        s = s.translate(_HOMOGLYPHS)
    s = s.replace("\u00a0", " ").strip().strip("*_").strip()
    s = re.sub(r"\s+", " ", s)
    return s.rstrip(" :;,.-–—").lstrip(" ,;:-–—")


def fold(name: str) -> str:
    """The matching key of a name: accents, case, dots, honorifics, titles and initials removed."""
    s = unicodedata.normalize("NFKD", name)
    s = "".join(ch for ch in s if not unicodedata.combining(ch)).casefold()
    s = s.replace("-", " ").replace("’", "'")
    words = [w.strip(".,") for w in s.split()]
    words = [_translit(w) for w in words
             if w and w not in _HONORIFICS and w not in _KEY_TITLES and not re.fullmatch(r"[a-z]", w)]
    return " ".join(words)


# Romanisations of one Russian or Ukrainian name differ in a few regular ways (Sergey/Sergei,
# Valeriy/Valery, Aleksei/Alexei, Dmitri/Dmitry); the matching key writes them one way.
_NAME_FORMS = {"aleksandr": "alexander", "alexandr": "alexander", "dmitri": "dmitry", "yevgeni": "yevgeny",
               "evgeny": "yevgeny", "yuri": "yury", "mikhael": "mikhail", "pyotr": "petr"}


def _translit(word: str) -> str:
    if len(word) > 4 and word.isalpha():
        word = word.replace("ks", "x")
        if word.endswith("ey"):
            word = word[:-2] + "ei"
        elif word.endswith("iy"):
            word = word[:-2] + "y"
    return _NAME_FORMS.get(word, word)


def _is_name_word(w: str) -> bool:
    core = w.strip(",.")
    if not core or core.lower() in _POST_WORDS:
        return False
    return core[0].isupper() or core.lower() in _PARTICLES


def _strip_honorifics(words: list[str]) -> list[str]:
    while words and words[0].strip(".,").lower() in _HONORIFICS:
        words = words[1:]
    return words


def _titlecase(s: str) -> str:
    return " ".join(w if re.search(r"\d", w) else w.title() for w in s.split())


def _join_role(words: list[str]) -> str | None:
    role = " ".join(words).strip(" ,;:")
    return role or None


def _split_post_name(words: list[str]) -> tuple[str | None, str | None]:
    """(name, role) of a mixed-case label: the name is the longest run of name words at the end
    that does not follow a connector (so "President of Russia Vladimir Putin" keeps "Russia" in
    the post)."""
    i = len(words)
    while i > 0 and _is_name_word(words[i - 1]) and len(words) - i < _MAX_NAME_WORDS:
        if i - 2 >= 0 and words[i - 2].lower().strip(",") in _CONNECTORS and words[i - 1].lower() not in _PARTICLES:
            break
        if words[i - 1].endswith(","):  # "Belarus, Alexander Lukashenko": the comma ends the post
            break
        i -= 1
    name = words[i:]
    while name and name[0].lower() in _PARTICLES:  # a name does not start with a particle
        name = name[1:]
        i += 1
    if not name:
        return None, _join_role(words)
    return " ".join(name).strip(","), _join_role(words[:i])


def _garbled(words: list[str]) -> tuple[str, str | None] | None:
    """The archive's duplicated labels: "Post First Last Last FirstPost2" (the name repeated in
    reverse, its last word glued to a second spelling of the post), or its tail "Last FirstPost2"."""
    for j in range(1, len(words) - 1):
        first, last, nxt = words[j - 1], words[j], words[j + 1]
        if last == nxt and j + 2 < len(words) and words[j + 2].startswith(first) and len(first) > 1:
            prefix = words[:j - 1]
            suffix = [words[j + 2][len(first):]] + words[j + 3:]
            role = _join_role(prefix) or _join_role([w for w in suffix if w])
            return f"{first} {last}", role
    for g, w in enumerate(words):
        parts = _GLUE.split(w, maxsplit=1)
        if len(parts) == 2 and parts[1].split("-")[0].lower() in _POST_WORDS and g >= 1:
            left = words[:g] + [parts[0]]
            right = [parts[1]] + words[g + 1:]
            if len(left) == 2:
                return f"{left[1]} {left[0]}", _join_role(right)
    return None


def _caps_label(words: list[str]) -> tuple[str | None, str | None]:
    """An all-capitals transcript label (PRESIDENT BIDEN, MR. SULLIVAN, SECRETARY GENERAL X)."""
    words = _strip_honorifics(words)
    if words and words[0].lower() == "the":
        words = words[1:]
    i = 0
    while i < len(words) and words[i].strip(".,").lower() in (_POST_WORDS | _CONNECTORS):
        i += 1
    role = _titlecase(" ".join(words[:i])) if i else None
    rest = words[i:]
    if rest and rest[0].lower() == "the":
        rest = rest[1:]
    name = _titlecase(" ".join(rest)) if rest else None
    if role:
        role = role[0] + role[1:].replace(" Of ", " of ").replace(" The ", " the ").replace(" And ", " and ")
    return name, role


class SpeakerTable:
    """The reviewed alias table (corpus/speakers.yaml)."""

    def __init__(self, people: dict[str, list[str]], anonymous: dict[str, str], by_source: dict[str, dict]):
        self.canonical: dict[str, str] = {}
        self.surnames: dict[str, set[str]] = {}
        for canon, variants in people.items():
            for v in [canon, *(variants or [])]:
                self.canonical[fold(v)] = canon
            self.surnames.setdefault(fold(canon).split()[-1], set()).add(canon)
        self.anonymous = {k.casefold(): v for k, v in anonymous.items()}
        self.by_source = {src: {k.casefold(): v for k, v in labels.items()} for src, labels in by_source.items()}

    def person(self, name: str) -> str:
        key = fold(name)
        if key in self.canonical:
            return self.canonical[key]
        if key and " " not in key and len(self.surnames.get(key, ())) == 1:
            return next(iter(self.surnames[key]))
        return name


def load_table(path: Path | str = SPEAKERS_FILE) -> SpeakerTable:
    return _load(str(Path(path).resolve()))


@lru_cache(maxsize=4)
def _load(path_str: str) -> SpeakerTable:
    path = Path(path_str)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the speaker alias table ({exc})") from None
    if not isinstance(data, dict):
        raise InputError(f"{path}: expected a mapping with people, anonymous, by_source")
    people, anonymous, by_source = data.get("people") or {}, data.get("anonymous") or {}, data.get("by_source") or {}
    if not isinstance(people, dict) or not all(isinstance(v, list) or v is None for v in people.values()):
        raise InputError(f"{path}: people: a mapping canonical name -> list of variants")
    if not isinstance(anonymous, dict) or not all(isinstance(v, str) for v in anonymous.values()):
        raise InputError(f"{path}: anonymous: a mapping label -> role")
    if not isinstance(by_source, dict):
        raise InputError(f"{path}: by_source: a mapping archive file -> {{label: {{speaker, role}}}}")
    for src, labels in by_source.items():
        for label, v in (labels or {}).items():
            if not isinstance(v, dict) or set(v) - {"speaker", "role"}:
                raise InputError(f"{path}: by_source.{src}.{label}: a mapping with speaker and role")
    seen: dict[str, str] = {}
    for canon, variants in people.items():
        for v in [canon, *(variants or [])]:
            k = fold(v)
            if k in seen and seen[k] != canon:
                raise InputError(f"{path}: people.{canon}: variant {v!r} also belongs to {seen[k]!r}")
            seen[k] = canon
    return SpeakerTable(people, anonymous, by_source)


def normalize(label: str | None, role: str | None = None, source: str | None = None,
              table: SpeakerTable | None = None, is_name: bool = False) -> Voice:
    """The Voice of one raw speaker string and an optional post.

    label: a transcript label (post and name in one string) or, with is_name=True, a metadata
    field that holds only the person's name (then no post is split off; a leading honorific is
    dropped only when a name of two or more words remains, so "Sheikh Hasina" stays whole)."""
    table = table or load_table()
    given_role = _clean(role) if role else None
    if not label or not _clean(label):
        return Voice(None, given_role or None)
    s = _clean(label)
    if is_name:
        words = s.split()
        kept = _strip_honorifics(words)
        name = " ".join(kept if len(kept) >= 2 else words)
        if len([ch for ch in name if ch.isalpha()]) > 5 and name.upper() == name:
            name = _titlecase(name)  # a name field written in capitals
        return Voice(table.person(name), given_role)
    scoped = table.by_source.get(source or "", {}).get(s.casefold())
    if scoped:
        return Voice(scoped.get("speaker"), scoped.get("role") or given_role)
    if s.casefold() in table.anonymous:
        return Voice(None, table.anonymous[s.casefold()])
    words = s.split()
    letters = [ch for ch in s if ch.isalpha()]
    name: str | None
    found_role: str | None
    if len(words) == 1 and letters and all(ch.isupper() for ch in letters) and len(letters) <= 5:
        name, found_role = s, None  # an acronym (an organisation), kept as written
    elif letters and all(ch.isupper() for ch in letters) and len(letters) > 1:
        name, found_role = _caps_label(words)
        if name is None and found_role and found_role.casefold() in table.anonymous:
            found_role = table.anonymous[found_role.casefold()]
    elif (g := _garbled(words)) is not None:
        name, found_role = g
    elif "," in s and _looks_like_name(s.split(",", 1)[0].split()):
        head, tail = s.split(",", 1)
        name, found_role = head.strip(), tail.strip(" ,") or None
    else:
        name, found_role = _split_post_name(_strip_honorifics(words))
    if name:
        name = " ".join(_strip_honorifics(name.split()))
    if not name:
        return Voice(None, given_role or found_role)
    return Voice(table.person(name), given_role or found_role)


def _looks_like_name(words: list[str]) -> bool:
    return 2 <= len(words) <= 4 and all(_is_name_word(w) for w in words)


def unify(names: Iterable[str | None]) -> dict[str, str]:
    """{name: display string} so that every spelling of one person (same `fold` key) shows one
    string: a table canonical name if there is one, else the most frequent spelling (ties: the one
    with more accented letters, then alphabetical)."""
    table = load_table()
    canon_keys = {fold(c): c for c in set(table.canonical.values())}
    counts = Counter(n for n in names if n)
    by_key: dict[str, list[str]] = {}
    for n in counts:
        by_key.setdefault(fold(n), []).append(n)
    out = {}
    for key, spellings in by_key.items():
        best = canon_keys.get(key) or min(
            spellings, key=lambda n: (-counts[n], -sum(ord(ch) > 127 for ch in n), n))
        out.update({n: best for n in spellings})
    return out


@dataclass
class SpeakerReport:
    raw: Counter            # raw string -> units
    voices: dict            # raw string -> Voice (after unify)
    unmapped: list          # raw strings that gave neither a full name nor a role

    def summary(self) -> str:
        people = {v.speaker for v in self.voices.values() if v.speaker}
        lines = [f"{len(self.raw)} distinct raw speaker string(s) -> {len(people)} canonical speaker(s); "
                 f"{sum(1 for v in self.voices.values() if not v.speaker and v.role)} string(s) name a role only"]
        for raw, n in self.raw.most_common():
            v = self.voices[raw]
            lines.append(f"{n:>6}  {raw!r} -> {v.speaker!r} | {v.role!r}")
        if self.unmapped:
            lines.append(f"unmapped ({len(self.unmapped)}): " + "; ".join(map(repr, self.unmapped)))
        return "\n".join(lines)


def speaker_report(store, loader, segment_now: bool = True, progress: bool = False) -> SpeakerReport:
    """Every raw speaker string of the corpus and what it normalises to.

    segment_now: labels come from running the current segmenter over the texts in memory (nothing
    is stored), so a changed segmenter is seen before re-segmenting; otherwise from the stored
    sentences. Sources that give the speaker as metadata (UN addresses) use the record field."""
    from tqdm import tqdm

    from .segment import LAYOUTS, segment
    from .voices import VoiceResolver

    resolver = VoiceResolver(loader)
    raw: Counter = Counter()
    voices: dict[str, Voice] = {}
    stored: dict[str, list[dict]] = {}
    if not segment_now:
        for rec in store.sentences():
            stored.setdefault(rec["article_id"], []).append(rec)
    for aid, art in tqdm(sorted(store.articles().items()), desc="speakers", unit="article", disable=not progress):
        text = loader.text_or_none(art)
        if text is None:
            continue
        av = resolver.article(art)
        if av.speaker is not None:
            raw[av.speaker_label] += 1
            voices[av.speaker_label] = av.speaker
            continue
        if segment_now:
            if art.get("layout", "plain") not in LAYOUTS:
                continue
            spans = [u.speaker_span for u in segment(text, layout=art.get("layout", "plain"),
                                                      exclude=[tuple(r) for r in art.get("exclude", [])])]
        else:
            spans = [r.get("speaker_span") for r in stored.get(aid, [])]
        for sp in spans:
            if sp:
                label = text[sp[0]:sp[1]]
                raw[label] += 1
                voices.setdefault(label, resolver.unit(av, label))
    display = unify(v.speaker for v in voices.values())
    voices = {k: Voice(display.get(v.speaker, v.speaker) if v.speaker else None, v.role) for k, v in voices.items()}
    unmapped = sorted(k for k, v in voices.items() if not v.role and (not v.speaker or " " not in v.speaker))
    return SpeakerReport(raw, voices, unmapped)
