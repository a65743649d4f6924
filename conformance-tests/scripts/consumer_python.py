"""A Python consumer of a PKCS#11 module: python-pkcs11 (and `cryptography` as the independent
check). Run by consumer-python.sh in two processes:

  consumer_python.py create MODULE LABEL PIN WORKDIR
      opens the token by label, generates an AES-256 key and an EC P-256 key pair (token
      objects), encrypts/decrypts with AES-CBC-PAD and AES-GCM, signs/verifies with ECDSA,
      verifies the ECDSA signatures with `cryptography`, and leaves a ciphertext and a
      signature in WORKDIR;
  consumer_python.py reopen MODULE LABEL PIN WORKDIR
      a new process finds the keys by label, decrypts the ciphertext and verifies the signature.

Prints one "   checked: ..." line per check; any failed check raises (non-zero exit).
Environment: IS_SOFTHSM2=1 when the module is SoftHSMv2 (which lacks CKM_ECDSA_SHA256).
"""

import hashlib
import json
import os
import sys

import pkcs11
from pkcs11 import Attribute, KeyType, Mechanism, ObjectClass
from pkcs11.exceptions import PKCS11Error
from pkcs11.mechanisms import GCMParams
from pkcs11.util.ec import encode_ec_public_key, encode_ecdsa_signature, encode_named_curve_parameters

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed
from cryptography.hazmat.primitives.serialization import load_der_public_key


def checked(what):
    print(f"   checked: {what}", flush=True)


def require(cond, what):
    if not cond:
        raise SystemExit(f"FAILED: {what}")
    checked(what)


