"""Words of allauth's pages that netcourt says its own way in Chinese.

allauth's Simplified Chinese leaves "passkey" in English; the rest of the site says 通行密钥.
Our catalogue (``LOCALE_PATHS``) comes before every app's, so a translation of the same
message there wins: these are the messages, marked so that ``makemessages`` keeps them in it.
"""

from __future__ import annotations

from django.utils.translation import gettext_noop

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
