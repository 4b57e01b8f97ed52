"""Run a parser over untrusted bytes in a forked child with an address-space and a wall-clock limit.

openpyxl is trusted code reading hostile input. Whatever the caps before it did not foresee, its
memory and time are spent in a child process: past its address-space limit the child gets
MemoryError (or dies), past its time it is killed, and the parent (a web worker or a Celery task)
gets ``ParseLimit`` to turn into a message, and lives on. On Linux fork() costs a few milliseconds
(pages are shared copy-on-write) and needs no imports: the child has Django and openpyxl loaded.

The child sends its result back pickled; the parent unpickles plain values and dates only, so a
child subverted by its input cannot make the parent build arbitrary objects.
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import io
import math
import os
import pickle
import resource
import select
import signal
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any


def _libc() -> ctypes.CDLL | None:
    """Loaded once in the parent: the child imports and loads nothing."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None


_LIBC = _libc()
_EXIT_MEMORY = 3
_EXIT_FAILED = 4
_READ_SIZE = 1 << 20
_PLAIN_CLASSES = frozenset(
    {("datetime", "datetime"), ("datetime", "date"), ("datetime", "time"), ("datetime", "timedelta")}
)


class ParseLimit(Exception):
    """The child ran out of memory (``kind == "memory"``) or time (``kind == "time"``)."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind


class ParseFailed(Exception):
    """The function raised in the child; the message is its repr."""


def run_limited(func: Callable[[bytes], Any], data: bytes, *, memory_bytes: int, seconds: float) -> Any:
    """``func(data)`` computed in a child that may grow by ``memory_bytes`` and run ``seconds``."""
    if not hasattr(os, "fork"):  # no fork (Windows): the caps checked before still bound the work
        return func(data)
    read_fd, write_fd = os.pipe()
    pid = _fork()
    if pid == 0:
        os.close(read_fd)
        _child(func, data, write_fd, memory_bytes=memory_bytes, seconds=seconds)
    os.close(write_fd)
    try:
        payload = _receive(read_fd, seconds)
    except BaseException:
        _kill(pid)
        raise
    finally:
        os.close(read_fd)
    return _outcome(payload, _reap(pid))


def loads(payload: bytes) -> Any:
    return _PlainValues(io.BytesIO(payload)).load()


class _PlainValues(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if (module, name) in _PLAIN_CLASSES:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not a plain value")


# --- the parent -----------------------------------------------------------------------------------
def _fork() -> int:
    with warnings.catch_warnings():
        # Python warns that fork() in a threaded process may deadlock the child on a lock another
        # thread held. This child takes none: it imports nothing, logs nothing and leaves by _exit.
        warnings.simplefilter("ignore", DeprecationWarning)
        return os.fork()


def _receive(fd: int, seconds: float) -> bytes:
    poller = select.poll()  # not select(): a long-running worker may hold descriptors past 1024
    poller.register(fd, select.POLLIN)
    deadline = time.monotonic() + seconds
    chunks = []
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise ParseLimit("time")
        if not poller.poll(math.ceil(remaining * 1000)):
            continue
        chunk = os.read(fd, _READ_SIZE)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)


def _kill(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGKILL)
    _reap(pid)


def _reap(pid: int) -> int:
    """The child's wait status; 0 when a SIGCHLD handler of the host process reaped it first."""
    try:
        return os.waitpid(pid, 0)[1]
    except ChildProcessError:
        return 0


def _outcome(payload: bytes, status: int) -> Any:
    if os.WIFSIGNALED(status):
        # SIGXCPU: past RLIMIT_CPU; SIGKILL: the kernel's OOM killer (the parent's own kill raised).
        signum = os.WTERMSIG(status)
        if signum == signal.SIGXCPU:
            raise ParseLimit("time")
        if signum == signal.SIGKILL:
            raise ParseLimit("memory")
        raise ParseFailed(f"child killed by signal {signum}")
    code = os.WEXITSTATUS(status)
    if code == _EXIT_MEMORY:
        raise ParseLimit("memory")
    if code != 0 or not payload:
        raise ParseFailed(f"child exited with code {code}")
    kind, value = loads(payload)
    if kind == "memory":
        raise ParseLimit("memory")
    if kind == "failed":
        raise ParseFailed(value)
    return value


# --- the child ------------------------------------------------------------------------------------
def _child(func: Callable[[bytes], Any], data: bytes, fd: int, *, memory_bytes: int, seconds: float) -> None:
    """Never returns: the child leaves through ``os._exit`` so no handler of the parent's runs twice."""
    code = _EXIT_FAILED
    try:
        _limit(memory_bytes=memory_bytes, seconds=seconds)
        try:
            outcome = ("ok", func(data))
        except MemoryError:
            outcome = ("memory", None)
        except Exception as exc:
            outcome = ("failed", repr(exc)[:500])
        payload = pickle.dumps(outcome, protocol=pickle.HIGHEST_PROTOCOL)
        with os.fdopen(fd, "wb") as out:
            out.write(payload)
        code = 0
    except MemoryError:
        code = _EXIT_MEMORY
    finally:
        os._exit(code)


def _limit(*, memory_bytes: int, seconds: float) -> None:
    _give_back_free_heap()
    size = _address_space()
    if size is not None:
        _lower(resource.RLIMIT_AS, size + memory_bytes)
    # A backstop for a parent that cannot kill (it is itself being stopped): CPU time, in seconds.
    _lower(resource.RLIMIT_CPU, math.ceil(seconds) + 1)


def _lower(kind: int, limit: int) -> None:
    soft, hard = resource.getrlimit(kind)
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(kind, (limit, hard))


def _give_back_free_heap() -> None:
    """Memory the parent freed stays in its heap and counts in the virtual size the limit starts
    from, yet the child may reuse it: a long-lived worker would hand the child hundreds of MB over
    its allowance. glibc's malloc_trim returns what it can to the system first."""
    trim = getattr(_LIBC, "malloc_trim", None)
    if trim is not None:
        trim(0)


def _address_space() -> int | None:
    """The process's virtual size (the parent's, inherited): the limit is this plus the allowance."""
    try:
        status = Path("/proc/self/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmSize:"):
            return int(line.split()[1]) * 1024
    return None
