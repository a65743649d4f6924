#!/usr/bin/env python3
"""PyKMIP's client against a running softhsm-rs kmip-server.

kmip-pykmip.sh starts the server and runs this driver from the repository's .venv with the
server's PyKMIP `[client]` section (written from its banner) as the configuration file. For each
KMIP version asked for (1.2, 1.4 and 2.0 by default) the driver opens `kmip.pie.ProxyKmipClient`
(and the lower-level `kmip.services.kmip_client.KMIPProxy` for Discover Versions and Query) and
runs the same list of steps; every step checks its result, and key material fetched with Get is
checked with `cryptography` as an independent implementation. One line per step, then

    PyKMIP: N of N steps passed at 1.2, 1.4, 2.0

Exit status 0 only if every step passed. The steps of one version depend on each other (a key
made by one is used by the next), so the first failure ends that version's run and its remaining
steps count as not passed; the other versions still run.

TLS: PyKMIP's defaults already fit the server (TLS 1.3, or TLS 1.2 with ECDHE and AES-GCM or
ChaCha20-Poly1305, client certificate required): ssl_version PROTOCOL_SSLv23 means "highest
both sides speak" and Python's default cipher list is ECDHE/AEAD first, so no `ciphers` setting
is needed. One extra connection forces ssl_version=PROTOCOL_TLSv1_2 and checks the suite.
PyKMIP's ssl.wrap_socket performs no host name check (the CA chain is still verified).

What PyKMIP 0.10 itself cannot do (found here; none is a server fault):
- decode a Get Attributes answer holding an attribute its factory lacks (Original Creation Date,
  defined since KMIP 1.2; the KMIP 1.4 additions; Link, Revocation Reason, Digital Signature
  Algorithm, ...), so Get Attributes names the attributes it reads;
- return the Authenticated Encryption Tag of a GCM Encrypt (GCM is checked by its ciphertext);
- read a failed Check (it dereferences the missing response payload);
- register two Pie objects without a name: each Pie class has a default Name ("Symmetric Key",
  "Private Key", ...) and KMIP Names are unique in a server, so every Register here names its
  object.

Usage: kmip_pykmip_client.py --config FILE [--versions 1.2,1.4,2.0] [--no-tls12]
"""

import argparse
import datetime
import enum
import hashlib
import hmac
import logging
import os
import sys
import time
import traceback

import pykmip_compat  # noqa: E402,F401 - before PyKMIP: warnings off, ssl.wrap_socket on 3.12+

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, padding as sym_padding, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import padding as asym_padding, rsa  # noqa: E402
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from kmip import enums  # noqa: E402
from kmip.core import misc  # noqa: E402
from kmip.core.factories import attributes as attr_factory  # noqa: E402
from kmip.pie import client as pie_client  # noqa: E402
from kmip.pie import exceptions as pie_exceptions  # noqa: E402
from kmip.pie import factory as pie_factory  # noqa: E402
from kmip.pie import objects as pobjects  # noqa: E402
from kmip.services import kmip_client  # noqa: E402

VERSIONS = {
    "1.2": enums.KMIPVersion.KMIP_1_2,
    "1.4": enums.KMIPVersion.KMIP_1_4,
    "2.0": enums.KMIPVersion.KMIP_2_0,
}

CBC_PKCS5 = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
    "block_cipher_mode": enums.BlockCipherMode.CBC,
    "padding_method": enums.PaddingMethod.PKCS5,
}

RSA_SHA256_PKCS1 = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
    "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
    "padding_method": enums.PaddingMethod.PKCS1v15,
}

RSA_PSS_SHA256 = {
    "cryptographic_algorithm": enums.CryptographicAlgorithm.RSA,
    "hashing_algorithm": enums.HashingAlgorithm.SHA_256,
    "padding_method": enums.PaddingMethod.PSS,
}


# The attributes Get Attributes asks for: those PyKMIP 0.10's attribute factory can decode.
READABLE_ATTRIBUTES = [
    "Unique Identifier",
    "Object Type",
    "Cryptographic Algorithm",
    "Cryptographic Length",
    "Cryptographic Usage Mask",
    "Name",
    "State",
    "Initial Date",
    "Activation Date",
    "Last Change Date",
]


class StepFailed(Exception):
    pass


def check(cond, what):
    if not cond:
        raise StepFailed(what)


