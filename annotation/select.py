"""`warvoices annotate select`: choose the units of the next batch, reproducibly.

A batch is made of *passages*: contiguous runs of whole paragraphs (the segmenter's paragraphs,
`corpus.segment.paragraph_spans`) of about 8-20 units, so a long briefing or address gives
excerpts and every unit is read in its context. A paragraph longer than the maximum is cut into
even runs; texts the archive stores without paragraph breaks are one paragraph and are cut the
same way. A passage never crosses a unit that is already labelled or already in a batch, so no
unit is ever selected twice.

UN general-debate addresses mostly speak of other things. The documented rule (`WAR_RULE`): a
UN passage *mentions the war* when one of its units matches `WAR_MENTION_RE` (the two states,
their capitals and leaders, the occupied or fought-over places, the grain corridor). A share
`--war-share` (default 0.7) of the UN units comes from such passages, the rest from the other
passages of the same addresses, so that `about_war = no` is represented. The rule only chooses
what is read; it never labels anything.

Stratification: the batch's units are shared out by publisher type (`--mix`, by default 42% UN
addresses and the rest equally among the other types that have units left; a type that runs out
hands its share on). Within a publisher type the units are spread over years in proportion to
what the pool holds; UN units are spread over states, one passage per state in turn, so that as
many states as possible appear. Within a stratum, articles take turns: an article gives a second
passage only when every article of the stratum has given one.

Order within a stratum: `--strategy random` (a seeded shuffle) or, for `train` batches only,
`--strategy uncertainty`: passages whose units a baseline was least sure of come first (the mean
of 1 - score over the passage, from a pre-annotation file of `warvoices baselines predict
--format label-studio`). Evaluation batches are always drawn at random within strata, so the
validation and test distributions stay honest.

The choice is written to `corpus/data/selections/<batch>.json` (ids only, no text), with the
seed and every option: the same store, archive, options and seed give the same passages.
`warvoices annotate push --batch B` then pushes exactly those units, passage by passage, with
publisher types interleaved so that every annotator sees all of them.
"""
from __future__ import annotations

import bisect
import hashlib
import json
import math
import random
import re
from collections import Counter, defaultdict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from tqdm import tqdm

from warvoices.corpus.batch_manifests import batches_dir, check_batch_name, load_manifest, now_iso
from warvoices.corpus.errors import InputError, WarVoicesError
from warvoices.corpus.segment import paragraph_spans
from warvoices.corpus.store import Store, atomic_write_text, read_jsonl
from warvoices.corpus.texts import TextLoader

SELECTION_VERSION = 1
SPLITS = ("train", "validation", "test")
STRATEGIES = ("random", "uncertainty")
UN = "un_general_debate"
DEFAULT_UN_SHARE = 0.42
DEFAULT_WAR_SHARE = 0.7
DEFAULT_MIN, DEFAULT_MAX = 8, 20

# Mentions of the war in a UN address: the parties, their capitals and leaders, the places
# fought over or occupied since 2014, the grain corridor, and the war's usual names.
WAR_MENTION_RE = re.compile(
    r"\b(?:Ukrain\w*|Russia\w*|Kyiv|Kiev|Moscow|Kremlin|Putin|Zelensk\w*|Donbas+|Donetsk|Luhansk|Crimea\w*|"
    r"Zaporizh\w*|Zaporozh\w*|Kherson|Mariupol|Bucha|Black Sea Grain|grain (?:deal|corridor|initiative)|"
    r"war in Europe|special military operation)\b")
WAR_RULE = ("a UN passage mentions the war when one of its units matches WAR_MENTION_RE in "
            "annotation/select.py (parties, capitals, leaders, contested places, the grain corridor)")


@dataclass
class Passage:
    article_id: str
    publisher_type: str
    year: str
    country: str | None
    sentence_ids: list[str]
    war_mention: bool = False
    uncertainty: float | None = None

    @property
    def size(self) -> int:
        return len(self.sentence_ids)


