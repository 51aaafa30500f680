"""RFC 3161 authority and token verification, checked against openssl and rfc3161-client."""

from __future__ import annotations

import hashlib
import inspect
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import rfc3161_client
from asn1crypto import cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from netcourt.ledger import timestamp
from netcourt.ledger.timestamp import (
    DEFAULT_POLICY,
    ERROR_CODES,
    StampInfo,
    TimestampAuthority,
    TimestampError,
    request_for,
    token_from_response,
    verify_token,
)

NOW = datetime(2026, 11, 2, 2, 0, 7, 654321, tzinfo=UTC)
GEN_TIME = NOW.replace(microsecond=0)
MESSAGE = b"netcourt checkpoint\n42\nAAAA\n"

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl command is not installed")

HYPOTHESIS = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


# --- helpers ------------------------------------------------------------------------------


def openssl(*args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    assert OPENSSL is not None
    proc = subprocess.run(
        [OPENSSL, *map(str, args)], cwd=cwd, capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"openssl {args} failed:\n{proc.stdout}\n{proc.stderr}"
    return proc


def pem(certificate_der: bytes) -> bytes:
    cert = x509.load_der_x509_certificate(certificate_der)
    return cert.public_bytes(serialization.Encoding.PEM)


class _Response(core.Sequence):  # type: ignore[misc]
    """TimeStampResp as RFC 3161 has it (asn1crypto's own requires the token)."""

    _fields = [
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def status_of(response: bytes) -> tuple[str, set[str]]:
    """(status, failInfo names), read with asn1crypto and cross-checked with rfc3161-client."""
    parsed = _Response.load(response, strict=True)
    status = parsed["status"]
    fail_info = status["fail_info"].native or set()
    assert rfc3161_client.decode_timestamp_response(response).status == int(status["status"])
    return status["status"].native, set(fail_info)


def signed_data(token: bytes) -> cms.SignedData:
    return cms.ContentInfo.load(token)["content"]


def tst_info_der(token: bytes) -> bytes:
    return bytes(signed_data(token)["encap_content_info"]["content"])


def flip(data: bytes, position: int, mask: int) -> bytes:
    changed = bytearray(data)
    changed[position] ^= mask
    return bytes(changed)


@pytest.fixture(scope="module")
def authority() -> TimestampAuthority:
    return TimestampAuthority.generate("Netcourt Test Court TSA", NOW)


@pytest.fixture(scope="module")
def other_authority() -> TimestampAuthority:
    return TimestampAuthority.generate("Someone Else's TSA", NOW)


@pytest.fixture(scope="module")
def token(authority: TimestampAuthority) -> bytes:
    return authority.stamp(MESSAGE, now=NOW, serial=42)


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("tsa")
    (directory / "message.txt").write_bytes(MESSAGE)
    return directory


# --- openssl as an independent TSA ---------------------------------------------------------

_TSA_CONFIG = """\
[req]
distinguished_name = dn
prompt = no
[dn]
CN = OpenSSL Test TSA
O = Example Timestamping
[v3_tsa]
basicConstraints = critical, CA:FALSE
keyUsage = critical, digitalSignature, nonRepudiation
extendedKeyUsage = critical, timeStamping
subjectKeyIdentifier = hash
[tsa]
default_tsa = tsa_config1
[tsa_config1]
serial = ./serial
crypto_device = builtin
signer_cert = ./cert.pem
signer_key = ./key.pem
signer_digest = {digest}
default_policy = 1.2.3.4.1
other_policies = 1.2.3.4.5
digests = sha256, sha384, sha512
accuracy = secs:1, millisecs:500
ordering = yes
tsa_name = yes
ess_cert_id_chain = no
ess_cert_id_alg = {ess}
"""

_KEYS = {
    "rsa": ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    "ecdsa-p384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
}


@dataclass
class OpenSslTsa:
    directory: Path
    certificate_der: bytes

    def reply(self, query: bytes, *, digest: str = "sha256", ess: str = "sha1") -> bytes:
        """openssl's TimeStampResp to ``query`` (signer digest and ESSCertID hash as given)."""
        config = self.directory / f"tsa-{digest}-{ess}.cnf"
        config.write_text(_TSA_CONFIG.format(digest=digest, ess=ess))
        (self.directory / "query.tsq").write_bytes(query)
        openssl(
            "ts", "-reply", "-config", config, "-queryfile", "query.tsq", "-out", "reply.tsr",
            cwd=self.directory,
        )  # fmt: skip
        return (self.directory / "reply.tsr").read_bytes()

    def token(self, query: bytes, **options: str) -> bytes:
        """The token alone, as openssl extracts it from its own response."""
        (self.directory / "full.tsr").write_bytes(self.reply(query, **options))
        openssl(
            "ts", "-reply", "-in", "full.tsr", "-token_out", "-out", "token.der",
            cwd=self.directory,
        )  # fmt: skip
        return (self.directory / "token.der").read_bytes()


@pytest.fixture(scope="module")
def openssl_tsas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, OpenSslTsa]:
    if OPENSSL is None:
        pytest.skip("the openssl command is not installed")
    tsas = {}
    for kind, key_options in _KEYS.items():
        directory = tmp_path_factory.mktemp(f"openssl-{kind}")
        (directory / "serial").write_text("01\n")
        (directory / "req.cnf").write_text(_TSA_CONFIG.format(digest="sha256", ess="sha1"))
        openssl("genpkey", *key_options, "-out", "key.pem", cwd=directory)
        openssl(
            "req", "-new", "-x509", "-config", "req.cnf", "-extensions", "v3_tsa",
            "-key", "key.pem", "-days", "3650", "-out", "cert.pem",
            cwd=directory,
        )  # fmt: skip
        cert = x509.load_pem_x509_certificate((directory / "cert.pem").read_bytes())
        tsas[kind] = OpenSslTsa(directory, cert.public_bytes(serialization.Encoding.DER))
    return tsas


def openssl_query(workdir: Path, *options: str) -> bytes:
    openssl("ts", "-query", "-data", "message.txt", *options, "-out", "query.tsq", cwd=workdir)
    return (workdir / "query.tsq").read_bytes()


# --- errors ---------------------------------------------------------------------------------


def test_error_codes_are_the_documented_ones() -> None:
    assert ERROR_CODES == {
        "malformed",
        "bad_signature",
        "imprint_mismatch",
        "untrusted",
        "rejected",
        "bad_nonce",
        "unsupported",
    }
    error = TimestampError("untrusted", "the token is signed by someone else")
    assert (error.code, str(error)) == ("untrusted", "the token is signed by someone else")
    with pytest.raises(ValueError):
        TimestampError("oops", "no such code")


# --- the authority --------------------------------------------------------------------------


def test_generated_certificate_is_a_time_stamping_certificate(
    authority: TimestampAuthority,
) -> None:
    cert = x509.load_der_x509_certificate(authority.certificate_der)
    assert cert.subject == cert.issuer
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == (
        "Netcourt Test Court TSA"
    )
    assert cert.not_valid_before_utc == GEN_TIME
    assert cert.not_valid_after_utc == GEN_TIME.replace(year=2036)
    eku = cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage)
    assert eku.critical and list(eku.value) == [ExtendedKeyUsageOID.TIME_STAMPING]
    key_usage = cert.extensions.get_extension_for_class(x509.KeyUsage)
    assert key_usage.critical and key_usage.value.digital_signature
    assert not key_usage.value.key_cert_sign
    assert cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    assert public_key.curve.name == "secp256r1"
    cert.verify_directly_issued_by(cert)
    assert authority.policy == DEFAULT_POLICY


def test_generate_uses_the_injected_time_only() -> None:
    leap_day = datetime(2028, 2, 29, 23, 59, 59, 999999, tzinfo=UTC)
    tsa = TimestampAuthority.generate("Leap TSA", leap_day, years=3)
    cert = x509.load_der_x509_certificate(tsa.certificate_der)
    assert cert.not_valid_before_utc == datetime(2028, 2, 29, 23, 59, 59, tzinfo=UTC)
    assert cert.not_valid_after_utc == datetime(2031, 2, 28, 23, 59, 59, tzinfo=UTC)
    with pytest.raises(ValueError):
        TimestampAuthority.generate("Naive TSA", datetime(2026, 1, 1))  # noqa: DTZ001


def test_no_wall_clock_and_no_django_in_the_module() -> None:
    source = inspect.getsource(timestamp)
    for forbidden in ("datetime.now", "utcnow", "time.time", "date.today", "django"):
        assert forbidden not in source


def test_pem_round_trip(authority: TimestampAuthority) -> None:
    text = authority.to_pem()
    assert text.count(b"-----BEGIN PRIVATE KEY-----") == 1
    assert text.count(b"-----BEGIN CERTIFICATE-----") == 1
    loaded = TimestampAuthority.from_pem(text)
    assert loaded.certificate_der == authority.certificate_der
    assert loaded.to_pem() == text
    # The loaded key is the same key: its tokens verify against the original certificate.
    token = loaded.stamp(MESSAGE, now=NOW, serial=7)
    info = verify_token(token, MESSAGE, trusted_certificate=authority.certificate_der)
    assert info.serial == 7
    # Certificate first, key second is accepted too.
    key, cert = text.split(b"-----BEGIN CERTIFICATE-----")
    reordered = TimestampAuthority.from_pem(b"-----BEGIN CERTIFICATE-----" + cert + key)
    assert reordered.certificate_der == authority.certificate_der


def test_from_pem_refuses_a_key_that_is_not_the_certificates(
    authority: TimestampAuthority, other_authority: TimestampAuthority
) -> None:
    key = authority.to_pem().split(b"-----BEGIN CERTIFICATE-----")[0]
    other_cert = pem(other_authority.certificate_der)
    with pytest.raises(ValueError, match="does not belong"):
        TimestampAuthority.from_pem(key + other_cert)
    with pytest.raises(ValueError):
        TimestampAuthority.from_pem(b"not a pem file")


def test_constructor_refuses_a_certificate_without_time_stamping_usage() -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Not a TSA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(NOW)
        .not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.CODE_SIGNING]), critical=True)
        .sign(key, hashes.SHA256())
    )
    with pytest.raises(ValueError, match="timeStamping"):
        TimestampAuthority(key, cert)