def attribute_values(attributes, name):
    """The values of the attribute called `name` in a PyKMIP attribute list."""
    out = []
    for a in attributes:
        if a.attribute_name.value == name:
            out.append(a.attribute_value)
    return out


def enum_value(v):
    """An enumeration value as the enum member, whether PyKMIP gave the member itself or the
    Enumeration primitive holding it."""
    return v if isinstance(v, enum.Enum) else v.value


def self_signed_certificate():
    """A P-256 self-signed certificate made locally (DER), to register as a Certificate."""
    from cryptography.hazmat.primitives.asymmetric import ec

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "pykmip-registered")])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .sign(key, hashes.SHA256())
    )
    return cert.public_bytes(serialization.Encoding.DER)


class Run:
    """The steps of one KMIP version over one client connection."""

    def __init__(self, args, label, version):
        self.args = args
        self.label = label
        self.version = version
        self.tag = f"pykmip-{label.replace('.', '')}-{os.getpid()}"
        self.client = None
        self.state = {}
        self.factory = attr_factory.AttributeFactory()

    # -- connection -------------------------------------------------------------------------

    def step_connect(self):
        self.client = pie_client.ProxyKmipClient(
            config="client",
            config_file=self.args.config,
            kmip_version=self.version,
        )
        self.client.open()
        sock = self.client.proxy.socket
        proto, cipher = sock.version(), sock.cipher()[0]
        check(proto in ("TLSv1.3", "TLSv1.2"), f"negotiated {proto}")
        return f"mutual TLS: {proto} {cipher}"

    def step_discover_and_query(self):
        # The lower-level proxy: Discover Versions and Query are not in the Pie API.
        proxy = self.client.proxy
        check(isinstance(proxy, kmip_client.KMIPProxy), "ProxyKmipClient has no KMIPProxy")
        dv = proxy.discover_versions()
        check(dv.result_status.value == enums.ResultStatus.SUCCESS, "Discover Versions failed")
        offered = [(v.major, v.minor) for v in dv.protocol_versions]
        want = tuple(int(x) for x in self.label.split("."))
        check(want in offered, f"server does not offer {self.label}: {offered}")
        q = proxy.query(query_functions=[enums.QueryFunction.QUERY_OPERATIONS,
                                         enums.QueryFunction.QUERY_OBJECTS])
        check(q.result_status.value == enums.ResultStatus.SUCCESS, "Query failed")
        ops = {enum_value(o) for o in q.operations or []}
        for op in (enums.Operation.CREATE, enums.Operation.ENCRYPT, enums.Operation.SIGN,
                   enums.Operation.MAC, enums.Operation.DESTROY):
            check(op in ops, f"Query does not list {op.name}")
        return f"Discover Versions offers {self.label}; Query lists {len(ops)} operations"

    # -- AES key -----------------------------------------------------------------------------

    def step_create_aes(self):
        name = f"{self.tag}-aes"
        uid = self.client.create(enums.CryptographicAlgorithm.AES, 256, name=name)
        check(isinstance(uid, str) and uid, "no Unique Identifier")
        self.state["aes"] = uid
        self.state["aes_name"] = name
        return f"Create AES-256 '{name}' -> {uid}"

    def step_get_aes(self):
        key = self.client.get(self.state["aes"])
        check(isinstance(key, pobjects.SymmetricKey), f"Get returned {type(key).__name__}")
        check(key.cryptographic_algorithm == enums.CryptographicAlgorithm.AES, "algorithm")
        check(key.cryptographic_length == 256, f"length {key.cryptographic_length}")
        check(len(key.value) == 32, f"{len(key.value)}-byte key value")
        self.state["aes_value"] = bytes(key.value)
        return "Get: SymmetricKey AES 256 bits, 32-byte Raw value"

    def step_locate_by_name(self):
        name_attr = self.factory.create_attribute(enums.AttributeType.NAME, self.state["aes_name"])
        found = self.client.locate(attributes=[name_attr])
        check(found == [self.state["aes"]], f"Locate by Name found {found}")
        return f"Locate by Name -> [{found[0]}]"

    def step_activate_aes(self):
        self.client.activate(self.state["aes"])
        _, attrs = self.client.get_attributes(self.state["aes"], ["State"])
        states = [enum_value(v) for v in attribute_values(attrs, "State")]
        check(states == [enums.State.ACTIVE], f"State after Activate: {states}")
        return "Activate; State is Active"

    def step_encrypt_decrypt_cbc(self):
        uid = self.state["aes"]
        plaintext = b"PyKMIP over softhsm-rs: AES-256-CBC with PKCS#5 padding, 57 bytes"[:57]
        iv = os.urandom(16)
        ct, server_iv = self.client.encrypt(plaintext, uid=uid,
                                            cryptographic_parameters=CBC_PKCS5,
                                            iv_counter_nonce=iv)
        check(server_iv is None, "server returned an IV although one was sent")
        check(len(ct) == 64, f"ciphertext of {len(ct)} bytes (want 64)")
        # Independent check: the same encryption with the key value Get returned.
        padder = sym_padding.PKCS7(128).padder()
        enc = Cipher(algorithms.AES(self.state["aes_value"]), modes.CBC(iv)).encryptor()
        want = enc.update(padder.update(plaintext) + padder.finalize()) + enc.finalize()
        check(ct == want, "ciphertext differs from cryptography's AES-CBC-PKCS7")
        pt = self.client.decrypt(ct, uid=uid, cryptographic_parameters=CBC_PKCS5,
                                 iv_counter_nonce=iv)
        check(pt == plaintext, "decrypted plaintext differs from the input")
        return "Encrypt/Decrypt AES-CBC PKCS5 with IV: round trip, matches cryptography"

    def step_encrypt_random_iv(self):
        uid = self.state["aes"]
        plaintext = os.urandom(100)
        params = dict(CBC_PKCS5, random_iv=True)
        ct, iv = self.client.encrypt(plaintext, uid=uid, cryptographic_parameters=params)
        check(iv is not None and len(iv) == 16, f"server-made IV: {iv!r}")
        pt = self.client.decrypt(ct, uid=uid, cryptographic_parameters=CBC_PKCS5,
                                 iv_counter_nonce=iv)
        check(pt == plaintext, "decrypted plaintext differs from the input")
        dec = Cipher(algorithms.AES(self.state["aes_value"]), modes.CBC(iv)).decryptor()
        unpadder = sym_padding.PKCS7(128).unpadder()
        local = unpadder.update(dec.update(ct) + dec.finalize()) + unpadder.finalize()
        check(local == plaintext, "cryptography does not decrypt the server's ciphertext")
        return "Encrypt with Random IV: server returned a 16-byte IV; round trip"

    def step_encrypt_gcm(self):
        uid = self.state["aes"]
        params = {"cryptographic_algorithm": enums.CryptographicAlgorithm.AES,
                  "block_cipher_mode": enums.BlockCipherMode.GCM, "tag_length": 16}
        plaintext, iv = os.urandom(40), os.urandom(12)
        if self.version < enums.KMIPVersion.KMIP_1_4:
            # KMIP 1.4 added the Authenticated Encryption Tag; an older version cannot carry it.
            try:
                self.client.encrypt(plaintext, uid=uid, cryptographic_parameters=params,
                                    iv_counter_nonce=iv)
            except pie_exceptions.KmipOperationFailure as e:
                check(e.reason == enums.ResultReason.FEATURE_NOT_SUPPORTED,
                      f"GCM before 1.4 refused with {e.reason}")
            else:
                raise StepFailed("GCM answered in a version without an Authenticated Encryption Tag")
            return f"Encrypt AES-GCM at {self.label}: refused (Feature Not Supported: no tag field before 1.4)"
        ct, _ = self.client.encrypt(plaintext, uid=uid, cryptographic_parameters=params,
                                    iv_counter_nonce=iv)
        # PyKMIP's Encrypt result drops the tag; the ciphertext itself is checked.
        want = AESGCM(self.state["aes_value"]).encrypt(iv, plaintext, None)[:-16]
        check(ct == want, "GCM ciphertext differs from cryptography's AES-GCM")
        return "Encrypt AES-GCM: ciphertext matches cryptography (PyKMIP does not return the tag)"

    # -- HMAC key ----------------------------------------------------------------------------

    def step_mac(self):
        uid = self.client.create(
            enums.CryptographicAlgorithm.HMAC_SHA256, 256, name=f"{self.tag}-hmac",
            cryptographic_usage_mask=[enums.CryptographicUsageMask.MAC_GENERATE,
                                      enums.CryptographicUsageMask.MAC_VERIFY])
        self.state["hmac"] = uid
        self.client.activate(uid)
        data = b"message to authenticate " * 5
        mac_uid, mac = self.client.mac(data, uid=uid,
                                       algorithm=enums.CryptographicAlgorithm.HMAC_SHA256)
        check(mac_uid == uid, f"MAC answered for {mac_uid}")
        check(len(mac) == 32, f"{len(mac)}-byte MAC")
        key = self.client.get(uid)
        want = hmac.new(bytes(key.value), data, hashlib.sha256).digest()
        check(mac == want, "MAC differs from HMAC-SHA256 over the key value")
        return "Create HMAC-SHA256 key, MAC: 32 bytes, equals hmac(sha256) of the key value"

    # -- RSA key pair ------------------------------------------------------------------------

    def step_create_key_pair(self):
        pub, priv = self.client.create_key_pair(
            enums.CryptographicAlgorithm.RSA, 2048,
            public_name=f"{self.tag}-rsa-pub",
            public_usage_mask=[enums.CryptographicUsageMask.VERIFY],
            private_name=f"{self.tag}-rsa-priv",
            private_usage_mask=[enums.CryptographicUsageMask.SIGN])
        check(pub and priv and pub != priv, f"key pair ids {pub!r} {priv!r}")
        self.state["pub"], self.state["priv"] = pub, priv
        key = self.client.get(pub)
        check(isinstance(key, pobjects.PublicKey), f"Get returned {type(key).__name__}")
        check(key.cryptographic_length == 2048, f"length {key.cryptographic_length}")
        self.state["pub_der"] = bytes(key.value)
        self.client.activate(pub)
        self.client.activate(priv)
        return f"Create Key Pair RSA-2048 -> public {pub}, private {priv}; both activated"

    def _public_key(self):
        # SubjectPublicKeyInfo or PKCS#1 RSAPublicKey DER: cryptography reads both.
        return serialization.load_der_public_key(self.state["pub_der"])

    def step_sign_verify(self):
        data = b"PyKMIP signs this through softhsm-rs"
        sig = self.client.sign(data, uid=self.state["priv"],
                               cryptographic_parameters=RSA_SHA256_PKCS1)
        check(len(sig) == 256, f"{len(sig)}-byte signature")
        pub = self._public_key()
        check(isinstance(pub, rsa.RSAPublicKey), "public key is not RSA")
        pub.verify(sig, data, asym_padding.PKCS1v15(), hashes.SHA256())
        v = self.client.signature_verify(data, sig, uid=self.state["pub"],
                                         cryptographic_parameters=RSA_SHA256_PKCS1)
        check(v == enums.ValidityIndicator.VALID, f"Signature Verify says {v}")
        bad = bytes([sig[0] ^ 1]) + sig[1:]
        v = self.client.signature_verify(data, bad, uid=self.state["pub"],
                                         cryptographic_parameters=RSA_SHA256_PKCS1)
        check(v == enums.ValidityIndicator.INVALID, f"a corrupted signature is {v}")
        return "Sign SHA-256/PKCS#1 v1.5 (checked by cryptography); Verify VALID; corrupted INVALID"

    def step_sign_verify_pss(self):
        data = b"and with RSASSA-PSS"
        sig = self.client.sign(data, uid=self.state["priv"],
                               cryptographic_parameters=RSA_PSS_SHA256)
        pub = self._public_key()
        pub.verify(sig, data,
                   asym_padding.PSS(mgf=asym_padding.MGF1(hashes.SHA256()),
                                    salt_length=32),
                   hashes.SHA256())
        v = self.client.signature_verify(data, sig, uid=self.state["pub"],
                                         cryptographic_parameters=RSA_PSS_SHA256)
        check(v == enums.ValidityIndicator.VALID, f"Signature Verify says {v}")
        return "Sign RSASSA-PSS SHA-256 (checked by cryptography); Verify VALID"

    # -- registered objects ------------------------------------------------------------------

    def step_register_seed(self):
        seed = os.urandom(96)
        obj = pobjects.SecretData(seed, enums.SecretDataType.SEED,
                                  masks=[enums.CryptographicUsageMask.DERIVE_KEY],
                                  name=f"{self.tag}-seed")
        uid = self.client.register(obj)
        self.state["seed"] = uid
        got = self.client.get(uid)
        check(isinstance(got, pobjects.SecretData), f"Get returned {type(got).__name__}")
        check(bytes(got.value) == seed, "seed value does not round-trip")
        check(got.data_type == enums.SecretDataType.SEED, f"Secret Data Type {got.data_type}")
        return f"Register Secret Data (Seed, 96 bytes) -> {uid}; Get returns the same bytes"

    def step_register_opaque(self):
        blob = b"opaque \x00\x01\x02 blob " + os.urandom(40)
        obj = pobjects.OpaqueObject(blob, enums.OpaqueDataType.NONE, name=f"{self.tag}-opaque")
        uid = self.client.register(obj)
        self.state["opaque"] = uid
        got = self.client.get(uid)
        check(isinstance(got, pobjects.OpaqueObject), f"Get returned {type(got).__name__}")
        check(bytes(got.value) == blob, "opaque value does not round-trip")
        return f"Register Opaque Object ({len(blob)} bytes) -> {uid}; Get returns the same bytes"

    def step_register_certificate(self):
        der = self_signed_certificate()
        obj = pobjects.X509Certificate(der, name=f"{self.tag}-cert")
        uid = self.client.register(obj)
        self.state["cert"] = uid
        got = self.client.get(uid)
        check(isinstance(got, pobjects.X509Certificate), f"Get returned {type(got).__name__}")
        check(bytes(got.value) == der, "certificate does not round-trip")
        cert = x509.load_der_x509_certificate(bytes(got.value))
        cn = cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value
        check(cn == "pykmip-registered", f"subject CN {cn}")
        return f"Register X.509 Certificate ({len(der)} bytes DER) -> {uid}; Get returns it"

    def step_register_rsa_keys(self):
        local = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        p8 = local.private_bytes(serialization.Encoding.DER,
                                 serialization.PrivateFormat.PKCS8,
                                 serialization.NoEncryption())
        spki = local.public_key().public_bytes(serialization.Encoding.DER,
                                               serialization.PublicFormat.SubjectPublicKeyInfo)
        priv = self.client.register(pobjects.PrivateKey(
            enums.CryptographicAlgorithm.RSA, 2048, p8, enums.KeyFormatType.PKCS_8,
            masks=[enums.CryptographicUsageMask.SIGN], name=f"{self.tag}-imported-priv"))
        pub = self.client.register(pobjects.PublicKey(
            enums.CryptographicAlgorithm.RSA, 2048, spki, enums.KeyFormatType.X_509,
            masks=[enums.CryptographicUsageMask.VERIFY], name=f"{self.tag}-imported-pub"))
        self.state["imported_priv"], self.state["imported_pub"] = priv, pub
        # The lower-level proxy's Get names a Key Format Type: the registered encodings return.
        for uid, fmt, want in ((priv, enums.KeyFormatType.PKCS_8, p8),
                               (pub, enums.KeyFormatType.X_509, spki)):
            r = self.client.proxy.get(uid, key_format_type=misc.KeyFormatType(fmt))
            check(r.result_status.value == enums.ResultStatus.SUCCESS, f"Get {fmt.name} failed")
            got = pie_factory.ObjectFactory().convert(r.secret)
            check(got.key_format_type == fmt, f"Get returned {got.key_format_type}")
            check(bytes(got.value) == want, f"{fmt.name} value does not round-trip")
        self.client.activate(priv)
        self.client.activate(pub)
        data = b"signed with an imported key"
        sig = self.client.sign(data, uid=priv, cryptographic_parameters=RSA_PSS_SHA256)
        local.public_key().verify(sig, data,
                                  asym_padding.PSS(mgf=asym_padding.MGF1(hashes.SHA256()),
                                                   salt_length=32),
                                  hashes.SHA256())
        v = self.client.signature_verify(data, sig, uid=pub,
                                         cryptographic_parameters=RSA_PSS_SHA256)
        check(v == enums.ValidityIndicator.VALID, f"Signature Verify says {v}")
        return ("Register RSA-2048 private (PKCS#8) and public (X.509) key; Get by format "
                "round-trips; PSS signature checked by cryptography and Verify VALID")

    # -- attributes and the end of life ------------------------------------------------------

    def step_get_attributes(self):
        # Named attributes: PyKMIP 0.10 cannot decode a Get Attributes answer that holds an
        # attribute its factory lacks (Original Creation Date, defined since KMIP 1.2; Always
        # Sensitive and the other 1.4 additions; Link, Revocation Reason, Digital Signature
        # Algorithm, ...), so asking for all of them fails inside the client, not the server.
        uid, attrs = self.client.get_attributes(self.state["aes"], READABLE_ATTRIBUTES)
        check(uid == self.state["aes"], f"attributes of {uid}")
        got = sorted({a.attribute_name.value for a in attrs})
        check(got == sorted(READABLE_ATTRIBUTES), f"attributes returned: {got}")
        types = [enum_value(v) for v in attribute_values(attrs, "Object Type")]
        check(types == [enums.ObjectType.SYMMETRIC_KEY], f"Object Type {types}")
        algs = [enum_value(v) for v in attribute_values(attrs, "Cryptographic Algorithm")]
        check(algs == [enums.CryptographicAlgorithm.AES], f"Cryptographic Algorithm {algs}")
        lens = [v.value for v in attribute_values(attrs, "Cryptographic Length")]
        check(lens == [256], f"Cryptographic Length {lens}")
        names = [v.name_value.value for v in attribute_values(attrs, "Name")]
        check(names == [self.state["aes_name"]], f"Name {names}")
        states = [enum_value(v) for v in attribute_values(attrs, "State")]
        check(states == [enums.State.ACTIVE], f"State {states}")
        masks = [v.value for v in attribute_values(attrs, "Cryptographic Usage Mask")]
        want = enums.CryptographicUsageMask.ENCRYPT.value | enums.CryptographicUsageMask.DECRYPT.value
        check(len(masks) == 1 and masks[0] & want == want, f"Cryptographic Usage Mask {masks}")
        initial = [v.value for v in attribute_values(attrs, "Initial Date")]
        activated = [v.value for v in attribute_values(attrs, "Activation Date")]
        now = time.time()
        check(len(initial) == 1 and now - 600 < initial[0] <= now + 5, f"Initial Date {initial}")
        check(len(activated) == 1 and initial[0] <= activated[0] <= now + 5,
              f"Activation Date {activated}")
        return (f"Get Attributes ({len(READABLE_ATTRIBUTES)} named): Symmetric Key, AES, 256, "
                "Name, Active, Encrypt|Decrypt, Initial and Activation Date")

    def step_get_attribute_list(self):
        names = self.client.get_attribute_list(self.state["aes"])
        for n in ("Unique Identifier", "Object Type", "Cryptographic Algorithm",
                  "Cryptographic Length", "State", "Name"):
            check(n in names, f"Get Attribute List lacks {n}: {names}")
        return f"Get Attribute List: {len(names)} names"

    def step_revoke(self):
        uid = self.state["aes"]
        self.client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, uid,
                           revocation_message="pykmip test done")
        _, attrs = self.client.get_attributes(uid, ["State"])
        states = [enum_value(v) for v in attribute_values(attrs, "State")]
        check(states == [enums.State.DEACTIVATED], f"State after Revoke: {states}")
        try:
            self.client.encrypt(b"x" * 16, uid=uid, cryptographic_parameters=CBC_PKCS5,
                                iv_counter_nonce=bytes(16))
        except pie_exceptions.KmipOperationFailure as e:
            # As for a Pre-Active key (OASIS vector CS-BC-M-14-20 expects Permission Denied).
            check(e.reason == enums.ResultReason.PERMISSION_DENIED,
                  f"Encrypt with a Deactivated key failed with {e.reason}")
        else:
            raise StepFailed("a Deactivated key still encrypts")
        return "Revoke (Cessation of Operation): State Deactivated, Encrypt refused"

    def step_destroy(self):
        uid = self.state["aes"]
        self.client.destroy(uid)
        try:
            self.client.get(uid)
        except pie_exceptions.KmipOperationFailure as e:
            # KMIP 2.0 added the reason Object Destroyed; 1.x has Item Not Found.
            want = (enums.ResultReason.OBJECT_DESTROYED if self.label.startswith("2.")
                    else enums.ResultReason.ITEM_NOT_FOUND)
            check(e.reason == want, f"Get of a destroyed key failed with {e.reason}")
            reason = e.reason.name
        else:
            raise StepFailed("Get of a destroyed key succeeded")
        found = self.client.locate(attributes=[self.factory.create_attribute(
            enums.AttributeType.NAME, self.state["aes_name"])])
        check(found == [], f"Locate still finds the destroyed key: {found}")
        return f"Destroy: Get now fails ({reason}); Locate finds nothing"

    def step_cleanup(self):
        # Active keys must be revoked before Destroy; registered objects are Pre-Active.
        active = ("hmac", "pub", "priv", "imported_priv", "imported_pub")
        for k in active:
            self.client.revoke(enums.RevocationReasonCode.CESSATION_OF_OPERATION, self.state[k])
        for k in active + ("seed", "opaque", "cert"):
            self.client.destroy(self.state[k])
        return ("Revoke and Destroy the HMAC key, both key pairs, the seed, the opaque object "
                "and the certificate")

    STEPS = [
        step_connect,
        step_discover_and_query,
        step_create_aes,
        step_get_aes,
        step_locate_by_name,
        step_activate_aes,
        step_encrypt_decrypt_cbc,
        step_encrypt_random_iv,
        step_encrypt_gcm,
        step_mac,
        step_create_key_pair,
        step_sign_verify,
        step_sign_verify_pss,
        step_register_seed,
        step_register_opaque,
        step_register_certificate,
        step_register_rsa_keys,
        step_get_attributes,
        step_get_attribute_list,
        step_revoke,
        step_destroy,
        step_cleanup,
    ]

    def run(self, counter):
        passed = 0
        end = counter[0] + len(self.STEPS)
        try:
            for f in self.STEPS:
                counter[0] += 1
                t0 = time.monotonic()
                try:
                    what = f(self)
                except Exception as e:  # noqa: BLE001 - every failure is reported the same way
                    detail = f"{type(e).__name__}: {e}"
                    if not isinstance(e, (StepFailed, pie_exceptions.KmipOperationFailure)):
                        detail += "\n" + traceback.format_exc()
                    print(f"not ok {counter[0]} - KMIP {self.label}: {f.__name__[5:]}: {detail}",
                          flush=True)
                    counter[0] = end
                    return passed
                ms = (time.monotonic() - t0) * 1000
                print(f"ok {counter[0]} - KMIP {self.label}: {what} ({ms:.0f} ms)", flush=True)
                passed += 1
        finally:
            if self.client is not None:
                self.client.close()
        return passed


