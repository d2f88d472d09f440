"""What stands for a person without a photo: a coloured circle with part of the name."""

import uuid

# The colour classes (avcN in portal.css), each dark enough for white text (4.5:1 or more).
COLOURS = 8


def avatar_text(name: str) -> str:
    """The given name of a Chinese name (小明 of 王小明: siblings share the family name),
    initials of a Latin one."""
    name = str(name).strip()
    if name and not name.isascii():
        return name[1:3] if len(name) > 1 else name
    return "".join(part[0] for part in name.split()[:2]).upper()


def avatar_colour(key: uuid.UUID | int) -> str:
    """The colour class of a person's circle, steady for as long as the person exists (from
    their key, or the number of a staff member's login)."""
    number = key.int if isinstance(key, uuid.UUID) else int(key)
    return f"avc{number % COLOURS}"