def test_policy_is_configurable(authority: TimestampAuthority) -> None:
    own = TimestampAuthority.from_pem(authority.to_pem(), policy="1.3.6.1.4.1.32473.1")
    info = verify_token(own.stamp(MESSAGE, now=NOW, serial=1), MESSAGE)
    assert info.policy == "1.3.6.1.4.1.32473.1"


# --- our tokens -----------------------------------------------------------------------------


def test_stamp_verifies(authority: TimestampAuthority, token: bytes) -> None:
    info = verify_token(token, MESSAGE)
    assert info == StampInfo(
        gen_time=GEN_TIME,
        serial=42,
        policy=DEFAULT_POLICY,
        tsa_subject="CN=Netcourt Test Court TSA",
        tsa_certificate_sha256=hashlib.sha256(authority.certificate_der).hexdigest(),
        hash_algorithm="sha256",
    )
    assert info.gen_time.tzinfo is not None and info.gen_time.utcoffset() == timedelta(0)
    assert verify_token(token, MESSAGE, trusted_certificate=authority.certificate_der) == info


def test_token_structure_read_independently(authority: TimestampAuthority, token: bytes) -> None:
    """The token's parts, read with asn1crypto and checked with cryptography directly."""
    content_info = cms.ContentInfo.load(token, strict=True)
    assert content_info["content_type"].native == "signed_data"
    assert content_info.dump(force=True) == token  # the whole token is DER
    data = content_info["content"]
    assert data["version"].native == "v3"
    assert data["encap_content_info"]["content_type"].native == "tst_info"
    tst = data["encap_content_info"]["content"].parsed
    assert tst["message_imprint"]["hashed_message"].native == hashlib.sha256(MESSAGE).digest()
    # genTime: whole seconds, "Z", no fraction (RFC 3161 2.4.2, X.690 11.7).
    assert tst["gen_time"].contents == b"20261102020007Z"
    assert tst["accuracy"]["seconds"].native == 1
    assert tst["nonce"].native is None
    assert tst["tsa"].chosen.native == {"common_name": "Netcourt Test Court TSA"}
    assert [c.chosen.dump() for c in data["certificates"]] == [authority.certificate_der]

    (signer,) = data["signer_infos"]
    attrs = {a["type"].native: a["values"] for a in signer["signed_attrs"]}
    assert set(attrs) == {
        "content_type",
        "message_digest",
        "signing_time",
        "signing_certificate_v2",
    }
    assert attrs["content_type"][0].native == "tst_info"
    tst_der = tst_info_der(token)
    assert attrs["message_digest"][0].native == hashlib.sha256(tst_der).digest()
    assert attrs["signing_time"][0].native == GEN_TIME
    (ess,) = attrs["signing_certificate_v2"][0]["certs"]
    assert ess["hash_algorithm"]["algorithm"].native == "sha256"
    assert ess["cert_hash"].native == hashlib.sha256(authority.certificate_der).digest()
    cert = x509.load_der_x509_certificate(authority.certificate_der)
    assert ess["issuer_serial"]["serial_number"].native == cert.serial_number
    assert signer["sid"].chosen["serial_number"].native == cert.serial_number

    # The signature is over the DER of the signed attributes as a SET OF (RFC 5652 5.4).
    signed = signer["signed_attrs"].untag().dump(force=True)
    assert signed[0] == 0x31
    public_key = cert.public_key()
    assert isinstance(public_key, ec.EllipticCurvePublicKey)
    public_key.verify(signer["signature"].native, signed, ec.ECDSA(hashes.SHA256()))


