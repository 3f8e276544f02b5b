"""zmq.auth.base: the ZAP handler's decisions (RFC 27), as pyzmq's
Authenticator. Subclasses run it: thread.py, asyncio.py."""

import inspect
import logging

from .. import constants as C
from ..utils import z85
from .certs import load_certificates

CURVE_ALLOW_ANY = "*"
VERSION = b"1.0"
ZAP_ENDPOINT = "inproc://zeromq.zap.01"


class Authenticator:
    """Answers ZAP requests from a REP socket bound at ZAP_ENDPOINT.

    Addresses are allowed or denied (not both); PLAIN checks user name and
    password per domain; CURVE takes any key, the keys of a directory of
    certificates, or asks a credentials provider (its `callback(domain,
    key)` may be a coroutine function). Each decision is logged once on
    the `zmq.auth` logger."""

    def __init__(self, context=None, encoding="utf-8", log=None):
        from .. import Context

        self.context = context or Context.instance()
        self.encoding = encoding
        self.allow_any = False
        self.credentials_providers = {}
        self.zap_socket = None
        self._allowed = set()
        self._denied = set()
        self.passwords = {}
        self.certs = {}
        self.log = log or logging.getLogger("zmq.auth")

    # ------------------------------------------------------------ running

    def start(self):
        """Bind the ZAP socket (raises if another authenticator runs in the process)."""
        self.zap_socket = self._zap_socket()
        self.zap_socket.linger = 1
        self.zap_socket.bind(ZAP_ENDPOINT)
        self.log.debug("Starting")

    def _zap_socket(self):
        from .. import Socket

        return self.context.socket(C.REP, socket_class=Socket)

    def stop(self):
        """Unbind and close the ZAP socket: ZAP requests are then not answered
        (libzmq lets NULL connections in, and refuses PLAIN and CURVE ones)."""
        s, self.zap_socket = self.zap_socket, None
        if s is not None and not s.closed:
            try:
                s.unbind(ZAP_ENDPOINT)  # at once, so that a new authenticator can bind
            except Exception:
                pass
            s.close()
        self.log.debug("Stopped")

    # ------------------------------------------------------------ policy

    def allow(self, *addresses):
        """Allow these IP addresses (only these: every other one is denied)."""
        if self._denied:
            raise ValueError("Only use allow or deny, not both")
        self.log.debug("Allowing %s", ",".join(addresses))
        self._allowed.update(addresses)

    def deny(self, *addresses):
        """Deny these IP addresses (every other one is allowed)."""
        if self._allowed:
            raise ValueError("Only use allow or deny, not both")
        self.log.debug("Denying %s", ",".join(addresses))
        self._denied.update(addresses)

    def configure_plain(self, domain="*", passwords=None):
        """PLAIN: `passwords` maps user names to passwords for `domain` ('*': any)."""
        if passwords:
            self.passwords[domain] = passwords
        self.log.debug("Configure plain: %s", domain)

    def configure_curve(self, domain="*", location=None):
        """CURVE: accept the keys of the `*.key` certificates in the directory
        `location`, or any key with CURVE_ALLOW_ANY."""
        self.log.debug("Configure curve: %s[%s]", domain, location)
        if location == CURVE_ALLOW_ANY:
            self.allow_any = True
        else:
            self.allow_any = False
            try:
                self.certs[domain] = load_certificates(location)
            except Exception as e:
                self.log.error("Failed to load CURVE certs from %s: %s", location, e)

    def configure_curve_callback(self, domain="*", credentials_provider=None):
        """CURVE: ask `credentials_provider.callback(domain, key)` (Z85 bytes)."""
        self.allow_any = False
        if credentials_provider is not None:
            self.credentials_providers[domain] = credentials_provider
        else:
            self.log.error("None credentials_provider provided for domain:%s", domain)

    def curve_user_id(self, client_public_key):
        """The User-Id of an allowed CURVE client: its key in Z85 (override to map)."""
        return z85.encode(client_public_key).decode("ascii")

    def configure_gssapi(self, domain="*", location=None):
        self.log.error("GSSAPI is not offered by libhypobus (its libzmq has no GSSAPI)")

    # ------------------------------------------------------------ ZAP

    async def handle_zap_message(self, msg):
        """Answer one ZAP request (a list of frames)."""
        if len(msg) < 6:
            self.log.error("Invalid ZAP message, not enough frames: %r", msg)
            if len(msg) >= 2:
                await self._reply(msg[1], b"400", b"Not enough frames")
            else:
                await self._reply(b"", b"400", b"Not enough frames")
            return
        version, request_id, domain, address, identity, mechanism = msg[:6]
        credentials = msg[6:]
        domain = domain.decode(self.encoding, "replace")
        address = address.decode(self.encoding, "replace")
        if version != VERSION:
            self.log.error("Invalid ZAP version: %r", msg)
            await self._reply(request_id, b"400", b"Invalid version")
            return
        self.log.debug(
            "version: %r, request_id: %r, domain: %r, address: %r, identity: %r, mechanism: %r",
            version, request_id, domain, address, identity, mechanism,
        )  # fmt: skip
        allowed, denied, reason = False, False, b"NO ACCESS"
        if self._allowed:
            if address in self._allowed:
                allowed = True
                self.log.debug("PASSED (allowed) address=%s", address)
            else:
                denied, reason = True, b"Address not allowed"
                self.log.debug("DENIED (not allowed) address=%s", address)
        elif self._denied:
            if address in self._denied:
                denied, reason = True, b"Address denied"
                self.log.debug("DENIED (denied) address=%s", address)
            else:
                allowed = True
                self.log.debug("PASSED (not denied) address=%s", address)
        username = "anonymous"
        if not denied:
            if mechanism == b"NULL" and not allowed:
                self.log.debug("ALLOWED (NULL)")
                allowed = True
            elif mechanism == b"PLAIN":
                if len(credentials) != 2:
                    self.log.error("Invalid PLAIN credentials: %r", credentials)
                    await self._reply(request_id, b"400", b"Invalid credentials")
                    return
                username = credentials[0].decode(self.encoding, "replace")
                password = credentials[1].decode(self.encoding, "replace")
                allowed, reason = self._authenticate_plain(domain, username, password)
            elif mechanism == b"CURVE":
                if len(credentials) != 1:
                    self.log.error("Invalid CURVE credentials: %r", credentials)
                    await self._reply(request_id, b"400", b"Invalid credentials")
                    return
                key = credentials[0]
                allowed, reason = await self._authenticate_curve(domain, key)
                if allowed:
                    username = self.curve_user_id(key)
            elif mechanism == b"GSSAPI":
                allowed, reason = False, b"GSSAPI is not offered"
        if allowed:
            await self._reply(request_id, b"200", b"OK", username)
        else:
            await self._reply(request_id, b"400", reason)

    def _authenticate_plain(self, domain, username, password):
        allowed, reason = False, b""
        if self.passwords:
            domain = domain or "*"
            if domain in self.passwords:
                if username in self.passwords[domain]:
                    if password == self.passwords[domain][username]:
                        allowed = True
                    else:
                        reason = b"Invalid password"
                else:
                    reason = b"Invalid username"
            else:
                reason = b"Unknown domain"
            if allowed:
                self.log.debug("ALLOWED (PLAIN) domain=%s username=%s password=%s", domain, username, password)
            else:
                self.log.debug("DENIED %s", reason)
        else:
            reason = b"No passwords defined"
            self.log.debug("DENIED (PLAIN) %s", reason)
        return allowed, reason

    async def _authenticate_curve(self, domain, client_key):
        allowed, reason = False, b""
        if self.allow_any:
            allowed, reason = True, b"OK"
            self.log.debug("ALLOWED (CURVE allow any client)")
        elif self.credentials_providers:
            domain = domain or "*"
            if domain in self.credentials_providers:
                z85_key = z85.encode(client_key)
                r = self.credentials_providers[domain].callback(domain, z85_key)
                if inspect.isawaitable(r):
                    r = await r
                if r:
                    allowed, reason = True, b"OK"
                else:
                    reason = b"Unknown key"
                self.log.debug(
                    "%s (CURVE auth_callback) domain=%s client_key=%s",
                    "ALLOWED" if allowed else "DENIED",
                    domain,
                    z85_key,
                )
            else:
                reason = b"Unknown domain"
        else:
            domain = domain or "*"
            if domain in self.certs:
                z85_key = z85.encode(client_key)
                if self.certs[domain].get(z85_key):
                    allowed, reason = True, b"OK"
                else:
                    reason = b"Unknown key"
                self.log.debug(
                    "%s (CURVE) domain=%s client_key=%s", "ALLOWED" if allowed else "DENIED", domain, z85_key
                )
            else:
                reason = b"Unknown domain"
        return allowed, reason

    async def _reply(self, request_id, status_code, status_text, user_id="anonymous"):
        user_id = user_id if status_code == b"200" else b""
        if isinstance(user_id, str):
            user_id = user_id.encode(self.encoding, "replace")
        r = self.zap_socket.send_multipart([VERSION, request_id, status_code, status_text, user_id, b""])
        if inspect.isawaitable(r):
            await r
        self.log.debug("ZAP reply code=%s text=%s", status_code, status_text)


__all__ = ["Authenticator", "CURVE_ALLOW_ANY"]
