"""RFC 3161 trusted timestamps: a built-in Time-Stamp Authority and offline token checks.

The court timestamps its transparency-log checkpoints. By default it does so with the
built-in :class:`TimestampAuthority` (an ECDSA P-256 key and a self-signed certificate whose
only extended key usage is id-kp-timeStamping); a deployment may instead send
:func:`request_for` requests to an external TSA over HTTP and keep the token that
:func:`token_from_response` extracts from the answer. Either way the token is checked offline
by :func:`verify_token`.

Standards followed: RFC 3161 (Time-Stamp Protocol), RFC 5816 (ESSCertIDv2 in time-stamp
tokens), RFC 5652 (CMS SignedData), RFC 5035 (signing-certificate attributes), RFC 5754 and
RFC 5753 (SHA-2 and ECDSA in CMS), RFC 4056 (RSA-PSS in CMS), RFC 8419 (Ed25519 in CMS).

What :func:`verify_token` proves, and what it does not:

* It proves that the token is a well-formed time-stamp token, that its signature over the
  signed attributes verifies with the public key of the signer's certificate, that the
  signed attributes bind the encapsulated TSTInfo (message-digest, content-type) and the
  signer's certificate (ESS signing-certificate, v1 or v2), that the certificate is a
  time-stamping certificate (critical extended key usage id-kp-timeStamping and nothing else)
  valid at genTime, and that the imprint is the hash of the message.
* Without ``trusted_certificate`` it does not prove *who* the signer is: a self-signed
  certificate is only an identity claim. The result reports ``tsa_certificate_sha256`` so the
  caller can compare it with the certificate it trusts; or pass that certificate as
  ``trusted_certificate`` and any other signer is refused with code ``"untrusted"``.
* It does not build or validate certificate chains, and does not check revocation.

Hostile bytes never escape as anything but :class:`TimestampError` (for tokens and responses)
or a rejection response (for requests given to :meth:`TimestampAuthority.respond`).

Time is injected: every function that needs "now" takes it as an argument.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

__all__ = [
    "DEFAULT_POLICY",
    "ERROR_CODES",
    "StampInfo",
    "TimestampAuthority",
    "TsaPrivateKey",
    "TimestampError",
    "request_for",
    "token_from_response",
    "verify_token",
]

# The built-in authority's default TSA policy. It lives under the ITU-T X.667 "2.25" arc, where
# anyone may form an object identifier from a UUID without registering it; this one was drawn
# at random for netcourt (UUID 5457b050-79b0-45f7-acd1-0a73308d6ba1) and means "netcourt
# built-in time-stamp authority, not accredited". A deployment with its own policy (for
# example one under its own enterprise arc) passes it as ``policy=`` to TimestampAuthority.
DEFAULT_POLICY: Final = "2.25.112110457552629494707464346640667470753"

ERROR_CODES: Final = frozenset(
    {
        "malformed",
        "bad_signature",
        "imprint_mismatch",
        "untrusted",
        "rejected",
        "bad_nonce",
        "unsupported",
    }
)

# Requests longer than this are refused unread; a real one is under 200 bytes.
MAX_REQUEST_BYTES: Final = 8192
# Nonces wider than this are refused (RFC 3161 suggests 64 bits; openssl sends 64).
MAX_NONCE_BITS: Final = 512
# Serial numbers of time-stamp tokens: positive, at most 160 bits (RFC 3161, section 2.4.2).
MAX_SERIAL: Final = 2**160 - 1


class TimestampError(Exception):
    """A token, response or request could not be accepted; ``code`` says why.

    Codes (stable, see :data:`ERROR_CODES`):

    * ``malformed``: not a well-formed time-stamp token / response, or not an answer to the
      request it was given with;
    * ``bad_signature``: the CMS signature, or the digest it protects, does not verify;
    * ``imprint_mismatch``: an authentic token, but over another message or request;
    * ``untrusted``: the signer is not the trusted certificate, or its certificate is not a
      time-stamping certificate valid at the stamp's time, or no certificate is available;
    * ``rejected``: the TSA refused the request (status and failure reasons in the message);
    * ``bad_nonce``: the response's nonce differs from the request's;
    * ``unsupported``: an algorithm or a critical extension this module does not handle.
    """

    def __init__(self, code: str, message: str) -> None:
        if code not in ERROR_CODES:
            raise ValueError(f"unknown timestamp error code {code!r}")
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class StampInfo:
    """What a verified token says: when, which serial, under which policy, signed by whom."""

    gen_time: datetime
    serial: int
    policy: str
    tsa_subject: str
    tsa_certificate_sha256: str
    hash_algorithm: str


# --- Object identifiers ------------------------------------------------------------------

_OID_SIGNED_DATA: Final = "1.2.840.113549.1.7.2"
_OID_TST_INFO: Final = "1.2.840.113549.1.9.16.1.4"
_OID_CONTENT_TYPE: Final = "1.2.840.113549.1.9.3"
_OID_MESSAGE_DIGEST: Final = "1.2.840.113549.1.9.4"
_OID_SIGNING_TIME: Final = "1.2.840.113549.1.9.5"
_OID_SIGNING_CERTIFICATE: Final = "1.2.840.113549.1.9.16.2.12"
_OID_SIGNING_CERTIFICATE_V2: Final = "1.2.840.113549.1.9.16.2.47"

_OID_RSA: Final = "1.2.840.113549.1.1.1"
_OID_RSA_PSS: Final = "1.2.840.113549.1.1.10"
_OID_MGF1: Final = "1.2.840.113549.1.1.8"
_OID_EC_PUBLIC_KEY: Final = "1.2.840.10045.2.1"
_OID_ED25519: Final = "1.3.101.112"


@dataclass(frozen=True)
class _Digest:
    name: str
    oid: str
    size: int
    algorithm: Callable[[], hashes.HashAlgorithm]

    def hash(self, data: bytes) -> bytes:
        return hashlib.new(self.name, data).digest()


_SHA1: Final = _Digest("sha1", "1.3.14.3.2.26", 20, hashes.SHA1)
_SHA256: Final = _Digest("sha256", "2.16.840.1.101.3.4.2.1", 32, hashes.SHA256)
_SHA384: Final = _Digest("sha384", "2.16.840.1.101.3.4.2.2", 48, hashes.SHA384)
_SHA512: Final = _Digest("sha512", "2.16.840.1.101.3.4.2.3", 64, hashes.SHA512)

# Digests accepted for message imprints and for CMS signatures. SHA-1 is only accepted as the
# certificate hash inside an RFC 2634 ESSCertID (version 1 of the signing-certificate
# attribute, which can hold nothing else and which openssl's TSA still writes by default).
_DIGESTS_BY_OID: Final = {d.oid: d for d in (_SHA256, _SHA384, _SHA512)}
_DIGESTS_BY_NAME: Final = {d.name: d for d in (_SHA256, _SHA384, _SHA512)}

_RSA_PKCS1_WITH: Final = {
    "1.2.840.113549.1.1.11": _SHA256,
    "1.2.840.113549.1.1.12": _SHA384,
    "1.2.840.113549.1.1.13": _SHA512,
}
_ECDSA_WITH: Final = {
    "1.2.840.10045.4.3.2": _SHA256,
    "1.2.840.10045.4.3.3": _SHA384,
    "1.2.840.10045.4.3.4": _SHA512,
}
_ECDSA_OID_FOR: Final = {d.name: oid for oid, d in _ECDSA_WITH.items()}
_CURVE_DIGEST: Final = {"secp256r1": _SHA256, "secp384r1": _SHA384, "secp521r1": _SHA512}


# --- Small helpers -----------------------------------------------------------------------


def _require_aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("now must be a timezone-aware datetime")
    return now.astimezone(UTC)


def _whole_seconds(now: datetime) -> datetime:
    return _require_aware(now).replace(microsecond=0)


def _add_years(moment: datetime, years: int) -> datetime:
    try:
        return moment.replace(year=moment.year + years)
    except ValueError:  # 29 February in a year that has none
        return moment.replace(year=moment.year + years, day=28)


def _check_serial(serial: int) -> None:
    if not 0 < serial <= MAX_SERIAL:
        raise ValueError("serial must be a positive integer of at most 160 bits")


def _dotted(oid: Any) -> str:
    return str(oid.dotted)


def _absent(value: Any) -> bool:
    return isinstance(value, core.Void)


def _no_parameters(algorithm: Any) -> bool:
    """An AlgorithmIdentifier's parameters are absent or NULL (RFC 5754 2, RFC 5758 3.2)."""
    # Read from the raw contents, so that parameters of the wrong type are a "no" here rather
    # than an error from parsing them.
    parameters = bytes(algorithm.contents)[len(algorithm["algorithm"].dump()) :]
    return parameters in (b"", b"\x05\x00")