@needs_openssl
def test_openssl_verifies_our_token(
    authority: TimestampAuthority, token: bytes, workdir: Path
) -> None:
    (workdir / "token.der").write_bytes(token)
    (workdir / "tsa.pem").write_bytes(pem(authority.certificate_der))
    attime = str(int(GEN_TIME.timestamp()))
    result = openssl(
        "ts", "-verify", "-data", "message.txt", "-in", "token.der", "-token_in",
        "-CAfile", "tsa.pem", "-untrusted", "tsa.pem", "-attime", attime,
        cwd=workdir,
    )  # fmt: skip
    assert "Verification: OK" in result.stdout
    # ... and refuses it for another message.
    (workdir / "other.txt").write_bytes(MESSAGE + b"!")
    assert OPENSSL is not None
    refused = subprocess.run(
        [OPENSSL, "ts", "-verify", "-data", "other.txt", "-in", "token.der", "-token_in",
         "-CAfile", "tsa.pem", "-untrusted", "tsa.pem", "-attime", attime],
        cwd=workdir, capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert refused.returncode != 0


@needs_openssl
@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
def test_openssl_requests_are_answered(
    authority: TimestampAuthority, workdir: Path, digest: str
) -> None:
    query = openssl_query(workdir, f"-{digest}", "-cert")
    response = authority.respond(query, now=NOW, serial=1000)
    (workdir / "reply.tsr").write_bytes(response)
    (workdir / "tsa.pem").write_bytes(pem(authority.certificate_der))

    text = openssl("ts", "-reply", "-in", "reply.tsr", "-text", cwd=workdir).stdout
    assert "Status: Granted." in text
    assert f"Hash Algorithm: {digest}" in text
    assert f"Policy OID: {DEFAULT_POLICY}" in text
    assert "Serial number: 0x03E8" in text
    assert "Time stamp: Nov  2 02:00:07 2026 GMT" in text
    assert "Accuracy: 0x01 seconds" in text
    assert "TSA: DirName:/CN=Netcourt Test Court TSA" in text
    query_text = openssl("ts", "-query", "-in", "query.tsq", "-text", cwd=workdir).stdout
    nonce_line = next(line for line in query_text.splitlines() if line.startswith("Nonce:"))
    assert nonce_line in text  # the nonce is echoed

    # openssl checks the response against its query: imprint, nonce, signature, certificate.
    result = openssl(
        "ts", "-verify", "-queryfile", "query.tsq", "-in", "reply.tsr", "-CAfile", "tsa.pem",
        "-attime", str(int(GEN_TIME.timestamp())),
        cwd=workdir,
    )  # fmt: skip
    assert "Verification: OK" in result.stdout

    token = token_from_response(response, query)
    info = verify_token(token, MESSAGE)
    assert (info.hash_algorithm, info.serial) == (digest, 1000)


@needs_openssl
def test_openssl_request_without_certificate(authority: TimestampAuthority, workdir: Path) -> None:
    query = openssl_query(workdir, "-sha256", "-no_nonce")
    response = authority.respond(query, now=NOW, serial=5)
    token = token_from_response(response, query, trusted_certificate=authority.certificate_der)
    assert not signed_data(token)["certificates"].native
    with pytest.raises(TimestampError) as caught:
        verify_token(token, MESSAGE)
    assert caught.value.code == "untrusted"
    info = verify_token(token, MESSAGE, trusted_certificate=authority.certificate_der)
    assert info.serial == 5

    (workdir / "token.der").write_bytes(token)
    (workdir / "tsa.pem").write_bytes(pem(authority.certificate_der))
    result = openssl(
        "ts", "-verify", "-data", "message.txt", "-in", "token.der", "-token_in",
        "-CAfile", "tsa.pem", "-untrusted", "tsa.pem",
        "-attime", str(int(GEN_TIME.timestamp())),
        cwd=workdir,
    )  # fmt: skip
    assert "Verification: OK" in result.stdout


@pytest.mark.parametrize("algorithm", ["SHA256", "SHA512"])
def test_rfc3161_client_verifies_our_responses(
    authority: TimestampAuthority, algorithm: str
) -> None:
    request = (
        rfc3161_client.TimestampRequestBuilder()
        .data(MESSAGE)
        .hash_algorithm(rfc3161_client.HashAlgorithm[algorithm])
        .nonce(nonce=True)
        .cert_request(cert_request=True)
        .build()
    )
    response_der = authority.respond(request.as_bytes(), now=NOW, serial=77)
    response = rfc3161_client.decode_timestamp_response(response_der)
    assert response.status == rfc3161_client.PKIStatus.GRANTED
    assert response.tst_info.nonce == request.nonce
    assert response.tst_info.gen_time == GEN_TIME
    assert response.tst_info.serial_number == 77
    cert = x509.load_der_x509_certificate(authority.certificate_der)
    verifier = (
        rfc3161_client.VerifierBuilder.from_request(request)
        .tsa_certificate(cert)
        .add_root_certificate(cert)
        .build()
    )
    assert verifier.verify_message(response, MESSAGE)
    with pytest.raises(rfc3161_client.VerificationError):
        verifier.verify_message(response, MESSAGE + b"!")
    # ... and our own reading of the same response agrees.
    token = token_from_response(response_der, request.as_bytes())
    assert verify_token(token, MESSAGE).hash_algorithm == algorithm.lower()


def test_larger_imprints(authority: TimestampAuthority) -> None:
    for name in ("sha384", "sha512"):
        request = request_for(MESSAGE, nonce=2**63 + 5, hash_algorithm=name)
        token = token_from_response(authority.respond(request, now=NOW, serial=3), request)
        assert verify_token(token, MESSAGE).hash_algorithm == name


# --- tokens from openssl's TSA --------------------------------------------------------------


@needs_openssl
@pytest.mark.parametrize("kind", list(_KEYS))
@pytest.mark.parametrize("digest", ["sha256", "sha384", "sha512"])
@pytest.mark.parametrize("ess", ["sha1", "sha256"])
def test_openssl_tokens_verify(
    openssl_tsas: dict[str, OpenSslTsa],
    workdir: Path,
    authority: TimestampAuthority,
    kind: str,
    digest: str,
    ess: str,
) -> None:
    tsa = openssl_tsas[kind]
    query = openssl_query(workdir, "-sha512", "-cert", "-tspolicy", "1.2.3.4.5")
    token = tsa.token(query, digest=digest, ess=ess)
    (signer,) = signed_data(token)["signer_infos"]
    assert signer["digest_algorithm"]["algorithm"].native == digest
    attrs = {a["type"].native for a in signer["signed_attrs"]}
    assert ("signing_certificate_v2" if ess == "sha256" else "signing_certificate") in attrs

    info = verify_token(token, MESSAGE)
    assert info.policy == "1.2.3.4.5"
    assert info.hash_algorithm == "sha512"
    assert info.tsa_subject == "O=Example Timestamping,CN=OpenSSL Test TSA"
    assert info.tsa_certificate_sha256 == hashlib.sha256(tsa.certificate_der).hexdigest()
    assert abs(info.gen_time - datetime.now(UTC)) < timedelta(minutes=10)
    assert verify_token(token, MESSAGE, trusted_certificate=tsa.certificate_der) == info

    with pytest.raises(TimestampError) as caught:
        verify_token(token, MESSAGE + b"!")
    assert caught.value.code == "imprint_mismatch"
    with pytest.raises(TimestampError) as caught:
        verify_token(token, MESSAGE, trusted_certificate=authority.certificate_der)
    assert caught.value.code == "untrusted"


@needs_openssl
def test_openssl_answers_our_requests(openssl_tsas: dict[str, OpenSslTsa]) -> None:
    tsa = openssl_tsas["rsa"]
    request = request_for(MESSAGE, nonce=0x1234_5678_9ABC_DEF0, policy="1.2.3.4.5")
    token = token_from_response(tsa.reply(request), request)
    assert verify_token(token, MESSAGE).policy == "1.2.3.4.5"

    # A certificate-less answer needs the TSA's certificate to be checked.
    request = request_for(MESSAGE, nonce=99, cert_req=False)
    response = tsa.reply(request)
    with pytest.raises(TimestampError) as caught:
        token_from_response(response, request)
    assert caught.value.code == "untrusted"
    token = token_from_response(response, request, trusted_certificate=tsa.certificate_der)
    assert verify_token(token, MESSAGE, trusted_certificate=tsa.certificate_der).serial > 0

    # openssl refuses a policy it does not have; we report the rejection.
    request = request_for(MESSAGE, policy="1.2.3.4.99")
    with pytest.raises(TimestampError) as caught:
        token_from_response(tsa.reply(request), request)
    assert caught.value.code == "rejected"
    assert "unaccepted_policy" in str(caught.value)


# --- tokens built with asn1crypto: RSA-PSS and Ed25519 -----------------------------------------
#
# openssl's TSA signs with PKCS #7 code that has no RSA-PSS, so these tokens are assembled with
# asn1crypto (another encoder than ours), and `openssl cms -verify` checks their signatures.


def _tsa_certificate(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> bytes:
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "asn1crypto TSA")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(4242)
        .not_valid_before(NOW - timedelta(days=1))
        .not_valid_after(NOW + timedelta(days=1))
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        .sign(key, None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


def asn1crypto_token(scheme: str) -> tuple[bytes, bytes]:
    """(token, certificate) signed with RSA-PSS (SHA-384) or Ed25519 (RFC 8419)."""
    key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey
    if scheme == "rsa-pss":
        key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        digest = "sha384"
    else:
        key = ed25519.Ed25519PrivateKey.generate()
        digest = "sha512"  # RFC 8419 3.1
    cert_der = _tsa_certificate(key)
    cert = asn1_x509.Certificate.load(cert_der)
    tst_der = tsp.TSTInfo(
        {
            "version": "v1",
            "policy": "1.2.3.4.7",
            "message_imprint": {
                "hash_algorithm": {"algorithm": "sha256"},
                "hashed_message": hashlib.sha256(MESSAGE).digest(),
            },
            "serial_number": 5,
            "gen_time": GEN_TIME,
        }
    ).dump()
    attrs = cms.CMSAttributes(
        [
            {"type": "content_type", "values": ["tst_info"]},
            {"type": "message_digest", "values": [hashlib.new(digest, tst_der).digest()]},
            {
                "type": "signing_certificate_v2",
                "values": [
                    {
                        "certs": [
                            {
                                "hash_algorithm": {"algorithm": "sha384"},
                                "cert_hash": hashlib.sha384(cert_der).digest(),
                            }
                        ]
                    }
                ],
            },
        ]
    )
    to_sign = attrs.dump()
    if isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(
            to_sign, padding.PSS(padding.MGF1(hashes.SHA384()), 48), hashes.SHA384()
        )
        signature_algorithm = {
            "algorithm": "rsassa_pss",
            "parameters": {
                "hash_algorithm": {"algorithm": "sha384"},
                "mask_gen_algorithm": {"algorithm": "mgf1", "parameters": {"algorithm": "sha384"}},
                "salt_length": 48,
            },
        }
        sid = cms.SignerIdentifier(
            {"issuer_and_serial_number": {"issuer": cert.issuer, "serial_number": 4242}}
        )
        version = "v1"
    else:
        signature = key.sign(to_sign)
        signature_algorithm = {"algorithm": "ed25519"}
        sid = cms.SignerIdentifier({"subject_key_identifier": cert.key_identifier})
        version = "v3"
    signer_info = cms.SignerInfo(
        {
            "version": version,
            "sid": sid,
            "digest_algorithm": {"algorithm": digest},
            "signed_attrs": attrs,
            "signature_algorithm": signature_algorithm,
            "signature": signature,
        }
    )
    signed = cms.SignedData(
        {
            "version": "v3",
            "digest_algorithms": [{"algorithm": digest}],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": core.ParsableOctetString(tst_der),
            },
            "certificates": [cert],
            "signer_infos": [signer_info],
        }
    )
    token = cms.ContentInfo({"content_type": "signed_data", "content": signed}).dump()
    return token, cert_der


@pytest.mark.parametrize("scheme", ["rsa-pss", "ed25519"])
def test_rsa_pss_and_ed25519_tokens(scheme: str, workdir: Path) -> None:
    token, cert_der = asn1crypto_token(scheme)
    if scheme == "rsa-pss" and OPENSSL is not None:
        # openssl checks the CMS signature (not the certificate chain: -noverify). OpenSSL 3.0
        # has no Ed25519 in CMS ("no default digest"), so that one is checked by us alone.
        (workdir / "pss.der").write_bytes(token)
        openssl(
            "cms", "-verify", "-inform", "DER", "-in", "pss.der", "-noverify", "-binary",
            "-out", "pss.tst",
            cwd=workdir,
        )  # fmt: skip
        assert (workdir / "pss.tst").read_bytes() == tst_info_der(token)
    info = verify_token(token, MESSAGE, trusted_certificate=cert_der)
    assert (info.serial, info.policy, info.gen_time) == (5, "1.2.3.4.7", GEN_TIME)
    assert info.tsa_certificate_sha256 == hashlib.sha256(cert_der).hexdigest()
    signature = signed_data(token)["signer_infos"][0]["signature"].native
    with pytest.raises(TimestampError) as caught:
        verify_token(token.replace(signature, signature[:-1] + bytes([signature[-1] ^ 1])), MESSAGE)
    assert caught.value.code == "bad_signature"


# --- verification failures ------------------------------------------------------------------


def test_wrong_message(token: bytes) -> None:
    with pytest.raises(TimestampError) as caught:
        verify_token(token, MESSAGE + b"x")
    assert caught.value.code == "imprint_mismatch"


def test_other_authoritys_certificate_is_untrusted(
    token: bytes, other_authority: TimestampAuthority
) -> None:
    with pytest.raises(TimestampError) as caught:
        verify_token(token, MESSAGE, trusted_certificate=other_authority.certificate_der)
    assert caught.value.code == "untrusted"


def _impostor(authority: TimestampAuthority) -> TimestampAuthority:
    """Another key with a certificate copying the real one's name and serial number."""
    real = x509.load_der_x509_certificate(authority.certificate_der)
    key = ec.generate_private_key(ec.SECP256R1())
    builder = (
        x509.CertificateBuilder()
        .subject_name(real.subject)
        .issuer_name(real.issuer)
        .public_key(key.public_key())
        .serial_number(real.serial_number)
        .not_valid_before(real.not_valid_before_utc)
        .not_valid_after(real.not_valid_after_utc)
    )
    for extension in real.extensions:
        if not isinstance(extension.value, x509.SubjectKeyIdentifier):
            builder = builder.add_extension(extension.value, extension.critical)
    return TimestampAuthority(key, builder.sign(key, hashes.SHA256()))


def test_impostor_with_the_same_name_and_serial(authority: TimestampAuthority) -> None:
    impostor = _impostor(authority)
    forged = impostor.stamp(MESSAGE, now=NOW, serial=42)
    verify_token(forged, MESSAGE)  # consistent in itself ...
    with pytest.raises(TimestampError) as caught:  # ... but not the trusted certificate
        verify_token(forged, MESSAGE, trusted_certificate=authority.certificate_der)
    assert caught.value.code == "untrusted"

    # Without its certificate the forgery matches the trusted certificate's issuer and serial,
    # so the signature itself must fail.
    request = request_for(MESSAGE, cert_req=False)
    response = impostor.respond(request, now=NOW, serial=43)
    forged = bytes(_Response.load(response)["time_stamp_token"].dump())
    with pytest.raises(TimestampError) as caught:
        verify_token(forged, MESSAGE, trusted_certificate=authority.certificate_der)
    assert caught.value.code == "bad_signature"

    # The real certificate slipped into the forgery instead: the signature fails again.
    content_info = cms.ContentInfo.load(impostor.stamp(MESSAGE, now=NOW, serial=44))
    content_info["content"]["certificates"] = [
        asn1_x509.Certificate.load(authority.certificate_der)
    ]
    swapped = content_info.dump(force=True)
    assert authority.certificate_der in swapped
    with pytest.raises(TimestampError) as caught:
        verify_token(swapped, MESSAGE)
    assert caught.value.code == "bad_signature"


def test_gen_time_outside_the_certificate_validity(authority: TimestampAuthority) -> None:
    short = TimestampAuthority.generate("Short-lived TSA", NOW, years=1)
    for when in (NOW + timedelta(days=400), NOW - timedelta(seconds=2)):
        token = short.stamp(MESSAGE, now=when, serial=1)
        with pytest.raises(TimestampError) as caught:
            verify_token(token, MESSAGE)
        assert caught.value.code == "untrusted"
        assert "validity" in str(caught.value)
    # The last second of validity is still fine.
    last = x509.load_der_x509_certificate(short.certificate_der).not_valid_after_utc
    assert verify_token(short.stamp(MESSAGE, now=last, serial=2), MESSAGE).gen_time == last


def _protected_ranges(token: bytes) -> list[range]:
    """Byte ranges that the signature covers directly or through a signed hash."""
    data = signed_data(token)
    (signer,) = data["signer_infos"]
    parts = [
        tst_info_der(token),
        signer["signed_attrs"].contents,
        signer["signature"].native,
        *[c.chosen.dump() for c in data["certificates"]],
    ]
    ranges = []
    for part in parts:
        start = token.find(part)
        assert start > 0 and token.find(part, start + 1) == -1
        ranges.append(range(start, start + len(part)))
    return ranges


def _check_flip(token: bytes, original: StampInfo, position: int, mask: int) -> bool:
    """Verify a token with one byte changed. True if it was refused."""
    try:
        info = verify_token(flip(token, position, mask), MESSAGE)
    except TimestampError as error:
        assert error.code in ERROR_CODES
        return True
    # Some bytes are not authenticated (the signer's name in SignerInfo, which is compared
    # case-insensitively as RFC 5280 asks): a change there may be accepted, but it must not
    # change anything the token says.
    assert info == original
    return False


@HYPOTHESIS
@given(data=st.data())
def test_flipped_byte_is_refused_or_harmless(token: bytes, data: st.DataObject) -> None:
    original = verify_token(token, MESSAGE)
    position = data.draw(st.integers(0, len(token) - 1), label="position")
    mask = data.draw(st.integers(1, 255), label="mask")
    refused = _check_flip(token, original, position, mask)
    if any(position in r for r in _protected_ranges(token)):
        assert refused


def test_every_single_bit_flip(token: bytes) -> None:
    """Exhaustively: each bit of the token, flipped. Only a few are not refused."""
    original = verify_token(token, MESSAGE)
    protected = _protected_ranges(token)
    accepted = []
    for position in range(len(token)):
        for bit in range(8):
            if not _check_flip(token, original, position, 1 << bit):
                accepted.append((position, 1 << bit))
                assert not any(position in r for r in protected)
    # What is accepted: letter case in the SignerInfo's copy of the issuer name (0x20 flips).
    assert all(mask == 0x20 for _, mask in accepted)
    signer = signed_data(token)["signer_infos"][0]
    sid = signer["sid"].chosen["issuer"].dump()
    sid_start = token.find(signer.dump()) + signer.dump().find(sid)
    assert all(sid_start <= position < sid_start + len(sid) for position, _ in accepted)


@needs_openssl
def test_openssl_token_bit_flips(openssl_tsas: dict[str, OpenSslTsa], workdir: Path) -> None:
    token = openssl_tsas["rsa"].token(openssl_query(workdir, "-sha256", "-cert"))
    original = verify_token(token, MESSAGE)
    protected = _protected_ranges(token)
    for position in range(len(token)):
        for mask in (0x01, 0x20, 0x80):
            if not _check_flip(token, original, position, mask):
                assert not any(position in r for r in protected)


@HYPOTHESIS
@given(garbage=st.binary(max_size=2000))
def test_garbage_tokens_raise_only_timestamp_errors(garbage: bytes) -> None:
    with pytest.raises(TimestampError) as caught:
        verify_token(garbage, MESSAGE)
    assert caught.value.code in ERROR_CODES


def test_truncated_tokens(token: bytes) -> None:
    for length in range(len(token)):
        with pytest.raises(TimestampError) as caught:
            verify_token(token[:length], MESSAGE)
        assert caught.value.code == "malformed"
    with pytest.raises(TimestampError):
        verify_token(token + b"\x00", MESSAGE)


# --- rejections -----------------------------------------------------------------------------


def _request(**overrides: bytes) -> bytes:
    """A hand-made TimeStampReq; ``overrides`` replace whole DER fields."""
    fields = {
        "version": b"\x02\x01\x01",
        "imprint": (
            b"\x30\x31\x30\x0d\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01\x05\x00\x04\x20"
            + hashlib.sha256(MESSAGE).digest()
        ),
        "cert_req": b"\x01\x01\xff",
    }
    fields.update(overrides)
    body = b"".join(fields.values())
    assert len(body) < 128
    return b"\x30" + bytes([len(body)]) + body


def test_hand_made_request_is_granted(authority: TimestampAuthority) -> None:
    request = _request()
    assert status_of(authority.respond(request, now=NOW, serial=1)) == ("granted", set())


@pytest.mark.parametrize(
    ("request_der", "fail_info"),
    [
        (b"", "bad_data_format"),
        (b"\x30\x00", "bad_data_format"),
        (_request() + b"\x00", "bad_data_format"),  # trailing data
        (_request(version=b"\x02\x01\x02"), "bad_request"),
        # SHA-1 imprint
        (
            _request(
                imprint=b"\x30\x21\x30\x09\x06\x05\x2b\x0e\x03\x02\x1a\x05\x00\x04\x14" + bytes(20)
            ),
            "bad_alg",
        ),  # fmt: skip
        # MD5 OID with a 32-byte imprint
        (
            _request(
                imprint=b"\x30\x2c\x30\x0a\x06\x08\x2a\x86\x48\x86\xf7\x0d\x02\x05\x04\x1e"
                + bytes(30)
            ),
            "bad_alg",
        ),  # fmt: skip
        # SHA-256 with 31 bytes
        (
            _request(
                imprint=b"\x30\x2e\x30\x0b\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01"
                + b"\x04\x1f"
                + bytes(31)
            ),
            "bad_data_format",
        ),  # fmt: skip
        # SHA-256 with bad parameters (an INTEGER)
        (
            _request(
                imprint=b"\x30\x32\x30\x0e\x06\x09\x60\x86\x48\x01\x65\x03\x04\x02\x01"
                + b"\x02\x01\x00\x04\x20"
                + bytes(32)
            ),
            "bad_alg",
        ),  # fmt: skip
        (_request(cert_req=b"\x06\x03\x2a\x03\x04"), "unaccepted_policy"),  # reqPolicy 1.2.3.4
        # extensions [0] with one extension
        (
            _request(cert_req=b"\xa0\x0a\x30\x08\x06\x03\x2a\x03\x04\x04\x01\x00"),
            "unaccepted_extensions",
        ),
        (_request(cert_req=b"\x02\x41\x01" + bytes(64)), "bad_request"),  # a 513-bit nonce
    ],
)
def test_rejections(authority: TimestampAuthority, request_der: bytes, fail_info: str) -> None:
    response = authority.respond(request_der, now=NOW, serial=1)
    assert status_of(response) == ("rejection", {fail_info})
    with pytest.raises(TimestampError) as caught:
        token_from_response(response, request_for(MESSAGE))
    assert caught.value.code == "rejected"


@needs_openssl
def test_openssl_sees_our_rejections(authority: TimestampAuthority, workdir: Path) -> None:
    query = openssl_query(workdir, "-sha1", "-cert")
    (workdir / "reply.tsr").write_bytes(authority.respond(query, now=NOW, serial=1))
    text = openssl("ts", "-reply", "-in", "reply.tsr", "-text", cwd=workdir).stdout
    assert "Status: Rejected." in text
    assert "unrecognized or unsupported algorithm identifier" in text

    query = openssl_query(workdir, "-sha256", "-tspolicy", "1.2.3.4")
    (workdir / "reply.tsr").write_bytes(authority.respond(query, now=NOW, serial=1))
    text = openssl("ts", "-reply", "-in", "reply.tsr", "-text", cwd=workdir).stdout
    assert "Status: Rejected." in text
    assert "the requested TSA policy is not supported by the TSA" in text


def test_policy_requested_by_name_is_granted(authority: TimestampAuthority) -> None:
    request = request_for(MESSAGE, policy=authority.policy)
    response = authority.respond(request, now=NOW, serial=2)
    assert verify_token(token_from_response(response, request), MESSAGE).policy == DEFAULT_POLICY


@HYPOTHESIS
@given(garbage=st.binary(max_size=600))
def test_hostile_requests_get_rejections(authority: TimestampAuthority, garbage: bytes) -> None:
    response = authority.respond(garbage, now=NOW, serial=1)
    status, fail_info = status_of(response)
    assert status == "rejection" and len(fail_info) == 1


@HYPOTHESIS
@given(data=st.data())
def test_mangled_requests_never_raise(authority: TimestampAuthority, data: st.DataObject) -> None:
    request = bytearray(request_for(MESSAGE, nonce=data.draw(st.integers(0, 2**64))))
    for _ in range(data.draw(st.integers(1, 4), label="changes")):
        position = data.draw(st.integers(0, len(request) - 1), label="position")
        request[position] = data.draw(st.integers(0, 255), label="byte")
    if data.draw(st.booleans(), label="truncate"):
        del request[data.draw(st.integers(0, len(request) - 1), label="length") :]
    response = authority.respond(bytes(request), now=NOW, serial=9)
    status, fail_info = status_of(response)
    if status == "granted":
        # Then it was a valid request, and the token answers it exactly (imprint, nonce).
        token_from_response(response, bytes(request), trusted_certificate=authority.certificate_der)
    else:
        assert status == "rejection" and len(fail_info) == 1


def test_respond_checks_its_own_arguments(authority: TimestampAuthority) -> None:
    with pytest.raises(ValueError):
        authority.respond(request_for(MESSAGE), now=datetime(2026, 1, 1), serial=1)  # noqa: DTZ001
    with pytest.raises(ValueError):
        authority.respond(request_for(MESSAGE), now=NOW, serial=0)
    with pytest.raises(ValueError):
        authority.stamp(MESSAGE, now=NOW, serial=2**160)


# --- token_from_response --------------------------------------------------------------------


def test_token_from_response(authority: TimestampAuthority) -> None:
    request = request_for(MESSAGE, nonce=123456789)
    response = authority.respond(request, now=NOW, serial=11)
    token = token_from_response(response, request)
    assert response.endswith(token)
    assert verify_token(token, MESSAGE).serial == 11
    parsed = tsp.TimeStampReq.load(request, strict=True)
    assert parsed["nonce"].native == 123456789
    assert parsed["cert_req"].native is True
    assert parsed.dump(force=True) == request  # request_for writes DER


def test_response_for_another_request(authority: TimestampAuthority) -> None:
    asked = request_for(MESSAGE, nonce=1)
    answered = authority.respond(request_for(MESSAGE, nonce=2), now=NOW, serial=1)
    with pytest.raises(TimestampError) as caught:
        token_from_response(answered, asked)
    assert caught.value.code == "bad_nonce"

    answered = authority.respond(request_for(b"other", nonce=1), now=NOW, serial=1)
    with pytest.raises(TimestampError) as caught:
        token_from_response(answered, asked)
    assert caught.value.code == "imprint_mismatch"

    answered = authority.respond(request_for(MESSAGE), now=NOW, serial=1)  # nonce dropped
    with pytest.raises(TimestampError) as caught:
        token_from_response(answered, asked)
    assert caught.value.code == "bad_nonce"


@pytest.mark.parametrize(
    "response",
    [b"", b"\x30\x00", b"\x30\x05\x30\x03\x02\x01\x00", b"\x30\x03\x02\x01\x00", b"junk"],
)
def test_malformed_responses(response: bytes) -> None:
    with pytest.raises(TimestampError) as caught:
        token_from_response(response, request_for(MESSAGE))
    assert caught.value.code == "malformed"


def test_token_from_response_needs_a_valid_request(authority: TimestampAuthority) -> None:
    response = authority.respond(request_for(MESSAGE), now=NOW, serial=1)
    with pytest.raises(TimestampError) as caught:
        token_from_response(response, b"\x30\x00")
    assert caught.value.code == "malformed"


def test_request_for_arguments() -> None:
    with pytest.raises(ValueError):
        request_for(MESSAGE, hash_algorithm="md5")
    assert request_for(MESSAGE, hash_algorithm="SHA-384") == request_for(
        MESSAGE, hash_algorithm="sha384"
    )
    parsed = tsp.TimeStampReq.load(request_for(MESSAGE, cert_req=False, nonce=-5))
    assert parsed["cert_req"].native is False and parsed["nonce"].native == -5
