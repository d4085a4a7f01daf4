"""Resolve stand-off sentences into text: sentence, neighbours and speaker, read at run time."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from .errors import InputError
from .store import Store, short_hash
from .texts import TextLoader


@dataclass(frozen=True)
class SentenceView:
    sentence_id: str
    article_id: str
    index: int
    kind: str
    text: str
    context_before: str
    context_after: str
    speaker: str
    flags: tuple[str, ...]


def views_for_article(article: dict, sentences: list[dict], text: str) -> list[SentenceView]:
    """SentenceViews of one article, in order; a sentence whose text drifted is an error."""
    sentences = sorted(sentences, key=lambda r: r["index"])
    texts = []
    for rec in sentences:
        s, e = rec["start"], rec["end"]
        if not (0 <= s < e <= len(text)):
            raise InputError(f"sentence {rec['sentence_id']}: offsets [{s}, {e}) fall outside the text of "
                             f"article {article['article_id']} ({len(text)} characters)")
        t = text[s:e]
        if short_hash(t) != rec["text_hash"]:
            raise InputError(f"sentence {rec['sentence_id']}: text at [{s}, {e}) no longer matches its stored "
                             "hash; run `warvoices corpus validate` to see every affected record")
        texts.append(t)
    out = []
    for i, rec in enumerate(sentences):
        sp = rec.get("speaker_span")
        out.append(SentenceView(
            sentence_id=rec["sentence_id"], article_id=rec["article_id"], index=rec["index"], kind=rec["kind"],
            text=texts[i], context_before=texts[i - 1] if i > 0 else "",
            context_after=texts[i + 1] if i + 1 < len(texts) else "",
            speaker=text[sp[0]:sp[1]] if sp else "", flags=tuple(rec.get("flags", ())),
        ))
    return out


def sentence_views(store: Store, loader: TextLoader, article_ids: Iterable[str]) -> dict[str, SentenceView]:
    """{sentence_id: SentenceView} for the given articles (their texts must be available)."""
    articles = store.articles()
    by_article: dict[str, list[dict]] = {}
    for rec in store.sentences():
        by_article.setdefault(rec["article_id"], []).append(rec)
    out: dict[str, SentenceView] = {}
    for aid in article_ids:
        if aid not in articles:
            raise InputError(f"article {aid!r} is not registered; see `warvoices corpus add --help`")
        for view in views_for_article(articles[aid], by_article.get(aid, []), loader.text(articles[aid])):
            out[view.sentence_id] = view
    return out


def sentence_texts(store: Store, loader: TextLoader, article_ids: Iterable[str]) -> dict[str, str]:
    return {sid: v.text for sid, v in sentence_views(store, loader, article_ids).items()}
