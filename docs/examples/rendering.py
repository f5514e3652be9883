"""The rendering rules of the docs' rendering page, as running code (tests/docs/test_examples.py)."""

from __future__ import annotations

from flask_broadcasts.rendering import CompiledTemplate, RecipientData, SmsInfo, TemplateContent, sms_info

# [template]
template = CompiledTemplate.compile(
    TemplateContent(
        subject="Hello {first_name}!",
        subject_i18n={"fr": "Bonjour {first_name} !"},
        body="<p>Hi {first_name} {last_name}</p>",
        body_i18n={"fr-CA": "<p>Allô {first_name}</p>", "fr": "<p>Bonjour {first_name}</p>"},
        body_short="Hi {first_name}, see {nickname}",
        action_label="Open",
        action_url="https://example.com/u/{first_name}?ref={last_name}",
        channels=("mail", "sms"),
    )
)
# [/template]

# [escaping]
message = template.render(
    RecipientData(
        bindings={"first_name": "Ada <b>&", "last_name": "Love/lace?x=1"},
        email="ada@example.com",
        mobile=None,
        locale="en-GB",
    )
)
assert message.body == "<p>Hi Ada &lt;b&gt;&amp; Love/lace?x=1</p>"  # HTML-escaped
assert message.subject == "Hello Ada <b>&!"  # plain, one line
assert message.action_url == "https://example.com/u/Ada%20%3Cb%3E%26?ref=Love%2Flace%3Fx%3D1"
assert message.channels == ("mail",)  # no mobile: no sms
assert message.locale is None  # en-GB: default text
# [/escaping]

# [missing]
message = template.render(RecipientData(bindings={"first_name": "Ada"}, email="a@example.com"))
assert message.body == "<p>Hi Ada </p>"  # last_name missing: empty
assert message.body_short == "Hi Ada, see "  # so is a name the model never binds
# [/missing]


# [locales]
def body_for(locale: str | None) -> str:
    return template.render(RecipientData(bindings={"first_name": "Zoé"}, email="z@example.com", locale=locale)).body


assert body_for("fr_CA") == "<p>Allô Zoé</p>"  # exact tag (any case, - or _)
assert body_for("fr-BE") == "<p>Bonjour Zoé</p>"  # fr-BE → fr
assert body_for("fr") == "<p>Bonjour Zoé</p>"  # never the more specific fr-CA
assert body_for("de") == "<p>Hi Zoé </p>"  # no variant: the default text
assert body_for("not a locale") == "<p>Hi Zoé </p>"  # junk: no preference, no failure
# [/locales]

# [header-injection]
message = template.render(RecipientData(bindings={"first_name": "Ada\r\nBcc: all@example.com"}, email="a@example.com"))
assert message.subject == "Hello Ada Bcc: all@example.com!"  # line breaks become one space
# [/header-injection]

# [sms]
assert sms_info("Hello Ada, your class is at 9:00.") == SmsInfo(encoding="GSM-7", segments=1, units=33)
assert sms_info("x" * 161).segments == 2  # 160 GSM-7 characters fit in one SMS, then 153 each
assert sms_info("€" * 80).units == 160  # € is in the extension table: 2 septets
assert sms_info("Zoë, ça va ? 🙂").encoding == "UCS-2"  # 🙂 (and ç) are not GSM-7: 70 per SMS, then 67
assert sms_info("").segments == 0
# [/sms]

# [inert]
evil = CompiledTemplate.compile(
    TemplateContent(subject="{first_name.__class__} {{7*7}} {0} ${first_name}", body="b", channels=("mail",))
)
assert evil.render(RecipientData(bindings={"first_name": "Ada"}, email="a@example.com")).subject == (
    "{first_name.__class__} {{7*7}} {0} $Ada"
)
# [/inert]
