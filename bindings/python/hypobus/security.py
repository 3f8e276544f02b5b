"""Keeping strangers out of the lab: CURVE keys for the roles, and the
library's ZAP authenticator for the generic sockets (docs/SECURITY.md).

    hypobus.set_curve(cert="calc_secret", server="broker")   # then start roles
    hypobus.CalcNode(brokers, curve=Curve(cert="calc_secret", server="broker"))  # one role
    with hypobus.Authenticator(curve_dir="allowed") as auth: ...

Certificates are CZMQ's files: `hypobus keygen NAME` or keygen() below
writes NAME (public) and NAME_secret (secret)."""

from ctypes import addressof, byref, c_int32, c_void_p, create_string_buffer, sizeof

from ._ffi import HB_CURVE_KEY_SIZE, AuthConfig, AuthStatsC, CurveConfig, F, check
from ._role import _read_stats, _Role, _stats_class

AuthStats = _stats_class("AuthStats", AuthStatsC, "An authenticator's decisions (hb_auth_stats_t).")


def _text(x, name):
    if x is None:
        return None
    if hasattr(x, "__fspath__"):
        x = x.__fspath__()
    if isinstance(x, bytes):
        return x
    if isinstance(x, str):
        return x.encode()
    raise TypeError(f"{name} must be a str, bytes or path, not {type(x).__name__}")


def set_curve(cert=None, server=None, allow=None):
    """CURVE for every role this process starts from now on (hb_curve_set_default):
    `cert` this process's secret certificate file (or Z85 secret key),
    `server` the brokers' certificate file (or Z85 public key), `allow`
    (brokers) a directory of the certificates of allowed clients. All None:
    CURVE off again."""
    check(
        F.hb_curve_set_default(_text(cert, "cert"), _text(server, "server"), _text(allow, "allow")), None, "set_curve"
    )


class Curve:
    """One role's own CURVE keys (hb_curve_config_t), given as `curve=` to a
    role (Broker, FailoverBroker, CalcNode, OpNode, Client, TaskBroker,
    TaskWorker, TaskClient); the same three settings as set_curve(), for
    that role only:

        Curve(cert="broker_secret", allow="allowed")     # a broker with an allow-list
        Curve(cert="calc_secret", server="broker")       # a node of that broker
        Curve()                                           # CURVE off for this role

    `cert`: the role's secret certificate file (or Z85 secret key); `server`:
    the brokers' certificate file (or Z85 public key), for connecting roles;
    `allow`: serving roles, a directory of allowed client certificates.
    A role given a Curve uses exactly these keys, never the process default
    (all three None = CURVE off even when set_curve() is on); curve=None (the
    default) takes the process default. A dict with these keys works too.
    Bad keys or files raise ConfigError when the role starts."""

    __slots__ = ("cert", "server", "allow")

    def __init__(self, cert=None, server=None, allow=None):
        self.cert, self.server, self.allow = cert, server, allow

    @classmethod
    def of(cls, x):
        """A Curve from a Curve, a dict (cert, server, allow) or None (None)."""
        if x is None or isinstance(x, Curve):
            return x
        if isinstance(x, dict):
            unknown = set(x) - {"cert", "server", "allow"}
            if unknown:
                raise TypeError(f"curve: unknown keys {sorted(unknown)} (cert, server, allow)")
            return cls(**x)
        raise TypeError(f"curve must be a hypobus.Curve, a dict or None, not {type(x).__name__}")

    def __eq__(self, other):
        return isinstance(other, Curve) and (self.cert, self.server, self.allow) == (
            other.cert,
            other.server,
            other.allow,
        )

    def __hash__(self):
        return hash((self.cert, self.server, self.allow))

    def __repr__(self):
        # A secret key given as Z85 text is never shown (a file name is).
        cert = self.cert
        if isinstance(cert, (str, bytes)) and len(cert) == 40:
            cert = "<secret key>"
        return f"Curve(cert={cert!r}, server={self.server!r}, allow={self.allow!r})"


class _CurveArg:
    """A role's `curve=` for a config struct: `.address` for its `curve`
    field (None = the process default); keeps the C struct and its strings
    alive while the constructor runs."""

    __slots__ = ("address", "_cfg", "_keep")

    def __init__(self, curve):
        c = Curve.of(curve)
        self.address = None
        self._cfg = self._keep = None
        if c is None:
            return
        self._keep = (_text(c.cert, "curve.cert"), _text(c.server, "curve.server"), _text(c.allow, "curve.allow"))
        self._cfg = CurveConfig()
        self._cfg.size = sizeof(CurveConfig)
        self._cfg.cert, self._cfg.server, self._cfg.allow = self._keep
        self.address = addressof(self._cfg)


def keygen(path, metadata=None):
    """Write a new certificate pair: `path` (public) and `path`_secret
    (secret, mode 0600); returns the public key (Z85 str)."""
    meta = None
    if metadata:
        meta = "\n".join(f"{k}={v}" for k, v in dict(metadata).items()).encode()
    out = create_string_buffer(HB_CURVE_KEY_SIZE)
    check(F.hb_cert_save(_text(path, "path"), None, None, meta, out, HB_CURVE_KEY_SIZE), None, "keygen")
    return out.value.decode()


def load_certificate(path):
    """(public, secret) of a certificate file as Z85 str; secret is None in a public file."""
    pub, sec, has = create_string_buffer(HB_CURVE_KEY_SIZE), create_string_buffer(HB_CURVE_KEY_SIZE), c_int32()
    check(
        F.hb_cert_load(_text(path, "path"), pub, HB_CURVE_KEY_SIZE, sec, HB_CURVE_KEY_SIZE, byref(has)),
        None,
        "load_certificate",
    )
    return pub.value.decode(), (sec.value.decode() if has.value else None)


class Authenticator(_Role):
    """The library's ZAP authenticator for this process's generic sockets
    (hypobus.zmq sockets that are CURVE or PLAIN servers), as CZMQ's zauth:

        Authenticator(curve_dir="allowed")            # these CURVE clients
        Authenticator(curve_any=True, allow=["127.0.0.1"])
        Authenticator(passwords="users.txt")          # PLAIN, user=password lines

    Each decision is logged once (hypobus.log_enable). One per process (also
    not beside a zmq.auth authenticator). reload() re-reads the files."""

    _free = F.hb_auth_free
    _kind = "authenticator"

    def __init__(self, allow=None, deny=None, passwords=None, curve_dir=None, curve_any=False):
        super().__init__()
        join = lambda xs, name: None if not xs else _text(xs if isinstance(xs, str) else ",".join(xs), name)  # noqa: E731
        self._keep = (
            join(allow, "allow"),
            join(deny, "deny"),
            _text(passwords, "passwords"),
            _text(curve_dir, "curve_dir"),
        )
        cfg = AuthConfig()
        cfg.size = sizeof(AuthConfig)
        cfg.curve_any = 1 if curve_any else 0
        cfg.allow, cfg.deny, cfg.passwords, cfg.curve_dir = self._keep
        h = c_void_p()
        check(F.hb_auth_new(byref(cfg), byref(h)), None, "authenticator")
        self._register(h.value)

    def reload(self):
        """Read the files again; on an error the old rules stay (and it raises)."""
        check(F.hb_auth_reload(self._live_h()), self._h, "authenticator reload")

    def stats(self):
        return AuthStats(**_read_stats(F.hb_auth_stats, self._live_h(), AuthStatsC, "authenticator stats"))


__all__ = ["AuthStats", "Authenticator", "Curve", "keygen", "load_certificate", "set_curve"]
