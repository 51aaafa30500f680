"""Words of allauth's and Django's pages that netcourt says its own way in Chinese, or that
their own catalogues do not translate.

allauth's Simplified Chinese leaves "passkey" in English; the rest of the site says 通行密钥.
Django 5.2 changed the wording of the too-short password message, and its Chinese catalogue
still has only the old one, so the sign-up form said it in English. Our catalogue
(``LOCALE_PATHS``) comes before every app's, so a translation of the same message there wins:
these are the messages, marked so that ``makemessages`` keeps them in it.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop, ngettext_lazy

# Django's MinimumLengthValidator (never evaluated here; the validator asks for it).
TOO_SHORT = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
    "n",
)

MESSAGES = (
    gettext_noop("Sign in with a passkey"),
    gettext_noop("Sign up using a passkey"),
    gettext_noop("Passkey Sign Up"),
    gettext_noop("Passkey"),
    gettext_noop("This key does not indicate whether it is a passkey."),
    gettext_noop("Create Passkey"),
    gettext_noop(
        "You are about to create a passkey for your account. As you can add additional keys "
        "later on, you can use a descriptive name to tell the keys apart."
    ),
)
