"""Newsletter-shaped HTML bodies, and what one e-mail of each costs to build.

A real newsletter is 20–100 KB of table layout with inline styles, varied words and many
distinct links; it compresses like real mail (4–8×), where repeated lorem ipsum
compresses ~50× and hides what storing it costs. :func:`newsletter_html` makes such a
body, deterministically, of about the size asked, with the two placeholders a
personalized newsletter has (``{first_name}``, ``{last_name}``).

``python -m benchmarks.newsletter [N]`` prints, per body size, the CPU time of building
one e-mail with the extension's :class:`~flask_broadcasts.channels.mime.MimeBuilder`
when the text alternative is converted once per template (what a run does now) and when
it is converted per message (what it did before), and the bytes of the e-mail beside
what base64 parts would have made it.
"""

from __future__ import annotations

import base64
import random
import sys
import time
import zlib

from flask_broadcasts.channels.mime import MimeBuilder
from flask_broadcasts.rendering import CompiledText
from flask_broadcasts.rendering.plain_text import PlainTextAlternative, html_to_text

#: Body sizes of ``make bench``'s newsletter lines, in KB.
SIZES_KB = (2, 30, 100)

_WORDS = [
    "offer",
    "season",
    "garden",
    "kitchen",
    "travel",
    "winter",
    "summer",
    "report",
    "update",
    "member",
    "event",
    "ticket",
    "price",
    "local",
    "team",
    "product",
    "design",
    "service",
    "customer",
    "review",
    "story",
    "family",
    "weekend",
    "market",
    "city",
    "coffee",
    "books",
    "music",
    "studio",
    "course",
    "health",
    "sport",
    "energy",
    "future",
    "project",
    "partner",
    "support",
    "community",
    "news",
    "letter",
    "invite",
    "launch",
    "guide",
    "recipe",
    "morning",
    "evening",
    "craft",
    "workshop",
    "gallery",
    "harbour",
    "mountain",
    "river",
    "village",
    "festival",
    "concert",
    "lecture",
    "library",
    "bakery",
    "cinema",
    "theatre",
]


def newsletter_html(size: int, *, seed: int = 29) -> str:
    """About ``size`` bytes of newsletter HTML: a table layout, inline styles, varied words, and
    one distinct link about every 500 bytes; ``{first_name}`` and ``{last_name}`` in the greeting."""
    rnd = random.Random(seed)
    rows = [
        '<table role="presentation" width="100%" cellpadding="0" cellspacing="0" '
        'style="background:#f4f4f7;font-family:Helvetica,Arial,sans-serif">\n',
        '<tr><td align="center" style="padding:24px 0;font-size:18px;color:#111827">'
        "Hello {first_name} {last_name},</td></tr>\n",
    ]
    size_so_far = sum(map(len, rows))
    number = 0
    while size_so_far < size - 10:
        number += 1
        words = " ".join(rnd.choice(_WORDS) for _ in range(rnd.randint(28, 56)))
        row = (
            '<tr><td style="padding:12px 24px;font-size:15px;line-height:22px;color:#374151">'
            f'<h2 style="margin:0 0 8px;font-size:17px;color:#111827">{words[:36].title()}</h2>'
            f'<p style="margin:0">{words} <a href="https://shop.example.com/p/{number}-{rnd.randrange(10**6)}'
            f'?utm_source=news&amp;utm_campaign=dec" style="color:#1a56db">Read more</a></p></td></tr>\n'
        )
        rows.append(row)
        size_so_far += len(row)
    rows.append("</table>")
    return "".join(rows)


def _build_cost(body: str, count: int, *, ahead: bool) -> tuple[float, int]:
    """CPU µs per e-mail and the size of the last one."""
    builder = MimeBuilder("news@example.com", campaign_id=1, run_key="bench", message_id_domain="example.com")
    template = CompiledText.compile(body)
    alternative = PlainTextAlternative.compile(template) if ahead else None
    started = time.process_time()
    size = 0
    for n in range(count):
        bindings = {"first_name": f"Ann{n}", "last_name": "Lee"}
        rendered = template.render(bindings)
        text = alternative.render(bindings) if alternative is not None else None
        built = builder.build(
            to=f"c{n}@example.com",
            subject=f"News for Ann{n}",
            body=rendered,
            action_label="Shop now",
            action_url="https://shop.example.com/",
            recipient_type="customers",
            recipient_id=str(n),
            text_body=text,
        )
        size = len(built.data)
    return (time.process_time() - started) / count * 1e6, size


def main(argv: list[str]) -> int:
    count = int(argv[0]) if argv else 2000
    print(f"{'body':>7} {'zlib':>5} {'ahead µs':>9} {'per-msg µs':>11} {'e-mail B':>9} {'base64 B':>9}")
    for kb in SIZES_KB:
        body = newsletter_html(kb * 1000)
        data = body.encode()
        n = max(200, count * 2 // kb) if kb > 2 else count
        ahead, size = _build_cost(body, n, ahead=True)
        per_message, _ = _build_cost(body, n, ahead=False)
        text = html_to_text(body).encode()
        base64_size = size - len(data) - len(text) + len(base64.encodebytes(data)) + len(base64.encodebytes(text))
        ratio = len(data) / len(zlib.compress(data))
        print(f"{len(data):>7,} {ratio:>5.1f} {ahead:>9.0f} {per_message:>11.0f} {size:>9,} {base64_size:>9,}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