def _names_equal(first_der: bytes, second_der: bytes) -> bool:
    """Distinguished names equal byte for byte, or after RFC 5280 string preparation."""
    if first_der == second_der:
        return True
    try:
        return bool(asn1_x509.Name.load(first_der) == asn1_x509.Name.load(second_der))
    except Exception:
        return False


def _digest_named(name: str) -> _Digest:
    try:
        return _DIGESTS_BY_NAME[name.lower().replace("-", "")]
    except KeyError:
        raise ValueError(
            f"hash_algorithm must be one of sha256, sha384, sha512, not {name!r}"
        ) from None


def _digest_for(oid: str, what: str) -> _Digest:
    digest = _DIGESTS_BY_OID.get(oid)
    if digest is None:
        raise TimestampError("unsupported", f"{what} uses unsupported hash algorithm {oid}")
    return digest


# --- A small DER encoder for what this module writes -------------------------------------
#
# Tokens, responses and requests are written by hand: it is short, every byte is where
# X.690's distinguished rules put it, and it is some fifty times faster than building
# asn1crypto objects (which re-serialise an embedded certificate over and over).


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(octets)]) + octets


def _tlv(tag: int, content: bytes) -> bytes:
    return bytes([tag]) + _der_length(len(content)) + content


def _der_sequence(*parts: bytes) -> bytes:
    return _tlv(0x30, b"".join(parts))


def _der_set_of(*parts: bytes) -> bytes:
    # X.690 11.6: the elements' encodings in ascending order.
    return _tlv(0x31, b"".join(sorted(parts)))


