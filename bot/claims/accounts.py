"""Which accounts a claim may be paid to: a valid IBAN in the SEPA area (the payout is a SEPA transfer)."""

from __future__ import annotations

from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, InvalidLength, SchwiftyException


class BadIban(ValueError):
    """`code` says what is wrong: "checksum", "length", "invalid" or "not_sepa"."""

    def __init__(self, code: str):
        super().__init__(code)
        self.code = code


def sepa_iban(text: str) -> str:
    """The IBAN as written by a person (spaces, lower case) in its compact form, or BadIban."""
    try:
        iban = IBAN(text)
    except InvalidChecksumDigits:
        raise BadIban("checksum") from None
    except InvalidLength:
        raise BadIban("length") from None
    except SchwiftyException:
        raise BadIban("invalid") from None
    if not iban.in_sepa_zone:
        raise BadIban("not_sepa")
    return iban.compact
