"""The text alternative converted once per template is the one converted per message."""

from __future__ import annotations

from hypothesis import example, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from flask_broadcasts.rendering.placeholders import CompiledText
from flask_broadcasts.rendering.plain_text import PlainTextAlternative, html_to_text

NAMES = ["first_name", "city", "url"]
PIECES = st.sampled_from(
    [
        "<p>",
        "</p>",
        "<br>",
        "<b>",
        "</b>",
        '<td style="padding:4px">',
        "</tr>",
        "<style>p{}</style>",
        '<a href="{url}">',
        "</a>",
        "<script>x</script>",
        "&amp;",
        "&lt;",
        "&",
        "&am",
        "&#",
        "&#39;",
        " ",
        "  ",
        "\n",
        "\n\n\n",
        "\t",
        "\r\n",
        "Hello",
        "Zoë",
        ",",
        ";",
        "amp;",
        "{first_name}",
        "{city}",
        "{url}",
        "{missing}",
        "\u00a0",
        ">",
        # A placeholder in a tag's name could complete a breaking or a hidden tag.
        "<",
        "</",
        "<b",
        "<scr",
        "</script>",
    ]
)
TEMPLATES = st.lists(PIECES, max_size=30).map("".join)
VALUES = st.text(alphabet=st.sampled_from(list("aZ é&<>;#\n\t\u00a0amprit")), max_size=8)


def _per_message(template: CompiledText, bindings: dict[str, str]) -> str:
    return html_to_text(template.render(bindings, lambda v: str(escape(v))))


@settings(max_examples=400, deadline=None)
@given(TEMPLATES, st.fixed_dictionaries(dict.fromkeys(NAMES, VALUES)))
# Found by this test: the entity opens before a tag the conversion removes.
@example("&am<p>{city}", {"first_name": "", "city": "p", "url": ""})
# A value completing a tag's name: a line break, a hidden block.
@example("Hello<b{city}>there", {"first_name": "", "city": "r", "url": ""})
@example("Hello<scr{city}>there</script>!", {"first_name": "", "city": "ipt", "url": ""})
def test_whenever_it_answers_it_answers_what_the_per_message_conversion_gives(source, bindings):
    template = CompiledText.compile(source)
    alternative = PlainTextAlternative.compile(template)
    if alternative is None:
        return
    text = alternative.render(bindings)
    if text is not None:
        assert text == _per_message(template, bindings)


def test_a_newsletter_is_converted_ahead_and_ordinary_values_join_in():
    source = (
        '<table><tr><td style="font-size:15px">Hello {first_name},</td></tr>\n'
        '<tr><td><p>News from {city} &amp; around.</p><a href="{url}">Read more</a></td></tr></table>'
    )
    template = CompiledText.compile(source)
    alternative = PlainTextAlternative.compile(template)
    assert alternative is not None
    bindings = {"first_name": "Zoë Ann", "city": "Saint-Étienne", "url": "https://x.test/?a=1&b=2"}
    assert (
        alternative.render(bindings)
        == _per_message(template, bindings)
        == ("Hello Zoë Ann,\n\nNews from Saint-Étienne & around.\nRead more")
    )


def test_values_that_could_change_their_surroundings_are_left_to_the_per_message_conversion():
    alternative = PlainTextAlternative.compile(CompiledText.compile("<p>Hello {first_name} !</p>"))
    assert alternative is not None
    for value in ["", " Ann", "Ann ", "Ann\nBob", "Ann  Bob", "Ann\tBob"]:
        assert alternative.render({"first_name": value}) is None


def test_a_literal_that_could_join_a_value_into_an_entity_is_not_converted_ahead():
    assert PlainTextAlternative.compile(CompiledText.compile("<p>&am{x}</p>")) is None
    assert PlainTextAlternative.compile(CompiledText.compile("<p>&#{x}</p>")) is None
    assert PlainTextAlternative.compile(CompiledText.compile("<p>a\x00{x}</p>")) is None
