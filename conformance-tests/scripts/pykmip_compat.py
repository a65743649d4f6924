"""What PyKMIP 0.10 (2019, its last release) needs from a newer Python, for the repository's
PyKMIP client driver (kmip_pykmip_client.py) and PyKMIP server launcher (pykmip_server.py).
Import it before anything from `kmip`.

- PyKMIP opens client and server sockets with ssl.wrap_socket, which Python 3.12 removed; where
  it is missing, an equivalent built on ssl.SSLContext is put in its place (same arguments, same
  behaviour: the given protocol and cipher list, no host name check). PYKMIP_WRAP_SOCKET_SHIM=1
  uses it on older Pythons too, to test it.
- PyKMIP's use of deprecated ssl constants and of algorithms cryptography has moved to
  `decrepit` prints warnings at import and on every connection: they are silenced.
"""

import os
import ssl
import warnings

warnings.simplefilter("ignore", DeprecationWarning)
try:
    from cryptography.utils import CryptographyDeprecationWarning

    warnings.simplefilter("ignore", CryptographyDeprecationWarning)
except ImportError:  # pragma: no cover - cryptography is always installed with PyKMIP
    pass


def wrap_socket(sock, keyfile=None, certfile=None, server_side=False,
                cert_reqs=ssl.CERT_NONE, ssl_version=ssl.PROTOCOL_TLS, ca_certs=None,
                do_handshake_on_connect=True, suppress_ragged_eofs=True, ciphers=None):
    """ssl.wrap_socket as Python 3.11 had it."""
    ctx = ssl.SSLContext(ssl_version)
    if not server_side:
        ctx.check_hostname = False
    ctx.verify_mode = cert_reqs
    if ca_certs:
        ctx.load_verify_locations(ca_certs)
    if certfile:
        ctx.load_cert_chain(certfile, keyfile)
    if ciphers:
        ctx.set_ciphers(ciphers)
    return ctx.wrap_socket(sock, server_side=server_side,
                           do_handshake_on_connect=do_handshake_on_connect,
                           suppress_ragged_eofs=suppress_ragged_eofs)


if not hasattr(ssl, "wrap_socket") or os.environ.get("PYKMIP_WRAP_SOCKET_SHIM"):
    ssl.wrap_socket = wrap_socket
