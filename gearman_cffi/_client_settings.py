"""The settings half of the Client's API: timeout, options, namespace,
identity, logging, SSL and callbacks, each one ``Settings`` field that the core
applies to every C client it has and makes (``_settings.configure``)."""

from __future__ import annotations

from . import _arguments as arg
from . import identity as _identity
from . import log as _log
from ._core import Core
from ._libgearman import lib
from .callbacks import TaskCallbacks, validate
from .identity import ClientOptions
from .log import Verbose


class ClientSettings:
    """Base of :class:`~gearman_cffi.Client`: its settings, read and written through its core."""

    _core: Core

    @property
    def timeout(self) -> float | None:
        """Seconds each network wait may take; None blocks."""
        ms = self._core.read(lib.gearman_client_timeout)
        return None if ms < 0 else ms / 1000

    @timeout.setter
    def timeout(self, seconds: float | None) -> None:
        self._core.update(timeout_ms=arg.timeout_ms(seconds))

    @property
    def callbacks(self) -> TaskCallbacks | None:
        """The callbacks tasks added from now on get (libgearman copies them at add time)."""
        return self._core.settings.callbacks

    @callbacks.setter
    def callbacks(self, value: TaskCallbacks | None) -> None:
        callbacks = validate(value)
        trampolines = self._core.settings.trampolines or callbacks is not None
        self._core.update(callbacks=callbacks, trampolines=trampolines)

    @property
    def servers(self) -> list[tuple[str, int]]:
        """The servers this client uses, in libgearman's order ($GEARMAN_SERVERS first)."""
        return _identity.server_list(list(self._core.servers))

    @property
    def options(self) -> ClientOptions:
        return self._core.read(_identity.read_options)

    @options.setter
    def options(self, value: ClientOptions) -> None:
        self._core.update(options=_identity.checked_options(value, self.options))

    def set_namespace(self, namespace: arg.Text) -> None:
        """Prefix every function name this client submits with ``namespace``."""
        self._core.update(namespace=_identity.namespace_bytes(namespace))

    @property
    def namespace(self) -> str | None:
        """The namespace set with ``set_namespace`` (libgearman does not export a getter)."""
        data = self._core.settings.namespace
        return None if data is None else data.decode("utf-8", "surrogateescape")

    def set_identifier(self, identifier: arg.Text) -> None:
        """Name this client to the server (SET_CLIENT_ID; shown by ``gearadmin --workers``)."""
        self._core.update(identifier=_identity.identifier_bytes(identifier))

    def set_log_level(self, level: Verbose | None) -> None:
        """Send libgearman's log lines up to ``level`` to the ``gearman_cffi``
        logger; ``None`` turns logging off (the default)."""
        self._core.update(log_level=_log.checked_level(level))

    def set_ssl(self, ca_file: str | None = None, certificate: str | None = None, key_file: str | None = None) -> None:
        """Use SSL for connections made from now on; raises RuntimeError if this
        libgearman was built without SSL (Debian's is)."""
        self._core.update(ssl=_identity.ssl_files(ca_file, certificate, key_file))
