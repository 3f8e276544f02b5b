"""zmq.auth: ZAP authentication, as pyzmq's: an Authenticator that answers
libzmq's ZAP requests (RFC 27) for the sockets of the process, allowing or
denying by IP address, PLAIN user name and password, and CURVE client key
(a directory of certificates, any key, or a callback).

It runs in Python, beside the application (a thread: ThreadAuthenticator;
the asyncio loop: AsyncioAuthenticator), because its callbacks
(configure_curve_callback, curve_user_id) are Python code. The roles of
the lab use the library's own authenticator (hypobus.Authenticator)."""

from .base import CURVE_ALLOW_ANY, VERSION, Authenticator
from .certs import create_certificates, load_certificate, load_certificates

__all__ = [
    "Authenticator",
    "CURVE_ALLOW_ANY",
    "VERSION",
    "create_certificates",
    "load_certificate",
    "load_certificates",
]
