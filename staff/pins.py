"""Staff PINs for the shared tablet (unlock and duty clock), stored as salted hashes.

A PIN of 4 to 6 digits has at most a million values: no hash makes it strong, the throttle
does (per person in ``services.pin_check``, per tablet where it is unlocked). So it is hashed
with far fewer rounds than a password: a morning of 100 tablets unlocking costs the server
milliseconds, not minutes. PINs stored before are still read, and rehashed when next typed."""

import unicodedata

from django.contrib.auth.hashers import PBKDF2PasswordHasher, check_password


class PinHasher(PBKDF2PasswordHasher):
    algorithm = "pin_pbkdf2_sha256"
    iterations = 20_000


def normalise(pin: str) -> str:
    """The PIN in ASCII digits: a full-width "１２３４" typed with a Chinese input method is
    the same PIN as "1234" from the tablet's keypad. Other characters are kept (and refused)."""
    return "".join(
        str(unicodedata.decimal(char)) if unicodedata.decimal(char, None) is not None else char
        for char in pin.strip()
    )


def is_valid(pin: str) -> bool:
    """4 to 6 digits, once normalised."""
    pin = normalise(pin)
    return pin.isascii() and pin.isdigit() and 4 <= len(pin) <= 6


def encode(pin: str) -> str:
    hasher = PinHasher()
    return hasher.encode(normalise(pin), hasher.salt())


def matches(pin: str, encoded: str) -> bool:
    pin = normalise(pin)
    if encoded.startswith(PinHasher.algorithm + "$"):
        return PinHasher().verify(pin, encoded)
    return check_password(pin, encoded)


def is_current(encoded: str) -> bool:
    return encoded.startswith(f"{PinHasher.algorithm}${PinHasher.iterations}$")
