"""flask_broadcasts.rendering.unsubscribe_texts: the words of the unsubscribe footer and page.

What a user relies on: a recipient reads them in the first language of the message's locale
chain that has them (a regional tag falls back to its language), else in English; every
language has every text, with the organization's name where English puts it."""

from __future__ import annotations

import string

import pytest

from flask_broadcasts.rendering.unsubscribe_texts import DEFAULT_LANGUAGE, TEXTS, texts_for


@pytest.mark.parametrize(
    ("chain", "footer"),
    [
        (["fr-CA", "fr"], "Se désabonner"),
        (["fr-CA"], "Se désabonner"),  # a regional tag alone still finds its language
        (["it", "de"], "Abmelden"),  # the first tag of the chain that has texts wins
        (["es-419"], "Darse de baja"),
        (["de", "fr"], "Abmelden"),
    ],
)
def test_the_first_language_of_the_chain_with_texts_is_used(chain: list[str], footer: str) -> None:
    assert texts_for(chain)["footer"] == footer


@pytest.mark.parametrize("chain", [[], ["it"], ["pt-BR", "pt"]])
def test_without_a_known_language_the_texts_are_english(chain: list[str]) -> None:
    assert DEFAULT_LANGUAGE == "en"
    assert texts_for(chain) is TEXTS["en"]
    assert texts_for(chain)["done_title"] == "You are unsubscribed"


def test_every_language_has_every_text_with_the_same_placeholders() -> None:
    def placeholders(text: str) -> set[str]:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name}

    english = TEXTS["en"]
    assert set(TEXTS) == {"en", "fr", "de", "es"}
    for language, texts in TEXTS.items():
        # A missing text would fail the page with a KeyError in that language only.
        assert set(texts) == set(english), language
        for name, text in texts.items():
            assert placeholders(text) == placeholders(english[name]), (language, name)
            assert text.format(organization="Acme")  # formats with the one placeholder given


def test_the_texts_cannot_be_changed_by_a_caller() -> None:
    with pytest.raises(TypeError):
        TEXTS["en"]["footer"] = "Leave"  # type: ignore[index]
    assert texts_for(["en"])["footer"] == "Unsubscribe"