def _der_integer(value: int) -> bytes:
    magnitude = value if value >= 0 else ~value
    return _tlv(0x02, value.to_bytes(magnitude.bit_length() // 8 + 1, "big", signed=True))


def _der_oid(dotted: str) -> bytes:
    arcs = [int(arc) for arc in dotted.split(".")]
    content = bytearray()
    for arc in [arcs[0] * 40 + arcs[1], *arcs[2:]]:
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        content.extend(reversed(chunk))
    return _tlv(0x06, bytes(content))


def _der_octets(value: bytes) -> bytes:
    return _tlv(0x04, value)


def _der_utf8(text: str) -> bytes:
    return _tlv(0x0C, text.encode("utf-8"))


def _der_generalized_time(moment: datetime) -> bytes:
    # Whole seconds, so no fraction to trim (X.690 11.7, RFC 3161 2.4.2).
    return _tlv(0x18, moment.strftime("%Y%m%d%H%M%SZ").encode("ascii"))


def _der_signing_time(moment: datetime) -> bytes:
    # RFC 5652 11.3: UTCTime from 1950 to 2049, GeneralizedTime otherwise.
    if 1950 <= moment.year < 2050:
        return _tlv(0x17, moment.strftime("%y%m%d%H%M%SZ").encode("ascii"))
    return _der_generalized_time(moment)


def _der_named_bit(bit: int) -> bytes:
    # A named bit list keeps no trailing zero bits (X.690 11.2.2).
    content = bytearray(bit // 8 + 1)
    content[bit // 8] = 0x80 >> (bit % 8)
    return _tlv(0x03, bytes([7 - bit % 8]) + bytes(content))


def _der_digest_algorithm(digest: _Digest) -> bytes:
    # RFC 5754 2: SHA-2 AlgorithmIdentifiers omit the parameters.
    return _der_sequence(_der_oid(digest.oid))


def _der_attribute(oid: str, value: bytes) -> bytes:
    return _der_sequence(_der_oid(oid), _der_set_of(value))


# --- Parsed, plain-data views of the ASN.1 structures ------------------------------------
#
# All access to asn1crypto objects built from untrusted bytes happens inside the _parse_*
# functions, under one try block each: asn1crypto parses lazily and may raise almost anything
# on hostile input. What comes out is plain Python data that the checks below work on.


@dataclass(frozen=True)
class _Request:
    hash_oid: str
    hash_params_absent_or_null: bool
    hashed_message: bytes
    policy: str | None
    nonce: int | None
    cert_req: bool
    has_extensions: bool
    version: int


@dataclass(frozen=True)
class _EssCertId:
    hash_oid: str
    cert_hash: bytes
    issuer_names: tuple[bytes, ...] | None  # DER of the directoryName entries, if issuerSerial
    serial: int | None


@dataclass(frozen=True)
class _Attribute:
    oid: str
    value_count: int
    first_value: Any  # plain data, depends on the attribute (see _parse_attribute)


@dataclass(frozen=True)
class _Token:
    content_type: str
    signed_data_version: int
    digest_algorithms: frozenset[str]
    digest_parameters_ok: bool
    econtent_type: str
    tst_der: bytes | None
    certificates: tuple[bytes, ...]
    signer_count: int
    signer_version: int
    sid_issuer: bytes | None
    sid_serial: int | None
    sid_key_id: bytes | None
    signer_digest_oid: str
    signed_attrs: bytes | None  # DER with the SET OF tag, as signed
    attributes: tuple[_Attribute, ...]
    signature_oid: str
    signature_params: Any  # plain data for RSA-PSS, else None
    signature_params_present: bool
    signature: bytes


@dataclass(frozen=True)
class _TstInfo:
    version: int
    policy: str
    hash_oid: str
    hashed_message: bytes
    serial: int
    gen_time: datetime
    nonce: int | None
    tsa_directory_name: bytes | None
    critical_extensions: tuple[str, ...]


@dataclass(frozen=True)
class _PssParams:
    hash_oid: str
    mgf_oid: str
    mgf_hash_oid: str
    salt_length: int
    trailer_field: int


@dataclass(frozen=True)
class _Certificate:
    der: bytes
    cert: x509.Certificate
    public_key: Any
    subject_text: str  # RFC 4514
    issuer: bytes
    subject: bytes
    serial: int
    key_id: bytes | None


def _parse_request(request_der: bytes) -> _Request:
    """Plain data from a DER TimeStampReq; ValueError if it is not one."""
    if len(request_der) > MAX_REQUEST_BYTES:
        raise ValueError(f"request longer than {MAX_REQUEST_BYTES} bytes")
    try:
        req = tsp.TimeStampReq.load(request_der, strict=True)
        imprint = req["message_imprint"]
        algorithm = imprint["hash_algorithm"]
        policy = req["req_policy"]
        nonce = req["nonce"]
        return _Request(
            version=int(req["version"]),
            hash_oid=_dotted(algorithm["algorithm"]),
            hash_params_absent_or_null=_no_parameters(algorithm),
            hashed_message=bytes(imprint["hashed_message"].native),
            policy=None if _absent(policy) else _dotted(policy),
            nonce=None if _absent(nonce) else int(nonce),
            cert_req=bool(req["cert_req"].native),
            has_extensions=not _absent(req["extensions"]),
        )
    except Exception as exc:
        raise ValueError("not a DER TimeStampReq") from exc


def _parse_ess_cert_ids(value: Any, v2: bool) -> tuple[_EssCertId, ...]:
    ids: list[_EssCertId] = []
    for cert_id in value["certs"]:
        issuer_serial = cert_id["issuer_serial"]
        names: tuple[bytes, ...] | None = None
        serial: int | None = None
        if not _absent(issuer_serial):
            names = tuple(
                bytes(general_name.chosen.untag().dump())
                for general_name in issuer_serial["issuer"]
                if general_name.name == "directory_name"
            )
            serial = int(issuer_serial["serial_number"])
        hash_oid = _dotted(cert_id["hash_algorithm"]["algorithm"]) if v2 else _SHA1.oid
        ids.append(_EssCertId(hash_oid, bytes(cert_id["cert_hash"].native), names, serial))
    return tuple(ids)


def _parse_attribute(attribute: Any) -> _Attribute:
    oid = _dotted(attribute["type"])
    values = attribute["values"]
    count = len(values)
    first: Any = None
    if count:
        value = values[0]
        if oid == _OID_CONTENT_TYPE:
            first = _dotted(value)
        elif oid == _OID_MESSAGE_DIGEST:
            first = bytes(value.native)
        elif oid == _OID_SIGNING_CERTIFICATE:
            first = _parse_ess_cert_ids(value, v2=False)
        elif oid == _OID_SIGNING_CERTIFICATE_V2:
            first = _parse_ess_cert_ids(value, v2=True)
    return _Attribute(oid, count, first)


def _parse_pss(params: Any) -> _PssParams:
    mgf = params["mask_gen_algorithm"]
    return _PssParams(
        hash_oid=_dotted(params["hash_algorithm"]["algorithm"]),
        mgf_oid=_dotted(mgf["algorithm"]),
        mgf_hash_oid=_dotted(mgf["parameters"]["algorithm"]),
        salt_length=int(params["salt_length"]),
        trailer_field=int(params["trailer_field"]),
    )


def _parse_token(token: bytes) -> _Token:
    try:
        content_info = cms.ContentInfo.load(token, strict=True)
        content_type = _dotted(content_info["content_type"])
        if content_type != _OID_SIGNED_DATA:
            raise TimestampError("malformed", "the token is not a CMS SignedData")
        signed_data = content_info["content"]
        version = int(signed_data["version"])
        if version != 3:
            # Version 1 would make asn1crypto read encapContentInfo the PKCS #7 way; RFC 5652
            # requires version 3 whenever eContentType is not id-data, as here.
            raise TimestampError("malformed", f"SignedData version {version}, expected 3")
        encap = signed_data["encap_content_info"]
        econtent = encap["content"]
        certificates: list[bytes] = []
        if not _absent(signed_data["certificates"]):
            for choice in signed_data["certificates"]:
                if choice.name == "certificate":
                    certificates.append(bytes(choice.chosen.dump()))
        signer_infos = signed_data["signer_infos"]
        if len(signer_infos) != 1:
            raise TimestampError(
                "malformed", f"a time-stamp token has one signer, this has {len(signer_infos)}"
            )
        signer = signer_infos[0]
        sid = signer["sid"]
        sid_issuer: bytes | None = None
        sid_serial: int | None = None
        sid_key_id: bytes | None = None
        if sid.name == "issuer_and_serial_number":
            sid_issuer = bytes(sid.chosen["issuer"].dump())
            sid_serial = int(sid.chosen["serial_number"])
        else:
            sid_key_id = bytes(sid.chosen.native)
        signed_attrs_field = signer["signed_attrs"]
        signed_attrs: bytes | None = None
        attributes: tuple[_Attribute, ...] = ()
        if not _absent(signed_attrs_field):
            raw = bytes(signed_attrs_field.dump())
            # The signature covers the attributes' DER with the universal SET OF tag, not the
            # [0] IMPLICIT tag they carry inside SignerInfo (RFC 5652, section 5.4).
            signed_attrs = b"\x31" + raw[1:]
            attributes = tuple(_parse_attribute(a) for a in signed_attrs_field)
        signature_algorithm = signer["signature_algorithm"]
        signature_oid = _dotted(signature_algorithm["algorithm"])
        params = signature_algorithm["parameters"]
        params_present = not _no_parameters(signature_algorithm)
        signature_params = _parse_pss(params) if signature_oid == _OID_RSA_PSS else None
        return _Token(
            content_type=content_type,
            signed_data_version=version,
            digest_algorithms=frozenset(
                _dotted(a["algorithm"]) for a in signed_data["digest_algorithms"]
            ),
            digest_parameters_ok=_no_parameters(signer["digest_algorithm"])
            and all(_no_parameters(a) for a in signed_data["digest_algorithms"]),
            econtent_type=_dotted(encap["content_type"]),
            tst_der=None if _absent(econtent) else bytes(econtent),
            certificates=tuple(certificates),
            signer_count=len(signer_infos),
            signer_version=int(signer["version"]),
            sid_issuer=sid_issuer,
            sid_serial=sid_serial,
            sid_key_id=sid_key_id,
            signer_digest_oid=_dotted(signer["digest_algorithm"]["algorithm"]),
            signed_attrs=signed_attrs,
            attributes=attributes,
            signature_oid=signature_oid,
            signature_params=signature_params,
            signature_params_present=params_present,
            signature=bytes(signer["signature"].native),
        )
    except TimestampError:
        raise
    except Exception as exc:
        raise TimestampError("malformed", "the token is not a DER CMS time-stamp token") from exc


def _parse_tst_info(tst_der: bytes) -> _TstInfo:
    try:
        info = tsp.TSTInfo.load(tst_der, strict=True)
        imprint = info["message_imprint"]
        gen_time = info["gen_time"].native
        if not isinstance(gen_time, datetime) or gen_time.tzinfo is None:
            raise TimestampError("malformed", "genTime is not a UTC GeneralizedTime")
        nonce = info["nonce"]
        tsa = info["tsa"]
        tsa_directory_name: bytes | None = None
        # Other GeneralName forms would have to be found in subjectAltName; not checked.
        if not _absent(tsa) and tsa.name == "directory_name":
            tsa_directory_name = bytes(tsa.chosen.untag().dump())
        critical: list[str] = []
        if not _absent(info["extensions"]):
            for extension in info["extensions"]:
                if extension["critical"].native:
                    critical.append(_dotted(extension["extn_id"]))
        return _TstInfo(
            version=int(info["version"]),
            policy=_dotted(info["policy"]),
            hash_oid=_dotted(imprint["hash_algorithm"]["algorithm"]),
            hashed_message=bytes(imprint["hashed_message"].native),
            serial=int(info["serial_number"]),
            gen_time=gen_time.astimezone(UTC),
            nonce=None if _absent(nonce) else int(nonce),
            tsa_directory_name=tsa_directory_name,
            critical_extensions=tuple(critical),
        )
    except TimestampError:
        raise
    except Exception as exc:
        raise TimestampError("malformed", "the token's TSTInfo is not valid DER") from exc


def _parse_certificate(der: bytes) -> _Certificate:
    try:
        parsed = asn1_x509.Certificate.load(der, strict=True)
        tbs = parsed["tbs_certificate"]
        serial = int(tbs["serial_number"])
        if serial <= 0:
            raise ValueError("RFC 5280 4.1.2.2: serial numbers are positive")
        key_id = parsed.key_identifier
        cert = x509.load_der_x509_certificate(der)
        return _Certificate(
            der=der,
            cert=cert,
            public_key=cert.public_key(),
            subject_text=cert.subject.rfc4514_string(),
            issuer=bytes(tbs["issuer"].dump()),
            subject=bytes(tbs["subject"].dump()),
            serial=serial,
            key_id=None if key_id is None else bytes(key_id),
        )
    except Exception as exc:
        raise TimestampError(
            "malformed", "a certificate is not a valid DER X.509 certificate"
        ) from exc


def _usable_certificates(ders: tuple[bytes, ...]) -> list[_Certificate]:
    """The token's certificates that parse; the others cannot be the signer's anyway."""
    usable: list[_Certificate] = []
    for der in ders:
        try:
            usable.append(_parse_certificate(der))
        except TimestampError:
            continue
    return usable


# --- Verification ------------------------------------------------------------------------


def _single_attribute(token: _Token, oid: str, name: str) -> Any:
    found = [a for a in token.attributes if a.oid == oid]
    if len(found) != 1 or found[0].value_count != 1:
        raise TimestampError(
            "malformed", f"the signed attributes must hold exactly one {name} value"
        )
    return found[0].first_value


def _matches_sid(token: _Token, certificate: _Certificate) -> bool:
    if token.sid_key_id is not None:
        return certificate.key_id == token.sid_key_id
    return (
        token.sid_serial == certificate.serial
        and token.sid_issuer is not None
        and _names_equal(token.sid_issuer, certificate.issuer)
    )


def _signer_certificate(token: _Token, trusted_certificate: bytes | None) -> _Certificate:
    candidates = _usable_certificates(token.certificates)
    embedded = next((c for c in candidates if _matches_sid(token, c)), None)
    if trusted_certificate is not None:
        trusted = _parse_certificate(trusted_certificate)
        if embedded is not None and embedded.der != trusted.der:
            raise TimestampError(
                "untrusted", "the token is signed by a certificate other than the trusted one"
            )
        if not _matches_sid(token, trusted):
            raise TimestampError("untrusted", "the token's signer is not the trusted certificate")
        return trusted
    if embedded is None:
        if not token.certificates:
            raise TimestampError(
                "untrusted",
                "the token carries no certificate; supply the TSA certificate to verify it",
            )
        raise TimestampError("untrusted", "no certificate in the token matches its signer")
    return embedded


def _check_signature(token: _Token, digest: _Digest, key: Any, data: bytes) -> None:
    oid = token.signature_oid
    try:
        if oid == _OID_RSA or oid in _RSA_PKCS1_WITH:
            if _RSA_PKCS1_WITH.get(oid, digest) is not digest or token.signature_params_present:
                raise TimestampError("malformed", "signature and digest algorithms disagree")
            if not isinstance(key, rsa.RSAPublicKey):
                raise TimestampError("bad_signature", "an RSA signature needs an RSA key")
            key.verify(token.signature, data, padding.PKCS1v15(), digest.algorithm())
        elif oid == _OID_RSA_PSS:
            pss = token.signature_params
            if not isinstance(pss, _PssParams) or pss.hash_oid != digest.oid:
                raise TimestampError("malformed", "RSA-PSS parameters disagree with the digest")
            if pss.mgf_oid != _OID_MGF1 or pss.trailer_field != 1:
                raise TimestampError("unsupported", "RSA-PSS needs MGF1 and trailer field 1")
            mgf_digest = _digest_for(pss.mgf_hash_oid, "the RSA-PSS mask generation")
            if not isinstance(key, rsa.RSAPublicKey):
                raise TimestampError("bad_signature", "an RSA-PSS signature needs an RSA key")
            scheme = padding.PSS(padding.MGF1(mgf_digest.algorithm()), pss.salt_length)
            key.verify(token.signature, data, scheme, digest.algorithm())
        elif oid == _OID_EC_PUBLIC_KEY or oid in _ECDSA_WITH:
            if _ECDSA_WITH.get(oid, digest) is not digest or token.signature_params_present:
                raise TimestampError("malformed", "signature and digest algorithms disagree")
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise TimestampError("bad_signature", "an ECDSA signature needs an EC key")
            key.verify(token.signature, data, ec.ECDSA(digest.algorithm()))
        elif oid == _OID_ED25519:
            if digest is not _SHA512 or token.signature_params_present:
                raise TimestampError("malformed", "Ed25519 in CMS requires SHA-512 digests")
            if not isinstance(key, ed25519.Ed25519PublicKey):
                raise TimestampError("bad_signature", "an Ed25519 signature needs an Ed25519 key")
            key.verify(token.signature, data)
        else:
            raise TimestampError("unsupported", f"unsupported signature algorithm {oid}")
    except (InvalidSignature, ValueError) as exc:
        raise TimestampError("bad_signature", "the token's signature does not verify") from exc


def _check_signing_certificate(token: _Token, signer: _Certificate) -> None:
    """RFC 3161 2.4.1 / RFC 5816: the signed attributes name the signer's certificate."""
    bindings = [
        a
        for a in token.attributes
        if a.oid in (_OID_SIGNING_CERTIFICATE, _OID_SIGNING_CERTIFICATE_V2)
    ]
    if not bindings:
        raise TimestampError(
            "malformed", "the token has no signing-certificate attribute (RFC 3161 2.4.1)"
        )
    for binding in bindings:
        if binding.value_count != 1 or not binding.first_value:
            raise TimestampError("malformed", "empty or repeated signing-certificate attribute")
        first: _EssCertId = binding.first_value[0]
        if first.hash_oid == _SHA1.oid:
            digest = _SHA1
        else:
            digest = _digest_for(first.hash_oid, "the signing-certificate attribute")
        if digest.hash(signer.der) != first.cert_hash:
            raise TimestampError(
                "untrusted", "the signing-certificate attribute names another certificate"
            )
        if first.serial is not None:
            names = first.issuer_names or ()
            if first.serial != signer.serial or (
                names and not any(_names_equal(name, signer.issuer) for name in names)
            ):
                raise TimestampError(
                    "untrusted", "the signing-certificate attribute names another issuer/serial"
                )


def _check_tsa_certificate(signer: _Certificate, gen_time: datetime) -> None:
    try:
        extensions = signer.cert.extensions
        eku = extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    except x509.ExtensionNotFound:
        raise TimestampError(
            "untrusted", "the signer's certificate has no extended key usage extension"
        ) from None
    except ValueError as exc:
        raise TimestampError("malformed", "the signer's certificate has bad extensions") from exc
    if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
        raise TimestampError(
            "untrusted",
            "the signer's certificate is not a time-stamping certificate "
            "(RFC 3161 2.3: critical extended key usage, id-kp-timeStamping only)",
        )
    try:
        key_usage = extensions.get_extension_for_class(x509.KeyUsage).value
    except x509.ExtensionNotFound:
        key_usage = None
    if key_usage is not None and not (key_usage.digital_signature or key_usage.content_commitment):
        raise TimestampError("untrusted", "the signer's certificate may not sign")
    if not signer.cert.not_valid_before_utc <= gen_time <= signer.cert.not_valid_after_utc:
        raise TimestampError(
            "untrusted",
            f"the stamp's time {gen_time.isoformat()} is outside the signer's certificate "
            "validity period",
        )


def _authenticate(
    token_der: bytes, trusted_certificate: bytes | None
) -> tuple[_TstInfo, _Certificate]:
    """Everything but the imprint: signature, bindings and the signer's certificate."""
    token = _parse_token(token_der)
    if token.econtent_type != _OID_TST_INFO or token.tst_der is None:
        raise TimestampError("malformed", "the token does not encapsulate a TSTInfo")
    digest = _digest_for(token.signer_digest_oid, "the token's signature")
    if not token.digest_parameters_ok:
        raise TimestampError("malformed", "digest algorithm parameters must be absent or NULL")
    if token.signer_digest_oid not in token.digest_algorithms:
        raise TimestampError("malformed", "the signer's digest algorithm is not declared")
    if token.signed_attrs is None:
        raise TimestampError("malformed", "the token has no signed attributes")
    expected_version = 3 if token.sid_key_id is not None else 1
    if token.signer_version != expected_version:
        raise TimestampError("malformed", f"SignerInfo version must be {expected_version}")
    content_type = _single_attribute(token, _OID_CONTENT_TYPE, "content-type")
    message_digest = _single_attribute(token, _OID_MESSAGE_DIGEST, "message-digest")

    signer = _signer_certificate(token, trusted_certificate)
    _check_signature(token, digest, signer.public_key, token.signed_attrs)

    if content_type != token.econtent_type:
        raise TimestampError("bad_signature", "the content-type attribute is not id-ct-TSTInfo")
    if message_digest != digest.hash(token.tst_der):
        raise TimestampError(
            "bad_signature", "the message-digest attribute does not match the TSTInfo"
        )
    _check_signing_certificate(token, signer)

    info = _parse_tst_info(token.tst_der)
    if info.version != 1:
        raise TimestampError("malformed", f"TSTInfo version {info.version}, expected 1")
    if info.critical_extensions:
        raise TimestampError(
            "unsupported", f"unknown critical TSTInfo extension {info.critical_extensions[0]}"
        )
    if info.tsa_directory_name is not None and not _names_equal(
        info.tsa_directory_name, signer.subject
    ):
        raise TimestampError("untrusted", "the TSTInfo tsa name is not the signer's subject")
    _check_tsa_certificate(signer, info.gen_time)
    return info, signer


def _stamp_info(info: _TstInfo, signer: _Certificate) -> StampInfo:
    return StampInfo(
        gen_time=info.gen_time,
        serial=info.serial,
        policy=info.policy,
        tsa_subject=signer.subject_text,
        tsa_certificate_sha256=hashlib.sha256(signer.der).hexdigest(),
        hash_algorithm=_digest_for(info.hash_oid, "the message imprint").name,
    )


def verify_token(
    token: bytes, message: bytes, trusted_certificate: bytes | None = None
) -> StampInfo:
    """Check a DER TimeStampToken over ``message``, offline; raise TimestampError if bad.

    ``trusted_certificate`` (DER) pins the signer: a token signed by any other certificate is
    refused with code ``"untrusted"``, and a token that carries no certificate can still be
    checked. Without it, the signer is whoever the token's own certificate says; compare the
    returned ``tsa_certificate_sha256`` with the one you expect.
    """
    info, signer = _authenticate(token, trusted_certificate)
    digest = _digest_for(info.hash_oid, "the message imprint")
    if digest.hash(message) != info.hashed_message:
        raise TimestampError(
            "imprint_mismatch", "the token is authentic but was issued for another message"
        )
    return _stamp_info(info, signer)


# --- Requests and responses, for the external-TSA client ---------------------------------


def request_for(
    message: bytes,
    *,
    nonce: int | None = None,
    cert_req: bool = True,
    hash_algorithm: str = "sha256",
    policy: str | None = None,
) -> bytes:
    """A DER TimeStampReq over hash(message).

    Pass a fresh random ``nonce`` (for example ``secrets.randbits(64)``) so that a replayed
    response is caught; ``None`` leaves the nonce out. ``policy`` asks for a TSA policy.
    """
    digest = _digest_named(hash_algorithm)
    if nonce is not None and nonce.bit_length() > MAX_NONCE_BITS:
        raise ValueError(f"nonce wider than {MAX_NONCE_BITS} bits")
    fields = [
        _der_integer(1),
        _der_sequence(_der_digest_algorithm(digest), _der_octets(digest.hash(message))),
    ]
    if policy is not None:
        fields.append(_der_oid(x509.ObjectIdentifier(policy).dotted_string))
    if nonce is not None:
        fields.append(_der_integer(nonce))
    if cert_req:
        fields.append(b"\x01\x01\xff")  # certReq BOOLEAN TRUE (FALSE is the default, omitted)
    return _der_sequence(*fields)


class _TimeStampResp(core.Sequence):  # type: ignore[misc]
    """RFC 3161 TimeStampResp; asn1crypto's own forgets that the token is OPTIONAL."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _describe_status(status_info: Any) -> str:
    status = int(status_info["status"])
    parts = [f"status {status}"]
    fail_info = status_info["fail_info"]
    if not _absent(fail_info):
        parts.append("failInfo " + ", ".join(sorted(str(bit) for bit in fail_info.native)))
    text = status_info["status_string"]
    if not _absent(text):
        parts.append("; ".join(str(s.native) for s in text)[:500])
    return " / ".join(parts)


def token_from_response(
    response_der: bytes, request_der: bytes, *, trusted_certificate: bytes | None = None
) -> bytes:
    """The DER TimeStampToken of a TSA's response to ``request_der``, fully checked.

    Raises TimestampError: ``rejected`` if the TSA refused; ``malformed`` if the response is
    not DER or does not answer the request (policy asked for but not used, certificate asked
    for but not included); ``imprint_mismatch`` / ``bad_nonce`` if it is for another request;
    and any :func:`verify_token` code from checking the token itself (``trusted_certificate``
    as there).
    """
    try:
        request = _parse_request(request_der)
    except ValueError as exc:
        raise TimestampError("malformed", "the request is not a DER TimeStampReq") from exc
    try:
        response = _TimeStampResp.load(response_der, strict=True)
        status_info = response["status"]
        status = int(status_info["status"])
        if status not in (0, 1):
            raise TimestampError(
                "rejected", "the TSA did not grant the request: " + _describe_status(status_info)
            )
        token_field = response["time_stamp_token"]
        if _absent(token_field):
            raise TimestampError("malformed", "a granted response without a token")
        token = bytes(token_field.dump())
    except TimestampError:
        raise
    except Exception as exc:
        raise TimestampError("malformed", "the response is not a DER TimeStampResp") from exc

    info, _signer = _authenticate(token, trusted_certificate)
    if (info.hash_oid, info.hashed_message) != (request.hash_oid, request.hashed_message):
        raise TimestampError("imprint_mismatch", "the token is for another message imprint")
    if request.nonce is not None and info.nonce != request.nonce:
        raise TimestampError("bad_nonce", "the response's nonce is not the request's")
    if request.policy is not None and info.policy != request.policy:
        raise TimestampError(
            "malformed", f"the TSA used policy {info.policy}, not the requested {request.policy}"
        )
    if request.cert_req and not _parse_token(token).certificates:
        raise TimestampError("malformed", "the request asked for the certificate; it is missing")
    return token


# --- The built-in authority --------------------------------------------------------------


class _Rejection(Exception):
    def __init__(self, fail_info: int, text: str) -> None:
        super().__init__(text)
        self.fail_info = fail_info
        self.text = text


# failInfo bits of RFC 3161 PKIFailureInfo used here.
_BAD_ALG: Final = 0
_BAD_REQUEST: Final = 2
_BAD_DATA_FORMAT: Final = 5
_UNACCEPTED_POLICY: Final = 15
_UNACCEPTED_EXTENSION: Final = 16


def _rejection_response(fail_info: int, text: str) -> bytes:
    status = _der_sequence(
        _der_integer(2),  # rejection
        _der_sequence(_der_utf8(text)),
        _der_named_bit(fail_info),
    )
    return _der_sequence(status)


TsaPrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


class TimestampAuthority:
    """The court's built-in RFC 3161 Time-Stamp Authority.

    It holds a private key (ECDSA on P-256, P-384 or P-521, or RSA of 2048 bits or more) and
    its certificate, which must carry a critical extended key usage of id-kp-timeStamping only.
    ``policy`` is the TSA policy OID written into every token (default
    :data:`DEFAULT_POLICY`); ``accuracy_seconds`` is the claimed accuracy of the injected
    clock, written as TSTInfo accuracy (``None`` leaves it out). genTime is the injected time
    truncated to whole seconds.
    """

    def __init__(
        self,
        private_key: TsaPrivateKey,
        certificate: x509.Certificate,
        *,
        policy: str = DEFAULT_POLICY,
        accuracy_seconds: int | None = 1,
    ) -> None:
        spki = serialization.PublicFormat.SubjectPublicKeyInfo
        der = serialization.Encoding.DER
        if private_key.public_key().public_bytes(
            der, spki
        ) != certificate.public_key().public_bytes(der, spki):
            raise ValueError("the private key does not belong to the certificate")
        if isinstance(private_key, ec.EllipticCurvePrivateKey):
            digest = _CURVE_DIGEST.get(private_key.curve.name)
            if digest is None:
                raise ValueError(f"unsupported curve {private_key.curve.name}")
            # RFC 5753 / RFC 5758: ecdsa-with-SHAxxx, parameters absent.
            signature_algorithm = _der_sequence(_der_oid(_ECDSA_OID_FOR[digest.name]))
        elif isinstance(private_key, rsa.RSAPrivateKey):
            if private_key.key_size < 2048:
                raise ValueError("RSA keys must have at least 2048 bits")
            digest = _SHA256
            # RFC 3370 3.2: rsaEncryption with NULL parameters, the hash from digestAlgorithm.
            signature_algorithm = _der_sequence(_der_oid(_OID_RSA), b"\x05\x00")
        else:
            raise ValueError("the key must be an ECDSA or RSA private key")
        try:
            eku = certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
        except x509.ExtensionNotFound:
            raise ValueError("the certificate has no extended key usage") from None
        if not eku.critical or list(eku.value) != [ExtendedKeyUsageOID.TIME_STAMPING]:
            raise ValueError("the certificate's critical extended key usage must be timeStamping")
        if accuracy_seconds is not None and accuracy_seconds <= 0:
            raise ValueError("accuracy_seconds must be positive or None")

        self._key = private_key
        self._certificate = certificate
        self._certificate_der = certificate.public_bytes(serialization.Encoding.DER)
        self._digest = digest
        self._signature_algorithm = signature_algorithm
        self.policy: str = x509.ObjectIdentifier(policy).dotted_string
        self.accuracy_seconds = accuracy_seconds

        tbs = asn1_x509.Certificate.load(self._certificate_der)["tbs_certificate"]
        issuer = bytes(tbs["issuer"].dump())
        subject = bytes(tbs["subject"].dump())
        serial = _der_integer(certificate.serial_number)
        # Pieces of every token that depend only on the key and certificate.
        self._sid = _der_sequence(issuer, serial)  # IssuerAndSerialNumber
        self._tsa_name = _tlv(0xA0, _tlv(0xA4, subject))  # tsa [0] GeneralName directoryName
        self._signing_certificate = _der_attribute(
            _OID_SIGNING_CERTIFICATE_V2,
            _der_sequence(  # SigningCertificateV2
                _der_sequence(  # certs
                    _der_sequence(  # ESSCertIDv2, hashAlgorithm sha256 is the DEFAULT, omitted
                        _der_octets(_SHA256.hash(self._certificate_der)),
                        _der_sequence(_der_sequence(_tlv(0xA4, issuer)), serial),  # IssuerSerial
                    )
                )
            ),
        )
        self._policy_der = _der_oid(self.policy)
        self._content_type = _der_attribute(_OID_CONTENT_TYPE, _der_oid(_OID_TST_INFO))

    @classmethod
    def generate(
        cls, name: str, now: datetime, *, years: int = 10, policy: str = DEFAULT_POLICY
    ) -> TimestampAuthority:
        """A new authority: an ECDSA P-256 key and a self-signed time-stamping certificate.

        The certificate is valid from ``now`` (whole seconds) for ``years`` calendar years;
        its subject is ``CN=<name>``.
        """
        if not name.strip():
            raise ValueError("the authority needs a name")
        if years < 1:
            raise ValueError("years must be at least 1")
        not_before = _whole_seconds(now)
        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        public_key = key.public_key()
        certificate = (
            x509.CertificateBuilder()
            .subject_name(subject)
            .issuer_name(subject)
            .public_key(public_key)
            .serial_number(x509.random_serial_number())
            .not_valid_before(not_before)
            .not_valid_after(_add_years(not_before, years))
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=True,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=False,
                    crl_sign=False,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
            .sign(key, hashes.SHA256())
        )
        return cls(key, certificate, policy=policy)

    @property
    def certificate(self) -> x509.Certificate:
        return self._certificate

    @property
    def certificate_der(self) -> bytes:
        return self._certificate_der

    def to_pem(self) -> bytes:
        """The private key (unencrypted PKCS #8) and the certificate, as one PEM text.

        Keep it secret: whoever has it can issue tokens in the court's name.
        """
        key = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        return key + self._certificate.public_bytes(serialization.Encoding.PEM)

    @classmethod
    def from_pem(
        cls, data: bytes, *, policy: str = DEFAULT_POLICY, accuracy_seconds: int | None = 1
    ) -> TimestampAuthority:
        """Load what :meth:`to_pem` wrote (one private key, then or before one certificate).

        Raises ValueError if the text is not one unencrypted PKCS #8 key and one certificate
        that belong together and make a time-stamping authority.
        """
        begin_key = b"-----BEGIN PRIVATE KEY-----"
        begin_cert = b"-----BEGIN CERTIFICATE-----"
        if data.count(begin_key) != 1 or data.count(begin_cert) != 1:
            raise ValueError("expected one PKCS #8 private key and one certificate in PEM")
        key_start = data.index(begin_key)
        cert_start = data.index(begin_cert)
        if key_start < cert_start:
            key_pem, cert_pem = data[key_start:cert_start], data[cert_start:]
        else:
            cert_pem, key_pem = data[cert_start:key_start], data[key_start:]
        try:
            private_key = serialization.load_pem_private_key(key_pem, password=None)
            certificate = x509.load_pem_x509_certificate(cert_pem)
        except (TypeError, ValueError) as exc:  # TypeError: the key is encrypted
            raise ValueError(f"cannot load the authority's PEM text: {exc}") from exc
        if not isinstance(private_key, (ec.EllipticCurvePrivateKey, rsa.RSAPrivateKey)):
            raise ValueError("the key must be an ECDSA or RSA private key")
        return cls(private_key, certificate, policy=policy, accuracy_seconds=accuracy_seconds)

    # -- issuing --

    def _token(
        self,
        hash_oid: str,
        hashed_message: bytes,
        *,
        nonce: int | None,
        include_certificate: bool,
        now: datetime,
        serial: int,
    ) -> bytes:
        """A DER TimeStampToken (CMS ContentInfo with SignedData)."""
        _check_serial(serial)
        gen_time = _whole_seconds(now)
        tst_fields = [
            _der_integer(1),
            self._policy_der,
            _der_sequence(_der_sequence(_der_oid(hash_oid)), _der_octets(hashed_message)),
            _der_integer(serial),
            _der_generalized_time(gen_time),
        ]
        if self.accuracy_seconds is not None:
            tst_fields.append(_der_sequence(_der_integer(self.accuracy_seconds)))
        # ordering FALSE is the DEFAULT, omitted.
        if nonce is not None:
            tst_fields.append(_der_integer(nonce))
        tst_fields.append(self._tsa_name)
        tst_info = _der_sequence(*tst_fields)

        digest = self._digest
        signed_attrs = _der_set_of(
            self._content_type,
            _der_attribute(_OID_SIGNING_TIME, _der_signing_time(gen_time)),
            _der_attribute(_OID_MESSAGE_DIGEST, _der_octets(digest.hash(tst_info))),
            self._signing_certificate,
        )
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            signature = self._key.sign(signed_attrs, ec.ECDSA(digest.algorithm()))
        else:
            signature = self._key.sign(signed_attrs, padding.PKCS1v15(), digest.algorithm())

        signer_info = _der_sequence(
            _der_integer(1),
            self._sid,
            _der_digest_algorithm(digest),
            b"\xa0" + signed_attrs[1:],  # signedAttrs [0] IMPLICIT: same bytes, other tag
            self._signature_algorithm,
            _der_octets(signature),
        )
        signed_data = [
            _der_integer(3),
            _der_set_of(_der_digest_algorithm(digest)),
            _der_sequence(_der_oid(_OID_TST_INFO), _tlv(0xA0, _der_octets(tst_info))),
        ]
        if include_certificate:
            signed_data.append(_tlv(0xA0, self._certificate_der))
        signed_data.append(_der_set_of(signer_info))
        return _der_sequence(_der_oid(_OID_SIGNED_DATA), _tlv(0xA0, _der_sequence(*signed_data)))

    def stamp(self, message: bytes, *, now: datetime, serial: int) -> bytes:
        """A DER TimeStampToken over SHA-256(message), with the certificate, no nonce."""
        return self._token(
            _SHA256.oid,
            _SHA256.hash(message),
            nonce=None,
            include_certificate=True,
            now=now,
            serial=serial,
        )

    def respond(self, request_der: bytes, *, now: datetime, serial: int) -> bytes:
        """A DER TimeStampResp to a DER TimeStampReq: granted, or a rejection with failInfo.

        Hostile bytes give a rejection, never an exception; only a bad ``now`` or ``serial``
        (the caller's own mistakes) raise ValueError.
        """
        _require_aware(now)
        _check_serial(serial)
        try:
            request = self._accept(request_der)
        except _Rejection as rejection:
            return _rejection_response(rejection.fail_info, rejection.text)
        token = self._token(
            request.hash_oid,
            request.hashed_message,
            nonce=request.nonce,
            include_certificate=request.cert_req,
            now=now,
            serial=serial,
        )
        return _der_sequence(_der_sequence(_der_integer(0)), token)  # status granted, token

    def _accept(self, request_der: bytes) -> _Request:
        try:
            request = _parse_request(request_der)
        except ValueError:
            raise _Rejection(_BAD_DATA_FORMAT, "the request is not a DER TimeStampReq") from None
        if request.version != 1:
            raise _Rejection(_BAD_REQUEST, f"unsupported request version {request.version}")
        digest = _DIGESTS_BY_OID.get(request.hash_oid)
        if digest is None or not request.hash_params_absent_or_null:
            raise _Rejection(_BAD_ALG, "the message imprint must use SHA-256, SHA-384 or SHA-512")
        if len(request.hashed_message) != digest.size:
            raise _Rejection(
                _BAD_DATA_FORMAT,
                f"a {digest.name} imprint has {digest.size} bytes, "
                f"not {len(request.hashed_message)}",
            )
        if request.policy is not None and request.policy != self.policy:
            raise _Rejection(_UNACCEPTED_POLICY, f"this authority only uses policy {self.policy}")
        if request.has_extensions:
            raise _Rejection(_UNACCEPTED_EXTENSION, "this authority accepts no extensions")
        if request.nonce is not None and request.nonce.bit_length() > MAX_NONCE_BITS:
            raise _Rejection(_BAD_REQUEST, f"nonces may have at most {MAX_NONCE_BITS} bits")
        return request
