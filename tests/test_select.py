"""`annotate select`: passages of whole paragraphs, strata, the UN war rule, no repeats,
reproducibility, and uncertainty only for train. Texts are invented here; the loader is a
stand-in that serves them from a dict (the real one reads bundled files or the archive)."""
from __future__ import annotations

import json
from collections import Counter

import pytest

from warvoices.annotation import select as sel
from warvoices.corpus.errors import WarVoicesError
from warvoices.corpus.sentences import records_for
from warvoices.corpus.store import Store


class DictLoader:
    def __init__(self, texts: dict[str, str]):
        self.texts = texts

    def text(self, article: dict) -> str:
        return self.texts[article["article_id"]]

    def title(self, article: dict) -> str:
        return article.get("title") or article["article_id"]


def _para(topic: str, n: int, war: bool) -> str:
    words = ["harvest", "schools", "rivers", "roads", "clinics", "markets", "forests"]
    out = []
    for i in range(n):
        subject = "The war against Ukraine" if war and i == 0 else f"Our {words[i % len(words)]}"
        out.append(f"{subject} matters for {topic} number {i + 1} this year.")
    return " ".join(out)


def make_store(tmp_path, n_un=6, n_plain=4):
    """UN-like addresses (paragraphs split by blank lines, some mentioning the war) from six
    states, and one-paragraph plain texts of three publisher types over two years."""
    root = tmp_path / "store"
    root.mkdir()
    articles, sentences, texts = [], [], {}
    for k in range(n_un):
        aid = f"un-{k:02d}"
        paras = [_para(f"peace {k}", 6, war=(j % 2 == 0)) for j in range(5)]
        texts[aid] = "\n\n".join(paras)
        articles.append({"article_id": aid, "publisher_type": sel.UN, "layout": "un_debate", "split": "test",
                         "date": f"202{2 + k % 2}-09-20", "country": f"C{k % 6}", "exclude": [],
                         "text_source": {"bundled": "x"}})
    for t, ptype in enumerate(("us_official", "russia_official", "ukraine_official")):
        for k in range(n_plain):
            aid = f"{ptype[:2]}-{k:02d}"
            texts[aid] = _para(f"talks {t}{k}", 25, war=True)
            articles.append({"article_id": aid, "publisher_type": ptype, "layout": "plain", "split": "test",
                             "date": f"202{2 + k % 2}-03-01", "exclude": [], "text_source": {"bundled": "x"}})
    for a in articles:
        sentences.extend(records_for(a, texts[a["article_id"]]))
    (root / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in articles))
    (root / "sentences.jsonl").write_text("".join(json.dumps(s) + "\n" for s in sentences))
    for name in ("annotations.jsonl", "final.jsonl"):
        (root / name).write_text("")
    return Store(root), DictLoader(texts)


def test_passages_are_whole_paragraphs_within_bounds(tmp_path):
    store, loader = make_store(tmp_path)
    art = store.articles()["un-00"]
    units = store.sentences("un-00")
    text = loader.text(art)
    passages = sel.article_passages(art, units, text, set(), min_len=8, max_len=14)
    # 5 paragraphs of 6 units: passages of two paragraphs (12 units), then the last paragraph
    # (6 units) joins nothing: 12 + 6 > 14
    assert [len(p) for p in passages] == [12, 12, 6]
    paras = sel.paragraph_spans(text, layout="un_debate")
    for p in passages:
        # a passage begins at a paragraph start and ends at a paragraph end
        assert any(p[0]["start"] == a for a, _ in paras)
        assert any(p[-1]["end"] == b for _, b in paras)
    assert [u["index"] for p in passages for u in p] == list(range(30))


def test_one_paragraph_text_is_cut_evenly_and_taken_units_split_runs(tmp_path):
    store, loader = make_store(tmp_path)
    art = store.articles()["us-00"]
    units = store.sentences("us-00")          # 25 units in one paragraph
    text = loader.text(art)
    assert [len(p) for p in sel.article_passages(art, units, text, set())] == [13, 12]
    taken = {units[10]["sentence_id"]}
    passages = sel.article_passages(art, units, text, taken)
    ids = [u["sentence_id"] for p in passages for u in p]
    assert units[10]["sentence_id"] not in ids and len(ids) == 24
    # no passage runs across the taken unit
    assert all(not (p[0]["index"] < 10 < p[-1]["index"]) for p in passages)