@dataclass
class Selection:
    batch: str
    split: str
    strategy: str
    seed: int
    passages: list[Passage]
    options: dict = field(default_factory=dict)
    pool: dict = field(default_factory=dict)

    @property
    def units(self) -> int:
        return sum(p.size for p in self.passages)

    def articles(self) -> list[str]:
        """Article ids in the order of their first passage."""
        return list(dict.fromkeys(p.article_id for p in self.passages))

    def sentence_ids(self) -> list[str]:
        return [sid for p in self.passages for sid in p.sentence_ids]

    def summary(self) -> str:
        by_type = Counter()
        for p in self.passages:
            by_type[p.publisher_type] += p.size
        years = Counter(p.year for p in self.passages for _ in p.sentence_ids)
        countries = {p.country for p in self.passages if p.publisher_type == UN and p.country}
        un = [p for p in self.passages if p.publisher_type == UN]
        lines = [f"batch {self.batch}: {self.units} unit(s) in {len(self.passages)} passage(s) from "
                 f"{len(self.articles())} article(s), split {self.split}, strategy {self.strategy}, seed {self.seed}",
                 "  by publisher type: " + ", ".join(f"{k} {v}" for k, v in sorted(by_type.items())),
                 "  by year: " + ", ".join(f"{k} {v}" for k, v in sorted(years.items()))]
        if un:
            war = sum(p.size for p in un if p.war_mention)
            lines.append(f"  UN addresses: {len(countries)} state(s); {war} of {sum(p.size for p in un)} unit(s) "
                         "in passages that mention the war")
        return "\n".join(lines)

    def to_json(self) -> dict:
        return {"selection_version": SELECTION_VERSION, "batch": self.batch, "split": self.split,
                "strategy": self.strategy, "seed": self.seed, "options": self.options, "pool": self.pool,
                "units": self.units, "articles": len(self.articles()), "created_at": now_iso(),
                "passages": [asdict(p) for p in self.passages]}


# -- where selections live ------------------------------------------------------------------------
def selections_dir(store: Store) -> Path:
    return store.root / "selections"


def selection_path(store: Store, batch: str) -> Path:
    return selections_dir(store) / f"{check_batch_name(batch)}.json"


def load_selection(store: Store, batch: str) -> Selection | None:
    path = selection_path(store, batch)
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise InputError(f"{path}:{exc.lineno}: invalid JSON ({exc.msg}); restore it from git or select again") from None
    if data.get("selection_version") != SELECTION_VERSION or data.get("batch") != batch:
        raise InputError(f"{path}: not a WarVoices selection for batch {batch!r}")
    try:
        passages = [Passage(**p) for p in data["passages"]]
    except (KeyError, TypeError) as exc:
        raise InputError(f"{path}: a passage record is malformed ({exc})") from None
    return Selection(batch, data["split"], data["strategy"], data["seed"], passages, data.get("options") or {},
                     data.get("pool") or {})


def taken_units(store: Store) -> set[str]:
    """Units that may not be selected again: labelled (any answer or final label), pushed in a
    batch, or chosen by an earlier selection not yet pushed."""
    taken = {r["sentence_id"] for r in store.annotations()}
    taken |= set(store.finals())
    bdir = batches_dir(store)
    if bdir.is_dir():
        for path in sorted(bdir.glob("*.json")):
            taken |= set(load_manifest(store, path.stem)["sentences"])
    sdir = selections_dir(store)
    if sdir.is_dir():
        for path in sorted(sdir.glob("*.json")):
            sel = load_selection(store, path.stem)
            taken |= set(sel.sentence_ids())
    return taken


# -- passages ----------------------------------------------------------------------------------------
def _even_runs(items: list, max_len: int) -> list[list]:
    k = math.ceil(len(items) / max_len)
    size, extra = divmod(len(items), k)
    out, i = [], 0
    for j in range(k):
        n = size + (1 if j < extra else 0)
        out.append(items[i:i + n])
        i += n
    return out


def article_passages(article: dict, units: list[dict], text: str, taken: set[str], *,
                     min_len: int = DEFAULT_MIN, max_len: int = DEFAULT_MAX) -> list[list[dict]]:
    """Passages of one article: runs of whole paragraphs, min_len..max_len units where the text
    allows (a short article or a run between taken units can be shorter), never holding a taken
    unit."""
    paras = paragraph_spans(text, layout=article.get("layout", "plain"),
                            exclude=[tuple(r) for r in article.get("exclude", [])])
    starts = [s for s, _ in paras]
    units = sorted(units, key=lambda u: u["index"])
    # groups: consecutive free units of one paragraph; a taken unit closes the run
    groups: list[tuple[int, list[dict]]] = []   # (run id, units)
    run, last_para = 0, None
    for u in units:
        if u["sentence_id"] in taken:
            run += 1
            last_para = None
            continue
        para = bisect.bisect_right(starts, u["start"]) - 1
        if para != last_para or not groups or groups[-1][0] != run:
            groups.append((run, []))
            last_para = para
        groups[-1][1].append(u)
    passages: list[list[dict]] = []
    cur: list[dict] = []
    cur_run = None

    def flush():
        nonlocal cur
        if cur:
            passages.append(cur)
        cur = []

    for run_id, g in groups:
        if cur_run is not None and run_id != cur_run:
            flush()
        cur_run = run_id
        if len(g) > max_len:
            flush()
            pieces = _even_runs(g, max_len)
            passages.extend(pieces[:-1])
            cur = list(pieces[-1])
            continue
        if len(cur) + len(g) <= max_len:
            cur.extend(g)
            if len(cur) == max_len:
                flush()
        elif len(cur) >= min_len:
            flush()
            cur = list(g)
        else:
            cur.extend(g)   # a short run takes the next paragraph whole, even past max_len
            if len(cur) > max_len:
                flush()
    flush()
    # a last short passage joins the one before it when both together stay within max_len
    out: list[list[dict]] = []
    for p in passages:
        if out and len(p) < min_len and len(out[-1]) + len(p) <= max_len \
                and out[-1][-1]["index"] + 1 == p[0]["index"]:
            out[-1] = out[-1] + p
        else:
            out.append(p)
    return out


