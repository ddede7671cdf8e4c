"""HTTPS with a pinned address: we connect to the checked IP, yet TLS still names the host.

A self-signed certificate for `images.test` is served on 127.0.0.1 and trusted by the test's
SSL context; the name resolves (through the injected resolver) to 127.0.0.1. The handshake must
carry SNI `images.test` and verify the certificate against `images.test`, not the IP address.
"""

from __future__ import annotations

import datetime as dt
import socket
import ssl
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from briskk_pipeline.images.fetch import FetchPolicy
from briskk_pipeline.images.model import ImageStatus
from briskk_pipeline.images.pipeline import process_images
from briskk_pipeline.resources import IngestSettings, ObjectStore
from briskk_pipeline_tests.fixtures.http import LoopbackHTTPServer

HOST = "images.test"


def self_signed(tmp_path: Path) -> tuple[Path, Path, bytes]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, HOST)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(HOST)]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    pem = cert.public_bytes(serialization.Encoding.PEM)
    cert_path, key_path = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert_path.write_bytes(pem)
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path, pem


@pytest.fixture
def tls_server(tmp_path: Path) -> Iterator[tuple[LoopbackHTTPServer, bytes, list[str | None]]]:
    cert_path, key_path, pem = self_signed(tmp_path)
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_path, key_path)
    server_names: list[str | None] = []
    context.sni_callback = lambda sock, name, ctx: server_names.append(name)  # type: ignore[assignment, misc]
    server = LoopbackHTTPServer("127.0.0.1", tls=context).start()
    yield server, pem, server_names
    server.stop()


def resolve_to_loopback(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
    if host != HOST:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
    return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]


def test_https_uses_the_host_name_for_sni_and_verification_while_pinned(
    tls_server: tuple[LoopbackHTTPServer, bytes, list[str | None]],
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    server, pem, server_names = tls_server
    server.serve_image("/secure.png")
    policy = FetchPolicy(
        resolver=resolve_to_loopback, ssl_context=ssl.create_default_context(cadata=pem.decode())
    )
    url = server.url("/secure.png", host=HOST)

    outcome = process_images([url], store=local_store, settings=image_settings, policy=policy)[url]

    assert outcome.status is ImageStatus.STORED, outcome.reason
    assert server_names == [HOST]
    assert server.requests[0].headers["Host"] == f"{HOST}:{server.port}"


def test_a_certificate_for_another_name_fails(
    tls_server: tuple[LoopbackHTTPServer, bytes, list[str | None]],
    local_store: ObjectStore,
    image_settings: IngestSettings,
) -> None:
    server, pem, _ = tls_server
    server.serve_image("/secure.png")
    policy = FetchPolicy(ssl_context=ssl.create_default_context(cadata=pem.decode()), retries=0)
    url = server.url("/secure.png")  # https://127.0.0.1:… — the certificate names images.test

    outcome = process_images([url], store=local_store, settings=image_settings, policy=policy)[url]

    assert outcome.status is ImageStatus.FAILED
    assert "certificate" in (outcome.reason or "").lower()
    assert server.requests == []  # the handshake failed, so no request was sent