def test_selection_is_stratified_reproducible_and_never_repeats(tmp_path):
    store, loader = make_store(tmp_path)
    a = sel.select(store, loader, "b1", "test", 120, seed=3, progress=False)
    b = sel.select(store, loader, "b1", "test", 120, seed=3, progress=False)
    assert [p.sentence_ids for p in a.passages] == [p.sentence_ids for p in b.passages]
    by_type = Counter()
    for p in a.passages:
        by_type[p.publisher_type] += p.size
    assert set(by_type) == {sel.UN, "us_official", "russia_official", "ukraine_official"}
    assert 0.3 <= by_type[sel.UN] / a.units <= 0.55
    assert abs(a.units - 120) <= 20
    # UN passages spread over states before a state gives a second one
    states = [p.country for p in a.passages if p.publisher_type == sel.UN]
    assert len(set(states)) == min(len(states), 6)
    # publisher types are interleaved: the first four passages hold all four types
    assert len({p.publisher_type for p in a.passages[:4]}) == 4
    sel.write_selection(store, a)
    c = sel.select(store, loader, "b2", "test", 120, seed=3, progress=False)
    assert not set(a.sentence_ids()) & set(c.sentence_ids())
    with pytest.raises(WarVoicesError, match="already has a selection"):
        sel.select(store, loader, "b1", "test", 10, seed=1, progress=False)
    # the stored choice reads back as it was written
    again = sel.load_selection(store, "b1")
    assert again.sentence_ids() == a.sentence_ids() and again.seed == 3


def test_un_war_share_follows_the_documented_rule(tmp_path):
    store, loader = make_store(tmp_path)
    only_un = {sel.UN: 1.0}
    all_war = sel.select(store, loader, "w1", "test", 60, mix=only_un, war_share=1.0, progress=False,
                         min_len=6, max_len=6)
    assert all(p.war_mention for p in all_war.passages)
    no_war = sel.select(store, loader, "w2", "test", 60, mix=only_un, war_share=0.0, progress=False,
                        min_len=6, max_len=6)
    assert not any(p.war_mention for p in no_war.passages)
    assert sel.WAR_MENTION_RE.search("The Black Sea Grain Initiative fed millions.")
    assert not sel.WAR_MENTION_RE.search("Our harvest matters for peace this year.")


def test_uncertainty_only_for_train_and_orders_by_doubt(tmp_path):
    store, loader = make_store(tmp_path)
    with pytest.raises(WarVoicesError, match="never by uncertainty"):
        sel.select(store, loader, "u1", "test", 50, strategy="uncertainty", predictions=tmp_path / "p.jsonl",
                   progress=False)
    # make everything train, and give the units of article ru-02 the lowest scores
    arts = [dict(a, split="train") for a in store.articles().values()]
    (store.root / "articles.jsonl").write_text("".join(json.dumps(a) + "\n" for a in arts))
    store = Store(store.root)
    preds = tmp_path / "p.jsonl"
    lines = [{"sentence_id": s["sentence_id"], "labels": {}, "model": "m", "version": "1",
              "score": 0.4 if s["article_id"] == "ru-02" else 0.95} for s in store.sentences()]
    preds.write_text("".join(json.dumps(x) + "\n" for x in lines))
    u = sel.select(store, loader, "u2", "train", 26, strategy="uncertainty", predictions=preds,
                   mix={"russia_official": 1.0}, progress=False)
    # the years are strata (13 units each); within 2022 the doubted article wins over ru-00
    chosen = {p.article_id for p in u.passages}
    assert "ru-02" in chosen and "ru-00" not in chosen
    assert u.options["predictions"]["model"] == "m"
    r = sel.select(store, loader, "u3", "train", 26, strategy="random", mix={"russia_official": 1.0}, seed=5,
                   progress=False)
    assert len({p.article_id for p in r.passages}) == 2   # articles take turns


def test_bad_predictions_file_names_the_line(tmp_path):
    bad = tmp_path / "p.jsonl"
    bad.write_text('{"sentence_id": "a", "score": 0.5}\n{"sentence_id": "b", "score": 7}\n')
    with pytest.raises(WarVoicesError, match=r"p.jsonl:2: score must be a probability"):
        sel.load_uncertainty(bad)


def test_push_takes_the_selection_units_only(tmp_path):
    from warvoices.annotation.ls_push import batch_tasks

    store, loader = make_store(tmp_path)
    s = sel.select(store, loader, "p1", "test", 40, seed=1, progress=False)
    order, data = batch_tasks(store, loader, s.articles(), s.sentence_ids())
    assert order == s.sentence_ids() and set(data) == set(order)
    with pytest.raises(WarVoicesError, match="not active units"):
        batch_tasks(store, loader, s.articles(), s.sentence_ids() + ["un-00-s9999"])
