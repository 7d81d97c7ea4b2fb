"""No network for the evaluator children, enforced by the kernel (a seccomp filter).

The guard (guard.py) refuses SERVICE before evaluation, but a guard that reads text can be wrong; the
evaluator is what would actually send a request. So each evaluator child, before it imports
pyoxigraph or opens a store, installs a seccomp filter that makes every system call able to open or
use a network socket fail with EACCES: socket, socketpair, connect, bind, listen, accept, the send
calls, io_uring (which can open sockets by itself) and the calls that could borrow another process's
sockets (pidfd_getfd, ptrace). The child talks to its parent over pipes it already holds and needs none
of these. No name can be looked up either: the resolver needs a socket. The filter is inherited by
every thread the child starts (TSYNC) and cannot be lifted (no_new_privs).

Written here with ctypes rather than through libseccomp's Python binding: the filter is a dozen BPF
instructions, and the binding would need a C library and headers on every machine that runs the
server. Supported on x86_64 and aarch64; elsewhere install() raises and the child does not start.
"""

from __future__ import annotations

import ctypes
import errno
import os
import platform
import struct

# From linux/audit.h, linux/seccomp.h, linux/filter.h and linux/prctl.h.
_AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
_X32_SYSCALL_BIT = 0x40000000
_PR_SET_NO_NEW_PRIVS = 38
_SECCOMP_SET_MODE_FILTER = 1
_SECCOMP_FILTER_FLAG_TSYNC = 1
_SECCOMP_RET_KILL_PROCESS = 0x80000000
_SECCOMP_RET_ERRNO = 0x00050000
_SECCOMP_RET_ALLOW = 0x7FFF0000
_BPF_LD_W_ABS = 0x20  # BPF_LD | BPF_W | BPF_ABS
_BPF_JEQ_K = 0x15  # BPF_JMP | BPF_JEQ | BPF_K
_BPF_JGE_K = 0x35  # BPF_JMP | BPF_JGE | BPF_K
_BPF_RET_K = 0x06  # BPF_RET | BPF_K
_NR_SECCOMP = {"x86_64": 317, "aarch64": 277}

# System call numbers (arch/x86/entry/syscalls/syscall_64.tbl; include/uapi/asm-generic/unistd.h).
_DENIED = {
    "x86_64": {"socket": 41, "connect": 42, "accept": 43, "sendto": 44, "sendmsg": 46, "bind": 49,
               "listen": 50, "socketpair": 53, "ptrace": 101, "accept4": 288, "sendmmsg": 307,
               "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "pidfd_getfd": 438},
    "aarch64": {"socket": 198, "socketpair": 199, "bind": 200, "listen": 201, "accept": 202, "connect": 203,
                "sendto": 206, "sendmsg": 211, "ptrace": 117, "accept4": 242, "sendmmsg": 269,
                "io_uring_setup": 425, "io_uring_enter": 426, "io_uring_register": 427, "pidfd_getfd": 438},
}


class SandboxUnavailable(OSError):
    """The kernel or the machine cannot confine this process; the evaluator must not run unconfined."""


def _instruction(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def _program(machine: str) -> bytes:
    """The filter: wrong architecture -> kill; a denied call -> EACCES; anything else -> allowed."""
    denied = sorted(_DENIED[machine].values())
    deny = _SECCOMP_RET_ERRNO | errno.EACCES
    code = [
        _instruction(_BPF_LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
        _instruction(_BPF_JEQ_K, 1, 0, _AUDIT_ARCH[machine]),
        _instruction(_BPF_RET_K, 0, 0, _SECCOMP_RET_KILL_PROCESS),
        _instruction(_BPF_LD_W_ABS, 0, 0, 0),  # seccomp_data.nr
    ]
    if machine == "x86_64":  # the x32 ABI reaches the same calls under other numbers
        code.append(_instruction(_BPF_JGE_K, len(denied) + 1, 0, _X32_SYSCALL_BIT))
    for index, number in enumerate(denied):
        code.append(_instruction(_BPF_JEQ_K, len(denied) - index, 0, number))
    code.append(_instruction(_BPF_RET_K, 0, 0, _SECCOMP_RET_ALLOW))
    code.append(_instruction(_BPF_RET_K, 0, 0, deny))
    return b"".join(code)


def install() -> None:
    """Confine the calling process (and every thread it will start) to no network at all."""
    machine = platform.machine()
    if machine not in _DENIED or os.uname().sysname != "Linux":
        raise SandboxUnavailable(f"no network sandbox for {os.uname().sysname} on {machine}")
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SandboxUnavailable(f"prctl(PR_SET_NO_NEW_PRIVS) failed: {os.strerror(ctypes.get_errno())}")
    program = _program(machine)
    filters = ctypes.create_string_buffer(program, len(program))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    prog = SockFprog(len(program) // 8, ctypes.addressof(filters))
    libc.syscall.restype = ctypes.c_long
    result = libc.syscall(ctypes.c_long(_NR_SECCOMP[machine]), ctypes.c_long(_SECCOMP_SET_MODE_FILTER),
                          ctypes.c_long(_SECCOMP_FILTER_FLAG_TSYNC), ctypes.byref(prog))
    if result != 0:
        raise SandboxUnavailable(f"seccomp(SET_MODE_FILTER) failed: {os.strerror(ctypes.get_errno())}")
