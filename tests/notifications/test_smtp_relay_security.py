"""The council's relay wants STARTTLS and a login: the hub upgrades the connection, checks the relay's
certificate, then signs in with the username and password from its settings before it sends anything."""
from __future__ import annotations

import ipaddress
import ssl
from datetime import UTC, datetime, timedelta

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from app.notifications import notify
from app.notifications.devmail import free_port
from app.notifications.models import QUEUED, SENT
from app.notifications.sending import drain
from tests.notifications.conftest import Mailbox, messages

USERNAME, PASSWORD = "mash-relay", "relay-secret-for-tests"


def _certificate(folder) -> tuple[str, str]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    start = datetime.now(UTC) - timedelta(minutes=5)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(start)
            .not_valid_after(start + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                           critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "relay.pem", folder / "relay.key"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


class Logins:
    def __init__(self) -> None:
        self.seen: list[tuple[str, bool]] = []

    def __call__(self, _server, session, _envelope, mechanism, auth_data):
        ok = auth_data.login.decode() == USERNAME and auth_data.password.decode() == PASSWORD
        self.seen.append((auth_data.login.decode(), session.ssl is not None))
        return AuthResult(success=ok, handled=False)


@pytest.fixture
def relay(tmp_path, monkeypatch):
    cert_file, key_file = _certificate(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_file, key_file)
    box, logins, port = Mailbox(), Logins(), free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True,
                            authenticator=logins, auth_required=True, auth_require_tls=True)
    controller.start()
    monkeypatch.setenv("SSL_CERT_FILE", cert_file)  # the council's CA, trusted by this machine
    monkeypatch.setenv("MASH_SMTP_HOST", "127.0.0.1")
    monkeypatch.setenv("MASH_SMTP_PORT", str(port))
    monkeypatch.setenv("MASH_SMTP_STARTTLS", "1")
    monkeypatch.setenv("MASH_SMTP_USERNAME", USERNAME)
    monkeypatch.setenv("MASH_SMTP_PASSWORD", PASSWORD)
    monkeypatch.delenv("MASH_DEV_MAIL", raising=False)
    yield box, logins
    controller.stop()


def _breach(db) -> None:
    with db.unit_of_work() as session:
        notify(session, "breach", to_role="mash-manager", facts={"rag": "Red", "agency": "Police", "step": "check"})


def test_the_hub_upgrades_to_tls_and_signs_in_before_sending(db, staff_addresses, relay):
    box, logins = relay
    _breach(db)
    assert drain("sender") == 1
    assert logins.seen == [(USERNAME, True)]
    [message] = box.parsed()
    assert message["Subject"] == "A Red check for Police has missed its deadline"
    assert messages(db)[0].status == SENT


def test_a_wrong_password_is_a_failure_to_retry(db, staff_addresses, relay, monkeypatch):
    box, _logins = relay
    monkeypatch.setenv("MASH_SMTP_PASSWORD", "not-the-password")
    _breach(db)
    assert drain("sender") == 0
    [message] = messages(db)
    assert (message.status, message.last_error) == (QUEUED, "SMTPAuthenticationError 535")
    assert box.received == []


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(db, staff_addresses, relay, monkeypatch, tmp_path):
    box, logins = relay
    (tmp_path / "other").mkdir()
    other, _key = _certificate(tmp_path / "other")  # a certificate the relay does not present
    monkeypatch.setenv("SSL_CERT_FILE", other)
    _breach(db)
    assert drain("sender") == 0
    assert messages(db)[0].last_error == "SSLCertVerificationError"
    assert logins.seen == [] and box.received == []
