"""Currency codes: the one ISO 4217 check for every currency a row of prices or rates names."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

# ISO 4217 list one: the alphabetic codes of currencies in use (funds, metals and test codes
# left out), plus codes withdrawn since 2023 that old rows may still name. A block of text reads
# and checks more easily than 160 quoted strings.
ISO_4217 = frozenset("""
AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL BSD BTN BWP BYN
BZD CAD CDF CHF CLP CNY COP CRC CUC CUP CVE CZK DJF DKK DOP DZD EGP ERN ETB EUR FJD FKP GBP GEL
GHS GIP GMD GNF GTQ GYD HKD HNL HRK HTG HUF IDR ILS INR IQD IRR ISK JMD JOD JPY KES KGS KHR KMF
KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR
MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG
SEK SGD SHP SLE SLL SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD
UYU UZS VED VES VND VUV WST XAF XCD XCG XDR XOF XPF YER ZAR ZMW ZWG ZWL
""".split())  # noqa: SIM905


def check_currency(code: str) -> str:
    """An ISO 4217 currency code, else ValueError saying what is allowed."""
    if code not in ISO_4217:
        raise ValueError(f"unknown currency {code!r}: use an ISO 4217 code such as USD, EUR, "
                         "CNY, GBP or JPY")
    return code


Currency = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(check_currency)]