def load_uncertainty(path: Path) -> tuple[dict[str, float], dict]:
    """{sentence_id: 1 - score} from a pre-annotation file (`baselines predict --format label-studio`)."""
    path = Path(path)
    if not path.is_file():
        raise InputError(f"{path}: no such predictions file; write one with `warvoices baselines predict "
                         "--model tfidf_lr --format label-studio --out FILE`")
    out: dict[str, float] = {}
    models = set()
    for lineno, rec in read_jsonl(path):
        sid, score = rec.get("sentence_id"), rec.get("score")
        if not isinstance(sid, str):
            raise InputError(f"{path}:{lineno}: no sentence_id")
        if score is None:
            continue
        if isinstance(score, bool) or not isinstance(score, (int, float)) or not 0 <= score <= 1:
            raise InputError(f"{path}:{lineno}: score must be a probability in [0, 1], got {score!r}")
        out[sid] = 1.0 - float(score)
        models.add((rec.get("model"), rec.get("version")))
    if not out:
        raise InputError(f"{path}: no line has a score; the uncertainty strategy needs a model that gives "
                         "probabilities (not the rule baseline)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()[:16]
    model = sorted(models, key=str)[0] if len(models) == 1 else None
    return out, {"file": path.name, "sha256": digest, "model": model[0] if model else None,
                 "version": model[1] if model else None, "units": len(out)}


def build_pool(store: Store, loader: TextLoader, split: str, taken: set[str], *,
               publisher_types: list[str] | None = None, min_len: int = DEFAULT_MIN, max_len: int = DEFAULT_MAX,
               uncertainty: dict[str, float] | None = None, sentences: list[dict] | None = None,
               progress: bool = True) -> list[Passage]:
    """Every candidate passage of `split` that holds no unit of `taken` (see `taken_units`)."""
    articles = store.articles()
    by_article: dict[str, list[dict]] = defaultdict(list)
    for s in store.sentences() if sentences is None else sentences:
        by_article[s["article_id"]].append(s)
    wanted = [a for a in sorted(articles) if articles[a].get("split") == split
              and (publisher_types is None or articles[a].get("publisher_type") in publisher_types)
              and by_article.get(a)]
    pool: list[Passage] = []
    for aid in tqdm(wanted, desc=f"passages ({split})", unit="article", disable=not progress):
        art = articles[aid]
        units = by_article[aid]
        if all(u["sentence_id"] in taken for u in units):
            continue
        text = loader.text(art)
        for run in article_passages(art, units, text, taken, min_len=min_len, max_len=max_len):
            p = Passage(aid, art.get("publisher_type") or "", (art.get("date") or "")[:4] or "unknown",
                        art.get("country"), [u["sentence_id"] for u in run])
            p.war_mention = any(WAR_MENTION_RE.search(text, u["start"], u["end"]) for u in run)
            if uncertainty is not None:
                vals = [uncertainty[s] for s in p.sentence_ids if s in uncertainty]
                p.uncertainty = round(sum(vals) / len(vals), 6) if vals else None
            pool.append(p)
    return pool


# -- drawing -------------------------------------------------------------------------------------------
def _ordered(passages: list[Passage], rng: random.Random, strategy: str,
             used: Counter | None = None) -> list[Passage]:
    """random: articles take turns (an article that earlier batches drew from waits its turn:
    `used` counts its units already taken), in a seeded order; uncertainty: most uncertain first."""
    by_article: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        by_article[p.article_id].append(p)
    keyed = []
    for aid in sorted(by_article):
        ps = by_article[aid]
        rng.shuffle(ps)
        if strategy == "uncertainty":
            ps.sort(key=lambda p: -(p.uncertainty if p.uncertainty is not None else -1.0))
        prior = ((used or {}).get(aid, 0) + DEFAULT_MIN - 1) // DEFAULT_MIN
        for rank, p in enumerate(ps, start=prior):
            tie = rng.random()
            if strategy == "uncertainty":   # the model's doubt alone decides: that is the point
                keyed.append(((0, -(p.uncertainty if p.uncertainty is not None else -1.0), tie), p))
            else:
                keyed.append(((rank, tie, tie), p))
    keyed.sort(key=lambda kp: kp[0])
    return [p for _, p in keyed]


def _draw_proportional(passages: list[Passage], quota: int, key, rng: random.Random, strategy: str,
                       used: Counter) -> list[Passage]:
    """Units shared over strata (key) in proportion to the pool, then topped up in order."""
    strata: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        strata[key(p)].append(p)
    total = sum(p.size for p in passages) or 1
    chosen: list[Passage] = []
    left: list[Passage] = []
    got = 0
    for name in sorted(strata):
        ps = _ordered(strata[name], rng, strategy, used)
        share = quota * sum(p.size for p in ps) / total
        n = 0
        for i, p in enumerate(ps):
            if n + p.size / 2 > share:   # the passage that brings the count nearest the share
                left.extend(ps[i:])
                break
            chosen.append(p)
            n += p.size
        got += n
    for p in _ordered(left, rng, strategy, used):
        if got + p.size / 2 > quota:
            break
        chosen.append(p)
        got += p.size
    return chosen


def _draw_round_robin(passages: list[Passage], quota: int, key, rng: random.Random, strategy: str,
                      used: Counter, used_strata: Counter) -> list[Passage]:
    """One passage per stratum (key) in turn, until the quota is met; strata that earlier batches
    drew least from (`used_strata`, units) go first, ties in a seeded order."""
    strata: dict[str, list[Passage]] = defaultdict(list)
    for p in passages:
        strata[key(p)].append(p)
    names = sorted(strata)
    rng.shuffle(names)
    names.sort(key=lambda n: used_strata.get(n, 0))
    queues = {n: _ordered(strata[n], rng, strategy, used) for n in names}
    chosen, got = [], 0
    while got < quota and any(queues.values()):
        for n in names:
            if got >= quota or (queues[n] and got + queues[n][0].size / 2 > quota):
                break
            if queues[n]:
                p = queues[n].pop(0)
                chosen.append(p)
                got += p.size
        else:
            continue
        break
    return chosen


def parse_mix(text: str | None) -> dict[str, float]:
    if not text:
        return {}
    out = {}
    for part in text.split(","):
        name, _, value = part.partition("=")
        try:
            out[name.strip()] = float(value)
        except ValueError:
            raise WarVoicesError(f"--mix {text!r}: give TYPE=SHARE pairs separated by commas, e.g. "
                                 "un_general_debate=0.42,us_official=0.2") from None
        if out[name.strip()] < 0:
            raise WarVoicesError(f"--mix: share of {name.strip()} is negative")
    return out


def select(store: Store, loader: TextLoader, batch: str, split: str, units: int, *, seed: int = 0,
           strategy: str = "random", predictions: Path | None = None, mix: dict[str, float] | None = None,
           war_share: float = DEFAULT_WAR_SHARE, min_len: int = DEFAULT_MIN, max_len: int = DEFAULT_MAX,
           progress: bool = True) -> Selection:
    check_batch_name(batch)
    if split not in SPLITS:
        raise WarVoicesError(f"--split must be one of {', '.join(SPLITS)}, not {split!r}")
    if strategy not in STRATEGIES:
        raise WarVoicesError(f"--strategy must be one of {', '.join(STRATEGIES)}, not {strategy!r}")
    if strategy == "uncertainty" and split != "train":
        raise WarVoicesError(f"{split} batches are drawn at random within strata, never by uncertainty: a test "
                             "chosen by a model's doubts would no longer show the data as it is. Use --strategy "
                             "random (the default) for validation and test")
    if strategy == "uncertainty" and predictions is None:
        raise WarVoicesError("--strategy uncertainty needs --predictions FILE (a pre-annotation file of the unlabelled "
                             "pool: `warvoices baselines predict --model tfidf_lr --format label-studio --out FILE`)")
    if units < 1:
        raise WarVoicesError("--units must be at least 1")
    if not 0 <= war_share <= 1:
        raise WarVoicesError("--war-share must be between 0 and 1")
    if not 1 <= min_len <= max_len:
        raise WarVoicesError(f"passage length {min_len}-{max_len}: need 1 <= min <= max")
    if selection_path(store, batch).exists() or (batches_dir(store) / f"{batch}.json").exists():
        raise WarVoicesError(f"batch {batch} already has a selection or a push; a batch never changes: choose a "
                             "new --batch name")
    unc, pred_info = (load_uncertainty(predictions) if predictions is not None else (None, None))
    taken = taken_units(store)
    sentences = store.sentences()
    pool = build_pool(store, loader, split, taken, min_len=min_len, max_len=max_len, uncertainty=unc,
                      sentences=sentences, progress=progress)
    # what earlier batches took, so this one spreads over articles and states they left
    articles = store.articles()
    used, used_states = Counter(), Counter()
    sentence_article = {s["sentence_id"]: s["article_id"] for s in sentences}
    for sid in taken:
        aid = sentence_article.get(sid)
        if aid:
            used[aid] += 1
            if articles[aid].get("country"):
                used_states[articles[aid]["country"]] += 1
    if not pool:
        raise WarVoicesError(f"no unlabelled units are left in split {split}")
    pool_units = Counter()
    for p in pool:
        pool_units[p.publisher_type] += p.size
    shares = dict(mix or {})
    unknown = sorted(set(shares) - set(pool_units))
    if unknown:
        raise WarVoicesError(f"--mix names publisher type(s) with no unlabelled units in {split}: {', '.join(unknown)} "
                             f"(available: {', '.join(sorted(pool_units))})")
    if not shares:
        others = [t for t in sorted(pool_units) if t != UN]
        if UN in pool_units:
            shares[UN] = DEFAULT_UN_SHARE if others else 1.0
        for t in others:
            shares[t] = (1.0 - shares.get(UN, 0.0)) / len(others)
    total_share = sum(shares.values())
    if total_share <= 0:
        raise WarVoicesError("--mix: the shares add up to 0")
    rng = random.Random(seed)
    # quotas, handing on what a type cannot fill
    quotas = {t: units * s / total_share for t, s in shares.items()}
    for _ in range(len(quotas)):
        short = {t: q - pool_units[t] for t, q in quotas.items() if q > pool_units[t]}
        if not short:
            break
        spare = sum(short.values())
        for t in short:
            quotas[t] = pool_units[t]
        open_types = [t for t in quotas if quotas[t] < pool_units[t]]
        weight = sum(shares[t] for t in open_types) or 1
        for t in open_types:
            quotas[t] += spare * shares[t] / weight
    by_type: dict[str, list[Passage]] = defaultdict(list)
    for p in pool:
        by_type[p.publisher_type].append(p)
    chosen_by_type: dict[str, list[Passage]] = {}
    for t in sorted(quotas):
        q = round(quotas[t])
        if q <= 0:
            continue
        ps = by_type[t]
        if t == UN:
            war = [p for p in ps if p.war_mention]
            other = [p for p in ps if not p.war_mention]
            q_war = min(round(q * war_share), sum(p.size for p in war))
            picked = _draw_round_robin(war, q_war, lambda p: p.country or "?", rng, strategy, used, used_states)
            got = sum(p.size for p in picked)
            for p in picked:
                used_states[p.country or "?"] += p.size
            picked += _draw_round_robin(other, q - got, lambda p: p.country or "?", rng, strategy, used, used_states)
        else:
            picked = _draw_proportional(ps, q, lambda p: p.year, rng, strategy, used)
        chosen_by_type[t] = picked
    # interleave the publisher types, so every stretch of the batch (and every annotator) sees all
    order: list[Passage] = []
    types = sorted(chosen_by_type)
    queues = {t: list(chosen_by_type[t]) for t in types}
    total = {t: sum(p.size for p in queues[t]) or 1 for t in types}
    done = {t: 0 for t in types}
    while any(queues.values()):
        t = min((t for t in types if queues[t]), key=lambda t: (done[t] / total[t], t))
        p = queues[t].pop(0)
        done[t] += p.size
        order.append(p)
    options = {"units": units, "mix": {t: round(s / total_share, 4) for t, s in sorted(shares.items())},
               "war_share": war_share, "passage_min": min_len, "passage_max": max_len, "war_rule": WAR_RULE,
               "war_pattern": WAR_MENTION_RE.pattern, "predictions": pred_info}
    pool_info = {"passages": len(pool), "units": dict(sorted(pool_units.items()))}
    return Selection(batch, split, strategy, seed, order, options, pool_info)


def write_selection(store: Store, sel: Selection) -> Path:
    path = selection_path(store, sel.batch)
    path.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(path, json.dumps(sel.to_json(), indent=1, ensure_ascii=False) + "\n")
    return path
