"""The texts of the unsubscribe footer and page, per language (pure data).

Chosen by the message's locale chain (``fr-CA``, then ``fr``), else English. A host that
wants other words or languages overrides the page's template
(``broadcasts/unsubscribe.html``) and turns the footer off in favour of its own
``{unsubscribe_url}`` link.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType

__all__ = ["DEFAULT_LANGUAGE", "TEXTS", "texts_for"]

DEFAULT_LANGUAGE = "en"

_EN = {
    "footer": "Unsubscribe",
    "title": "Unsubscribe from {organization}",
    "question": "Stop receiving e-mails from {organization} at this address?",
    "button": "Unsubscribe",
    "done_title": "You are unsubscribed",
    "done": "{organization} will send no more e-mails to this address.",
    "invalid_title": "This link cannot be used",
    "invalid": "The link is not valid or has expired. You can unsubscribe with the link of a more recent e-mail.",
}
_FR = {
    "footer": "Se désabonner",
    "title": "Se désabonner de {organization}",
    "question": "Ne plus recevoir d'e-mails de {organization} à cette adresse ?",
    "button": "Me désabonner",
    "done_title": "Vous êtes désabonné",
    "done": "{organization} n'enverra plus d'e-mails à cette adresse.",
    "invalid_title": "Ce lien n'est pas utilisable",
    "invalid": "Le lien n'est pas valide ou a expiré. Utilisez le lien d'un e-mail plus récent.",
}
_DE = {
    "footer": "Abmelden",
    "title": "Von {organization} abmelden",
    "question": "Keine E-Mails mehr von {organization} an diese Adresse erhalten?",
    "button": "Abmelden",
    "done_title": "Sie sind abgemeldet",
    "done": "{organization} sendet keine E-Mails mehr an diese Adresse.",
    "invalid_title": "Dieser Link ist nicht verwendbar",
    "invalid": "Der Link ist ungültig oder abgelaufen. Verwenden Sie den Link einer neueren E-Mail.",
}
_ES = {
    "footer": "Darse de baja",
    "title": "Darse de baja de {organization}",
    "question": "¿Dejar de recibir correos de {organization} en esta dirección?",
    "button": "Darme de baja",
    "done_title": "Se ha dado de baja",
    "done": "{organization} no enviará más correos a esta dirección.",
    "invalid_title": "Este enlace no se puede usar",
    "invalid": "El enlace no es válido o ha caducado. Use el enlace de un correo más reciente.",
}

#: Language → text name → text (``{organization}`` is the one placeholder).
TEXTS: Mapping[str, Mapping[str, str]] = MappingProxyType(
    {"en": MappingProxyType(_EN), "fr": MappingProxyType(_FR), "de": MappingProxyType(_DE), "es": MappingProxyType(_ES)}
)


def texts_for(chain: Iterable[str]) -> Mapping[str, str]:
    """The texts of the first tag of ``chain`` (canonical tags, most specific first) that has them."""
    for tag in chain:
        found = TEXTS.get(tag) or TEXTS.get(tag.split("-")[0].lower())
        if found is not None:
            return found
    return TEXTS[DEFAULT_LANGUAGE]
