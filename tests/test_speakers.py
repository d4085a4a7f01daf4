"""Speaker normalisation: rules for label shapes, the reviewed alias table for what rules cannot know."""
from __future__ import annotations

import pytest

from warvoices.corpus.errors import InputError
from warvoices.corpus.speakers import Voice, fold, load_table, normalize, unify


@pytest.mark.parametrize("label, source, expected", [
    # the archive's garbled duplicated labels (issue 13), and invented ones of the same shape
    ("Defence Minister Sergei Shoigu Shoigu SergeiDefence Minister", "kremlin.jsonl",
     Voice("Sergei Shoigu", "Defence Minister")),
    ("Minister of Fisheries Anna Invented Invented AnnaMinister of Fisheries and Oceans", None,
     Voice("Anna Invented", "Minister of Fisheries")),
    ("Harbour Director Piet Example Example Piet", None, Voice("Piet Example", "Harbour Director")),
    ("Example PietDirector of the Harbour", None, Voice("Piet Example", "Director of the Harbour")),
    # post + name, the post kept whole even when it holds capitalised place names
    ("President of Russia Vladimir Putin", "kremlin.jsonl", Voice("Vladimir Putin", "President of Russia")),
    ("Vladimir Putin", "kremlin.jsonl", Voice("Vladimir Putin", None)),
    ("Member of the Presidency of Bosnia and Herzegovina Milorad Dodik", None,
     Voice("Milorad Dodik", "Member of the Presidency of Bosnia and Herzegovina")),
    ("Governor of the Invented Region and Chairman of the Regional Council of Elders Maria Exampleova :", None,
     Voice("Maria Exampleova", "Governor of the Invented Region and Chairman of the Regional Council of Elders")),
    ("Kommersant newspaper correspondent Andrei Kolesnikov", None,
     Voice("Andrei Kolesnikov", "Kommersant newspaper correspondent")),
    ("Chair, Invented Committee, Ohio Senator Jane Roe", None, Voice("Jane Roe", "Chair, Invented Committee, Ohio Senator")),
    ("Jane Roe, Founder of the Invented Institute", None, Voice("Jane Roe", "Founder of the Invented Institute")),
    # spellings of one person (table), surname-only capitals labels, honorifics
    ("Sergey Lavrov", None, Voice("Sergei Lavrov", None)),
    ("PRESIDENT BIDEN", "whitehouse.jsonl", Voice("Joe Biden", "President")),
    ("MR. SULLIVAN", "whitehouse.jsonl", Voice("Jake Sullivan", None)),
    ("PRIME MINISTER ŠIMONYTĖ", "whitehouse.jsonl", Voice("Ingrida Šimonytė", "Prime Minister")),
    ("SECRETARY GENERAL EXAMPLEBERG", None, Voice("Exampleberg", "Secretary General")),
    ("MS. O'EXAMPLE-SMITH", None, Voice("O'Example-Smith", None)),
    # who "THE PRESIDENT" is depends on the source
    ("THE PRESIDENT", "whitehouse.jsonl", Voice("Joe Biden", "President of the United States")),
    ("THE PRESIDENT", "invented.jsonl", Voice(None, "President")),
    # roles without a person
    ("Q", "whitehouse.jsonl", Voice(None, "Question")),
    ("SENIOR ADMINISTRATION OFFICIAL", None, Voice(None, "Senior administration official")),
    ("MILITARY AIDE:", None, Voice(None, "Military aide")),
    ("NATO", None, Voice("NATO", None)),
    # look-alike Cyrillic letters and stray whitespace
    ("Defenсe  Minister Ivan\u00a0Example", None, Voice("Ivan Example", "Defence Minister")),
    ("", None, Voice(None, None)),
    (None, None, Voice(None, None)),
])
def test_labels(label, source, expected):
    assert normalize(label, source=source) == expected


def test_metadata_names_are_not_split_into_post_and_name():
    assert normalize("Sheikh Hasina", "Prime Minister", is_name=True) == Voice("Sheikh Hasina", "Prime Minister")
    assert normalize("Cardinal Ana Example", "Secretary of State", is_name=True) == Voice("Ana Example", "Secretary of State")
    assert normalize("Penelope Wong", "Minister for Foreign Affairs", is_name=True).speaker == "Penny Wong"
    assert normalize("Luiz Inacio Lula da Silva", "President", is_name=True).speaker == "Luiz Inácio Lula da Silva"
    assert normalize("Giorgia Example,", None, is_name=True) == Voice("Giorgia Example", None)


def test_fold_ignores_accents_case_dots_and_initials():
    assert fold("Félix-Antoine Tshisekedi") == fold("felix antoine TSHISEKEDI")
    assert fold("Wesley W. Simina") == fold("Wesley Simina")
    assert fold("Ana Example") != fold("Ana Exemple")


def test_unify_gives_one_string_per_person():
    names = ["Jose Exámple", "Jose Example", "Jose Example", "José Exámple", "Sergei Lavrov", "Other Person"]
    out = unify(names)
    assert len({out[n] for n in names[:4]}) == 1 and out["Jose Example"] == "Jose Example"  # most frequent
    assert out["Other Person"] == "Other Person"
    tied = unify(["Ana Perez", "Ana Pérez"])
    assert tied["Ana Perez"] == tied["Ana Pérez"] == "Ana Pérez"  # ties keep the accents


def test_table_rejects_a_variant_of_two_people(tmp_path):
    p = tmp_path / "speakers.yaml"
    p.write_text("people:\n  Ana Example: [Example]\n  Bo Example: [example]\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"speakers\.yaml: people\.Bo Example: variant 'example' also belongs to 'Ana Example'"):
        load_table(p)


def test_committed_table_loads():
    table = load_table()
    assert table.person("Zelenskky") == "Volodymyr Zelenskyy"


@pytest.mark.parametrize("a, b", [
    ("Sergey Ivanovsky", "Sergei Ivanovsky"), ("Valeriy Examplev", "Valery Examplev"),
    ("Aleksei Invented", "Alexei Invented"), ("Aleksandr Example", "Alexander Example"),
    ("Dmitri Madeup", "Dmitry Madeup"),
])
def test_romanisation_variants_are_one_person(a, b):
    assert fold(a) == fold(b)
    assert len(set(unify([a, b, b]).values())) == 1


def test_unseen_long_kremlin_label():
    label = ("Governor of the Invented Region, Chairman of the Commission on Invented Affairs of the State Council "
             "Pyotr Madeup Madeup PyotrGovernor of the Invented Region")
    assert normalize(label) == Voice("Pyotr Madeup", "Governor of the Invented Region, Chairman of the Commission "
                                                     "on Invented Affairs of the State Council")