def independent_verify(pub_der, sig_rs, data=None, digest=None):
    """True if `cryptography` accepts the raw r||s ECDSA signature."""
    key = load_der_public_key(pub_der)
    der_sig = encode_ecdsa_signature(sig_rs)
    try:
        if digest is not None:
            key.verify(der_sig, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
        else:
            key.verify(der_sig, data, ec.ECDSA(hashes.SHA256()))
        return True
    except InvalidSignature:
        return False


def create(lib, token, pin, workdir, softhsm2):
    data = os.urandom(1500)
    with token.open(user_pin=pin, rw=True) as session:
        checked(f"opened a R/W session on token '{token.label}' and logged in")

        # AES-256: CBC-PAD and GCM round trips.
        aes = session.generate_key(KeyType.AES, 256, label="py-aes", store=True)
        require(aes[Attribute.VALUE_LEN] == 32, "AES-256 key generated on the token (CKA_VALUE_LEN 32)")
        require(aes[Attribute.SENSITIVE], "the AES key is sensitive")
        iv = session.generate_random(128)
        ct = aes.encrypt(data, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv)
        require(len(ct) == (len(data) // 16 + 1) * 16, "AES-CBC-PAD ciphertext has the padded length")
        require(ct[: len(data)] != data[: len(ct)], "the ciphertext differs from the plaintext")
        pt = aes.decrypt(ct, mechanism=Mechanism.AES_CBC_PAD, mechanism_param=iv)
        require(pt == data, "AES-CBC-PAD decrypt(encrypt(data)) == data")

        nonce = session.generate_random(96)
        gcm = GCMParams(nonce, b"header", 128)
        ct_gcm = aes.encrypt(data, mechanism=Mechanism.AES_GCM, mechanism_param=gcm)
        require(len(ct_gcm) == len(data) + 16, "AES-GCM ciphertext carries a 16-byte tag")
        require(
            aes.decrypt(ct_gcm, mechanism=Mechanism.AES_GCM, mechanism_param=gcm) == data,
            "AES-GCM decrypt(encrypt(data)) == data",
        )
        tampered = bytearray(ct_gcm)
        tampered[5] ^= 1
        try:
            aes.decrypt(bytes(tampered), mechanism=Mechanism.AES_GCM, mechanism_param=gcm)
            rejected = False
        except PKCS11Error:
            rejected = True
        require(rejected, "AES-GCM rejects a modified ciphertext")

        # EC P-256 key pair.
        params = session.create_domain_parameters(
            KeyType.EC, {Attribute.EC_PARAMS: encode_named_curve_parameters("secp256r1")}, local=True
        )
        pub, priv = params.generate_keypair(store=True, label="py-ec")
        require(priv[Attribute.KEY_TYPE] == KeyType.EC and priv[Attribute.TOKEN], "EC P-256 key pair generated as token objects")
        pub_der = encode_ec_public_key(pub)
        require(
            isinstance(load_der_public_key(pub_der).curve, ec.SECP256R1),
            "cryptography loads the public key (CKA_EC_POINT) as a P-256 key",
        )

        digest = hashlib.sha256(data).digest()
        sig = priv.sign(digest, mechanism=Mechanism.ECDSA)
        require(len(sig) == 64, "CKM_ECDSA over a SHA-256 digest gives a 64-byte r||s signature")
        require(pub.verify(digest, sig, mechanism=Mechanism.ECDSA), "the token verifies its CKM_ECDSA signature")
        require(independent_verify(pub_der, sig, digest=digest), "cryptography verifies the CKM_ECDSA signature")
        require(
            not independent_verify(pub_der, sig, digest=hashlib.sha256(data + b"x").digest()),
            "cryptography rejects it for other data",
        )

        mechs = set(token.slot.get_mechanisms())
        if Mechanism.ECDSA_SHA256 in mechs:
            sig2 = priv.sign(data, mechanism=Mechanism.ECDSA_SHA256)
            require(pub.verify(data, sig2, mechanism=Mechanism.ECDSA_SHA256), "the token verifies its CKM_ECDSA_SHA256 signature")
            require(independent_verify(pub_der, sig2, data=data), "cryptography verifies the CKM_ECDSA_SHA256 signature")
            require(
                not pub.verify(data + b"x", sig2, mechanism=Mechanism.ECDSA_SHA256),
                "the token rejects the signature for other data",
            )
        elif softhsm2:
            print("   note: CKM_ECDSA_SHA256 is not offered by SoftHSMv2; CKM_ECDSA over a digest was checked instead")
        else:
            raise SystemExit("FAILED: CKM_ECDSA_SHA256 is not in the mechanism list")

    with open(os.path.join(workdir, "py-state.json"), "w") as f:
        json.dump({"data": data.hex(), "iv": iv.hex(), "ct": ct.hex(), "sig": sig.hex(), "pub": pub_der.hex()}, f)


def reopen(lib, token, pin, workdir):
    with open(os.path.join(workdir, "py-state.json")) as f:
        st = {k: bytes.fromhex(v) for k, v in json.load(f).items()}
    with token.open(user_pin=pin) as session:
        checked("a new process opened a R/O session and logged in")
        aes = session.get_key(label="py-aes", key_type=KeyType.AES)
        checked("found the AES key 'py-aes' by label")
        pt = aes.decrypt(st["ct"], mechanism=Mechanism.AES_CBC_PAD, mechanism_param=st["iv"])
        require(pt == st["data"], "the stored AES key decrypts the earlier ciphertext")
        pub = session.get_key(label="py-ec", object_class=ObjectClass.PUBLIC_KEY)
        priv = session.get_key(label="py-ec", object_class=ObjectClass.PRIVATE_KEY)
        checked("found the EC key pair 'py-ec' by label")
        require(encode_ec_public_key(pub) == st["pub"], "the stored public key is unchanged")
        digest = hashlib.sha256(st["data"]).digest()
        require(pub.verify(digest, st["sig"], mechanism=Mechanism.ECDSA), "the token verifies the earlier signature")
        sig = priv.sign(digest, mechanism=Mechanism.ECDSA)
        require(independent_verify(st["pub"], sig, digest=digest), "a new signature by the stored private key verifies with cryptography")
        n = len(list(session.get_objects({Attribute.LABEL: "py-ec"})))
        require(n == 2, "exactly the two EC objects carry the label 'py-ec'")


def main():
    phase, module, label, pin, workdir = sys.argv[1:6]
    softhsm2 = os.environ.get("IS_SOFTHSM2") == "1"
    lib = pkcs11.lib(module)
    checked(f"python-pkcs11 loaded {os.path.basename(module)} ({lib.manufacturer_id.strip()}, Cryptoki {lib.cryptoki_version})")
    token = lib.get_token(token_label=label)
    if phase == "create":
        create(lib, token, pin, workdir, softhsm2)
    elif phase == "reopen":
        reopen(lib, token, pin, workdir)
    else:
        raise SystemExit(f"unknown phase {phase}")
    print(f"python consumer: {phase} passed")


if __name__ == "__main__":
    main()