def tls12_check(args, counter):
    """One more connection limited to TLS 1.2 (ssl_version PROTOCOL_TLSv1_2): the server's
    TLS 1.2 suites are ECDHE with AES-GCM or ChaCha20-Poly1305, which Python's default cipher
    list offers."""
    counter[0] += 1
    try:
        c = pie_client.ProxyKmipClient(config="client", config_file=args.config,
                                       ssl_version="PROTOCOL_TLSv1_2",
                                       kmip_version=enums.KMIPVersion.KMIP_1_4)
        c.open()
        try:
            sock = c.proxy.socket
            proto, cipher = sock.version(), sock.cipher()[0]
            check(proto == "TLSv1.2", f"negotiated {proto}")
            check(cipher.startswith("ECDHE-") and ("GCM" in cipher or "CHACHA20" in cipher),
                  f"negotiated {cipher}")
            dv = c.proxy.discover_versions()
            check(dv.result_status.value == enums.ResultStatus.SUCCESS, "Discover Versions")
        finally:
            c.close()
    except Exception as e:  # noqa: BLE001
        print(f"not ok {counter[0]} - TLS 1.2: {type(e).__name__}: {e}", flush=True)
        return 0
    print(f"ok {counter[0]} - TLS 1.2 only (ssl_version=PROTOCOL_TLSv1_2): {cipher}; "
          "Discover Versions answered", flush=True)
    return 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--config", required=True, help="PyKMIP configuration file ([client])")
    ap.add_argument("--versions", default="1.2,1.4,2.0")
    ap.add_argument("--no-tls12", action="store_true", help="skip the TLS 1.2-only connection")
    args = ap.parse_args()
    logging.basicConfig(level=logging.CRITICAL)

    labels = [v.strip() for v in args.versions.split(",") if v.strip()]
    for label in labels:
        if label not in VERSIONS:
            ap.error(f"unknown KMIP version {label} (known: {', '.join(VERSIONS)})")
    total = len(labels) * len(Run.STEPS) + (0 if args.no_tls12 else 1)
    counter = [0]
    passed = 0
    for label in labels:
        passed += Run(args, label, VERSIONS[label]).run(counter)
    if not args.no_tls12:
        passed += tls12_check(args, counter)
    print(f"PyKMIP: {passed} of {total} steps passed at {', '.join(labels)}", flush=True)
    return 0 if passed == total else 1


if __name__ == "__main__":
    sys.exit(main())
