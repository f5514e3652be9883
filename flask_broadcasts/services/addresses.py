"""The stored form of a channel's address, shared by the suppression list and the consent records."""

from __future__ import annotations

from ..rendering.numbers import UnusableNumber, e164

__all__ = ["CHANNELS", "MAX_ADDRESS_LENGTH", "normalize_address"]

#: The channels a suppression or a consent record may name.
CHANNELS: tuple[str, ...] = ("mail", "sms")
MAX_ADDRESS_LENGTH = 320


def normalize_address(channel: str, address: str) -> str:
    """The stored form of ``address``: an e-mail address lower-cased, a mobile number in E.164.

    :raises ValueError: an address no message of the channel could have (its text says why).
    """
    text = address.strip()
    if channel == "sms":
        try:
            return e164(text)
        except UnusableNumber as problem:
            raise ValueError(f"Not a mobile number in E.164 form: {problem.detail}.") from None
    if channel != "mail":
        raise ValueError(f"Unknown channel {channel!r}.")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() or ord(ch) < 0x20 for ch in text):
        raise ValueError("Not an e-mail address.")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise ValueError(f"Longer than {MAX_ADDRESS_LENGTH} characters.")
    return text.lower()


def address_forms(channel: str | None, address: str) -> list[str]:
    """The stored forms ``address`` may have on ``channel`` (on any channel without one): what a
    ``filter[address]`` matches. An address that is none of them matches nothing."""
    forms = set()
    for name in (channel,) if channel else CHANNELS:
        try:
            forms.add(normalize_address(name, address))
        except ValueError:
            continue
    return sorted(forms)
